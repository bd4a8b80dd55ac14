/**
 * `verify(plan, inventory)`: the lab's checks (`checkFabric` in sdk/lab/check.ts, the same code
 * `lab check` runs through `ip netns exec`) run against real devices over ssh, plus drift.
 *
 * Two passes per device, one ssh connection: the checks first run against a recording runner
 * that only notes the read-only commands they would run; those (and the config read) go to the
 * device as one batch (parallel over devices, each bounded by `timeoutMs`); then the checks run
 * again, answered from the batch's results.
 */
import { Plan, PlanDevice } from "../plan/types";
import { RunResult } from "../lab/exec";
import { checkFabric, NodeCheck, SwitchCheck, TopologyCheck } from "../lab/check";
import { DeviceExec, ProbeTarget } from "../lab/probe";
import { DeviceConnection, deviceConnections, Inventory } from "./inventory";
import { Argv, runBatch, runOne, SshContext } from "./ssh";
import { configCommand, plannedVisibleConfig, sha256, unifiedDiff } from "./drift";

/** Options of `verify`. */
export interface VerifyOptions {
  /** Only these devices (names). */
  devices?: string[];
  /** Only the devices of these racks. */
  racks?: string[];
  /** Devices checked at the same time (default 8). */
  parallel?: number;
  /** Time one device may take, connection included (default 30000 ms). */
  timeoutMs?: number;
  /** Called when a device is done. */
  onProgress?: (p: { done: number; total: number; device: string; status: DeviceStatus }) => void;
}

/** Outcome of one device. */
export type DeviceStatus = "ok" | "drift" | "failed" | "unreachable";

/** The config comparison of a device. */
export interface ConfigDrift {
  file: string;
  plannedSha256: string;
  /** Of the visible config (a switch's passwords replaced by `<secret>` on the device). */
  runningSha256?: string;
  drift: boolean;
  /** Unified diff planned → running (visible config only). */
  diff?: string;
  error?: string;
}

/** What verify found on one device. */
export interface DeviceVerify {
  device: string;
  kind: "node" | "switch";
  role: string;
  rack?: string;
  asn: number;
  host: string;
  status: DeviceStatus;
  /** Why it was not reached. */
  unreachable?: string;
  switch?: SwitchCheck;
  node?: NodeCheck;
  topologyChecks: TopologyCheck[];
  config?: ConfigDrift;
  /** A note on what was not checked (a Cilium-speaking node). */
  note?: string;
  problems: string[];
  ms: number;
}

/** The report of `verify`. */
export interface VerifyReport {
  ok: boolean;
  /** 0 ok, 1 drift or a failed check, 2 a device unreachable. */
  exitCode: 0 | 1 | 2;
  plan: string;
  checkedAt: string;
  ms: number;
  counts: Record<DeviceStatus, number>;
  devices: DeviceVerify[];
  problems: string[];
}

const COMMAND_TIMEOUT_MS = 10000;
const key = (cmd: string, args: string[]) => JSON.stringify([cmd, ...args]);

export function targetFor(c: DeviceConnection, exec: DeviceExec): ProbeTarget {
  if (c.kind === "switch")
    return {
      name: c.device,
      exec,
      vtysh: [c.frr.vtysh, ...(c.frr.vtySocketDir ? ["--vty_socket", c.frr.vtySocketDir] : []), ...(c.frr.pathspace ? ["-N", c.frr.pathspace] : [])],
    };
  return { name: c.device, exec, birdc: [c.bird.birdc, ...(c.bird.controlSocket ? ["-s", c.bird.controlSocket] : [])] };
}

/** Nodes whose sessions a Cilium agent speaks: no BIRD to ask. */
export function ciliumSpoken(plan: Plan, d: PlanDevice): boolean {
  const s = plan.sessions.filter((x) => x.a.device === d.name && x.kind === "node-uplink");
  return s.length > 0 && s.every((x) => x.speaker === "cilium");
}

