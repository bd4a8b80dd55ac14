/**
 * Expected routes shared between switches (`plan.prefixSets`, `PlanExpectedRouteGroup.set`):
 * every leaf of a spine–leaf fabric holds every other rack's PodCIDRs, rack networks and loopbacks
 * over its spines, written once for the plan, so a leaf's own part does not grow with the data
 * center; the fabric filters cut the leaf's own prefixes out of shared exact ranges.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as fc from "fast-check";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { Plan } from "../sdk/plan/types";
import { expandExpectedRoutes, expectedRouteOf, groupPrefixes } from "../sdk/plan/expected-routes";
import { expectedRoutesOf } from "../sdk/lab/check";
import { familyOf, nthSubnet } from "../sdk/net/prefix";
import { exactRangesOf, withoutPrefixes } from "../sdk/resolve/underlay";
import { bigSpineLeafSpec } from "../bench/big-spec";

const family = (p: string) => familyOf(p)!;

/** What a leaf must hold over all its spines, straight from the rest of the plan. */
function remoteOf(plan: Plan, leaf: string): Set<string> {
  const dev = plan.devices.find((d) => d.name === leaf)!;
  const out = new Set<string>();
  for (const n of plan.nodes) if (plan.devices.find((d) => d.name === n.name)!.rack !== dev.rack) out.add(n.podCIDR.prefix);
  for (const s of plan.segments) if (s.kind === "rack" && !s.members.some((m) => m.device === leaf)) out.add(s.prefix);
  for (const sw of plan.switches) {
    if (sw.name === leaf || plan.devices.find((d) => d.name === sw.name)!.role === "spine") continue;
    for (const o of sw.originates) if (o.kind === "loopback") out.add(o.prefix);
  }
  return out;
}

describe("expected routes shared between leaves", () => {
  it("withoutPrefixes(exactRangesOf(P ∪ R), R) is exactRangesOf(P), both families", () => {
    const pools: [string, number][] = [
      ["10.0.0.0/20", 24],
      ["10.0.0.0/24", 32],
      ["2001:db8::/56", 64],
    ];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 15 }), fc.boolean()), { maxLength: 40 }), (picks) => {
        const keep = new Set<string>();
        const remove = new Set<string>();
        for (const [pool, index, removed] of picks) {
          const p = nthSubnet(pools[pool][0], pools[pool][1], index)!;
          if (!keep.has(p) && !remove.has(p)) (removed ? remove : keep).add(p);
        }
        const all = exactRangesOf([...keep, ...remove], family);
        assert.deepEqual(withoutPrefixes(all, [...remove], family), exactRangesOf([...keep], family));
      }),
      { numRuns: 300 },
    );
  });

  it("each leaf holds, over all its spines, every other rack's PodCIDRs, rack network and leaf loopbacks: one shared list, a per-leaf exception of its own", () => {
    const plan = resolve(bigSpineLeafSpec(6 * 64 - 10));
    assert.deepEqual(
      plan.prefixSets!.map((s) => [s.name, s.family, s.prefixes.length]),
      [["leaf-routes-ipv4", "ipv4", plan.nodes.length + 6 + 12]],
    );
    const spines = plan.devices.filter((d) => d.role === "spine").map((d) => d.name);
    for (const sw of plan.switches.filter((s) => s.name.startsWith("leaf"))) {
      const shared = sw.expectedRoutes.filter((g) => g.set !== undefined);
      assert.equal(shared.length, 1, sw.name);
      assert.deepEqual([...shared[0].via].sort(), spines, `${sw.name} holds the shared list over every spine`);
      // the exception is only the leaf's own: 64 PodCIDRs (fewer in the last rack), its rack network and loopback
      assert.ok(shared[0].except!.length <= 66, `${sw.name} except ${shared[0].except!.length}`);
      const viaSpines = new Set(sw.expectedRoutes.filter((g) => g.via.every((v) => spines.includes(v)) && g.via.length === spines.length).flatMap((g) => groupPrefixes(plan, g)));
      const remote = remoteOf(plan, sw.name);
      // VIPs of other racks' l4lb nodes and nothing else besides
      for (const p of viaSpines) if (!remote.has(p)) assert.ok(p.startsWith("198.51.100."), `${sw.name}: ${p} over the spines, not remote`);
      for (const p of remote) assert.ok(viaSpines.has(p), `${sw.name} lacks ${p}`);
      // one prefix looked up through the shared list, one excepted
      const mine = plan.nodes.find((n) => plan.devices.find((d) => d.name === n.name)!.rack === plan.devices.find((d) => d.name === sw.name)!.rack)!;
      assert.notDeepEqual(expectedRouteOf(plan, sw, mine.podCIDR.prefix)?.via, shared[0].via, `${sw.name} holds its own rack's ${mine.podCIDR.prefix} over the spines`);
      const other = [...remote][0];
      assert.deepEqual(expectedRouteOf(plan, sw, other)!.via, shared[0].via);
    }
  });

  it("a leaf's part of the plan does not grow with the number of racks (plan.json linear in the data center)", () => {
    const size = (racks: number) => {
      const plan = resolve(bigSpineLeafSpec(racks * 64));
      const leaf = plan.switches.find((s) => s.name === "leaf2a")!;
      return { leaf: JSON.stringify(leaf).length, plan: JSON.stringify(plan).length };
    };
    const small = size(8);
    const large = size(32);
    assert.ok(large.leaf < small.leaf * 1.2, `leaf2a: ${small.leaf} bytes at 8 racks, ${large.leaf} at 32`);
    assert.ok(large.plan < small.plan * 4 * 1.1, `plan: ${small.plan} bytes at 8 racks, ${large.plan} at 32`);
  });

  it("lab check reads shared groups as expandExpectedRoutes does", () => {
    for (const name of ["spine-leaf", "dual-stack"]) {
      const plan = resolve(loadSpecFile(path.join(__dirname, "..", "examples", name, "datacenter.yaml")));
      assert.ok((plan.prefixSets ?? []).length > 0, `${name} shares lists`);
      if (name === "dual-stack") assert.deepEqual(plan.prefixSets!.map((s) => s.name), ["leaf-routes-ipv4", "leaf-routes-ipv6"]);
      for (const sw of plan.switches) {
        const want = expandExpectedRoutes(plan, sw).map((r) => ({ family: r.family, prefix: r.prefix, nextHops: r.nextHops, via: r.via, ...(r.fibNextHops ? { fibNextHops: r.fibNextHops } : {}) }));
        assert.deepEqual(expectedRoutesOf(plan, sw.name), want, sw.name);
        // a JSON round trip (plan.json as lab check reads it) reads the same
        const again = JSON.parse(JSON.stringify(plan)) as Plan;
        assert.deepEqual(expectedRoutesOf(again, sw.name), want, `${sw.name} from JSON`);
      }
    }
  });
});
