/**
 * Validation of `upstreams` (the way out): names, ASNs, border links, what is accepted and what is
 * announced. Runs after the pools are known to be valid (it compares against them).
 */
import { DataCenterSpec, Topology, UpstreamSpec } from "../spec/types";
import { Family } from "../plan/types";
import { addressProblem, containsAddress, familyOf, nthAddress, prefixesOverlap, prefixInside, prefixLength, prefixProblem } from "../net/prefix";
import { allocatedPodCidr, nodeAsn, switchAsn } from "../resolve/allocate";
import { acceptedPrefixes, networkOf, upstreamFamily } from "../resolve/upstreams";
import { asnProblem } from "./asn-rules";
import { listCapped, ProblemList, quote } from "./errors";

/** Upstream names: the switch interface `up-<name>` must fit Linux's 15 characters. */
const UPSTREAM_NAME = /^[a-z][a-z0-9-]{0,9}$/;
const SECRET_REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A prefix of the data center that nothing outside may claim, with the spec path it comes from. */
interface OwnPrefix {
  path: string;
  prefix: string;
  /** Node networks may be covered by node-network aggregates; nothing else may. */
  rackNetwork: boolean;
}

function ownPrefixes(dc: DataCenterSpec): OwnPrefix[] {
  const out: OwnPrefix[] = [
    { path: "pools.podCidr.cidr", prefix: dc.pools.podCidr.cidr, rackNetwork: false },
    { path: "pools.loopbacks", prefix: dc.pools.loopbacks, rackNetwork: false },
  ];
  if (dc.pools.fabricLinks !== undefined) out.push({ path: "pools.fabricLinks", prefix: dc.pools.fabricLinks, rackNetwork: false });
  (dc.pools.vips ?? []).forEach((v, i) => out.push({ path: `pools.vips[${i}].cidr`, prefix: v.cidr, rackNetwork: false }));
  dc.racks.forEach((r, i) => {
    if (r.nodeNetwork !== undefined) out.push({ path: `racks[${i}].nodeNetwork`, prefix: r.nodeNetwork, rackNetwork: true });
  });
  dc.switches.forEach((s, i) => {
    if (s.loopback && !addressProblem(s.loopback)) out.push({ path: `switches[${i}].loopback`, prefix: `${s.loopback}/${s.loopback.includes(":") ? 128 : 32}`, rackNetwork: false });
  });
  dc.racks.forEach((r, i) =>
    r.nodes.forEach((n, j) => {
      if (n.podCIDR && !prefixProblem(n.podCIDR)) out.push({ path: `racks[${i}].nodes[${j}].podCIDR`, prefix: n.podCIDR, rackNetwork: false });
    }),
  );
  return out.filter((p) => !prefixProblem(p.prefix));
}

const sameFamily = (a: string, b: string) => familyOf(a) === familyOf(b);
const isDefault = (p: string) => p === "0.0.0.0/0" || p === "::/0";

/** Every ASN the data center uses or reserves, with what uses it. */
function dataCenterAsns(dc: DataCenterSpec): Map<number, string> {
  const out = new Map<number, string>();
  const add = (asn: number | undefined, what: string) => {
    if (typeof asn === "number" && !out.has(asn)) out.set(asn, what);
  };
  add(dc.asn.fabric, "asn.fabric");
  add(dc.asn.spine, "asn.spine");
  for (const sw of dc.switches) add(switchAsn(dc, sw), `switch ${quote(sw.name)}`);
  for (const r of dc.racks) for (const n of r.nodes) add(nodeAsn(dc, r, n), `node ${quote(n.name)}`);
  return out;
}

function inRange(asn: number, range: { from: number; to: number } | undefined): boolean {
  return !!range && asn >= range.from && asn <= range.to;
}

