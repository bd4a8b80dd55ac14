/**
 * `labUp(plan, options)`: build the plan's topology on this machine from the plan alone.
 *
 * - every device a network namespace (`<prefix>-<device>`), shared L2 segments (rack networks)
 *   as bridges inside a per-run hub namespace (`<prefix>.l2`), point-to-point links as veth
 *   pairs between the two device namespaces; addresses and static (default) routes as planned;
 * - nodes get a dummy `cilium_host` (up) so the rendered `route P via "cilium_host"` works;
 * - FRR (zebra, bgpd, bfdd, `-N` path space per switch) in each switch namespace and BIRD in each
 *   node namespace, sockets, pid files and logs in the run dir; with `configs: "planned"` they run
 *   exactly the files the renderers produce (plus per-run secrets), with `"baseline"` a config
 *   with no BGP session (an apply step installs the real one later);
 * - optionally (ssh) a management bridge in the root namespace and an sshd per device.
 *
 * Everything is recorded in `<runDir>/state.json` before it is created; `labDown(state)` removes
 * it all, also after a failed or interrupted `labUp`.
 */
import { chownSync, existsSync, readFileSync, statSync, writeFileSync } from "fs";
import { randomBytes } from "crypto";
import { dirname, join, resolve as resolvePath } from "path";
import { Plan, PlanDevice } from "../plan/types";
import { renderBirdConfig, renderBirdSecrets } from "../render/bird";
import { renderSwitchConfig, renderSwitchSecrets } from "../render/switch/index";
import { containsAddress, nthAddress, prefixInside, prefixLength } from "../net/prefix";
import { ipBatch, LabError, nsRun, run, sleep } from "./exec";
import { eui64Mac } from "./probe";
import { defaultRunDir, labPrefix, labRoot, LabNames, MAX_IFNAME, MGMT_IFACE, NODE_ROUTE_IFACE } from "./names";
import { LabTools, requireTools } from "./prereq";
import { LabConfigs, LabDevice, LabProcess, LabState, loadState, makeDir, saveState } from "./state";
import { CONVERGE_WAIT_MS, unconvergedSwitches, waitConverged } from "./converge";
import { createUpstreamLinks, startUpstreams, upstreamExternalAddresses } from "./upstream";
import { probeUpstreamSessions } from "./check-upstream";
import { DaemonWait, frrUser, spawnDaemon, startBird, startFrr, waitForFiles, DAEMON_START_TIMEOUT_MS } from "./daemons";
export { applyFrrConfig, startBird, waitStarted } from "./daemons";
import { claimMgmtPrefix } from "./mgmt";
import { clusterSpeakers, clusterUp, LabClusterOptions } from "./cluster/index";
import { clusterProbeSessions, planForCheck } from "./cluster/check";
import { clusterTools } from "../tools/cluster-tools";

/** Progress events of `labUp`. */
export interface LabProgress {
  phase: "topology" | "daemons" | "ssh" | "cluster" | "sessions" | "ready";
  message: string;
  elapsedMs: number;
  /** Sessions Established on both ends so far (phase `sessions`). */
  established?: number;
  total?: number;
}

/** Options of `labUp`. */
export interface LabUpOptions {
  /** Lab key: the run prefix is derived from it (same name → same prefix, namespaces, run dir). */
  name: string;
  /** Run directory (default `/tmp/dcnet-lab/<prefix>`). Made 0755: the `frr` user must reach it. */
  runDir?: string;
  /** `planned` (default): daemons run the rendered configs; `baseline`: no BGP sessions configured. */
  configs?: LabConfigs;
  /** Start an sshd per device on a management bridge, accepting this public key for root. */
  ssh?: {
    authorizedKey: string;
    /** Management /24 (default: the first free of 198.18.255.0/24, 198.18.254.0/24, ... 198.18.240.0/24). */
    mgmtPrefix?: string;
  };
  /** Session passwords by passwordRef (default: random per run for each passwordRef in the plan). */
  passwords?: Record<string, string>;
  /** Wait this long for every planned session to be Established (default 150 s; 0: do not wait). */
  waitTimeoutMs?: number;
  /** Throw when the wait times out (default false: the lab stays up, `timings.establishedMs` stays unset). */
  requireEstablished?: boolean;
  onProgress?: (p: LabProgress) => void;
  /** Bring the cluster side up too (API servers, operators, a Cilium agent per node of each cluster with inputs): see sdk/lab/cluster. */
  cluster?: LabClusterOptions;
  /** Abort `up` between steps (the state stays recorded: call `labDown`). */
  signal?: AbortSignal;
}

