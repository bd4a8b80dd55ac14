/**
 * Operations on a running lab, for failure tests and for later tooling: stop/start/restart BIRD
 * on a node, replace a node's BIRD config, take links down and up, read a switch's FIB entry,
 * measure how long a change takes to show, ping across the fabric. Every wait is bounded.
 */
import { writeFileSync } from "fs";
import { Plan } from "../plan/types";
import { LabError, nsRun, run, sleep } from "./exec";
import { processAlive as alive, terminate } from "./down";
import { birdc, kernelRoutes, normalizePrefix } from "./probe";
import { requireTools } from "./prereq";
import { LabDevice, LabState, saveState } from "./state";
import { startBird, waitStarted } from "./up";
import { LabNames } from "./names";

/** The lab device named `name` (throws when the lab has none). */
export function labDevice(state: LabState, name: string): LabDevice {
  const dev = state.devices[name];
  if (!dev) throw new LabError(`the lab has no device ${name}`);
  return dev;
}

/** PID of the running BIRD of a node (the most recent one the lab started), if alive. */
export function birdPid(state: LabState, node: string): number | undefined {
  const rec = [...state.processes].reverse().find((p) => p.device === node && p.daemon === "bird");
  return rec?.pid !== undefined && alive(rec.pid) ? rec.pid : undefined;
}

/**
 * Stop BIRD on a node:
 * - `down`: `birdc down` — BIRD closes its sessions with a Cease NOTIFICATION (an orderly stop:
 *   peers flush the node's routes at once);
 * - `graceful`: `birdc graceful restart` — BIRD exits announcing a graceful restart (peers keep
 *   the routes as stale until it comes back or the restart time runs out);
 * - `kill`: SIGKILL (a crash: TCP closes without NOTIFICATION; with graceful restart negotiated
 *   the peers treat it like a restart).
 * Waits (bounded) until the process is gone.
 */
