/**
 * `dcnet verify`'s command runner: the system `ssh` client with pinned host keys
 * (`StrictHostKeyChecking=yes`, a temporary known_hosts file holding only the inventory's keys,
 * each under the device's name as `HostKeyAlias`), `BatchMode=yes`, a connect timeout, and jump
 * hosts through a `ProxyCommand` that pins the jump host's key the same way.
 *
 * One connection per device: every read-only command the checks need runs in one `sh -s` batch
 * (stdout and stderr of each command base64-encoded between markers, exit codes kept), the whole
 * batch bounded by the per-device timeout and each command by `timeout` where the device has it.
 */
import { spawn, spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { RunResult } from "../lab/exec";
import { DeviceConnection, VerifyJumpHost } from "./inventory";

/** A command as argv. */
export type Argv = string[];

/** Files of one verify run (known_hosts, key files), removed by `close()`. */
export class SshContext {
  readonly dir: string;
  readonly knownHosts: string;
  private keyFiles = new Map<string, string>();

  constructor(connections: DeviceConnection[]) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "dcnet-verify-"));
    this.knownHosts = path.join(this.dir, "known_hosts");
    const lines: string[] = [];
    for (const c of connections) {
      if (c.hostKey) lines.push(`${aliasOf(c.device)} ${c.hostKey.split(/\s+/).slice(0, 2).join(" ")}`);
      if (c.proxy?.hostKey) lines.push(`${jumpAliasOf(c.proxy)} ${c.proxy.hostKey.split(/\s+/).slice(0, 2).join(" ")}`);
    }
    writeFileSync(this.knownHosts, [...new Set(lines)].join("\n") + "\n", { mode: 0o600 });
  }

  /** A file holding private key text (0600), one per distinct key. */
  keyFile(text: string): string {
    let f = this.keyFiles.get(text);
    if (!f) {
      f = path.join(this.dir, `key${this.keyFiles.size}`);
      writeFileSync(f, text.replace(/\n*$/, "\n"), { mode: 0o600 });
      this.keyFiles.set(text, f);
    }
    return f;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const aliasOf = (device: string) => `dcnet-device-${device}`;
const jumpAliasOf = (j: VerifyJumpHost) => `dcnet-jump-${j.host}-${j.port ?? 22}`;

/** Single-quote for sh. */
export function shq(v: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

function pinning(ctx: SshContext, alias: string, insecure: boolean): string[] {
  return insecure
    ? ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
    : ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${ctx.knownHosts}`, "-o", `HostKeyAlias=${alias}`, "-o", "GlobalKnownHostsFile=/dev/null"];
}

/** ssh argv (without the remote command) for a device. */
export function sshArgs(ctx: SshContext, c: DeviceConnection, connectTimeoutS: number): string[] {
  const args = ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", `ConnectTimeout=${connectTimeoutS}`, "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2", ...pinning(ctx, aliasOf(c.device), c.insecure)];
  const key = c.identityFile ?? (c.privateKey ? ctx.keyFile(c.privateKey) : undefined);
  if (key) args.push("-i", key, "-o", "IdentitiesOnly=yes");
  if (c.proxy) {
    const j = c.proxy;
    const jkey = j.identityFile ?? (j.privateKey ? ctx.keyFile(j.privateKey) : key);
    const jump = [
      "ssh",
      "-F",
      "/dev/null",
      "-o",
      "BatchMode=yes",
      "-o",
      `ConnectTimeout=${connectTimeoutS}`,
      ...pinning(ctx, jumpAliasOf(j), j.insecureSkipHostKeyCheck === true),
      ...(jkey ? ["-i", jkey, "-o", "IdentitiesOnly=yes"] : []),
      "-p",
      String(j.port ?? 22),
      "-W",
      "%h:%p",
      `${j.user ?? "root"}@${j.host}`,
    ];
    args.push("-o", `ProxyCommand=${jump.map((a) => (a === "%h:%p" ? a : shq(a))).join(" ")}`);
  }
  args.push("-p", String(c.port), "-l", c.user, c.host);
  return args;
}

const READ_ONLY: ((a: Argv) => boolean)[] = [
  // vtysh [--vty_socket DIR] [--config_dir DIR] [-N PS] -c 'show ...' ...
  (a) => /(^|\/)vtysh$/.test(a[0]) && a.includes("-c") && a.every((x, i) => a[i - 1] !== "-c" || /^show /.test(x)) && !a.some((x) => ["-f", "-b", "--boot", "-w", "--writeconfig", "--dryrun", "-i", "--inputfile"].includes(x)),
  // birdc [-s SOCKET] 'show ...'
  (a) => /(^|\/)birdc$/.test(a[0]) && /^show /.test(a[a.length - 1]) && a.slice(1, -1).every((x, i, l) => x === "-s" || l[i - 1] === "-s"),
  // ip -j -4|-6 route show ...
  (a) => a[0] === "ip" && a.includes("route") && a[a.indexOf("route") + 1] === "show",
  // the visible config: sed -E 's/.../' FILE (no -i), cat FILE
  (a) => a[0] === "sed" && a.length === 4 && a[1] === "-E" && !a.some((x) => x.startsWith("-i")),
  (a) => a[0] === "cat" && a.length === 2,
];

/** True when a command is one of the read-only shapes verify runs. */
export function isReadOnly(a: Argv): boolean {
  return READ_ONLY.some((f) => f(a));
}

/** The `sh -s` batch running `cmds` (each bounded by `timeoutS`), output between markers. */
export function batchScript(cmds: { argv: Argv; timeoutS: number }[]): string {
  const lines = [
    "exec 3>&1",
    "t() { s=$1; shift; if command -v timeout >/dev/null 2>&1; then timeout -s KILL \"$s\" \"$@\"; else \"$@\"; fi; }",
    // stdout kept byte for byte (a trailing x keeps trailing newlines), stderr captured apart
    "r() { i=$1; shift; printf '@@dcnet %s begin\\n' \"$i\"; err=$( { out=$(t \"$@\"; c=$?; printf x; exit \"$c\"); c=$?; printf '%s' \"${out%x}\" | base64 >&3; printf '\\n@@dcnet %s rc %s\\n' \"$i\" \"$c\" >&3; } 2>&1; printf x); printf '@@dcnet %s stderr\\n' \"$i\"; printf '%s' \"${err%x}\" | base64; printf '\\n@@dcnet %s end\\n' \"$i\"; }",
  ];
  cmds.forEach((c, i) => {
    if (!isReadOnly(c.argv)) throw new Error(`dcnet verify runs read-only commands only; refused: ${c.argv.join(" ")}`);
    lines.push(`r ${i} ${c.timeoutS} ${c.argv.map(shq).join(" ")}`);
  });
  lines.push("echo '@@dcnet done'");
  return lines.join("\n") + "\n";
}

/** Results of a batch by command index; `complete` when the batch ran to its end. */
export function parseBatch(stdout: string, count: number): { results: (RunResult | undefined)[]; complete: boolean } {
  const results: (RunResult | undefined)[] = new Array(count).fill(undefined);
  const re = /^@@dcnet (\d+) begin\n([\s\S]*?)\n@@dcnet \1 rc (\d+)\n@@dcnet \1 stderr\n([\s\S]*?)\n@@dcnet \1 end$/gm;
  const dec = (b: string) => Buffer.from(b.replace(/\s+/g, ""), "base64").toString("utf8");
  for (const m of stdout.matchAll(re)) {
    const i = Number(m[1]);
    if (i < count) results[i] = { code: Number(m[3]), stdout: dec(m[2]), stderr: dec(m[4]), ms: 0 };
  }
  return { results, complete: /^@@dcnet done$/m.test(stdout) };
}

/** What one ssh batch returned. */
export interface BatchOutcome {
  results: (RunResult | undefined)[];
  /** The device could not be reached (connection, authentication or host key failure, or the timeout before any output). */
  unreachable?: string;
  ms: number;
}

/** Run a batch on a device over ssh, killed after `timeoutMs`. Never rejects. */
export function runBatch(ctx: SshContext, c: DeviceConnection, cmds: { argv: Argv; timeoutS: number }[], timeoutMs: number): Promise<BatchOutcome> {
  const started = Date.now();
  const script = batchScript(cmds);
  const args = [...sshArgs(ctx, c, Math.max(1, Math.min(10, Math.floor(timeoutMs / 1000)))), "sh -s"];
  return new Promise((resolve) => {
    const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ results: [], unreachable: `ssh: ${e.message}`, ms: Date.now() - started });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const { results, complete } = parseBatch(out, cmds.length);
      const ms = Date.now() - started;
      const started_ = /^@@dcnet 0 begin$/m.test(out) || (cmds.length === 0 && complete);
      const why = timedOut ? `no answer within ${timeoutMs} ms` : `ssh exit ${code}: ${err.trim().split("\n").slice(-2).join(" ") || "no output"}`;
      if (!started_) resolve({ results, unreachable: `${c.user}@${c.host}:${c.port}${c.proxy ? ` via ${c.proxy.host}` : ""}: ${why}`, ms });
      else {
        // reached but cut short: the missing commands fail with the reason
        const filled = results.map((r) => r ?? { code: 255, stdout: "", stderr: complete ? "no result" : `batch cut short: ${why}`, ms: 0 });
        resolve({ results: filled, ms });
      }
    });
    child.stdin.end(script);
  });
}

/** One read-only command over ssh, synchronously (for a command the batch did not foresee). */
export function runOne(ctx: SshContext, c: DeviceConnection, argv: Argv, timeoutMs: number): RunResult {
  if (!isReadOnly(argv)) return { code: 126, stdout: "", stderr: `refused (not read-only): ${argv.join(" ")}`, ms: 0 };
  const started = Date.now();
  const r = spawnSync("ssh", [...sshArgs(ctx, c, Math.max(1, Math.min(10, Math.floor(timeoutMs / 1000)))), argv.map(shq).join(" ")], {
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? 255, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : ""), ms: Date.now() - started };
}
