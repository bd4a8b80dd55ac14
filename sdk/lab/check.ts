/**
 * `labCheck(plan, state)`: compare the live lab with the plan.
 *
 * - every planned session Established on both ends (vtysh `show bgp summary json`, birdc
 *   `show protocols all`);
 * - each switch's BGP table (selected paths) and kernel FIB (`ip -j route show proto bgp`) hold
 *   exactly `plan.switches[].expectedRoutes`: same prefixes, same next hops (ECMP routes count one
 *   next hop per announcing device), nothing else received;
 * - nodes imported nothing (0 routes imported on every BGP protocol, no BIRD route in the kernel);
 * - spine–leaf: each leaf advertises its rack's node routes to every spine, and every spine
 *   reaches each PodCIDR over all leaves of the node's rack; three-tier: every core holds every
 *   PodCIDR.
 *
 * `formatCheckReport()` renders the result as text (a table per switch).
 */
import { Family, Plan, PlanDevice, PlanExpectedRouteGroup } from "../plan/types";
import { groupPrefixes } from "../plan/expected-routes";
import { birdProtocols, frrAdvertised, frrBgpTable, frrPeers, kernelRoutes, labTarget, ProbeTarget, SessionProbe } from "./probe";
import { LabState } from "./state";
import { carries, neighborKey, sessionFamilies } from "../plan/sessions";
import { checkUpstreams, probeUpstreamSessions, UpstreamCheck } from "./check-upstream";
import { ProbeResult, runProbes } from "./dataplane";
import { checkClusters, ciliumNodeCheck, ClusterCheck, clusterProbeSessions, formatClusterChecks, planForCheck } from "./cluster/check";
import { clusterTools } from "../tools/cluster-tools";

/** One route row of a switch. */
export interface RouteCheck {
  prefix: string;
  family: Family;
  /** podCIDR | vip | unexpected. */
  kind: string;
  /** Expected next hops (empty for unexpected routes). */
  expected: string[];
  /** Devices behind the expected next hops. */
  via: string[];
  /** Next hops of the selected BGP paths (best + multipath); null when absent. */
  bgp: string[] | null;
  /** Next hops of the kernel route installed by BGP; null when absent. */
  fib: string[] | null;
  /** Expected kernel next hops when they differ from BGP's (a reflected route resolved recursively). */
  expectedFib?: string[];
  ok: boolean;
}

/** One neighbor of a switch. */
export interface SwitchSessionCheck {
  session: string;
  peer: string;
  device: string;
  state: string;
  pfxRcd: number;
  ok: boolean;
}

/** Everything checked on one switch. */
export interface SwitchCheck {
  name: string;
  role: string;
  asn: number;
  rack?: string;
  sessions: SwitchSessionCheck[];
  routes: RouteCheck[];
  errors: string[];
  ok: boolean;
}

/** Everything checked on one node. */
export interface NodeCheck {
  name: string;
  sessions: { protocol: string; session: string; peer: string; state: string; imported: number; exported: number; ok: boolean }[];
  /** Routes BIRD put into the node's kernel table (must be 0). */
  kernelBirdRoutes: number;
  /** Prefixes the node should announce. */
  announcements: number;
  errors: string[];
  ok: boolean;
}

/** A topology-specific check (re-advertisement, ECMP over both leaves, cores hold everything). */
export interface TopologyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The result of `labCheck`. */
export interface LabCheckReport {
  ok: boolean;
  plan: string;
  topology: Plan["topology"];
  run: string;
  runDir: string;
  checkedAt: string;
  /** Milliseconds the check took. */
  ms: number;
  sessions: (SessionProbe & { ok: boolean })[];
  switches: SwitchCheck[];
  nodes: NodeCheck[];
  topologyChecks: TopologyCheck[];
  /** The upstream routers: sessions and what they receive. */
  upstreams: UpstreamCheck[];
  /** Data-plane probes (node and pod addresses across racks, loopbacks, the way out). */
  dataPlane: ProbeResult[];
  /** The cluster side (API servers, operators, agents), when the lab runs one. */
  cluster?: ClusterCheck[];
  /** Every mismatch, one line each. */
  problems: string[];
}

