/**
 * One cilium-agent per lab node, inside the node's network namespace:
 *
 * - it runs in a cgroup of its own (`<cgroup v2 mount>/dcnet-<prefix>-<node>`), in a cgroup
 *   namespace rooted there and a private mount namespace where its cgroup root is a cgroup2 mount
 *   of that namespace (so even a program attached "to the root" is attached to the node's own
 *   cgroup, never the machine's), its bpffs is a fresh one of its own, and `/proc/sys/kernel` is
 *   read-only (host-wide sysctls stay untouched; `/proc/sys/net` is the namespace's own), and
 *   `/run` is a tmpfs of its own (Cilium's fixed socket paths below /var/run/cilium never meet);
 * - it reaches the API server through the node's relay: socat listening on 127.0.0.1 inside the
 *   node's namespace, connected to the cluster's Unix socket in the run dir;
 * - clang-19 first in PATH (the agent compiles its datapath with `clang`), the `bpf/` sources of
 *   the Cilium module as its lib dir, every path in the node's folder.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "fs";
import { dirname, join } from "path";
import { LabError, run } from "../exec";
import { terminate, processAlive } from "../down";
import { LabDevice, LabState, saveState } from "../state";
import { spawnRecorded, waitReady } from "./proc";
import { LabClusterNode } from "./types";
import type { UnitExec } from "../../render/cilium-host/unit";

/** How long an agent may take to report healthy (it compiles its datapath first: ~1 s per object). */
export const AGENT_READY_TIMEOUT_MS = 240000;

/** The machine's cgroup v2 mount (unified hierarchy), if any. */
export function cgroup2Mount(): string | undefined {
  let mounts = "";
  try {
    mounts = readFileSync("/proc/self/mounts", "utf8");
  } catch {
    return undefined;
  }
  const hits = mounts
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => f[2] === "cgroup2")
    .map((f) => f[1]);
  return hits.includes("/sys/fs/cgroup") ? "/sys/fs/cgroup" : hits[0];
}

/** Tools an agent needs. */
export interface AgentTools {
  ciliumAgent: string;
  socat: string;
  clang: string;
  /** The Cilium module's `bpf/` folder. */
  bpfDir: string;
  curl: string;
}

/** GET on the agent's API socket; undefined when it does not answer. */
export function agentApi<T>(node: LabClusterNode, path: string, curl = "curl"): T | undefined {
  if (!existsSync(node.apiSocket)) return undefined;
  const r = run(curl, ["-sf", "--max-time", "5", "--unix-socket", node.apiSocket, `http://localhost/v1${path}`], { check: false, timeoutMs: 8000 });
  if (r.code !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    return undefined;
  }
}

/** Health of an agent as its API reports it ("Ok" when healthy). */
export function agentHealth(node: LabClusterNode, curl = "curl"): string | undefined {
  const h = agentApi<{ cilium?: { state?: string; msg?: string } }>(node, "/healthz", curl);
  return h?.cilium?.state;
}

/** Start the node-side relay (127.0.0.1:<relayPort> in the node's namespace → the cluster's Unix socket). */
export function startNodeRelay(state: LabState, dev: LabDevice, node: LabClusterNode, relaySocket: string, tools: Pick<AgentTools, "socat">): void {
  const log = join(node.dir, "relay.log");
  spawnRecorded(state, dev.name, "socat", ["ip", "netns", "exec", dev.namespace, tools.socat, "-lf", log, `TCP-LISTEN:${node.relayPort},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${relaySocket}`], `${log}.out`);
}

/** Wait until the node-side relay accepts connections. */
export async function waitNodeRelay(state: LabState, dev: LabDevice, node: LabClusterNode): Promise<void> {
  const rec = [...state.processes].reverse().find((p) => p.device === dev.name && p.daemon === "socat");
  await waitReady(`API relay of ${dev.name}`, rec, join(node.dir, "relay.log"), 10000, () => {
    const r = run("ip", ["netns", "exec", dev.namespace, "ss", "-Htln", `sport = :${node.relayPort}`], { check: false, timeoutMs: 5000 });
    return r.code === 0 && r.stdout.trim() !== "" ? true : undefined;
  }, 50);
}

/**
 * Start the agent of a node (its config dir and kubeconfig must be written). The cgroup is
 * recorded in the state before it is created. With `unit` (host mode: what the node's systemd unit
 * says, `parseUnitExec`), the agent is started with exactly the unit's ExecStart words and its
 * Environment on top of the lab's; the lab's paths are then in the config dir
 * (`LAB_HOST_AGENT_OVERRIDES`), not flags.
 */
