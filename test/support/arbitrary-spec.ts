/**
 * fast-check generators of valid data center specs (both topologies), plus helpers to add or
 * remove objects, for property tests of determinism, stability and the real parsers.
 */
import * as fc from "fast-check";
import { DataCenterSpec, NodeAsnScheme, NodeRole, NodeSpec, RackSpec, SwitchRole, SwitchSpec, Topology, UpstreamSpec } from "../../sdk/spec/types";
import { aggregate } from "../../sdk/net/prefix";

/** Nodes per rack in generated specs (node ids 1..PER_RACK). */
export const PER_RACK = 8;
/** Highest rack id in generated specs. */
export const MAX_RACK_ID = 8;

/** Leaf switch ids of a rack: two per rack id, above the spine/core ids. */
export function leafIds(rackId: number): [number, number] {
  return [10 + 2 * rackId, 11 + 2 * rackId];
}

/** A node of rack `rackId` with node id `id`. */
export function makeNode(rackId: number, id: number, l4lb: boolean): NodeSpec {
  return { name: `r${rackId}n${id}`, id, address: `198.18.${10 + rackId}.${10 + id}`, role: l4lb ? NodeRole.l4lb : NodeRole.worker };
}

/** A rack with the given node ids. */
export function makeRack(rackId: number, nodeIds: number[], l4lb: Set<number>): RackSpec {
  return { name: `r${rackId}`, id: rackId, nodeNetwork: `198.18.${10 + rackId}.0/24`, nodes: nodeIds.map((n) => makeNode(rackId, n, l4lb.has(n))) };
}

/** The two leaves of a rack. */
export function makeLeaves(rackId: number): SwitchSpec[] {
  const [a, b] = leafIds(rackId);
  return [
    { name: `leaf${rackId}a`, role: SwitchRole.leaf, id: a, rack: `r${rackId}` },
    { name: `leaf${rackId}b`, role: SwitchRole.leaf, id: b, rack: `r${rackId}` },
  ];
}

const rackShape = fc.record({
  id: fc.integer({ min: 1, max: MAX_RACK_ID }),
  nodeIds: fc.uniqueArray(fc.integer({ min: 1, max: PER_RACK }), { minLength: 1, maxLength: 5 }),
  l4lb: fc.uniqueArray(fc.integer({ min: 1, max: PER_RACK }), { maxLength: 2 }),
});

/** A valid spec of either topology with 1–5 racks. */
export function arbitrarySpec(): fc.Arbitrary<DataCenterSpec> {
  return fc
    .record({
      topology: fc.constantFrom(Topology.spineLeaf, Topology.threeTier),
      scheme: fc.constantFrom(NodeAsnScheme.perRack, NodeAsnScheme.perNode, NodeAsnScheme.shared),
      racks: fc.uniqueArray(rackShape, { minLength: 1, maxLength: 5, selector: (r) => r.id }),
      spines: fc.integer({ min: 1, max: 3 }),
      prefixLength: fc.constantFrom(24, 25),
      withVips: fc.boolean(),
      withCluster: fc.boolean(),
      bfd: fc.boolean(),
      gr: fc.boolean(),
      password: fc.boolean(),
      withUpstream: fc.boolean(),
      announce: fc.boolean(),
    })
    .map((g) => {
      const racks = g.racks.map((r) => makeRack(r.id, r.nodeIds, new Set(r.l4lb)));
      const spineLeaf = g.topology === Topology.spineLeaf;
      const switches: SwitchSpec[] = spineLeaf
        ? [
            ...Array.from({ length: g.spines }, (_, i) => ({ name: `spine${i + 1}`, role: SwitchRole.spine, id: i + 1 })),
            ...racks.flatMap((r) => makeLeaves(r.id)),
          ]
        : [
            { name: "core1", role: SwitchRole.core, id: 1 },
            { name: "core2", role: SwitchRole.core, id: 2 },
          ];
      const hasL4lb = racks.some((r) => r.nodes.some((n) => n.role === NodeRole.l4lb));
      const nodeNames = racks.flatMap((r) => r.nodes.map((n) => n.name));
      const spec: DataCenterSpec = {
        name: "gen",
        topology: g.topology,
        asn: spineLeaf
          ? { spine: 65000, leaves: { from: 65101, to: 65199 }, nodes: { from: 65201, to: 65499 }, nodeScheme: g.scheme }
          : { fabric: 65010 },
        pools: {
          podCidr: { cidr: "198.19.0.0/16", prefixLength: g.prefixLength, perRack: PER_RACK },
          loopbacks: "198.18.0.0/24",
          fabricLinks: "198.18.4.0/22",
          ...(g.withVips && hasL4lb ? { vips: [{ name: "public", cidr: "198.18.200.0/30" }] } : {}),
        },
        bgp: {
          bfd: { enabled: g.bfd },
          gracefulRestart: g.gr,
          ...(g.password ? { passwordRef: "bgp-nodes" } : {}),
        },
        switches,
        racks,
        ...(g.withCluster ? { clusters: [{ name: "c1", id: 1, nodes: nodeNames.slice(0, Math.ceil(nodeNames.length / 2)) }] } : {}),
      };
      if (g.withUpstream) spec.upstreams = [makeUpstream(spec, g.password, g.announce)];
      return spec;
    });
}

/**
 * An upstream on the border switches: spine–leaf, the leaf pair of the lowest rack id (both, as
 * `upstream-asn-group` asks); three-tier, core1. Announces (when asked) the cluster's supernets,
 * the VIP pool and the exact aggregate of the rack networks.
 */
export function makeUpstream(spec: DataCenterSpec, password: boolean, announce: boolean): UpstreamSpec {
  const rack = [...spec.racks].sort((a, b) => a.id - b.id)[0];
  const borders = spec.topology === Topology.spineLeaf ? makeLeaves(rack.id).map((l) => l.name) : ["core1"];
  const vip4 = spec.pools.vips?.find((v) => !v.cidr.includes(":")); // the upstream's family
  const ipv4Nets = spec.racks.flatMap((r) => (r.nodeNetwork !== undefined ? [r.nodeNetwork] : []));
  return {
    name: "wan",
    asn: 64500,
    ...(password ? { passwordRef: "bgp-upstream" } : {}),
    accept: { defaultRoute: true, prefixes: ["198.18.128.0/24"] },
    ...(announce
      ? {
          announce: {
            ...(spec.clusters?.length ? { clusters: [spec.clusters[0].name] } : {}),
            ...(vip4 ? { vipPools: [vip4.name] } : {}),
            // the IPv4 rack networks (an IPv6-only rack has none)
            ...(ipv4Nets.length > 0 ? { nodeNetworks: aggregate(ipv4Nets) } : {}),
          },
        }
      : {}),
    links: borders.map((sw, i) => ({ switch: sw, address: `198.18.2.${2 * i}/31`, peerAddress: `198.18.2.${2 * i + 1}` })),
  };
}

/** After racks, switches, clusters or pools changed: the same upstream, rebuilt on what is there now. */
export function refreshUpstream(spec: DataCenterSpec): DataCenterSpec {
  const u = spec.upstreams?.[0];
  if (u) spec.upstreams = [makeUpstream(spec, u.passwordRef !== undefined, u.announce !== undefined)];
  return spec;
}

/** Deep copy of a spec. */
export function cloneSpec(spec: DataCenterSpec): DataCenterSpec {
  return JSON.parse(JSON.stringify(spec)) as DataCenterSpec;
}
