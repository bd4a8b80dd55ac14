/**
 * Hosts outside Cilium in the lab (a VM or a bare-metal host the cluster's policies name as an
 * external endpoint, a CiliumCIDRGroup): a network namespace `<prefix>-x-<name>` (recorded in the
 * lab state BEFORE `ip netns add`, so `labDown` removes it), its `eth0` a port of a rack network's
 * bridge in the hub namespace (the veth's hub end goes with the namespace), an address of that rack
 * network and the rack nodes' default route (the rack's switches). It reaches pods over the fabric's
 * PodCIDR routes like any host of the data center; no Cilium runs there.
 */
import { Plan } from "../../plan/types";
import { containsAddress } from "../../net/prefix";
import { LabError, run, RunResult } from "../exec";
import { LabNames } from "../names";
import { LabState, saveState } from "../state";
import { clusterTools } from "../../tools/cluster-tools";

/** One host outside Cilium. */
export interface LabExternalHost {
  name: string;
  netns: string;
  address: string;
  /** The rack network it sits on. */
  segment: string;
  /** Its port on the segment's bridge (hub namespace). */
  hubPort: string;
}

function hosts(state: LabState): Record<string, LabExternalHost> {
  if (!state.cluster) throw new LabError("this lab runs no cluster side");
  const cs = state.cluster as typeof state.cluster & { externalHosts?: Record<string, LabExternalHost> };
  cs.externalHosts ??= {};
  return cs.externalHosts;
}

/** Create a host outside Cilium on `rack`'s network with `address` (inside the rack network, unused). */
export function createExternalHost(state: LabState, plan: Plan, opts: { name: string; rack: string; address: string }): LabExternalHost {
  if (!/^[a-z0-9]{1,8}$/.test(opts.name)) throw new LabError(`external host name ${JSON.stringify(opts.name)}: 1-8 lower-case letters/digits`);
  const all = hosts(state);
  if (all[opts.name]) throw new LabError(`external host ${opts.name} exists already`);
  const k = plan.segments.findIndex((s) => s.kind === "rack" && s.name === `rack-${opts.rack}`);
  if (k < 0) throw new LabError(`rack ${opts.rack} has no rack network in the plan`);
  const seg = plan.segments[k];
  const nodes = plan.devices.filter((d) => d.kind === "node" && seg.members.some((m) => m.device === d.name));
  const nodeIf = nodes.flatMap((d) => d.interfaces.filter((i) => i.segment === seg.name))[0];
  const cidr = nodeIf?.addresses.find((a) => a.family === "ipv4")?.cidr;
  if (!cidr) throw new LabError(`rack ${opts.rack}: no IPv4 rack network`);
  const length = cidr.split("/")[1];
  const network = `${opts.address}/${length}`;
  if (!containsAddress(cidr, opts.address)) throw new LabError(`${opts.address} is outside rack ${opts.rack}'s network ${cidr}`);
  const taken = plan.devices.flatMap((d) => d.interfaces.flatMap((i) => i.addresses.map((a) => a.address)));
  if (taken.includes(opts.address)) throw new LabError(`${opts.address} is a planned address`);
  const gateways = [...new Set(nodes.flatMap((d) => d.staticRoutes.filter((r) => r.prefix === "0.0.0.0/0").flatMap((r) => r.nextHops)))];
  if (gateways.length === 0) throw new LabError(`rack ${opts.rack}: its nodes have no planned default route`);
  const names = new LabNames(state.prefix);
  const host: LabExternalHost = { name: opts.name, netns: `${state.prefix}-x-${opts.name}`, address: opts.address, segment: seg.name, hubPort: `x${k}${opts.name}`.slice(0, 15) };
  all[opts.name] = host;
  if (!state.namespaces.includes(host.netns)) state.namespaces.push(host.netns);
  saveState(state);
  run("ip", ["netns", "add", host.netns]);
  run("ip", ["link", "add", "eth0", "netns", host.netns, "type", "veth", "peer", "name", host.hubPort, "netns", state.hubNamespace]);
  run("ip", ["-n", state.hubNamespace, "link", "set", host.hubPort, "master", names.segmentBridge(k)]);
  run("ip", ["-n", state.hubNamespace, "link", "set", host.hubPort, "up"]);
  run("ip", ["-n", host.netns, "link", "set", "lo", "up"]);
  run("ip", ["-n", host.netns, "link", "set", "eth0", "up"]);
  run("ip", ["-n", host.netns, "addr", "add", network, "dev", "eth0"]);
  run("ip", ["-n", host.netns, "route", "add", "default", ...gateways.flatMap((g) => ["nexthop", "via", g])]);
  return host;
}

/** Run a command in an external host's namespace. */
export function externalExec(host: LabExternalHost, argv: string[], opts: { timeoutMs?: number; input?: string } = {}): RunResult {
  return run("ip", ["netns", "exec", host.netns, ...argv], { check: false, timeoutMs: opts.timeoutMs ?? 15000, input: opts.input });
}

/** One TCP connection attempt from an external host; the first line read back, or undefined. */
export function externalConnect(host: LabExternalHost, address: string, port: number, timeoutS = 2, socat = clusterTools().socat ?? "socat"): string | undefined {
  const r = externalExec(host, [socat, `-T${timeoutS}`, "-", `TCP:${address}:${port},connect-timeout=${timeoutS}`], { timeoutMs: (timeoutS + 3) * 1000, input: "" });
  return r.code === 0 && r.stdout.trim() !== "" ? r.stdout.trim().split("\n")[0] : undefined;
}

/** Remove an external host (its namespace; the veth goes with it). */
export function deleteExternalHost(state: LabState, name: string): string[] {
  const all = hosts(state);
  const h = all[name];
  if (!h) return [];
  const r = run("ip", ["netns", "del", h.netns], { check: false });
  state.namespaces = state.namespaces.filter((n) => n !== h.netns);
  delete all[name];
  saveState(state);
  return r.code === 0 || /No such file/.test(r.stderr) ? [] : [`ip netns del ${h.netns}: ${r.stderr.trim()}`];
}