/** `labUp` failed; `state` records what was created (pass it to `labDown`). */
export class LabUpError extends LabError {
  constructor(
    message: string,
    readonly state: LabState,
  ) {
    super(message);
    this.name = "LabUpError";
  }
}


/** The only address space the lab brings up (RFC 2544 benchmarking, RFC 3849 documentation). */
export const LAB_ALLOWED = ["198.18.0.0/15", "2001:db8::/32"];
/** IPv6 link-local: the only addresses of an unnumbered fabric's links (the kernel's own are turned off there). */
const LINK_LOCAL = "fe80::/10";

/**
 * Default bound of the wait for sessions. Generous on purpose: with FRR 8.4 a BFD session that is
 * already up when BGP reaches Established is re-created (FRRouting/frr#17337), BIRD sees BFD go
 * down and holds the session for its error wait time (60 s by default) before retrying.
 */
export const DEFAULT_WAIT_MS = 150000;

/** Bring the plan's topology up. See the module comment. */
export async function labUp(plan: Plan, opts: LabUpOptions): Promise<LabState> {
  const tools = requireTools({ ssh: !!opts.ssh });
  const started = Date.now();
  const names = new LabNames(labPrefix(opts.name));
  const runDir = resolvePath(opts.runDir ?? defaultRunDir(names.prefix));
  checkPlanForLab(plan, !!opts.ssh);

  let previous: LabState | undefined;
  try {
    previous = loadState(runDir);
  } catch (e) {
    throw new LabError(`${runDir} holds an unreadable state file (${(e as Error).message}); remove it or pick another run dir`);
  }
  if (previous && previous.status !== "down")
    throw new LabError(`a lab is already recorded in ${runDir} (status ${previous.status}); run \`dcnet lab down\` (labDown) first`);
  const existingNs = listNamespaces().filter((n) => n === names.hubNamespace || n.startsWith(`${names.prefix}-`));
  if (existingNs.length > 0)
    throw new LabError(`namespaces of run ${names.prefix} already exist (${existingNs.join(", ")}): another lab with the same name is up; run down first or use another name`);

  if (!opts.runDir) makeDir(labRoot(), 0o755);
  makeDir(runDir, 0o755);
  checkTraversable(runDir);

  const state: LabState = {
    version: 1,
    name: opts.name,
    prefix: names.prefix,
    runDir,
    planName: plan.name,
    topology: plan.topology,
    configs: opts.configs ?? "planned",
    status: "creating",
    hubNamespace: names.hubNamespace,
    namespaces: [],
    rootLinks: [],
    processes: [],
    frrRunDirs: [],
    claims: [],
    devices: {},
    passwords: opts.passwords ?? randomPasswords(plan),
    timings: { startedAt: new Date(started).toISOString() },
  };
  saveState(state);
  writeFileSync(join(runDir, "plan.json"), JSON.stringify(plan, null, 2) + "\n", { mode: 0o644 });

  const progress = (phase: LabProgress["phase"], message: string, extra: Partial<LabProgress> = {}) =>
    opts.onProgress?.({ phase, message, elapsedMs: Date.now() - started, ...extra });
  const checkAbort = () => {
    if (opts.signal?.aborted) throw new LabError("interrupted");
  };

  try {
    progress("topology", `building ${plan.devices.length} namespaces and ${plan.segments.length} segments (run ${names.prefix}, ${runDir})`);
    // nodes of clusters with a real agent: the agent owns cilium_host; Cilium-spoken nodes run no BIRD
    const speakers = clusterSpeakers(plan, opts.cluster?.inputs);
    buildTopology(plan, state, names, speakers);
    state.timings.topologyMs = Date.now() - started;
    saveState(state);
    checkAbort();

    if (opts.ssh) {
      progress("ssh", "management bridge and sshd per device");
      setupManagement(plan, state, names, tools, opts.ssh);
      checkAbort();
    }

    progress("daemons", `starting FRR on ${plan.devices.filter((d) => d.kind === "switch").length} switches and BIRD on ${plan.devices.filter((d) => d.kind === "node").length} nodes (${state.configs} configs)`);
    await startDaemons(plan, state, names, tools, speakers);
    if (opts.ssh) await startSshd(plan, state, tools, opts.ssh.authorizedKey);
    state.timings.daemonsMs = Date.now() - started;
    saveState(state);
    checkAbort();

    if (speakers.size > 0 && opts.cluster) {
      progress("cluster", `cluster side: ${new Set(plan.clusters.filter((c) => c.nodes.some((n) => speakers.has(n))).map((c) => c.name)).size} clusters, ${speakers.size} Cilium agents`);
      await clusterUp(plan, state, { ...opts.cluster, onProgress: (m) => progress("cluster", m) }, started);
      checkAbort();
    }

    const waitMs = opts.waitTimeoutMs ?? DEFAULT_WAIT_MS;
    if (state.configs === "planned" && waitMs > 0 && plan.sessions.length > 0) {
      const deadline = Date.now() + waitMs;
      let last = -1;
      for (;;) {
        checkAbort();
        const sessions = [...clusterProbeSessions(plan, state), ...probeUpstreamSessions(plan, state)];
        const up = sessions.filter((s) => s.established).length;
        if (up !== last) {
          progress("sessions", `sessions Established: ${up}/${sessions.length}`, { established: up, total: sessions.length });
          last = up;
        }
        if (up === sessions.length) {
          state.timings.establishedMs = Date.now() - started;
          break;
        }
        if (Date.now() >= deadline) {
          const down = sessions.filter((s) => !s.established).slice(0, 8);
          const msg = `only ${up}/${sessions.length} sessions Established after ${Math.round(waitMs / 1000)} s; not up: ${down
            .map((s) => `${s.id} (${s.a.device}: ${s.a.state}, ${s.b.device}: ${s.b.state})`)
            .join("; ")}${sessions.length - up > down.length ? " ..." : ""}`;
          if (opts.requireEstablished) throw new LabError(msg);
          progress("sessions", msg, { established: up, total: sessions.length });
          break;
        }
        await sleep(250);
      }
    }
    if (state.timings.establishedMs !== undefined) {
      // routes arrive a moment after the sessions: wait (bounded) until every switch selects them
      // Cilium speakers announce only the VIPs allocated to Services (sdk/lab/cluster/check.ts)
      const expected = state.cluster ? planForCheck(plan, state, opts.cluster?.tools?.kubectl ?? clusterTools().kubectl) : plan;
      const ms = await waitConverged(expected, state, CONVERGE_WAIT_MS, checkAbort);
      if (ms !== undefined) state.timings.convergedMs = Date.now() - started;
      else progress("sessions", `routing has not converged ${CONVERGE_WAIT_MS / 1000} s after the sessions came up: ${unconvergedSwitches(expected, state).join(", ")}`);
    }
    state.status = "up";
    saveState(state);
    progress(
      "ready",
      state.timings.establishedMs !== undefined
        ? `all sessions Established after ${(state.timings.establishedMs / 1000).toFixed(1)} s${state.timings.convergedMs !== undefined ? `, routes converged after ${(state.timings.convergedMs / 1000).toFixed(1)} s` : ""}`
        : "lab is up",
    );
    return state;
  } catch (e) {
    state.status = "failed";
    state.error = (e as Error).message;
    saveState(state);
    throw new LabUpError(`lab up failed: ${(e as Error).message}\n(everything created so far is recorded in ${runDir}/state.json; remove it with \`dcnet lab down\` / labDown)`, state);
  }
}

