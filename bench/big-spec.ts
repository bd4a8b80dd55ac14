/**
 * Generators of very large valid specs, for the 100,000-node `dcnet plan` figure and the
 * hardening tests (render-only: the pools are large and never brought up).
 *
 *   npx tsx bench/big-spec.ts threeTier 100000 /tmp/dc100k.json   write a spec file
 *   (spineLeaf | threeTier | threeTierL4lb: every node l4lb, one pool, over the ECMP limit)
 *   /usr/bin/time -v npx tsx sdk/cli/main.ts plan /tmp/dc100k.json --out /tmp/out100k
 */
import { writeFileSync } from "fs";
import { DataCenterSpec, NodeRole, NodeSpec, RackSpec, SwitchRole, SwitchSpec, Topology } from "../sdk/spec/types";

/** Nodes per rack in the generated specs (a /25 rack network holds them and the two peers). */
export const BIG_PER_RACK = 64;

function v4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * A valid spine–leaf data center of `nodes` nodes: 64 per rack, two leaves per rack, four
 * spines; PodCIDR /25s from 10.0.0.0/8, rack /25s from 172.16.0.0/12, fabric /31s from
 * 11.0.0.0/8, 4-byte private ASNs (perRack). `l4lbPerRack` nodes of each rack are l4lb; with
 * any, one VIP pool is announced by the l4lb nodes of the first two racks (within ECMP 16).
 */
export function bigSpineLeafSpec(nodes: number, l4lbPerRack = 0): DataCenterSpec {
  const racks = Math.ceil(nodes / BIG_PER_RACK);
  const switches: SwitchSpec[] = [1, 2, 3, 4].map((s) => ({ name: `spine${s}`, role: SwitchRole.spine, id: s }));
  const rackSpecs: RackSpec[] = [];
  const announcers: string[] = [];
  for (let r = 1; r <= racks; r++) {
    const name = `r${r}`;
    switches.push({ name: `leaf${r}a`, role: SwitchRole.leaf, id: 3 + 2 * r, rack: name });
    switches.push({ name: `leaf${r}b`, role: SwitchRole.leaf, id: 4 + 2 * r, rack: name });
    const base = (172 << 24) + (16 << 16) + (r - 1) * 128;
    const count = Math.min(BIG_PER_RACK, nodes - (r - 1) * BIG_PER_RACK);
    const list: NodeSpec[] = [];
    for (let n = 1; n <= count; n++) {
      const l4lb = n <= l4lbPerRack;
      list.push({ name: `r${r}n${n}`, id: n, address: v4(base + 2 + n), role: l4lb ? NodeRole.l4lb : NodeRole.worker });
      if (l4lb && r <= 2) announcers.push(`r${r}n${n}`);
    }
    rackSpecs.push({ name, id: r, nodeNetwork: `${v4(base)}/25`, nodes: list });
  }
  return {
    name: "big",
    topology: Topology.spineLeaf,
    asn: { spine: 4200000000, leaves: { from: 4200000001, to: 4200099999 }, nodes: { from: 4200100000, to: 4200199999 } },
    pools: {
      podCidr: { cidr: "10.0.0.0/8", prefixLength: 25, perRack: BIG_PER_RACK },
      loopbacks: "192.168.0.0/16",
      fabricLinks: "11.0.0.0/8",
      ...(announcers.length ? { vips: [{ name: "public", cidr: "198.51.100.0/28", announcers }] } : {}),
    },
    bgp: { passwordRef: "bgp-nodes" },
    switches,
    racks: rackSpecs,
  };
}

/**
 * A three-tier data center of `nodes` l4lb nodes (two cores, 64 per rack) and one VIP pool
 * announced by all of them: the shape that made the ECMP check quadratic. Invalid on purpose
 * (far more announcers than the cores' ECMP limit) when `nodes` > 16.
 */
export function bigThreeTierL4lbSpec(nodes: number): DataCenterSpec {
  const racks = Math.ceil(nodes / BIG_PER_RACK);
  const rackSpecs: RackSpec[] = [];
  for (let r = 1; r <= racks; r++) {
    const base = (172 << 24) + (16 << 16) + (r - 1) * 128;
    const count = Math.min(BIG_PER_RACK, nodes - (r - 1) * BIG_PER_RACK);
    const list: NodeSpec[] = [];
    for (let n = 1; n <= count; n++) list.push({ name: `r${r}n${n}`, id: n, address: v4(base + 2 + n), role: NodeRole.l4lb });
    rackSpecs.push({ name: `r${r}`, id: r, nodeNetwork: `${v4(base)}/25`, nodes: list });
  }
  return {
    name: "big3",
    topology: Topology.threeTier,
    asn: { fabric: 4200000000 },
    pools: {
      podCidr: { cidr: "10.0.0.0/8", prefixLength: 25, perRack: BIG_PER_RACK },
      loopbacks: "192.168.0.0/24",
      fabricLinks: "192.168.1.0/24",
      vips: [{ name: "public", cidr: "198.51.100.0/28" }],
    },
    switches: [
      { name: "core1", role: SwitchRole.core, id: 1 },
      { name: "core2", role: SwitchRole.core, id: 2 },
    ],
    racks: rackSpecs,
  };
}

/**
 * A valid three-tier data center of `nodes` nodes: two cores, 64 nodes per rack, two l4lb nodes
 * in each of the first four racks announcing one VIP pool (8 announcers, within ECMP 16).
 */
export function bigThreeTierSpec(nodes: number): DataCenterSpec {
  const spec = bigThreeTierL4lbSpec(nodes);
  spec.name = "big3";
  spec.racks.forEach((r, ri) => r.nodes.forEach((n) => (n.role = ri < 4 && n.id <= 2 ? NodeRole.l4lb : NodeRole.worker)));
  spec.bgp = { passwordRef: "bgp-nodes" };
  return spec;
}

if (require.main === module) {
  const [topology = "spineLeaf", count = "100000", file = "/tmp/dc100k.json"] = process.argv.slice(2);
  const spec =
    topology === "threeTier" ? bigThreeTierSpec(Number(count)) : topology === "threeTierL4lb" ? bigThreeTierL4lbSpec(Number(count)) : bigSpineLeafSpec(Number(count), 2);
  writeFileSync(file, JSON.stringify(spec));
  console.log(`wrote ${file}: ${spec.racks.reduce((n, r) => n + r.nodes.length, 0)} nodes, ${spec.switches.length} switches`);
}
