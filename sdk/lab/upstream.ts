/**
 * The lab's upstream routers: for each upstream of the plan, FRR in a namespace of its own
 * (`<prefix>-@<name>`), a veth per link to its border switch, the default route (and the listed
 * prefixes) announced to the data center, and an address "behind" it for data-plane probes.
 *
 * The upstream stands for a provider's router, not for anything dcnet renders: its config is the
 * lab's own (no policy of its own: it sends what the plan says the data center accepts, and takes
 * whatever the data center sends, so checks can see exactly what dcnet announces).
 */
import { chownSync, existsSync, writeFileSync } from "fs";
import { join } from "path";
import { Plan, PlanUpstream } from "../plan/types";
import { nthAddress, prefixesOverlap, prefixLength } from "../net/prefix";
import { routerId32 } from "../render/router-id";
import { ipBatch, LabError, nsRun, run } from "./exec";
import { frrUser, startFrr } from "./daemons";
import { LabNames } from "./names";
import { planPrefixes, mgmtCandidates } from "./mgmt";
import { LabTools } from "./prereq";
import { LabDevice, LabState, makeDir, saveState } from "./state";

/** Interface of the upstream router holding the addresses behind it. */
export const UPSTREAM_EXT_IFACE = "ext0";

/** Namespace of an upstream router (`@` never appears in a device namespace). */
export function upstreamNamespace(prefix: string, name: string): string {
  return `${prefix}-@${name}`;
}

/** The upstream router's end of link `index` (inside its namespace). */
export function upstreamLinkIface(index: number): string {
  return `d${index}`;
}

const isDefault = (p: string) => p === "0.0.0.0/0" || p === "::/0";

/**
 * Addresses the lab puts behind an upstream (on `ext0`): the first host of each listed accepted
 * prefix (so the upstream can originate it), and, when the default route is accepted, one /32 (or
 * /128) outside everything the plan uses, standing for "the internet". The first one is the
 * probe target.
 */
export function upstreamExternalAddresses(plan: Plan, u: PlanUpstream): { address: string; cidr: string }[] {
  const out: { address: string; cidr: string }[] = [];
  const v6 = u.links[0]?.family === "ipv6";
  if (u.accept.some((e) => isDefault(e.prefix))) {
    const used = [...planPrefixes(plan), ...mgmtCandidates(), ...plan.upstreams.flatMap((x) => [...x.accept.map((e) => e.prefix).filter((p) => !isDefault(p)), ...x.links.map((l) => l.prefix)])];
    const candidates = v6 ? Array.from({ length: 64 }, (_, i) => `2001:db8:ffff:${(0xffff - i).toString(16)}::/64`) : Array.from({ length: 112 }, (_, i) => `198.18.${239 - i}.0/24`);
    const free = candidates.find((c) => !used.some((p) => p.includes(":") === v6 && prefixesOverlap(c, p)));
    if (!free) throw new LabError(`no free address outside the plan for the lab's address behind upstream ${u.name}`);
    const address = nthAddress(free, 1)!;
    out.push({ address, cidr: `${address}/${v6 ? 128 : 32}` });
  }
  for (const e of u.accept) {
    if (isDefault(e.prefix)) continue;
    const address = nthAddress(e.prefix, prefixLength(e.prefix) >= (v6 ? 127 : 31) ? 0 : 1)!;
    out.push({ address, cidr: `${address}/${prefixLength(e.prefix)}` });
  }
  return out;
}

/** The lab upstream's own FRR config: default-originate and the listed prefixes toward every border switch. */
export function renderUpstreamLabConfig(plan: Plan, u: PlanUpstream, passwords: Record<string, string>): string {
  const v6 = u.links[0]?.family === "ipv6";
  const af = v6 ? "ipv6" : "ipv4";
  const lines = [
    `! dcnet lab: upstream ${u.name} (AS ${u.asn}), a stand-in for the provider's router`,
    "frr defaults datacenter",
    `hostname ${u.name}`,
    "service integrated-vtysh-config",
    "!",
    `router bgp ${u.asn}`,
    ` bgp router-id ${routerId32(u.links[0].peerAddress)}`,
    " no bgp default ipv4-unicast",
    " no bgp ebgp-requires-policy",
    " bgp bestpath as-path multipath-relax",
  ];
  for (const l of u.links) {
    lines.push(` neighbor ${l.address} remote-as ${l.asn}`, ` neighbor ${l.address} description ${l.switch}`);
    if (u.passwordRef) {
      const pw = passwords[u.passwordRef];
      if (pw === undefined) throw new LabError(`no lab password for passwordRef ${u.passwordRef}`);
      lines.push(` neighbor ${l.address} password ${pw}`);
    }
    if (u.bfd.enabled) lines.push(` neighbor ${l.address} bfd`);
  }
  lines.push(` address-family ${af} unicast`, "  maximum-paths 16");
  for (const e of u.accept) if (!isDefault(e.prefix)) lines.push(`  network ${e.prefix}`);
  for (const l of u.links) {
    lines.push(`  neighbor ${l.address} activate`);
    if (u.accept.some((e) => isDefault(e.prefix))) lines.push(`  neighbor ${l.address} default-originate`);
  }
  lines.push(" exit-address-family", "exit", "!");
  return lines.join("\n") + "\n";
}

