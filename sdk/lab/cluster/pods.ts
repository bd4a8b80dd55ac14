/**
 * Pods in the lab, made the way a kubelet makes them (issue 11, first part):
 *
 * 1. a Pod object in the cluster's API server (namespace, labels, `spec.nodeName`), applied server
 *    side; the namespace's `default` ServiceAccount first (no controller-manager runs in the lab
 *    and the ServiceAccount admission refuses a Pod without it);
 * 2. a pod network namespace (`<prefix>-p-<pod>`, recorded in the lab state BEFORE `ip netns add`,
 *    so `labDown` removes it in any case) wired by the real `cilium-cni` plugin through a CNI ADD the
 *    lab makes: `CNI_COMMAND=ADD`, `CNI_CONTAINERID`, `CNI_NETNS=/var/run/netns/<pod namespace>`,
 *    `CNI_IFNAME=eth0`, `CNI_PATH`, `CNI_ARGS` (K8S_POD_NAMESPACE/NAME/UID/INFRA_CONTAINER_ID) and
 *    the network config on stdin as a runtime sends it from the agent's `05-cilium.conflist` (the
 *    agent's template for chaining mode `none`, `cniVersion`/`name` injected, `log-file` in the run
 *    dir instead of the chart's `/var/run/cilium/cilium-cni.log`: the machine's /run is not the
 *    lab's). The plugin runs inside the node's namespace (its veth end `lxc…` is made there) with
 *    `CILIUM_SOCK` = the node's agent socket (the agent has a /run of its own, so the default
 *    /var/run/cilium/cilium.sock is not it) and `/proc/sys/kernel` read-only (it writes only the
 *    namespace's `net.*` sysctls);
 * 3. teardown: CNI DEL with the same arguments, the namespace removed, the Pod deleted.
 *
 * The agent's IPAM (`ipam.mode: kubernetes`) hands out the address from the node's PodCIDR.
 */
import { mkdirSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { LabError, run, RunResult } from "../exec";
import { terminate } from "../down";
import { LabState, saveState } from "../state";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { agentApi, agentPid } from "./agent";
import { kubectl } from "./apiserver";
import { spawnRecorded } from "./proc";
import { LAB_FIELD_MANAGER } from "./objects";

/** One pod of the lab. */
export interface LabPod {
  name: string;
  namespace: string;
  node: string;
  cluster: string;
  labels: Record<string, string>;
  /** The pod's network namespace (`ip netns exec <netns> …`). */
  netns: string;
  /** CNI_CONTAINERID (stands for the sandbox id). */
  containerId: string;
  uid?: string;
  /** IPv4 address the CNI ADD returned (from the node's PodCIDR); an IPv6-only pod has none. */
  ip?: string;
  /** IPv6 address the CNI ADD returned (dual-stack: from the node's IPv6 PodCIDR). */
  ip6?: string;
  /** Host-side veth in the node's namespace. */
  hostIface?: string;
  /** The plugin's network config (as the runtime sends it). */
  netconfFile: string;
  /** Wall time of the CNI ADD (ms). */
  addMs?: number;
}

/** Endpoint of an agent, as its API reports it. */
export interface LabEndpoint {
  id: number;
  state: string;
  identity?: number;
  labels: string[];
  ipv4?: string;
  ipv6?: string;
  pod?: string;
  containerId?: string;
}

/** Kubernetes-style names the lab accepts for its pods. */
const POD_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

/** The network config the runtime passes to cilium-cni (the agent's conflist for chaining mode `none`). */
export function ciliumCniNetconf(debug: boolean, logFile: string): Record<string, unknown> {
  return { cniVersion: "1.0.0", name: "cilium", type: "cilium-cni", "enable-debug": debug, "log-file": logFile };
}

/** The conflist the agent would write (`05-cilium.conflist`). */
export function ciliumConflist(debug: boolean, logFile: string): Record<string, unknown> {
  return { cniVersion: "1.0.0", name: "cilium", plugins: [{ type: "cilium-cni", "enable-debug": debug, "log-file": logFile }] };
}

function pods(state: LabState): Record<string, LabPod> {
  if (!state.cluster) throw new LabError("this lab runs no cluster side (no pods without agents)");
  const cs = state.cluster as typeof state.cluster & { pods?: Record<string, LabPod> };
  cs.pods ??= {};
  return cs.pods;
}

/** The lab's pods (empty when none). */
export function labPods(state: LabState): LabPod[] {
  const cs = state.cluster as (LabState["cluster"] & { pods?: Record<string, LabPod> }) | undefined;
  return Object.values(cs?.pods ?? {});
}

function cniEnv(state: LabState, pod: LabPod, command: "ADD" | "DEL", cni: string): NodeJS.ProcessEnv {
  const node = state.cluster!.nodes[pod.node];
  const args = [`IgnoreUnknown=1`, `K8S_POD_NAMESPACE=${pod.namespace}`, `K8S_POD_NAME=${pod.name}`, `K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`, ...(pod.uid ? [`K8S_POD_UID=${pod.uid}`] : [])];
  return {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: command,
    CNI_CONTAINERID: pod.containerId,
    CNI_NETNS: `/var/run/netns/${pod.netns}`,
    CNI_IFNAME: "eth0",
    CNI_PATH: dirname(cni),
    CNI_ARGS: args.join(";"),
    CILIUM_SOCK: node.apiSocket,
  };
}

/** Run cilium-cni inside the node's namespace (its own mount namespace: /proc/sys/kernel read-only). */
function callCni(state: LabState, pod: LabPod, command: "ADD" | "DEL", cni: string, netconf: string): RunResult {
  const ns = state.devices[pod.node].namespace;
  const inner = ["set -e", "mount --bind /proc/sys/kernel /proc/sys/kernel", "mount -o remount,bind,ro /proc/sys/kernel", 'exec "$0" "$@"'].join("\n");
  const env = Object.entries(cniEnv(state, pod, command, cni)).map(([k, v]) => `${k}=${v}`);
  return run("ip", ["netns", "exec", ns, "env", "-i", ...env, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", inner, cni], { check: false, timeoutMs: 60000, input: netconf });
}

/** Options of a pod. */
export interface PodOptions {
  name: string;
  /** Lab node (one with an agent). */
  node: string;
  namespace?: string;
  labels?: Record<string, string>;
}

/** Create a pod: Pod object, network namespace, CNI ADD. Returns it with its address. */
export function createPod(state: LabState, opts: PodOptions, tools: ClusterTools = clusterTools()): LabPod {
  const cni = tools.ciliumCni;
  const kubectlBin = tools.kubectl;
  if (!cni) throw new LabError(`cilium-cni is not built (scripts/build-cluster-tools.sh cilium-cni; looked in ${tools.toolsDir})`);
  if (!kubectlBin) throw new LabError("kubectl is not built");
  if (!POD_NAME.test(opts.name)) throw new LabError(`pod name ${JSON.stringify(opts.name)}: lower-case letters, digits and '-', at most 32`);
  const node = state.cluster?.nodes[opts.node];
  if (!node) throw new LabError(`${opts.node} runs no Cilium agent in this lab`);
  const all = pods(state);
  if (all[opts.name]) throw new LabError(`pod ${opts.name} exists already`);
  const api = state.cluster!.clusters[node.cluster].apiServer;
  const namespace = opts.namespace ?? "default";
  const labels = { ...(opts.labels ?? {}) };
  const cniDir = join(node.dir, "cni");
  mkdirSync(cniDir, { recursive: true, mode: 0o700 });
  const logFile = join(cniDir, "cilium-cni.log");
  writeFileSync(join(cniDir, "05-cilium.conflist"), JSON.stringify(ciliumConflist(false, logFile), null, 2) + "\n", { mode: 0o644 });
  const netconfFile = join(cniDir, `${opts.name}.netconf.json`);
  writeFileSync(netconfFile, JSON.stringify(ciliumCniNetconf(false, logFile)) + "\n", { mode: 0o644 });
  const pod: LabPod = { name: opts.name, namespace, node: opts.node, cluster: node.cluster, labels, netns: `${state.prefix}-p-${opts.name}`, containerId: `dcnet-${state.prefix}-${opts.name}`, netconfFile };
  all[opts.name] = pod;
  if (!state.namespaces.includes(pod.netns)) state.namespaces.push(pod.netns);
  saveState(state);

  const objects = [
    ...(namespace === "default" ? [] : [{ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }]),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } },
  ];
  kubectl(api, kubectlBin, ["apply", "--server-side", `--field-manager=${LAB_FIELD_MANAGER}`, "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }) });
  const podObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: opts.name, namespace, labels },
    spec: { nodeName: opts.node, automountServiceAccountToken: false, containers: [{ name: "main", image: "dcnet.invalid/lab-pod:none" }] },
  };
  kubectl(api, kubectlBin, ["apply", "--server-side", `--field-manager=${LAB_FIELD_MANAGER}`, "-f", "-"], { input: JSON.stringify(podObject) });
  pod.uid = kubectl(api, kubectlBin, ["get", "pod", opts.name, "-n", namespace, "-o", "jsonpath={.metadata.uid}"]).stdout.trim();
  saveState(state);

  run("ip", ["netns", "add", pod.netns]);
  run("ip", ["-n", pod.netns, "link", "set", "lo", "up"]);
  const t = Date.now();
  const r = callCni(state, pod, "ADD", cni, JSON.stringify(ciliumCniNetconf(false, logFile)));
  pod.addMs = Date.now() - t;
  if (r.code !== 0) throw new LabError(`CNI ADD of pod ${opts.name} on ${opts.node} failed (exit ${r.code}):\n${(r.stdout + r.stderr).trim()}`);
  let result: { ips?: { address?: string }[]; interfaces?: { name?: string; sandbox?: string }[] };
  try {
    result = JSON.parse(r.stdout) as typeof result;
  } catch {
    throw new LabError(`CNI ADD of pod ${opts.name}: the plugin printed no JSON result:\n${r.stdout.trim()}`);
  }
  const addrs = (result.ips ?? []).map((x) => x.address?.split("/")[0] ?? "").filter(Boolean);
  pod.ip = addrs.find((a) => !a.includes(":"));
  pod.ip6 = addrs.find((a) => a.includes(":"));
  pod.hostIface = result.interfaces?.find((i) => !i.sandbox)?.name;
  saveState(state);
  if (!pod.ip && !pod.ip6) throw new LabError(`CNI ADD of pod ${opts.name}: no address in the result:\n${r.stdout.trim()}`);
  return pod;
}

/** Remove a pod: CNI DEL, the namespace, the Pod object. Returns warnings (best effort). */
export async function deletePod(state: LabState, name: string, tools: ClusterTools = clusterTools()): Promise<string[]> {
  const warnings: string[] = [];
  const all = pods(state);
  const pod = all[name];
  if (!pod) return warnings;
  const cni = tools.ciliumCni;
  const node = state.cluster?.nodes[pod.node];
  if (cni && node && agentPid(state, pod.node) !== undefined) {
    const r = callCni(state, pod, "DEL", cni, JSON.stringify(ciliumCniNetconf(false, join(node.dir, "cni", "cilium-cni.log"))));
    if (r.code !== 0) warnings.push(`CNI DEL of pod ${name}: exit ${r.code}: ${(r.stdout + r.stderr).trim()}`);
  }
  // processes in the pod's own namespace (its servers) go first: a removed namespace would hide them
  const inside = run("ip", ["netns", "pids", pod.netns], { check: false }).stdout.split(/\s+/).filter(Boolean).map(Number);
  await terminate(inside.filter((p) => p > 1));
  const del = run("ip", ["netns", "del", pod.netns], { check: false });
  if (del.code !== 0 && !/No such file|not found/i.test(del.stderr)) warnings.push(`ip netns del ${pod.netns}: ${del.stderr.trim()}`);
  state.namespaces = state.namespaces.filter((n) => n !== pod.netns);
  const api = state.cluster?.clusters[pod.cluster]?.apiServer;
  if (api && tools.kubectl) {
    const r = kubectl(api, tools.kubectl, ["delete", "pod", name, "-n", pod.namespace, "--ignore-not-found", "--wait=false"], { check: false });
    if (r.code !== 0) warnings.push(`kubectl delete pod ${name}: ${r.stderr.trim()}`);
  }
  delete all[name];
  saveState(state);
  return warnings;
}

/** Remove every pod (before the agents stop: CNI DEL needs them). */
export async function podsDown(state: LabState, tools?: ClusterTools): Promise<string[]> {
  const warnings: string[] = [];
  const list = labPods(state);
  if (list.length === 0) return warnings;
  const t = tools ?? clusterTools();
  for (const p of list) {
    try {
      warnings.push(...(await deletePod(state, p.name, t)));
    } catch (e) {
      warnings.push(`pod ${p.name}: ${(e as Error).message}`);
    }
  }
  return warnings;
}

/**
 * argv of a command in a pod: in the pod's network namespace and in its node's cgroup (as a
 * kubelet puts pod processes below the node's hierarchy). The cgroup matters: with kube-proxy
 * replacement Cilium 1.20 keeps socket LB on (see below) and attaches it to the agent's cgroup root,
 * the node's own cgroup, so only processes there get their Service connections translated.
 */
export function podArgv(state: LabState | undefined, pod: LabPod, argv: string[]): string[] {
  const cg = state?.cluster?.nodes[pod.node]?.cgroup;
  const inNs = ["ip", "netns", "exec", pod.netns, ...argv];
  return cg ? ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, ...inNs] : inNs;
}

