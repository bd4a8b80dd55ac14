/**
 * `lab check`'s cluster section, and what the rest of the check needs to know about nodes whose
 * BGP speaker is Cilium's:
 *
 * - `clusterProbeSessions()`: `probeSessions()` with the node end of Cilium-spoken sessions read
 *   from the agent's API (`/v1/bgp/peers`);
 * - `planForCheck()`: the plan as the switches must see it: a Cilium speaker announces only the
 *   /32s of LoadBalancer IPs allocated to Services (BIRD announces the whole pool), so
 *   unallocated VIP /32s of those nodes leave the expected routes;
 * - `ciliumNodeCheck()`: the node row of a Cilium-spoken node (sessions, nothing imported);
 * - `checkClusters()`: per cluster: API server ready, operator alive, per node: agent healthy,
 *   Node and CiliumNode hold exactly the planned PodCIDRs (dual-stack: both families),
 *   `cilium_host` holds an address of each, the agent's RSS, the endpoints with their addresses
 *   of both families; the LoadBalancer Services and their addresses.
 */
import { Plan, PlanDevice, PlanExpectedRouteGroup } from "../../plan/types";
import { groupPrefixes } from "../../plan/expected-routes";
import { containsAddress } from "../../net/prefix";
import { processAlive } from "../down";
import { run } from "../exec";
import { probeSessions, SessionProbe } from "../probe";
import { LabState } from "../state";
import type { NodeCheck } from "../check";
import { kubectl } from "./apiserver";
import { agentApi, agentHealth, agentPid, rssKb } from "./agent";
import { labPods, nodeEndpoints } from "./pods";
import { nodePodCidrs } from "./objects";
import { LabCluster, LabClusterNode } from "./types";

/** One BGP peer as the agent reports it. */
interface AgentPeer {
  "peer-address"?: string;
  "session-state"?: string;
  "peer-asn"?: number;
  families?: { afi?: string; received?: number; accepted?: number; advertised?: number }[];
}

/** The agent's BGP peers by peer address. */
export function agentPeers(node: LabClusterNode): Map<string, AgentPeer> | undefined {
  const list = agentApi<AgentPeer[]>(node, "/bgp/peers");
  if (!list) return undefined;
  return new Map(list.map((p) => [p["peer-address"] ?? "", p]));
}

const est = (s: string | undefined) => (s ?? "").toLowerCase() === "established";

/** `probeSessions` with the node end of Cilium-spoken sessions from the agents. */
export function clusterProbeSessions(plan: Plan, state: LabState): SessionProbe[] {
  const base = probeSessions(plan, state);
  const nodes = state.cluster?.nodes ?? {};
  if (!Object.values(nodes).some((n) => n.speaker === "cilium")) return base;
  const cache = new Map<string, Map<string, AgentPeer> | undefined>();
  return base.map((s, i) => {
    const ps = plan.sessions[i];
    const n = nodes[ps.a.device];
    if (!n || n.speaker !== "cilium") return s;
    if (!cache.has(n.name)) cache.set(n.name, agentPeers(n));
    const peers = cache.get(n.name);
    const p = peers?.get(ps.b.address);
    const a = peers ? (p ? (est(p["session-state"]) ? "Established" : p["session-state"] ?? "unknown") : "not configured") : "agent API not answering";
    return { ...s, a: { device: ps.a.device, state: a }, established: a === "Established" && /^Established/.test(s.b.state) };
  });
}

/** LoadBalancer IPs allocated to Services in a cluster. */
export function allocatedLoadBalancerIps(c: LabCluster, kubectlBin: string): { service: string; ips: string[] }[] {
  const r = kubectl(c.apiServer, kubectlBin, ["get", "services", "-A", "-o", "json"], { check: false });
  if (r.code !== 0) return [];
  const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string; namespace: string }; spec: { type?: string }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }[] }).items;
  return items
    .filter((s) => s.spec.type === "LoadBalancer")
    .map((s) => ({ service: `${s.metadata.namespace}/${s.metadata.name}`, ips: (s.status?.loadBalancer?.ingress ?? []).map((x) => x.ip ?? "").filter(Boolean) }));
}

