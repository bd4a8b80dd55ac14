/**
 * The spine–leaf example in the lab with real BIRD and FRR: the check against the plan, then the
 * adversarial and failure checks on the same lab, each restoring what it broke:
 * - route-leak protection (a node configured by hand announcing what it must not),
 * - failover with BFD (BIRD stopped, a node's cable pulled, a leaf–spine link down), measured,
 * - an l4lb node going away (the VIP stays reachable through the remaining next hops),
 * - graceful restart (the switch keeps the node's route while BIRD restarts).
 * Needs root, iproute2, bird2, frr (skipped with a message outside CI, failing in CI).
 */
import assert from "assert";
import { join } from "path";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { Plan, PlanSession } from "../sdk/plan/types";
import {
  labCheck,
  labDown,
  LabState,
  labUp,
  formatCheckReport,
  reach,
  nodeLocalAddresses,
  stopBird,
  startBirdAgain,
  replaceBirdConfig,
  setLink,
  fibNextHops,
  timeUntil,
  frrBgpTable,
  frrPeers,
  probeSessions,
  birdProtocols,
  vtysh,
} from "../sdk/lab";
import { renderBirdConfig } from "../sdk/render/bird";
import { expectedRouteOf } from "../sdk/plan/expected-routes";
import { figure, requireLab, testLabName } from "./support/lab-env";
import { frrAdvertised } from "../sdk/lab/probe";
import { nsRun } from "../sdk/lab/exec";

/** Prefixes a lab FRR device advertises to `neighbor` (IPv4). */
const frrAdvertisedTo = (dev: Parameters<typeof frrAdvertised>[0], neighbor: string) => frrAdvertised(dev, "ipv4", neighbor).prefixes;

const ROOT = join(__dirname, "..");
/** BFD 100 ms × 3 detects in 300 ms; the issue asks for a withdrawal within 1 s. */
const FAILOVER_BUDGET_MS = 1000;
/** BIRD retries a session that failed after its error wait (60 s, doubling up to 300 s). */
const RECOVERY_BOUND_MS = 330000;

