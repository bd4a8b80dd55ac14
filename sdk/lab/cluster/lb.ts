/**
 * The L4 load balancer in the lab (issue 11, the seed's Fig 2-4/2-5): a LoadBalancer Service whose
 * address LB-IPAM takes from dcnet's pool (`CiliumLoadBalancerIPPool`), backend pods on several
 * nodes, the VIP announced by the pool's announcers, and a client outside Cilium sending bounded,
 * short TCP connections to VIP:port through the fabric. The agents' own view comes from
 * `cilium-dbg` run in the agent's mount and network namespaces (`nsenter -t <agent pid> -m -n`:
 * the agent has a `/run` of its own) against its API socket.
 */
import { spawn } from "child_process";
import { join } from "path";
import { LabError, run, RunResult } from "../exec";
import { LabState } from "../state";
import { cableOf, timeUntil } from "../ops";
import { Plan } from "../../plan/types";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { agentPid } from "./agent";
import { kubectl } from "./apiserver";
import { LAB_FIELD_MANAGER } from "./objects";
import { endpointSlice, LabPod, startPodServer, startPodUdpEcho } from "./pods";
import { LabExternalHost } from "./external";

/** The client script (bounded connections, one line per attempt). */
export const LB_CLIENT_SCRIPT = join(__dirname, "scripts", "lb-client.sh");

/** Options of a LoadBalancer Service over lab pods. */
export interface LoadBalancerServiceOptions {
  name: string;
  namespace?: string;
  selector: Record<string, string>;
  port: number;
  targetPort: number;
  backends: LabPod[];
  /** The same port over UDP too (a mixed-protocol Service), to this target port of the backends. */
  udpTargetPort?: number;
  /** `Cluster` (default: any node forwards to any backend) or `Local` (only nodes with a ready local backend serve and announce it, the client's address kept). */
  externalTrafficPolicy?: "Cluster" | "Local";
  /** Service labels (a pool's `serviceSelector`). */
  labels?: Record<string, string>;
  /** How long to wait for LB-IPAM's address (ms, default 60 s). */
  timeoutMs?: number;
}

/**
 * Apply a LoadBalancer Service (TCP, optionally the same port over UDP; externalTrafficPolicy as
 * given, Cluster by default) and the EndpointSlice the controller would write, then wait (bounded)
 * until LB-IPAM gave it an address; returns it.
 */