/**
 * The plan as `lab check` must compare it with a lab whose nodes include Cilium speakers: their
 * VIP announcements (and the switches' expected VIP routes via them) only for allocated IPs.
 */
export function planForCheck(plan: Plan, state: LabState, kubectlBin: string | undefined): Plan {
  const nodes = state.cluster?.nodes ?? {};
  const cilium = new Set(Object.values(nodes).filter((n) => n.speaker === "cilium").map((n) => n.name));
  if (cilium.size === 0 || !kubectlBin) return plan;
  const allocated = new Set<string>();
  for (const c of Object.values(state.cluster!.clusters)) for (const s of allocatedLoadBalancerIps(c, kubectlBin)) for (const ip of s.ips) allocated.add(`${ip}/32`);
  const copy = JSON.parse(JSON.stringify(plan)) as Plan;
  const dropped = new Set<string>();
  for (const n of copy.nodes) {
    if (!cilium.has(n.name)) continue;
    n.announcements = n.announcements.filter((a) => {
      const keep = a.kind !== "vip" || allocated.has(a.prefix);
      if (!keep) dropped.add(a.prefix);
      return keep;
    });
  }
  // a VIP /32 still announced by a BIRD node stays expected (with its BIRD next hops only: the check reads `via`)
  const announcedBy = new Map<string, Set<string>>();
  for (const n of copy.nodes) for (const a of n.announcements) announcedBy.set(a.prefix, new Set([...(announcedBy.get(a.prefix) ?? []), n.name]));
  for (const sw of copy.switches) {
    const groups = sw.expectedRoutes as unknown as (PlanExpectedRouteGroup & { prefix?: string; prefixes?: string[] })[];
    const out: typeof groups = [];
    for (const g of groups) {
      const prefixes = g.prefixes || g.set !== undefined ? groupPrefixes(plan, { ...g, prefixes: g.prefixes ?? [] }) : g.prefix ? [g.prefix] : [];
      for (const p of prefixes) {
        if (!dropped.has(p)) {
          // one prefix per group, the shared list read out (`set`/`except` dropped by the copy below)
          out.push({ ...g, set: undefined, except: undefined, prefix: undefined, prefixes: [p] });
          continue;
        }
        const by = announcedBy.get(p);
        if (!by) continue;
        const keep = g.via.map((v, i) => ({ v, h: g.nextHops[i] })).filter((x) => by.has(x.v) || !plan.devices.some((d) => d.name === x.v && d.kind === "node"));
        if (keep.length > 0) out.push({ ...g, set: undefined, except: undefined, prefix: undefined, prefixes: [p], nextHops: keep.map((x) => x.h), via: keep.map((x) => x.v) });
      }
    }
    (sw as unknown as { expectedRoutes: typeof out }).expectedRoutes = out.map((g) => JSON.parse(JSON.stringify(g)) as (typeof out)[number]);
  }
  return copy;
}

