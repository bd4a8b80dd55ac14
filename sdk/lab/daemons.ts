/**
 * Lab daemons: starting FRR and BIRD (and any other daemon) detached inside a namespace with
 * their record saved first, waiting for their sockets, and loading FRR configs.
 */
import { spawn } from "child_process";
import { closeSync, existsSync, openSync, readFileSync } from "fs";
import { join } from "path";
import { findExecutable, LabError, nsRun, run, waitFor } from "./exec";
import { LabTools } from "./prereq";
import { LabDevice, LabProcess, LabState, saveState } from "./state";

/** How long a daemon may take to open its sockets. */
export const DAEMON_START_TIMEOUT_MS = 10000;

/** What to wait for after starting a daemon. */
export interface DaemonWait {
  files: string[];
  rec: LabProcess;
  log: string;
}

let frrIds: { uid: number; gid: number } | undefined;
export function frrUser(): { uid: number; gid: number } {
  if (!frrIds) frrIds = { uid: Number(run("id", ["-u", "frr"]).stdout.trim()), gid: Number(run("id", ["-g", "frr"]).stdout.trim()) };
  return frrIds;
}

let unshareBin: string | null | undefined;
/** `unshare` (util-linux), when present. */
function utsWrapper(): string | undefined {
  if (unshareBin === undefined) unshareBin = findExecutable(["unshare"]) ?? null;
  return unshareBin ?? undefined;
}

/** Children spawned by this process that already exited (pid → exit code/signal). */
const exited = new Map<number, string>();