/** Check `dc.upstreams`; problems go to `problems`. */
export function checkUpstreams(dc: DataCenterSpec, problems: ProblemList): void {
  const upstreams = dc.upstreams ?? [];
  if (upstreams.length === 0) return;
  const own = ownPrefixes(dc);
  const asns = dataCenterAsns(dc);
  const deviceNames = new Set([...dc.switches.map((s) => s.name), ...dc.racks.flatMap((r) => r.nodes.map((n) => n.name))]);
  const switchByName = new Map(dc.switches.map((s) => [s.name, s]));
  const names = new Map<string, number>();
  const links: { path: string; prefix: string }[] = [];
  const accepted = new Map<string, Set<string>>(); // border switch → accepted prefixes

  upstreams.forEach((u, i) => {
    const at = `upstreams[${i}]`;
    if (!UPSTREAM_NAME.test(u.name)) problems.add(`${at}.name`, "name-format", `upstream name ${quote(u.name)} must be 1–10 lower-case letters, digits or '-', starting with a letter (the switch interface is up-<name>)`);
    if (names.has(u.name)) problems.add(`${at}.name`, "duplicate", `upstream name ${quote(u.name)} is already used by upstreams[${names.get(u.name)}]`);
    else names.set(u.name, i);
    if (deviceNames.has(u.name)) problems.add(`${at}.name`, "duplicate", `upstream name ${quote(u.name)} is also a device name (next hops name both)`);

    const a = asnProblem(u.asn, true);
    if (a) problems.add(`${at}.asn`, a.rule, a.message);
    else {
      const user = asns.get(u.asn) ?? (inRange(u.asn, dc.asn.leaves) ? "asn.leaves" : inRange(u.asn, dc.asn.nodes) ? "asn.nodes" : undefined);
      if (user) problems.add(`${at}.asn`, "upstream-asn", `upstream ASN ${u.asn} is the data center's own (${user}); an upstream needs an ASN of its own for eBGP`);
    }
    if (u.passwordRef !== undefined && !SECRET_REF.test(u.passwordRef))
      problems.add(`${at}.passwordRef`, "secret-ref-format", `secret reference ${quote(u.passwordRef)} must be 1–63 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);

    // links
    if (u.links.length === 0) problems.add(`${at}.links`, "upstream-links", `upstream ${quote(u.name)} has no link to a border switch`);
    const family = upstreamFamily(u);
    const seenSwitches = new Map<string, number>();
    u.links.forEach((l, j) => {
      const lp = `${at}.links[${j}]`;
      if (!switchByName.has(l.switch)) problems.add(`${lp}.switch`, "unknown-reference", `unknown switch ${quote(l.switch)}`);
      if (seenSwitches.has(l.switch)) problems.add(`${lp}.switch`, "duplicate", `switch ${quote(l.switch)} already links to this upstream (${at}.links[${seenSwitches.get(l.switch)}])`);
      else seenSwitches.set(l.switch, j);
      const prefix = linkPrefixOf(l.address, problems, `${lp}.address`);
      const peer = addressProblem(l.peerAddress);
      if (peer) problems.add(`${lp}.peerAddress`, "address", `${quote(l.peerAddress)} ${peer}`);
      if (!prefix || peer) return;
      const local = l.address.split("/")[0];
      if (familyOf(l.peerAddress) !== family || familyOf(local) !== family)
        problems.add(`${lp}`, "family", `every link of upstream ${quote(u.name)} must be ${family} (the family of its first link)`);
      else if (!containsAddress(prefix, l.peerAddress)) problems.add(`${lp}.peerAddress`, "upstream-link", `peer address ${quote(l.peerAddress)} is outside the link ${prefix}`);
      else if (l.peerAddress === local) problems.add(`${lp}.peerAddress`, "upstream-link", `peer address ${quote(l.peerAddress)} is the switch's own address`);
      else if (isNetworkOrBroadcast(prefix, l.peerAddress)) problems.add(`${lp}.peerAddress`, "upstream-link", `peer address ${quote(l.peerAddress)} is the network or broadcast address of ${prefix}`);
      for (const o of own) if (sameFamily(o.prefix, prefix) && prefixesOverlap(o.prefix, prefix)) problems.add(`${lp}.address`, "overlap", `upstream link ${prefix} overlaps ${o.path} ${o.prefix} (the upstream's address would sit inside a dcnet pool)`);
      const earlier = links.find((x) => sameFamily(x.prefix, prefix) && prefixesOverlap(x.prefix, prefix));
      if (earlier) problems.add(`${lp}.address`, "overlap", `upstream link ${prefix} overlaps ${earlier.path} ${earlier.prefix}`);
      links.push({ path: `${lp}.address`, prefix });
    });

    // accept
    const acc = u.accept ?? {};
    const listed = acc.prefixes ?? [];
    listed.forEach((p, j) => {
      const pp = `${at}.accept.prefixes[${j}]`;
      const bad = prefixProblem(p);
      if (bad) return problems.add(pp, "prefix", `${quote(p)} ${bad}`);
      if (isDefault(p)) return problems.add(pp, "upstream-accept", `the default route is accepted with accept.defaultRoute, not listed`);
      if (familyOf(p) !== family) return problems.add(pp, "family", `${p} is not ${family}, the family of upstream ${quote(u.name)}'s sessions`);
      for (const o of own) if (sameFamily(o.prefix, p) && prefixesOverlap(o.prefix, p)) problems.add(pp, "upstream-accept-overlap", `${p} overlaps ${o.path} ${o.prefix}: an upstream may never send routes into the data center's own space`);
    });
    const all = acceptedPrefixes(u);
    if (all.length === 0) problems.add(`${at}.accept`, "upstream-accept-empty", `upstream ${quote(u.name)} accepts nothing (accept.defaultRoute is false and no prefixes are listed)`);
    if (acc.maxPrefix !== undefined && (!Number.isInteger(acc.maxPrefix) || acc.maxPrefix < Math.max(1, all.length) || acc.maxPrefix > 4294967295))
      problems.add(`${at}.accept.maxPrefix`, "upstream-max-prefix", `maxPrefix ${quote(acc.maxPrefix)} must be an integer from ${Math.max(1, all.length)} (the accepted prefixes) to 4294967295`);
    for (const l of u.links) {
      const set = accepted.get(l.switch) ?? new Set<string>();
      for (const p of all) set.add(p);
      accepted.set(l.switch, set);
    }

    checkAnnounce(dc, u, at, family, own, problems);
  });

  checkAsnGroups(dc, accepted, problems);
}

