/**
 * Property tests of the IPv6 side over random dual-stack specs (both topologies, numbered or
 * unnumbered spine–leaf fabrics): resolve() is deterministic; adding, removing or reordering
 * nodes, racks and switches never moves an IPv6 allocation (PodCIDR /64s, loopbacks, rack
 * addresses, /127 links, link-local fabric addresses); and every IPv6 allocation is the README's
 * rule, computed here with plain BigInt arithmetic (not sdk/net). Some racks are IPv6-only (no
 * `nodeNetwork`): their nodes get only IPv6 and a router id 0.0.0.0/8 + slot + 1, and adding one
 * moves no allocation of either family.
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { resolve } from "../sdk/resolve/resolve";
import { validate } from "../sdk/validate/validate";
import { Plan } from "../sdk/plan/types";
import { DataCenterSpec, NodeSessionFamilies, SwitchRole, Topology } from "../sdk/spec/types";
import { arbitrarySpec, cloneSpec, makeLeaves, makeNode, makeRack, MAX_RACK_ID, PER_RACK, refreshUpstream } from "./support/arbitrary-spec";

const RUNS = { numRuns: 100 };
const hex = (n: number) => n.toString(16);

/** `2001:db8::1` → bigint (plain text arithmetic). */
function v6(text: string): bigint {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** bigint → RFC 5952 text (longest run of two or more zero groups as `::`, the first on a tie). */
function text6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = -1;
  let len = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len) [best, len] = [i, j - i];
  }
  const s = g.map(hex);
  return best < 0 ? s.join(":") : `${s.slice(0, best).join(":")}::${s.slice(best + len).join(":")}`;
}

/** A random IPv4 spec of the generator made dual-stack (`unnumbered`: spine–leaf only). */
function dualize(spec: DataCenterSpec, podLength: number, unnumbered: boolean): DataCenterSpec {
  const d = cloneSpec(spec);
  d.pools.podCidr6 = { cidr: "2001:db8:1000::/48", prefixLength: podLength };
  d.pools.loopbacks6 = "2001:db8:0:1::/64";
  if (unnumbered && d.topology === Topology.spineLeaf) {
    delete d.pools.fabricLinks;
    d.fabric = { unnumbered: true };
  } else d.pools.fabricLinks6 = "2001:db8:0:2::/64";
  for (const r of d.racks) dual6(r);
  if (d.pools.vips?.length) d.pools.vips.push({ name: "public6", cidr: "2001:db8:200::/126" });
  return d;
}

/** IPv6 fields of a rack and its nodes (rack id → `2001:db8:<10+id>::/64`, node → `::<10+id>`). */
function dual6(r: DataCenterSpec["racks"][number]): void {
  r.nodeNetwork6 = `2001:db8:${hex(0x10 + r.id)}::/64`;
  for (const n of r.nodes) n.address6 = `2001:db8:${hex(0x10 + r.id)}::${hex(0x10 + n.id)}`;
}

/**
 * Make the racks at `picks` IPv6-only: no IPv4 network, address or PodCIDR; their nodes leave the
 * cluster (a cluster has IPv4 pods), and the IPv4 VIP pool goes when no l4lb node is left for it.
 */
function v6Only(spec: DataCenterSpec, picks: boolean[]): DataCenterSpec {
  const d = cloneSpec(spec);
  const gone = new Set<string>();
  d.racks.forEach((r, i) => {
    if (!picks[i % Math.max(1, picks.length)] || picks.length === 0) return;
    ipv6OnlyRack(r);
    for (const n of r.nodes) gone.add(n.name);
  });
  if (gone.size === 0) return d;
  for (const c of d.clusters ?? []) c.nodes = c.nodes.filter((n) => !gone.has(n));
  d.clusters = (d.clusters ?? []).filter((c) => c.nodes.length > 0);
  if (d.clusters.length === 0) delete d.clusters;
  const l4lb4 = d.racks.some((r) => r.nodeNetwork !== undefined && r.nodes.some((n) => n.role === "l4lb"));
  if (d.pools.vips && !l4lb4) d.pools.vips = d.pools.vips.filter((v) => v.cidr.includes(":"));
  return refreshUpstream(d);
}

/** A rack made IPv6-only (in place). */
function ipv6OnlyRack(r: DataCenterSpec["racks"][number]): void {
  delete r.nodeNetwork;
  for (const n of r.nodes) {
    delete n.address;
    delete n.podCIDR;
  }
}