const sameSet = (a: string[] | null, b: string[]) => !!a && a.length === b.length && a.every((x) => b.includes(x));
const sorted = (a: string[]) => [...a].sort(compareAddr);

function compareAddr(x: string, y: string): number {
  const nx = x.split(/[./:]/).map((p) => parseInt(p, x.includes(":") ? 16 : 10) || 0);
  const ny = y.split(/[./:]/).map((p) => parseInt(p, y.includes(":") ? 16 : 10) || 0);
  for (let i = 0; i < Math.max(nx.length, ny.length); i++) if ((nx[i] ?? 0) !== (ny[i] ?? 0)) return (nx[i] ?? 0) - (ny[i] ?? 0);
  return 0;
}

/** One expected route of a switch (prefix by prefix). */
interface ExpectedRoute {
  family: Family;
  prefix: string;
  nextHops: string[];
  via: string[];
  /** Kernel next hops when BGP's resolve recursively. */
  fibNextHops?: string[];
}

/**
 * A switch's expected routes one prefix at a time. Reads every plan shape: one entry per prefix
 * (`prefix`), entries grouped by next-hop set (`prefixes`), and groups sharing a list of
 * `plan.prefixSets` (`set`, `except`).
 */
export function expectedRoutesOf(plan: Plan, sw: string): ExpectedRoute[] {
  const list = (plan.switches.find((x) => x.name === sw)?.expectedRoutes ?? []) as unknown as (PlanExpectedRouteGroup & { prefix?: string; prefixes?: string[] })[];
  return list.flatMap((g) =>
    (g.prefixes || g.set !== undefined ? groupPrefixes(plan, { ...g, prefixes: g.prefixes ?? [] }) : g.prefix ? [g.prefix] : []).map((prefix) => ({
      family: g.family,
      prefix,
      nextHops: g.nextHops,
      via: g.via,
      ...(g.fibNextHops ? { fibNextHops: g.fibNextHops } : {}),
    })),
  );
}

/** Kind of every underlay prefix of the plan: rack networks, loopbacks, upstream routes. */
function underlayKinds(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const sw of plan.switches) for (const o of sw.originates ?? []) out.set(o.prefix, o.kind);
  for (const u of plan.upstreams ?? []) for (const e of u.accept) out.set(e.prefix, `upstream ${u.name}`);
  return out;
}

/** Families a device uses. */
function familiesOf(plan: Plan, device: string): Family[] {
  const set = new Set<Family>();
  for (const s of plan.sessions) if (s.a.device === device || s.b.device === device) for (const f of sessionFamilies(s)) set.add(f);
  for (const r of expectedRoutesOf(plan, device)) set.add(r.family);
  return [...set].sort();
}

/** How the fabric checks find a device: its probe target, or undefined when it runs no daemon there. */
export type TargetLookup = (device: string) => ProbeTarget | undefined;

