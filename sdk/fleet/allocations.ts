/**
 * What a data center publishes for the others that share its address and ASN space, and the checks
 * across data centers, shared by `validateFleet` (a fleet file) and the `DataCenter` component (one
 * Pulumi stack per data center; the other stacks' `allocations` outputs through `StackReference`):
 *
 * - no overlap between data centers of PodCIDR pools, loopback and fabric-link pools (IPv6 ones too),
 *   VIP pools, rack node networks (sort-and-sweep, `sdk/net/overlaps.ts`);
 * - no ASN used by devices of two data centers;
 * - cluster names and ids unique across data centers that may be meshed;
 * - data center names unique.
 *
 * Pure: no Pulumi. `PublishedAllocations` is plain JSON with a fixed key order, the same for the
 * same plan.
 */
import { Plan } from "../plan/types";
import { overlappingPairs } from "../net/overlaps";
import { prefixProblem } from "../net/prefix";

/** Format version of `PublishedAllocations`. */
export const ALLOCATIONS_VERSION = 1;

/** One address range a data center uses. */
export interface PublishedPool {
  /** The prefix. */
  prefix: string;
  /** What it is, for messages (`PodCIDR pool`, `VIP pool public`, `rack r1 node network`). */
  what: string;
  /** Where it is in the data center's spec (`pools.podCidr.cidr`, `racks[0].nodeNetwork`). */
  path: string;
}

/** One ASN of a data center, with one device that uses it. */
export interface PublishedAsn {
  asn: number;
  device: string;
}

/** One cluster of a data center. */
export interface PublishedCluster {
  name: string;
  id: number;
}

/** Everything another data center must not collide with: a stack output (`DataCenter.allocations`). */
export interface PublishedAllocations {
  version: number;
  /** Data center (plan) name. */
  dataCenter: string;
  /** Address ranges, in spec order (pools, VIP pools, rack networks). */
  pools: PublishedPool[];
  /** ASNs of the data center's devices, ascending, each with one device that uses it. */
  asns: PublishedAsn[];
  /** Clusters (ClusterMesh needs names and ids unique across meshed data centers), in spec order. */
  clusters: PublishedCluster[];
}

/** One conflict between data centers. */
export interface AllocationProblem {
  /** Where in the first data center's spec (or `name`). */
  path: string;
  /** `fleet-overlap`, `fleet-asn`, `fleet-cluster-name`, `fleet-cluster-id`, `fleet-name`, `allocations-shape`. */
  rule: string;
  /** The offending value, as JSON. */
  value: string;
  /** The data centers involved (the earlier one first). */
  dataCenters: string[];
  /** One line for people. */
  message: string;
}

