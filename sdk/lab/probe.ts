/**
 * Read the live state of lab devices: FRR through vtysh (JSON), BIRD through birdc, the kernel
 * FIB through `ip -j route`. Every call is bounded in time; failures come back as values
 * (`error`) so a report can show them instead of stopping.
 */
import { IPv6 } from "ip-num";
import { Family } from "../plan/types";
import { neighborKey } from "../plan/sessions";
import { findExecutable, nsRun, RunResult } from "./exec";
import { LabDevice } from "./state";

const PROBE_TIMEOUT_MS = 10000;

function tool(name: string): string {
  return findExecutable([name]) ?? name;
}

/**
 * Where a device's read-only commands run: the lab's is `ip netns exec <namespace>`, `dcnet
 * verify`'s is ssh (sdk/verify). Never throws for a failed command: the exit code says.
 */
export interface DeviceExec {
  run(cmd: string, args: string[], timeoutMs: number): RunResult;
}

/** Commands in a network namespace of this machine (`ip netns exec`). */
export function nsExec(namespace: string): DeviceExec {
  return { run: (cmd, args, timeoutMs) => nsRun(namespace, cmd, args, { check: false, timeoutMs }) };
}

/**
 * A device the probes (and `checkFabric`) read: a name, a command runner, and how to call the
 * daemons' clients on it (`vtysh` / `birdc` with their leading arguments; absent: no such daemon).
 */
export interface ProbeTarget {
  name: string;
  exec: DeviceExec;
  /** `vtysh` and its leading arguments (`--vty_socket DIR`, `-N PATHSPACE`, ...). */
  vtysh?: string[];
  /** `birdc` and its leading arguments (`-s SOCKET`). */
  birdc?: string[];
}

/** A lab device or any probe target. */
export type ProbeDevice = LabDevice | ProbeTarget;

const labTargets = new WeakMap<LabDevice, ProbeTarget>();

/** The probe target of a lab device (namespace runner, the run dir's sockets). */
export function labTarget(dev: LabDevice): ProbeTarget {
  let t = labTargets.get(dev);
  if (!t) {
    t = {
      name: dev.name,
      exec: nsExec(dev.namespace),
      ...(dev.frr ? { vtysh: [tool("vtysh"), "--vty_socket", dev.frr.vtySocketDir, "--config_dir", dev.frr.vtySocketDir] } : {}),
      ...(dev.bird ? { birdc: [tool("birdc"), "-s", dev.bird.socket] } : {}),
    };
    labTargets.set(dev, t);
  }
  return t;
}

/** A probe target for a lab device or a target. */
export function targetOf(dev: ProbeDevice): ProbeTarget {
  return "exec" in dev ? dev : labTarget(dev);
}

/** Run a vtysh command on a switch. */
export function vtysh(dev: ProbeDevice, command: string | string[], timeoutMs = PROBE_TIMEOUT_MS): RunResult {
  const t = targetOf(dev);
  if (!t.vtysh) throw new Error(`${t.name} runs no FRR`);
  const cmds = Array.isArray(command) ? command : [command];
  return t.exec.run(t.vtysh[0], [...t.vtysh.slice(1), ...cmds.flatMap((c) => ["-c", c])], timeoutMs);
}

/** Run a vtysh command that prints JSON; undefined plus an error text when it fails. */
export function vtyshJson<T>(dev: ProbeDevice, command: string): { value?: T; error?: string } {
  const r = vtysh(dev, command);
  if (r.code !== 0) return { error: `vtysh -c '${command}' on ${dev.name}: exit ${r.code}: ${(r.stderr || r.stdout).trim()}` };
  try {
    return { value: JSON.parse(r.stdout) as T };
  } catch {
    return { error: `vtysh -c '${command}' on ${dev.name}: not JSON: ${r.stdout.slice(0, 200)}` };
  }
}

/** Run a birdc command on a node. */
export function birdc(dev: ProbeDevice, command: string, timeoutMs = PROBE_TIMEOUT_MS): RunResult {
  const t = targetOf(dev);
  if (!t.birdc) throw new Error(`${t.name} runs no BIRD`);
  return t.exec.run(t.birdc[0], [...t.birdc.slice(1), command], timeoutMs);
}