/** Check one switch against the plan (sessions with peer and ASN, BGP table, FIB). */
export function checkSwitch(plan: Plan, dev: ProbeTarget | undefined, d: PlanDevice, problems: string[]): SwitchCheck {
  const out: SwitchCheck = { name: d.name, role: d.role, asn: d.asn, ...(d.rack ? { rack: d.rack } : {}), sessions: [], routes: [], errors: [], ok: true };
  const fail = (msg: string) => {
    out.ok = false;
    problems.push(`${d.name}: ${msg}`);
  };
  if (!dev?.vtysh) {
    fail("not running FRR in this lab");
    return out;
  }
  // sessions (from this switch's side)
  const peers = frrPeers(dev);
  if (peers.error) {
    out.errors.push(peers.error);
    fail(peers.error);
  }
  const planned = new Set<string>();
  for (const s of plan.sessions) {
    if (s.a.device !== d.name && s.b.device !== d.name) continue;
    const remote = s.a.device === d.name ? s.b : s.a;
    const key = neighborKey(s, s.a.device === d.name ? s.a : s.b, remote);
    planned.add(key);
    const p = peers.peers.get(key);
    const wrongAs = p?.state === "Established" && typeof p.remoteAs === "number" && p.remoteAs > 0 && p.remoteAs !== remote.asn;
    const row: SwitchSessionCheck = { session: s.id, peer: remote.address, device: remote.device, state: p?.state ?? "not configured", pfxRcd: p?.pfxRcd ?? 0, ok: p?.state === "Established" && !wrongAs };
    out.sessions.push(row);
    if (p?.state !== "Established" && !peers.error) fail(`session ${s.id} with ${remote.device} (${remote.address}) is ${row.state}`);
    if (wrongAs) fail(`session ${s.id} with ${remote.device} (${remote.address}): peer is AS ${p!.remoteAs}, plan says AS ${remote.asn}`);
  }
  for (const u of plan.upstreams ?? [])
    for (const l of u.links) {
      if (l.switch !== d.name) continue;
      planned.add(l.peerAddress);
      const p = peers.peers.get(l.peerAddress);
      const wrongAs = p?.state === "Established" && typeof p.remoteAs === "number" && p.remoteAs > 0 && p.remoteAs !== u.asn;
      const row: SwitchSessionCheck = { session: l.id, peer: l.peerAddress, device: u.name, state: p?.state ?? "not configured", pfxRcd: p?.pfxRcd ?? 0, ok: p?.state === "Established" && !wrongAs };
      out.sessions.push(row);
      if (p?.state !== "Established" && !peers.error) fail(`upstream session ${l.id} (${l.peerAddress}) is ${row.state}`);
      if (wrongAs) fail(`upstream session ${l.id} (${l.peerAddress}): peer is AS ${p!.remoteAs}, plan says AS ${u.asn}`);
    }
  for (const [addr, p] of peers.peers) if (!planned.has(addr)) fail(`unplanned BGP neighbor ${addr} (${p.state})`);

  // routes
  const plannedRoutes = expectedRoutesOf(plan, d.name);
  const kindOf = underlayKinds(plan);
  for (const n of plan.nodes) for (const a of n.announcements) kindOf.set(a.prefix, a.kind);
  const originates = plan.switches.find((x) => x.name === d.name)?.originates ?? [];
  for (const fam of familiesOf(plan, d.name)) {
    const table = frrBgpTable(dev, fam);
    const fib = kernelRoutes(dev, fam, "bgp");
    for (const e of [table.error, fib.error]) if (e) {
      out.errors.push(e);
      fail(e);
    }
    const expected = plannedRoutes.filter((r) => r.family === fam);
    const seen = new Set<string>();
    // what the switch originates itself: in its BGP table as a local path; aggregates also as a blackhole route
    for (const o of originates.filter((x) => x.family === fam)) {
      seen.add(o.prefix);
      const local = (table.routes.get(o.prefix) ?? []).some((p) => p.peer === undefined && p.valid);
      const k = fib.routes.get(o.prefix);
      const blackholed = o.kind !== "aggregate" || (!!k && k.nextHops.length === 0);
      const row: RouteCheck = { prefix: o.prefix, family: fam, kind: `originates ${o.kind}`, expected: [], via: [], bgp: local ? ["local"] : null, fib: o.kind === "aggregate" ? (k ? ["blackhole"] : null) : ["connected"], ok: local && blackholed };
      out.routes.push(row);
      if (!local) fail(`${o.prefix}: the plan says ${d.name} originates it (${o.kind}), its BGP table has no local path`);
      else if (!blackholed) fail(`${o.prefix}: aggregate without its blackhole route in the kernel FIB`);
    }
    for (const r of expected) {
      seen.add(r.prefix);
      const paths = table.routes.get(r.prefix);
      const bgp = paths ? sorted([...new Set(paths.filter((p) => p.selected).flatMap((p) => p.nextHops))]) : null;
      const k0 = fib.routes.get(r.prefix);
      // a link-local next hop the neighbour table could not name: the BGP path's global one
      const k = k0 && k0.nextHops.some((h) => table.linkLocal.has(h)) ? { ...k0, nextHops: [...new Set(k0.nextHops.map((h) => table.linkLocal.get(h) ?? h))] } : k0;
      const row: RouteCheck = {
        prefix: r.prefix,
        family: fam,
        kind: kindOf.get(r.prefix) ?? "route",
        expected: sorted(r.nextHops),
        via: r.nextHops.map((h, i) => ({ h, v: r.via[i] })).sort((x, y) => compareAddr(x.h, y.h)).map((x) => x.v),
        bgp: bgp && bgp.length > 0 ? bgp : null,
        fib: k ? sorted(k.nextHops) : null,
        ok: false,
      };
      const fibExpected = r.fibNextHops ? sorted(r.fibNextHops) : row.expected;
      if (r.fibNextHops) row.expectedFib = fibExpected;
      row.ok = sameSet(row.bgp, row.expected) && sameSet(row.fib, fibExpected);
      out.routes.push(row);
      if (!sameSet(row.bgp, row.expected)) fail(`${r.prefix}: BGP selects ${row.bgp ? row.bgp.join(", ") : "nothing"}, plan expects ${row.expected.join(", ")}`);
      if (!sameSet(row.fib, fibExpected)) fail(`${r.prefix}: kernel FIB has ${row.fib ? row.fib.join(", ") || "a route without gateway" : "no route"}, plan expects ${fibExpected.join(", ")}`);
    }
    // anything received that the plan does not expect
    const extra = new Set<string>();
    for (const [prefix, paths] of table.routes) if (!seen.has(prefix) && paths.some((p) => p.peer !== undefined)) extra.add(prefix);
    for (const prefix of fib.routes.keys()) if (!seen.has(prefix)) extra.add(prefix);
    for (const prefix of [...extra].sort()) {
      const paths = table.routes.get(prefix) ?? [];
      const k = fib.routes.get(prefix);
      const bgpHops = sorted([...new Set(paths.filter((p) => p.peer !== undefined).flatMap((p) => p.nextHops))]);
      out.routes.push({ prefix, family: fam, kind: "unexpected", expected: [], via: [], bgp: paths.length ? bgpHops : null, fib: k ? sorted(k.nextHops) : null, ok: false });
      fail(`${prefix}: not in the plan but ${paths.length ? `accepted into BGP from ${[...new Set(paths.map((p) => p.peer ?? "local"))].join(", ")}` : ""}${paths.length && k ? " and " : ""}${k ? `installed in the FIB via ${k.nextHops.join(", ")}` : ""}`);
    }
  }
  return out;
}

