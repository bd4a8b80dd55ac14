/**
 * Upstreams (the data center's way out) resolved into the plan: each link's eBGP session with
 * both ends, what the border switches accept (the default route and listed prefixes, exactly)
 * and what they announce (nothing unless asked; then aggregates, exactly).
 */
import { DataCenterSpec, UpstreamPodCidrs, UpstreamSpec } from "../spec/types";
import { Family, PlanCluster, PlanPrefixFilterEntry, PlanUpstream, PlanVipPool } from "../plan/types";
import { collapseIPv6Number, IPv4CidrRange, IPv6CidrRange } from "ip-num";
import { familyOf, prefixLength } from "../net/prefix";
import { ResolvedBgpOptions } from "./defaults";

/** Extra prefixes a border switch accepts from an upstream beyond the listed ones, by default. */
export const UPSTREAM_MAX_PREFIX_SLACK = 8;

/** Interface of a border switch toward upstream `name`. */
export function upstreamInterface(name: string): string {
  return `up-${name}`;
}

/** The default route of a family. */
export function defaultRoute(family: Family): string {
  return family === "ipv4" ? "0.0.0.0/0" : "::/0";
}

/** An exact filter entry for `prefix`. */
export function exactEntry(prefix: string): PlanPrefixFilterEntry {
  const len = prefixLength(prefix);
  return { family: familyOf(prefix) ?? "ipv4", prefix, ge: len, le: len };
}

/** Family of an upstream: the family of its first link (validation keeps its links in one family). */
export function upstreamFamily(u: UpstreamSpec): Family {
  return familyOf(u.links[0]?.peerAddress ?? "") ?? "ipv4";
}

/** Prefixes an upstream is accepted for, in order: the default route, then the listed prefixes. */
export function acceptedPrefixes(u: UpstreamSpec): string[] {
  const out: string[] = [];
  if (u.accept?.defaultRoute ?? true) out.push(defaultRoute(upstreamFamily(u)));
  for (const p of u.accept?.prefixes ?? []) if (!out.includes(p)) out.push(p);
  return out;
}

/** Prefixes announced to an upstream, in order: cluster PodCIDRs, VIP pools, node-network aggregates. */
export function announcedPrefixes(u: UpstreamSpec, clusters: PlanCluster[], vipPools: PlanVipPool[]): string[] {
  const family = upstreamFamily(u);
  const out: string[] = [];
  const add = (p: string) => {
    if ((familyOf(p) ?? "ipv4") === family && !out.includes(p)) out.push(p);
  };
  const mode = u.announce?.podCidrs ?? UpstreamPodCidrs.supernets;
  for (const name of u.announce?.clusters ?? []) {
    const c = clusters.find((x) => x.name === name);
    if (!c) continue;
    if (mode === UpstreamPodCidrs.nodes) c.podCIDRs.forEach((p) => add(p.prefix));
    else if (mode === UpstreamPodCidrs.covering) {
      if (c.coveringPrefix) add(c.coveringPrefix.prefix);
    } else c.supernets.forEach((p) => add(p.prefix));
  }
  for (const name of u.announce?.vipPools ?? []) {
    const v = vipPools.find((x) => x.name === name);
    if (v) add(v.cidr);
  }
  for (const p of u.announce?.nodeNetworks ?? []) add(p);
  return out;
}

/** Resolve every upstream of the spec (validated first). `switchAsn` gives a border switch's ASN. */
export function resolveUpstreams(
  spec: DataCenterSpec,
  bgp: ResolvedBgpOptions,
  clusters: PlanCluster[],
  vipPools: PlanVipPool[],
  switchAsn: (name: string) => number,
): PlanUpstream[] {
  return (spec.upstreams ?? []).map((u) => {
    const family = upstreamFamily(u);
    const accepted = acceptedPrefixes(u);
    return {
      name: u.name,
      asn: u.asn,
      ...(u.passwordRef ? { passwordRef: u.passwordRef } : {}),
      timers: { keepalive: bgp.keepalive, hold: bgp.hold },
      bfd: { enabled: u.bfd ?? false, intervalMs: bgp.bfd.intervalMs, multiplier: bgp.bfd.multiplier },
      gracefulRestart: { enabled: bgp.gracefulRestart, restartTime: bgp.restartTime },
      accept: accepted.map(exactEntry),
      maxPrefix: u.accept?.maxPrefix ?? accepted.length + UPSTREAM_MAX_PREFIX_SLACK,
      announce: announcedPrefixes(u, clusters, vipPools).map(exactEntry),
      links: u.links.map((l) => {
        const [address, len] = l.address.split("/");
        const prefix = networkOf(address, Number(len), family);
        return {
          id: `${l.switch}--${u.name}`,
          family,
          switch: l.switch,
          interface: upstreamInterface(u.name),
          prefix,
          address,
          asn: switchAsn(l.switch),
          peerAddress: l.peerAddress,
        };
      }),
    };
  });
}

/** The network of an interface address `address/len` (ip-num's first address of the range). */
export function networkOf(address: string, len: number, family: Family): string {
  if (family === "ipv4") return `${IPv4CidrRange.fromCidr(`${address}/${len}`).getFirst().toString()}/${len}`;
  return `${collapseIPv6Number(IPv6CidrRange.fromCidr(`${address}/${len}`).getFirst().toString())}/${len}`;
}