export function startAgent(state: LabState, dev: LabDevice, node: LabClusterNode, kubeconfig: string, tools: AgentTools, cgroups: string[], unit?: UnitExec): void {
  const mount = cgroup2Mount();
  if (!mount) throw new LabError("no cgroup v2 hierarchy is mounted on this machine: the lab gives each agent a cgroup of its own below it (mount cgroup2, e.g. on /sys/fs/cgroup/unified)");
  const cg = join(mount, `dcnet-${state.prefix}-${dev.name}`);
  node.cgroup = cg;
  if (!cgroups.includes(cg)) cgroups.push(cg);
  saveState(state);
  if (!existsSync(cg)) mkdirSync(cg);
  for (const d of ["state", "bpffs", "cgroup", "lib"]) mkdirSync(join(node.dir, d), { recursive: true, mode: 0o700 });
  const bpfLink = join(node.dir, "lib", "bpf");
  if (!existsSync(bpfLink)) symlinkSync(tools.bpfDir, bpfLink);

  // inside the node's namespace, a private mount namespace and a cgroup namespace: mount the
  // agent's own cgroup2, bpffs and a read-only /proc/sys/kernel, then exec the agent
  const inner = [
    "set -e",
    'mount -t cgroup2 none "$DCNET_CGROUP_ROOT"',
    'mount -t bpf bpffs "$DCNET_BPF_ROOT"',
    "mount --bind /proc/sys/kernel /proc/sys/kernel",
    "mount -o remount,bind,ro /proc/sys/kernel",
    // Cilium keeps a few sockets at fixed paths below /var/run/cilium (monitor, health): a /run of its own
    "mount -t tmpfs -o mode=755,size=64m tmpfs /run",
    "mkdir -p /run/cilium",
    'exec "$@"',
  ].join("\n");
  const argv = [
    "sh",
    "-c",
    'echo $$ > "$0/cgroup.procs" && exec "$@"',
    cg,
    "ip",
    "netns",
    "exec",
    dev.namespace,
    "unshare",
    "--mount",
    "--cgroup",
    "--propagation",
    "private",
    "--",
    "sh",
    "-c",
    inner,
    "dcnet-agent",
    ...(unit
      ? unit.argv
      : [
          tools.ciliumAgent,
          `--config-dir=${node.configDir}`,
          `--k8s-kubeconfig-path=${kubeconfig}`,
          `--socket-path=${node.apiSocket}`,
          `--lib-dir=${join(node.dir, "lib")}`,
          `--state-dir=${join(node.dir, "state")}`,
        ]),
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(tools.clang)}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`,
    HOME: node.dir,
    K8S_NODE_NAME: dev.name,
    CILIUM_K8S_NAMESPACE: "kube-system",
    DCNET_CGROUP_ROOT: join(node.dir, "cgroup"),
    DCNET_BPF_ROOT: join(node.dir, "bpffs"),
    ...(unit?.env ?? {}),
  };
  spawnRecorded(state, dev.name, "cilium-agent", argv, node.log, env);
}

/** Wait until the agent reports healthy. */
export async function waitAgent(state: LabState, node: LabClusterNode, curl: string, timeoutMs = AGENT_READY_TIMEOUT_MS): Promise<void> {
  const rec = [...state.processes].reverse().find((p) => p.device === node.name && p.daemon === "cilium-agent");
  await waitReady(`cilium-agent on ${node.name}`, rec, node.log, timeoutMs, () => (agentHealth(node, curl) === "Ok" ? true : undefined), 500);
}

/** PID of the running agent of a node, if alive. */
export function agentPid(state: LabState, node: string): number | undefined {
  const rec = [...state.processes].reverse().find((p) => p.device === node && p.daemon === "cilium-agent");
  return rec?.pid !== undefined && processAlive(rec.pid) ? rec.pid : undefined;
}

/** Stop a node's agent (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopAgent(state: LabState, node: string, opts: { signal?: "SIGTERM" | "SIGKILL"; graceMs?: number } = {}): Promise<void> {
  const pid = agentPid(state, node);
  if (pid === undefined) return;
  if (opts.signal === "SIGKILL") process.kill(pid, "SIGKILL");
  await terminate([pid], opts.graceMs ?? 10000);
}

/** Resident memory of a process and its children (kB), from /proc. */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
