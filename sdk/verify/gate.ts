/**
 * The health gate of one rollout wave (`verifyGate`): read-only checks over ssh, the same probes
 * and batching as `verify`, of what must hold once the wave's devices have applied while later
 * waves have not yet:
 *
 * - each device of the wave: its sessions with every peer that has rolled out (this wave or an
 *   earlier one) Established with the planned peer address and ASN (a node: its BIRD protocols,
 *   importing nothing; a switch: FRR's neighbors) — not its sessions with devices still to come;
 * - each such peer that is a switch holds what the wave's device announces to it: a node's planned
 *   announcements (PodCIDR, VIPs), a switch's own networks (loopback, rack networks), each as a
 *   valid, not stale path learned from that device's session address — the device's own view is
 *   not enough.
 *
 * Nodes whose sessions a Cilium agent speaks are checked from their switches only. A device that
 * cannot be reached fails the gate (exit 2), a failed check too (exit 1).
 */
import { Plan, PlanDevice, PlanSession } from "../plan/types";
import { birdProtocols, frrBgpTable, frrPeers, normalizePrefix, ProbeTarget } from "../lab/probe";
import { DeviceConnection, deviceConnections, Inventory } from "./inventory";
import { SshContext } from "./ssh";
import { checkOverSsh, targetFor } from "./verify";

/** What one wave's gate checks. */
export interface GateOptions {
  /** The wave's devices. */
  devices: string[];
  /** Every device that has rolled out so far (the wave's and every earlier wave's). */
  rolledOut: string[];
  /** Devices checked at the same time (default 8). */
  parallel?: number;
  /** Time one device may take, connection included (default 30000 ms). */
  timeoutMs?: number;
}

/** One session seen from a device of the wave. */
export interface GateSession {
  peer: string;
  device: string;
  state: string;
  ok: boolean;
}

/** One planned prefix a peer must hold from a device of the wave. */
export interface GateHold {
  /** The device of the wave that announces it. */
  from: string;
  prefix: string;
  ok: boolean;
}

/** What the gate found on one contacted device. */
export interface GateDevice {
  device: string;
  kind: "node" | "switch";
  role: GateExpectation["role"];
  status: "ok" | "failed" | "unreachable";
  sessions: GateSession[];
  holds: GateHold[];
  problems: string[];
  ms: number;
}

/** The report of `verifyGate`. */
export interface GateReport {
  ok: boolean;
  /** 0 ok, 1 a failed check, 2 a device unreachable. */
  exitCode: 0 | 1 | 2;
  plan: string;
  devices: GateDevice[];
  problems: string[];
  ms: number;
}

/** What the components' gate step sends on stdin (`dcnet verify - --inventory -`). */
export interface GateInput {
  plan: string;
  expectations: GateExpectation[];
  /** One per expectation (private keys as `$DCNET_SSH_KEY_<n>` placeholders). */
  connections: DeviceConnection[];
}

/** What the gate checks on one contacted device, computed from the plan (`gateExpectations`). */
export interface GateExpectation {
  device: string;
  kind: "node" | "switch";
  /** In the wave (its sessions checked), a peer of it (what it holds checked), or both. */
  role: ("wave" | "peer")[];
  /** Sessions with rolled-out peers that must be Established (a node: its BIRD protocol names). */
  sessions: { id: string; peer: string; device: string; asn: number; protocol?: string }[];
  /** Planned prefixes this switch must hold from devices of the wave, by their session address. */
  holds: { from: string; address: string; family: "ipv4" | "ipv6"; prefix: string }[];
}

const otherEnd = (s: PlanSession, device: string) => (s.a.device === device ? s.b : s.a);

/** The prefixes `device` announces to its peers, as the plan has them (a node's announcements, a switch's own networks). */
export function announcedBy(plan: Plan, device: PlanDevice): { family: "ipv4" | "ipv6"; prefix: string }[] {
  if (device.kind === "node") return (plan.nodes.find((n) => n.name === device.name)?.announcements ?? []).map((a) => ({ family: a.family, prefix: a.prefix }));
  return (plan.switches.find((s) => s.name === device.name)?.originates ?? []).filter((o) => o.kind !== "aggregate").map((o) => ({ family: o.family, prefix: o.prefix }));
}

/**
 * The gate's checks for a wave, from the plan alone: the wave's devices (sessions with peers in
 * `rolledOut` or the wave) and their rolled-out switch peers (what they must hold from the wave),
 * sorted by device. Unknown names are an error.
 */