/** Run a command in a pod (its network namespace, its node's cgroup when the state is given). */
export function podExec(pod: LabPod, argv: string[], opts: { timeoutMs?: number; input?: string; state?: LabState } = {}): RunResult {
  const [cmd, ...args] = podArgv(opts.state, pod, argv);
  return run(cmd, args, { check: false, timeoutMs: opts.timeoutMs ?? 15000, input: opts.input });
}

/**
 * A TCP server in a pod: socat answering `reply` to every connection (a recorded lab process). A
 * dual-stack or IPv6-only pod's server listens on one IPv6 socket taking both families
 * (`ipv6only=0`; IPv4 clients show as `::ffff:a.b.c.d`). `reply` is a shell word list: socat's
 * `$SOCAT_SOCKADDR` / `$SOCAT_PEERADDR` name the server's and the client's address of the connection.
 */
export function startPodServer(state: LabState, pod: LabPod, port: number, reply = "PONG", socat = clusterTools().socat ?? "socat"): void {
  const log = join(state.cluster!.nodes[pod.node].dir, "cni", `${pod.name}-${port}.log`);
  const listen = pod.ip6 ? `TCP6-LISTEN:${port},ipv6only=0,fork,reuseaddr` : `TCP-LISTEN:${port},fork,reuseaddr`;
  // -lf in the run dir: the command line names the run dir, so labDown recognises the process as the lab's
  spawnRecorded(state, pod.node, "socat", podArgv(state, pod, [socat, "-lf", `${log}.socat`, listen, `SYSTEM:echo ${reply}`]), log);
}

