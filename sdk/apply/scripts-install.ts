/**
 * The bundle delivery's installer (`dcnet scripts install -`, run by the components' per-data-
 * center `<name>-scripts` command on the machine running `pulumi up`): puts dcnet's script files
 * (content-addressed, see `components/device-apply.ts`) into each device's scripts folder before
 * any device command runs — over the system `ssh` client with pinned host keys (the same runner
 * as `dcnet verify`), or, for a folder-mode device, on this machine. Each device gets only the
 * files its launchers name; a file already there with that content is left alone
 * (`scripts/scripts-install.sh`).
 *
 * Input (stdin, one JSON document per line, so `pulumi preview --diff` shows a changed file or an
 * added device as one line): a header `{ "dcnet": "scripts", "dir": DIR }`, then one line per file
 * `{ "file": SHA256, "gz": gzip+base64 }`, then one line per device `{ "device", "files": [index],
 * "connection"?: DeviceConnection, "dir"?: its own folder }` (folder mode: `dir` and no connection).
 */
import { spawn } from "child_process";
import { ScriptParams, assignments, scriptPart } from "./shell";
import { SshContext, sshArgs } from "../verify/ssh";
import { DeviceConnection } from "../verify/inventory";

/** One device of the delivery. */
export interface ScriptsDevice {
  device: string;
  /** Indexes into the input's files. */
  files: number[];
  /** SSH mode: how to reach it (port 22, user root and host-key checking when not given). */
  connection?: Partial<DeviceConnection>;
  /** Its folder for the files, when not the header's (folder mode: the device's root + dir). */
  dir?: string;
}

/** The parsed input of `dcnet scripts install`. */
export interface ScriptsInstallInput {
  dir: string;
  files: { file: string; gz: string }[];
  devices: ScriptsDevice[];
}

/** What happened on one device. */
export interface ScriptsDeviceResult {
  device: string;
  ok: boolean;
  written: number;
  present: number;
  /** The device's own error text (stderr), or why it was not reached. */
  problem?: string;
}

/** The report of one delivery. */
export interface ScriptsInstallReport {
  ok: boolean;
  devices: ScriptsDeviceResult[];
  ms: number;
}

/** Parse the stdin lines; throws with the line number of a malformed line. */
export function parseScriptsInput(text: string): ScriptsInstallInput {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const out: ScriptsInstallInput = { dir: "", files: [], devices: [] };
  lines.forEach((line, i) => {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (i === 0) {
      if (v.dcnet !== "scripts" || typeof v.dir !== "string") throw new Error(`line 1: not the scripts delivery's header (expected {"dcnet":"scripts","dir":...})`);
      out.dir = v.dir;
    } else if (typeof v.file === "string" && typeof v.gz === "string") {
      if (!/^[0-9a-f]{32}$/.test(v.file)) throw new Error(`line ${i + 1}: file name ${JSON.stringify(v.file)} is not 32 hex digits of a SHA-256`);
      out.files.push({ file: v.file, gz: v.gz });
    } else if (typeof v.device === "string" && Array.isArray(v.files)) {
      for (const f of v.files) if (!Number.isInteger(f) || (f as number) < 0 || (f as number) >= out.files.length) throw new Error(`line ${i + 1}: device ${JSON.stringify(v.device)} names file ${JSON.stringify(f)}, which no earlier line holds`);
      out.devices.push(v as unknown as ScriptsDevice);
    } else throw new Error(`line ${i + 1}: neither a file nor a device`);
  });
  if (!lines.length) throw new Error("empty input");
  return out;
}

/** The script a device runs (on its `sh -s` stdin) to install `files` into `dir`. */
export function installScript(device: string, dir: string, files: { file: string; gz: string }[]): string {
  const params: ScriptParams = [["DEVICE", device], ["DIR", dir], ["COUNT", files.length]];
  files.forEach((f, i) => params.push([`N${i + 1}`, f.file], [`F${i + 1}`, f.gz]));
  return `${assignments(params)}\n${scriptPart("scripts-install.sh")}`;
}

function runSh(argv: string[], input: string, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      stderr += `\ntimed out after ${Math.round(timeoutMs / 1000)} s`;
      p.kill("SIGKILL");
    }, timeoutMs);
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("error", (e) => (stderr += e.message));
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    p.stdin.on("error", () => undefined);
    p.stdin.end(input);
  });
}

/** Install the files on every device (`parallel` at a time); never throws for a device that fails. */
export async function installScripts(input: ScriptsInstallInput, opts: { parallel?: number; timeoutMs?: number } = {}): Promise<ScriptsInstallReport> {
  const started = Date.now();
  const conns = input.devices.map((d): DeviceConnection | undefined =>
    d.connection ? ({ port: 22, user: "root", insecure: false, ...d.connection, device: d.device, kind: "node" } as DeviceConnection) : undefined,
  );
  const ctx = new SshContext(conns.filter((c): c is DeviceConnection => c !== undefined));
  const timeoutMs = opts.timeoutMs ?? 60000;
  try {
    const results: ScriptsDeviceResult[] = new Array(input.devices.length);
    let next = 0;
    const worker = async () => {
      while (next < input.devices.length) {
        const i = next++;
        const d = input.devices[i];
        const script = installScript(d.device, d.dir ?? input.dir, d.files.map((f) => input.files[f]));
        const c = conns[i];
        const argv = c ? ["ssh", ...sshArgs(ctx, c, Math.max(1, Math.min(30, Math.round(timeoutMs / 2000)))), "sh -s"] : ["sh", "-s"];
        const r = await runSh(argv, script, timeoutMs);
        const count = (w: string) => r.stdout.split("\n").filter((l) => l.startsWith(`${w} `)).length;
        results[i] = {
          device: d.device,
          ok: r.code === 0,
          written: count("written"),
          present: count("present"),
          ...(r.code === 0 ? {} : { problem: r.stderr.trim().split("\n").slice(-5).join(" / ") || `exit ${r.code}` }),
        };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.parallel ?? 16, input.devices.length)) }, worker));
    return { ok: results.every((r) => r.ok), devices: results, ms: Date.now() - started };
  } finally {
    ctx.close();
  }
}