/** State of one BGP neighbor as FRR reports it. */
export interface FrrPeer {
  address: string;
  state: string;
  /** Prefixes received (accepted after policy). */
  pfxRcd: number;
  pfxSnt: number;
  remoteAs?: number;
}

/** `show bgp summary json`: neighbors by address (every address family merged). */
export function frrPeers(dev: ProbeDevice): { peers: Map<string, FrrPeer>; error?: string } {
  const r = vtyshJson<Record<string, { peers?: Record<string, Record<string, unknown>> }>>(dev, "show bgp summary json");
  const peers = new Map<string, FrrPeer>();
  if (!r.value) return { peers, error: r.error };
  for (const af of Object.values(r.value)) {
    if (!af || typeof af !== "object" || !af.peers) continue;
    for (const [key, p] of Object.entries(af.peers)) {
      const address = key.replace(/^\*/, "");
      const prev = peers.get(address);
      peers.set(address, {
        address,
        state: String(p.state ?? "unknown"),
        pfxRcd: (prev?.pfxRcd ?? 0) + Number(p.pfxRcd ?? 0),
        pfxSnt: (prev?.pfxSnt ?? 0) + Number(p.pfxSnt ?? 0),
        ...(typeof p.remoteAs === "number" ? { remoteAs: p.remoteAs } : {}),
      });
    }
  }
  return { peers };
}

/** One path of a prefix in FRR's BGP table. */
export interface FrrPath {
  nextHops: string[];
  /** Installed: best or multipath. */
  selected: boolean;
  valid: boolean;
  /** Neighbor the path came from (undefined when locally originated). */
  peer?: string;
  /** Kept as stale by graceful restart (the neighbor has not re-sent it yet). */
  stale: boolean;
  asPath: string;
}

/** `show bgp <afi> unicast json`: prefix → paths. */
export function frrBgpTable(dev: ProbeDevice, family: Family): { routes: Map<string, FrrPath[]>; linkLocal: Map<string, string>; error?: string } {
  const afi = family === "ipv4" ? "ipv4" : "ipv6";
  const r = vtyshJson<{ routes?: Record<string, Record<string, unknown>[]> }>(dev, `show bgp ${afi} unicast json`);
  const routes = new Map<string, FrrPath[]>();
  // a path's link-local next hop → its global one (an IPv6 next hop carries both; the kernel is given the link-local)
  const linkLocal = new Map<string, string>();
  if (!r.value) return { routes, linkLocal, error: r.error };
  for (const [prefix, paths] of Object.entries(r.value.routes ?? {})) {
    const list: FrrPath[] = [];
    for (const p of Array.isArray(paths) ? paths : []) {
      const nhs = Array.isArray(p.nexthops) ? (p.nexthops as { ip?: string; scope?: string }[]) : [];
      const global = nhs.find((n) => n.scope !== "link-local" && n.ip && !n.ip.startsWith("fe80:") && n.ip !== "::" && n.ip.includes(":"));
      for (const n of nhs) if (global && n.scope === "link-local" && n.ip) linkLocal.set(n.ip, global.ip!);
      const peerId = typeof p.peerId === "string" ? p.peerId : undefined;
      const local = !peerId || peerId === "(unspec)" || peerId === "0.0.0.0" || peerId === "::";
      const best = !!p.bestpath && typeof p.bestpath === "object" ? !!(p.bestpath as { overall?: boolean }).overall : !!p.bestpath;
      list.push({
        nextHops: [...new Set(nhs.filter((n) => n.scope !== "link-local" && n.ip && n.ip !== "0.0.0.0" && n.ip !== "::").map((n) => n.ip!))],
        selected: !!p.valid && (best || !!p.multipath),
        valid: !!p.valid,
        stale: !!p.stale,
        ...(local ? {} : { peer: peerId }),
        asPath: typeof p.path === "string" ? p.path : typeof (p.aspath as { string?: string })?.string === "string" ? (p.aspath as { string: string }).string : "",
      });
    }
    routes.set(normalizePrefix(prefix, family), list);
  }
  return { routes, linkLocal };
}