/** Create each upstream's namespace and the veth pairs to its border switches (before addresses go on). */
export function createUpstreamLinks(plan: Plan, state: LabState, names: LabNames): void {
  if (!plan.upstreams?.length) return;
  state.upstreams = state.upstreams ?? {};
  const nsList = plan.upstreams.map((u) => upstreamNamespace(names.prefix, u.name));
  state.namespaces.push(...nsList);
  saveState(state);
  ipBatch(undefined, nsList.map((ns) => `netns add ${ns}`));
  const rootLines: string[] = [];
  plan.upstreams.forEach((u, k) => {
    const ns = nsList[k];
    const dir = join(state.runDir, `upstream-${u.name}`);
    state.upstreams![u.name] = { name: u.name, kind: "switch", namespace: ns, dir, envFile: join(dir, "device.env") };
    u.links.forEach((l, j) => {
      const sw = state.devices[l.switch];
      if (!sw) throw new LabError(`upstream ${u.name}: border switch ${l.switch} is not in the lab`);
      rootLines.push(`link add ${l.interface} netns ${sw.namespace} type veth peer name ${upstreamLinkIface(j)} netns ${ns}`);
    });
  });
  saveState(state);
  ipBatch(undefined, rootLines);
  plan.upstreams.forEach((u, k) => {
    const ns = nsList[k];
    nsRun(ns, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"], { timeoutMs: 5000 });
    // a veth pair stands for the rest of the world (kernels without the dummy driver have veth)
    const lines = ["link set lo up", `link add ${UPSTREAM_EXT_IFACE} type veth peer name ${UPSTREAM_EXT_IFACE}p`, `link set ${UPSTREAM_EXT_IFACE}p up`, `link set ${UPSTREAM_EXT_IFACE} up`];
    u.links.forEach((l, j) => {
      const v6 = l.family === "ipv6";
      lines.push(`addr add ${l.peerAddress}/${prefixLength(l.prefix)} dev ${upstreamLinkIface(j)}${v6 ? " nodad" : ""}`, `link set ${upstreamLinkIface(j)} up`);
    });
    for (const a of upstreamExternalAddresses(plan, u)) lines.push(`addr add ${a.cidr} dev ${UPSTREAM_EXT_IFACE}${a.cidr.includes(":") ? " nodad" : ""}`);
    ipBatch(ns, lines);
  });
}

/** Write each upstream's FRR config and start its daemons (after the switches' FRR). */
export async function startUpstreams(plan: Plan, state: LabState, tools: LabTools): Promise<void> {
  if (!plan.upstreams?.length || !state.upstreams) return;
  const { uid, gid } = frrUser();
  const devs: LabDevice[] = [];
  plan.upstreams.forEach((u, k) => {
    const dev = state.upstreams![u.name];
    makeDir(dev.dir, 0o750);
    chownSync(dev.dir, uid, gid);
    const pathspace = `${state.prefix}u${k}`;
    dev.frr = { conf: join(dev.dir, "frr.conf"), vtySocketDir: dev.dir, pathspace, zservSocket: join(dev.dir, "zserv.api"), bfdctlSocket: join(dev.dir, "bfdd.sock"), logDir: dev.dir };
    writeFileSync(dev.frr.conf, renderUpstreamLabConfig(plan, u, state.passwords), { mode: 0o600 });
    chownSync(dev.frr.conf, uid, gid);
    writeFileSync(join(dev.dir, "vtysh.conf"), "service integrated-vtysh-config\n", { mode: 0o644 });
    writeFileSync(dev.envFile, `# dcnet lab upstream ${u.name}\nDCNET_NETNS='${dev.namespace}'\n`, { mode: 0o644 });
    const dry = run(tools.vtysh, ["--config_dir", dev.dir, "--dryrun", "-f", dev.frr.conf], { check: false, timeoutMs: 15000 });
    if (dry.code !== 0) throw new LabError(`FRR rejects the lab config of upstream ${u.name}:\n${(dry.stdout + dry.stderr).trim()}`);
    const runPs = `/var/run/frr/${pathspace}`;
    if (!existsSync(runPs)) state.frrRunDirs.push(runPs);
    devs.push(dev);
  });
  saveState(state);
  await startFrr(state, devs, tools, false);
}
