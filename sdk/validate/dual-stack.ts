/**
 * Dual-stack validation. The rules of a single-family data center run on both projections
 * (`sdk/resolve/dual-stack.ts`), their paths and messages mapped back to the spec's fields (an
 * IPv6 PodCIDR overlapping an IPv6 rack network is reported at `pools.podCidr6.cidr`, the same
 * problem found by both runs once); before that the IPv6 fields themselves are checked:
 *
 * - `dual-stack-incomplete`: every IPv6 pool, every rack's `nodeNetwork6` and every node's
 *   `address6` is set (the data center is dual-stack as a whole);
 * - `ipv6-family`: the IPv6 fields hold IPv6 prefixes and addresses;
 * - `ipv6-link-local`: no link-local (fe80::/10) address or prefix where a global one is needed;
 * - `ipv6-reserved`: nothing inside IPv6 space that cannot be routed (::/8 — unspecified,
 *   loopback, IPv4-mapped, NAT64 —, 100::/64 discard, 2001::/23 IETF protocols, fec0::/10,
 *   ff00::/8 multicast);
 * - VIP pool names unique across both families (`duplicate`).
 */
import { DataCenterSpec } from "../spec/types";
import { addressProblem, familyOf, prefixesOverlap, prefixInside, prefixProblem } from "../net/prefix";
import { ipv4Projection, ipv6Projection, Projection } from "../resolve/dual-stack";
import { ProblemList, SpecProblem, quote } from "./errors";

/** Reserved IPv6 ranges (besides link-local, which has its own rule). */
export const IPV6_RESERVED: { prefix: string; what: string }[] = [
  { prefix: "::/8", what: "reserved (unspecified, loopback, IPv4-mapped, NAT64)" },
  { prefix: "100::/64", what: "the discard prefix" },
  { prefix: "2001::/23", what: "IETF protocol assignments" },
  { prefix: "fec0::/10", what: "deprecated site-local" },
  { prefix: "ff00::/8", what: "multicast" },
];
const LINK_LOCAL = "fe80::/10";

/** Rules of one single-family data center (the whole semantic validation). */
export type SemanticRules = (dc: DataCenterSpec) => SpecProblem[];