/** `show bgp <afi> unicast neighbors X advertised-routes json`: advertised prefixes. */
export function frrAdvertised(dev: ProbeDevice, family: Family, neighbor: string): { prefixes: string[]; error?: string } {
  const afi = family === "ipv4" ? "ipv4" : "ipv6";
  const r = vtyshJson<{ advertisedRoutes?: Record<string, unknown> }>(dev, `show bgp ${afi} unicast neighbors ${neighbor} advertised-routes json`);
  if (!r.value) return { prefixes: [], error: r.error };
  return { prefixes: Object.keys(r.value.advertisedRoutes ?? {}).map((p) => normalizePrefix(p)) };
}

/** A kernel route with its gateways. */
export interface KernelRoute {
  prefix: string;
  nextHops: string[];
  protocol: string;
}

/** `ip -j route show [proto P]` in the device's namespace (main table). */
export function kernelRoutes(dev: ProbeDevice, family: Family, proto?: string): { routes: Map<string, KernelRoute>; error?: string } {
  const r = targetOf(dev).exec.run("ip", ["-j", family === "ipv4" ? "-4" : "-6", "route", "show", ...(proto ? ["proto", proto] : [])], PROBE_TIMEOUT_MS);
  const routes = new Map<string, KernelRoute>();
  if (r.code !== 0) return { routes, error: `ip route on ${dev.name}: ${r.stderr.trim()}` };
  let list: Record<string, unknown>[] = [];
  try {
    list = JSON.parse(r.stdout || "[]");
  } catch {
    return { routes, error: `ip -j route on ${dev.name}: not JSON` };
  }
  // IPv6: zebra installs the peer's link-local next hop; the plan names its global address (the
  // BGP next hop). Same neighbor = same link-layer address on the same interface.
  // IPv4 over an IPv6 next hop without kernel nexthop groups: zebra installs `via 169.254.0.1
  // onlink` and a permanent neighbor entry with the peer's link-layer address (FRR's RFC 5549
  // path); that address names the peer's link-local one
  let globalOf: ((gateway: string, ifname: unknown) => string) | undefined;
  if (list.some((e) => { const t = JSON.stringify(e); return t.includes('"fe80:') || t.includes(`"${RFC5549_GATEWAY}"`); })) globalOf = linkLocalResolver(dev);
  for (const e of list) {
    const dst = String(e.dst ?? "");
    const prefix = dst === "default" ? (family === "ipv4" ? "0.0.0.0/0" : "::/0") : normalizePrefix(dst, family);
    const nh: string[] = [];
    const gw = (g: string, ifname: unknown) => (globalOf && (g.startsWith("fe80:") || g === RFC5549_GATEWAY) ? globalOf(g, ifname) : g);
    // an IPv4 route with an IPv6 next hop (RFC 8950) names it as `via: { family: inet6, host }`
    const hop = (n: { gateway?: unknown; via?: { host?: unknown } }) => (typeof n.gateway === "string" ? n.gateway : typeof n.via?.host === "string" ? n.via.host : undefined);
    const first = hop(e as { gateway?: unknown; via?: { host?: unknown } });
    if (first) nh.push(gw(first, e.dev));
    for (const n of (Array.isArray(e.nexthops) ? e.nexthops : []) as { gateway?: string; via?: { host?: string }; dev?: string }[]) {
      const h = hop(n);
      if (h) nh.push(gw(h, n.dev));
    }
    routes.set(prefix, { prefix, nextHops: [...new Set(nh)], protocol: String(e.protocol ?? "") });
  }
  return { routes };
}

