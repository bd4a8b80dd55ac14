/**
 * `resolve(spec)`: validate, then build the JSON-serializable plan. One model describes both
 * ends of every session, so node and switch renderings can never disagree.
 */
import { DataCenterSpec, NodeAsnScheme, NodeRole, NodeSpec, RackSpec, SwitchRole, SwitchSpec } from "../spec/types";
import {
  Family,
  Plan,
  PlanAnnouncement,
  PlanCluster,
  PlanDevice,
  PlanExpectedRoute,
  PlanNode,
  PlanPrefixFilterEntry,
  PlanSegment,
  PlanSession,
  PlanSwitch,
  PlanVipPool,
} from "../plan/types";
import { aggregate, coveringPrefix, familyOf, hostLength, hostPrefixes, nthAddress, prefixLength } from "../net/prefix";
import { allocatedPodCidr, linkPrefix, nodeAsn, nodeScheme, rackPeerAddress, rackPeers, switchAsn, switchLoopback } from "./allocate";
import { SpecError } from "../validate/errors";
import { validate, vipAnnouncers } from "../validate/validate";
import { withDefaults } from "./defaults";

/** Validate and resolve a spec into a plan. Throws `SpecError` listing every problem. */
export function resolve(spec: DataCenterSpec): Plan {
  const problems = validate(spec);
  if (problems.length > 0) throw new SpecError(problems);
  return buildPlan(spec);
}