/** The node row of a node whose BGP speaker is its Cilium agent. */
export function ciliumNodeCheck(plan: Plan, state: LabState, d: PlanDevice, problems: string[]): NodeCheck {
  const node = state.cluster!.nodes[d.name];
  const announcements = plan.nodes.find((n) => n.name === d.name)?.announcements.length ?? 0;
  const out: NodeCheck = { name: d.name, sessions: [], kernelBirdRoutes: 0, announcements, errors: [], ok: true };
  const fail = (m: string) => {
    out.ok = false;
    problems.push(`${d.name}: ${m}`);
  };
  const peers = agentPeers(node);
  if (!peers) {
    out.errors.push("the agent's API does not answer");
    fail("cilium-agent API does not answer (/v1/bgp/peers)");
  }
  for (const s of plan.sessions.filter((x) => x.a.device === d.name)) {
    const p = peers?.get(s.b.address);
    const imported = (p?.families ?? []).reduce((a, f) => a + (f.accepted ?? 0), 0);
    const exported = (p?.families ?? []).reduce((a, f) => a + (f.advertised ?? 0), 0);
    const st = p ? (est(p["session-state"]) ? "Established" : p["session-state"] ?? "unknown") : "not configured";
    const row = { protocol: `cilium:${s.nodeProtocol ?? s.b.device}`, session: s.id, peer: s.b.address, state: st, imported, exported, ok: st === "Established" && imported === 0 };
    out.sessions.push(row);
    if (peers && st !== "Established") fail(`Cilium BGP peer ${s.b.address} (${s.id}) is ${st}`);
    if (imported > 0) fail(`Cilium BGP peer ${s.b.address} (${s.id}): ${imported} routes accepted; nodes must import nothing`);
  }
  // nothing from BGP in the node's kernel table
  const k = run("ip", ["-n", state.devices[d.name].namespace, "-j", "route", "show", "proto", "bgp"], { check: false, timeoutMs: 5000 });
  const routes = k.code === 0 ? (JSON.parse(k.stdout || "[]") as unknown[]).length : 0;
  out.kernelBirdRoutes = routes;
  if (routes > 0) fail(`${routes} BGP routes in the node's kernel table; nodes must import nothing`);
  return out;
}

/** One node of the cluster section. */
export interface ClusterNodeCheck {
  name: string;
  speaker: "bird" | "cilium";
  agent: string;
  plannedPodCidr: string;
  /** Every planned PodCIDR of the node, IPv4 first (dual-stack: the IPv6 one too). */
  plannedPodCidrs: string[];
  /** Node object: spec.podCIDR or the annotation. */
  nodePodCidr: string | null;
  /** Node object: spec.podCIDRs (dual-stack: one per family). */
  nodePodCidrs: string[];
  /** CiliumNode spec.ipam.podCIDRs. */
  ciliumNodePodCidrs: string[];
  /** Addresses on cilium_host in the node's namespace: IPv4, then IPv6 (no link-local). */
  ciliumHost: string[];
  rssMb: number;
  /** The agent's pod endpoints (its API), with the lab's pod of each address (sdk/lab/cluster/pods.ts). */
  endpoints?: { id: number; state: string; identity?: number; ipv4?: string; ipv6?: string; pod?: string }[];
  ok: boolean;
}

/** One cluster of the cluster section. */
export interface ClusterCheck {
  name: string;
  speaker: "bird" | "cilium";
  apiServer: string;
  operator: string;
  nodes: ClusterNodeCheck[];
  services: { service: string; ips: string[] }[];
  ok: boolean;
}

function cmdOut(args: string[]): string {
  const r = run(args[0], args.slice(1), { check: false, timeoutMs: 8000 });
  return r.code === 0 ? r.stdout : "";
}

