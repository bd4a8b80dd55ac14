/**
 * Property tests over random specs: resolve() is deterministic, and allocations are stable
 * when nodes, racks, switches or clusters are added, removed or reordered.
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { resolve } from "../sdk/resolve/resolve";
import { validate } from "../sdk/validate/validate";
import { Plan } from "../sdk/plan/types";
import { DataCenterSpec, SwitchRole } from "../sdk/spec/types";
import { arbitrarySpec, cloneSpec, makeLeaves, makeNode, makeRack, MAX_RACK_ID, PER_RACK, refreshUpstream } from "./support/arbitrary-spec";

interface DeviceAllocation {
  asn: number;
  routerId: string;
  podCIDR?: string;
  /** interface name → addresses */
  ifaces: Record<string, string>;
  /** What the switch originates besides aggregates (its rack networks and loopback). */
  originates?: string;
}

/** Everything allocated per device (ASN, router id, PodCIDR, interface addresses) and per p2p link. */
function allocations(plan: Plan): { devices: Map<string, DeviceAllocation>; links: Map<string, string> } {
  const podCidr = new Map(plan.nodes.map((n) => [n.name, n.podCIDR.prefix]));
  const originates = new Map(plan.switches.map((s) => [s.name, s.originates.filter((o) => o.kind !== "aggregate").map((o) => `${o.kind} ${o.prefix}`).join(",")]));
  const devices = new Map<string, DeviceAllocation>();
  for (const d of plan.devices) {
    const ifaces: Record<string, string> = {};
    for (const i of d.interfaces) ifaces[i.name] = i.addresses.map((a) => a.cidr).join(",");
    devices.set(d.name, { asn: d.asn, routerId: d.routerId, podCIDR: podCidr.get(d.name), ifaces, originates: originates.get(d.name) });
  }
  const links = new Map(plan.segments.filter((s) => s.kind === "p2p").map((s) => [s.name, s.prefix]));
  return { devices, links };
}

/** Every allocation of `before` whose owner still exists in `after` is unchanged. */
function assertKept(before: Plan, after: Plan): void {
  const a = allocations(before);
  const b = allocations(after);
  for (const [name, va] of a.devices) {
    const vb = b.devices.get(name);
    if (!vb) continue;
    assert.equal(vb.asn, va.asn, `${name} ASN moved`);
    assert.equal(vb.routerId, va.routerId, `${name} router id moved`);
    assert.equal(vb.podCIDR, va.podCIDR, `${name} PodCIDR moved`);
    // what it originated stays, except a rack network whose rack is gone; additions are allowed (a new rack)
    const racks = new Set(after.segments.filter((x) => x.kind === "rack").map((x) => x.prefix));
    const now = new Set((vb.originates ?? "").split(","));
    for (const o of (va.originates ?? "").split(",").filter(Boolean))
      if (!o.startsWith("rackNetwork ") || racks.has(o.split(" ")[1])) assert.ok(now.has(o), `${name} no longer originates ${o}`);
    for (const [iface, addrs] of Object.entries(va.ifaces)) {
      if (iface in vb.ifaces) assert.equal(vb.ifaces[iface], addrs, `${name} ${iface} address moved`);
    }
  }
  for (const [link, prefix] of a.links) if (b.links.has(link)) assert.equal(b.links.get(link), prefix, `${link} moved`);
}

const RUNS = { numRuns: 150 };

