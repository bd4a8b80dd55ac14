/**
 * The dual-stack examples in the lab with real BIRD and FRR: every session Established in both
 * families, `lab check` clean for both (exact routes and FIBs, VIP ECMP, nodes import nothing,
 * spine ECMP per family) and data-plane probes across racks in IPv4 and IPv6:
 * - examples/dual-stack (spine–leaf, a session per family on numbered /31 and /127 links),
 * - examples/dual-stack-unnumbered (spine–leaf, BGP unnumbered: one session per link on
 *   link-local addresses only, IPv4 with RFC 8950 extended next hop),
 * - examples/dual-stack-three-tier (cores, route reflection per family).
 * Needs root, iproute2, bird2, frr (skipped with a message outside CI, failing in CI).
 */
import assert from "assert";
import * as path from "path";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { Plan } from "../sdk/plan/types";
import { formatCheckReport, frrPeers, labCheck, labDown, LabState, labUp } from "../sdk/lab";
import { vtyshJson } from "../sdk/lab/probe";
import { figure, requireLab, testLabName } from "./support/lab-env";
import { familyOf } from "../sdk/net/prefix";
import { nsRun } from "../sdk/lab/exec";

/** `lab check` until clean (bounded), then the probes of both families. */
async function checkBothFamilies(plan: Plan, state: LabState, example: string): Promise<void> {
  let r = labCheck(plan, state);
  const t0 = Date.now();
  while (!r.ok && Date.now() - t0 < 60000) {
    await new Promise((res) => setTimeout(res, 1000));
    r = labCheck(plan, state);
  }
  assert.ok(r.ok, formatCheckReport(r));
  for (const fam of ["ipv4", "ipv6"])
    for (const kind of ["node-node", "pod-pod", "node-loopback"])
      assert.ok(r.dataPlane.some((p) => p.kind === kind && p.ok && !p.skipped && familyOf(p.target) === fam), `${fam} ${kind} probed`);
  for (const s of r.switches) assert.ok(s.routes.some((x) => x.family === "ipv6"), `${s.name} checked IPv6 routes`);
  for (const s of r.switches) assert.ok(s.routes.some((x) => x.family === "ipv4"), `${s.name} checked IPv4 routes`);
  figure(`${example} check: ${r.switches.map((s) => `${s.name} ${s.routes.length} routes`).join(", ")}; ${r.dataPlane.length} probes; ${r.ms} ms`);
}

for (const example of ["dual-stack", "dual-stack-unnumbered", "dual-stack-three-tier"]) {
  describe(`lab: dual-stack ${example} (examples/${example})`, function () {
    this.timeout(300000);
    let plan: Plan;
    let state: LabState | undefined;

    before(async function () {
      requireLab(this);
      plan = resolve(loadSpecFile(path.join(__dirname, "..", "examples", example, "datacenter.yaml")));
      state = await labUp(plan, { name: testLabName(example), requireEstablished: true });
      figure(`${example}: ${plan.sessions.length} sessions (both families) Established ${(state.timings.establishedMs! / 1000).toFixed(1)} s after up started`);
    });
    after(async function () {
      if (state) await labDown(state);
    });

    it("lab check passes for both families, with IPv4 and IPv6 probes across racks", async function () {
      await checkBothFamilies(plan, state!, example);
    });

    if (example === "dual-stack-unnumbered")
      it("unnumbered: fabric links hold only their link-local address, FRR peers by interface, IPv4 goes over IPv6 next hops", function () {
        const spine = state!.devices["spine1"];
        const sessions = plan.sessions.filter((s) => s.unnumbered && s.b.device === "spine1");
        assert.equal(sessions.length, 4);
        for (const s of sessions) {
          const addrs = JSON.parse(nsRun(spine.namespace, "ip", ["-j", "addr", "show", "dev", s.b.interface]).stdout) as { addr_info: { local: string; scope: string }[] }[];
          assert.deepEqual(addrs[0].addr_info.map((a) => `${a.local} ${a.scope}`), [`${s.b.address} link`], `${s.b.interface}: no global address, no EUI-64 one`);
        }
        const peers = frrPeers(spine).peers;
        for (const s of sessions) assert.equal(peers.get(s.b.interface)?.state, "Established", `spine1 ${s.b.interface}`);
        // IPv4 NLRI with an IPv6 next hop: the leaf's link-local address (RFC 8950)
        const r = vtyshJson<{ routes: Record<string, { nexthops: { ip: string; afi: string }[]; bestpath?: boolean }[]> }>(spine, "show bgp ipv4 unicast json");
        const paths = r.value!.routes["198.19.0.0/24"];
        assert.deepEqual([...new Set(paths.flatMap((p) => p.nexthops.map((n) => `${n.afi} ${n.ip}`)))].sort(), ["ipv6 fe80::3", "ipv6 fe80::4"]);
      });
  });
}
