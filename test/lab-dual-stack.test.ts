/**
 * The dual-stack examples in the lab with real BIRD and FRR: every session Established in both
 * families, `lab check` clean for both (exact routes and FIBs, VIP ECMP, nodes import nothing,
 * spine ECMP per family) and data-plane probes across racks in IPv4 and IPv6:
 * - examples/dual-stack (spine–leaf, a session per family on numbered /31 and /127 links),
 * - examples/dual-stack-unnumbered (spine–leaf, BGP unnumbered: one session per link on
 *   link-local addresses only, IPv4 with RFC 8950 extended next hop),
 * - examples/dual-stack-three-tier (cores, route reflection per family),
 * - examples/dual-stack-three-tier-unnumbered (three cores, racks on different pairs, an
 *   unnumbered core mesh: reflected IPv4 routes over the cores' link-local addresses, the other
 *   cores' copies of a core's own racks' paths at a lower local preference).
 * Needs root, iproute2, bird2, frr (skipped with a message outside CI, failing in CI).
 */
import assert from "assert";
import * as path from "path";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { Plan } from "../sdk/plan/types";
import { birdProtocols, formatCheckReport, frrBgpTable, frrPeers, kernelRoutes, labCheck, labDown, LabState, labUp, probeSessions, replaceBirdConfig, timeUntil } from "../sdk/lab";
import { renderBirdConfig } from "../sdk/render/bird";
import { DataCenterSpec, NodeSessionFamilies } from "../sdk/spec/types";
import { sessionFamilies } from "../sdk/plan/sessions";
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

/** The examples, the unnumbered one with a single IPv4 or IPv6 node session per switch for both families, the three-tier one with a single IPv6 one. */
const LABS: { example: string; file: string; nodeSessions?: NodeSessionFamilies }[] = [
  ...["dual-stack", "dual-stack-unnumbered", "dual-stack-three-tier", "dual-stack-three-tier-unnumbered", "dual-stack-v6only-rack"].map((example) => ({ example, file: example })),
  { example: "dual-stack-unnumbered, bgp.nodeSessions: ipv4", file: "dual-stack-unnumbered", nodeSessions: NodeSessionFamilies.ipv4 },
  { example: "dual-stack-unnumbered, bgp.nodeSessions: ipv6", file: "dual-stack-unnumbered", nodeSessions: NodeSessionFamilies.ipv6 },
  { example: "dual-stack-three-tier, bgp.nodeSessions: ipv6", file: "dual-stack-three-tier", nodeSessions: NodeSessionFamilies.ipv6 },
];