/** socat's client address of a TCP connection to `address` (IPv6 literals in brackets, TCP6). */
export function socatTcpAddress(address: string, port: number, timeoutS: number): string {
  return address.includes(":") ? `TCP6:[${address}]:${port},connect-timeout=${timeoutS}` : `TCP:${address}:${port},connect-timeout=${timeoutS}`;
}

/** The UDP echo server of the lab's pods (one process, one socket). */
export const UDP_ECHO_SCRIPT = join(__dirname, "scripts", "udp-echo.py");

/** A UDP server in a pod answering every datagram `<pod name> <peer address>` (a recorded lab process; python3). */
export function startPodUdpEcho(state: LabState, pod: LabPod, port: number): void {
  const log = join(state.cluster!.nodes[pod.node].dir, "cni", `${pod.name}-${port}-udp.log`);
  spawnRecorded(state, pod.node, "udp-echo", podArgv(state, pod, ["python3", UDP_ECHO_SCRIPT, pod.name, String(port), log]), log);
}

/** One TCP connection attempt from a pod; the first line it reads back, or undefined (refused, dropped, timed out). */
export function tcpConnect(state: LabState, pod: LabPod, address: string, port: number, timeoutS = 2, socat = clusterTools().socat ?? "socat"): string | undefined {
  const r = podExec(pod, [socat, `-T${timeoutS}`, "-", socatTcpAddress(address, port, timeoutS)], { timeoutMs: (timeoutS + 3) * 1000, input: "", state });
  return r.code === 0 && r.stdout.trim() !== "" ? r.stdout.trim().split("\n")[0] : undefined;
}