/** Check one BIRD node against the plan (sessions with peer and ASN, nothing imported). */
export function checkNode(plan: Plan, dev: ProbeTarget | undefined, d: PlanDevice, problems: string[]): NodeCheck {
  const announcements = plan.nodes.find((n) => n.name === d.name)?.announcements.length ?? 0;
  const out: NodeCheck = { name: d.name, sessions: [], kernelBirdRoutes: 0, announcements, errors: [], ok: true };
  const fail = (msg: string) => {
    out.ok = false;
    problems.push(`${d.name}: ${msg}`);
  };
  if (!dev?.birdc) {
    fail("not running BIRD in this lab");
    return out;
  }
  const b = birdProtocols(dev);
  if (b.error) {
    out.errors.push(b.error);
    fail(b.error);
  }
  for (const s of plan.sessions.filter((x) => x.a.device === d.name && x.nodeProtocol)) {
    const p = b.protocols.get(s.nodeProtocol!);
    const state = b.error ? "unknown (birdc failed)" : p ? (p.state === "up" ? p.info || "up" : `${p.state}${p.info ? ` (${p.info})` : ""}`) : "not configured";
    const row = { protocol: s.nodeProtocol!, session: s.id, peer: s.b.address, state, imported: p?.imported ?? 0, exported: p?.exported ?? 0, ok: false };
    const wrongPeer = !!p?.neighborAddress && p.neighborAddress !== s.b.address;
    const wrongAs = /^Established/.test(state) && p?.neighborAs !== undefined && p.neighborAs !== s.b.asn;
    row.ok = /^Established/.test(state) && row.imported === 0 && !wrongPeer && !wrongAs;
    out.sessions.push(row);
    if (!b.error && !/^Established/.test(state)) fail(`${s.nodeProtocol} (${s.id}) is ${state}`);
    if (wrongPeer) fail(`${s.nodeProtocol} (${s.id}) peers with ${p!.neighborAddress}, plan says ${s.b.address} (${s.b.device})`);
    if (wrongAs) fail(`${s.nodeProtocol} (${s.id}): peer is AS ${p!.neighborAs}, plan says AS ${s.b.asn}`);
    if (row.imported > 0) fail(`${s.nodeProtocol} (${s.id}) imported ${row.imported} routes; nodes must import nothing`);
  }
  for (const fam of ["ipv4", "ipv6"] as Family[]) {
    const k = kernelRoutes(dev, fam, "bird");
    if (k.error) out.errors.push(k.error);
    out.kernelBirdRoutes += k.routes.size;
  }
  if (out.kernelBirdRoutes > 0) fail(`BIRD installed ${out.kernelBirdRoutes} routes into the kernel; nodes must import nothing`);
  return out;
}