/** `address/len` of a link: a valid interface address with a point-to-point or small subnet length. */
function linkPrefixOf(text: string, problems: ProblemList, path: string): string | undefined {
  const [address, len, ...rest] = String(text).split("/");
  const bad = addressProblem(address ?? "");
  const family = familyOf(address ?? "");
  const n = Number(len);
  if (bad || !family || rest.length > 0 || len === undefined || !/^\d{1,3}$/.test(len)) {
    problems.add(path, "upstream-link", `${quote(text)} must be the switch's interface address with the link's length, e.g. 198.18.2.0/31`);
    return undefined;
  }
  const [min, max] = family === "ipv4" ? [24, 31] : [64, 127];
  if (n < min || n > max) {
    problems.add(path, "upstream-link", `${quote(text)}: a link to an upstream is a /${min}–/${max} (${family})`);
    return undefined;
  }
  const prefix = networkOf(address, n, family);
  if (isNetworkOrBroadcast(prefix, address)) {
    problems.add(path, "upstream-link", `${quote(text)} is the network or broadcast address of ${prefix}`);
    return undefined;
  }
  return prefix;
}

/** Network and broadcast addresses of IPv4 subnets larger than a /31 (IPv6: the subnet-router anycast address). */
function isNetworkOrBroadcast(prefix: string, address: string): boolean {
  const len = prefixLength(prefix);
  const v6 = prefix.includes(":");
  if ((!v6 && len >= 31) || (v6 && len >= 127)) return false;
  if (nthAddress(prefix, 0) === address) return true;
  if (v6) return false;
  return nthAddress(prefix, 2 ** (32 - len) - 1) === address;
}