interface NodeCtx {
  spec: NodeSpec;
  rack: RackSpec;
  podCIDR: string;
  asn: number;
  peers: SwitchSpec[];
  cluster?: string;
  announcements: PlanAnnouncement[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function buildPlan(spec: DataCenterSpec): Plan {
  const bgp = withDefaults(spec.bgp);
  const family = (p: string): Family => familyOf(p) ?? "ipv4";
  const switchByName = new Map(spec.switches.map((s) => [s.name, s]));
  const clusterOf = new Map<string, string>();
  for (const c of spec.clusters ?? []) for (const n of c.nodes) clusterOf.set(n, c.name);

  const vipPools: PlanVipPool[] = (spec.pools.vips ?? []).map((v) => ({
    name: v.name,
    family: family(v.cidr),
    cidr: v.cidr,
    ...(v.cluster ? { cluster: v.cluster } : {}),
    announcers: vipAnnouncers(spec, v.name),
    ...(v.serviceSelector ? { serviceSelector: v.serviceSelector } : {}),
    addresses: hostPrefixes(v.cidr).map((p) => p.split("/")[0]),
  }));

  const nodes: NodeCtx[] = spec.racks.flatMap((rack) =>
    rack.nodes.map((node) => {
      const podCIDR = node.podCIDR ?? allocatedPodCidr(spec, rack, node)!;
      const announcements: PlanAnnouncement[] = [{ family: family(podCIDR), prefix: podCIDR, kind: "podCIDR" }];
      if ((node.role ?? NodeRole.worker) === NodeRole.l4lb) {
        for (const pool of vipPools) {
          if (!pool.announcers.includes(node.name)) continue;
          for (const a of pool.addresses) announcements.push({ family: pool.family, prefix: `${a}/${hostLength(pool.family)}`, kind: "vip", pool: pool.name });
        }
      }
      return {
        spec: node,
        rack,
        podCIDR,
        asn: nodeAsn(spec, rack, node)!,
        peers: rackPeers(spec, rack).map((n) => switchByName.get(n)!),
        cluster: clusterOf.get(node.name),
        announcements,
      };
    }),
  );

  const devices: PlanDevice[] = [];
  const segments: PlanSegment[] = [];
  const sessions: PlanSession[] = [];
  const switchIfaces = new Map<string, PlanDevice["interfaces"]>();
  const ifacesOf = (sw: SwitchSpec) => {
    if (!switchIfaces.has(sw.name)) {
      const lb = switchLoopback(spec, sw)!;
      switchIfaces.set(sw.name, [{ name: "lo", addresses: [{ family: family(lb), address: lb, cidr: `${lb}/${hostLength(family(lb))}` }] }]);
    }
    return switchIfaces.get(sw.name)!;
  };
  const timers = { keepalive: bgp.keepalive, hold: bgp.hold };
  const bfd = { enabled: bgp.bfd.enabled, intervalMs: bgp.bfd.intervalMs, multiplier: bgp.bfd.multiplier };
  const gracefulRestart = { enabled: bgp.gracefulRestart, restartTime: bgp.restartTime };

  // rack segments, node devices and node-uplink sessions
  for (const rack of [...spec.racks].sort((a, b) => a.id - b.id)) {
    const rackNodes = nodes.filter((n) => n.rack === rack);
    const peers = rackPeers(spec, rack).map((n) => switchByName.get(n)!);
    const len = prefixLength(rack.nodeNetwork);
    const fam = family(rack.nodeNetwork);
    const segName = `rack-${rack.name}`;
    const peerIface = `rack${rack.id}`;
    const segment: PlanSegment = { name: segName, kind: "rack", family: fam, prefix: rack.nodeNetwork, members: [] };
    peers.forEach((sw, k) => {
      const addr = rackPeerAddress(rack, k)!;
      ifacesOf(sw).push({ name: peerIface, segment: segName, addresses: [{ family: fam, address: addr, cidr: `${addr}/${len}` }] });
      segment.members.push({ device: sw.name, interface: peerIface, address: addr });
    });
    for (const n of rackNodes) {
      segment.members.push({ device: n.spec.name, interface: "eth0", address: n.spec.address });
      devices.push({
        name: n.spec.name,
        kind: "node",
        role: n.spec.role ?? NodeRole.worker,
        rack: rack.name,
        ...(n.cluster ? { cluster: n.cluster } : {}),
        asn: n.asn,
        routerId: n.spec.address,
        interfaces: [{ name: "eth0", segment: segName, addresses: [{ family: fam, address: n.spec.address, cidr: `${n.spec.address}/${len}` }] }],
        staticRoutes: [{ family: fam, prefix: fam === "ipv4" ? "0.0.0.0/0" : "::/0", nextHops: peers.map((_, k) => rackPeerAddress(rack, k)!) }],
      });
      peers.forEach((sw, k) => {
        const swAsn = switchAsn(spec, sw)!;
        sessions.push({
          id: `${n.spec.name}--${sw.name}`,
          kind: "node-uplink",
          family: fam,
          type: swAsn === n.asn ? "ibgp" : "ebgp",
          a: { device: n.spec.name, address: n.spec.address, asn: n.asn, interface: "eth0" },
          b: { device: sw.name, address: rackPeerAddress(rack, k)!, asn: swAsn, interface: peerIface },
          nodeProtocol: `uplink${k}`,
          timers,
          bfd,
          gracefulRestart,
          ...(bgp.passwordRef ? { passwordRef: bgp.passwordRef } : {}),
          maxPrefix: n.announcements.length + bgp.maxPrefixSlack,
          ...(spec.topology === "spineLeaf" && nodeScheme(spec) === NodeAsnScheme.shared ? { allowasIn: 1 } : {}),
        });
      });
    }
    segments.push(segment);
  }

  // switch-to-switch links: leaf–spine, core–core
  const fabricPairs: { a: SwitchSpec; b: SwitchSpec; kind: PlanSession["kind"] }[] = [];
  const sorted = [...spec.switches].sort((a, b) => a.id - b.id);
  if (spec.topology === "spineLeaf") {
    for (const leaf of sorted.filter((s) => s.role === SwitchRole.leaf))
      for (const spine of sorted.filter((s) => s.role === SwitchRole.spine)) fabricPairs.push({ a: leaf, b: spine, kind: "leaf-spine" });
  } else {
    const cores = sorted.filter((s) => s.role === SwitchRole.core);
    for (let i = 0; i < cores.length; i++) for (let j = i + 1; j < cores.length; j++) fabricPairs.push({ a: cores[i], b: cores[j], kind: "core-mesh" });
  }
  for (const { a, b, kind } of fabricPairs) {
    const prefix = linkPrefix(spec, a.id, b.id)!;
    const fam = family(prefix);
    const len = prefixLength(prefix);
    const [addrA, addrB] = a.id < b.id ? [nthAddress(prefix, 0)!, nthAddress(prefix, 1)!] : [nthAddress(prefix, 1)!, nthAddress(prefix, 0)!];
    const ifA = `fab${b.id}`;
    const ifB = `fab${a.id}`;
    const segName = `link-${a.name}--${b.name}`;
    ifacesOf(a).push({ name: ifA, segment: segName, addresses: [{ family: fam, address: addrA, cidr: `${addrA}/${len}` }] });
    ifacesOf(b).push({ name: ifB, segment: segName, addresses: [{ family: fam, address: addrB, cidr: `${addrB}/${len}` }] });
    segments.push({
      name: segName,
      kind: "p2p",
      family: fam,
      prefix,
      members: [
        { device: a.name, interface: ifA, address: addrA },
        { device: b.name, interface: ifB, address: addrB },
      ],
    });
    const asnA = switchAsn(spec, a)!;
    const asnB = switchAsn(spec, b)!;
    sessions.push({
      id: `${a.name}--${b.name}`,
      kind,
      family: fam,
      type: asnA === asnB ? "ibgp" : "ebgp",
      a: { device: a.name, address: addrA, asn: asnA, interface: ifA },
      b: { device: b.name, address: addrB, asn: asnB, interface: ifB },
      timers,
      bfd,
      gracefulRestart,
    });
  }

  for (const sw of sorted) {
    devices.push({
      name: sw.name,
      kind: "switch",
      role: sw.role,
      ...(sw.rack ? { rack: sw.rack } : {}),
      dialect: sw.dialect ?? "frr",
      asn: switchAsn(spec, sw)!,
      routerId: switchLoopback(spec, sw)!,
      interfaces: ifacesOf(sw),
      staticRoutes: [],
      maxPaths: sw.maxPaths ?? 16,
    });
  }

  const planNodes: PlanNode[] = nodes.map((n) => ({
    name: n.spec.name,
    podCIDR: { family: family(n.podCIDR), prefix: n.podCIDR },
    announcements: n.announcements,
  }));

  const switches = sorted.map((sw) => planSwitch(spec, sw, nodes, sessions, vipPools));

  const clusters: PlanCluster[] = (spec.clusters ?? []).map((c) => {
    const cidrs = nodes.filter((n) => n.cluster === c.name).map((n) => n.podCIDR);
    const cover = coveringPrefix(cidrs);
    return {
      name: c.name,
      id: c.id,
      nodes: [...c.nodes],
      podCIDRs: cidrs.map((p) => ({ family: family(p), prefix: p })),
      supernets: aggregate(cidrs).map((p) => ({ family: family(p), prefix: p })),
      ...(cover ? { coveringPrefix: { family: family(cover), prefix: cover } } : {}),
    };
  });

  return {
    version: 1,
    name: spec.name,
    topology: spec.topology,
    devices: [...devices.filter((d) => d.kind === "switch"), ...devices.filter((d) => d.kind === "node")],
    segments,
    sessions,
    nodes: planNodes,
    switches,
    vipPools,
    clusters,
    pools: {
      podCidr: { family: family(spec.pools.podCidr.cidr), prefix: spec.pools.podCidr.cidr },
      podPrefixLength: spec.pools.podCidr.prefixLength,
      loopbacks: { family: family(spec.pools.loopbacks), prefix: spec.pools.loopbacks },
      fabricLinks: { family: family(spec.pools.fabricLinks), prefix: spec.pools.fabricLinks },
    },
  };
}

/** Filters every node announcement may pass: pool-bounded, for fabric sessions. */
function fabricFilter(spec: DataCenterSpec, vipPools: PlanVipPool[]): PlanPrefixFilterEntry[] {
  const pod = spec.pools.podCidr;
  return [
    { family: familyOf(pod.cidr) ?? "ipv4", prefix: pod.cidr, ge: pod.prefixLength, le: pod.prefixLength },
    ...vipPools.map((v) => ({ family: v.family, prefix: v.cidr, ge: hostLength(v.family), le: hostLength(v.family) })),
  ];
}

function nodeFilter(n: NodeCtx, vipPools: PlanVipPool[]): PlanPrefixFilterEntry[] {
  const len = prefixLength(n.podCIDR);
  const entries: PlanPrefixFilterEntry[] = [{ family: familyOf(n.podCIDR) ?? "ipv4", prefix: n.podCIDR, ge: len, le: len }];
  for (const v of vipPools) if (n.announcements.some((a) => a.pool === v.name)) entries.push({ family: v.family, prefix: v.cidr, ge: hostLength(v.family), le: hostLength(v.family) });
  return entries;
}

function planSwitch(spec: DataCenterSpec, sw: SwitchSpec, nodes: NodeCtx[], sessions: PlanSession[], vipPools: PlanVipPool[]): PlanSwitch {
  const inboundFilters: PlanSwitch["inboundFilters"] = [];
  const mine = sessions.filter((s) => s.a.device === sw.name || s.b.device === sw.name);
  const nodeByName = new Map(nodes.map((n) => [n.spec.name, n]));
  for (const s of mine) {
    const other = s.a.device === sw.name ? s.b : s.a;
    const node = nodeByName.get(other.device);
    inboundFilters.push({ neighbor: other.address, device: other.device, entries: node ? nodeFilter(node, vipPools) : fabricFilter(spec, vipPools) });
  }
  // expected routes
  const routes = new Map<string, PlanExpectedRoute>();
  const add = (prefix: string, nextHop: string, via: string) => {
    const r = routes.get(prefix) ?? { family: familyOf(prefix) ?? "ipv4", prefix, nextHops: [], via: [] };
    if (!r.nextHops.includes(nextHop)) {
      r.nextHops.push(nextHop);
      r.via.push(via);
    }
    routes.set(prefix, r);
  };
  const direct = nodes.filter((n) => n.peers.some((p) => p.name === sw.name));
  for (const n of direct) for (const a of n.announcements) add(a.prefix, n.spec.address, n.spec.name);
  if (spec.topology === "spineLeaf") {
    const fabric = mine.filter((s) => s.kind === "leaf-spine");
    const leafOf = (name: string) => spec.switches.find((s) => s.name === name)!;
    if (sw.role === SwitchRole.spine) {
      for (const n of nodes) {
        for (const s of fabric) {
          const leafEnd = s.a.device === sw.name ? s.b : s.a;
          if (leafOf(leafEnd.device).rack === n.rack.name) for (const a of n.announcements) add(a.prefix, leafEnd.address, leafEnd.device);
        }
      }
    } else if (sw.role === SwitchRole.leaf) {
      const local = new Set(direct.flatMap((n) => n.announcements.map((a) => a.prefix)));
      for (const n of nodes) {
        if (direct.includes(n)) continue;
        for (const a of n.announcements) {
          if (local.has(a.prefix)) continue; // a locally announced VIP wins (shorter AS path)
          for (const s of fabric) {
            const spineEnd = s.a.device === sw.name ? s.b : s.a;
            add(a.prefix, spineEnd.address, spineEnd.device);
          }
        }
      }
    }
  }
  for (const r of routes.values()) {
    const order = r.nextHops.map((h, i) => ({ h, v: r.via[i] })).sort((x, y) => (x.v < y.v ? -1 : x.v > y.v ? 1 : 0));
    r.nextHops = order.map((o) => o.h);
    r.via = order.map((o) => o.v);
  }
  void byName;
  return { name: sw.name, inboundFilters, expectedRoutes: [...routes.values()] };
}