/** Topology checks; `selected` limits them to those owned by selected devices (a leaf's advertisements, a spine's ECMP). */
export function topologyChecks(plan: Plan, devOf: TargetLookup, problems: string[], selected: (device: string) => boolean = () => true): TopologyCheck[] {
  const out: TopologyCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => {
    out.push({ name, ok, detail });
    if (!ok) problems.push(`${name}: ${detail}`);
  };
  const devByName = new Map(plan.devices.map((d) => [d.name, d]));
  const fibOf = (sw: string) => {
    const dev = devOf(sw);
    const byFam = new Map<string, string[]>();
    if (dev) for (const fam of ["ipv4", "ipv6"] as Family[]) for (const [p, r] of kernelRoutes(dev, fam, "bgp").routes) byFam.set(p, r.nextHops);
    return byFam;
  };
  if (plan.topology === "spineLeaf") {
    // re-advertisement: every leaf advertises its rack's node prefixes to every spine
    for (const s of plan.sessions.filter((x) => x.kind === "leaf-spine")) {
      const leaf = devByName.get(s.a.device)!;
      if (!selected(leaf.name)) continue;
      for (const fam of sessionFamilies(s)) {
        const dev = devOf(leaf.name);
        const rackNodes = plan.devices.filter((d) => d.kind === "node" && d.rack === leaf.rack).map((d) => d.name);
        const want = [...new Set(plan.nodes.filter((n) => rackNodes.includes(n.name)).flatMap((n) => n.announcements.filter((a) => a.family === fam).map((a) => a.prefix)))];
        const adv = dev ? frrAdvertised(dev, fam, neighborKey(s, s.a, s.b)) : { prefixes: [] as string[], error: `${leaf.name} runs no FRR` };
        const missing = want.filter((p) => !adv.prefixes.includes(p));
        add(
          `${leaf.name} → ${s.b.device}${sessionFamilies(s).length > 1 ? ` (${fam})` : ""}`,
          !adv.error && missing.length === 0,
          adv.error ?? (missing.length === 0 ? `advertises all ${want.length} node routes of rack ${leaf.rack}` : `does not advertise ${missing.join(", ")}`),
        );
      }
    }
    // every spine reaches each PodCIDR over all leaves of the node's rack
    for (const spine of plan.devices.filter((d) => d.kind === "switch" && d.role === "spine" && selected(d.name))) {
      const fib = fibOf(spine.name);
      const bad: string[] = [];
      for (const n of plan.nodes) {
        const node = devByName.get(n.name)!;
        // dual-stack: the IPv6 PodCIDR over the IPv6 sessions
        for (const pod of n.podCIDR6 ? [n.podCIDR, n.podCIDR6] : [n.podCIDR]) {
          const leaves = plan.sessions
            .filter((s) => s.kind === "leaf-spine" && carries(s, pod.family) && s.b.device === spine.name && devByName.get(s.a.device)?.rack === node.rack)
            .map((s) => s.a.address);
          const hops = fib.get(pod.prefix) ?? [];
          if (!sameSet(sorted(hops), sorted(leaves))) bad.push(`${pod.prefix} (${n.name}) via ${hops.join(", ") || "nothing"}, want ${leaves.join(", ")}`);
        }
      }
      add(`${spine.name} ECMP`, bad.length === 0, bad.length === 0 ? `reaches all ${plan.nodes.length} PodCIDRs over every leaf of their rack` : bad.join("; "));
    }
  } else {
    for (const core of plan.devices.filter((d) => d.kind === "switch" && d.role === "core" && selected(d.name))) {
      const fib = fibOf(core.name);
      const missing = plan.nodes.flatMap((n) => (n.podCIDR6 ? [n.podCIDR, n.podCIDR6] : [n.podCIDR]).filter((p) => !fib.has(p.prefix)).map((p) => `${p.prefix} (${n.name})`));
      add(`${core.name} PodCIDRs`, missing.length === 0, missing.length === 0 ? `holds all ${plan.nodes.length} PodCIDRs` : `misses ${missing.join(", ")}`);
    }
  }
  return out;
}