/** The spec with `bgp.nodeSessions` set (undefined: a session per family, the default). */
function withNodeSessions(spec: DataCenterSpec, mode: NodeSessionFamilies | undefined): DataCenterSpec {
  if (mode === undefined) return spec;
  return { ...spec, bgp: { ...spec.bgp, nodeSessions: mode } };
}

const dualSpec = () =>
  fc
    .tuple(arbitrarySpec(), fc.constantFrom(56, 64, 96), fc.boolean(), fc.array(fc.boolean(), { maxLength: 5 }), fc.constantFrom(undefined, NodeSessionFamilies.ipv4, NodeSessionFamilies.ipv6))
    .map(([s, len, unnumbered, picks, sessions]) => withNodeSessions(v6Only(dualize(s, len, unnumbered), picks), sessions));

/** Every allocation of both families by owner (IPv4 ones too: an IPv6-only rack must not move them). */
function allocations(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of plan.nodes) out.set(`${n.name} podCIDR`, `${n.podCIDR.prefix} ${n.podCIDR6?.prefix ?? ""}`);
  for (const d of plan.devices) {
    out.set(`${d.name} routerId`, d.routerId);
    for (const i of d.interfaces) out.set(`${d.name} ${i.name}`, i.addresses.map((a) => a.cidr).join(","));
  }
  for (const s of plan.segments) out.set(`segment ${s.name}`, `${s.prefix} ${s.prefix6 ?? ""}`);
  return out;
}

/** Every IPv6 allocation by owner: PodCIDR, each interface's IPv6 addresses, each link's IPv6 prefix. */
function allocations6(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of plan.nodes) out.set(`${n.name} podCIDR6`, n.podCIDR6!.prefix);
  for (const d of plan.devices)
    for (const i of d.interfaces) out.set(`${d.name} ${i.name}`, i.addresses.filter((a) => a.family === "ipv6").map((a) => a.cidr).join(","));
  for (const s of plan.segments) if (s.kind === "p2p") out.set(`link ${s.name}`, s.prefix6 ?? s.prefix);
  return out;
}

/** Every IPv6 allocation of `before` whose owner is still in `after` is unchanged. */
function assertKept6(before: Plan, after: Plan): void {
  const b = allocations6(after);
  for (const [owner, value] of allocations6(before)) if (b.has(owner)) assert.equal(b.get(owner), value, `${owner} moved`);
}

