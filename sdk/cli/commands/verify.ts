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
import { GateInput, GateReport, runGate, verifyGate } from "../../verify/gate";

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

/** The gate report: JSON (one line for the components' commands) or a line per device, problems on stderr. */
function printGate(report: GateReport, json: boolean): void {
  if (json) console.log(JSON.stringify(report));
  else
    for (const d of report.devices)
      console.log(`${d.device} (${d.role.join(" + ")}): ${d.status}, ${d.sessions.filter((s) => s.ok).length}/${d.sessions.length} sessions, ${d.holds.filter((h) => h.ok).length}/${d.holds.length} prefixes held`);
  for (const p of report.problems) console.error(`dcnet verify --gate: ${p}`);
  process.exitCode = report.exitCode;
}

/**
 * `dcnet verify - --inventory -`: the gate step of the components (`DataCenter` with
 * `rollout.verifyAfterWave`): stdin is one JSON document `{ plan, expectations, connections }`
 * (`GateInput`: the checks `gateExpectations` computed and each contacted device's connection); a
 * private key in it is the placeholder `$DCNET_SSH_KEY_<n>`, its text the n-th entry of the JSON
 * array in the (secret) environment variable `DCNET_SSH_KEYS`, removed from the environment first.
 */
async function gateFromStdin(parallel: number, timeoutS: number): Promise<void> {
  const keys = JSON.parse(process.env.DCNET_SSH_KEYS || "[]") as string[];
  delete process.env.DCNET_SSH_KEYS;
  let input: GateInput;
  try {
    input = JSON.parse(readFileSync(0, "utf8"), (_k, v: unknown) => {
      const m = typeof v === "string" ? /^\$DCNET_SSH_KEY_(\d+)$/.exec(v) : null;
      if (!m) return v;
      if (keys[Number(m[1])] === undefined) throw new Error(`it names ${v}, but DCNET_SSH_KEYS has no such entry`);
      return keys[Number(m[1])];
    }) as GateInput;
  } catch (e) {
    throw new UserError(`stdin: not the gate input: ${(e as Error).message}`);
  }
  if (!input || !Array.isArray(input.expectations) || !Array.isArray(input.connections)) throw new UserError("stdin: not the gate input (expected { plan, expectations, connections })");
  const report = await runGate(String(input.plan), input.expectations, input.connections, { parallel, timeoutMs: timeoutS * 1000 });
  printGate(report, true);
}

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
    .option("--gate <names>", "health gate of a rollout wave: these devices' sessions with rolled-out peers Established and their switch peers holding their planned prefixes (comma-separated)", list)
    .option("--rolled-out <names>", "with --gate: the devices of the earlier waves (comma-separated)", list)
    .action(async (specFile: string, opts: { inventory: string; device?: string[]; rack?: string[]; parallel: string; timeout: string; json: boolean; gate?: string[]; rolledOut?: string[] }) => {
      const parallel = Number(opts.parallel);
      const timeoutS = Number(opts.timeout);
      if (!Number.isInteger(parallel) || parallel < 1 || parallel > 256) throw new UserError("--parallel must be a whole number between 1 and 256");
      if (!Number.isFinite(timeoutS) || timeoutS < 1 || timeoutS > 3600) throw new UserError("--timeout must be a number of seconds between 1 and 3600");
      if (specFile === "-") return gateFromStdin(parallel, timeoutS);
      const plan = loadPlan(specFile);
      const inventory = loadInventory(opts.inventory);
      if (opts.gate) {
        let report: GateReport;
        try {
          report = await verifyGate(plan, inventory, { devices: opts.gate, rolledOut: opts.rolledOut ?? [], parallel, timeoutMs: timeoutS * 1000 });
        } catch (e) {
          throw new UserError((e as Error).message);
        }
        printGate(report, opts.json);
        return;
      }
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