export function gateExpectations(plan: Plan, opts: Pick<GateOptions, "devices" | "rolledOut">): GateExpectation[] {
  const byName = new Map(plan.devices.map((d) => [d.name, d]));
  const bad = [...opts.devices, ...opts.rolledOut].filter((d) => !byName.has(d));
  if (bad.length) throw new Error(`no device ${[...new Set(bad)].join(", ")} in plan ${plan.name}`);
  const wave = new Set(opts.devices);
  const rolled = new Set([...opts.rolledOut, ...opts.devices]);
  const out = new Map<string, GateExpectation>();
  const entry = (d: PlanDevice) => {
    let e = out.get(d.name);
    if (!e) out.set(d.name, (e = { device: d.name, kind: d.kind === "node" ? "node" : "switch", role: [], sessions: [], holds: [] }));
    return e;
  };
  for (const name of opts.devices) entry(byName.get(name)!).role.push("wave");
  const announced = new Map<string, { family: "ipv4" | "ipv6"; prefix: string }[]>();
  for (const s of plan.sessions)
    for (const me of [s.a, s.b]) {
      const peer = otherEnd(s, me.device);
      if (!wave.has(me.device) || !rolled.has(peer.device)) continue;
      const d = byName.get(me.device)!;
      const cilium = d.kind === "node" && s.speaker === "cilium";
      if (!cilium) entry(d).sessions.push({ id: s.id, peer: peer.address, device: peer.device, asn: peer.asn, ...(d.kind === "node" && s.nodeProtocol ? { protocol: s.nodeProtocol } : {}) });
      const p = byName.get(peer.device)!;
      if (p.kind !== "switch") continue;
      if (!announced.has(d.name)) announced.set(d.name, announcedBy(plan, d));
      const e = entry(p);
      if (!e.role.includes("peer")) e.role.push("peer");
      for (const a of announced.get(d.name)!) e.holds.push({ from: d.name, address: me.address, ...a });
    }
  return [...out.values()].sort((x, y) => (x.device < y.device ? -1 : x.device > y.device ? 1 : 0));
}

function nodeSessions(t: ProbeTarget, e: GateExpectation, problems: string[]): GateSession[] {
  const b = birdProtocols(t);
  if (b.error) problems.push(`${e.device}: ${b.error}`);
  return e.sessions.map((s) => {
    const p = s.protocol ? b.protocols.get(s.protocol) : undefined;
    const state = b.error ? "unknown (birdc failed)" : p ? (p.state === "up" ? p.info || "up" : `${p.state}${p.info ? ` (${p.info})` : ""}`) : "not configured";
    const wrongPeer = !!p?.neighborAddress && p.neighborAddress !== s.peer;
    const wrongAs = /^Established/.test(state) && p?.neighborAs !== undefined && p.neighborAs !== s.asn;
    const ok = /^Established/.test(state) && !wrongPeer && !wrongAs;
    if (!b.error && !/^Established/.test(state)) problems.push(`${e.device}: ${s.protocol} (${s.id}) with ${s.device} is ${state}`);
    if (wrongPeer) problems.push(`${e.device}: ${s.protocol} (${s.id}) peers with ${p!.neighborAddress}, plan says ${s.peer} (${s.device})`);
    if (wrongAs) problems.push(`${e.device}: ${s.protocol} (${s.id}): peer is AS ${p!.neighborAs}, plan says AS ${s.asn}`);
    return { peer: s.peer, device: s.device, state, ok };
  });
}

function switchSessions(t: ProbeTarget, e: GateExpectation, problems: string[]): GateSession[] {
  const peers = frrPeers(t);
  if (peers.error) problems.push(`${e.device}: ${peers.error}`);
  return e.sessions.map((s) => {
    const p = peers.peers.get(s.peer);
    const wrongAs = p?.state === "Established" && typeof p.remoteAs === "number" && p.remoteAs > 0 && p.remoteAs !== s.asn;
    const row = { peer: s.peer, device: s.device, state: p?.state ?? "not configured", ok: p?.state === "Established" && !wrongAs };
    if (!peers.error && p?.state !== "Established") problems.push(`${e.device}: session ${s.id} with ${s.device} (${s.peer}) is ${row.state}`);
    if (wrongAs) problems.push(`${e.device}: session ${s.id} with ${s.device} (${s.peer}): peer is AS ${p!.remoteAs}, plan says AS ${s.asn}`);
    return row;
  });
}

function holdChecks(t: ProbeTarget, e: GateExpectation, problems: string[]): GateHold[] {
  const rows: GateHold[] = [];
  for (const fam of [...new Set(e.holds.map((w) => w.family))].sort()) {
    const table = frrBgpTable(t, fam);
    if (table.error) problems.push(`${e.device}: ${table.error}`);
    for (const w of e.holds.filter((x) => x.family === fam)) {
      const paths = table.routes.get(normalizePrefix(w.prefix, fam)) ?? [];
      // a stale path (kept by graceful restart while the session is down) is not the device holding it
      const ok = paths.some((p) => p.valid && !p.stale && p.peer === w.address);
      rows.push({ from: w.from, prefix: w.prefix, ok });
      if (!ok && !table.error) problems.push(`${e.device}: holds no valid path to ${w.prefix} from ${w.from} (${w.address}), which the plan has ${w.from} announce to it`);
    }
  }
  return rows;
}