function checksOf(plan: Plan, d: PlanDevice, target: ProbeTarget, problems: string[]) {
  return checkFabric(plan, (n) => (n === d.name ? target : undefined), problems, { selected: (n) => n === d.name });
}

/** The devices a selection names (every device without one). Unknown names are errors. */
export function selectDevices(plan: Plan, opts: Pick<VerifyOptions, "devices" | "racks">): PlanDevice[] {
  const names = new Set(plan.devices.map((d) => d.name));
  const racks = new Set(plan.devices.map((d) => d.rack).filter((r): r is string => !!r));
  const bad = [...(opts.devices ?? []).filter((d) => !names.has(d)).map((d) => `no device ${d} in plan ${plan.name}`), ...(opts.racks ?? []).filter((r) => !racks.has(r)).map((r) => `no rack ${r} in plan ${plan.name}`)];
  if (bad.length) throw new Error(bad.join("; "));
  if (!opts.devices?.length && !opts.racks?.length) return plan.devices;
  return plan.devices.filter((d) => opts.devices?.includes(d.name) || (d.rack && opts.racks?.includes(d.rack)));
}

/** Verify the devices of a plan over ssh. Never throws for an unreachable or failing device. */
export async function verify(plan: Plan, inventory: Inventory, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const selected = selectDevices(plan, opts);
  const conns = new Map(deviceConnections(plan, inventory).map((c) => [c.device, c]));
  const timeoutMs = opts.timeoutMs ?? 30000;
  const ctx = new SshContext([...conns.values()]);
  try {
    const results: DeviceVerify[] = new Array(selected.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < selected.length) {
        const i = next++;
        results[i] = await verifyDevice(plan, selected[i], conns.get(selected[i].name)!, ctx, timeoutMs);
        opts.onProgress?.({ done: ++done, total: selected.length, device: selected[i].name, status: results[i].status });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel ?? 8, selected.length)) }, worker));
    const counts: Record<DeviceStatus, number> = { ok: 0, drift: 0, failed: 0, unreachable: 0 };
    for (const r of results) counts[r.status]++;
    const exitCode = counts.unreachable > 0 ? 2 : counts.drift + counts.failed > 0 ? 1 : 0;
    return {
      ok: exitCode === 0,
      exitCode,
      plan: plan.name,
      checkedAt: new Date().toISOString(),
      ms: Date.now() - started,
      counts,
      devices: results,
      problems: results.flatMap((r) => r.problems),
    };
  } finally {
    ctx.close();
  }
}

/**
 * Run `checks` against one device over one ssh connection, in two passes: a recording runner
 * notes the read-only commands the checks run (they see failures then: `recording` is true), those
 * (and `extra`) go to the device as one batch, then the checks run again answered from the batch
 * (a command not foreseen is asked on its own, within what is left of the device's time).
 */
export async function checkOverSsh(
  ctx: SshContext,
  c: DeviceConnection,
  timeoutMs: number,
  started: number,
  extra: { argv: Argv; timeoutS: number }[],
  checks: (exec: DeviceExec, recording: boolean) => void,
): Promise<{ unreachable?: string; answers: Map<string, RunResult> }> {
  const wanted: { argv: Argv; timeoutS: number }[] = [];
  const seen = new Set<string>();
  const recorder: DeviceExec = {
    run: (cmd, args, t) => {
      const k = key(cmd, args);
      if (!seen.has(k)) {
        seen.add(k);
        wanted.push({ argv: [cmd, ...args], timeoutS: Math.ceil(t / 1000) });
      }
      return { code: 255, stdout: "", stderr: "recording", ms: 0 };
    },
  };
  checks(recorder, true);
  wanted.push(...extra);
  const batch = await runBatch(ctx, c, wanted, timeoutMs);
  const answers = new Map<string, RunResult>();
  if (batch.unreachable) return { unreachable: batch.unreachable, answers };
  wanted.forEach((w, i) => answers.set(key(w.argv[0], w.argv.slice(1)), batch.results[i]!));
  const deadline = started + timeoutMs;
  const cached: DeviceExec = {
    run: (cmd, args, t) => {
      const hit = answers.get(key(cmd, args));
      if (hit) return hit;
      const left = deadline - Date.now();
      const r = left > 500 ? runOne(ctx, c, [cmd, ...args], Math.min(t, left)) : { code: 255, stdout: "", stderr: "device time used up", ms: 0 };
      answers.set(key(cmd, args), r);
      return r;
    },
  };
  checks(cached, false);
  return { answers };
}