/** The cluster section of `lab check`. */
export function checkClusters(plan: Plan, state: LabState, kubectlBin: string | undefined, problems: string[]): ClusterCheck[] {
  const cs = state.cluster;
  if (!cs) return [];
  return Object.values(cs.clusters).map((c) => {
    const out: ClusterCheck = { name: c.name, speaker: c.speaker, apiServer: "unknown", operator: "unknown", nodes: [], services: [], ok: true };
    const fail = (m: string) => {
      out.ok = false;
      problems.push(`cluster ${c.name}: ${m}`);
    };
    if (!kubectlBin) fail("kubectl not found (scripts/build-cluster-tools.sh)");
    const ready = kubectlBin ? kubectl(c.apiServer, kubectlBin, ["get", "--raw", "/readyz"], { check: false }) : undefined;
    out.apiServer = ready?.code === 0 && ready.stdout.trim() === "ok" ? "ready" : `not ready${ready ? `: ${(ready.stderr || ready.stdout).trim().slice(0, 120)}` : ""}`;
    if (out.apiServer !== "ready") fail(`kube-apiserver ${out.apiServer}`);
    const op = [...state.processes].reverse().find((p) => p.device === `k8s-${c.name}` && p.daemon === "cilium-operator");
    out.operator = op?.pid !== undefined && processAlive(op.pid) ? "running" : "stopped";
    if (out.operator !== "running") fail("cilium-operator is not running");
    const nodesJson = kubectlBin && out.apiServer === "ready" ? cmdOut([kubectlBin, "--kubeconfig", c.apiServer.kubeconfig, "get", "nodes", "-o", "json"]) : "";
    const cnJson = kubectlBin && out.apiServer === "ready" ? cmdOut([kubectlBin, "--kubeconfig", c.apiServer.kubeconfig, "get", "ciliumnodes", "-o", "json"]) : "";
    type Obj = { metadata: { name: string; annotations?: Record<string, string> }; spec?: { podCIDR?: string; podCIDRs?: string[]; ipam?: { podCIDRs?: string[] } } };
    const k8sNodes = new Map(((nodesJson ? (JSON.parse(nodesJson) as { items: Obj[] }).items : []) as Obj[]).map((o) => [o.metadata.name, o]));
    const ciliumNodes = new Map(((cnJson ? (JSON.parse(cnJson) as { items: Obj[] }).items : []) as Obj[]).map((o) => [o.metadata.name, o]));
    for (const name of c.nodes) {
      const n = state.cluster!.nodes[name];
      const wants = nodePodCidrs(plan, name);
      const want = wants[0] ?? "";
      const kn = k8sNodes.get(name);
      const nodePodCidr = kn?.spec?.podCIDR ?? kn?.metadata.annotations?.["network.cilium.io/ipv4-pod-cidr"] ?? null;
      const nodeCidrs = kn?.spec?.podCIDRs ?? (nodePodCidr ? [nodePodCidr] : []);
      const cn = ciliumNodes.get(name)?.spec?.ipam?.podCIDRs ?? [];
      const addrJson = state.devices[name] ? cmdOut(["ip", "-n", state.devices[name].namespace, "-j", "addr", "show", "dev", "cilium_host"]) : "";
      type AddrInfo = { family?: string; local?: string };
      const infos = addrJson ? (JSON.parse(addrJson) as { addr_info?: AddrInfo[] }[]).flatMap((l) => l.addr_info ?? []) : [];
      const hostAddrs = [...infos.filter((a) => a.family === "inet"), ...infos.filter((a) => a.family === "inet6")].map((a) => a.local ?? "").filter((a) => a !== "" && !/^fe[89ab]/i.test(a));
      const pid = n ? agentPid(state, name) : undefined;
      const health = n ? agentHealth(n) : undefined;
      const row: ClusterNodeCheck = {
        name,
        speaker: n?.speaker ?? c.speaker,
        agent: pid === undefined ? "stopped" : health ?? "not answering",
        plannedPodCidr: want,
        plannedPodCidrs: wants,
        nodePodCidr,
        nodePodCidrs: nodeCidrs,
        ciliumNodePodCidrs: cn,
        ciliumHost: hostAddrs,
        rssMb: pid ? Math.round(rssKb(pid) / 1024) : 0,
        ok: true,
      };
      const bad = (m: string) => {
        row.ok = false;
        fail(`${name}: ${m}`);
      };
      if (row.agent !== "Ok") bad(`cilium-agent ${row.agent}`);
      if (nodePodCidr !== want) bad(`Node holds PodCIDR ${nodePodCidr ?? "none"}, plan says ${want}`);
      if (wants.length > 1 && nodeCidrs.join(",") !== wants.join(",")) bad(`Node holds PodCIDRs ${nodeCidrs.join(", ") || "none"}, plan says ${wants.join(", ")}`);
      if (cn.length !== wants.length || !wants.every((w) => cn.includes(w))) bad(`CiliumNode holds PodCIDRs ${cn.join(", ") || "none"}, plan says ${wants.join(", ")}`);
      for (const w of wants) if (!hostAddrs.some((a) => containsAddress(w, a))) bad(`cilium_host holds ${hostAddrs.join(", ") || "no address"}, none inside ${w}`);
      // endpoints per node: every lab pod of the node has a ready endpoint with its address
      const eps = pid !== undefined ? nodeEndpoints(state, name) : undefined;
      const byIp = new Map(labPods(state).flatMap((p) => [p.ip, p.ip6].filter((a): a is string => a !== undefined).map((a) => [a, `${p.namespace}/${p.name}`] as const)));
      const podOf = (e: { ipv4?: string; ipv6?: string }) => (e.ipv4 ? byIp.get(e.ipv4) : undefined) ?? (e.ipv6 ? byIp.get(e.ipv6) : undefined);
      if (eps) row.endpoints = eps.filter((e) => !e.labels.includes("reserved:host")).map((e) => ({ id: e.id, state: e.state, identity: e.identity, ipv4: e.ipv4, ipv6: e.ipv6, pod: e.pod ?? podOf(e) }));
      for (const p of labPods(state).filter((x) => x.node === name && (x.ip || x.ip6)))
        if (eps && !row.endpoints!.some((e) => (p.ip ? e.ipv4 === p.ip : e.ipv6 === p.ip6) && (!p.ip6 || e.ipv6 === p.ip6) && e.state === "ready"))
          bad(`pod ${p.namespace}/${p.name} (${[p.ip, p.ip6].filter(Boolean).join(", ")}) has no ready endpoint with its address${p.ip && p.ip6 ? "es" : ""}`);
      out.nodes.push(row);
    }
    if (kubectlBin && out.apiServer === "ready") out.services = allocatedLoadBalancerIps(c, kubectlBin);
    const pools = plan.vipPools.filter((p) => p.cluster === undefined || p.cluster === c.name);
    for (const s of out.services)
      for (const ip of s.ips) if (!pools.some((p) => containsAddress(p.cidr, ip))) fail(`Service ${s.service} got ${ip}, outside the cluster's VIP pools`);
    return out;
  });
}