/** Run a wave's gate: `expectations` (from `gateExpectations`), each device by its connection. Never throws for an unreachable or failing device. */
export async function runGate(plan: string, expectations: GateExpectation[], connections: DeviceConnection[], opts: Pick<GateOptions, "parallel" | "timeoutMs"> = {}): Promise<GateReport> {
  const started = Date.now();
  const conns = new Map(connections.map((c) => [c.device, c]));
  const missing = expectations.filter((e) => !conns.has(e.device)).map((e) => e.device);
  if (missing.length) throw new Error(`no connection for ${missing.join(", ")}`);
  const timeoutMs = opts.timeoutMs ?? 30000;
  const ctx = new SshContext(expectations.map((e) => conns.get(e.device)!));
  try {
    const results: GateDevice[] = new Array(expectations.length);
    let next = 0;
    const worker = async () => {
      while (next < expectations.length) {
        const i = next++;
        const e = expectations[i];
        const c = conns.get(e.device)!;
        const t0 = Date.now();
        const base = { device: e.device, kind: e.kind, role: e.role };
        if (c.refused) {
          results[i] = { ...base, status: "unreachable", sessions: [], holds: [], problems: [`${e.device}: ${c.refused}`], ms: 0 };
          continue;
        }
        const problems: string[] = [];
        let sessions: GateSession[] = [];
        let holds: GateHold[] = [];
        const run = await checkOverSsh(ctx, c, timeoutMs, t0, [], (exec, recording) => {
          const sink = recording ? [] : problems;
          const t = targetFor(c, exec);
          const s = e.sessions.length ? (e.kind === "node" ? nodeSessions(t, e, sink) : switchSessions(t, e, sink)) : [];
          const h = e.holds.length ? holdChecks(t, e, sink) : [];
          if (!recording) [sessions, holds] = [s, h];
        });
        results[i] = run.unreachable
          ? { ...base, status: "unreachable", sessions: [], holds: [], problems: [`${e.device}: unreachable: ${run.unreachable}`], ms: Date.now() - t0 }
          : { ...base, status: problems.length ? "failed" : "ok", sessions, holds, problems: [...new Set(problems)], ms: Date.now() - t0 };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel ?? 8, expectations.length)) }, worker));
    const unreachable = results.some((r) => r.status === "unreachable");
    const failed = results.some((r) => r.status === "failed");
    const exitCode = unreachable ? 2 : failed ? 1 : 0;
    return { ok: exitCode === 0, exitCode, plan, devices: results, problems: results.flatMap((r) => r.problems), ms: Date.now() - started };
  } finally {
    ctx.close();
  }
}

/** The gate of one wave for a plan and an inventory (what `dcnet verify --gate` runs). */
export async function verifyGate(plan: Plan, inventory: Inventory, opts: GateOptions): Promise<GateReport> {
  return runGate(plan.name, gateExpectations(plan, opts), deviceConnections(plan, inventory), opts);
}

/** A device's entry of the components' `verification` output: the gate's result in a few fields (no secret in any). */
export interface GateSummary {
  status: GateDevice["status"];
  /** Established / checked sessions of the device (when it was in the wave). */
  sessions: string;
  /** Planned prefixes its peers hold / planned (when it was in the wave). */
  peersHold: string;
  problems: string[];
}

/** Per device of the waves checked: its own sessions and what its peers hold from it (peers' failures about it included). */
export function summarizeGate(r: GateReport, wave: string[]): Record<string, GateSummary> {
  const out: Record<string, GateSummary> = {};
  for (const name of wave) {
    const own = r.devices.find((d) => d.device === name);
    const holds = r.devices.flatMap((d) => d.holds.filter((h) => h.from === name));
    const problems = [...(own?.problems ?? []), ...r.devices.filter((d) => d.device !== name).flatMap((d) => d.problems.filter((p) => p.includes(` from ${name} (`)))];
    const status = own?.status === "unreachable" ? "unreachable" : problems.length ? "failed" : "ok";
    out[name] = {
      status,
      sessions: own ? `${own.sessions.filter((s) => s.ok).length}/${own.sessions.length} Established` : "-",
      peersHold: `${holds.filter((h) => h.ok).length}/${holds.length} prefixes`,
      problems,
    };
  }
  return out;
}
