/**
 * `dcnet scripts install -`: the bundle delivery step of the components (`DataCenter`'s
 * `<name>-scripts` command): stdin is the delivery's input (`sdk/apply/scripts-install.ts`); a
 * private key in it is the placeholder `$DCNET_SSH_KEY_<n>`, its text the n-th entry of the JSON
 * array in the (secret) environment variable `DCNET_SSH_KEYS`, removed from the environment first.
 * Prints one summary line (it lands in the Pulumi state: no per-device list), each failed device
 * on stderr; exit 1 when any device failed.
 */
import { Command } from "commander";
import { readFileSync } from "fs";
import { UserError } from "../errors";
import { installScripts, parseScriptsInput, ScriptsInstallInput } from "../../apply/scripts-install";

/** Replace `$DCNET_SSH_KEY_<n>` placeholders by the keys of `DCNET_SSH_KEYS`. */
function withKeys(input: ScriptsInstallInput, keys: string[]): ScriptsInstallInput {
  const fill = (v: string | undefined, device: string): string | undefined => {
    const m = v === undefined ? null : /^\$DCNET_SSH_KEY_(\d+)$/.exec(v);
    if (!m) return v;
    const k = keys[Number(m[1])];
    if (k === undefined) throw new UserError(`stdin: device ${JSON.stringify(device)} names ${v}, but DCNET_SSH_KEYS has no such entry`);
    return k;
  };
  for (const d of input.devices) {
    const c = d.connection;
    if (!c) continue;
    const key = fill(c.privateKey, d.device);
    if (key !== undefined) c.privateKey = key;
    if (c.proxy) {
      const pk = fill(c.proxy.privateKey, d.device);
      if (pk !== undefined) c.proxy.privateKey = pk;
    }
  }
  return input;
}

/** Register `dcnet scripts` on `program`. */
export function registerScriptsCommand(program: Command): void {
  const scripts = program.command("scripts").description("dcnet's apply scripts on the devices (the components' bundle delivery)");
  scripts
    .command("install")
    .description("install the script files the delivery's input (stdin, one JSON line each: header, files, devices) names on each device, over ssh with pinned host keys (folder-mode devices: locally); exit 1 when a device failed")
    .argument("<input>", "- (stdin)")
    .option("-p, --parallel <n>", "devices at the same time", "16")
    .option("-t, --timeout <seconds>", "time one device may take, connection included", "60")
    .action(async (source: string, opts: { parallel: string; timeout: string }) => {
      if (source !== "-") throw new UserError(`scripts install reads its input from stdin: give "-", got ${JSON.stringify(source)}`);
      const parallel = Number(opts.parallel);
      const timeoutS = Number(opts.timeout);
      if (!Number.isInteger(parallel) || parallel < 1 || parallel > 256) throw new UserError(`--parallel: a whole number between 1 and 256, got ${JSON.stringify(opts.parallel)}`);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 3600) throw new UserError(`--timeout: seconds between 1 and 3600, got ${JSON.stringify(opts.timeout)}`);
      let keys: string[];
      try {
        keys = JSON.parse(process.env.DCNET_SSH_KEYS || "[]") as string[];
      } catch {
        throw new UserError("DCNET_SSH_KEYS: not a JSON array of key texts");
      }
      delete process.env.DCNET_SSH_KEYS;
      let input: ScriptsInstallInput;
      try {
        input = parseScriptsInput(readFileSync(0, "utf8"));
      } catch (e) {
        throw new UserError(`stdin: not the scripts delivery's input: ${(e as Error).message}`);
      }
      const report = await installScripts(withKeys(input, keys), { parallel, timeoutMs: timeoutS * 1000 });
      const failed = report.devices.filter((d) => !d.ok);
      const sum = (k: "written" | "present") => report.devices.reduce((a, d) => a + d[k], 0);
      console.log(`dcnet scripts: ${report.devices.length} devices, ${input.files.length} files: ${sum("written")} written, ${sum("present")} already present, ${failed.length} failed (${(report.ms / 1000).toFixed(1)} s)`);
      for (const d of failed) console.error(`dcnet scripts: ${d.device}: ${d.problem}`);
      process.exitCode = failed.length ? 1 : 0;
    });
}