/** What `checkFabric` found. */
export interface FabricCheck {
  switches: SwitchCheck[];
  nodes: NodeCheck[];
  topologyChecks: TopologyCheck[];
}

/**
 * The checks shared by `lab check` (namespace runner) and `dcnet verify` (ssh): every selected
 * switch and node against the plan, then the topology checks they own. Mismatches go to `problems`.
 */
export function checkFabric(
  plan: Plan,
  devOf: TargetLookup,
  problems: string[],
  opts: { selected?: (device: string) => boolean; nodeCheck?: (d: PlanDevice) => NodeCheck | undefined } = {},
): FabricCheck {
  const selected = opts.selected ?? (() => true);
  const switches = plan.devices.filter((d) => d.kind === "switch" && selected(d.name)).map((d) => checkSwitch(plan, devOf(d.name), d, problems));
  const nodes = plan.devices.filter((d) => d.kind === "node" && selected(d.name)).map((d) => opts.nodeCheck?.(d) ?? checkNode(plan, devOf(d.name), d, problems));
  return { switches, nodes, topologyChecks: topologyChecks(plan, devOf, problems, selected) };
}

/** Compare the live lab with the plan. Never throws for a mismatch: see `report.ok` and `report.problems`. */
export function labCheck(planned: Plan, state: LabState): LabCheckReport {
  const started = Date.now();
  const problems: string[] = [];
  // with Cilium speakers: only allocated VIP /32s are expected (see sdk/lab/cluster/check.ts)
  const kubectlBin = state.cluster ? clusterTools().kubectl : undefined;
  const plan = planForCheck(planned, state, kubectlBin);
  const sessions = [...clusterProbeSessions(plan, state), ...probeUpstreamSessions(plan, state)].map((s) => ({ ...s, ok: s.established }));
  // the same checks as `dcnet verify`, through `ip netns exec` instead of ssh
  const devOf: TargetLookup = (name) => (state.devices[name] ? labTarget(state.devices[name]) : undefined);
  const { switches, nodes, topologyChecks: topo } = checkFabric(plan, devOf, problems, {
    nodeCheck: (d) => (state.cluster?.nodes[d.name]?.speaker === "cilium" ? ciliumNodeCheck(plan, state, d, problems) : undefined),
  });
  const upstreams = checkUpstreams(plan, state, problems);
  const dataPlane = runProbes(plan, state, problems);
  const cluster = state.cluster ? checkClusters(plan, state, kubectlBin, problems) : undefined;
  return {
    ok: problems.length === 0,
    plan: plan.name,
    topology: plan.topology,
    run: state.prefix,
    runDir: state.runDir,
    checkedAt: new Date().toISOString(),
    ms: Date.now() - started,
    sessions,
    switches,
    nodes,
    topologyChecks: topo,
    upstreams,
    dataPlane,
    ...(cluster ? { cluster } : {}),
    problems: [...new Set(problems)],
  };
}

function table(headers: string[], rows: string[][], indent = "  "): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)];
}

function hops(list: string[] | null, expected: string[]): string {
  if (list === null) return "missing";
  if (sameSet(list, expected) && expected.length > 0) return list.length > 1 ? `ok (${list.length} ECMP)` : "ok";
  return list.length === 0 ? "no next hop" : list.join(", ");
}

