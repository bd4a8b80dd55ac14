/**
 * Issue 12, last part, against the real thing: a dual-stack cluster from examples/dual-stack (its
 * `k8s` section) in the cluster lab — kube-apiserver, cilium-operator and one cilium-agent per rack
 * (r1n1, r2n1) with IPv6 enabled exactly as dcnet renders the values (`ipv6.enabled`,
 * `ipv6NativeRoutingCIDR`, `k8s.requireIPv6PodCIDR`) and dcnet's node patches with both PodCIDRs —
 * and pods made by the real cilium-cni (CNI ADD, as test/lab-datapath.test.ts makes them):
 *
 * 1. every pod gets an IPv4 address from its node's IPv4 PodCIDR and an IPv6 address from its
 *    node's IPv6 PodCIDR (/64); the agents' endpoints, the CiliumEndpoints and `lab check` list both;
 * 2. a pod of rack r2 reaches a pod of rack r1 over IPv6 (TCP, bounded attempts): out of r2n1 by its
 *    IPv6 default route, across leaf → spine → leaf on the IPv6 PodCIDR route BIRD announces (the
 *    switches hold exactly the plan's next hops for it), delivered by r1n1's datapath; the answer
 *    names both pods' IPv6 addresses (no translation on the way); the same over IPv4 for comparison;
 * 3. `lab check` clean: both PodCIDRs on the Node and the CiliumNode, cilium_host holding the router
 *    address of each, the probes of both families.
 *
 * Needs root, iproute2, bird2, frr and the cluster tools (scripts/build-cluster-tools.sh: also
 * cilium-cni and cilium-dbg; etcd-server, clang-19, socat, curl, iptables): skipped with a message
 * outside CI, failing under CI=true.
 */
import assert from "assert";
import { readFileSync } from "fs";
import { join } from "path";
import { resolve } from "../sdk/resolve/resolve";
import { ciliumValues, clusterContext, clusterInputsFromSpec } from "../sdk/k8s";
import { containsAddress, prefixLength } from "../sdk/net/prefix";
import { expandExpectedRoutes } from "../sdk/plan/expected-routes";
import { Plan } from "../sdk/plan/types";
import { fibNextHops, formatCheckReport, labCheck, LabState, labUp, listNamespaces } from "../sdk/lab";
import { run } from "../sdk/lab/exec";
import { vtyshJson } from "../sdk/lab/probe";
import { kubectl } from "../sdk/lab/cluster";
import { createPod, deletePod, endpointsPerNode, formatEndpoints, LabPod, nodeEndpoints, startPodServer, tcpConnect } from "../sdk/lab/cluster/pods";
import { clusterTools } from "../sdk/tools/cluster-tools";
import { datapathToolsMissing, downAndAssertGone, figure, requireClusterLab, testLabName } from "./support/lab-env";
import { dualStackPodsSpec } from "./support/lab-dual-stack-pods-spec";

/** Answer of the pods' servers: `ECHO <server address> <client address>` as socat saw the connection (IPv4 clients as ::ffff:a.b.c.d). */
function parseEcho(line: string | undefined): { server: string; client: string } | undefined {
  const m = /^ECHO (\S+) (\S+)$/.exec(line ?? "");
  // socat prints IPv6 addresses uncompressed: canonical (RFC 5952) form by the URL parser
  const canonical = (a: string) => (a.includes(":") ? new URL(`http://[${a}]/`).hostname.replace(/^\[|\]$/g, "") : a);
  const v4mapped = (a: string) => {
    const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(a);
    if (!m) return a.replace(/^::ffff:/i, "");
    const [hi, lo] = [parseInt(m[1], 16), parseInt(m[2], 16)];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
  };
  const bare = (a: string) => v4mapped(canonical(a.replace(/^\[|\]$/g, "")));
  return m ? { server: bare(m[1]), client: bare(m[2]) } : undefined;
}

/**
 * The switches' kernel routes for `prefix` against the plan: the devices behind the kernel's next
 * hops must be the plan's `via`. A global next hop is known by the plan's addresses; a link-local
 * one (FRR installs an IPv6 route via the link-local address of the BGP next hop's interface) by
 * the lab device whose namespace holds it.
 */