describe("IPv6 allocation properties over random dual-stack specs", () => {
  it("generated dual-stack specs are valid and deterministic (IPv6-only racks among them)", () => {
    let v6OnlyRacks = 0;
    fc.assert(
      fc.property(dualSpec(), (spec) => {
        assert.deepEqual(validate(spec), []);
        assert.equal(JSON.stringify(resolve(spec)), JSON.stringify(resolve(cloneSpec(spec))));
        if (spec.racks.some((r) => r.nodeNetwork === undefined)) v6OnlyRacks++;
      }),
      RUNS,
    );
    assert.ok(v6OnlyRacks >= RUNS.numRuns / 5, `only ${v6OnlyRacks} of ${RUNS.numRuns} specs had an IPv6-only rack`);
  });

  it("adding a node anywhere never moves an existing IPv6 allocation", () => {
    fc.assert(
      fc.property(dualSpec(), fc.nat(), fc.nat(), (spec, rackPick, pos) => {
        const rack = spec.racks[rackPick % spec.racks.length];
        const free = Array.from({ length: PER_RACK }, (_, i) => i + 1).filter((id) => !rack.nodes.some((n) => n.id === id));
        fc.pre(free.length > 0);
        const grown = cloneSpec(spec);
        const target = grown.racks.find((r) => r.id === rack.id)!;
        const node = makeNode(rack.id, free[pos % free.length], false);
        node.address6 = `2001:db8:${hex(0x10 + rack.id)}::${hex(0x10 + node.id)}`;
        if (rack.nodeNetwork === undefined) delete node.address; // an IPv6-only rack
        target.nodes.splice(pos % (target.nodes.length + 1), 0, node);
        const before = resolve(spec);
        const after = resolve(grown);
        assertKept6(before, after);
        assert.equal(after.nodes.length, before.nodes.length + 1);
      }),
      RUNS,
    );
  });

  it("removing a node, adding a rack with its leaves, or reordering everything never moves another IPv6 allocation", () => {
    fc.assert(
      fc.property(dualSpec(), fc.nat(), fc.integer({ min: 1, max: MAX_RACK_ID }), (spec, pick, rackId) => {
        const before = resolve(spec);
        // remove a node (not the last of its rack: its rack and leaves stay)
        const all = spec.racks.flatMap((r) => (r.nodes.length > 1 ? r.nodes.map((n) => ({ rack: r.id, name: n.name })) : []));
        if (all.length > 0) {
          const victim = all[pick % all.length];
          const shrunk = cloneSpec(spec);
          const r = shrunk.racks.find((x) => x.id === victim.rack)!;
          r.nodes = r.nodes.filter((n) => n.name !== victim.name);
          for (const c of shrunk.clusters ?? []) c.nodes = c.nodes.filter((n) => n !== victim.name);
          shrunk.clusters = (shrunk.clusters ?? []).filter((c) => c.nodes.length > 0);
          // the VIP pools that lost their last announcer go (an IPv4 pool needs an l4lb node on a rack with IPv4)
          const l4lb = (x: DataCenterSpec["racks"][number]) => x.nodes.some((n) => n.role === "l4lb");
          if (shrunk.pools.vips && !shrunk.racks.some((x) => x.nodeNetwork !== undefined && l4lb(x))) shrunk.pools.vips = shrunk.pools.vips.filter((v) => v.cidr.includes(":"));
          if (shrunk.pools.vips && (!shrunk.racks.some(l4lb) || shrunk.pools.vips.length === 0)) delete shrunk.pools.vips;
          assertKept6(before, resolve(refreshUpstream(shrunk)));
        }
        // add a rack
        if (!spec.racks.some((r) => r.id === rackId)) {
          const grown = cloneSpec(spec);
          const rack = makeRack(rackId, [1, 2], new Set());
          dual6(rack);
          grown.racks.unshift(rack);
          if (grown.topology === Topology.spineLeaf) grown.switches.push(...makeLeaves(rackId));
          assertKept6(before, resolve(refreshUpstream(grown)));
        }
        // reorder
        const shuffled = cloneSpec(spec);
        shuffled.racks.reverse();
        for (const r of shuffled.racks) r.nodes.reverse();
        shuffled.switches.reverse();
        assert.deepEqual(new Map([...allocations6(resolve(shuffled))].sort()), new Map([...allocations6(before)].sort()));
      }),
      RUNS,
    );
  });

  it("IPv6 allocations follow the documented rules (README, Allocation rules), computed here independently", () => {
    fc.assert(
      fc.property(dualSpec(), (spec) => {
        const plan = resolve(spec);
        const dev = new Map(plan.devices.map((d) => [d.name, d]));
        const pod = spec.pools.podCidr6!;
        const podBase = v6(pod.cidr.split("/")[0]);
        const len = pod.prefixLength!;
        for (const rack of spec.racks) {
          const net = v6(rack.nodeNetwork6!.split("/")[0]);
          const peers =
            spec.topology === Topology.spineLeaf
              ? spec.switches.filter((s) => s.role === SwitchRole.leaf && s.rack === rack.name)
              : spec.switches.filter((s) => s.role === SwitchRole.core);
          [...peers].sort((a, b) => a.id - b.id).forEach((sw, k) => {
            const iface = dev.get(sw.name)!.interfaces.find((i) => i.segment === `rack-${rack.name}`)!;
            assert.equal(iface.addresses.find((a) => a.family === "ipv6")!.cidr, `${text6(net + BigInt(k + 1))}/64`, `${sw.name} on ${rack.name}`);
          });
          for (const node of rack.nodes) {
            const slot = BigInt((rack.id - 1) * PER_RACK + (node.id - 1));
            assert.equal(plan.nodes.find((n) => n.name === node.name)!.podCIDR6!.prefix, `${text6(podBase + (slot << BigInt(128 - len)))}/${len}`, `${node.name} IPv6 PodCIDR`);
            if (rack.nodeNetwork !== undefined) continue;
            // IPv6-only: router id host slot + 1 of 0.0.0.0/8, nothing of IPv4
            const id = Number(slot) + 1;
            const d = dev.get(node.name)!;
            assert.equal(d.routerId, `0.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`, `${node.name} router id`);
            assert.ok(d.interfaces.every((i) => i.addresses.every((a) => a.family === "ipv6")), `${node.name} has only IPv6`);
            assert.ok(plan.sessions.filter((s) => s.a.device === node.name).every((s) => s.family === "ipv6" && s.id.endsWith("--v6")), `${node.name} sessions`);
          }
          if (rack.nodeNetwork === undefined)
            for (const sw of peers) assert.ok(!dev.get(sw.name)!.interfaces.find((i) => i.segment === `rack-${rack.name}`)!.addresses.some((a) => a.family === "ipv4"), `${sw.name}: no IPv4 on ${rack.name}`);
        }
        const lo = v6(spec.pools.loopbacks6!.split("/")[0]);
        for (const sw of spec.switches) {
          const addrs = dev.get(sw.name)!.interfaces.find((i) => i.name === "lo")!.addresses;
          assert.equal(addrs.find((a) => a.family === "ipv6")!.address, text6(lo + BigInt(sw.id)), `${sw.name} IPv6 loopback`);
        }
        for (const seg of plan.segments.filter((x) => x.kind === "p2p")) {
          const [a, b] = seg.members.map((m) => spec.switches.find((s) => s.name === m.device)!);
          if (spec.fabric?.unnumbered) {
            // unnumbered: host <switch id> of fe80::/64 on every fabric interface, nothing else
            for (const [m, sw] of [[seg.members[0], a], [seg.members[1], b]] as const) {
              assert.equal(m.address, text6(v6("fe80::") + BigInt(sw.id)));
              assert.deepEqual(dev.get(sw.name)!.interfaces.find((i) => i.name === m.interface)!.addresses.map((x) => x.cidr), [`${m.address}/64`]);
            }
            continue;
          }
          const [low, high] = a.id < b.id ? [a, b] : [b, a];
          const index = BigInt(((high.id - 1) * (high.id - 2)) / 2 + (low.id - 1));
          const fab = v6(spec.pools.fabricLinks6!.split("/")[0]);
          assert.equal(seg.prefix6, `${text6(fab + 2n * index)}/127`, seg.name);
          assert.equal(seg.members.find((m) => m.device === low.name)!.address6, text6(fab + 2n * index), "lower id takes the even address");
        }
      }),
      RUNS,
    );
  });

  it("adding an IPv6-only rack (with its leaves) moves no allocation of either family, and its router ids are unique", () => {
    fc.assert(
      fc.property(dualSpec(), fc.integer({ min: 1, max: MAX_RACK_ID }), fc.uniqueArray(fc.integer({ min: 1, max: PER_RACK }), { minLength: 1, maxLength: 4 }), (spec, rackId, nodeIds) => {
        fc.pre(!spec.racks.some((r) => r.id === rackId));
        const grown = cloneSpec(spec);
        const rack = makeRack(rackId, nodeIds, new Set());
        dual6(rack);
        ipv6OnlyRack(rack);
        grown.racks.push(rack);
        if (grown.topology === Topology.spineLeaf) grown.switches.push(...makeLeaves(rackId));
        assert.deepEqual(validate(grown), []); // the upstream stays as it was: its aggregates cover only IPv4 rack networks
        const before = allocations(resolve(spec));
        const plan = resolve(grown);
        const after = allocations(plan);
        // the new rack's leaves are new; every other owner keeps all it had (a border leaf's upstream link included)
        for (const [owner, value] of before) assert.equal(after.get(owner), value, `${owner} moved`);
        const ids = plan.devices.map((d) => d.routerId);
        assert.equal(new Set(ids).size, ids.length, `router ids unique: ${ids.join(" ")}`);
      }),
      RUNS,
    );
  });

  it("an IPv6 pin wins over allocation and moves nothing else", () => {
    fc.assert(
      fc.property(dualSpec(), (spec) => {
        const pinned = cloneSpec(spec);
        const node = pinned.racks[0].nodes[0];
        // never allocated to a generated node: slot 0xffff of the /48 at /64, or the pool's last /56 or /96
        const len = pinned.pools.podCidr6!.prefixLength!;
        node.podCIDR6 = len === 64 ? "2001:db8:1000:ffff::/64" : len === 56 ? "2001:db8:1000:ff00::/56" : "2001:db8:1000:ffff:ffff:ffff::/96";
        const before = resolve(spec);
        const after = resolve(pinned);
        assert.equal(after.nodes.find((n) => n.name === node.name)!.podCIDR6!.prefix, node.podCIDR6);
        const a = allocations6(before);
        const b = allocations6(after);
        for (const [owner, value] of a) if (owner !== `${node.name} podCIDR6`) assert.equal(b.get(owner), value, `${owner} moved`);
      }),
      { numRuns: 50 },
    );
  });
});