/** Text rendering of a check report: summary, a table per switch, nodes, topology checks, problems. */
export function formatCheckReport(r: LabCheckReport): string {
  const out: string[] = [];
  const est = r.sessions.filter((s) => s.established).length;
  out.push(`dcnet lab check: plan ${r.plan} (${r.topology}), run ${r.run} — ${r.ok ? "OK" : `FAILED (${r.problems.length} problem${r.problems.length === 1 ? "" : "s"})`}`);
  out.push(`sessions Established on both ends: ${est}/${r.sessions.length}`);
  for (const s of r.switches) {
    out.push("");
    const up = s.sessions.filter((x) => x.ok).length;
    out.push(`switch ${s.name} (${s.role}${s.rack ? `, rack ${s.rack}` : ""}, AS ${s.asn}) — sessions ${up}/${s.sessions.length} Established, ${s.routes.filter((x) => x.kind !== "unexpected").length} expected routes${s.ok ? "" : "  [MISMATCH]"}`);
    const rows = s.routes.map((x) => [
      x.prefix,
      x.kind,
      x.expected.length ? x.expected.map((h, i) => `${h} (${x.via[i]})`).join(", ") : "-",
      x.kind === "unexpected" ? (x.bgp ? `accepted ${x.bgp.join(", ")}` : "-") : hops(x.bgp, x.expected),
      x.kind === "unexpected" ? (x.fib ? `installed ${x.fib.join(", ")}` : "-") : hops(x.fib, x.expectedFib ?? x.expected),
      x.ok ? "ok" : "MISMATCH",
    ]);
    out.push(...table(["PREFIX", "KIND", "EXPECTED NEXT HOPS", "BGP", "FIB", ""], rows));
    const bad = s.sessions.filter((x) => !x.ok);
    if (bad.length) out.push(`  sessions not Established: ${bad.map((x) => `${x.device} ${x.peer} (${x.state})`).join(", ")}`);
    for (const e of s.errors) out.push(`  error: ${e}`);
  }
  out.push("");
  out.push("nodes:");
  out.push(
    ...table(
      ["NODE", "SESSIONS", "IMPORTED", "EXPORTED", "KERNEL", ""],
      r.nodes.map((n) => [
        n.name,
        n.sessions.map((s) => `${s.protocol}:${/^Established/.test(s.state) ? "Established" : s.state}`).join(" "),
        String(n.sessions.reduce((a, s) => a + s.imported, 0)),
        n.sessions.map((s) => String(s.exported)).join("/") + ` of ${n.announcements}`,
        String(n.kernelBirdRoutes),
        n.ok ? "ok" : "MISMATCH",
      ]),
    ),
  );
  out.push("");
  out.push(`${r.topology === "spineLeaf" ? "spine–leaf" : "three-tier"} checks:`);
  for (const t of r.topologyChecks) out.push(`  ${t.ok ? "ok      " : "MISMATCH"}  ${t.name}: ${t.detail}`);
  if (r.upstreams.length) {
    out.push("");
    out.push("upstreams:");
    out.push(
      ...table(
        ["UPSTREAM", "LINK", "SWITCH", "UPSTREAM SIDE", "RECEIVES", ""],
        r.upstreams.flatMap((u) =>
          u.links.map((l) => [`${u.name} (AS ${u.asn})`, `${l.switch} → ${l.peerAddress}`, l.switchState, l.upstreamState, l.received.join(" ") || "-", l.ok ? "ok" : "MISMATCH"]),
        ),
      ),
    );
  }
  if (r.dataPlane.length) {
    out.push("");
    const run = r.dataPlane.filter((p) => !p.skipped);
    out.push(`data plane: ${run.filter((p) => p.ok).length}/${run.length} probes answered${run.length < r.dataPlane.length ? `, ${r.dataPlane.length - run.length} skipped` : ""}`);
    out.push(...table(["KIND", "FROM", "TO", "RESULT", ""], r.dataPlane.map((p) => [p.kind, `${p.from} ${p.source}`, `${p.to} ${p.target}`, p.result, p.skipped ? "skipped" : p.ok ? "ok" : "FAILED"])));
  }
  if (r.cluster?.length) out.push(...formatClusterChecks(r.cluster));
  if (r.problems.length) {
    out.push("");
    out.push("problems:");
    for (const p of r.problems) out.push(`  - ${p}`);
  }
  return out.join("\n") + "\n";
}
