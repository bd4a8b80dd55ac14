/**
 * `dcnet lab up|check|down SPEC`: bring a spec (or a plan.json) up on this machine with real BIRD
 * and FRR in network namespaces, compare the live network with the plan, remove it again.
 * The lab of a spec is identified by the spec's absolute path and `--name`; its run dir is
 * `/tmp/dcnet-lab/<prefix>` unless `--run-dir` says otherwise. See sdk/lab/index.ts.
 */
import { Command } from "commander";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { Plan } from "../plan/types";
import { resolve } from "../resolve/resolve";
import { loadSpecForCli } from "./load";
import { clusterInputsForLab } from "../lab/cluster/cli";
import { UserError } from "./errors";
import {
  defaultRunDir,
  formatCheckReport,
  labCheck,
  labDown,
  labPrefix,
  labPrerequisites,
  LabError,
  LabProgress,
  labUp,
  LabUpError,
  loadRunPlan,
  loadState,
  MissingPrerequisitesError,
  DEFAULT_WAIT_MS,
} from "../lab";

interface LabTarget {
  /** Lab key (prefix = hash of it). */
  key: string;
  runDir: string;
  label: string;
}

/** The lab a SPEC (and `--name`, `--run-dir`) designates. */
function targetOf(specFile: string, opts: { name?: string; runDir?: string }): LabTarget {
  const abs = path.resolve(specFile);
  const key = `${abs}#${opts.name ?? ""}`;
  const runDir = opts.runDir ? path.resolve(opts.runDir) : defaultRunDir(labPrefix(key));
  return { key, runDir, label: `${path.basename(specFile)}${opts.name ? ` (--name ${opts.name})` : ""}` };
}

/** A plan from a spec file, or a plan.json as written by `dcnet plan`. */
function loadPlan(file: string): Plan {
  if (file.endsWith(".json") && existsSync(file)) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      data = undefined;
    }
    const p = data as Partial<Plan> | undefined;
    if (p && p.version === 1 && Array.isArray(p.devices) && Array.isArray(p.sessions) && Array.isArray(p.switches)) return p as Plan;
  }
  return resolve(loadSpecForCli(file));
}

function requirePrerequisites(ssh: boolean): void {
  const p = labPrerequisites({ ssh });
  if (!p.ok) throw new UserError(`the lab cannot run on this machine; missing:\n${p.missing.map((m) => `  - ${m}`).join("\n")}`);
}

