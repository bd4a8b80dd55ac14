/**
 * The real configuration parsers, run on files in a temporary directory, no daemon needed:
 * - BIRD: `bird -p -c FILE` (parse only; exit 1 and `bird: FILE:LINE:COL message` on error).
 * - FRR:  `vtysh --config_dir DIR --dryrun -f FILE` (exit 2 and `line N: % Unknown command` on
 *   error). DIR holds an empty vtysh.conf so the host's /etc/frr/vtysh.conf cannot interfere.
 *   vtysh only matches each line against the command grammar; as root the daemons' own
 *   loaders are run too (`bgpd -C`, `bfdd -C`: load the config, then exit), which also apply
 *   the config and report semantic failures (`Config Failed`, e.g. a neighbor with no
 *   remote-as). They run in a throwaway network namespace (`unshare -n`: bfdd -C binds the BFD
 *   ports) with bfdd's control socket in the temp dir (by default it would unlink and rebind
 *   /var/run/frr/bfdd.sock), and the crash-log directory each leaves behind
 *   (/var/tmp/frr/<daemon>.<pid>) is removed.
 */
import { execFile } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

/** Outcome of one parser run. */
export interface ParseResult {
  ok: boolean;
  /** Exit code (null when the program could not run). */
  code: number | null;
  /** stdout + stderr. */
  output: string;
}

const BGPD = "/usr/lib/frr/bgpd";
const BFDD = "/usr/lib/frr/bfdd";

function run(cmd: string, args: string[], cwd?: string): Promise<{ code: number | null; output: string; pid?: number }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd, timeout: 20000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout ?? ""}${stderr ?? ""}`;
      if (!error) return resolve({ code: 0, output, pid: child.pid });
      const code = (error as NodeJS.ErrnoException & { code?: unknown }).code;
      resolve({ code: typeof code === "number" ? code : null, output: output || String(error), pid: child.pid });
    });
  });
}

/** Run an FRR daemon's `-C` check in a new network namespace, then remove its (empty) crash-log directory. */
async function runDaemonCheck(daemon: string, args: string[]): Promise<{ code: number | null; output: string }> {
  // `unshare -n` execs the daemon in place, so the pid is the daemon's
  const r = await run("unshare", ["-n", daemon, ...args]);
  if (r.pid !== undefined) {
    try {
      rmdirSync(`/var/tmp/frr/${daemon.split("/").pop()}.${r.pid}`);
    } catch {
      // not there, or not empty (then it holds a crash log worth keeping)
    }
  }
  return r;
}

/** A temporary directory readable by the FRR daemons' `frr` user; remove it with `dispose()`. */
export class TempDir {
  readonly path: string;
  constructor(prefix = "dcnet-render-") {
    this.path = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(this.path, 0o755);
    writeFileSync(join(this.path, "vtysh.conf"), "");
    // where the daemons (user frr) may create their sockets
    mkdirSync(join(this.path, "run"));
    chmodSync(join(this.path, "run"), 0o777);
  }
  /** Write a file (mode 0644) and return its path. */
  write(name: string, text: string): string {
    const file = join(this.path, name);
    writeFileSync(file, text, { mode: 0o644 });
    chmodSync(file, 0o644);
    return file;
  }
  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Throw a helpful error when a parser binary is missing. */
export function requireParsers(): void {
  const missing = [
    ["bird", "/usr/sbin/bird"],
    ["vtysh", "/usr/bin/vtysh"],
  ].filter(([, p]) => !existsSync(p));
  if (missing.length > 0) throw new Error(`missing parser(s): ${missing.map((m) => m[0]).join(", ")} (install bird2 and frr)`);
}

/** `bird -p -c FILE`. */
export async function birdParse(file: string): Promise<ParseResult> {
  const r = await run("bird", ["-p", "-c", file]);
  return { ok: r.code === 0, ...r };
}

/** `vtysh --config_dir DIR --dryrun -f FILE` with DIR = the file's temp directory. */
export async function vtyshDryrun(dir: TempDir, file: string): Promise<ParseResult> {
  const r = await run("vtysh", ["--config_dir", dir.path, "--dryrun", "-f", file]);
  return { ok: r.code === 0, ...r };
}

/** True when the daemon-loader check can run (root, daemons installed). */
export function canRunDaemonCheck(): boolean {
  return process.getuid?.() === 0 && existsSync(BGPD) && existsSync(BFDD) && existsSync("/usr/bin/unshare");
}

/** Split an FRR config into the bfdd part (`bfd` … `exit`) and the bgpd part (the rest, minus vtysh-only and zebra-only lines). */
export function splitFrrConfig(text: string): { bfd: string; bgp: string } {
  const bfd: string[] = [];
  const bgp: string[] = [];
  let inBfd = false;
  for (const line of text.split("\n")) {
    if (line === "bfd") inBfd = true;
    if (inBfd) bfd.push(line);
    // zebra's: `zebra …` globals and router advertisements in interface stanzas (`ipv6 nd …`)
    else if (line !== "service integrated-vtysh-config" && !/^(no )?zebra /.test(line) && !/^ (no )?ipv6 nd /.test(line)) bgp.push(line);
    if (inBfd && line === "exit") inBfd = false;
  }
  return { bfd: bfd.join("\n") + "\n", bgp: bgp.join("\n") + "\n" };
}

/**
 * bgpd run with `-Z` (no zebra) cannot register the next hops of `network` / `aggregate-address`
 * routes with zebra and logs `sendmsg_nexthop: zclient_send_message() failed` (EC 33554499): an
 * artifact of the check running without zebra, not a config error.
 */
const NO_ZEBRA = /\[EC 33554499\] sendmsg_nexthop: zclient_send_message\(\) failed/;

/** Error lines of a daemon's log (`[EC n]` errors and `%` warnings). */
function daemonErrors(output: string): string[] {
  return output.split("\n").filter((l) => (/\[EC \d+\]/.test(l) && !NO_ZEBRA.test(l)) || /^%/.test(l));
}

/**
 * Load the config with bgpd's and bfdd's own loaders (`-C`: read the config, apply it, exit).
 * They exit 0 even on errors, so the log is checked for error lines.
 */
export async function frrDaemonCheck(dir: TempDir, name: string, text: string): Promise<ParseResult> {
  const { bfd, bgp } = splitFrrConfig(text);
  const bgpFile = dir.write(`${name}.bgpd.conf`, bgp);
  const results = [await runDaemonCheck(BGPD, ["-C", "-f", bgpFile, "-p", "0", "-Z", "--log", "stdout"])];
  if (bfd.trim() !== "") {
    const bfdFile = dir.write(`${name}.bfdd.conf`, bfd);
    results.push(await runDaemonCheck(BFDD, ["-C", "-f", bfdFile, "--log", "stdout", "--bfdctl", join(dir.path, "run", `${name}.bfdd.sock`)]));
  }
  const errors = results.flatMap((r) => (r.code === 0 ? daemonErrors(r.output) : [`exit ${r.code}: ${r.output}`]));
  return { ok: errors.length === 0, code: errors.length === 0 ? 0 : 1, output: errors.join("\n") };
}

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapPool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