function switchRoutes(plan: Plan, state: LabState, prefix: string): { name: string; want: string[]; got: string[]; hops: string[] }[] {
  const owner = new Map<string, string>();
  for (const d of plan.devices) for (const i of d.interfaces) for (const a of i.addresses) owner.set(a.address, d.name);
  for (const d of plan.devices) {
    const r = run("ip", ["-n", state.devices[d.name].namespace, "-j", "-6", "addr", "show", "scope", "link"], { check: false });
    for (const l of JSON.parse(r.stdout || "[]") as { addr_info?: { local?: string }[] }[]) for (const a of l.addr_info ?? []) if (a.local && !owner.has(a.local)) owner.set(a.local, d.name);
  }
  return plan.switches.map((sw) => {
    const e = expandExpectedRoutes(plan, sw).find((r) => r.prefix === prefix);
    const via = (e as { fibVia?: string[] } | undefined)?.fibVia ?? e?.via ?? [];
    const r = run("ip", ["-n", state.devices[sw.name].namespace, "-j", "-6", "route", "show", "exact", prefix], { check: false });
    const list = JSON.parse(r.stdout || "[]") as { gateway?: string; dev?: string; nexthops?: { gateway?: string; dev?: string }[] }[];
    const hops = list.flatMap((x) => (x.nexthops ?? [x]).map((h) => ({ gateway: h.gateway ?? "", dev: h.dev ?? "" })));
    const got = hops.map((h) => owner.get(h.gateway) ?? `unknown ${h.gateway} dev ${h.dev}`);
    return { name: sw.name, want: [...via].sort(), got: [...got].sort(), hops: hops.map((h) => `${h.gateway}%${h.dev}`) };
  });
}