async function verifyDevice(plan: Plan, d: PlanDevice, c: DeviceConnection, ctx: SshContext, timeoutMs: number): Promise<DeviceVerify> {
  const started = Date.now();
  const base = { device: d.name, kind: c.kind, role: d.role, ...(d.rack ? { rack: d.rack } : {}), asn: d.asn, host: c.host, topologyChecks: [] as TopologyCheck[] };
  if (c.refused) return { ...base, status: "unreachable", unreachable: c.refused, problems: [`${d.name}: ${c.refused}`], ms: 0 };
  const cilium = c.kind === "node" && ciliumSpoken(plan, d);
  const cfgArgv = configCommand(c);
  let sw: SwitchCheck | undefined;
  let node: NodeCheck | undefined;
  let topo: TopologyCheck[] = [];
  const problems: string[] = [];
  const run = await checkOverSsh(ctx, c, timeoutMs, started, [{ argv: cfgArgv, timeoutS: Math.ceil(COMMAND_TIMEOUT_MS / 1000) }], (exec, recording) => {
    if (cilium) return;
    const f = checksOf(plan, d, targetFor(c, exec), recording ? [] : problems);
    if (recording) return;
    sw = f.switches[0];
    node = f.nodes[0];
    topo = f.topologyChecks;
  });
  if (run.unreachable) return { ...base, status: "unreachable", unreachable: run.unreachable, problems: [`${d.name}: unreachable: ${run.unreachable}`], ms: Date.now() - started };
  const answers = run.answers;
  // drift
  const planned = plannedVisibleConfig(plan, c);
  const file = c.kind === "switch" ? c.frr.configFile : c.bird.configFile;
  const r = answers.get(key(cfgArgv[0], cfgArgv.slice(1)))!;
  let config: ConfigDrift;
  if (r.code !== 0) {
    config = { file, plannedSha256: sha256(planned), drift: true, error: `cannot read ${file}: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}` };
    problems.push(`${d.name}: ${config.error}`);
  } else {
    const running = r.stdout;
    const drift = running !== planned;
    config = { file, plannedSha256: sha256(planned), runningSha256: sha256(running), drift, ...(drift ? { diff: unifiedDiff(planned, running, [`planned ${d.name} ${file}`, `running ${d.name} ${file}`]) } : {}) };
    if (drift) problems.push(`${d.name}: drift: ${file} differs from the planned config (sha256 ${config.runningSha256!.slice(0, 12)}…, planned ${config.plannedSha256.slice(0, 12)}…)`);
  }
  const checksFailed = problems.some((p) => !p.startsWith(`${d.name}: drift:`));
  const status: DeviceStatus = checksFailed ? "failed" : config.drift ? "drift" : "ok";
  return {
    ...base,
    status,
    ...(sw ? { switch: sw } : {}),
    ...(node ? { node } : {}),
    topologyChecks: topo,
    config,
    ...(cilium ? { note: "its sessions are spoken by the Cilium agent: checked from the switches' side; bird.conf compared as planned" } : {}),
    problems: [...new Set(problems)],
    ms: Date.now() - started,
  };
}

function table(headers: string[], rows: string[][], indent = "  "): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(headers), ...rows.map(line)];
}

const STATUS: Record<DeviceStatus, string> = { ok: "ok", drift: "DRIFT", failed: "FAILED", unreachable: "UNREACHABLE" };

