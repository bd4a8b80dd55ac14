/**
 * Read the live state of lab devices: FRR through vtysh (JSON), BIRD through birdc, the kernel
 * FIB through `ip -j route`. Every call is bounded in time; failures come back as values
 * (`error`) so a report can show them instead of stopping.
 */
import { Family } from "../plan/types";
import { findExecutable, nsRun, RunResult } from "./exec";
import { LabDevice, LabState } from "./state";

const PROBE_TIMEOUT_MS = 10000;

function tool(name: string): string {
  return findExecutable([name]) ?? name;
}

/** Run a vtysh command on a switch of the lab. */
export function vtysh(dev: LabDevice, command: string | string[], timeoutMs = PROBE_TIMEOUT_MS): RunResult {
  if (!dev.frr) throw new Error(`${dev.name} runs no FRR`);
  const cmds = Array.isArray(command) ? command : [command];
  return nsRun(dev.namespace, tool("vtysh"), ["--vty_socket", dev.frr.vtySocketDir, "--config_dir", dev.frr.vtySocketDir, ...cmds.flatMap((c) => ["-c", c])], {
    check: false,
    timeoutMs,
  });
}

/** Run a vtysh command that prints JSON; undefined plus an error text when it fails. */
export function vtyshJson<T>(dev: LabDevice, command: string): { value?: T; error?: string } {
  const r = vtysh(dev, command);
  if (r.code !== 0) return { error: `vtysh -c '${command}' on ${dev.name}: exit ${r.code}: ${(r.stderr || r.stdout).trim()}` };
  try {
    return { value: JSON.parse(r.stdout) as T };
  } catch {
    return { error: `vtysh -c '${command}' on ${dev.name}: not JSON: ${r.stdout.slice(0, 200)}` };
  }
}

/** Run a birdc command on a node of the lab. */
export function birdc(dev: LabDevice, command: string, timeoutMs = PROBE_TIMEOUT_MS): RunResult {
  if (!dev.bird) throw new Error(`${dev.name} runs no BIRD`);
  // birdc only talks to the control socket: no need to enter the namespace
  return nsRun(dev.namespace, tool("birdc"), ["-s", dev.bird.socket, command], { check: false, timeoutMs });
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
export function frrPeers(dev: LabDevice): { peers: Map<string, FrrPeer>; error?: string } {
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
export function frrBgpTable(dev: LabDevice, family: Family): { routes: Map<string, FrrPath[]>; error?: string } {
  const afi = family === "ipv4" ? "ipv4" : "ipv6";
  const r = vtyshJson<{ routes?: Record<string, Record<string, unknown>[]> }>(dev, `show bgp ${afi} unicast json`);
  const routes = new Map<string, FrrPath[]>();
  if (!r.value) return { routes, error: r.error };
  for (const [prefix, paths] of Object.entries(r.value.routes ?? {})) {
    const list: FrrPath[] = [];
    for (const p of Array.isArray(paths) ? paths : []) {
      const nhs = Array.isArray(p.nexthops) ? (p.nexthops as { ip?: string; scope?: string }[]) : [];
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
  return { routes };
}

/** `show bgp <afi> unicast neighbors X advertised-routes json`: advertised prefixes. */
export function frrAdvertised(dev: LabDevice, family: Family, neighbor: string): { prefixes: string[]; error?: string } {
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
export function kernelRoutes(dev: LabDevice, family: Family, proto?: string): { routes: Map<string, KernelRoute>; error?: string } {
  const r = nsRun(dev.namespace, "ip", ["-j", family === "ipv4" ? "-4" : "-6", "route", "show", ...(proto ? ["proto", proto] : [])], {
    check: false,
    timeoutMs: PROBE_TIMEOUT_MS,
  });
  const routes = new Map<string, KernelRoute>();
  if (r.code !== 0) return { routes, error: `ip route on ${dev.name}: ${r.stderr.trim()}` };
  let list: Record<string, unknown>[] = [];
  try {
    list = JSON.parse(r.stdout || "[]");
  } catch {
    return { routes, error: `ip -j route on ${dev.name}: not JSON` };
  }
  for (const e of list) {
    const dst = String(e.dst ?? "");
    const prefix = dst === "default" ? (family === "ipv4" ? "0.0.0.0/0" : "::/0") : normalizePrefix(dst, family);
    const nh: string[] = [];
    if (typeof e.gateway === "string") nh.push(e.gateway);
    for (const n of (Array.isArray(e.nexthops) ? e.nexthops : []) as { gateway?: string }[]) if (n.gateway) nh.push(n.gateway);
    routes.set(prefix, { prefix, nextHops: [...new Set(nh)], protocol: String(e.protocol ?? "") });
  }
  return { routes };
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
  }
  return out;
}

/** `birdc show protocols all` on a node. */
export function birdProtocols(dev: LabDevice): { protocols: Map<string, BirdProtocol>; error?: string } {
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
  plan: { sessions: { id: string; kind: string; a: { device: string; address: string }; b: { device: string; address: string }; nodeProtocol?: string }[] },
  state: LabState,
): SessionProbe[] {
  const frr = new Map<string, Map<string, FrrPeer> | undefined>();
  const bird = new Map<string, Map<string, BirdProtocol> | undefined>();
  const endState = (device: string, peerAddress: string, protocol: string | undefined): string => {
    const dev = state.devices[device];
    if (!dev) return "no such device";
    if (dev.frr) {
      if (!frr.has(device)) {
        const f = frrPeers(dev);
        frr.set(device, f.error ? undefined : f.peers);
      }
      const peers = frr.get(device);
      if (!peers) return "vtysh failed";
      return peers.get(peerAddress)?.state ?? "not configured";
    }
    if (dev.bird) {
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
    const a = endState(s.a.device, s.b.address, s.nodeProtocol);
    const b = endState(s.b.device, s.a.address, undefined);
    return { id: s.id, kind: s.kind, a: { device: s.a.device, state: a }, b: { device: s.b.device, state: b }, established: /^Established/.test(a) && /^Established/.test(b) };
  });
}
