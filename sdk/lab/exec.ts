/**
 * Bounded command execution for the lab: every command has a timeout (SIGKILL when it runs out),
 * failures carry the command line and its stderr.
 */
import { spawnSync } from "child_process";
import { existsSync } from "fs";

/** Error raised by the lab, with a message meant for the user. */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabError";
  }
}

/** Result of a command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Milliseconds the command took. */
  ms: number;
}

/** Options of `run`. */
export interface RunOptions {
  /** Kill the command after this many ms (default 15000). */
  timeoutMs?: number;
  /** Text fed to stdin. */
  input?: string;
  /** Throw a LabError on a non-zero exit (default true). */
  check?: boolean;
}

/** Run a command synchronously, bounded in time. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    input: opts.input,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 15000,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const ms = Date.now() - started;
  const code = r.status ?? (r.error || r.signal ? 255 : 0);
  const result: RunResult = { code, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ms };
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") result.stderr = `${cmd}: command not found`;
  else if (r.signal === "SIGKILL" && ms >= (opts.timeoutMs ?? 15000)) result.stderr += `\n(timed out after ${opts.timeoutMs ?? 15000} ms)`;
  if ((opts.check ?? true) && code !== 0) throw commandFailed(cmd, args, result);
  return result;
}

/** The error a failed command is reported with: exit code, command line, then its own output. */
export function commandFailed(cmd: string, args: string[], r: RunResult): LabError {
  return new LabError(`command failed (exit ${r.code}): ${[cmd, ...args].join(" ")}\n${(r.stderr || r.stdout).trim()}`);
}

/** Run a command inside network namespace `ns` (`ip netns exec`). */
export function nsRun(ns: string, cmd: string, args: string[], opts: RunOptions = {}): RunResult {
  return run("ip", ["netns", "exec", ns, cmd, ...args], opts);
}

/** Run `ip -batch` (optionally in namespace `ns`): one ip command per line, stops at the first error. */
export function ipBatch(ns: string | undefined, lines: string[], opts: RunOptions = {}): RunResult | undefined {
  if (lines.length === 0) return undefined;
  return run("ip", [...(ns ? ["-n", ns] : []), "-batch", "-"], { ...opts, input: lines.join("\n") + "\n" });
}

/** Sleep `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `probe` every `intervalMs` until it returns a value other than undefined or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** First existing executable among candidates (absolute paths or names looked up in PATH). */
export function findExecutable(candidates: string[]): string | undefined {
  const pathDirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
  for (const c of candidates) {
    if (c.includes("/")) {
      if (existsSync(c)) return c;
      continue;
    }
    for (const d of pathDirs) if (d && existsSync(`${d}/${c}`)) return `${d}/${c}`;
  }
  return undefined;
}