/** Text rendering: a summary table, then a table per device (sessions, routes, config, problems). */
export function formatVerifyReport(r: VerifyReport): string {
  const out: string[] = [];
  const n = r.devices.length;
  out.push(
    `dcnet verify: plan ${r.plan} — ${n} device${n === 1 ? "" : "s"}: ${r.counts.ok} ok, ${r.counts.drift} drift, ${r.counts.failed} failed, ${r.counts.unreachable} unreachable (${(r.ms / 1000).toFixed(1)} s) — ${r.ok ? "OK" : `exit ${r.exitCode}`}`,
  );
  out.push("");
  out.push(
    ...table(
      ["DEVICE", "KIND", "HOST", "SESSIONS", "ROUTES", "CONFIG", "STATUS"],
      r.devices.map((d) => {
        const sessions = d.switch?.sessions ?? d.node?.sessions ?? [];
        const routes = d.switch ? `${d.switch.routes.filter((x) => x.ok).length}/${d.switch.routes.length}` : d.node ? `imported ${d.node.sessions.reduce((a, s) => a + s.imported, 0)}` : "-";
        return [
          d.device,
          `${d.kind} ${d.role}`,
          d.host,
          d.status === "unreachable" ? "-" : `${sessions.filter((s) => s.ok).length}/${sessions.length}`,
          d.status === "unreachable" ? "-" : routes,
          d.config ? (d.config.error ? "unreadable" : d.config.drift ? "drift" : "as planned") : "-",
          STATUS[d.status],
        ];
      }),
      "",
    ),
  );
  for (const d of r.devices) {
    out.push("");
    out.push(`${d.kind} ${d.device} (${d.role}${d.rack ? `, rack ${d.rack}` : ""}, AS ${d.asn}) ${d.host} — ${STATUS[d.status]} in ${(d.ms / 1000).toFixed(1)} s`);
    if (d.unreachable) {
      out.push(`  unreachable: ${d.unreachable}`);
      continue;
    }
    if (d.note) out.push(`  note: ${d.note}`);
    if (d.switch)
      out.push(
        ...table(
          ["SESSION", "PEER", "DEVICE", "STATE", "RECEIVED", ""],
          d.switch.sessions.map((s) => [s.session, s.peer, s.device, s.state, String(s.pfxRcd), s.ok ? "ok" : "FAILED"]),
        ),
      );
    if (d.node)
      out.push(
        ...table(
          ["PROTOCOL", "SESSION", "PEER", "STATE", "IMPORTED", "EXPORTED", ""],
          d.node.sessions.map((s) => [s.protocol, s.session, s.peer, s.state, String(s.imported), `${s.exported} of ${d.node!.announcements}`, s.ok ? "ok" : "FAILED"]),
        ),
      );
    if (d.switch) {
      const bad = d.switch.routes.filter((x) => !x.ok);
      out.push(`  routes: ${d.switch.routes.length - bad.length}/${d.switch.routes.length} as planned (BGP table and kernel FIB, ECMP next hops)`);
      for (const x of bad) out.push(`    ${x.prefix} ${x.kind}: BGP ${x.bgp?.join(", ") ?? "missing"}, FIB ${x.fib?.join(", ") ?? "missing"}, plan ${x.expected.join(", ") || "nothing"}`);
    }
    if (d.node) out.push(`  kernel routes from BIRD: ${d.node.kernelBirdRoutes} (must be 0)`);
    for (const t of d.topologyChecks) out.push(`  ${t.ok ? "ok" : "FAILED"}: ${t.name}: ${t.detail}`);
    if (d.config) {
      const c = d.config;
      out.push(c.error ? `  config ${c.file}: ${c.error}` : `  config ${c.file}: ${c.drift ? `DRIFT (running sha256 ${c.runningSha256}, planned ${c.plannedSha256})` : `as planned (sha256 ${c.plannedSha256})`}`);
      if (c.diff) out.push(...c.diff.replace(/\n$/, "").split("\n").map((l) => `    ${l}`));
    }
    if (d.problems.length) for (const p of d.problems) out.push(`  - ${p}`);
  }
  return out.join("\n") + "\n";
}
