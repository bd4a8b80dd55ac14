/**
 * The plan is self-sufficient and consistent: every session's ends sit on interfaces of the
 * same segment, filters admit exactly the announcements, expected routes follow the topology.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as fc from "fast-check";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { Plan } from "../sdk/plan/types";
import { expandExpectedRoutes, expectedRouteOf } from "../sdk/plan/expected-routes";
import { containsAddress, prefixInside } from "../sdk/net/prefix";
import { arbitrarySpec } from "./support/arbitrary-spec";

const load = (name: string) => resolve(loadSpecFile(path.join(__dirname, "..", "examples", name, "datacenter.yaml")));

function checkConsistency(plan: Plan): void {
  const devices = new Map(plan.devices.map((d) => [d.name, d]));
  const segments = new Map(plan.segments.map((s) => [s.name, s]));
  // JSON round trip is lossless
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  for (const s of plan.sessions) {
    for (const end of [s.a, s.b]) {
      const dev = devices.get(end.device);
      assert.ok(dev, `session ${s.id}: unknown device ${end.device}`);
      const iface = dev!.interfaces.find((i) => i.name === end.interface);
      assert.ok(iface, `session ${s.id}: ${end.device} has no interface ${end.interface}`);
      assert.ok(iface!.addresses.some((a) => a.address === end.address), `session ${s.id}: ${end.address} not on ${end.device}/${end.interface}`);
      assert.equal(dev!.asn, end.asn, `session ${s.id}: ASN of ${end.device}`);
    }
    const segA = devices.get(s.a.device)!.interfaces.find((i) => i.name === s.a.interface)!.segment!;
    const segB = devices.get(s.b.device)!.interfaces.find((i) => i.name === s.b.interface)!.segment!;
    assert.equal(segA, segB, `session ${s.id} ends are on different segments`);
    const seg = segments.get(segA)!;
    assert.ok(containsAddress(seg.prefix, s.a.address) && containsAddress(seg.prefix, s.b.address));
    assert.equal(s.type, s.a.asn === s.b.asn ? "ibgp" : "ebgp");
  }
  // every node: exactly two uplink sessions to distinct switches, default route via both
  for (const n of plan.nodes) {
    const uplinks = plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === n.name);
    assert.equal(uplinks.length, 2, `${n.name} has ${uplinks.length} uplinks`);
    assert.notEqual(uplinks[0].b.device, uplinks[1].b.device);
    const dev = devices.get(n.name)!;
    assert.deepEqual([...dev.staticRoutes[0].nextHops].sort(), uplinks.map((u) => u.b.address).sort());
    assert.ok(prefixInside(n.podCIDR.prefix, plan.pools.podCidr.prefix));
    // each switch's inbound filter toward this node admits exactly its announcements
    for (const u of uplinks) {
      const filter = plan.switches.find((sw) => sw.name === u.b.device)!.inboundFilters.find((f) => f.neighbor === u.a.address)!;
      for (const a of n.announcements) {
        assert.ok(filter.entries.some((e) => prefixInside(a.prefix, e.prefix) && Number(a.prefix.split("/")[1]) >= e.ge && Number(a.prefix.split("/")[1]) <= e.le), `${u.b.device} filter rejects ${n.name} ${a.prefix}`);
      }
      const podEntry = filter.entries.find((e) => e.prefix === n.podCIDR.prefix)!;
      assert.equal(podEntry.ge, podEntry.le, "PodCIDR admitted with its exact length only");
    }
  }
  // expected routes reference real neighbors of the switch
  for (const sw of plan.switches) {
    const neighbors = new Set(plan.sessions.filter((s) => s.a.device === sw.name || s.b.device === sw.name).map((s) => (s.a.device === sw.name ? s.b.address : s.a.address)));
    for (const u of plan.upstreams) for (const l of u.links) if (l.switch === sw.name) neighbors.add(l.peerAddress);
    for (const r of expandExpectedRoutes(plan, sw)) for (const h of r.nextHops) assert.ok(neighbors.has(h), `${sw.name} ${r.prefix} via non-neighbor ${h}`);
  }
}

describe("plan", () => {
  it("spine–leaf example: consistent and complete", () => {
    const plan = load("spine-leaf");
    checkConsistency(plan);
    assert.equal(plan.nodes.length, 12);
    assert.equal(plan.sessions.filter((s) => s.kind === "node-uplink").length, 24);
    assert.equal(plan.sessions.filter((s) => s.kind === "leaf-spine").length, 12);
    assert.ok(plan.sessions.filter((s) => s.kind === "node-uplink").every((s) => s.type === "ebgp"));
    // every spine reaches every PodCIDR over both leaves of the node's rack
    for (const spine of plan.switches.filter((s) => s.name.startsWith("spine"))) {
      for (const n of plan.nodes) {
        const r = expectedRouteOf(plan, spine, n.podCIDR.prefix)!;
        const rack = plan.devices.find((d) => d.name === n.name)!.rack;
        assert.deepEqual(r.via, [`leaf${rack!.slice(1)}a`, `leaf${rack!.slice(1)}b`]);
      }
    }
    // VIPs: leaf1a holds each VIP over both l4lb nodes of rack 1 (ECMP), spines over four leaves
    const vip = plan.vipPools[0];
    assert.deepEqual(vip.announcers, ["r1n1", "r1n2", "r2n1"]);
    const leaf = plan.switches.find((s) => s.name === "leaf1a")!;
    assert.deepEqual(expectedRouteOf(plan, leaf, `${vip.addresses[0]}/32`)!.via, ["r1n1", "r1n2"]);
    const spine = plan.switches.find((s) => s.name === "spine1")!;
    assert.equal(expectedRouteOf(plan, spine, `${vip.addresses[0]}/32`)!.nextHops.length, 4);
    // clusters carry their PodCIDRs and a covering prefix
    assert.equal(plan.clusters[0].podCIDRs.length, 8);
    assert.ok(plan.clusters[0].podCIDRs.every((p) => prefixInside(p.prefix, plan.clusters[0].coveringPrefix!.prefix)));
  });

  it("three-tier example: every node peers iBGP with both cores, which hold every PodCIDR", () => {
    const plan = load("three-tier");
    checkConsistency(plan);
    assert.ok(plan.sessions.filter((s) => s.kind === "node-uplink").every((s) => s.type === "ibgp"));
    assert.equal(plan.sessions.filter((s) => s.kind === "core-mesh").length, 1);
    for (const core of plan.switches) {
      for (const n of plan.nodes) assert.ok(expectedRouteOf(plan, core, n.podCIDR.prefix) !== undefined, `${core.name} lacks ${n.podCIDR.prefix}`);
    }
  });

  it("random specs: consistent", () => {
    fc.assert(fc.property(arbitrarySpec(), (spec) => checkConsistency(resolve(spec))), { numRuns: 100 });
  });
});