/** Start a daemon detached inside a namespace; the record is saved before the spawn, the pid right after. */
export function spawnDaemon(state: LabState, rec: LabProcess, ns: string, cmd: string, args: string[], logFile: string, hostname?: string): void {
  state.processes.push(rec);
  saveState(state);
  const fd = openSync(logFile, "a", 0o640);
  // with a hostname: its own UTS namespace named after the device (FRR shows it, ssh sessions see it);
  // every step execs, so the recorded pid is the daemon's
  const uts = hostname && /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(hostname) ? utsWrapper() : undefined;
  const argv = uts ? ["netns", "exec", ns, uts, "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname!, cmd, ...args] : ["netns", "exec", ns, cmd, ...args];
  let child;
  try {
    child = spawn("ip", argv, { detached: true, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new LabError(`could not start ${cmd} in ${ns}`);
  const pid = child.pid;
  rec.pid = pid;
  saveState(state);
  child.on("error", () => undefined);
  child.on("exit", (code, signal) => exited.set(pid, signal ? `signal ${signal}` : `exit ${code}`));
  child.unref();
}

function tail(file: string, lines = 12): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Wait until every path exists; fail early (with the log) when the daemon died. */
export async function waitForFiles(items: DaemonWait[], timeoutMs: number): Promise<void> {
  const ok = await waitFor(() => {
    for (const it of items) {
      const why = it.rec.pid !== undefined ? exited.get(it.rec.pid) : undefined;
      if (why) throw new LabError(`${it.rec.daemon} on ${it.rec.device} stopped (${why}):\n${tail(it.log)}`);
    }
    return items.every((it) => it.files.every((f) => existsSync(f))) ? true : undefined;
  }, timeoutMs, 25);
  if (!ok) {
    const late = items.filter((it) => !it.files.every((f) => existsSync(f)));
    throw new LabError(`timed out after ${timeoutMs} ms waiting for ${late.map((it) => `${it.rec.daemon} on ${it.rec.device}`).join(", ")}:\n${late.map((it) => tail(it.log, 5)).join("\n")}`);
  }
}

/**
 * Start BIRD on a node (its config must be in place). Returns what to wait for. `recovery` starts
 * it with `-R` (graceful restart recovery: its sessions tell peers the forwarding state was kept,
 * so they hold the node's routes until BIRD has re-sent them), as after `birdc graceful restart`.
 */
export function startBird(state: LabState, dev: LabDevice, tools: Pick<LabTools, "bird">, opts: { recovery?: boolean } = {}): DaemonWait {
  const b = dev.bird!;
  const args = ["-f", ...(opts.recovery ? ["-R"] : []), "-c", b.conf, "-s", b.socket, "-P", b.pidFile];
  const rec: LabProcess = { device: dev.name, daemon: "bird", pidFile: b.pidFile, cmd: [tools.bird, ...args].join(" ") };
  spawnDaemon(state, rec, dev.namespace, tools.bird, args, b.log, dev.name);
  return { files: [b.socket], rec, log: b.log };
}

/** Wait for a daemon started by `startBird` to open its socket. */
export async function waitStarted(items: DaemonWait[], timeoutMs = DAEMON_START_TIMEOUT_MS): Promise<void> {
  await waitForFiles(items, timeoutMs);
}

/** Load a switch's running config file into its FRR daemons (`vtysh -f`). */
export function applyFrrConfig(dev: LabDevice, tools: Pick<LabTools, "vtysh">): void {
  const r = nsRun(dev.namespace, tools.vtysh, ["--vty_socket", dev.frr!.vtySocketDir, "--config_dir", dev.frr!.vtySocketDir, "-f", dev.frr!.conf], {
    check: false,
    timeoutMs: 30000,
  });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.code !== 0 || /% (Unknown|Ambiguous|Invalid|Command incomplete)|line \d+: %/.test(out))
    throw new LabError(`FRR on ${dev.name} did not take ${dev.frr!.conf} (exit ${r.code}):\n${out}`);
}


/** Arguments of an FRR daemon in its own path space, with sockets, pid and log in `dev.dir`. */
export function frrDaemonArgs(dev: LabDevice, daemon: string): string[] {
  return [
    "-N",
    dev.frr!.pathspace,
    "--vty_socket",
    dev.frr!.vtySocketDir,
    "-i",
    join(dev.dir, `${daemon}.pid`),
    "-z",
    dev.frr!.zservSocket,
    "-P",
    "0",
    "--log",
    `file:${join(dev.dir, `${daemon}.log`)}`,
    "-f",
    "/dev/null",
  ];
}

/** Start FRR's zebra, then bgpd and bfdd, on each device; wait for their vty sockets. */
export async function startFrr(state: LabState, devices: LabDevice[], tools: Pick<LabTools, "zebra" | "bgpd" | "bfdd">, hostnames = true): Promise<void> {
  const zebraWait: DaemonWait[] = [];
  for (const dev of devices) {
    const rec: LabProcess = { device: dev.name, daemon: "zebra", pidFile: join(dev.dir, "zebra.pid"), cmd: "" };
    const args = [...frrDaemonArgs(dev, "zebra"), "-s", "16777216"];
    rec.cmd = [tools.zebra, ...args].join(" ");
    spawnDaemon(state, rec, dev.namespace, tools.zebra, args, join(dev.dir, "zebra.out"), hostnames ? dev.name : undefined);
    zebraWait.push({ files: [dev.frr!.zservSocket, join(dev.dir, "zebra.vty")], rec, log: join(dev.dir, "zebra.log") });
  }
  await waitForFiles(zebraWait, DAEMON_START_TIMEOUT_MS);
  const restWait: DaemonWait[] = [];
  for (const dev of devices) {
    for (const daemon of ["bgpd", "bfdd"] as const) {
      const args = [...frrDaemonArgs(dev, daemon), ...(daemon === "bfdd" ? ["--bfdctl", dev.frr!.bfdctlSocket] : [])];
      const rec: LabProcess = { device: dev.name, daemon, pidFile: join(dev.dir, `${daemon}.pid`), cmd: [tools[daemon], ...args].join(" ") };
      spawnDaemon(state, rec, dev.namespace, tools[daemon], args, join(dev.dir, `${daemon}.out`), hostnames ? dev.name : undefined);
      restWait.push({ files: [join(dev.dir, `${daemon}.vty`)], rec, log: join(dev.dir, `${daemon}.log`) });
    }
  }
  await waitForFiles(restWait, DAEMON_START_TIMEOUT_MS);
  for (const dev of devices) applyFrrConfig(dev, tools as LabTools);
}