function checkAnnounce(dc: DataCenterSpec, u: UpstreamSpec, at: string, family: Family, own: OwnPrefix[], problems: ProblemList): void {
  const ann = u.announce;
  if (!ann) return;
  const clusters = new Map((dc.clusters ?? []).map((c) => [c.name, c]));
  (ann.clusters ?? []).forEach((name, j) => {
    const c = clusters.get(name);
    if (!c) return problems.add(`${at}.announce.clusters[${j}]`, "unknown-reference", `unknown cluster ${quote(name)}`);
    // the cluster must have PodCIDRs of the upstream's family, or there is nothing to aggregate
    const members = new Set(c.nodes);
    const has = dc.racks.some((r) => r.nodes.some((n) => members.has(n.name) && familyOf(n.podCIDR ?? allocatedPodCidr(dc, r, n) ?? "") === family));
    if (!has) problems.add(`${at}.announce.clusters[${j}]`, "aggregate-coverage", `cluster ${quote(name)} has no ${family} PodCIDR: nothing to announce to upstream ${quote(u.name)}`);
  });
  const pools = new Map((dc.pools.vips ?? []).map((v) => [v.name, v]));
  (ann.vipPools ?? []).forEach((name, j) => {
    const v = pools.get(name);
    if (!v) problems.add(`${at}.announce.vipPools[${j}]`, "unknown-reference", `unknown VIP pool ${quote(name)}`);
    else if (familyOf(v.cidr) !== family) problems.add(`${at}.announce.vipPools[${j}]`, "family", `VIP pool ${quote(name)} (${v.cidr}) is not ${family}, the family of upstream ${quote(u.name)}'s sessions`);
  });
  const aggregates: string[] = [];
  // an IPv6-only rack has no IPv4 network (the IPv4 projection keeps it without one)
  const netRacks = dc.racks.flatMap((r) => (r.nodeNetwork !== undefined ? [{ name: r.name, nodeNetwork: r.nodeNetwork }] : []));
  (ann.nodeNetworks ?? []).forEach((p, j) => {
    const pp = `${at}.announce.nodeNetworks[${j}]`;
    const bad = prefixProblem(p);
    if (bad) return problems.add(pp, "prefix", `${quote(p)} ${bad}`);
    if (familyOf(p) !== family) return problems.add(pp, "family", `${p} is not ${family}, the family of upstream ${quote(u.name)}'s sessions`);
    if (isDefault(p)) return problems.add(pp, "aggregate-overlap", `the default route is not an aggregate of the node networks`);
    const racks = netRacks.filter((r) => sameFamily(r.nodeNetwork, p) && prefixInside(r.nodeNetwork, p));
    const partial = netRacks.filter((r) => sameFamily(r.nodeNetwork, p) && prefixesOverlap(r.nodeNetwork, p) && !prefixInside(r.nodeNetwork, p));
    if (racks.length === 0 && partial.length === 0) problems.add(pp, "aggregate-coverage", `aggregate ${p} covers no rack network`);
    const others = own.filter((o) => !o.rackNetwork && sameFamily(o.prefix, p) && prefixesOverlap(o.prefix, p));
    if (others.length > 0) problems.add(pp, "aggregate-overlap", `aggregate ${p} of the node networks also covers ${listCapped(others.map((o) => `${o.path} ${o.prefix}`), 5)}`);
    if (partial.length > 0) problems.add(pp, "aggregate-coverage", `aggregate ${p} covers only part of ${listCapped(partial.map((r) => `rack ${quote(r.name)} ${r.nodeNetwork}`), 5)}`);
    aggregates.push(p);
  });
  if (aggregates.length > 0) {
    const uncovered = netRacks.filter((r) => familyOf(r.nodeNetwork) === family && !aggregates.some((a) => prefixInside(r.nodeNetwork, a)));
    if (uncovered.length > 0)
      problems.add(`${at}.announce.nodeNetworks`, "aggregate-coverage", `the node-network aggregates leave out ${listCapped(uncovered.map((r) => `rack ${quote(r.name)} ${r.nodeNetwork}`), 5)}`);
  }
}

/**
 * spine–leaf: switches sharing an ASN (all spines, the leaves of a pair) drop each other's routes
 * (their own ASN is in the path), so a border switch's ASN-mates can learn the upstream routes only
 * from upstreams of their own: each must be a border switch accepting the same prefixes.
 */
function checkAsnGroups(dc: DataCenterSpec, accepted: Map<string, Set<string>>, problems: ProblemList): void {
  if (dc.topology !== Topology.spineLeaf) return;
  const byAsn = new Map<number, string[]>();
  for (const sw of dc.switches) {
    const asn = switchAsn(dc, sw);
    if (asn === undefined) continue;
    byAsn.set(asn, [...(byAsn.get(asn) ?? []), sw.name]);
  }
  const key = (s: Set<string> | undefined) => [...(s ?? [])].sort().join(" ");
  const reported = new Set<number>();
  dc.switches.forEach((sw, i) => {
    const mine = accepted.get(sw.name);
    if (!mine) return;
    const asn = switchAsn(dc, sw);
    if (asn === undefined || reported.has(asn)) return;
    const mates = (byAsn.get(asn) ?? []).filter((m) => m !== sw.name && key(accepted.get(m)) !== key(mine));
    if (mates.length > 0) {
      reported.add(asn);
      problems.add(
        `switches[${i}]`,
        "upstream-asn-group",
        `border switch ${quote(sw.name)} shares ASN ${asn} with ${listCapped(mates.map((m) => quote(m)), 5)}, which drop its routes (their own ASN is in the path): give each an upstream link accepting the same prefixes`,
      );
    }
  });
}
