/**
 * Host mode in the lab (`cilium.deployment: host`). A lab node is a network namespace of this
 * machine, not a host with systemd, so the lab starts the agent the way the node's unit says:
 * exactly its ExecStart words and Environment (`parseUnitExec`), from the config dir dcnet wrote,
 * inside the node's namespace with the lab's isolation (`startAgent`: own cgroup, bpffs, /run).
 *
 * - `lab up` writes each host-mode node's config dir and unit (`renderHostAgent`: the chart's
 *   cilium-config plus the lab-only overrides of `./config`, host mode's included) below the
 *   node's folder, as the apply script would on a host, and starts the agent from them;
 * - the apply script (`renderCiliumAgentApplyScript`) run over SSH on the lab node restarts the
 *   agent through the lab's hook (`restartHook`: `HOOK restart|stop|active|logs UNIT_FILE`), a
 *   small wrapper around `hostAgentHookMain` that stops the recorded agent and starts it again
 *   from the unit file the script installed, recording the new process in the lab state.
 */
import { chmodSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { CiliumHostPaths } from "../../apply/cilium-paths";
import { HostAgentFiles } from "../../render/cilium-host";
import { parseUnitExec } from "../../render/cilium-host/unit";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { shq } from "../../apply/shell";
import { findExecutable, LabError } from "../exec";
import { LabState, loadState, makeDir, saveState } from "../state";
import { agentPid, startAgent, stopAgent } from "./agent";
import { tail } from "./proc";
import { LAB_HOST_AGENT_ENV_OVERRIDES, writeConfigDir } from "./config";
import { LabClusterNode } from "./types";

/** A host-mode node's paths in the lab (below the node's agent folder), its hook included. */
export function labHostPaths(node: Pick<LabClusterNode, "dir" | "apiSocket">, tools: Pick<ClusterTools, "ciliumAgent" | "ciliumDbg">): CiliumHostPaths {
  const host = join(node.dir, "host");
  return {
    configDir: join(host, "etc/cilium/config"),
    unitFile: join(host, "etc/systemd/system/cilium-agent.service"),
    agent: req(tools.ciliumAgent, "cilium-agent"),
    ciliumDbg: req(tools.ciliumDbg, "cilium-dbg (scripts/build-cluster-tools.sh)"),
    socket: node.apiSocket,
    restartHook: join(node.dir, "restart-hook"),
  };
}

function req<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new LabError(`host mode in the lab needs ${what}`);
  return v;
}

/** The hook executable: `node` with tsx running `hostAgentHookMain` for this run and node. */
export function writeRestartHook(state: LabState, node: string, file: string): void {
  const tsx = require.resolve("tsx/cjs");
  const code = "require(process.argv[1]);require(process.argv[2]).hostAgentHookMain(process.argv.slice(3))";
  const text = [
    "#!/bin/sh",
    `# dcnet lab: restart hook of ${node}'s host-mode Cilium agent (the lab has no systemd; it starts the agent from the unit's ExecStart)`,
    "# an ssh session in a lab node sees the namespace's /sys without the cgroup2 mount: the hook mounts it in a private mount namespace of its own",
    `exec unshare --mount --propagation private -- sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' dcnet-lab-hook ${shq(process.execPath)} -e ${shq(code)} ${shq(tsx)} ${shq(__filename)} ${shq(state.runDir)} ${shq(node)} "$@"`,
    "",
  ].join("\n");
  writeFileSync(file, text, { mode: 0o755 });
  chmodSync(file, 0o755);
}

/** Write a node's host-mode files where the unit and the script expect them (as a first install would). */
export function writeHostAgentFiles(files: HostAgentFiles): void {
  writeConfigDir(files.paths.configDir, Object.fromEntries(files.configDir.map((f) => [f.name, f.text])));
  makeDir(join(files.paths.unitFile, ".."), 0o755);
  writeFileSync(files.paths.unitFile, files.unit, { mode: 0o644 });
}

/** Start a node's agent from its unit file (ExecStart + Environment) and its config dir. */
export function startAgentFromUnit(state: LabState, node: string, unitFile: string, tools: ClusterTools = clusterTools()): void {
  const n = state.cluster?.nodes[node];
  const dev = state.devices[node];
  if (!n || !dev) throw new LabError(`${node} runs no Cilium agent in this lab`);
  const exec = parseUnitExec(readFileSync(unitFile, "utf8"));
  for (const o of LAB_HOST_AGENT_ENV_OVERRIDES) exec.env[o.name] = o.value(n);
  makeDir(join(n.dir, "clustermesh"), 0o700);
  const curl = findExecutable(["curl"]) ?? "curl";
  const bpfDir = join(req(tools.ciliumModuleDir, "the Cilium module"), "bpf");
  startAgent(state, dev, n, join(n.dir, "kubeconfig"), { ciliumAgent: req(tools.ciliumAgent, "cilium-agent"), socat: req(tools.socat, "socat"), clang: req(tools.clang, "clang"), bpfDir, curl }, state.cluster!.cgroups, exec);
}

/**
 * The hook: `RUN_DIR NODE restart|stop|active|logs UNIT_FILE`. restart: stop the node's recorded
 * agent (SIGTERM, bounded) and start it from the unit file; stop; active: exit 0 while the agent's
 * process lives; logs: the agent log's last lines.
 */
export async function hostAgentHookMain(args: string[]): Promise<void> {
  const [runDir, node, action, unitFile] = args;
  try {
    const state = loadState(runDir);
    if (!state) throw new LabError(`no lab state in ${runDir}`);
    const n = state.cluster?.nodes[node];
    if (!n) throw new LabError(`${node} runs no Cilium agent in this lab`);
    if (action === "active") process.exitCode = agentPid(state, node) !== undefined ? 0 : 1;
    else if (action === "logs") process.stdout.write(tail(n.log, 15) + "\n");
    else if (action === "stop") {
      await stopAgent(state, node);
      saveState(state);
    } else if (action === "restart") {
      if (!unitFile) throw new LabError("restart needs the unit file");
      await stopAgent(state, node);
      startAgentFromUnit(state, node, unitFile);
      saveState(state);
    } else throw new LabError(`unknown action ${JSON.stringify(action)} (restart, stop, active, logs)`);
  } catch (e) {
    process.stderr.write(`dcnet lab hook: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