export async function stopBird(state: LabState, node: string, mode: "down" | "graceful" | "kill", timeoutMs = 10000): Promise<void> {
  const dev = labDevice(state, node);
  const pid = birdPid(state, node);
  if (pid === undefined) return;
  if (mode === "kill") process.kill(pid, "SIGKILL");
  else {
    const r = birdc(dev, mode === "down" ? "down" : "graceful restart");
    if (r.code !== 0) throw new LabError(`birdc on ${node}: ${(r.stderr || r.stdout).trim()}`);
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(20);
  if (alive(pid)) await terminate([pid], 1000);
}

/**
 * Start BIRD again on a node (after `stopBird`), with its config file as it is now. With
 * `recovery` (use it after `stopBird(..., "graceful")` or a crash) BIRD starts with `-R` and
 * signals preserved forwarding state, so peers keep the node's routes until it has re-sent them;
 * without it, peers drop the stale routes as soon as the new session opens (RFC 4724, F bit clear).
 */
export async function startBirdAgain(state: LabState, node: string, opts: { recovery?: boolean } = {}): Promise<number> {
  const dev = labDevice(state, node);
  if (!dev.bird) throw new LabError(`${node} runs no BIRD`);
  if (birdPid(state, node) !== undefined) throw new LabError(`BIRD already runs on ${node}`);
  const tools = requireTools();
  const w = startBird(state, dev, tools, opts);
  await waitStarted([w]);
  saveState(state);
  return w.rec.pid!;
}

/** Write a node's BIRD config (e.g. a hand-written one) and restart BIRD with it (orderly stop). */
export async function replaceBirdConfig(state: LabState, node: string, text: string): Promise<void> {
  const dev = labDevice(state, node);
  if (!dev.bird) throw new LabError(`${node} runs no BIRD`);
  const tools = requireTools();
  const tmp = `${dev.bird.conf}.new`;
  writeFileSync(tmp, text, { mode: 0o600 });
  const parse = run(tools.bird, ["-p", "-c", tmp], { check: false, timeoutMs: 10000 });
  if (parse.code !== 0) throw new LabError(`BIRD rejects the config for ${node}:\n${(parse.stdout + parse.stderr).trim()}`);
  await stopBird(state, node, "down");
  writeFileSync(dev.bird.conf, text, { mode: 0o600 });
  await startBirdAgain(state, node);
}

/** Where a device's interface plugs in: the interface to flip to simulate a cable pull. */
export function cableOf(plan: Plan, state: LabState, device: string, iface: string): { namespace: string; ifname: string } {
  const names = new LabNames(state.prefix);
  const k = plan.segments.findIndex((s) => s.members.some((m) => m.device === device && m.interface === iface));
  if (k < 0) throw new LabError(`${device} has no interface ${iface} on any segment`);
  const seg = plan.segments[k];
  if (seg.kind === "p2p" && seg.members.length === 2) return { namespace: labDevice(state, device).namespace, ifname: iface };
  const j = seg.members.findIndex((m) => m.device === device && m.interface === iface);
  return { namespace: state.hubNamespace, ifname: names.segmentPort(k, j) };
}

/**
 * Take a link down or up. For a shared segment (rack network) this flips the bridge port of the
 * device, like pulling its cable: the device loses carrier, the switches on the segment do not
 * (only BFD or the hold timer can tell them). For a point-to-point link it flips the device's end.
 */
export function setLink(plan: Plan, state: LabState, device: string, iface: string, up: boolean): void {
  const c = cableOf(plan, state, device, iface);
  run("ip", ["-n", c.namespace, "link", "set", "dev", c.ifname, up ? "up" : "down"], { timeoutMs: 5000 });
}

/** Next hops of the kernel route for `prefix` on a device (null when there is no route). */
export function fibNextHops(state: LabState, device: string, prefix: string): string[] | null {
  const dev = labDevice(state, device);
  const p = normalizePrefix(prefix);
  const r = run("ip", ["-n", dev.namespace, "-j", p.includes(":") ? "-6" : "-4", "route", "show", "exact", p], { check: false, timeoutMs: 5000 });
  if (r.code !== 0) return null;
  const list = JSON.parse(r.stdout || "[]") as { gateway?: string; nexthops?: { gateway?: string }[] }[];
  if (list.length === 0) return null;
  const hops: string[] = [];
  for (const e of list) {
    if (e.gateway) hops.push(e.gateway);
    for (const n of e.nexthops ?? []) if (n.gateway) hops.push(n.gateway);
  }
  return [...new Set(hops)].sort();
}

/**
 * Poll `probe` every `intervalMs` (synchronously, so the timing is tight) until it is true;
 * returns the elapsed ms, or undefined after `timeoutMs`.
 */
export async function timeUntil(probe: () => boolean, timeoutMs: number, intervalMs = 10, since = Date.now()): Promise<number | undefined> {
  const deadline = since + timeoutMs;
  for (;;) {
    if (probe()) return Date.now() - since;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

const REACH_SCRIPT = `
const [host, port, src, ms] = process.argv.slice(1);
const s = require("net").connect({ host, port: Number(port), ...(src ? { localAddress: src } : {}) });
const t = setTimeout(() => { process.stdout.write("timeout"); process.exit(1); }, Number(ms));
s.on("connect", () => { clearTimeout(t); process.stdout.write("connected"); process.exit(0); });
s.on("error", (e) => { clearTimeout(t); process.stdout.write(e.code || String(e)); process.exit(e.code === "ECONNREFUSED" ? 0 : 1); });
`;

/**
 * Is `target` reachable from a device over the data plane? Opens a TCP connection (port 9 by
 * default) from the device's namespace, optionally from `source`; a connection or a TCP reset
 * (ECONNREFUSED: only the host owning the address sends it) proves the path both ways.
 * Bounded by `timeoutMs` (default 1000). Needs nothing but node itself.
 */
export function reach(state: LabState, device: string, target: string, opts: { source?: string; port?: number; timeoutMs?: number } = {}): { ok: boolean; result: string } {
  const dev = labDevice(state, device);
  const ms = opts.timeoutMs ?? 1000;
  const r = nsRun(dev.namespace, process.execPath, ["-e", REACH_SCRIPT, target, String(opts.port ?? 9), opts.source ?? "", String(ms)], { check: false, timeoutMs: ms + 5000 });
  return { ok: r.code === 0, result: r.stdout.trim() || r.stderr.trim() };
}

/** BGP routes of a family a device's kernel holds (convenience for tests). */
export function bgpFib(state: LabState, device: string, family: "ipv4" | "ipv6" = "ipv4"): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [p, r] of kernelRoutes(labDevice(state, device), family, "bgp").routes) out.set(p, r.nextHops.sort());
  return out;
}