export async function createLoadBalancerService(state: LabState, opts: LoadBalancerServiceOptions, tools: ClusterTools = clusterTools()): Promise<{ ip: string; ms: number }> {
  const kubectlBin = tools.kubectl;
  if (!kubectlBin) throw new LabError("kubectl is not built");
  if (opts.backends.length === 0) throw new LabError(`Service ${opts.name}: no backends`);
  const namespace = opts.namespace ?? "default";
  const api = state.cluster!.clusters[opts.backends[0].cluster].apiServer;
  const svc = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: opts.name, namespace, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      type: "LoadBalancer",
      externalTrafficPolicy: opts.externalTrafficPolicy ?? "Cluster",
      selector: opts.selector,
      ports: [
        { name: "tcp", port: opts.port, targetPort: opts.targetPort, protocol: "TCP" },
        ...(opts.udpTargetPort !== undefined ? [{ name: "udp", port: opts.port, targetPort: opts.udpTargetPort, protocol: "UDP" }] : []),
      ],
    },
  };
  const t = Date.now();
  kubectl(api, kubectlBin, ["apply", "--server-side", `--field-manager=${LAB_FIELD_MANAGER}`, "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [svc, endpointSlice(opts.name, namespace, opts.targetPort, opts.backends, [], opts.udpTargetPort)] }) });
  let ip = "";
  const ms = await timeUntil(
    () => {
      ip = kubectl(api, kubectlBin, ["get", "service", opts.name, "-n", namespace, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"], { check: false }).stdout.trim();
      return ip !== "";
    },
    opts.timeoutMs ?? 60000,
    500,
    t,
  );
  if (ms === undefined) throw new LabError(`Service ${namespace}/${opts.name} got no LoadBalancer address from LB-IPAM in ${(opts.timeoutMs ?? 60000) / 1000} s`);
  return { ip, ms };
}

/**
 * Rewrite a Service's EndpointSlice with the pods in `notReady` not ready (what the node lifecycle
 * and EndpointSlice controllers do once a dead node's grace period is over; neither runs in the lab).
 */
export function setBackendsReady(state: LabState, opts: { name: string; namespace?: string; targetPort: number; udpTargetPort?: number; backends: LabPod[]; notReady: string[] }, tools: ClusterTools = clusterTools()): void {
  const kubectlBin = tools.kubectl;
  if (!kubectlBin) throw new LabError("kubectl is not built");
  const api = state.cluster!.clusters[opts.backends[0].cluster].apiServer;
  const slice = endpointSlice(opts.name, opts.namespace ?? "default", opts.targetPort, opts.backends, opts.notReady, opts.udpTargetPort);
  kubectl(api, kubectlBin, ["apply", "--server-side", `--field-manager=${LAB_FIELD_MANAGER}`, "-f", "-"], { input: JSON.stringify(slice) });
}

/**
 * Unknown-unicast flooding of a bridge port of the lab (a device's port on a rack network), on or
 * off. A veth has no MAC filter and Cilium's tc program on the node's device sees frames addressed
 * to another host before the kernel drops them: with an announcer's cable pulled, the rack bridge
 * floods frames for its MAC to the other nodes, whose BPF NodePort then answers for the dead node —
 * something a NIC (which filters other hosts' unicast) never lets happen. Off for the failover.
 */
export function setPortFlood(plan: Plan, state: LabState, device: string, iface: string, on: boolean): void {
  const c = cableOf(plan, state, device, iface);
  if (c.namespace !== state.hubNamespace) throw new LabError(`${device} ${iface} is no port of a rack network`);
  run("ip", ["netns", "exec", c.namespace, "bridge", "link", "set", "dev", c.ifname, "flood", on ? "on" : "off"], { timeoutMs: 5000 });
}

/**
 * An echo server in a backend pod: every TCP connection (or UDP datagram, with `protocol` udp) is
 * answered `<pod name> <peer address as the pod sees it>`.
 */
export function startEchoServer(state: LabState, pod: LabPod, port: number, protocol: "tcp" | "udp" = "tcp"): void {
  if (protocol === "udp") return startPodUdpEcho(state, pod, port);
  // socat's SYSTEM runs /bin/sh, which expands SOCAT_PEERADDR per connection
  startPodServer(state, pod, port, `${pod.name} $SOCAT_PEERADDR`);
}

/** `cilium-dbg <args>` against a node's agent (in its mount and network namespaces). */
export function agentDbg(state: LabState, node: string, args: string[], opts: { timeoutMs?: number; ciliumDbg?: string } = {}): RunResult {
  const dbg = opts.ciliumDbg ?? clusterTools().ciliumDbg;
  if (!dbg) throw new LabError("cilium-dbg is not built (scripts/build-cluster-tools.sh cilium-dbg)");
  const n = state.cluster?.nodes[node];
  const pid = agentPid(state, node);
  if (!n || pid === undefined) throw new LabError(`${node}: no running agent`);
  return run("nsenter", ["-t", String(pid), "-m", "-n", dbg, "-H", `unix://${n.apiSocket}`, ...args], { check: false, timeoutMs: opts.timeoutMs ?? 30000 });
}

/** One attempt of the client: when it started, its source port, the answer's first line (undefined: none). */
export interface LbAttempt {
  t: number;
  sourcePort: number;
  answer?: string;
}

/** Parse the client script's lines. */
export function parseLbClient(text: string): LbAttempt[] {
  const out: LbAttempt[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+) (\d+) (.*)$/.exec(line.trim());
    if (!m) continue;
    out.push({ t: Number(m[1]), sourcePort: Number(m[2]), ...(m[3] !== "-" ? { answer: m[3] } : {}) });
  }
  return out;
}

/** Arguments of the client script. */
export interface LbClientOptions {
  vip: string;
  port: number;
  count: number;
  /** First source port (each attempt takes the next one). */
  basePort: number;
  /** Seconds per attempt (connect and answer; a UDP attempt always takes that long). */
  timeoutS?: number;
  /** `tcp` (default: one connection per attempt) or `udp` (one request datagram per attempt). */
  protocol?: "tcp" | "udp";
}

function clientArgv(host: LabExternalHost, o: LbClientOptions, socat: string): string[] {
  if (o.count < 1 || o.count > 2000) throw new LabError(`lb client: ${o.count} attempts (1..2000)`);
  if (o.basePort < 1024 || o.basePort + o.count > 65535) throw new LabError(`lb client: source ports ${o.basePort}..${o.basePort + o.count - 1} outside 1024..65535`);
  return ["netns", "exec", host.netns, "sh", LB_CLIENT_SCRIPT, socat, o.vip, String(o.port), String(o.count), String(o.basePort), String(o.timeoutS ?? 2), o.protocol ?? "tcp"];
}

/** Run `count` connections from the client host to VIP:port, one after the other (bounded: count × timeout). */
export function lbRequests(host: LabExternalHost, o: LbClientOptions, socat = clusterTools().socat ?? "socat"): LbAttempt[] {
  const r = run("ip", clientArgv(host, o, socat), { check: false, timeoutMs: o.count * ((o.timeoutS ?? 2) + 1) * 1000 + 10000 });
  if (r.code !== 0) throw new LabError(`lb client in ${host.netns} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return parseLbClient(r.stdout);
}

/**
 * The client in the background (for failover): `stop()` ends it (SIGTERM to the one process the lab
 * started, by PID) and returns the attempts so far; it ends by itself after `count` attempts.
 */
export function lbRequestsInBackground(host: LabExternalHost, o: LbClientOptions, socat = clusterTools().socat ?? "socat"): { stop: () => Promise<LbAttempt[]>; done: Promise<LbAttempt[]>; sofar: () => LbAttempt[] } {
  const child = spawn("ip", clientArgv(host, o, socat), { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const done = new Promise<void>((res) => child.on("close", () => res()));
  return {
    done: done.then(() => parseLbClient(out)),
    sofar: () => parseLbClient(out),
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        // its own process group (detached): the script and its current socat
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          /* gone already */
        }
      }
      await done;
      return parseLbClient(out);
    },
  };
}

/** Count of answers per backend pod (the first word of each answer). */
export function answersPerBackend(attempts: LbAttempt[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of attempts) if (a.answer) out[a.answer.split(" ")[0]] = (out[a.answer.split(" ")[0]] ?? 0) + 1;
  return out;
}

/**
 * Source ports of `client`'s connections to VIP:port that a node's load balancer handled: the
 * service entries (`TCP SVC client:P -> VIP:port`) of its connection tracking table (`cilium-dbg
 * bpf ct list global`), one per connection it translated. A closed connection's entry lives 10 s
 * (Cilium's TCP FIN timeout): read it within that time.
 */
export function conntrackSourcePorts(state: LabState, node: string, client: string, vip: string, port: number): number[] {
  const r = agentDbg(state, node, ["bpf", "ct", "list", "global"], { timeoutMs: 60000 });
  if (r.code !== 0) throw new LabError(`cilium-dbg bpf ct list global on ${node}: ${(r.stderr || r.stdout).trim()}`);
  return conntrackPorts(r.stdout, client, vip, port);
}

/** The client source ports of the service entries `TCP SVC client:P -> vip:port` in `cilium-dbg bpf ct list global` output. */
export function conntrackPorts(text: string, client: string, vip: string, port: number): number[] {
  const ports = new Set<number>();
  const esc = (s: string) => s.replace(/\./g, "\\.");
  const re = new RegExp(`^TCP SVC ${esc(client)}:(\\d+) -> ${esc(vip)}:${port} `);
  for (const line of text.split("\n")) {
    const m = re.exec(line.trim());
    if (m) ports.add(Number(m[1]));
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * The client's connections with each announcing node's conntrack read every `pollMs` while they
 * run (entries of closed connections expire after 10 s): the attempts and, per node, the source
 * ports its load balancer translated.
 */
export async function lbRequestsSeenByNodes(state: LabState, host: LabExternalHost, o: LbClientOptions, nodes: string[], pollMs = 2000): Promise<{ attempts: LbAttempt[]; ports: Record<string, number[]> }> {
  const seen: Record<string, Set<number>> = Object.fromEntries(nodes.map((n) => [n, new Set<number>()]));
  const poll = () => {
    for (const n of nodes) for (const p of conntrackSourcePorts(state, n, host.address, o.vip, o.port)) if (p >= o.basePort && p < o.basePort + o.count) seen[n].add(p);
  };
  const bg = lbRequestsInBackground(host, o);
  const deadline = Date.now() + o.count * ((o.timeoutS ?? 2) + 1) * 1000 + 10000;
  let attempts: LbAttempt[] | undefined;
  const finished = bg.done.then((a) => (attempts = a));
  try {
    while (attempts === undefined && Date.now() < deadline) {
      poll();
      await Promise.race([finished, new Promise((r) => setTimeout(r, pollMs))]);
    }
  } finally {
    // never leave the client running (a poll that throws, the deadline)
    if (attempts === undefined) attempts = await bg.stop();
  }
  poll();
  return { attempts, ports: Object.fromEntries(nodes.map((n) => [n, [...seen[n]].sort((a, b) => a - b)])) };
}

/** The load balancer's settings as the agent reports them (`cilium-dbg status --verbose`, KubeProxyReplacement details). */
export function agentLbStatus(state: LabState, node: string): { mode?: string; dsrDispatch?: string; backendSelection?: string; devices?: string; text: string } {
  const r = agentDbg(state, node, ["status", "--verbose"]);
  if (r.code !== 0) throw new LabError(`cilium-dbg status --verbose on ${node}: ${(r.stderr || r.stdout).trim()}`);
  const section = r.stdout.split("KubeProxyReplacement Details:")[1]?.split(/\nBPF Maps:/)[0] ?? "";
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.+?)\\s*$`, "m").exec(section)?.[1];
  return { mode: field("Mode"), dsrDispatch: field("DSR Dispatch Mode"), backendSelection: field("Backend Selection"), devices: field("Devices"), text: section };
}

/**
 * The reverse-NAT id of a service frontend (`ip:port` and protocol) in `cilium-dbg bpf lb list`
 * output: its slot-0 line `ip:port/PROTO (0)  0.0.0.0:0 (<revnat>) (0) [type]`.
 */
export function revnatOf(text: string, frontend: string, protocol: "TCP" | "UDP" = "TCP"): string | undefined {
  const esc = (x: string) => x.replace(/[.[\]]/g, "\\$&");
  const re = new RegExp(`^${esc(frontend)}/${protocol} \\(0\\)\\s+\\S+ \\((\\d+)\\) \\(0\\)`);
  for (const line of text.split("\n")) {
    const m = re.exec(line.trim());
    if (m) return m[1];
  }
  return undefined;
}

/**
 * A node's Maglev lookup table of a frontend (`ip:port`, TCP unless given), slot by slot as backend
 * addresses: the frontend's reverse-NAT id from `cilium-dbg bpf lb list`, the table from `bpf lb
 * maglev list`, backend ids from `bpf lb list --backends` (ids are the node's own; addresses
 * compare across nodes).
 */
export function maglevTable(state: LabState, node: string, frontend: string, protocol: "TCP" | "UDP" = "TCP"): string[] {
  const dbg = (args: string[]) => {
    const r = agentDbg(state, node, args, { timeoutMs: 60000 });
    if (r.code !== 0) throw new LabError(`cilium-dbg ${args.join(" ")} on ${node}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };
  const ids = (text: string, re: RegExp) => new Map(text.split("\n").flatMap((l) => {
    const m = re.exec(l.trim());
    return m ? [[m[1], m[2]] as [string, string]] : [];
  }));
  // the service's own entry (slot 0) names its protocol and its reverse-NAT id: `VIP:80/TCP (0)  0.0.0.0:0 (7) (0) [LoadBalancer]`
  // (the revnat list alone has one id per protocol under the same address:port)
  const revnat = revnatOf(dbg(["bpf", "lb", "list"]), frontend, protocol);
  if (revnat === undefined) throw new LabError(`${node}: no ${protocol} frontend ${frontend} in bpf lb list`);
  const backends = ids(dbg(["bpf", "lb", "list", "--backends"]), /^(\d+)\s+\w+:\/\/(\S+)$/);
  const tables = JSON.parse(dbg(["bpf", "lb", "maglev", "list", "-o", "json"])) as Record<string, string[]>;
  const row = tables[`[${revnat}]/v4`]?.[0];
  if (!row) throw new LabError(`${node}: no Maglev table for ${frontend} (service ${revnat}) in bpf lb maglev list`);
  return row.replace(/[[\]]/g, " ").trim().split(/\s+/).map((id) => backends.get(id) ?? `backend#${id}`);
}
