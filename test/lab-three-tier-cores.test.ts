/**
 * Three-tier with four cores and racks on different core pairs, and an upstream on one core, in
 * the lab with real BIRD and FRR: the cores reflect node routes to each other (RFC 4456) and route
 * each other's rack networks and loopbacks over the iBGP mesh; the one border core's default route
 * reaches every core (next-hop-self). `lab check` (sessions, exact routes and FIBs, data-plane
 * probes: node↔node and pod↔pod across core pairs, loopbacks, the way out) must pass.
 * Needs root, iproute2, bird2, frr (skipped with a message outside CI, failing in CI).
 */
import assert from "assert";
import { resolve } from "../sdk/resolve/resolve";
import { Plan } from "../sdk/plan/types";
import { expandExpectedRoutes } from "../sdk/plan/expected-routes";
import { formatCheckReport, labCheck, labDown, LabState, labUp } from "../sdk/lab";
import { figure, requireLab, testLabName } from "./support/lab-env";
import { fourCoreSpec } from "./support/four-core-spec";

describe("lab: three-tier with four cores, racks on different core pairs, one border core", function () {
  this.timeout(300000);
  let plan: Plan;
  let state: LabState | undefined;

  before(async function () {
    requireLab(this);
    plan = resolve(fourCoreSpec());
    state = await labUp(plan, { name: testLabName("three-tier-cores"), requireEstablished: true });
    figure(`four-core three-tier: ${plan.sessions.length} sessions + 1 upstream Established ${(state.timings.establishedMs! / 1000).toFixed(1)} s after up started`);
  });
  after(async function () {
    if (state) await labDown(state);
  });

  it("the plan: core1 reaches rack r2's PodCIDRs over the node (BGP) through core3 and core4 (kernel), and the default over core1", function () {
    const routes = new Map(expandExpectedRoutes(plan, plan.switches.find((s) => s.name === "core1")!).map((r) => [r.prefix, r]));
    const r2n2 = plan.nodes.find((n) => n.name === "r2n2")!.podCIDR.prefix;
    assert.deepEqual(routes.get(r2n2)!.via, ["r2n2"]);
    assert.deepEqual(routes.get(r2n2)!.fibVia, ["core3", "core4"]);
    const core3 = new Map(expandExpectedRoutes(plan, plan.switches.find((s) => s.name === "core3")!).map((r) => [r.prefix, r]));
    assert.deepEqual(core3.get("0.0.0.0/0")!.via, ["core1"]);
    assert.deepEqual(core3.get("198.18.20.0/24")!.via, ["core1", "core2"]);
  });

  it("lab check passes: sessions, exact routes and FIBs on every core, the upstream, data-plane probes across core pairs", async function () {
    let r = labCheck(plan, state!);
    const t0 = Date.now();
    while (!r.ok && Date.now() - t0 < 60000) {
      await new Promise((res) => setTimeout(res, 1000));
      r = labCheck(plan, state!);
    }
    assert.ok(r.ok, formatCheckReport(r));
    for (const kind of ["node-node", "pod-pod", "node-loopback", "node-upstream"]) assert.ok(r.dataPlane.some((p) => p.kind === kind && p.ok && !p.skipped), `${kind} probed`);
    figure(`four-core three-tier check: ${r.switches.map((s) => `${s.name} ${s.routes.length} routes`).join(", ")}; ${r.dataPlane.length} probes; ${r.ms} ms`);
  });
});