/** Bounded attempts: how many of `attempts` connections got an answer. */
export function tcpAttempts(state: LabState, pod: LabPod, address: string, port: number, attempts: number, timeoutS = 2): { ok: number; attempts: number } {
  let ok = 0;
  for (let i = 0; i < attempts; i++) if (tcpConnect(state, pod, address, port, timeoutS) !== undefined) ok++;
  return { ok, attempts };
}

/** The endpoints of a node's agent (its API, `GET /v1/endpoint`). */
export function nodeEndpoints(state: LabState, node: string): LabEndpoint[] | undefined {
  const n = state.cluster?.nodes[node];
  if (!n) return undefined;
  type Ep = {
    id: number;
    status?: {
      state?: string;
      identity?: { id?: number; labels?: string[] };
      networking?: { addressing?: { ipv4?: string; ipv6?: string }[] };
      "external-identifiers"?: { "pod-name"?: string; "k8s-pod-name"?: string; "k8s-namespace"?: string; "container-id"?: string };
    };
  };
  const list = agentApi<Ep[]>(n, "/endpoint");
  if (!list) return undefined;
  return list.map((e) => {
    const x = e.status?.["external-identifiers"];
    return {
      id: e.id,
      state: e.status?.state ?? "unknown",
      identity: e.status?.identity?.id,
      labels: e.status?.identity?.labels ?? [],
      ipv4: e.status?.networking?.addressing?.find((a) => a.ipv4)?.ipv4,
      ipv6: e.status?.networking?.addressing?.find((a) => a.ipv6)?.ipv6,
      pod: x?.["pod-name"] ?? (x?.["k8s-pod-name"] ? `${x["k8s-namespace"]}/${x["k8s-pod-name"]}` : undefined),
      containerId: x?.["container-id"],
    };
  });
}

/** Endpoints per node of every agent (for `lab check`'s cluster section). */
export function endpointsPerNode(state: LabState): Record<string, LabEndpoint[] | undefined> {
  const out: Record<string, LabEndpoint[] | undefined> = {};
  for (const name of Object.keys(state.cluster?.nodes ?? {})) out[name] = nodeEndpoints(state, name);
  return out;
}

/** Lines of an endpoints table (node, endpoint id, state, identity, address, pod). */
export function formatEndpoints(eps: Record<string, LabEndpoint[] | undefined>, pods: LabPod[] = []): string[] {
  const lines: string[] = [];
  // the agent's endpoint list carries no pod name here: the lab's pods by address
  const byIp = new Map(pods.flatMap((p) => [p.ip, p.ip6].filter((a): a is string => a !== undefined).map((a) => [a, `${p.namespace}/${p.name}`] as const)));
  for (const [node, list] of Object.entries(eps)) {
    if (!list) {
      lines.push(`${node}: endpoints unknown (agent API did not answer)`);
      continue;
    }
    const podEps = list.filter((e) => !e.labels.includes("reserved:host"));
    lines.push(`${node}: ${podEps.length} pod endpoint${podEps.length === 1 ? "" : "s"}`);
    for (const e of podEps) {
      const pod = e.pod ?? (e.ipv4 ? byIp.get(e.ipv4) : undefined) ?? (e.ipv6 ? byIp.get(e.ipv6) : undefined) ?? e.containerId ?? "-";
      lines.push(`  ${e.id}  ${e.state}  identity ${e.identity ?? "-"}  ${e.ipv4 ?? "-"}${e.ipv6 ? `  ${e.ipv6}` : ""}  ${pod}`);
    }
  }
  return lines;
}

/**
 * `cilium-dbg monitor` of a node's agent, for `durationMs` while `during` runs: the agent's own
 * drop and policy-verdict events. cilium-dbg runs in the agent's mount and network namespaces
 * (the monitor socket is below the agent's own /run) and talks to the agent's API socket.
 */