/** The link-layer address inside an EUI-64 link-local address (`fe80::8c2b:e5ff:febf:ee9e` → `8e:2b:e5:bf:ee:9e`), if it is one (`anyForm`: whatever its form). */
export function eui64Mac(address: string, anyForm = false): string | undefined {
  let v: bigint;
  try {
    v = IPv6.fromString(address).getValue();
  } catch {
    return undefined;
  }
  const b = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * (7 - i))) & 0xffn));
  // `anyForm`: the bytes as zebra reads them from any interface id (`fe80::5` → `02:00:00:00:00:05`)
  if (!anyForm && (b[3] !== 0xff || b[4] !== 0xfe)) return undefined;
  return [b[0] ^ 0x02, b[1], b[2], b[5], b[6], b[7]].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** The IPv4 gateway FRR's zebra installs for an IPv4 route over an IPv6 next hop (without nexthop groups). */
export const RFC5549_GATEWAY = "169.254.0.1";

/**
 * Maps a link-local IPv6 next hop on an interface to the neighbor's global address (`ip -6
 * neigh`), or leaves it; zebra's `169.254.0.1` on an interface maps to the link-local address of
 * the neighbor with the link-layer address of its permanent entry (then to a global one, if any).
 */
function linkLocalResolver(dev: ProbeDevice): (gateway: string, ifname: unknown) => string {
  const neighbors = (family: "-4" | "-6") => {
    const r = targetOf(dev).exec.run("ip", ["-j", family, "neigh", "show"], PROBE_TIMEOUT_MS);
    try {
      return (r.code === 0 ? JSON.parse(r.stdout || "[]") : []) as { dst?: string; dev?: string; lladdr?: string }[];
    } catch {
      return [];
    }
  };
  const mac = new Map<string, string>();
  const global = new Map<string, string>();
  const linkLocal = new Map<string, string>();
  for (const n of neighbors("-6")) {
    if (!n.dst || !n.lladdr) continue;
    const key = `${n.dev} ${n.dst}`;
    if (n.dst.startsWith("fe80:")) {
      mac.set(key, n.lladdr);
      if (!linkLocal.has(`${n.dev} ${n.lladdr}`)) linkLocal.set(`${n.dev} ${n.lladdr}`, n.dst);
    } else if (!global.has(`${n.dev} ${n.lladdr}`)) global.set(`${n.dev} ${n.lladdr}`, n.dst);
  }
  let v4: Map<string, string> | undefined;
  return (gateway, ifname) => {
    if (gateway === RFC5549_GATEWAY) {
      v4 ??= new Map(neighbors("-4").flatMap((n) => (n.dst === RFC5549_GATEWAY && n.lladdr ? [[`${n.dev}`, n.lladdr] as [string, string]] : [])));
      const ll = v4.get(`${ifname}`);
      if (!ll) return gateway;
      return global.get(`${ifname} ${ll}`) ?? linkLocal.get(`${ifname} ${ll}`) ?? gateway;
    }
    const ll = mac.get(`${ifname} ${gateway}`) ?? eui64Mac(gateway);
    return (ll && global.get(`${ifname} ${ll}`)) ?? gateway;
  };
}

/** A BGP protocol of BIRD, from `show protocols all`. */
export interface BirdProtocol {
  name: string;
  proto: string;
  /** `up`, `start`, `down`, ... */
  state: string;
  /** Info column: `Established`, `Active`, `Connect`, ... */
  info: string;
  /** Routes imported (by channel, summed). */
  imported: number;
  exported: number;
  /** Import updates received (before filters). */
  importReceived: number;
  /** `Neighbor address:` and `Neighbor AS:` of a BGP protocol. */
  neighborAddress?: string;
  neighborAs?: number;
}