/** Text of the cluster section. */
export function formatClusterChecks(list: ClusterCheck[]): string[] {
  const out: string[] = [];
  for (const c of list) {
    out.push("");
    out.push(`cluster ${c.name} (BGP speaker ${c.speaker}) — kube-apiserver ${c.apiServer}, cilium-operator ${c.operator}${c.ok ? "" : "  [MISMATCH]"}`);
    const rows = c.nodes.map((n) => [n.name, n.agent, (n.plannedPodCidrs ?? [n.plannedPodCidr]).join(","), (n.nodePodCidrs ?? []).join(",") || n.nodePodCidr || "-", n.ciliumNodePodCidrs.join(",") || "-", n.ciliumHost.join(",") || "-", `${n.rssMb} MB`, n.ok ? "ok" : "MISMATCH"]);
    const headers = ["NODE", "AGENT", "PLANNED PODCIDR", "NODE", "CILIUMNODE", "CILIUM_HOST", "RSS", ""];
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [headers, ...rows]) out.push(`  ${r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]))).join("  ").trimEnd()}`);
    for (const n of c.nodes)
      if (n.endpoints) out.push(`  ${n.name} endpoints: ${n.endpoints.map((e) => `${e.id} ${e.pod ?? "?"} ${[e.ipv4, e.ipv6].filter(Boolean).join(" ") || "-"} ${e.state}`).join("; ") || "none"}`);
    for (const s of c.services) out.push(`  Service ${s.service}: ${s.ips.join(", ") || "no address yet"}`);
  }
  return out;
}