/** The allocations of a plan (`dataCenter`: the name to publish under, default the plan's). */
export function publishedAllocations(plan: Plan, opts: { dataCenter?: string } = {}): PublishedAllocations {
  const pools: PublishedPool[] = [];
  const add = (prefix: string | undefined, what: string, path: string) => {
    if (prefix !== undefined) pools.push({ prefix, what, path });
  };
  add(plan.pools.podCidr.prefix, "PodCIDR pool", "pools.podCidr.cidr");
  add(plan.pools.loopbacks.prefix, "loopback pool", "pools.loopbacks");
  add(plan.pools.fabricLinks?.prefix, "fabric-link pool", "pools.fabricLinks");
  add(plan.pools.podCidr6?.prefix, "IPv6 PodCIDR pool", "pools.podCidr6.cidr");
  add(plan.pools.loopbacks6?.prefix, "IPv6 loopback pool", "pools.loopbacks6");
  add(plan.pools.fabricLinks6?.prefix, "IPv6 fabric-link pool", "pools.fabricLinks6");
  plan.vipPools.forEach((v, i) => add(v.cidr, `VIP pool ${v.name}`, `pools.vips[${i}].cidr`));
  plan.segments
    .filter((s) => s.kind === "rack")
    .forEach((s, i) => {
      const rack = s.name.replace(/^rack-/, "");
      // an IPv6-only rack's segment holds its IPv6 network as its prefix (no IPv4 one)
      if (s.family === "ipv6" && s.prefix6 === undefined && plan.pools.podCidr6 !== undefined) add(s.prefix, `rack ${rack} IPv6 node network`, `racks[${i}].nodeNetwork6`);
      else add(s.prefix, `rack ${rack} node network`, `racks[${i}].nodeNetwork`);
      add(s.prefix6, `rack ${rack} IPv6 node network`, `racks[${i}].nodeNetwork6`);
    });
  const asns = new Map<number, string>();
  for (const d of plan.devices) if (!asns.has(d.asn)) asns.set(d.asn, d.name);
  return {
    version: ALLOCATIONS_VERSION,
    dataCenter: opts.dataCenter ?? plan.name,
    pools,
    asns: [...asns.entries()].sort((a, b) => a[0] - b[0]).map(([asn, device]) => ({ asn, device })),
    clusters: plan.clusters.map((c) => ({ name: c.name, id: c.id })),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Check the shape of allocations read from elsewhere (another stack's output): the problems, empty
 * when it is a `PublishedAllocations` of this version.
 */
export function allocationsShapeProblems(value: unknown, label: string): AllocationProblem[] {
  const bad = (path: string, v: unknown, why: string): AllocationProblem => ({ path: `${label}${path}`, rule: "allocations-shape", value: JSON.stringify(v) ?? "undefined", dataCenters: [], message: `${label}${path}: ${why}` });
  if (!isObj(value)) return [bad("", value, "expected the allocations a DataCenter publishes (its `allocations` output)")];
  const out: AllocationProblem[] = [];
  if (value.version !== ALLOCATIONS_VERSION) out.push(bad(".version", value.version, `expected version ${ALLOCATIONS_VERSION}`));
  if (typeof value.dataCenter !== "string" || !value.dataCenter) out.push(bad(".dataCenter", value.dataCenter, "expected a data center name"));
  if (!Array.isArray(value.pools)) out.push(bad(".pools", value.pools, "expected a list"));
  else
    value.pools.forEach((p, i) => {
      if (!isObj(p) || typeof p.prefix !== "string" || prefixProblem(p.prefix) || typeof p.what !== "string" || typeof p.path !== "string") out.push(bad(`.pools[${i}]`, p, "expected { prefix, what, path } with a valid prefix"));
    });
  if (!Array.isArray(value.asns)) out.push(bad(".asns", value.asns, "expected a list"));
  else value.asns.forEach((a, i) => (!isObj(a) || !Number.isInteger(a.asn) || typeof a.device !== "string" ? out.push(bad(`.asns[${i}]`, a, "expected { asn, device }")) : undefined));
  if (!Array.isArray(value.clusters)) out.push(bad(".clusters", value.clusters, "expected a list"));
  else value.clusters.forEach((c, i) => (!isObj(c) || typeof c.name !== "string" || !Number.isInteger(c.id) ? out.push(bad(`.clusters[${i}]`, c, "expected { name, id }")) : undefined));
  return out;
}

/** Options of `allocationConflicts`. */
export interface ConflictOptions {
  /** Data centers whose clusters may be meshed (names and ids checked among them); default all. */
  meshed?: string[];
}

/**
 * Every conflict between the data centers of `list` (each against the earlier ones), in a fixed
 * order: names, address overlaps, ASNs, clusters. Paths are those of the later data center's spec
 * for ASNs and clusters, of the earlier one's for overlaps (the other side is named in the message).
 */
export function allocationConflicts(list: PublishedAllocations[], opts: ConflictOptions = {}): AllocationProblem[] {
  const problems: AllocationProblem[] = [];
  const seen = new Set<string>();
  for (const a of list) {
    if (seen.has(a.dataCenter)) problems.push({ path: "name", rule: "fleet-name", value: JSON.stringify(a.dataCenter), dataCenters: [a.dataCenter], message: `data center name ${a.dataCenter} is used twice` });
    seen.add(a.dataCenter);
  }
  // address ranges
  const pools = list.flatMap((a) => a.pools.map((p) => ({ ...p, dc: a.dataCenter })));
  for (const [i, j] of overlappingPairs(pools.map((p) => p.prefix))) {
    const a = pools[i];
    const b = pools[j];
    if (a.dc === b.dc) continue;
    problems.push({ path: a.path, rule: "fleet-overlap", value: JSON.stringify(a.prefix), dataCenters: [a.dc, b.dc], message: `${a.dc} ${a.what} ${a.prefix} overlaps ${b.dc} ${b.what} ${b.prefix}` });
  }
  // ASNs: each used by one data center only
  const owner = new Map<number, { dc: string; device: string }>();
  for (const a of list)
    for (const { asn, device } of a.asns) {
      const o = owner.get(asn);
      if (!o) owner.set(asn, { dc: a.dataCenter, device });
      else if (o.dc !== a.dataCenter)
        problems.push({ path: `asn (${device})`, rule: "fleet-asn", value: String(asn), dataCenters: [o.dc, a.dataCenter], message: `AS ${asn} is used in ${o.dc} (${o.device}) and in ${a.dataCenter} (${device}): give each data center its own ASN range` });
    }
  // clusters of data centers that may be meshed
  const meshed = new Set(opts.meshed ?? list.map((a) => a.dataCenter));
  const names = new Map<string, string>();
  const ids = new Map<number, string>();
  for (const a of list.filter((x) => meshed.has(x.dataCenter)))
    a.clusters.forEach((c, k) => {
      const n = names.get(c.name);
      if (n) problems.push({ path: `clusters[${k}].name`, rule: "fleet-cluster-name", value: JSON.stringify(c.name), dataCenters: [n, a.dataCenter], message: `cluster name ${c.name} is used in ${n} and in ${a.dataCenter} (meshed clusters need unique names)` });
      else names.set(c.name, a.dataCenter);
      const i = ids.get(c.id);
      if (i) problems.push({ path: `clusters[${k}].id`, rule: "fleet-cluster-id", value: String(c.id), dataCenters: [i.split(" ")[0], a.dataCenter], message: `cluster id ${c.id} is used in ${i} and in ${a.dataCenter} (meshed clusters need unique ids 1–255)` });
      else ids.set(c.id, `${a.dataCenter} (${c.name})`);
    });
  return problems;
}