describe("lab: spine–leaf example with real BIRD and FRR", function () {
  this.timeout(600000);
  let plan: Plan;
  let state: LabState | undefined;
  const started = Date.now();

  const nodeAddr = (n: string) => plan.devices.find((d) => d.name === n)!.interfaces[0].addresses[0].address;
  const router = (n: string) => nodeLocalAddresses(plan, n)[0].split("/")[0];
  const podOf = (n: string) => plan.nodes.find((x) => x.name === n)!.podCIDR.prefix;
  const leavesOf = (n: string) => plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === n).map((s) => s.b.device);
  const uplinks = (n: string) => plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === n);
  const has = (sw: string, prefix: string, hop: string) => (fibNextHops(state!, sw, prefix) ?? []).includes(hop);
  const bothEnds = (ids: (s: PlanSession) => boolean) => probeSessions(plan, state!).filter((p) => ids(plan.sessions.find((s) => s.id === p.id)!));
  const established = (n: string) => bothEnds((s) => s.a.device === n || s.b.device === n).every((p) => p.established);
  async function waitChecked(what: string, timeoutMs = 150000): Promise<number> {
    const t0 = Date.now();
    let r = labCheck(plan, state!);
    while (!r.ok && Date.now() - t0 < timeoutMs) {
      await new Promise((res) => setTimeout(res, 1000));
      r = labCheck(plan, state!);
    }
    assert.ok(r.ok, `${what}:\n${formatCheckReport(r)}`);
    return Date.now() - t0;
  }

  before(async function () {
    requireLab(this);
    plan = resolve(loadSpecFile(join(ROOT, "examples/spine-leaf/datacenter.yaml")));
    state = await labUp(plan, { name: testLabName("spine-leaf"), requireEstablished: true });
    figure(
      `spine-leaf example: all ${plan.sessions.length} sessions Established ${(state.timings.establishedMs! / 1000).toFixed(1)} s after up started (topology ${state.timings.topologyMs} ms, daemons ${state.timings.daemonsMs} ms)`,
    );
  });
  after(async function () {
    if (state) await labDown(state);
    figure(`spine-leaf lab tests took ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  });

  describe("matches the plan", function () {
    it("check: sessions on both ends, BGP tables and FIBs hold exactly the expected routes (VIP ECMP counted), nodes import nothing", function () {
      const r = labCheck(plan, state!);
      assert.ok(r.ok, formatCheckReport(r));
      figure(`spine-leaf check: ${r.switches.length} switches, ${r.switches.reduce((a, s) => a + s.routes.length, 0)} routes compared in ${r.ms} ms`);
      const spine = r.switches.find((s) => s.name === "spine1")!;
      const vipAnnouncers = plan.vipPools[0].announcers;
      for (const v of spine.routes.filter((x) => x.kind === "vip")) {
        const racks = new Set(vipAnnouncers.map((n) => plan.devices.find((d) => d.name === n)!.rack));
        assert.strictEqual(v.fib!.length, [...racks].reduce((a, rk) => a + plan.devices.filter((d) => d.role === "leaf" && d.rack === rk).length, 0));
      }
      const leaf = r.switches.find((s) => s.name === "leaf1a")!;
      for (const v of leaf.routes.filter((x) => x.kind === "vip")) assert.strictEqual(v.fib!.length, 2, `${v.prefix}: r1n1 and r1n2`);
      assert.ok(r.topologyChecks.length > 0 && r.topologyChecks.every((t) => t.ok));
    });

    it("the data plane follows the routes across the fabric (PodCIDRs of every rack, a VIP)", function () {
      const from = "r3n4";
      for (const to of ["r1n1", "r1n4", "r2n2", "r3n1"]) assert.ok(reach(state!, from, router(to), { source: router(from) }).ok, `${from} → ${to}`);
      assert.ok(reach(state!, from, plan.vipPools[0].addresses[1], { source: router(from) }).ok, "VIP");
    });
  });

  describe("the underlay and the way out", function () {
    const nodeAddrOf = (n: string) => nodeAddr(n);
    const upstream = () => state!.upstreams!["wan"];
    const leaves = () => plan.devices.filter((d) => d.kind === "switch" && d.role === "leaf");
    const rackNetworkOf = (leaf: string) => plan.switches.find((x) => x.name === leaf)!.originates.find((o) => o.kind === "rackNetwork")!.prefix;
    const inAf = (asn: number, lines: string[]) => ["configure terminal", `router bgp ${asn}`, "address-family ipv4 unicast", ...lines, "end"];

    it("node addresses across racks, switch loopbacks and the address behind the upstream are reachable (lab check's probes)", function () {
      const r = labCheck(plan, state!);
      assert.ok(r.ok, formatCheckReport(r));
      const run = r.dataPlane.filter((p) => !p.skipped);
      for (const kind of ["node-node", "pod-pod", "node-loopback", "node-upstream"]) assert.ok(run.some((p) => p.kind === kind && p.ok), `${kind} probed`);
      assert.ok(r.upstreams.length === 1 && r.upstreams[0].links.every((l) => l.ok), "the upstream receives exactly the planned aggregates");
      const leaf = r.switches.find((x) => x.name === "leaf1a")!;
      figure(
        `spine-leaf underlay: leaf1a holds ${leaf.routes.filter((x) => x.kind !== "unexpected").length} routes (${leaf.routes.filter((x) => /rackNetwork|loopback|upstream/.test(x.kind)).length} underlay), spine1 ${r.switches.find((x) => x.name === "spine1")!.routes.length}, leaf3a ${r.switches.find((x) => x.name === "leaf3a")!.routes.length}; ${run.length} data-plane probes in ${r.ms} ms`,
      );
    });

    it("without the underlay lines (the renderers before it) a node cannot reach a node of another rack; with them it can", async function () {
      const from = "r3n4";
      const to = "r1n2";
      assert.ok(reach(state!, from, nodeAddrOf(to), { source: nodeAddrOf(from) }).ok, "reachable with the underlay");
      for (const l of leaves()) assert.equal(vtysh(state!.devices[l.name], inAf(l.asn, [`no network ${rackNetworkOf(l.name)}`])).code, 0);
      try {
        const gone = await timeUntil(() => fibNextHops(state!, "leaf3a", rackNetworkOf("leaf1a")) === null, 10000, 50);
        assert.ok(gone !== undefined, "leaf3a still routes rack r1's network");
        const probe = reach(state!, from, nodeAddrOf(to), { source: nodeAddrOf(from), timeoutMs: 800 });
        assert.ok(!probe.ok, `node → node across racks must fail without the underlay (${probe.result})`);
        assert.ok(reach(state!, from, router(to), { source: router(from) }).ok, "PodCIDR traffic still works, which is why the old data-plane test passed");
      } finally {
        for (const l of leaves()) vtysh(state!.devices[l.name], inAf(l.asn, [`network ${rackNetworkOf(l.name)}`]));
      }
      await waitChecked("underlay restored");
    });

    it("rogue routes from the upstream (a PodCIDR, a VIP, a rack network, a loopback) are refused by the border leaves", async function () {
      const dev = upstream();
      const rogue = [podOf("r2n2"), `${plan.vipPools[0].addresses[3]}/32`, "198.18.11.128/25", "198.18.0.3/32"];
      const asn = plan.upstreams[0].asn;
      // the upstream can only originate what its RIB holds: give each rogue prefix an address behind it
      const addrs = rogue.map((p) => `${p.split("/")[0].replace(/\.0$/, ".1")}/${p.split("/")[1]}`);
      for (const a of addrs) nsRun(dev.namespace, "ip", ["addr", "add", a, "dev", "ext0"], { timeoutMs: 5000 });
      assert.equal(vtysh(dev, inAf(asn, rogue.map((p) => `network ${p}`))).code, 0);
      try {
        const border = plan.upstreams[0].links;
        const sent = await timeUntil(() => border.every((l) => rogue.every((p) => frrAdvertisedTo(dev, l.address).includes(p))), 15000, 100);
        assert.ok(sent !== undefined, "the upstream announces the rogue prefixes");
        await new Promise((r) => setTimeout(r, 1500));
        for (const l of border) {
          const table = frrBgpTable(state!.devices[l.switch], "ipv4").routes;
          for (const p of rogue) assert.ok(!(table.get(p) ?? []).some((x) => x.peer === l.peerAddress), `${l.switch} accepted ${p} from the upstream`);
        }
        const r = labCheck(plan, state!);
        assert.ok(r.ok, formatCheckReport(r));
      } finally {
        vtysh(dev, inAf(asn, rogue.map((p) => `no network ${p}`)));
        for (const a of addrs) nsRun(dev.namespace, "ip", ["addr", "del", a, "dev", "ext0"], { check: false, timeoutMs: 5000 });
      }
    });
  });

  describe("failover with BFD", function () {
    // the link test runs first; its slow recovery (BIRD's error wait) is checked at the end

    it("a node's cable pulled: both leaves withdraw its next hop within 1 s (BFD)", async function () {
      // prefer a node whose sessions never dropped: BIRD's error wait then stays at its minimum
      pulled = ["r1n4", "r3n3", "r2n4"].find((n) => drops(n) === 0) ?? "r1n4";
      const node = pulled;
      const [la, lb] = leavesOf(node);
      assert.ok(has(la, podOf(node), nodeAddr(node)) && has(lb, podOf(node), nodeAddr(node)));
      const t0 = Date.now();
      setLink(plan, state!, node, "eth0", false);
      const ms = await timeUntil(() => !has(la, podOf(node), nodeAddr(node)) && !has(lb, podOf(node), nodeAddr(node)), 5000, 10, t0);
      assert.ok(ms !== undefined, "route not withdrawn within 5 s");
      figure(`cable pulled (${node} eth0 bridge port down): ${la} and ${lb} withdrew ${podOf(node)} after ${ms} ms`);
      assert.ok(ms! < FAILOVER_BUDGET_MS, `${ms} ms`);
      // the rest of the rack is untouched
      const rack = plan.devices.find((d) => d.name === node)!.rack;
      const sibling = plan.devices.find((d) => d.kind === "node" && d.rack === rack && d.name !== node)!.name;
      assert.ok(has(la, podOf(sibling), nodeAddr(sibling)), `${sibling} untouched`);
      setLink(plan, state!, node, "eth0", true);
    });

    it("BIRD stopped on a node: both leaves withdraw its next hop within 1 s; started again, the route returns", async function () {
      const node = "r1n3";
      const [la, lb] = leavesOf(node);
      const t0 = Date.now();
      await stopBird(state!, node, "down");
      const ms = await timeUntil(() => !has(la, podOf(node), nodeAddr(node)) && !has(lb, podOf(node), nodeAddr(node)), 5000, 10, t0);
      assert.ok(ms !== undefined, "route not withdrawn within 5 s");
      figure(`BIRD stopped on ${node} (birdc down): ${la} and ${lb} withdrew ${podOf(node)} after ${ms} ms`);
      assert.ok(ms! < FAILOVER_BUDGET_MS, `${ms} ms`);
      const t1 = Date.now();
      await startBirdAgain(state!, node);
      const back = await timeUntil(() => has(la, podOf(node), nodeAddr(node)) && has(lb, podOf(node), nodeAddr(node)), 60000, 50, t1);
      assert.ok(back !== undefined, "route did not come back within 60 s");
      figure(`BIRD started again on ${node}: route back on both leaves after ${(back! / 1000).toFixed(1)} s`);
    });

    it("an l4lb node going away leaves the VIP reachable through the remaining next hops", async function () {
      const vip = `${plan.vipPools[0].addresses[2]}/32`;
      const [la] = leavesOf("r1n1");
      assert.deepStrictEqual(fibNextHops(state!, la, vip), [nodeAddr("r1n1"), nodeAddr("r1n2")].sort());
      const t0 = Date.now();
      await stopBird(state!, "r1n1", "down");
      const ms = await timeUntil(() => (fibNextHops(state!, la, vip) ?? []).join() === nodeAddr("r1n2"), 5000, 10, t0);
      assert.ok(ms !== undefined, `VIP next hops on ${la}: ${fibNextHops(state!, la, vip)}`);
      figure(`l4lb r1n1 stopped: ${la} narrowed ${vip} to r1n2 after ${ms} ms`);
      for (let i = 0; i < 4; i++) assert.ok(reach(state!, "r3n4", vip.split("/")[0], { source: router("r3n4") }).ok, "VIP reachable");
      // both l4lb nodes of rack r1 gone: the spines keep the VIP through rack r2's leaves only
      await stopBird(state!, "r1n2", "down");
      const r2 = plan.devices.filter((d) => d.role === "leaf" && d.rack === "r2").map((d) => plan.sessions.find((s) => s.kind === "leaf-spine" && s.a.device === d.name && s.b.device === "spine1")!.a.address).sort();
      const ms2 = await timeUntil(() => (fibNextHops(state!, "spine1", vip) ?? []).join() === r2.join(), 10000, 20);
      assert.ok(ms2 !== undefined, `spine1 VIP next hops: ${fibNextHops(state!, "spine1", vip)}`);
      for (let i = 0; i < 4; i++) assert.ok(reach(state!, "r3n4", vip.split("/")[0], { source: router("r3n4") }).ok, "VIP reachable via r2n1");
      await startBirdAgain(state!, "r1n1");
      await startBirdAgain(state!, "r1n2");
      const back = await timeUntil(() => (fibNextHops(state!, la, vip) ?? []).length === 2, 60000, 100);
      assert.ok(back !== undefined, "l4lb nodes did not come back");
    });
  });

  describe("graceful restart", function () {
    it("restarting BIRD with graceful restart keeps the switch's route for the node's PodCIDR throughout", async function () {
      const node = "r2n2";
      const [la, lb] = leavesOf(node);
      const pod = podOf(node);
      let missing = 0;
      let samples = 0;
      let stopped = false;
      const sampler = (async () => {
        while (!stopped) {
          samples++;
          if (!has(la, pod, nodeAddr(node)) || !has(lb, pod, nodeAddr(node))) missing++;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const t0 = Date.now();
      await stopBird(state!, node, "graceful");
      // the switch marks the routes stale and keeps them (and forwarding) while BIRD is away
      await new Promise((r) => setTimeout(r, 1500));
      const table = frrBgpTable(state!.devices[la], "ipv4").routes.get(pod);
      assert.ok(table && table.length > 0, "route kept in BGP");
      // BIRD comes back in graceful-restart recovery (-R): forwarding state preserved (F bit)
      await startBirdAgain(state!, node, { recovery: true });
      const up = await timeUntil(() => established(node), 60000, 100);
      stopped = true;
      await sampler;
      assert.ok(up !== undefined, "sessions did not come back");
      figure(`graceful restart of BIRD on ${node}: sessions back after ${((Date.now() - t0) / 1000).toFixed(1)} s; route present in ${samples - missing}/${samples} samples on ${la} and ${lb}`);
      assert.strictEqual(missing, 0, `route missing in ${missing} of ${samples} samples`);
      // once BIRD has re-sent its routes (End-of-RIB) the switch no longer marks them stale
      const fresh = await timeUntil(() => (frrBgpTable(state!.devices[la], "ipv4").routes.get(pod) ?? []).every((p) => !p.stale), 30000, 200);
      assert.ok(fresh !== undefined, "route still stale 30 s after the restart");
      assert.ok(reach(state!, "r3n4", router(node), { source: router("r3n4") }).ok);
    });

    it("a crashed BIRD (SIGKILL, no NOTIFICATION) is treated as a restart: the route stays until BIRD is back", async function () {
      const node = "r2n3";
      const [la] = leavesOf(node);
      const pod = podOf(node);
      await stopBird(state!, node, "kill");
      await new Promise((r) => setTimeout(r, 2000)); // well past BFD detection (300 ms)
      assert.ok(has(la, pod, nodeAddr(node)), "route kept as stale by graceful restart");
      const peer = frrPeers(state!.devices[la]).peers.get(nodeAddr(node));
      assert.notStrictEqual(peer?.state, "Established");
      await startBirdAgain(state!, node, { recovery: true });
      const up = await timeUntil(() => established(node), 60000, 100);
      assert.ok(up !== undefined);
      figure(`crashed BIRD on ${node}: route kept ${la}-side while down; sessions back ${(up! / 1000).toFixed(1)} s after restart`);
    });
  });

  describe("route-leak protection", function () {
    it("a node configured by hand to announce a default route, another node's PodCIDR, a /16 over the pool and a /26 of its own: the leaves accept none, legitimate routes stay", async function () {
      const node = "r3n2";
      const victim = "r3n1";
      const own = podOf(node);
      const [ownNet] = own.split("/");
      const bogus = ["0.0.0.0/0", podOf(victim), plan.pools.podCidr.prefix.replace(/\/\d+$/, "/16"), `${ownNet}/26`];
      const ups = uplinks(node);
      const dev = state!.devices[node];
      // written by hand, not by dcnet: exports everything it has, same sessions and password
      const hand = [
        `router id ${nodeAddr(node)};`,
        "protocol device {}",
        "protocol static hand4 {",
        "  ipv4;",
        ...[own, ...bogus].map((p) => `  route ${p} blackhole;`),
        "}",
        "protocol bfd { interface \"*\" { interval 100 ms; multiplier 3; }; }",
        ...ups.map((s) =>
          [
            `protocol bgp ${s.nodeProtocol} {`,
            `  local ${s.a.address} as ${s.a.asn};`,
            `  neighbor ${s.b.address} as ${s.b.asn};`,
            "  direct;",
            `  hold time ${s.timers.hold}; keepalive time ${s.timers.keepalive};`,
            "  graceful restart on;",
            "  bfd on;",
            `  password "${state!.passwords[s.passwordRef!]}";`,
            "  ipv4 { import none; export all; };",
            "}",
          ].join("\n"),
        ),
        "",
      ].join("\n");
      await replaceBirdConfig(state!, node, hand);
      const up = await timeUntil(() => established(node), 90000, 100);
      assert.ok(up !== undefined, "hand-configured sessions did not come up");
      // BIRD exports all five prefixes on each session
      const exported = birdProtocols(dev).protocols.get(ups[0].nodeProtocol!)!.exported;
      assert.strictEqual(exported, 5, "the hand-written node really announces them");
      await new Promise((r) => setTimeout(r, 1000));
      for (const sw of leavesOf(node)) {
        const table = frrBgpTable(state!.devices[sw], "ipv4").routes;
        for (const p of bogus) {
          const fromNode = (table.get(p) ?? []).filter((x) => x.nextHops.includes(nodeAddr(node)) || x.peer === nodeAddr(node));
          assert.deepStrictEqual(fromNode, [], `${sw} accepted ${p} from ${node}`);
        }
      }
      for (const sw of [...leavesOf(node), "spine1", "spine2", "leaf1a"]) {
        const table = frrBgpTable(state!.devices[sw], "ipv4").routes;
        for (const p of bogus.filter((x) => x !== podOf(victim))) {
          // the default route is planned (from the upstream): it must stay exactly as planned
          const planned = expectedRouteOf(plan, plan.switches.find((x) => x.name === sw)!, p);
          if (planned) {
            assert.ok(!(table.get(p) ?? []).some((x) => x.peer === nodeAddr(node) || x.nextHops.includes(nodeAddr(node))), `${sw} took ${p} from ${node}`);
            assert.deepStrictEqual(fibNextHops(state!, sw, p), [...(planned.fibNextHops ?? planned.nextHops)].sort(), `${sw} ${p} as planned`);
            continue;
          }
          assert.ok(!table.has(p), `${sw} holds ${p}`);
          assert.strictEqual(fibNextHops(state!, sw, p), null, `${sw} installed ${p}`);
        }
      }
      for (const sw of leavesOf(node)) {
        assert.deepStrictEqual(fibNextHops(state!, sw, podOf(victim)), [nodeAddr(victim)], `${victim}'s PodCIDR still via ${victim} only`);
        assert.deepStrictEqual(fibNextHops(state!, sw, own), [nodeAddr(node)], "its legitimate PodCIDR stays");
        assert.strictEqual(frrPeers(state!.devices[sw]).peers.get(nodeAddr(node))!.pfxRcd, 1, "only one prefix accepted");
      }
      // no switch anywhere holds a route the plan does not expect (the pulled cable's node may
      // still be waiting to come back: the full check runs after every failure test)
      const r = labCheck(plan, state!);
      const unexpected = r.switches.flatMap((sw) => sw.routes.filter((x) => x.kind === "unexpected").map((x) => `${sw.name}: ${x.prefix}`));
      assert.deepStrictEqual(unexpected, [], formatCheckReport(r));
      const otherProblems = r.problems.filter((p) => !p.includes(nodeAddr(pulled)) && !p.startsWith(`${pulled}:`) && !p.includes(`(${pulled})`) && !p.includes(podOf(pulled)));
      assert.deepStrictEqual(otherProblems, [], formatCheckReport(r));
      // back to the dcnet config
      await replaceBirdConfig(state!, node, renderBirdConfig(plan, node, { secretsDir: dev.bird!.secretsDir }));
      assert.ok((await timeUntil(() => established(node), 90000, 100)) !== undefined);
    });
  });

  describe("after every failure", function () {
    it("the pulled cable's node came back by itself, and the whole lab matches the plan again", async function () {
      const node = pulled;
      const [la, lb] = leavesOf(node);
      const back = await timeUntil(() => has(la, podOf(node), nodeAddr(node)) && has(lb, podOf(node), nodeAddr(node)), RECOVERY_BOUND_MS - (Date.now() - linkDownAtOf()), 500);
      assert.ok(back !== undefined, `${node} did not come back`);
      figure(`cable of ${node} restored: route back on both leaves ${((Date.now() - linkDownAtOf()) / 1000).toFixed(0)} s after the pull (BIRD's error wait: 60 s, doubling per consecutive error)`);
      const waited = await waitChecked("after the failure tests");
      figure(`whole spine-leaf lab matches the plan again (${(waited / 1000).toFixed(0)} s of waiting after the last recovery)`);
    });
  });

  describe("fabric link failure (last: FRR 8.4 keeps a stale kernel next-hop group after a link flap)", function () {
    let leafEnd: { device: string; interface: string; address: string };
    let other = "";
    const pod = () => podOf("r1n1");

    it("a leaf–spine link down: the spine drops that leaf as next hop within 1 s and keeps the other leaf", async function () {
      const link = plan.segments.find((s) => s.kind === "p2p" && s.members.some((m) => m.device === "leaf1a") && s.members.some((m) => m.device === "spine1"))!;
      leafEnd = link.members.find((m) => m.device === "leaf1a")!;
      other = plan.sessions.find((s) => s.kind === "leaf-spine" && s.a.device === "leaf1b" && s.b.device === "spine1")!.a.address;
      assert.ok(has("spine1", pod(), leafEnd.address) && has("spine1", pod(), other));
      const t0 = Date.now();
      setLink(plan, state!, "leaf1a", leafEnd.interface, false);
      const ms = await timeUntil(() => !has("spine1", pod(), leafEnd.address), 5000, 10, t0);
      assert.ok(ms !== undefined);
      figure(`leaf1a–spine1 link down: spine1 dropped leaf1a for ${pod()} after ${ms} ms`);
      assert.ok(ms! < FAILOVER_BUDGET_MS);
      assert.deepStrictEqual(fibNextHops(state!, "spine1", pod()), [other]);
      assert.ok(reach(state!, "r3n4", router("r1n1"), { source: router("r3n4") }).ok, "still reachable over leaf1b");
    });

    it("the link restored: the session returns and the spine's FIB has both leaves again (ECMP)", async function () {
      setLink(plan, state!, "leaf1a", leafEnd.interface, true);
      const t0 = Date.now();
      const session = await timeUntil(() => frrPeers(state!.devices.spine1).peers.get(leafEnd.address)?.state === "Established", 120000, 100);
      assert.ok(session !== undefined, "leaf1a–spine1 session did not come back");
      const bgp = await timeUntil(() => (frrBgpTable(state!.devices.spine1, "ipv4").routes.get(pod()) ?? []).filter((p) => p.selected).length === 2, 30000, 100);
      assert.ok(bgp !== undefined, "BGP did not select both leaves again");
      const fib = await timeUntil(() => has("spine1", pod(), leafEnd.address), 15000, 100);
      figure(`leaf1a–spine1 link restored: session back after ${(session! / 1000).toFixed(1)} s; FIB ${fib === undefined ? "STILL WITHOUT leaf1a 15 s after BGP selected it again" : `back after ${((Date.now() - t0) / 1000).toFixed(1)} s`}`);
      assert.ok(
        fib !== undefined,
        `spine1: BGP selects ${pod()} via both leaves but the kernel route has ${fibNextHops(state!, "spine1", pod())} only — ` +
          "zebra (FRR 8.4) kept a kernel next-hop group the kernel had emptied when the link lost carrier (FRR PRs 13413, 14080, fixed in FRR 9.x); " +
          "the switch config needs `no zebra nexthop kernel enable` (or FRR >= 9.1)",
      );
    });
  });

  // the cable test's node and start time, shared across describes
  let pulled = "r1n4";
  let pulledAt = 0;
  /** Sessions of a node that dropped since the lab came up (switch side). */
  const drops = (n: string) =>
    uplinks(n).reduce((a, s) => {
      const j = JSON.parse(vtysh(state!.devices[s.b.device], `show bgp neighbors ${s.a.address} json`).stdout || "{}");
      return a + Number(j[s.a.address]?.connectionsDropped ?? 1);
    }, 0);
  const linkDownAtOf = () => pulledAt || started;
  beforeEach(function () {
    if (this.currentTest?.title.startsWith("a node's cable pulled")) pulledAt = Date.now();
  });
});