export async function agentMonitor(state: LabState, node: string, during: () => void | Promise<void>, opts: { durationMs?: number; ciliumDbg?: string } = {}): Promise<string> {
  const dbg = opts.ciliumDbg ?? clusterTools().ciliumDbg;
  if (!dbg) throw new LabError("cilium-dbg is not built (scripts/build-cluster-tools.sh cilium-dbg)");
  const n = state.cluster?.nodes[node];
  const pid = agentPid(state, node);
  if (!n || pid === undefined) throw new LabError(`${node}: no running agent`);
  const { spawn } = await import("child_process");
  const child = spawn("nsenter", ["-t", String(pid), "-m", "-n", "timeout", String(Math.ceil((opts.durationMs ?? 15000) / 1000)), dbg, "-H", `unix://${n.apiSocket}`, "monitor", "--type", "drop", "--type", "policy-verdict"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const done = new Promise<void>((res) => child.on("close", () => res()));
  // the monitor is listening once it says so
  const deadline = Date.now() + 10000;
  while (!/Press Ctrl-C|Listening for events/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  try {
    await during();
  } finally {
    await new Promise((r) => setTimeout(r, 1000));
    if (child.exitCode === null && child.pid !== undefined) child.kill("SIGTERM");
    await done;
  }
  return out;
}

/**
 * The EndpointSlice the EndpointSlice controller would write for a Service over lab pods (port name
 * `tcp`, and `udp` with `udpTargetPort`); pods named in `notReady` are listed not ready and not
 * serving (as after their node went NotReady).
 */
export function endpointSlice(service: string, namespace: string, targetPort: number, backends: LabPod[], notReady: string[] = [], udpTargetPort?: number): Record<string, unknown> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${service}-lab`, namespace, labels: { "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "dcnet-lab" } },
    addressType: "IPv4",
    ports: [{ name: "tcp", port: targetPort, protocol: "TCP" }, ...(udpTargetPort !== undefined ? [{ name: "udp", port: udpTargetPort, protocol: "UDP" }] : [])],
    endpoints: backends.map((p) => ({ addresses: [p.ip], conditions: { ready: !notReady.includes(p.name), serving: !notReady.includes(p.name), terminating: false }, nodeName: p.node, targetRef: { kind: "Pod", name: p.name, namespace: p.namespace, uid: p.uid } })),
  };
}

/**
 * A ClusterIP Service in front of lab pods. No kube-controller-manager runs in the lab, so the lab
 * writes the EndpointSlice the EndpointSlice controller would (addresses, ready, nodeName, targetRef).
 * Returns the ClusterIP the API server allocated from the service CIDR.
 */
export function createClusterIpService(state: LabState, opts: { name: string; namespace?: string; selector: Record<string, string>; port: number; targetPort: number; backends: LabPod[] }, tools: ClusterTools = clusterTools()): string {
  const kubectlBin = tools.kubectl;
  if (!kubectlBin) throw new LabError("kubectl is not built");
  if (opts.backends.length === 0) throw new LabError(`Service ${opts.name}: no backends`);
  const namespace = opts.namespace ?? "default";
  const api = state.cluster!.clusters[opts.backends[0].cluster].apiServer;
  const svc = { apiVersion: "v1", kind: "Service", metadata: { name: opts.name, namespace }, spec: { type: "ClusterIP", selector: opts.selector, ports: [{ name: "tcp", port: opts.port, targetPort: opts.targetPort, protocol: "TCP" }] } };
  const slice = endpointSlice(opts.name, namespace, opts.targetPort, opts.backends);
  kubectl(api, kubectlBin, ["apply", "--server-side", `--field-manager=${LAB_FIELD_MANAGER}`, "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [svc, slice] }) });
  return kubectl(api, kubectlBin, ["get", "service", opts.name, "-n", namespace, "-o", "jsonpath={.spec.clusterIP}"]).stdout.trim();
}

/** The agent's view of a service (`GET /v1/service`): frontend address:port → backend addresses. */
export function agentServices(state: LabState, node: string): { frontend: string; backends: string[] }[] | undefined {
  const n = state.cluster?.nodes[node];
  if (!n) return undefined;
  type Svc = { spec?: { "frontend-address"?: { ip?: string; port?: number }; "backend-addresses"?: { ip?: string; port?: number }[] } };
  const list = agentApi<Svc[]>(n, "/service");
  return list?.map((s) => ({
    frontend: `${s.spec?.["frontend-address"]?.ip}:${s.spec?.["frontend-address"]?.port}`,
    backends: (s.spec?.["backend-addresses"] ?? []).map((b) => `${b.ip}:${b.port}`),
  }));
}