describe("lab dual-stack pods: examples/dual-stack's cluster with IPv6 on, pods by CNI ADD with both families, pod to pod across racks over IPv6 (real kube-apiserver, cilium-agent, cilium-cni)", function () {
  this.timeout(900000);
  const spec = dualStackPodsSpec();
  const plan = resolve(spec);
  const node = (name: string) => plan.nodes.find((n) => n.name === name)!;
  let state: LabState | undefined;
  const p: Record<string, LabPod> = {};
  let t0 = Date.now(); // reset when the suite starts (not when mocha loads the file)

  before(async function () {
    t0 = Date.now();
    this.timeout(900000);
    requireClusterLab(this, "dual-stack pods", { extra: datapathToolsMissing });
    try {
      state = await labUp(plan, { name: testLabName("ds-pods"), cluster: { inputs: clusterInputsFromSpec(spec), onProgress: (m) => console.log(`      [up] ${m}`) }, requireEstablished: true, waitTimeoutMs: 180000 });
    } catch (e) {
      state = (e as { state?: LabState }).state;
      throw e;
    }
    figure(`dual-stack pods: lab up (12 devices, ${plan.sessions.length} sessions, 2 agents) ${((Date.now() - t0) / 1000).toFixed(1)} s, agents healthy ${(state.cluster!.timings.agentsMs! / 1000).toFixed(1)} s after start`);
  });

  after(async function () {
    this.timeout(120000);
    if (!state) return;
    await downAndAssertGone(state);
    assert.deepStrictEqual(listNamespaces().filter((n) => n.startsWith(`${state!.prefix}-`)), []);
    figure(`dual-stack pods: whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it("1. the agents run with IPv6 as dcnet renders it; pods by CNI ADD get an IPv4 address from the node's PodCIDR and an IPv6 one from its IPv6 PodCIDR (/64); endpoints, CiliumEndpoints and lab check list both", async function () {
    // the values dcnet renders for the cluster (what `dcnet plan` writes to clusters/prod/values/cilium.yaml)
    const values = ciliumValues(clusterContext(plan, clusterInputsFromSpec(spec), "prod")) as { ipv6?: { enabled?: boolean }; ipv6NativeRoutingCIDR?: string; k8s?: { requireIPv6PodCIDR?: boolean } };
    assert.strictEqual(values.ipv6?.enabled, true);
    assert.strictEqual(values.k8s?.requireIPv6PodCIDR, true);
    assert.ok(values.ipv6NativeRoutingCIDR && [node("r1n1"), node("r2n1")].every((n) => containsAddress(values.ipv6NativeRoutingCIDR!, n.podCIDR6!.prefix.split("/")[0])), `ipv6NativeRoutingCIDR ${values.ipv6NativeRoutingCIDR}`);
    for (const name of ["r1n1", "r2n1"]) {
      const cfg = (k: string) => readFileSync(join(state!.cluster!.nodes[name].configDir, k), "utf8").trim();
      assert.strictEqual(cfg("enable-ipv6"), "true", `${name}: enable-ipv6`);
      assert.strictEqual(cfg("enable-ipv4"), "true", `${name}: enable-ipv4`);
      assert.strictEqual(cfg("ipv6-native-routing-cidr"), values.ipv6NativeRoutingCIDR, `${name}: ipv6-native-routing-cidr`);
      assert.strictEqual(cfg("k8s-require-ipv6-pod-cidr"), "true", `${name}: k8s-require-ipv6-pod-cidr`);
      assert.strictEqual(prefixLength(node(name).podCIDR6!.prefix), 64);
    }
    const want: [string, string][] = [
      ["web1", "r1n1"],
      ["web2", "r2n1"],
    ];
    const t = Date.now();
    for (const [name, n] of want) p[name] = createPod(state!, { name, node: n, labels: { app: "web" } });
    const added = Date.now() - t;
    // Ready: the agent's endpoint of each pod is ready with both addresses
    const ready = () => {
      const eps = endpointsPerNode(state!);
      return want.every(([name, n]) => (eps[n] ?? []).some((e) => e.ipv4 === p[name].ip && e.ipv6 === p[name].ip6 && e.state === "ready"));
    };
    let readyMs: number | undefined;
    for (let i = 0; i < 240 && readyMs === undefined; i++) {
      if (ready()) readyMs = Date.now() - t;
      else await new Promise((r) => setTimeout(r, 250));
    }
    const eps = endpointsPerNode(state!);
    console.log(formatEndpoints(eps, Object.values(p)).map((l) => `      ${l}`).join("\n"));
    assert.ok(readyMs !== undefined, `endpoints not ready with both addresses after 60 s: ${JSON.stringify(eps)}`);
    figure(`dual-stack pods: ${want.length} pods, first CNI ADD to every endpoint ready with both addresses ${readyMs} ms (CNI ADD ${want.map(([n]) => `${n} ${p[n].addMs} ms`).join(", ")}; all ADDs done after ${added} ms)`);
    for (const [name, n] of want) {
      assert.ok(p[name].ip && containsAddress(node(n).podCIDR.prefix, p[name].ip), `${name}: IPv4 ${p[name].ip} outside ${n}'s PodCIDR ${node(n).podCIDR.prefix}`);
      assert.ok(p[name].ip6 && containsAddress(node(n).podCIDR6!.prefix, p[name].ip6), `${name}: IPv6 ${p[name].ip6} outside ${n}'s IPv6 PodCIDR ${node(n).podCIDR6!.prefix}`);
      const addr = JSON.parse(run("ip", ["-n", p[name].netns, "-j", "addr", "show", "dev", "eth0"]).stdout) as { addr_info: { local: string }[] }[];
      const local = addr.flatMap((a) => a.addr_info.map((x) => x.local));
      assert.ok(local.includes(p[name].ip!) && local.includes(p[name].ip6!), `${name}: eth0 holds ${local.join(", ")}`);
      // the pod's IPv6 default route: via its node's router address (cilium_host, first host of the IPv6 PodCIDR)
      const r6 = JSON.parse(run("ip", ["-n", p[name].netns, "-j", "-6", "route", "get", "2001:db8:ffff::1"]).stdout) as { gateway?: string; dev?: string }[];
      assert.ok(r6[0]?.dev === "eth0" && r6[0].gateway && containsAddress(node(n).podCIDR6!.prefix, r6[0].gateway), `${name}: IPv6 default route ${JSON.stringify(r6)}`);
    }
    const api = state!.cluster!.clusters.prod.apiServer;
    const ceps = kubectl(api, clusterTools().kubectl!, ["get", "ciliumendpoints", "-n", "default", "-o", 'jsonpath={range .items[*]}{.metadata.name} {.status.networking.addressing[0].ipv4} {.status.networking.addressing[0].ipv6}{"\\n"}{end}']).stdout;
    for (const [name] of want) assert.ok(ceps.includes(`${name} ${p[name].ip} ${p[name].ip6}`), `CiliumEndpoint of ${name}: ${ceps}`);
    // lab check's cluster section: the endpoints per node with their IPv6 addresses
    const report = labCheck(plan, state!);
    const section = report.cluster?.[0];
    assert.ok(section, "lab check has no cluster section");
    for (const [name, n] of want) {
      const row = section.nodes.find((x) => x.name === n)!;
      assert.ok((row.endpoints ?? []).some((e) => e.ipv4 === p[name].ip && e.ipv6 === p[name].ip6 && e.state === "ready"), `lab check, ${n}: ${JSON.stringify(row.endpoints)}`);
    }
    const text = formatCheckReport(report);
    for (const [name, n] of want) assert.ok(text.split("\n").some((l) => l.includes(`${n} endpoints:`) && l.includes(p[name].ip6!)), `lab check text lists no ${p[name].ip6} for ${n}:\n${text}`);
    console.log(text.split("\n").filter((l) => / endpoints: /.test(l)).map((l) => `      ${l.trim()}`).join("\n"));
  });

  it("2. pod to pod across racks over IPv6 (and IPv4): out by the node's IPv6 default route, over the switches' routes for the IPv6 PodCIDR BIRD announces, delivered by the other node's datapath", async function () {
    const { web1, web2 } = p;
    assert.ok(web1 && web2, "the pods of step 1");
    for (const x of [web1, web2]) startPodServer(state!, x, 8080, "ECHO $SOCAT_SOCKADDR $SOCAT_PEERADDR");
    const dst6 = node("r1n1").podCIDR6!.prefix;
    // the way out of r2n1: no route of its own for r1n1's IPv6 PodCIDR, its IPv6 default route to a leaf of rack r2
    assert.strictEqual(fibNextHops(state!, "r2n1", dst6), null, `r2n1 holds a route for ${dst6}: nodes import nothing`);
    const out6 = JSON.parse(run("ip", ["-n", state!.devices.r2n1.namespace, "-j", "-6", "route", "get", web1.ip6!]).stdout) as { gateway?: string; dev?: string }[];
    assert.ok(out6[0]?.dev === "eth0" && out6[0].gateway && containsAddress("2001:db8:11::/64", out6[0].gateway), `r2n1 → ${web1.ip6}: ${JSON.stringify(out6)} (want the IPv6 default route to a leaf of rack r2)`);
    // every switch holds the plan's next hops for it (leaf1a/leaf1b: r1n1's IPv6 node address)
    const routes = switchRoutes(plan, state!, dst6);
    for (const r of routes) assert.deepStrictEqual(r.got, r.want, `${r.name}: devices behind the kernel's next hops for ${dst6} (${r.hops.join(", ") || "no route"})`);
    for (const leaf of ["leaf1a", "leaf1b"]) assert.deepStrictEqual(routes.find((r) => r.name === leaf)!.got, ["r1n1"], `${leaf}: next hop for ${dst6}`);
    // the BGP next hop the leaves learnt for it: r1n1's IPv6 node address (BIRD's announcement)
    for (const leaf of ["leaf1a", "leaf1b"]) {
      const q = vtyshJson<{ paths?: { nexthops?: { ip?: string; scope?: string }[] }[] }>(state!.devices[leaf], `show bgp ipv6 unicast ${dst6} json`);
      assert.ok(q.value, `${leaf}: ${q.error}`);
      const bgp = q.value;
      const global = (bgp.paths ?? []).flatMap((x) => x.nexthops ?? []).filter((h) => h.scope !== "link-local").map((h) => h.ip);
      assert.deepStrictEqual([...new Set(global)], ["2001:db8:10::11"], `${leaf}: BGP next hops for ${dst6}: ${JSON.stringify(bgp.paths)}`);
    }
    // first answer, then a run of connections: IPv6 (the proof), IPv4 (comparison)
    const attempts = (from: LabPod, to: string, n: number) => {
      const answers: ({ server: string; client: string } | undefined)[] = [];
      for (let i = 0; i < n; i++) answers.push(parseEcho(tcpConnect(state!, from, to, 8080)));
      return answers;
    };
    let first: number | undefined;
    const t = Date.now();
    for (let i = 0; i < 10 && first === undefined; i++) if (parseEcho(tcpConnect(state!, web2, web1.ip6!, 8080))) first = Date.now() - t;
    assert.ok(first !== undefined, `web2 (${web2.ip6}, r2n1) never reached web1 ([${web1.ip6}]:8080, r1n1) over IPv6 in 10 attempts`);
    const v6 = attempts(web2, web1.ip6!, 20);
    const ok6 = v6.filter((a) => a !== undefined);
    assert.strictEqual(ok6.length, v6.length, `IPv6 web2 → web1: ${ok6.length}/${v6.length}`);
    // the answer comes from web1's IPv6 address and saw web2's: neither end translated
    for (const a of ok6) assert.deepStrictEqual(a, { server: web1.ip6, client: web2.ip6 });
    const back6 = attempts(web1, web2.ip6!, 5).filter((a) => a !== undefined && a.server === web2.ip6 && a.client === web1.ip6).length;
    assert.strictEqual(back6, 5, `IPv6 web1 → web2: ${back6}/5`);
    const v4 = attempts(web2, web1.ip!, 20);
    const ok4 = v4.filter((a) => a !== undefined);
    assert.strictEqual(ok4.length, v4.length, `IPv4 web2 → web1: ${ok4.length}/${v4.length}`);
    for (const a of ok4) assert.deepStrictEqual(a, { server: web1.ip, client: web2.ip });
    figure(
      `dual-stack pods: pod to pod across racks (r2n1 → r1n1): IPv6 [${web2.ip6}] → [${web1.ip6}]:8080 first answer after ${first} ms, then ${ok6.length}/${v6.length} (ratio ${(ok6.length / v6.length).toFixed(2)}), back ${back6}/5; IPv4 ${web2.ip} → ${web1.ip}:8080 ${ok4.length}/${v4.length}; ` +
        `switch routes for ${dst6}: ${routes.map((r) => `${r.name} via ${r.got.join(",")}`).join("; ")}`,
    );
  });

  it("3. lab check clean in both families: both PodCIDRs on the Node and the CiliumNode, cilium_host holding each router address, probes of both families", async function () {
    let r = labCheck(plan, state!);
    for (let i = 0; i < 30 && !r.ok; i++) {
      await new Promise((res) => setTimeout(res, 1000));
      r = labCheck(plan, state!);
    }
    assert.ok(r.ok, formatCheckReport(r));
    for (const n of r.cluster![0].nodes) {
      const want = [node(n.name).podCIDR.prefix, node(n.name).podCIDR6!.prefix];
      assert.deepStrictEqual(n.plannedPodCidrs, want);
      assert.deepStrictEqual(n.nodePodCidrs, want);
      assert.deepStrictEqual([...n.ciliumNodePodCidrs].sort(), [...want].sort());
      assert.ok(n.ciliumHost.some((a) => containsAddress(want[1], a)), `${n.name}: cilium_host ${n.ciliumHost.join(", ")}`);
    }
    const pod6 = r.dataPlane.filter((x) => x.kind === "pod-pod" && x.target.includes(":") && (x.from === "r1n1" || x.from === "r2n1"));
    assert.ok(pod6.length > 0 && pod6.every((x) => x.ok), `IPv6 pod-pod probes from the agents' nodes: ${JSON.stringify(pod6)}`);
    figure(`dual-stack pods: lab check clean, ${r.dataPlane.length} probes (${r.dataPlane.filter((x) => x.target.includes(":")).length} IPv6), ${r.ms} ms`);
  });

  it("CNI DEL on teardown: the endpoint and both addresses go", async function () {
    const { name, node: n, ip, ip6 } = p.web2;
    assert.deepStrictEqual(await deletePod(state!, name), []);
    assert.ok(!(nodeEndpoints(state!, n) ?? []).some((e) => e.ipv4 === ip || e.ipv6 === ip6), `${n} still has an endpoint for ${ip} / ${ip6}`);
    assert.ok(!listNamespaces().includes(p.web2.netns));
  });
});
