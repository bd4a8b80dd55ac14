/**
 * `labDown(state | runDir)`: remove everything a lab run created, in reverse: processes (by the
 * PIDs recorded in the state, each checked to still be ours: its command line names the run
 * dir), then any process left inside the run's own namespaces (`ip netns pids`), namespaces,
 * root-namespace links, FRR path-space folders, management claims, and the run dir. Works on
 * the state of a complete, failed or interrupted `up`; a second call is harmless.
 */
import { existsSync, readFileSync, rmSync, readdirSync } from "fs";
import { run, sleep } from "./exec";
import { releaseClaim } from "./mgmt";
import { clusterDown } from "./cluster/index";
import { podsDown } from "./cluster/pods";
import { listNamespaces } from "./up";
import { LabProcess, LabState, loadState, saveState, stateFile } from "./state";

/** What `labDown` did. */
export interface LabDownResult {
  runDir: string;
  /** Nothing was recorded there (no lab, or already down). */
  nothing: boolean;
  killed: number[];
  namespaces: string[];
  links: string[];
  /** Problems met (down carries on past each). */
  warnings: string[];
}

/** True when the process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // state is the field after the parenthesised command name
    const st = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return st !== "Z" && st !== "X";
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** PID of a recorded process, if it is alive and still ours (command line names the run dir). */
function ourPid(p: LabProcess, runDir: string): number | undefined {
  const candidates: number[] = [];
  if (p.pid) candidates.push(p.pid);
  try {
    const fromFile = Number(readFileSync(p.pidFile, "utf8").trim());
    if (fromFile > 1 && !candidates.includes(fromFile)) candidates.push(fromFile);
  } catch {
    /* no pid file */
  }
  return candidates.find((pid) => pid > 1 && processAlive(pid) && cmdline(pid).includes(runDir));
}

/** Terminate pids: SIGTERM, wait up to `graceMs`, then SIGKILL and wait a little more. */
export async function terminate(pids: number[], graceMs = 3000): Promise<number[]> {
  const list = pids.filter((p) => p > 1 && p !== process.pid && processAlive(p));
  for (const pid of list) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (list.some(processAlive) && Date.now() < deadline) await sleep(50);
  const stubborn = list.filter(processAlive);
  for (const pid of stubborn) signal(pid, "SIGKILL");
  const killDeadline = Date.now() + 2000;
  while (stubborn.some(processAlive) && Date.now() < killDeadline) await sleep(50);
  return list;
}

/** PIDs of the processes inside a namespace. */
function namespacePids(ns: string): number[] {
  const r = run("ip", ["netns", "pids", ns], { check: false, timeoutMs: 5000 });
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1);
}

/** Remove a lab. Accepts the state returned by `labUp` (or read from its run dir), or the run dir. */
export async function labDown(target: LabState | string): Promise<LabDownResult> {
  const runDir = typeof target === "string" ? target : target.runDir;
  let state: LabState | undefined;
  try {
    state = existsSync(stateFile(runDir)) ? loadState(runDir) : typeof target === "string" ? undefined : target;
  } catch {
    state = typeof target === "string" ? undefined : target;
  }
  const result: LabDownResult = { runDir, nothing: !state, killed: [], namespaces: [], links: [], warnings: [] };
  if (!state) return result;
  if (state.status === "down" && !existsSync(runDir)) {
    result.nothing = true;
    return result;
  }

  // 0. the cluster side's pods: CNI DEL while their agents still run (their namespaces go in any case: recorded)
  result.warnings.push(...(await podsDown(state)));

  // 1. recorded processes, most recent first
  const pids = [...state.processes]
    .reverse()
    .map((p) => ourPid(p, state!.runDir))
    .filter((p): p is number => p !== undefined);
  result.killed.push(...(await terminate(pids)));

  // 2. anything still running inside the run's namespaces (started by the run, e.g. ssh sessions)
  const present = new Set(listNamespaces());
  const ours = state.namespaces.filter((ns) => present.has(ns) && (ns === state!.hubNamespace || ns.startsWith(`${state!.prefix}-`)));
  const leftovers = ours.flatMap(namespacePids);
  if (leftovers.length > 0) result.killed.push(...(await terminate(leftovers)));

  // 2b. the cluster side's cgroups (empty now that its agents are gone)
  result.warnings.push(...clusterDown(state));

  // 3. namespaces (their interfaces and veth peers go with them)
  for (const ns of ours) {
    const r = run("ip", ["netns", "del", ns], { check: false, timeoutMs: 10000 });
    if (r.code === 0) result.namespaces.push(ns);
    else if (!/No such file/.test(r.stderr)) result.warnings.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
  }

  // 4. root-namespace links (management bridge, ports that survived)
  for (const link of [...state.rootLinks].reverse()) {
    if (!link.startsWith(state.prefix)) continue;
    const exists = run("ip", ["link", "show", "dev", link], { check: false, timeoutMs: 5000 }).code === 0;
    if (!exists) continue;
    const r = run("ip", ["link", "del", "dev", link], { check: false, timeoutMs: 5000 });
    if (r.code === 0) result.links.push(link);
    // a veth whose peer sat in a namespace deleted just before goes with it (asynchronously)
    else if (!/Cannot find device/.test(r.stderr)) result.warnings.push(`ip link del ${link}: ${r.stderr.trim()}`);
  }

  // 5. FRR path-space folders, management claims
  for (const dir of state.frrRunDirs) {
    if (!dir.startsWith("/var/run/frr/") || !dir.slice("/var/run/frr/".length).startsWith(state.prefix)) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      result.warnings.push(`${dir}: ${(e as Error).message}`);
    }
  }
  for (const claim of state.claims) releaseClaim(claim, state.runDir);

  // 6. the run dir (only when it is a lab run dir: it holds our state file)
  state.status = "down";
  try {
    if (existsSync(stateFile(runDir))) {
      saveState(state);
      const entries = readdirSync(runDir);
      if (entries.includes("state.json")) rmSync(runDir, { recursive: true, force: true });
    }
  } catch (e) {
    result.warnings.push(`${runDir}: ${(e as Error).message}`);
  }
  return result;
}