/** Validate a dual-stack spec (its shape is already checked). */
export function validateDualStack(dc: DataCenterSpec, semantic: SemanticRules): SpecProblem[] {
  const problems = new ProblemList();
  const v6Ok = checkIpv6Fields(dc, problems);
  const names = new Map<string, number>();
  (dc.pools.vips ?? []).forEach((v, i) => {
    const prev = names.get(v.name);
    if (prev !== undefined && familyOf(v.cidr) !== familyOf(dc.pools.vips![prev].cidr))
      problems.add(`pools.vips[${i}].name`, "duplicate", `VIP pool name ${quote(v.name)} is already used by pools.vips[${prev}].name`);
    else if (prev === undefined) names.set(v.name, i);
  });
  const out = [...problems.items];
  const seen = new Set<string>();
  const add = (p: SpecProblem) => {
    const key = `${p.path}\u0000${p.rule}\u0000${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(p);
  };
  const v4 = ipv4Projection(dc);
  for (const p of semantic(v4.spec)) add(mapProblem(p, v4, false));
  if (v6Ok) {
    const v6 = ipv6Projection(dc);
    // the router ids stay the IPv4 ones: the IPv6 addresses' low bits are not router ids
    for (const p of semantic(v6.spec)) if (p.rule !== "router-id-zero" && !/gives router id/.test(p.message)) add(mapProblem(p, v6, true));
  }
  return out;
}

/** The IPv6 fields: set, IPv6, global. False when the IPv6 projection cannot be validated. */
function checkIpv6Fields(dc: DataCenterSpec, problems: ProblemList): boolean {
  let ok = true;
  const missing = (path: string, what: string) => {
    problems.add(path, "dual-stack-incomplete", `a dual-stack data center needs ${what}`);
    ok = false;
  };
  const p = dc.pools;
  if (p.podCidr6 === undefined) missing("pools.podCidr6", "an IPv6 PodCIDR pool (pools.podCidr6)");
  if (p.loopbacks6 === undefined) missing("pools.loopbacks6", "an IPv6 loopback pool (pools.loopbacks6)");
  // an unnumbered fabric has no link pool in either family: the IPv6 projection's run of
  // `unnumbered-fabric-links` (sdk/validate/fabric.ts) refuses a pools.fabricLinks6 there
  if (dc.fabric?.unnumbered !== true && p.fabricLinks6 === undefined) missing("pools.fabricLinks6", "an IPv6 fabric link pool (pools.fabricLinks6)");
  const prefixes: { path: string; value: string }[] = [];
  const addresses: { path: string; value: string }[] = [];
  if (p.podCidr6) prefixes.push({ path: "pools.podCidr6.cidr", value: p.podCidr6.cidr });
  if (p.loopbacks6 !== undefined) prefixes.push({ path: "pools.loopbacks6", value: p.loopbacks6 });
  if (p.fabricLinks6 !== undefined) prefixes.push({ path: "pools.fabricLinks6", value: p.fabricLinks6 });
  dc.switches.forEach((s, i) => {
    if (s.loopback6 !== undefined) addresses.push({ path: `switches[${i}].loopback6`, value: s.loopback6 });
  });
  dc.racks.forEach((r, ri) => {
    if (r.nodeNetwork6 === undefined) missing(`racks[${ri}].nodeNetwork6`, `an IPv6 node network for rack ${quote(r.name)} (racks[${ri}].nodeNetwork6)`);
    else prefixes.push({ path: `racks[${ri}].nodeNetwork6`, value: r.nodeNetwork6 });
    r.nodes.forEach((n, ni) => {
      const path = `racks[${ri}].nodes[${ni}]`;
      if (n.address6 === undefined) missing(`${path}.address6`, `an IPv6 address for node ${quote(n.name)} (${path}.address6)`);
      else addresses.push({ path: `${path}.address6`, value: n.address6 });
      if (n.podCIDR6 !== undefined) prefixes.push({ path: `${path}.podCIDR6`, value: n.podCIDR6 });
    });
  });
  const checkRange = (path: string, value: string, overlaps: (range: string) => boolean, what: string) => {
    if (overlaps(LINK_LOCAL)) {
      problems.add(path, "ipv6-link-local", `${quote(value)} is link-local (fe80::/10); ${what} needs a global address`);
      return false;
    }
    const hit = IPV6_RESERVED.find((r) => overlaps(r.prefix));
    if (hit) {
      problems.add(path, "ipv6-reserved", `${quote(value)} lies in ${hit.prefix}, ${hit.what}`);
      return false;
    }
    return true;
  };
  for (const x of prefixes) {
    if (prefixProblem(x.value)) {
      problems.add(x.path, "prefix-invalid", `${quote(x.value)} ${prefixProblem(x.value)}`);
      ok = false;
    } else if (familyOf(x.value) !== "ipv6") {
      problems.add(x.path, "ipv6-family", `${quote(x.value)} is not an IPv6 prefix`);
      ok = false;
    } else if (!checkRange(x.path, x.value, (r) => prefixesOverlap(x.value, r), "this pool")) ok = false;
  }
  for (const x of addresses) {
    if (addressProblem(x.value)) {
      problems.add(x.path, "address-invalid", `${quote(x.value)} ${addressProblem(x.value)}`);
      ok = false;
    } else if (familyOf(x.value) !== "ipv6") {
      problems.add(x.path, "ipv6-family", `${quote(x.value)} is not an IPv6 address`);
      ok = false;
    } else if (!checkRange(x.path, x.value, (r) => prefixInside(`${x.value}/128`, r), "a BGP session")) ok = false;
  }
  // IPv6 VIP pools and upstream links: global addresses too
  (p.vips ?? []).forEach((v, i) => {
    if (!prefixProblem(v.cidr) && familyOf(v.cidr) === "ipv6") checkRange(`pools.vips[${i}].cidr`, v.cidr, (r) => prefixesOverlap(v.cidr, r), "a VIP pool");
  });
  (dc.upstreams ?? []).forEach((u, i) =>
    u.links.forEach((l, k) => {
      const addr = l.peerAddress;
      if (!addressProblem(addr) && familyOf(addr) === "ipv6") checkRange(`upstreams[${i}].links[${k}].peerAddress`, addr, (r) => prefixInside(`${addr}/128`, r), "an upstream session");
    }),
  );
  return ok;
}

/** Paths and messages of a projection's problem in the spec's terms. */
function mapProblem(p: SpecProblem, proj: Projection, v6: boolean): SpecProblem {
  const map = (text: string) => {
    let t = text.replace(/pools\.vips\[(\d+)\]/g, (_m, k: string) => `pools.vips[${proj.vipIndex[Number(k)] ?? k}]`);
    t = t.replace(/upstreams\[(\d+)\]/g, (_m, k: string) => `upstreams[${proj.upstreamIndex[Number(k)] ?? k}]`);
    if (v6)
      t = t
        .replace(/pools\.(podCidr|loopbacks|fabricLinks)(?![\w])/g, "pools.$16")
        .replace(/(racks\[\d+\])\.nodeNetwork(?![\w])/g, "$1.nodeNetwork6")
        .replace(/(nodes\[\d+\])\.(address|podCIDR)(?![\w])/g, "$1.$26")
        .replace(/(switches\[\d+\])\.loopback(?![\w])/g, "$1.loopback6");
    return t;
  };
  return { path: map(p.path), rule: p.rule, message: map(p.message) };
}
