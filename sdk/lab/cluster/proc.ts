/**
 * Starting the cluster side's processes: recorded in the lab state before the spawn (pid right
 * after), detached, output to a log in the run dir; bounded waits that fail early, with the log's
 * tail, when the process died.
 */
import { spawn } from "child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "fs";
import { createServer } from "net";
import { LabError, sleep } from "../exec";
import { LabProcess, LabState, saveState } from "../state";
import { ClusterDaemon } from "./types";

/** Exit reasons of children this process spawned (pid → text). */
const exited = new Map<number, string>();

/** Why a recorded process stopped, if it did (as seen by this process). */
export function exitReason(rec: LabProcess): string | undefined {
  return rec.pid !== undefined ? exited.get(rec.pid) : undefined;
}

/** Last lines of a log file. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Spawn `argv` detached (every wrapper execs, so the pid is the daemon's), stdout/stderr to `log`.
 * The record (with `pidFile` = a file the lab writes the pid to) is saved before the spawn.
 */
export function spawnRecorded(
  state: LabState,
  device: string,
  daemon: ClusterDaemon,
  argv: string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
): LabProcess {
  const rec: LabProcess = { device, daemon, pidFile: `${log}.pid`, cmd: argv.join(" ") };
  state.processes.push(rec);
  saveState(state);
  const fd = openSync(log, "a", 0o640);
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", fd, fd], env });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new LabError(`could not start ${argv[0]} for ${device}`);
  const pid = child.pid;
  rec.pid = pid;
  child.on("exit", (code, sig) => exited.set(pid, sig ? `killed by ${sig}` : `exit ${code}`));
  child.on("error", (e) => exited.set(pid, e.message));
  child.unref();
  saveState(state);
  // the pid file lets `labDown` find the process also when state.json's pid was lost
  try {
    writeFileSync(rec.pidFile, `${pid}\n`, { mode: 0o644 });
  } catch {
    /* the recorded pid is enough */
  }
  return rec;
}

/**
 * Poll `probe` until it returns a value (not undefined), the process dies, or `timeoutMs` passes;
 * throws a LabError naming `what` with the log's tail.
 */
export async function waitReady<T>(what: string, rec: LabProcess | undefined, log: string, timeoutMs: number, probe: () => T | undefined, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = rec ? exitReason(rec) : undefined;
    if (why) throw new LabError(`${what} stopped (${why}):\n${tail(log)}`);
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new LabError(`${what} not ready after ${Math.round(timeoutMs / 1000)} s:\n${tail(log)}`);
    await sleep(intervalMs);
  }
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; it is released before returning). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}