for (const { example, file, nodeSessions } of LABS) {
  describe(`lab: dual-stack ${example} (examples/${file})`, function () {
    this.timeout(300000);
    let plan: Plan;
    let state: LabState | undefined;

    before(async function () {
      requireLab(this);
      const spec = loadSpecFile(path.join(__dirname, "..", "examples", file, "datacenter.yaml")) as DataCenterSpec;
      if (nodeSessions) spec.bgp = { ...spec.bgp, nodeSessions };
      plan = resolve(spec);
      state = await labUp(plan, { name: testLabName(nodeSessions ? `${file}-${nodeSessions}` : file), requireEstablished: true });
      figure(`${example}: ${plan.sessions.length} sessions (both families) Established ${(state.timings.establishedMs! / 1000).toFixed(1)} s after up started`);
    });
    after(async function () {
      if (state) await labDown(state);
    });

    it("lab check passes for both families, with IPv4 and IPv6 probes across racks", async function () {
      await checkBothFamilies(plan, state!, example);
    });

    if (example === "dual-stack" || example === "dual-stack-unnumbered")
      it("rogue IPv6 announcements (::/0, another node's /64, a more-specific of its own, a /48 over the pool) are refused by every switch; the node's own /64 stays", async function () {
        await rogueIpv6(plan, state!);
      });

    if (nodeSessions === NodeSessionFamilies.ipv6 && file === "dual-stack-unnumbered")
      it("one IPv6 session per node and switch carries both families: BIRD has no IPv4 protocol, the leaves learn the IPv4 PodCIDR over the IPv6 neighbor with the node's IPv4 address as next hop, in BGP and in the kernel", function () {
        const s = plan.sessions.find((x) => x.id === "r1n2--leaf1a--v6")!;
        assert.deepEqual(sessionFamilies(s), ["ipv4", "ipv6"]);
        assert.equal(plan.sessions.find((x) => x.id === "r1n2--leaf1a"), undefined, "no IPv4 session");
        const protocols = birdProtocols(state!.devices["r1n2"]).protocols;
        assert.ok(protocols.has("uplink0_v6") && !protocols.has("uplink0"));
        const pod4 = plan.nodes.find((n) => n.name === "r1n2")!.podCIDR.prefix;
        const v4 = frrBgpTable(state!.devices["leaf1a"], "ipv4").routes.get(pod4)!;
        assert.deepEqual(v4.map((p) => [p.peer, p.nextHops.join()]), [[s.a.address, "198.18.10.12"]], "from the IPv6 neighbor, next hop the node's IPv4 address");
        const raw = JSON.parse(nsRun(state!.devices["leaf1a"].namespace, "ip", ["-j", "-4", "route", "show", pod4]).stdout) as { gateway?: string; flags?: string[] }[];
        assert.deepEqual(raw.map((r) => r.gateway), ["198.18.10.12"], `the kernel routes it via the node's IPv4 address, not 169.254.0.1 onlink: ${JSON.stringify(raw)}`);
      });

    if (nodeSessions === NodeSessionFamilies.ipv4)
      it("one IPv4 session per node and switch carries both families: BIRD has no IPv6 protocol, the leaves learn the IPv6 PodCIDR over the IPv4 neighbor", function () {
        const s = plan.sessions.find((x) => x.id === "r1n2--leaf1a")!;
        assert.deepEqual(sessionFamilies(s), ["ipv4", "ipv6"]);
        const protocols = birdProtocols(state!.devices["r1n2"]).protocols;
        assert.ok(protocols.has("uplink0") && !protocols.has("uplink0_v6"));
        const v6 = frrBgpTable(state!.devices["leaf1a"], "ipv6").routes.get(plan.nodes.find((n) => n.name === "r1n2")!.podCIDR6!.prefix)!;
        assert.deepEqual(v6.map((p) => [p.peer, p.nextHops.join()]), [[s.a.address, "2001:db8:10::12"]], "from the IPv4 neighbor, next hop the node's IPv6 address");
      });

    if (example === "dual-stack-v6only-rack")
      it("IPv6-only rack r3: its namespaces hold only IPv6 (2001:db8::/32) and link-local, BIRD runs only IPv6 sessions, IPv6 probes reach it from the other racks and back, no IPv4 probe touches it", async function () {
        await v6OnlyRack(plan, state!);
      });

    if (example === "dual-stack-three-tier-unnumbered")
      it("unnumbered core mesh: sessions by interface on link-local only; cores forward straight to the nodes they peer, over the other cores' link-local addresses to the rest; VIPs over their announcers", function () {
        unnumberedCores(plan, state!);
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

/**
 * examples/dual-stack-three-tier-unnumbered: the core mesh peers by interface on link-local
 * addresses only; each core forwards to the nodes it peers with directly (the other cores' copies
 * of their paths lose on local preference), reaches the rack it does not peer over the two cores
 * that do (their link-local addresses: extended next hop) and spreads each VIP over its announcers.
 */
function unnumberedCores(plan: Plan, state: LabState): void {
  const mesh = plan.sessions.filter((s) => s.kind === "core-mesh");
  assert.equal(mesh.length, 3);
  for (const s of mesh)
    for (const end of [s.a, s.b]) {
      const dev = state.devices[end.device];
      const addrs = JSON.parse(nsRun(dev.namespace, "ip", ["-j", "addr", "show", "dev", end.interface]).stdout) as { addr_info: { local: string; scope: string }[] }[];
      assert.deepEqual(addrs[0].addr_info.map((a) => `${a.local} ${a.scope}`), [`${end.address} link`], `${end.device} ${end.interface}: its link-local address only`);
      const other = end === s.a ? s.b : s.a;
      const peers = frrPeers(dev).peers;
      assert.equal(peers.get(end.interface)?.state, "Established", `${end.device} peers ${other.device} by interface ${end.interface}`);
      assert.ok(!peers.has(other.address), `${end.device}: no neighbor by address ${other.address}`);
    }
  const pod = (node: string, fam: "ipv4" | "ipv6") => {
    const n = plan.nodes.find((x) => x.name === node)!;
    return fam === "ipv4" ? n.podCIDR.prefix : n.podCIDR6!.prefix;
  };
  const fib = (sw: string, fam: "ipv4" | "ipv6", prefix: string) => [...(kernelRoutes(state.devices[sw], fam, "bgp").routes.get(prefix)?.nextHops ?? [])].sort();
  // core1 peers r1 and r3; r2 only over core2 (fe80::2) and core3 (fe80::3)
  assert.deepEqual(fib("core1", "ipv4", pod("r1n1", "ipv4")), ["198.18.20.11"], "core1: r1n1's PodCIDR straight to r1n1, not also over core2");
  assert.deepEqual(fib("core1", "ipv4", pod("r3n2", "ipv4")), ["198.18.22.12"], "core1: r3n2's PodCIDR straight to r3n2, not also over core3");
  assert.deepEqual(fib("core3", "ipv4", pod("r2n2", "ipv4")), ["198.18.21.12"], "core3: r2n2's PodCIDR straight to r2n2, not also over core2");
  assert.deepEqual(fib("core1", "ipv4", pod("r2n1", "ipv4")), ["fe80::2", "fe80::3"], "core1: r2n1 (not peered) over core2 and core3");
  assert.deepEqual(fib("core1", "ipv6", pod("r2n1", "ipv6")), ["fe80::2", "fe80::3"], "core1: r2n1's IPv6 PodCIDR over core2 and core3");
  const v4 = frrBgpTable(state.devices["core1"], "ipv4").routes.get(pod("r2n1", "ipv4"))!;
  assert.deepEqual(v4.filter((p) => p.selected).flatMap((p) => p.nextHops).sort(), ["fe80::2", "fe80::3"], "core1: the reflected IPv4 route's BGP next hops are the reflecting cores' link-local addresses");
  // the reflected copy of a directly peered node's path is there, as a backup only
  const own = frrBgpTable(state.devices["core1"], "ipv4").routes.get(pod("r1n1", "ipv4"))!;
  assert.deepEqual(own.map((p) => `${p.peer} ${p.selected}`).sort(), ["198.18.20.11 true", "fe80::2 false"], "core1: r1n1's path from core2 kept, not selected");
  // VIPs: core2 peers both announcers, core1 one of them (the other over core2 and core3)
  const vip4 = plan.vipPools.find((v) => v.family === "ipv4")!.addresses[0] + "/32";
  const vip6 = plan.vipPools.find((v) => v.family === "ipv6")!.addresses[0] + "/128";
  assert.deepEqual(fib("core2", "ipv4", vip4), ["198.18.20.11", "198.18.21.11"], "core2: the IPv4 VIP over both announcers, nothing over the other cores");
  assert.deepEqual(fib("core2", "ipv6", vip6), ["2001:db8:20::11", "2001:db8:21::11"], "core2: the IPv6 VIP over both announcers");
  assert.deepEqual(fib("core1", "ipv4", vip4), ["198.18.20.11", "fe80::2", "fe80::3"], "core1: the IPv4 VIP over r1n1 and the cores of r2n1");
  figure(`dual-stack-three-tier-unnumbered: core1 ${pod("r1n1", "ipv4")} via ${fib("core1", "ipv4", pod("r1n1", "ipv4")).join(", ")}, ${pod("r2n1", "ipv4")} via ${fib("core1", "ipv4", pod("r2n1", "ipv4")).join(", ")}; core2 ${vip4} via ${fib("core2", "ipv4", vip4).join(", ")}`);
}

/** The IPv6-only rack r3 of examples/dual-stack-v6only-rack in the lab. */
async function v6OnlyRack(plan: Plan, state: LabState): Promise<void> {
  const r3 = plan.devices.filter((d) => d.kind === "node" && d.rack === "r3").map((d) => d.name);
  assert.equal(r3.length, 3);
  for (const name of r3) {
    const links = JSON.parse(nsRun(state.devices[name].namespace, "ip", ["-j", "addr", "show"]).stdout) as { ifname: string; addr_info: { family: string; local: string; prefixlen: number }[] }[];
    const addrs = links.flatMap((l) => l.addr_info.map((a) => ({ ...a, ifname: l.ifname })));
    for (const a of addrs) {
      const ok = a.ifname === "lo" ? ["127.0.0.1", "::1"].includes(a.local) : a.family === "inet6" && (a.local.startsWith("2001:db8:") || a.local.startsWith("fe80:"));
      assert.ok(ok, `${name}: ${a.ifname} ${a.local}/${a.prefixlen}`);
    }
    assert.ok(addrs.some((a) => a.ifname === "eth0" && a.local === plan.sessions.find((s) => s.a.device === name)!.a.address), `${name}: its IPv6 address on eth0`);
    assert.ok(!addrs.some((a) => a.family === "inet" && a.ifname !== "lo"), `${name}: no IPv4 address`);
    const protocols = [...birdProtocols(state.devices[name]).protocols].filter(([, p]) => p.proto === "BGP");
    assert.deepEqual(protocols.map(([n, p]) => `${n} ${p.info}`).sort(), ["uplink0_v6 Established", "uplink1_v6 Established"], name);
    assert.ok(protocols.every(([, p]) => p.imported === 0), `${name} imports nothing`);
  }
  const r = labCheck(plan, state);
  assert.ok(r.ok, formatCheckReport(r));
  for (const kind of ["node-node", "pod-pod"]) {
    assert.ok(r.dataPlane.some((p) => p.kind === kind && p.ok && r3.includes(p.from) && familyOf(p.target) === "ipv6"), `${kind} from r3`);
    assert.ok(r.dataPlane.some((p) => p.kind === kind && p.ok && r3.includes(p.to) && !r3.includes(p.from) && familyOf(p.target) === "ipv6"), `${kind} to r3 from another rack`);
  }
  assert.ok(r.dataPlane.some((p) => p.kind === "node-loopback" && p.ok && r3.includes(p.from)), "r3 reaches the switch loopbacks over IPv6");
  assert.deepEqual(r.dataPlane.filter((p) => (r3.includes(p.from) || r3.includes(p.to)) && familyOf(p.target) === "ipv4"), [], "no IPv4 probe from or to r3");
  // the spines learn r3's IPv6 PodCIDRs from both of its leaves, and nothing of r3 in IPv4
  for (const spine of ["spine1", "spine2"]) {
    const pod = plan.nodes.find((n) => n.name === "r3n2")!.podCIDR.prefix;
    const paths = frrBgpTable(state.devices[spine], "ipv6").routes.get(pod) ?? [];
    assert.equal(paths.length, 2, `${spine}: ${pod} over leaf3a and leaf3b (${JSON.stringify(paths)})`);
  }
  figure(`dual-stack-v6only-rack r3: ${r.dataPlane.filter((p) => r3.includes(p.from) || r3.includes(p.to)).length} IPv6 probes from or to the IPv6-only rack, all answered`);
}

/**
 * A node's BIRD config edited by hand (not by dcnet): its IPv6 sessions export everything, and it
 * originates the default route, another node's IPv6 PodCIDR, a more-specific of its own and the
 * whole pool as a /48. Its leaves must accept exactly its own /64 and no switch may hold the rest.
 */
async function rogueIpv6(plan: Plan, state: LabState): Promise<void> {
  const node = "r2n3";
  const victim = "r2n2";
  const own = plan.nodes.find((n) => n.name === node)!.podCIDR6!.prefix;
  const bogus = ["::/0", plan.nodes.find((n) => n.name === victim)!.podCIDR6!.prefix, own.replace(/\/64$/, "/80"), plan.pools.podCidr6!.prefix];
  const addr6 = plan.devices.find((d) => d.name === node)!.interfaces[0].addresses.find((a) => a.family === "ipv6")!.address;
  const uplinks6 = plan.sessions.filter((s) => s.a.device === node && s.family === "ipv6");
  assert.equal(uplinks6.length, 2);
  const dev = state.devices[node];
  const rendered = renderBirdConfig(plan, node, { secretsDir: dev.bird!.secretsDir });
  const hand = rendered
    .replace(/(protocol static static6 \{\n  ipv6;\n)/, `$1${bogus.map((p) => `  route ${p} blackhole;\n`).join("")}`)
    .replace(/(protocol bgp uplink\d_v6 \{[^}]*?)export filter dcnet_export;/g, "$1export all;");
  assert.notEqual(hand, rendered);
  const established = () => probeSessions(plan, state).filter((p) => p.id.startsWith(`${node}--`)).every((p) => p.established);
  await replaceBirdConfig(state, node, hand);
  try {
    assert.ok((await timeUntil(established, 90000, 100)) !== undefined, "hand-configured sessions did not come up");
    // the node really announces all five on each IPv6 session
    for (const s of uplinks6) assert.equal(birdProtocols(dev).protocols.get(s.nodeProtocol!)!.exported, 1 + bogus.length, `${s.nodeProtocol} exports`);
    const leaves = uplinks6.map((s) => s.b.device);
    await timeUntil(() => leaves.every((sw) => frrPeers(state.devices[sw]).peers.get(addr6)?.pfxRcd === 1), 5000, 100);
    await new Promise((r) => setTimeout(r, 1000));
    for (const sw of leaves) {
      assert.strictEqual(frrPeers(state.devices[sw]).peers.get(addr6)!.pfxRcd, 1, `${sw}: only the node's own /64 accepted`);
      const table = frrBgpTable(state.devices[sw], "ipv6").routes;
      for (const p of bogus) assert.deepStrictEqual((table.get(p) ?? []).filter((x) => x.peer === addr6 || x.nextHops.includes(addr6)), [], `${sw} accepted ${p} from ${node}`);
      const fib = kernelRoutes(state.devices[sw], "ipv6", "bgp").routes.get(own)?.nextHops; // link-local next hops mapped to the global ones
      assert.ok((fib ?? []).includes(addr6), `${sw}: ${own} still via ${node} (FIB: ${JSON.stringify(fib)}, BGP: ${JSON.stringify(table.get(own))})`);
    }
    // no switch anywhere holds one of them (none is planned anywhere)
    for (const sw of plan.devices.filter((d) => d.kind === "switch").map((d) => d.name)) {
      const table = frrBgpTable(state.devices[sw], "ipv6").routes;
      for (const p of bogus.filter((x) => x !== bogus[1])) assert.ok(!table.has(p), `${sw} holds ${p}`);
      assert.ok(!(table.get(bogus[1]) ?? []).some((x) => x.peer === addr6), `${sw} took ${bogus[1]} from ${node}`);
    }
    const r = labCheck(plan, state);
    assert.deepStrictEqual(r.switches.flatMap((sw) => sw.routes.filter((x) => x.kind === "unexpected").map((x) => `${sw.name}: ${x.prefix}`)), [], formatCheckReport(r));
  } finally {
    await replaceBirdConfig(state, node, rendered);
  }
  assert.ok((await timeUntil(established, 90000, 100)) !== undefined, "dcnet config back");
}