/** Names of existing network namespaces. */
export function listNamespaces(): string[] {
  const r = run("ip", ["netns", "list"], { check: false, timeoutMs: 5000 });
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/** Reject plans the lab cannot build (long interface names, names the lab itself uses). */
export function checkPlanForLab(plan: Plan, ssh: boolean): void {
  const problems: string[] = [];
  if (plan.version !== 1) problems.push(`plan version ${String(plan.version)} is not supported (need 1)`);
  const names = new Set<string>();
  for (const d of plan.devices) {
    if (names.has(d.name)) problems.push(`device ${d.name} appears twice`);
    names.add(d.name);
    const ifs = new Set<string>();
    for (const i of d.interfaces) {
      if (i.name.length > MAX_IFNAME || !/^[A-Za-z0-9_.-]+$/.test(i.name)) problems.push(`${d.name}: interface name ${JSON.stringify(i.name)} is not a valid Linux interface name`);
      if (i.name === NODE_ROUTE_IFACE || (ssh && i.name === MGMT_IFACE)) problems.push(`${d.name}: interface ${i.name} is reserved by the lab`);
      if (ifs.has(i.name)) problems.push(`${d.name}: interface ${i.name} appears twice`);
      ifs.add(i.name);
    }
  }
  for (const s of plan.segments) {
    for (const m of s.members) {
      const d = plan.devices.find((x) => x.name === m.device);
      if (!d) problems.push(`segment ${s.name}: member ${m.device} is not a device`);
      else if (!d.interfaces.some((i) => i.name === m.interface)) problems.push(`segment ${s.name}: ${m.device} has no interface ${m.interface}`);
    }
  }
  // the lab brings up documentation/benchmark space only
  const allowed = (p: string) => (p.includes(":") ? prefixInside(p, LAB_ALLOWED[1]) : prefixInside(p, LAB_ALLOWED[0]));
  // besides IPv6 link-local addresses on the links of an unnumbered fabric (never routed)
  const linkLocal = (i: PlanDevice["interfaces"][number], cidr: string) => !!i.segment && prefixInside(cidr, LINK_LOCAL);
  for (const d of plan.devices)
    for (const i of d.interfaces) for (const a of i.addresses) if (!allowed(a.cidr) && !linkLocal(i, a.cidr)) problems.push(`${d.name} ${i.name}: ${a.cidr} is outside ${LAB_ALLOWED.join(" and ")}`);
  for (const n of plan.nodes) for (const a of n.announcements) if (!allowed(a.prefix)) problems.push(`${n.name} announces ${a.prefix}, outside ${LAB_ALLOWED.join(" and ")}`);
  for (const u of plan.upstreams ?? []) {
    for (const l of u.links) if (!allowed(l.prefix)) problems.push(`upstream ${u.name}: link ${l.prefix} is outside ${LAB_ALLOWED.join(" and ")}`);
    try {
      for (const a of upstreamExternalAddresses(plan, u)) if (!allowed(a.cidr)) problems.push(`upstream ${u.name}: ${a.cidr} (behind it in the lab) is outside ${LAB_ALLOWED.join(" and ")}`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (ssh && plan.devices.length > 253) problems.push(`${plan.devices.length} devices do not fit a /24 management network`);
  if (problems.length > 0) throw new LabError(`the lab cannot build plan ${plan.name}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** FRR drops to user `frr`: every ancestor of the run dir must be traversable by others. */
function checkTraversable(dir: string): void {
  let d = dir;
  for (;;) {
    const st = statSync(d);
    if ((st.mode & 0o001) === 0) throw new LabError(`${d} is not traversable by other users (mode ${(st.mode & 0o777).toString(8)}); FRR runs as user frr and must reach ${dir}: pick another run dir`);
    const parent = dirname(d);
    if (parent === d) return;
    d = parent;
  }
}

function randomPasswords(plan: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ref of [...plan.sessions.map((s) => s.passwordRef), ...(plan.upstreams ?? []).map((u) => u.passwordRef)])
    if (ref && !out[ref]) out[ref] = `lab-${randomBytes(12).toString("hex")}`;
  return out;
}

function deviceIndex(plan: Plan, name: string): number {
  return plan.devices.findIndex((d) => d.name === name);
}

function devNs(plan: Plan, names: LabNames, name: string): string {
  return names.namespaceOf(name, deviceIndex(plan, name));
}

const isV6 = (cidrOrAddr: string) => cidrOrAddr.includes(":");

/** Namespaces, links, bridges, addresses, routes, sysctls. */
function buildTopology(plan: Plan, state: LabState, names: LabNames, agents: Map<string, unknown>): void {
  const nsList = [state.hubNamespace, ...plan.devices.map((d, i) => names.namespaceOf(d.name, i))];
  // record first, then create
  state.namespaces.push(...nsList);
  saveState(state);
  ipBatch(undefined, nsList.map((ns) => `netns add ${ns}`));

  plan.devices.forEach((d, i) => {
    const ns = names.namespaceOf(d.name, i);
    const dir = join(state.runDir, d.name);
    state.devices[d.name] = { name: d.name, kind: d.kind, namespace: ns, dir, envFile: join(dir, "device.env") };
  });
  saveState(state);

  // sysctls: switches forward (ECMP hashing on L4 ports, skip nexthops whose link is down);
  // the hub only bridges (no IPv6 chatter of its own).
  const sysctls = (ns: string, kv: string[]) => nsRun(ns, "sysctl", ["-q", "-w", ...kv], { timeoutMs: 5000 });
  sysctls(state.hubNamespace, ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
  for (const d of plan.devices) {
    const ns = state.devices[d.name].namespace;
    const common = ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"];
    if (d.kind === "switch")
      sysctls(ns, [
        ...common,
        "net.ipv4.ip_forward=1",
        "net.ipv6.conf.all.forwarding=1",
        "net.ipv4.fib_multipath_hash_policy=1",
        "net.ipv4.conf.all.ignore_routes_with_linkdown=1",
        "net.ipv6.conf.all.ignore_routes_with_linkdown=1",
      ]);
    else sysctls(ns, [...common, "net.ipv4.ip_forward=0"]);
  }

  // links: p2p segments as a veth pair between the two devices; others as a bridge in the hub
  const rootLines: string[] = [];
  const hubLines: string[] = ["link set lo up"];
  plan.segments.forEach((s, k) => {
    if (s.kind === "p2p" && s.members.length === 2) {
      const [a, b] = s.members;
      rootLines.push(`link add ${a.interface} netns ${devNs(plan, names, a.device)} type veth peer name ${b.interface} netns ${devNs(plan, names, b.device)}`);
      return;
    }
    const br = names.segmentBridge(k);
    hubLines.push(`link add ${br} type bridge stp_state 0 mcast_snooping 0`, `link set ${br} up`);
    s.members.forEach((m, j) => {
      const port = names.segmentPort(k, j);
      rootLines.push(`link add ${m.interface} netns ${devNs(plan, names, m.device)} type veth peer name ${port} netns ${state.hubNamespace}`);
      hubLines.push(`link set ${port} master ${br}`, `link set ${port} up`);
    });
  });
  ipBatch(undefined, rootLines);
  ipBatch(state.hubNamespace, hubLines);
  createUpstreamLinks(plan, state, names);

  // addresses, interfaces up, node dummy interface and static routes
  for (const d of plan.devices) {
    const ns = state.devices[d.name].namespace;
    const lines: string[] = ["link set lo up"];
    for (const i of d.interfaces) if (i.name !== "lo" && !i.segment) addDummy(ns, i.name);
    if (d.kind === "node" && !agents.has(d.name)) {
      // the lab's stand-in for Cilium: cilium_host holds the node's router address (first host of
      // its PodCIDR) and, on l4lb nodes, the VIPs it announces, so the data plane can be probed
      addDummy(ns, NODE_ROUTE_IFACE);
      for (const a of nodeLocalAddresses(plan, d.name)) lines.push(`addr add ${a} dev ${NODE_ROUTE_IFACE}${isV6(a) ? " nodad" : ""}`);
    }
    for (const i of d.interfaces) {
      // an unnumbered link keeps only its planned link-local address (no EUI-64 one): RAs, BGP
      // next hops and the FIB then name exactly the plan's addresses
      if (i.segment && i.addresses.length > 0 && i.addresses.every((a) => prefixInside(a.cidr, LINK_LOCAL))) {
        lines.push(`link set ${i.name} addrgenmode none`);
        // FRR 8.4 without kernel nexthop groups sends IPv4 to an IPv6 next hop through a neighbor
        // entry whose link-layer address it derives from the link-local one (EUI-64 reversed): the
        // interface gets exactly that address, as an EUI-64 link-local address always matches it
        const mac = eui64Mac(i.addresses[0].address, true);
        if (mac) lines.push(`link set ${i.name} address ${mac}`);
      }
      for (const a of i.addresses) lines.push(`addr add ${a.cidr} dev ${i.name}${isV6(a.cidr) ? " nodad" : ""}`);
      if (i.name !== "lo") lines.push(`link set ${i.name} up`);
    }
    ipBatch(ns, lines);
    const routeLines = d.staticRoutes.map((r) =>
      r.nextHops.length === 1 ? `route replace ${r.prefix} via ${r.nextHops[0]}` : `route replace ${r.prefix} ${r.nextHops.map((h) => `nexthop via ${h}`).join(" ")}`,
    );
    ipBatch(ns, routeLines);
  }
}

let dummySupported: boolean | undefined;

/**
 * A standalone interface that stays up: a dummy when the kernel has the dummy driver, else a veth
 * pair whose peer is `<name>` with `_host` replaced by `_net` (or `<name>p`) — the way Cilium
 * itself builds cilium_host/cilium_net.
 */
function addDummy(ns: string, name: string): void {
  if (dummySupported !== false) {
    const r = run("ip", ["-n", ns, "link", "add", name, "type", "dummy"], { check: false, timeoutMs: 5000 });
    if (r.code === 0) {
      dummySupported = true;
      run("ip", ["-n", ns, "link", "set", name, "up"], { timeoutMs: 5000 });
      return;
    }
    if (!/Unknown device type|not supported/i.test(r.stderr)) throw new LabError(`ip -n ${ns} link add ${name} type dummy: ${r.stderr.trim()}`);
    dummySupported = false;
  }
  const peer = name.endsWith("_host") ? name.replace(/_host$/, "_net") : `${name.slice(0, 14)}p`;
  ipBatch(ns, [`link add ${name} type veth peer name ${peer}`, `link set ${peer} up`, `link set ${name} up`]);
}

/** Addresses the lab puts on a node's cilium_host: the router address of each PodCIDR, and its VIPs (host prefixes). */
export function nodeLocalAddresses(plan: Plan, node: string): string[] {
  const out: string[] = [];
  for (const a of plan.nodes.find((n) => n.name === node)?.announcements ?? []) {
    const host = a.family === "ipv4" ? 32 : 128;
    if (a.kind === "podCIDR") {
      const router = nthAddress(a.prefix, prefixLength(a.prefix) >= host - 1 ? 0 : 1);
      if (router) out.push(`${router}/${host}`);
    } else if (prefixLength(a.prefix) === host) out.push(a.prefix);
  }
  return out;
}

/** Management bridge in the root namespace, one veth per device (`mgmt0`), addresses. */
function setupManagement(plan: Plan, state: LabState, names: LabNames, tools: LabTools, ssh: NonNullable<LabUpOptions["ssh"]>): void {
  void tools;
  const claim = claimMgmtPrefix(plan, state, ssh.mgmtPrefix);
  const { prefix, hostAddress } = claim;
  state.mgmt = { prefix, hostAddress, bridge: names.mgmtBridge };
  const ports = plan.devices.map((_, i) => names.mgmtPort(i));
  state.rootLinks.push(names.mgmtBridge, ...ports);
  saveState(state);
  const len = prefix.split("/")[1];
  const root: string[] = [`link add ${names.mgmtBridge} type bridge stp_state 0`, `addr add ${hostAddress}/${len} dev ${names.mgmtBridge}`, `link set ${names.mgmtBridge} up`];
  plan.devices.forEach((d, i) => {
    root.push(`link add ${ports[i]} type veth peer name ${MGMT_IFACE} netns ${state.devices[d.name].namespace}`, `link set ${ports[i]} master ${names.mgmtBridge}`, `link set ${ports[i]} up`);
  });
  ipBatch(undefined, root);
  plan.devices.forEach((d, i) => {
    const addr = claim.addressOf(i);
    ipBatch(state.devices[d.name].namespace, [`addr add ${addr}/${len} dev ${MGMT_IFACE}`, `link set ${MGMT_IFACE} up`]);
    state.devices[d.name].ssh = { host: addr, port: 22, user: "root", hostPublicKey: "", knownHostsLine: "" };
  });
  saveState(state);
}

function q(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Shell-sourceable description of a device's paths (also what ssh sessions get in DCNET_DEVICE_ENV). */
function writeEnvFile(state: LabState, dev: LabDevice, tools: LabTools): void {
  const vars: [string, string][] = [
    ["DCNET_LAB_RUN_DIR", state.runDir],
    ["DCNET_LAB_PREFIX", state.prefix],
    ["DCNET_DEVICE", dev.name],
    ["DCNET_DEVICE_KIND", dev.kind],
    ["DCNET_NETNS", dev.namespace],
    ["DCNET_DEVICE_DIR", dev.dir],
  ];
  if (dev.bird)
    vars.push(
      ["DCNET_BIRD_CONF", dev.bird.conf],
      ["DCNET_BIRD_SOCKET", dev.bird.socket],
      ["DCNET_BIRD_SECRETS_DIR", dev.bird.secretsDir],
      ["DCNET_BIRDC", `${tools.birdc} -s ${dev.bird.socket}`],
    );
  if (dev.frr)
    vars.push(
      ["DCNET_FRR_CONF", dev.frr.conf],
      ["DCNET_FRR_VTY_SOCKET", dev.frr.vtySocketDir],
      ["DCNET_FRR_PATHSPACE", dev.frr.pathspace],
      ["DCNET_VTYSH", `${tools.vtysh} --vty_socket ${dev.frr.vtySocketDir} --config_dir ${dev.frr.vtySocketDir}`],
    );
  writeFileSync(dev.envFile, `# dcnet lab device ${dev.name}: source this file\n${vars.map(([k, v]) => `${k}=${q(v)}`).join("\n")}\n`, { mode: 0o644 });
}

/** BIRD config with no BGP session (baseline mode). */
export function baselineBirdConfig(d: PlanDevice): string {
  return [`# dcnet lab baseline for ${d.name}: no BGP sessions until the real config is applied`, `router id ${d.routerId.includes(":") ? "0.0.0.1" : d.routerId};`, "", "protocol device {", "}", ""].join("\n");
}

/** FRR config with no BGP session (baseline mode). */
export function baselineFrrConfig(d: PlanDevice): string {
  return ["frr defaults datacenter", `hostname ${d.name}`, "!", "end", ""].join("\n");
}

/** Write configs and start FRR (switches) and BIRD (nodes). */
async function startDaemons(plan: Plan, state: LabState, names: LabNames, tools: LabTools, speakers: Map<string, "bird" | "cilium">): Promise<void> {
  const planned = state.configs === "planned";
  const switches = plan.devices.filter((d) => d.kind === "switch");
  const nodes = plan.devices.filter((d) => d.kind === "node" && speakers.get(d.name) !== "cilium");
  const { uid, gid } = frrUser();

  // --- FRR: files
  for (const d of switches) {
    const dev = state.devices[d.name];
    makeDir(dev.dir, 0o750);
    chownSync(dev.dir, uid, gid);
    const pathspace = names.frrPathspace(deviceIndex(plan, d.name));
    dev.frr = {
      conf: join(dev.dir, "frr.conf"),
      vtySocketDir: dev.dir,
      pathspace,
      zservSocket: join(dev.dir, "zserv.api"),
      bfdctlSocket: join(dev.dir, "bfdd.sock"),
      logDir: dev.dir,
    };
    if (d.dialect && d.dialect !== "frr") throw new LabError(`switch ${d.name} uses dialect ${d.dialect}; the lab runs FRR only`);
    let text: string;
    if (planned) {
      const main = renderSwitchConfig(plan, d.name).text;
      const secrets = renderSwitchSecrets(plan, d.name, state.passwords);
      text = secrets ? `${main.replace(/\n*$/, "\n")}!\n${secrets.replace(/\n*$/, "\n")}` : main;
    } else text = baselineFrrConfig(d);
    writeFileSync(dev.frr.conf, text, { mode: 0o600 });
    writeFileSync(join(dev.dir, "vtysh.conf"), "service integrated-vtysh-config\n", { mode: 0o644 });
    const dry = run(tools.vtysh, ["--config_dir", dev.dir, "--dryrun", "-f", dev.frr.conf], { check: false, timeoutMs: 15000 });
    if (dry.code !== 0) throw new LabError(`FRR rejects the config of ${d.name} (vtysh --dryrun -f ${dev.frr.conf}):\n${(dry.stdout + dry.stderr).trim()}`);
    const runPs = `/var/run/frr/${pathspace}`;
    if (!existsSync(runPs)) {
      state.frrRunDirs.push(runPs);
      saveState(state);
    }
  }

  // --- BIRD: files
  for (const d of nodes) {
    const dev = state.devices[d.name];
    makeDir(dev.dir, 0o700);
    const secretsDir = join(dev.dir, "secrets");
    dev.bird = { conf: join(dev.dir, "bird.conf"), socket: join(dev.dir, "bird.ctl"), pidFile: join(dev.dir, "bird.pid"), secretsDir, log: join(dev.dir, "bird.log") };
    makeDir(secretsDir, 0o700);
    if (planned) {
      writeFileSync(dev.bird.conf, renderBirdConfig(plan, d.name, { secretsDir }), { mode: 0o600 });
      for (const f of renderBirdSecrets(plan, d.name, state.passwords)) writeFileSync(join(secretsDir, f.file), f.text, { mode: 0o600 });
    } else writeFileSync(dev.bird.conf, baselineBirdConfig(d), { mode: 0o600 });
    const parse = run(tools.bird, ["-p", "-c", dev.bird.conf], { check: false, timeoutMs: 10000 });
    if (parse.code !== 0) throw new LabError(`BIRD rejects the config of ${d.name} (bird -p -c ${dev.bird.conf}):\n${(parse.stdout + parse.stderr).trim()}`);
  }
  saveState(state);
  for (const d of plan.devices) {
    if (!existsSync(state.devices[d.name].dir)) makeDir(state.devices[d.name].dir, 0o700); // nodes without BIRD
    writeEnvFile(state, state.devices[d.name], tools);
  }

  // --- start: FRR first (switches are up before nodes boot, as in a data center), then BIRD
  await startFrr(state, switches.map((d) => state.devices[d.name]), tools);
  await startUpstreams(plan, state, tools);

  const birdWait: DaemonWait[] = [];
  for (const d of nodes) birdWait.push(startBird(state, state.devices[d.name], tools));
  await waitForFiles(birdWait, DAEMON_START_TIMEOUT_MS);
}

/** sshd per device, host key generated per run, listening on the management address only. */
async function startSshd(plan: Plan, state: LabState, tools: LabTools, authorizedKey: string): Promise<void> {
  if (!existsSync("/run/sshd")) makeDir("/run/sshd", 0o755); // OpenSSH's privilege separation directory
  const ssh = state.devices;
  const waits: { files: string[]; rec: LabProcess; log: string }[] = [];
  for (const d of plan.devices) {
    const dev = ssh[d.name];
    if (!dev.ssh) continue;
    const key = join(dev.dir, "ssh_host_ed25519_key");
    run(tools.sshKeygen!, ["-q", "-t", "ed25519", "-N", "", "-C", `dcnet-lab-${state.prefix}-${d.name}`, "-f", key]);
    const pub = readFileSync(`${key}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
    dev.ssh.hostPublicKey = pub;
    dev.ssh.knownHostsLine = `${dev.ssh.host} ${pub}`;
    writeFileSync(join(dev.dir, "authorized_keys"), authorizedKey.trim() + "\n", { mode: 0o600 });
    const pidFile = join(dev.dir, "sshd.pid");
    const conf = join(dev.dir, "sshd_config");
    writeFileSync(
      conf,
      [
        `# dcnet lab: management sshd of ${d.name} (namespace ${dev.namespace})`,
        `ListenAddress ${dev.ssh.host}:${dev.ssh.port}`,
        `HostKey ${key}`,
        `PidFile ${pidFile}`,
        `AuthorizedKeysFile ${join(dev.dir, "authorized_keys")}`,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        "UseDNS no",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        "MaxStartups 100:30:200",
        // dcnet's device commands carry their secrets payload in this variable (components/device-apply.ts)
        "AcceptEnv DCNET_SECRETS",
        `SetEnv DCNET_DEVICE_ENV=${dev.envFile} DCNET_DEVICE=${d.name}`,
        "Subsystem sftp internal-sftp",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const test = run(tools.sshd!, ["-t", "-f", conf], { check: false, timeoutMs: 10000 });
    if (test.code !== 0) throw new LabError(`sshd rejects ${conf}:\n${test.stderr.trim()}`);
    const rec: LabProcess = { device: d.name, daemon: "sshd", pidFile, cmd: `${tools.sshd} -D -e -f ${conf}` };
    spawnDaemon(state, rec, dev.namespace, tools.sshd!, ["-D", "-e", "-f", conf], join(dev.dir, "sshd.log"), d.name);
    waits.push({ files: [pidFile], rec, log: join(dev.dir, "sshd.log") });
  }
  saveState(state);
  await waitForFiles(waits, DAEMON_START_TIMEOUT_MS);
}

/** True when `address` falls into the lab's management network. */
export function isMgmtAddress(state: LabState, address: string): boolean {
  return !!state.mgmt && containsAddress(state.mgmt.prefix, address);
}