/** Parse `birdc show protocols all`. */
export function parseBirdProtocols(text: string): Map<string, BirdProtocol> {
  const out = new Map<string, BirdProtocol>();
  let cur: BirdProtocol | undefined;
  for (const line of text.split("\n")) {
    const head = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+(?:\s+\S+)?)\s*(.*)$/.exec(line);
    if (head && !line.startsWith(" ") && !/^BIRD |^Name\s/.test(line)) {
      // columns: Name Proto Table State Since Info (Since may hold a date and a time)
      const [, name, proto, , state, since, rest] = head;
      let info = rest.trim();
      const parts = since.split(/\s+/);
      if (parts.length === 2 && !/^\d/.test(parts[1])) info = `${parts[1]} ${info}`.trim();
      cur = { name, proto, state, info, imported: 0, exported: 0, importReceived: 0 };
      out.set(name, cur);
      continue;
    }
    if (!cur) continue;
    const routes = /^\s+Routes:\s+(\d+) imported,(?:\s+(\d+) filtered,)?\s+(\d+) exported/.exec(line);
    if (routes) {
      cur.imported += Number(routes[1]);
      cur.exported += Number(routes[3]);
    }
    const upd = /^\s+Import updates:\s+(\d+)/.exec(line);
    if (upd) cur.importReceived += Number(upd[1]);
    const na = /^\s+Neighbor address:\s+(\S+)/.exec(line);
    if (na) cur.neighborAddress = na[1].replace(/%.*$/, "");
    const nas = /^\s+Neighbor AS:\s+(\d+)/.exec(line);
    if (nas) cur.neighborAs = Number(nas[1]);
  }
  return out;
}

/** `birdc show protocols all` on a node. */
export function birdProtocols(dev: ProbeDevice): { protocols: Map<string, BirdProtocol>; error?: string } {
  const r = birdc(dev, "show protocols all");
  if (r.code !== 0 || /Unable to connect|No such file/.test(r.stdout + r.stderr))
    return { protocols: new Map(), error: `birdc on ${dev.name}: ${(r.stderr || r.stdout).trim()}` };
  return { protocols: parseBirdProtocols(r.stdout) };
}

/** `198.18.200.1` → `198.18.200.1/32`; prefixes pass unchanged. */
export function normalizePrefix(p: string, family?: Family): string {
  if (p.includes("/")) return p;
  const fam = family ?? (p.includes(":") ? "ipv6" : "ipv4");
  return `${p}/${fam === "ipv4" ? 32 : 128}`;
}

/** Per planned session: state on each end. */
export interface SessionProbe {
  id: string;
  kind: string;
  a: { device: string; state: string };
  b: { device: string; state: string };
  established: boolean;
}

/** States of every planned session, both ends (one query per device). */
export function probeSessions(
  plan: { sessions: { id: string; kind: string; a: { device: string; address: string; interface: string }; b: { device: string; address: string; interface: string }; nodeProtocol?: string; unnumbered?: boolean }[] },
  state: { devices: Record<string, ProbeDevice | undefined> },
): SessionProbe[] {
  const frr = new Map<string, Map<string, FrrPeer> | undefined>();
  const bird = new Map<string, Map<string, BirdProtocol> | undefined>();
  const endState = (device: string, peerAddress: string, protocol: string | undefined): string => {
    const d = state.devices[device];
    if (!d) return "no such device";
    const dev = targetOf(d);
    if (dev.vtysh) {
      if (!frr.has(device)) {
        const f = frrPeers(dev);
        frr.set(device, f.error ? undefined : f.peers);
      }
      const peers = frr.get(device);
      if (!peers) return "vtysh failed";
      return peers.get(peerAddress)?.state ?? "not configured";
    }
    if (dev.birdc) {
      if (!bird.has(device)) {
        const b = birdProtocols(dev);
        bird.set(device, b.error ? undefined : b.protocols);
      }
      const protos = bird.get(device);
      if (!protos) return "birdc failed";
      const p = protocol ? protos.get(protocol) : undefined;
      if (!p) return "not configured";
      return p.state === "up" ? p.info || "up" : `${p.state}${p.info ? ` (${p.info})` : ""}`;
    }
    return "no daemon";
  };
  return plan.sessions.map((s) => {
    // FRR names an unnumbered neighbor by its own interface
    const a = endState(s.a.device, neighborKey(s, s.a, s.b), s.nodeProtocol);
    const b = endState(s.b.device, neighborKey(s, s.b, s.a), undefined);
    return { id: s.id, kind: s.kind, a: { device: s.a.device, state: a }, b: { device: s.b.device, state: b }, established: /^Established/.test(a) && /^Established/.test(b) };
  });
}
