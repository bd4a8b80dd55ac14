/**
 * `dcnet verify SPEC --inventory FILE`: compare the devices (over ssh, read-only) with the plan.
 * Exit 0 ok, 1 drift or a failed check, 2 a device unreachable.
 */
import { Command } from "commander";
import { existsSync, readFileSync } from "fs";
import { Plan } from "../../plan/types";
import { resolve } from "../../resolve/resolve";
import { loadSpecForCli } from "../load";
import { UserError } from "../errors";
import { formatVerifyReport, loadInventory, selectDevices, verify } from "../../verify";

function loadPlan(file: string): Plan {
  if (file.endsWith(".json") && existsSync(file)) {
    try {
      const p = JSON.parse(readFileSync(file, "utf8")) as Partial<Plan>;
      if (p && p.version === 1 && Array.isArray(p.devices) && Array.isArray(p.sessions)) return p as Plan;
    } catch {
      // not a plan.json: read it as a spec
    }
  }
  return resolve(loadSpecForCli(file));
}

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").map((x) => x.trim()).filter(Boolean)];

/** Register `dcnet verify` on `program`. */
export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("connect over ssh (pinned host keys) to every device, run read-only commands and compare with the plan: sessions, routes, FIB ECMP, nodes importing nothing, config drift; exit 0 ok, 1 drift or failed checks, 2 unreachable")
    .argument("<spec>", "data center spec (.yaml, .json, .ts) or a plan.json written by `dcnet plan`")
    .requiredOption("-i, --inventory <file>", "how to reach each device (YAML or JSON: hosts.<device>: { host, port, user, hostKey, proxy }, ssh defaults, rackSsh)")
    .option("-d, --device <names>", "only these devices (comma-separated, repeatable)", list)
    .option("-r, --rack <names>", "only the devices of these racks (comma-separated, repeatable)", list)
    .option("-p, --parallel <n>", "devices checked at the same time", "8")
    .option("-t, --timeout <seconds>", "time one device may take, connection included", "30")
    .option("--json", "print the report as JSON", false)
    .action(async (specFile: string, opts: { inventory: string; device?: string[]; rack?: string[]; parallel: string; timeout: string; json: boolean }) => {
      const plan = loadPlan(specFile);
      const inventory = loadInventory(opts.inventory);
      const parallel = Number(opts.parallel);
      const timeoutS = Number(opts.timeout);
      if (!Number.isInteger(parallel) || parallel < 1 || parallel > 256) throw new UserError("--parallel must be a whole number between 1 and 256");
      if (!Number.isFinite(timeoutS) || timeoutS < 1 || timeoutS > 3600) throw new UserError("--timeout must be a number of seconds between 1 and 3600");
      try {
        selectDevices(plan, { devices: opts.device, racks: opts.rack });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const tty = process.stderr.isTTY;
      const report = await verify(plan, inventory, {
        ...(opts.device ? { devices: opts.device } : {}),
        ...(opts.rack ? { racks: opts.rack } : {}),
        parallel,
        timeoutMs: timeoutS * 1000,
        onProgress: (p) => {
          if (tty) process.stderr.write(`\r[${p.done}/${p.total}] ${p.device}: ${p.status}\x1b[K${p.done === p.total ? "\n" : ""}`);
        },
      });
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else process.stdout.write(formatVerifyReport(report));
      process.exitCode = report.exitCode;
    });
}