describe("resolve() properties over random specs", () => {
  it("generated specs are valid", () => {
    fc.assert(
      fc.property(arbitrarySpec(), (spec) => {
        assert.deepEqual(validate(spec), []);
      }),
      RUNS,
    );
  });

  it("is deterministic: the same spec gives byte-identical plans", () => {
    fc.assert(
      fc.property(arbitrarySpec(), (spec) => {
        assert.equal(JSON.stringify(resolve(spec)), JSON.stringify(resolve(cloneSpec(spec))));
      }),
      RUNS,
    );
  });

  it("adding a node anywhere never moves an existing allocation", () => {
    fc.assert(
      fc.property(arbitrarySpec(), fc.nat(), fc.nat(), fc.boolean(), (spec, rackPick, pos, l4lb) => {
        const rack = spec.racks[rackPick % spec.racks.length];
        const free = Array.from({ length: PER_RACK }, (_, i) => i + 1).filter((id) => !rack.nodes.some((n) => n.id === id));
        fc.pre(free.length > 0);
        const before = resolve(spec);
        const grown = cloneSpec(spec);
        const target = grown.racks.find((r) => r.id === rack.id)!;
        target.nodes.splice(pos % (target.nodes.length + 1), 0, makeNode(rack.id, free[pos % free.length], l4lb));
        const after = resolve(grown);
        assertKept(before, after);
        assert.equal(after.nodes.length, before.nodes.length + 1);
      }),
      RUNS,
    );
  });

  it("removing a node frees only its own allocation", () => {
    fc.assert(
      fc.property(arbitrarySpec(), fc.nat(), (spec, pick) => {
        const all = spec.racks.flatMap((r) => r.nodes.map((n) => ({ rack: r.id, name: n.name })));
        fc.pre(all.length > 1);
        const victim = all[pick % all.length];
        const before = resolve(spec);
        const shrunk = cloneSpec(spec);
        const rack = shrunk.racks.find((r) => r.id === victim.rack)!;
        rack.nodes = rack.nodes.filter((n) => n.name !== victim.name);
        if (rack.nodes.length === 0) {
          shrunk.racks = shrunk.racks.filter((r) => r.id !== victim.rack);
          shrunk.switches = shrunk.switches.filter((s) => s.rack !== rack.name);
        }
        for (const c of shrunk.clusters ?? []) c.nodes = c.nodes.filter((n) => n !== victim.name);
        shrunk.clusters = (shrunk.clusters ?? []).filter((c) => c.nodes.length > 0);
        if (shrunk.pools.vips && !shrunk.racks.some((r) => r.nodes.some((n) => n.role === "l4lb"))) delete shrunk.pools.vips;
        const after = resolve(refreshUpstream(shrunk));
        assertKept(before, after);
        assert.ok(!after.devices.some((d) => d.name === victim.name));
      }),
      RUNS,
    );
  });

  it("adding a rack (with its leaves) or a spine never moves an existing allocation", () => {
    fc.assert(
      fc.property(arbitrarySpec(), fc.integer({ min: 1, max: MAX_RACK_ID }), fc.nat(), (spec, rackId, pos) => {
        fc.pre(!spec.racks.some((r) => r.id === rackId));
        const before = resolve(spec);
        const grown = cloneSpec(spec);
        grown.racks.splice(pos % (grown.racks.length + 1), 0, makeRack(rackId, [1, 2], new Set()));
        if (grown.topology === "spineLeaf") {
          grown.switches.push(...makeLeaves(rackId));
          const spines = grown.switches.filter((s) => s.role === SwitchRole.spine).length;
          if (spines < 4) grown.switches.unshift({ name: `spine${spines + 1}`, role: SwitchRole.spine, id: spines + 1 });
        }
        assertKept(before, resolve(refreshUpstream(grown)));
      }),
      RUNS,
    );
  });

  it("adding a cluster never moves an existing allocation", () => {
    fc.assert(
      fc.property(arbitrarySpec(), (spec) => {
        fc.pre(!spec.clusters || spec.clusters.length === 0);
        const before = resolve(spec);
        const grown: DataCenterSpec = { ...cloneSpec(spec), clusters: [{ name: "extra", id: 7, nodes: [spec.racks[0].nodes[0].name] }] };
        const after = resolve(grown);
        assertKept(before, after);
        assert.equal(JSON.stringify(after.sessions), JSON.stringify(before.sessions));
      }),
      RUNS,
    );
  });

  it("reordering racks, nodes and switches changes no allocation", () => {
    fc.assert(
      fc.property(arbitrarySpec(), (spec) => {
        const shuffled = cloneSpec(spec);
        shuffled.racks.reverse();
        for (const r of shuffled.racks) r.nodes.reverse();
        shuffled.switches.reverse();
        const a = allocations(resolve(spec));
        const b = allocations(resolve(shuffled));
        assert.deepEqual(new Map([...b.devices].sort()), new Map([...a.devices].sort()));
        assert.deepEqual(new Map([...b.links].sort()), new Map([...a.links].sort()));
      }),
      RUNS,
    );
  });

  it("allocations follow the documented rules (README, Allocation rules), computed here independently", () => {
    // plain IPv4 arithmetic, not sdk/net, so a shared helper bug cannot hide
    const v4 = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    const dotted = (n: number) => [24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join(".");
    fc.assert(
      fc.property(arbitrarySpec(), (spec) => {
        const plan = resolve(spec);
        const dev = new Map(plan.devices.map((d) => [d.name, d]));
        const pod = spec.pools.podCidr;
        const podBase = v4(pod.cidr.split("/")[0]);
        const perRack = pod.perRack!;
        for (const rack of spec.racks) {
          const leaves = spec.switches.filter((s) => s.role === SwitchRole.leaf && s.rack === rack.name).sort((a, b) => a.id - b.id);
          const peers = spec.topology === "spineLeaf" ? leaves : spec.switches.filter((s) => s.role === SwitchRole.core).sort((a, b) => a.id - b.id);
          const net = v4(rack.nodeNetwork!.split("/")[0]);
          peers.forEach((sw, k) => {
            const iface = dev.get(sw.name)!.interfaces.find((i) => i.segment === `rack-${rack.name}`)!;
            assert.equal(iface.addresses[0].address, dotted(net + k + 1), `${sw.name} on ${rack.name}`);
          });
          for (const node of rack.nodes) {
            const slot = (rack.id - 1) * perRack + (node.id - 1);
            const expected = `${dotted(podBase + slot * 2 ** (32 - pod.prefixLength))}/${pod.prefixLength}`;
            assert.equal(plan.nodes.find((n) => n.name === node.name)!.podCIDR.prefix, expected, `${node.name} PodCIDR`);
            const asn = dev.get(node.name)!.asn;
            if (spec.topology === "threeTier") assert.equal(asn, spec.asn.fabric);
            else if (spec.asn.nodeScheme === "perNode") assert.equal(asn, spec.asn.nodes!.from + slot);
            else if (spec.asn.nodeScheme === "shared") assert.equal(asn, spec.asn.nodes!.from);
            else assert.equal(asn, spec.asn.nodes!.from + rack.id - 1);
          }
          for (const leaf of leaves) assert.equal(dev.get(leaf.name)!.asn, spec.asn.leaves!.from + rack.id - 1);
        }
        const lo = v4(spec.pools.loopbacks.split("/")[0]);
        const fab = v4(spec.pools.fabricLinks!.split("/")[0]);
        for (const sw of spec.switches) assert.equal(dev.get(sw.name)!.routerId, dotted(lo + sw.id), `${sw.name} loopback`);
        for (const seg of plan.segments.filter((x) => x.kind === "p2p")) {
          const [a, b] = seg.members.map((m) => spec.switches.find((s) => s.name === m.device)!);
          const [low, high] = a.id < b.id ? [a, b] : [b, a];
          const index = ((high.id - 1) * (high.id - 2)) / 2 + (low.id - 1);
          assert.equal(seg.prefix, `${dotted(fab + 2 * index)}/31`, seg.name);
          assert.equal(seg.members.find((m) => m.device === low.name)!.address, dotted(fab + 2 * index), "lower id takes the even address");
        }
      }),
      RUNS,
    );
  });

  it("pins win over allocation", () => {
    fc.assert(
      fc.property(arbitrarySpec(), (spec) => {
        const pinned = cloneSpec(spec);
        const node = pinned.racks[0].nodes[0];
        // the highest PodCIDR of the pool is never allocated to a generated node (slot ≥ MAX_RACK_ID*PER_RACK)
        node.podCIDR = pinned.pools.podCidr.prefixLength === 24 ? "198.19.255.0/24" : "198.19.255.128/25";
        const plan = resolve(pinned);
        assert.equal(plan.nodes.find((n) => n.name === node.name)!.podCIDR.prefix, node.podCIDR);
      }),
      { numRuns: 50 },
    );
  });
});