/** Progress on stderr: one line per change, rewritten in place on a terminal. */
function progressPrinter(): { onProgress: (p: LabProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let pending = false;
  return {
    onProgress: (p) => {
      const line = `[${(p.elapsedMs / 1000).toFixed(1).padStart(5)} s] ${p.message}`;
      if (tty && p.phase === "sessions" && p.established !== undefined && p.established < (p.total ?? 0)) {
        process.stderr.write(`\r${line}\x1b[K`);
        pending = true;
      } else {
        process.stderr.write(`${pending ? "\r" : ""}${line}${tty ? "\x1b[K" : ""}\n`);
        pending = false;
      }
    },
    done: () => {
      if (pending) process.stderr.write("\n");
      pending = false;
    },
  };
}

function asUserError(e: unknown): never {
  if (e instanceof MissingPrerequisitesError || e instanceof LabError) throw new UserError(e.message);
  throw e;
}

export function registerLabCommand(program: Command): void {
  const lab = program
    .command("lab")
    .description("bring a spec up on this machine with real BIRD and FRR in network namespaces, check it against the plan, take it down (needs root, iproute2, bird2, frr)");

  const common = (c: Command) =>
    c
      .argument("<spec>", "data center spec (.yaml, .json, .ts) or a plan.json written by `dcnet plan`")
      .option("-n, --name <name>", "name of this lab, to run several labs of one spec side by side")
      .option("--run-dir <dir>", "run directory (default /tmp/dcnet-lab/<prefix>)");

  common(lab.command("up"))
    .description("build namespaces, links and addresses from the plan, start FRR on switches and BIRD on nodes with the rendered configs, wait for every session")
    .option("-t, --timeout <seconds>", "how long to wait for every session to be Established", String(DEFAULT_WAIT_MS / 1000))
    .option("--baseline", "start the daemons with a baseline config (no BGP sessions) instead of the rendered ones", false)
    .option("--ssh-key <file>", "also start an sshd per device on a management bridge, accepting this public key for root")
    .option("--json", "print the lab state (namespaces, paths, ssh access) as JSON on stdout", false)
    .option("--no-cluster", "do not bring up the cluster side (API server, Cilium operator and agents) of clusters with k8s settings")
    .action(async (specFile: string, opts: { name?: string; runDir?: string; timeout: string; baseline: boolean; sshKey?: string; json: boolean; cluster: boolean }) => {
      const t = targetOf(specFile, opts);
      requirePrerequisites(!!opts.sshKey);
      const plan = loadPlan(specFile);
      const cluster = opts.cluster ? clusterInputsForLab(specFile, plan, (m) => console.error(m)) : undefined;
      const timeoutS = Number(opts.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS < 0 || timeoutS > 3600) throw new UserError(`--timeout must be a number of seconds between 0 and 3600`);
      let authorizedKey: string | undefined;
      if (opts.sshKey) {
        authorizedKey = readFileSync(opts.sshKey, "utf8").trim();
        if (!/^(ssh-|ecdsa-|sk-)/.test(authorizedKey)) throw new UserError(`${opts.sshKey} does not look like an OpenSSH public key`);
      }
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) {
          console.error(`\ndcnet: interrupted twice; what was created is recorded in ${t.runDir}: run \`dcnet lab down ${specFile}\``);
          process.exit(130);
        }
        console.error("\ndcnet: interrupting lab up (Ctrl-C again to stop at once)...");
        controller.abort();
      };
      process.on("SIGINT", onSigint);
      const progress = progressPrinter();
      try {
        const state = await labUp(plan, {
          name: t.key,
          runDir: t.runDir,
          configs: opts.baseline ? "baseline" : "planned",
          waitTimeoutMs: timeoutS * 1000,
          onProgress: progress.onProgress,
          signal: controller.signal,
          ...(cluster ? { cluster } : {}),
          ...(authorizedKey ? { ssh: { authorizedKey } } : {}),
        });
        progress.done();
        if (opts.json) console.log(JSON.stringify({ ...state, passwords: undefined }, null, 2));
        const planned = state.configs === "planned" && plan.sessions.length > 0;
        const ok = !planned || state.timings.establishedMs !== undefined;
        const sw = plan.devices.find((d) => d.kind === "switch");
        const node = plan.devices.find((d) => d.kind === "node");
        const lines = [
          `lab ${t.label} is up: run ${state.prefix}, ${Object.keys(state.devices).length} namespaces, run dir ${state.runDir}`,
          planned
            ? ok
              ? `all ${plan.sessions.length} BGP sessions Established ${(state.timings.establishedMs! / 1000).toFixed(1)} s after start`
              : `NOT all ${plan.sessions.length} BGP sessions are Established after ${timeoutS} s: see \`dcnet lab check ${specFile}\``
            : `daemons run ${state.configs} configs`,
        ];
        if (sw) lines.push(`  switch shell: ip netns exec ${state.devices[sw.name].namespace} vtysh --vty_socket ${state.devices[sw.name].frr!.vtySocketDir}`);
        if (node) lines.push(`  node BIRD:    birdc -s ${state.devices[node.name].bird!.socket}`);
        if (state.mgmt) lines.push(`  ssh:          root@<device address on ${state.mgmt.prefix}> (see --json or ${state.runDir}/state.json)`);
        const again = `${opts.name ? ` --name ${opts.name}` : ""}${opts.runDir ? ` --run-dir ${t.runDir}` : ""}`;
        lines.push(`  next:         dcnet lab check ${specFile}${again}   /   dcnet lab down ${specFile}${again}`);
        console.error(lines.join("\n"));
        if (!ok) process.exitCode = 1;
      } catch (e) {
        progress.done();
        if (e instanceof LabUpError && controller.signal.aborted) {
          console.error("dcnet: lab up interrupted; removing what it created...");
          const r = await labDown(e.state);
          console.error(`dcnet: removed ${r.namespaces.length} namespaces, stopped ${r.killed.length} processes`);
          process.exitCode = 130;
          return;
        }
        asUserError(e);
      } finally {
        process.off("SIGINT", onSigint);
      }
    });

  common(lab.command("check"))
    .description("compare the live lab with its plan: sessions on both ends, BGP tables and FIBs against the expected routes, nothing imported by nodes, ECMP; exit 1 on any mismatch")
    .option("--json", "print the report as JSON", false)
    .option("-w, --wait <seconds>", "retry until the check passes or this many seconds pass", "0")
    .action(async (specFile: string, opts: { name?: string; runDir?: string; json: boolean; wait: string }) => {
      const t = targetOf(specFile, opts);
      requirePrerequisites(false);
      const state = loadState(t.runDir);
      if (!state || state.status === "down") throw new UserError(`no lab is up for ${t.label} (run dir ${t.runDir}); start one with \`dcnet lab up ${specFile}\``);
      const plan = loadRunPlan(t.runDir) ?? loadPlan(specFile);
      const waitS = Number(opts.wait);
      if (!Number.isFinite(waitS) || waitS < 0 || waitS > 3600) throw new UserError(`--wait must be a number of seconds between 0 and 3600`);
      const deadline = Date.now() + waitS * 1000;
      let report = labCheck(plan, state);
      while (!report.ok && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        report = labCheck(plan, state);
      }
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else process.stdout.write(formatCheckReport(report));
      if (state.status !== "up") console.error(`dcnet: note: this lab's up did not complete (status ${state.status}${state.error ? `: ${state.error.split("\n")[0]}` : ""})`);
      process.exitCode = report.ok ? 0 : 1;
    });

  common(lab.command("down"))
    .description("stop every process the lab started (by recorded PID), delete its namespaces, links and run dir; harmless when nothing is up")
    .action(async (specFile: string, opts: { name?: string; runDir?: string }) => {
      const t = targetOf(specFile, opts);
      if (typeof process.getuid === "function" && process.getuid() !== 0) throw new UserError("dcnet lab down needs root (it deletes network namespaces)");
      try {
        const r = await labDown(t.runDir);
        if (r.nothing) console.error(`no lab recorded for ${t.label} (run dir ${t.runDir}): nothing to do`);
        else console.error(`lab ${t.label} removed: ${r.killed.length} processes stopped, ${r.namespaces.length} namespaces and ${r.links.length} root links deleted, ${t.runDir} removed`);
        for (const w of r.warnings) console.error(`warning: ${w}`);
      } catch (e) {
        asUserError(e);
      }
    });
}
