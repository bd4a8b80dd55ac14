/**
 * Spec validation: the JSON Schema check (shape), then every semantic rule. All problems are
 * collected and returned together; nothing is rendered from an invalid spec.
 */
import Ajv from "ajv";
import { DataCenterSpec, NodeAsnScheme, NodeRole, RackSpec, SwitchRole } from "../spec/types";
import {
  addressProblem,
  canonicalAddress,
  containsAddress,
  familyOf,
  offsetIn,
  prefixInside,
  prefixLength,
  prefixProblem,
  sizeOf,
  subnetCapacity,
} from "../net/prefix";
import {
  allocatedPodCidr,
  leafAsn,
  linkPrefix,
  nodeAsn,
  nodeScheme,
  perRack,
  rackPeerAddress,
  rackPeersIndex,
  switchLoopback,
} from "../resolve/allocate";
import { earlierOverlaps } from "../net/overlaps";
import { routerId32 } from "../render/router-id";
import { withDefaults } from "../resolve/defaults";
import { reportAsnProblem } from "./asn-rules";
import { checkUpstreams } from "./upstreams";
import { validateDualStack } from "./dual-stack";
import { checkFabric } from "./fabric";
import { checkNodeSessions } from "./node-sessions";
import { checkRackFamilies } from "./ipv6-only-racks";
import { isDualStack } from "../resolve/dual-stack";
import { ProblemList, SpecProblem, listCapped, quote } from "./errors";
import schema from "../../schema/datacenter.schema.json";

const ajv = new Ajv({ allErrors: true, strict: false });
const schemaValidator = ajv.compile(schema);

/** Validate the spec's shape against the generated JSON Schema. */
export function validateShape(spec: unknown): SpecProblem[] {
  if (schemaValidator(spec)) return [];
  return (schemaValidator.errors ?? []).map((e) => {
    const path = e.instancePath
      .split("/")
      .slice(1)
      .map((raw) => {
        const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~"); // JSON Pointer escapes
        return /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$-]*$/.test(seg) ? `.${seg}` : `[${quote(seg)}]`;
      })
      .join("")
      .replace(/^\./, "");
    const extra =
      e.keyword === "additionalProperties"
        ? ` (${quote((e.params as { additionalProperty: string }).additionalProperty)})`
        : e.keyword === "enum"
          ? ` (${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(", ")})`
          : "";
    return { path: path || "(root)", rule: `schema-${e.keyword}`, message: `${e.message}${extra}` };
  });
}

/** Validate a spec: shape first, then (if the shape is right) every semantic rule. */
export function validate(spec: unknown): SpecProblem[] {
  const shape = validateShape(spec);
  if (shape.length > 0) return shape;
  const dc = spec as DataCenterSpec;
  const sessions = new ProblemList();
  checkNodeSessions(dc, isDualStack(dc), sessions);
  // which families each rack and node has (IPv6-only racks); the rules below need them settled
  if (checkRackFamilies(dc, sessions)) return sessions.items;
  // dual-stack: the rules below on the IPv4 and the IPv6 projection, plus the IPv6 fields' own
  return [...sessions.items, ...(isDualStack(dc) ? validateDualStack(dc, semanticRules) : semanticRules(dc))];
}

/** Every semantic rule of a single-family data center (its shape is right). */
function semanticRules(dc: DataCenterSpec): SpecProblem[] {
  const problems = new ProblemList();
  // every node with its rack and position, once for the rules reading them
  const nodes = allNodes(dc);
  checkNamesAndIds(dc, nodes, problems);
  checkNameFormats(dc, problems);
  const poolsOk = checkPools(dc, problems);
  checkAsns(dc, nodes, problems);
  checkSwitches(dc, problems);
  if (poolsOk) {
    checkRacksAndNodes(dc, problems);
    checkVips(dc, nodes, problems);
    checkUpstreams(dc, problems);
  }
  checkClusters(dc, problems);
  checkBgpOptions(dc, problems);
  return problems.items;
}

/** BGP options are written into BIRD and FRR configs as they are: whole numbers in protocol ranges. */
function checkBgpOptions(dc: DataCenterSpec, problems: ProblemList): void {
  const bgp = dc.bgp;
  if (!bgp) return;
  const check = (path: string, value: number | undefined, min: number, max: number, what: string) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max))
      problems.add(path, "bgp-option", `${what} ${value} must be an integer in ${min}–${max}`);
  };
  // BIRD's ranges (bird -p): keepalive 1–65535, hold 3–65535 (RFC 4271 also allows 0, but BIRD
  // then refuses every keepalive), keepalive at most the hold time
  check("bgp.keepalive", bgp.keepalive, 1, 65535, "keepalive");
  check("bgp.hold", bgp.hold, 3, 65535, "hold time");
  check("bgp.connectRetry", bgp.connectRetry, 1, 65535, "connect retry"); // FRR `timers connect` 1–65535
  const { keepalive, hold } = withDefaults(bgp);
  if (Number.isInteger(keepalive) && Number.isInteger(hold) && keepalive > hold)
    problems.add(bgp.keepalive !== undefined ? "bgp.keepalive" : "bgp.hold", "bgp-option", `keepalive ${keepalive} must be at most the hold time ${hold}`);
  check("bgp.restartTime", bgp.restartTime, 0, 4095, "graceful restart time"); // 12 bits in the capability
  check("bgp.maxPrefixSlack", bgp.maxPrefixSlack, 0, 4294967295, "maxPrefixSlack");
  // FRR bfdd ranges (receive/transmit-interval 10–60000 ms, detect-multiplier 2–255)
  check("bgp.bfd.intervalMs", bgp.bfd?.intervalMs, 10, 60_000, "BFD interval (ms)");
  check("bgp.bfd.multiplier", bgp.bfd?.multiplier, 2, 255, "BFD multiplier");
}

/**
 * One overlap problem per prefix that overlaps an earlier one, naming the first of them (and how
 * many more overlap it): linear in the number of prefixes, however many of them are identical.
 */
function reportOverlaps<T extends { path: string; prefix: string }>(items: T[], problems: ProblemList, message: (earlier: T, item: T) => string): void {
  for (const o of earlierOverlaps(items.map((x) => x.prefix))) {
    const more = o.others > 0 ? ` (and ${o.others.toLocaleString("en-US")} more)` : "";
    problems.add(items[o.index].path, "overlap", message(items[o.first], items[o.index]) + more);
  }
}

function duplicates<T>(items: T[], key: (t: T) => string | number | undefined, path: (i: number) => string, what: string, problems: ProblemList): void {
  const seen = new Map<string | number, number>();
  // loops, not closures made per call: V8 keeps a closure's optimized code only while one lives
  for (let i = 0; i < items.length; i++) {
    const k = key(items[i]);
    if (k === undefined) continue;
    const prev = seen.get(k);
    if (prev !== undefined) problems.add(path(i), "duplicate", `${what} ${quote(k)} is already used by ${path(prev)}`);
    else seen.set(k, i);
  }
}

/** A node of the spec: its rack, their positions, and its path (made when asked: most are never reported). */
class NodeRef {
  constructor(
    readonly rack: RackSpec,
    readonly rackIndex: number,
    readonly nodeIndex: number,
  ) {}

  get path(): string {
    return `racks[${this.rackIndex}].nodes[${this.nodeIndex}]`;
  }
}

/** One NodeRef that lives as long as the process (see `ROUTE_COLLECTOR_SHAPE` in resolve/expected-routes.ts): the hidden class of NodeRefs, and the code built for it, outlive each validation. Never used. */
export const NODE_REF_SHAPE = new NodeRef({ name: "", id: 0, nodes: [] } as unknown as RackSpec, 0, 0);

function allNodes(dc: DataCenterSpec): NodeRef[] {
  const out: NodeRef[] = [];
  for (let rackIndex = 0; rackIndex < dc.racks.length; rackIndex++) {
    const rack = dc.racks[rackIndex];
    for (let nodeIndex = 0; nodeIndex < rack.nodes.length; nodeIndex++) out.push(new NodeRef(rack, rackIndex, nodeIndex));
  }
  return out;
}

function checkNamesAndIds(dc: DataCenterSpec, nodes: NodeRef[], problems: ProblemList): void {
  // switches first, then nodes; a path is made only for a duplicate
  const names: string[] = [];
  for (const s of dc.switches) names.push(s.name);
  for (const n of nodes) names.push(n.rack.nodes[n.nodeIndex].name);
  const switchCount = dc.switches.length;
  duplicates(names, (n) => n, (i) => (i < switchCount ? `switches[${i}].name` : `${nodes[i - switchCount].path}.name`), "device name", problems);
  duplicates(dc.racks, (r) => r.name, (i) => `racks[${i}].name`, "rack name", problems);
  duplicates(dc.racks, (r) => r.id, (i) => `racks[${i}].id`, "rack id", problems);
  duplicates(dc.switches, (s) => s.id, (i) => `switches[${i}].id`, "switch id", problems);
  dc.racks.forEach((rack, ri) => {
    duplicates(rack.nodes, (n) => n.id, (i) => `racks[${ri}].nodes[${i}].id`, "node id", problems);
  });
  const slots = perRack(dc);
  const slotsOk = Number.isInteger(slots) && slots >= 1; // else reported by checkPools
  for (const [i, r] of dc.racks.entries()) {
    if (!Number.isInteger(r.id) || r.id < 1) problems.add(`racks[${i}].id`, "id-range", `rack id ${r.id} must be an integer ≥ 1`);
    r.nodes.forEach((n, j) => {
      if (!Number.isInteger(n.id) || n.id < 1 || (slotsOk && n.id > slots))
        problems.add(`racks[${i}].nodes[${j}].id`, "id-range", `node id ${n.id} must be an integer in 1–${perRack(dc)} (pools.podCidr.perRack)`);
    });
  }
  dc.switches.forEach((s, i) => {
    if (!Number.isInteger(s.id) || s.id < 1) problems.add(`switches[${i}].id`, "id-range", `switch id ${s.id} must be an integer ≥ 1`);
  });
}

/** Names become host names, interface-free identifiers, file names and Kubernetes names. */
const NAME_FORMAT = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
/** Secret references become file names on hosts (the renderers' `checkPasswordRef` accepts the same). */
const SECRET_REF_FORMAT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Report `name` (at `path`) when it is not a valid name. */
function checkNameFormat(problems: ProblemList, path: string, name: string): void {
  if (!NAME_FORMAT.test(name)) problems.add(path, "name-format", `name ${quote(name)} must be 1–63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit`);
}

function checkNameFormats(dc: DataCenterSpec, problems: ProblemList): void {
  checkNameFormat(problems, "name", dc.name); // copied into every rendered file (comments, summary.md, topology.svg)
  for (let i = 0; i < dc.switches.length; i++) checkNameFormat(problems, `switches[${i}].name`, dc.switches[i].name);
  for (let i = 0; i < dc.racks.length; i++) {
    const r = dc.racks[i];
    checkNameFormat(problems, `racks[${i}].name`, r.name);
    // a node's path made only for a problem (4,000 nodes, valid as a rule)
    for (let j = 0; j < r.nodes.length; j++) if (!NAME_FORMAT.test(r.nodes[j].name)) checkNameFormat(problems, `racks[${i}].nodes[${j}].name`, r.nodes[j].name);
  }
  const vips = dc.pools.vips ?? [];
  for (let i = 0; i < vips.length; i++) checkNameFormat(problems, `pools.vips[${i}].name`, vips[i].name);
  const ref = dc.bgp?.passwordRef;
  if (ref !== undefined && (!SECRET_REF_FORMAT.test(ref) || ref.includes("..")))
    problems.add("bgp.passwordRef", "secret-ref-format", `secret reference ${quote(ref)} must be 1–63 characters of letters, digits, '.', '_' or '-', starting with a letter or digit (it names a file on each host)`);
}

/** The racks' node networks with their paths (the IPv4 projection keeps an IPv6-only rack without one). */
function rackNetworks(dc: DataCenterSpec): { path: string; prefix: string }[] {
  return dc.racks.flatMap((r, i) => (r.nodeNetwork !== undefined ? [{ path: `racks[${i}].nodeNetwork`, prefix: r.nodeNetwork }] : []));
}

/** Pools: valid prefixes, no overlaps, PodCIDR length 24/25, capacity. Returns false when later rules cannot run. */
function checkPools(dc: DataCenterSpec, problems: ProblemList): boolean {
  const named: { path: string; prefix: string }[] = [
    { path: "pools.podCidr.cidr", prefix: dc.pools.podCidr.cidr },
    { path: "pools.loopbacks", prefix: dc.pools.loopbacks },
    ...(dc.pools.fabricLinks !== undefined ? [{ path: "pools.fabricLinks", prefix: dc.pools.fabricLinks }] : []),
    ...(dc.pools.vips ?? []).map((v, i) => ({ path: `pools.vips[${i}].cidr`, prefix: v.cidr })),
    ...rackNetworks(dc),
  ];
  let ok = checkFabric(dc, problems);
  const valid: typeof named = [];
  for (const n of named) {
    const why = prefixProblem(n.prefix);
    if (why) {
      problems.add(n.path, "prefix-invalid", `${quote(n.prefix)} ${why}`);
      ok = false;
    } else valid.push(n);
  }
  // sort-and-sweep: the same pairs, in the same order, as comparing every pair
  reportOverlaps(valid, problems, (a, b) => `${quote(b.prefix)} overlaps ${a.path} ${quote(a.prefix)}`);
  const pod = dc.pools.podCidr;
  const pod6 = familyOf(pod.cidr) === "ipv6" && !prefixProblem(pod.cidr);
  if (pod6 ? !Number.isInteger(pod.prefixLength) || pod.prefixLength < 48 || pod.prefixLength > 120 : pod.prefixLength !== 24 && pod.prefixLength !== 25) {
    // IPv6: /64 by default (Kubernetes), 48–120 (at least 256 pod addresses, at most a site)
    problems.add("pools.podCidr.prefixLength", "podcidr-length", pod6 ? `IPv6 PodCIDR prefix length ${pod.prefixLength} must be 48–120` : `PodCIDR prefix length ${pod.prefixLength} must be 24 or 25`);
    ok = false;
  }
  if (!Number.isInteger(perRack(dc)) || perRack(dc) < 1) {
    problems.add("pools.podCidr.perRack", "per-rack", `pools.podCidr.perRack ${perRack(dc)} must be an integer ≥ 1`);
    ok = false;
  }
  if (ok) {
    const capacity = subnetCapacity(pod.cidr, pod.prefixLength);
    if (capacity === 0n) {
      problems.add("pools.podCidr.cidr", "pool-too-small", `${quote(pod.cidr)} is smaller than one /${pod.prefixLength}`);
      ok = false;
    } else {
      const racksFit = capacity / BigInt(perRack(dc));
      dc.racks.forEach((rack, i) => {
        // an IPv6-only rack (in the IPv4 projection: no network) takes no IPv4 PodCIDRs
        if (rack.nodeNetwork !== undefined && Number.isInteger(rack.id) && BigInt(rack.id) > racksFit) { // a non-integer id is an id-range problem
          problems.add(
            `racks[${i}].id`,
            "pool-exhausted",
            `PodCIDR pool ${quote(pod.cidr)} is exhausted: it holds ${capacity} /${pod.prefixLength} PodCIDRs = ${racksFit} racks of ${perRack(dc)} nodes (${racksFit * BigInt(perRack(dc))} nodes); rack id ${rack.id} needs a larger pool or a smaller pools.podCidr.perRack`,
          );
        }
      });
    }
  }
  for (const [i, v] of (dc.pools.vips ?? []).entries()) {
    if (!prefixProblem(v.cidr) && sizeOf(v.cidr) > 256n)
      problems.add(`pools.vips[${i}].cidr`, "vip-pool-size", `VIP pool ${quote(v.cidr)} holds ${sizeOf(v.cidr)} addresses; at most 256 (a /24) are announced as host routes`);
  }
  return ok;
}

function checkAsns(dc: DataCenterSpec, nodes: NodeRef[], problems: ProblemList): void {
  const allowPublic = dc.asn.allowPublic ?? false;
  const check = (path: string, asn: number | undefined) => {
    if (asn === undefined) return;
    reportAsnProblem(problems, path, asn, allowPublic);
  };
  if (dc.topology === "threeTier") {
    if (dc.asn.fabric === undefined) problems.add("asn.fabric", "required", "threeTier needs asn.fabric (the single iBGP ASN)");
    check("asn.fabric", dc.asn.fabric);
    dc.switches.forEach((s, i) => {
      if (s.asn !== undefined && s.asn !== dc.asn.fabric)
        problems.add(`switches[${i}].asn`, "asn-scheme", `switch ASN ${s.asn} breaks the threeTier scheme: every device uses asn.fabric ${dc.asn.fabric}`);
    });
    nodes.forEach((n) => {
      const node = n.rack.nodes[n.nodeIndex];
      if (node.asn !== undefined && node.asn !== dc.asn.fabric)
        problems.add(`${n.path}.asn`, "asn-scheme", `node ASN ${node.asn} breaks the threeTier scheme: nodes peer iBGP in asn.fabric ${dc.asn.fabric}`);
    });
    return;
  }
  // spineLeaf
  if (dc.asn.spine === undefined) problems.add("asn.spine", "required", "spineLeaf needs asn.spine (shared by every spine)");
  if (!dc.asn.leaves) problems.add("asn.leaves", "required", "spineLeaf needs asn.leaves (one ASN per rack's leaf pair)");
  if (!dc.asn.nodes) problems.add("asn.nodes", "required", "spineLeaf needs asn.nodes (node ASNs)");
  check("asn.spine", dc.asn.spine);
  for (const key of ["leaves", "nodes"] as const) {
    const r = dc.asn[key];
    if (!r) continue;
    check(`asn.${key}.from`, r.from);
    check(`asn.${key}.to`, r.to);
    if (r.to < r.from) problems.add(`asn.${key}`, "asn-range", `range ${r.from}–${r.to} is empty`);
  }
  // who uses which ASN
  const owners = new Map<number, { path: string; group: string }[]>();
  const use = (asn: number | undefined, path: string, group: string) => {
    if (asn === undefined) return;
    check(path, asn);
    const list = owners.get(asn);
    if (list) list.push({ path, group }); // push, not a copy per node: a shared node ASN has 100k owners
    else owners.set(asn, [{ path, group }]);
  };
  if (dc.asn.spine !== undefined) owners.set(dc.asn.spine, [{ path: "asn.spine", group: "spine" }]);
  dc.racks.forEach((rack, i) => {
    const asn = leafAsn(dc, rack);
    if (asn !== undefined && dc.asn.leaves && rack.leafAsn === undefined && asn > dc.asn.leaves.to)
      problems.add(`racks[${i}].id`, "asn-exhausted", `leaf ASN range ${dc.asn.leaves.from}–${dc.asn.leaves.to} has no ASN for rack id ${rack.id}`);
    use(asn, rack.leafAsn !== undefined ? `racks[${i}].leafAsn` : `racks[${i}] (leaf ASN)`, `leaf:${rack.name}`);
  });
  const scheme = nodeScheme(dc);
  for (const n of nodes) {
    const node = n.rack.nodes[n.nodeIndex];
    const asn = nodeAsn(dc, n.rack, node);
    if (asn !== undefined && dc.asn.nodes && node.asn === undefined && asn > dc.asn.nodes.to)
      problems.add(`${n.path}.id`, "asn-exhausted", `node ASN range ${dc.asn.nodes.from}–${dc.asn.nodes.to} has no ASN for ${quote(node.name)}`);
    const group = scheme === NodeAsnScheme.perNode ? `node:${node.name}` : scheme === NodeAsnScheme.perRack ? `noderack:${n.rack.name}` : "nodes";
    use(asn, node.asn !== undefined ? `${n.path}.asn` : `${n.path} (node ASN)`, group);
  }
  const rackByName = new Map<string, RackSpec>();
  for (const r of dc.racks) if (!rackByName.has(r.name)) rackByName.set(r.name, r);
  dc.switches.forEach((s, i) => {
    if (s.asn === undefined) return;
    const rack = s.rack === undefined ? undefined : rackByName.get(s.rack);
    if (s.role !== SwitchRole.spine && !rack) return; // a leaf without a known rack is reported by checkSwitches
    const expected = s.role === SwitchRole.spine ? dc.asn.spine : leafAsn(dc, rack!);
    if (s.asn !== expected)
      problems.add(`switches[${i}].asn`, "asn-scheme", `switch ASN ${s.asn} breaks the spineLeaf scheme: ${s.role} ${quote(s.name)} must use ${expected}`);
  });
  for (const [asn, list] of owners) {
    const groups = [...new Set(list.map((o) => o.group))];
    if (groups.length > 1) {
      const first = list[0];
      for (const o of list.slice(1)) {
        if (o.group !== first.group)
          problems.add(o.path, "asn-reuse", `ASN ${asn} is also used by ${first.path}; the ${scheme} scheme needs distinct ASNs for spines, each rack's leaves and ${scheme === NodeAsnScheme.perNode ? "each node" : scheme === NodeAsnScheme.perRack ? "each rack's nodes" : "the shared node ASN"}`);
      }
    }
  }
}

function checkSwitches(dc: DataCenterSpec, problems: ProblemList): void {
  const rackNames = new Set(dc.racks.map((r) => r.name));
  dc.switches.forEach((s, i) => {
    if (dc.topology === "threeTier" && s.role !== SwitchRole.core)
      problems.add(`switches[${i}].role`, "role-topology", `role ${s.role} does not exist in a threeTier data center (use core)`);
    if (dc.topology === "spineLeaf" && s.role === SwitchRole.core)
      problems.add(`switches[${i}].role`, "role-topology", `role core does not exist in a spineLeaf data center (use spine or leaf)`);
    if (s.role === SwitchRole.leaf && s.rack === undefined) problems.add(`switches[${i}].rack`, "required", `leaf ${quote(s.name)} needs a rack`);
    if (s.rack !== undefined && !rackNames.has(s.rack)) problems.add(`switches[${i}].rack`, "unknown-reference", `unknown rack ${quote(s.rack)}`);
    if (s.maxPaths !== undefined && (!Number.isInteger(s.maxPaths) || s.maxPaths < 1 || s.maxPaths > 256))
      problems.add(`switches[${i}].maxPaths`, "max-paths", `maxPaths ${s.maxPaths} must be 1–256`);
    if (s.loopback !== undefined) {
      const why = addressProblem(s.loopback);
      if (why) problems.add(`switches[${i}].loopback`, "address-invalid", `${quote(s.loopback)} ${why}`);
    } else if (!prefixProblem(dc.pools.loopbacks) && Number.isInteger(s.id) && s.id >= 1 && switchLoopback(dc, s) === undefined) { // an id < 1 is an id-range problem
      problems.add(`switches[${i}].id`, "pool-exhausted", `loopback pool ${quote(dc.pools.loopbacks)} has no host ${s.id} for ${quote(s.name)}`);
    }
  });
  const loopbacks = dc.switches.map((s) => (prefixProblem(dc.pools.loopbacks) && !s.loopback ? undefined : switchLoopback(dc, s)));
  const seen = new Map<string, number>();
  const seenIds = new Map<string, number>();
  // space the plan gives to something else, for pinned loopbacks (built once, not per switch)
  const taken = [
    { path: "pools.podCidr.cidr", prefix: dc.pools.podCidr.cidr },
    ...(dc.pools.fabricLinks !== undefined ? [{ path: "pools.fabricLinks", prefix: dc.pools.fabricLinks }] : []),
    ...(dc.pools.vips ?? []).map((v, k) => ({ path: `pools.vips[${k}].cidr`, prefix: v.cidr })),
    ...rackNetworks(dc),
  ].filter((t) => !prefixProblem(t.prefix));
  loopbacks.forEach((lb, i) => {
    if (!lb || addressProblem(lb)) return;
    const rid = routerIdProblem(lb);
    if (rid) problems.add(`switches[${i}].loopback`, "router-id-zero", rid);
    const lbKey = canonicalAddress(lb); // 2001:DB8::1 and 2001:db8:0::1 are one address
    if (seen.has(lbKey)) problems.add(`switches[${i}].loopback`, "duplicate", `loopback ${quote(lb)} is already used by switches[${seen.get(lbKey)}]`);
    else {
      seen.set(lbKey, i);
      // IPv6 loopbacks give 32-bit router ids from their low bits: distinct loopbacks can collide
      const id = rid ? undefined : routerId32(lb);
      if (id !== undefined && seenIds.has(id))
        problems.add(`switches[${i}].loopback`, "duplicate", `loopback ${quote(lb)} gives router id ${id}, already the router id of switches[${seenIds.get(id)}]`);
      else if (id !== undefined) seenIds.set(id, i);
    }
    // a pinned loopback must not sit in space the plan gives to something else
    if (dc.switches[i].loopback !== undefined) {
      const hit = taken.find((t) => containsAddress(t.prefix, lb));
      if (hit) problems.add(`switches[${i}].loopback`, "overlap", `loopback ${quote(lb)} lies in ${hit.path} ${quote(hit.prefix)}`);
    }
  });
  if (dc.topology === "spineLeaf" && !dc.switches.some((s) => s.role === SwitchRole.spine))
    problems.add("switches", "spine-missing", "a spineLeaf data center needs at least one spine");
  // the switch-to-switch links resolve() builds: leaf × spine (spineLeaf), core × core (threeTier)
  const fabricLinks = dc.pools.fabricLinks;
  if (fabricLinks !== undefined && !prefixProblem(fabricLinks)) {
    const p2p = familyOf(fabricLinks) === "ipv6" ? "/127" : "/31";
    const [lower, upper] = dc.topology === "spineLeaf" ? [SwitchRole.leaf, SwitchRole.spine] : [SwitchRole.core, SwitchRole.core];
    // index loops over the upper tier only: entries() allocated two objects per pair (leaves × switches)
    const uppers: number[] = [];
    for (let j = 0; j < dc.switches.length; j++) if (dc.switches[j].role === upper) uppers.push(j);
    for (let i = 0; i < dc.switches.length; i++) {
      const a = dc.switches[i];
      if (a.role !== lower) continue;
      for (const j of uppers) {
        const b = dc.switches[j];
        if (lower === upper && j <= i) continue;
        if (Number.isInteger(a.id) && Number.isInteger(b.id) && a.id >= 1 && b.id >= 1 && linkPrefix(dc, a.id, b.id) === undefined) { // ids < 1: id-range
          problems.add(`switches[${i}].id`, "pool-exhausted", `fabric link pool ${quote(fabricLinks)} has no ${p2p} for ${quote(a.name)}–${quote(b.name)}`);
        }
      }
    }
  }
}

/** Why a device whose BGP router id comes from `address` cannot have it (0.0.0.0), or undefined. */
function routerIdProblem(address: string): string | undefined {
  try {
    routerId32(address);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function checkRacksAndNodes(dc: DataCenterSpec, problems: ProblemList): void {
  const byName = new Map(dc.switches.map((s) => [s.name, s]));
  const peersOf = rackPeersIndex(dc);
  const podCidrs: { path: string; prefix: string }[] = [];
  const addresses = new Map<string, string>();
  dc.racks.forEach((rack, ri) => {
    const peers = peersOf(rack);
    const path = rack.peers ? `racks[${ri}].peers` : `racks[${ri}]`;
    for (const p of peers) {
      const sw = byName.get(p);
      if (!sw) problems.add(path, "unknown-reference", `unknown switch ${quote(p)}`);
      else if (dc.topology === "spineLeaf" && (sw.role !== SwitchRole.leaf || sw.rack !== rack.name))
        problems.add(path, "peer-role", `${quote(p)} is not a leaf of rack ${quote(rack.name)}; spineLeaf nodes peer with their own rack's leaves`);
      else if (dc.topology === "threeTier" && sw.role !== SwitchRole.core)
        problems.add(path, "peer-role", `${quote(p)} is not a core switch; threeTier nodes peer with cores`);
    }
    if (new Set(peers).size !== 2 && rack.nodes.length > 0) {
      problems.add(
        path,
        "two-peers",
        `the nodes of rack ${quote(rack.name)} have ${new Set(peers).size} BGP peer(s) (${listCapped(peers.map((p) => quote(p))) || "none"}); every node needs exactly two`,
      );
    }
    // an IPv6-only rack in the IPv4 projection: no network and no nodes (its peers are checked above)
    const nodeNetwork = rack.nodeNetwork;
    if (nodeNetwork === undefined) return;
    const netProblem = prefixProblem(nodeNetwork);
    // the peers take hosts 1 and 2 of the rack network, with or without nodes
    if (!netProblem)
      peers.forEach((p, k) => {
        if (rackPeerAddress(rack, k) === undefined)
          problems.add(`racks[${ri}].nodeNetwork`, "rack-network-size", `${quote(nodeNetwork)} has no host ${k + 1} for the rack's BGP peer ${quote(p)}`);
      });
    // a session carries only its own family (BIRD channel, FRR address-family): PodCIDRs must match it
    const podFamily = familyOf(dc.pools.podCidr.cidr);
    if (!netProblem && rack.nodes.length > 0 && familyOf(nodeNetwork) !== podFamily)
      problems.add(
        `racks[${ri}].nodeNetwork`,
        "family-mismatch",
        `the nodes of rack ${quote(rack.name)} peer over ${quote(nodeNetwork)}, whose BGP sessions cannot carry their ${podFamily} PodCIDRs from pools.podCidr.cidr ${quote(dc.pools.podCidr.cidr)}`,
      );
    const netSize = netProblem ? 0 : Number(sizeOf(nodeNetwork)); // once per rack, not per node
    rack.nodes.forEach((node, ni) => {
      const npath = `racks[${ri}].nodes[${ni}]`;
      const address = node.address!; // set on every node of a rack with an IPv4 network (checkRackFamilies)
      const why = addressProblem(address);
      if (why) problems.add(`${npath}.address`, "address-invalid", `${quote(address)} ${why}`);
      else if (!netProblem) {
        const offset = offsetIn(nodeNetwork, address);
        if (offset === undefined) problems.add(`${npath}.address`, "address-outside", `${quote(address)} is outside racks[${ri}].nodeNetwork ${quote(nodeNetwork)}`);
        // IPv6 has no broadcast (and its sizes are past Number precision): only IPv4 loses its last address
        else if (offset === 0 || (familyOf(nodeNetwork) === "ipv4" && offset === netSize - 1 && netSize > 2)) problems.add(`${npath}.address`, "address-reserved", `${quote(address)} is the network or broadcast address of ${quote(nodeNetwork)}`);
        else if (offset <= 2) problems.add(`${npath}.address`, "address-reserved", `${quote(address)} is reserved for the rack's BGP peer ${peers[offset - 1] !== undefined ? quote(peers[offset - 1]) : "switch"} (hosts 1 and 2 of ${quote(nodeNetwork)})`);
        else {
          const rid = routerIdProblem(address);
          if (rid) problems.add(`${npath}.address`, "router-id-zero", rid);
        }
        const key = canonicalAddress(address); // one address however it is written
        const prev = addresses.get(key);
        if (prev) problems.add(`${npath}.address`, "duplicate", `address ${quote(address)} is already used by ${prev}`);
        else addresses.set(key, `${npath}.address`);
      }
      if (node.asn !== undefined) {
        reportAsnProblem(problems, `${npath}.asn`, node.asn, dc.asn.allowPublic ?? false); // once: checkAsns reports the same field
      }
      if (node.podCIDR !== undefined) {
        const bad = prefixProblem(node.podCIDR);
        if (bad) problems.add(`${npath}.podCIDR`, "prefix-invalid", `${quote(node.podCIDR)} ${bad}`);
        else if (!prefixInside(node.podCIDR, dc.pools.podCidr.cidr)) problems.add(`${npath}.podCIDR`, "podcidr-outside-pool", `${quote(node.podCIDR)} is outside the PodCIDR pool ${quote(dc.pools.podCidr.cidr)}`);
        else if (prefixLength(node.podCIDR) !== dc.pools.podCidr.prefixLength)
          problems.add(`${npath}.podCIDR`, "podcidr-length", `${quote(node.podCIDR)} is not a /${dc.pools.podCidr.prefixLength} (pools.podCidr.prefixLength)`);
        else podCidrs.push({ path: `${npath}.podCIDR`, prefix: node.podCIDR });
      } else {
        const allocated = allocatedPodCidr(dc, rack, node);
        if (allocated) podCidrs.push({ path: `${npath}.podCIDR`, prefix: allocated });
      }
    });
  });
  // sort-and-sweep: the same pairs, in the same order, as comparing every pair
  reportOverlaps(podCidrs, problems, (a, b) => `${b.path} ${quote(b.prefix)} overlaps ${a.path} ${quote(a.prefix)}`);
  // node addresses must not collide with switch loopbacks
  const swAddrs = new Map<string, string>();
  dc.switches.forEach((s, i) => {
    const lb = switchLoopback(dc, s);
    if (lb && !addressProblem(lb)) swAddrs.set(canonicalAddress(lb), `switches[${i}].loopback`);
  });
  for (const [addr, path] of addresses) {
    if (swAddrs.has(addr)) problems.add(path, "duplicate", `address ${quote(addr)} is also ${swAddrs.get(addr)}`);
  }
}

/** Routers that receive a VIP from its announcers, with their ECMP limit, per VIP pool. Linear in announcers × peers. */
function checkVips(dc: DataCenterSpec, nodeRefs: NodeRef[], problems: ProblemList): void {
  const nodes = new Map<string, NodeRef>();
  for (const n of nodeRefs) if (!nodes.has(n.rack.nodes[n.nodeIndex].name)) nodes.set(n.rack.nodes[n.nodeIndex].name, n);
  const clusterNames = new Set((dc.clusters ?? []).map((c) => c.name));
  const byName = new Map(dc.switches.map((s) => [s.name, s]));
  const leavesPerRack = new Map<string, number>();
  for (const s of dc.switches) if (s.role === SwitchRole.leaf && s.rack !== undefined) leavesPerRack.set(s.rack, (leavesPerRack.get(s.rack) ?? 0) + 1);
  const spines = dc.switches.filter((s) => s.role === SwitchRole.spine);
  const peersOf = rackPeersIndex(dc);
  const announcersOf = vipAnnouncersIndex(dc);
  const peersOfRack = new Map<RackSpec, string[]>();
  const nodeList = (names: string[]) => listCapped(names.map((n) => quote(n)));
  duplicates(dc.pools.vips ?? [], (v) => v.name, (i) => `pools.vips[${i}].name`, "VIP pool name", problems);
  (dc.pools.vips ?? []).forEach((pool, pi) => {
    const path = `pools.vips[${pi}]`;
    if (pool.cluster !== undefined && !clusterNames.has(pool.cluster)) problems.add(`${path}.cluster`, "unknown-reference", `unknown cluster ${quote(pool.cluster)}`);
    const announcers = announcersOf(pool.name);
    duplicates(pool.announcers ?? [], (name) => name, (ai) => `${path}.announcers[${ai}]`, "announcer", problems);
    (pool.announcers ?? []).forEach((name, ai) => {
      const ref = nodes.get(name);
      if (!ref) problems.add(`${path}.announcers[${ai}]`, "unknown-reference", `unknown node ${quote(name)}`);
      else if ((ref.rack.nodes[ref.nodeIndex].role ?? NodeRole.worker) !== NodeRole.l4lb)
        problems.add(`${path}.announcers[${ai}]`, "vip-announcer-role", `node ${quote(name)} is not an l4lb node`);
    });
    const mismatched = announcers.filter((name) => {
      const ref = nodes.get(name);
      const net = ref?.rack.nodeNetwork;
      return net !== undefined && !prefixProblem(net) && familyOf(net) !== familyOf(pool.cidr);
    });
    if (mismatched.length > 0)
      problems.add(path, "family-mismatch", `VIP pool ${quote(pool.name)} (${quote(pool.cidr)}) is announced by ${nodeList(mismatched)}, whose BGP sessions carry another address family`);
    if (announcers.length === 0) problems.add(path, "vip-no-announcer", `VIP pool ${quote(pool.name)} has no l4lb node to announce it`);
    // each receiving switch sees one path per announcing neighbor (a Set per switch, grown in place)
    const perSwitch = new Map<string, Set<string>>();
    const perSpineRacks = new Set<string>();
    for (const name of announcers) {
      const ref = nodes.get(name);
      if (!ref) continue;
      let peers = peersOfRack.get(ref.rack);
      if (!peers) peersOfRack.set(ref.rack, (peers = peersOf(ref.rack)));
      for (const peer of peers) {
        let set = perSwitch.get(peer);
        if (!set) perSwitch.set(peer, (set = new Set()));
        set.add(name);
      }
      perSpineRacks.add(ref.rack.name);
    }
    for (const [swName, set] of [...perSwitch].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
      const sw = byName.get(swName);
      if (!sw) continue;
      const limit = sw.maxPaths ?? 16;
      if (set.size > limit)
        problems.add(path, "ecmp-limit", `VIP pool ${quote(pool.name)} is announced by ${set.size.toLocaleString("en-US")} nodes (${nodeList([...set])}) to ${quote(swName)}, whose ECMP limit (maxPaths) is ${limit}`);
    }
    if (dc.topology === "spineLeaf") {
      let leafPaths = 0;
      for (const rackName of perSpineRacks) leafPaths += leavesPerRack.get(rackName) ?? 0;
      for (const spine of spines) {
        const limit = spine.maxPaths ?? 16;
        if (leafPaths > limit)
          problems.add(path, "ecmp-limit", `VIP pool ${quote(pool.name)} reaches ${quote(spine.name)} over ${leafPaths.toLocaleString("en-US")} leaves, more than its ECMP limit (maxPaths) ${limit}`);
      }
    }
  });
}

/**
 * `vipAnnouncers` for every pool at once: the l4lb nodes and cluster memberships are collected
 * once (vipAnnouncers scans every node per pool: pools × nodes). Same answers.
 */
export function vipAnnouncersIndex(dc: DataCenterSpec): (poolName: string) => string[] {
  const pools = new Map<string, NonNullable<DataCenterSpec["pools"]["vips"]>[number]>();
  for (const v of dc.pools.vips ?? []) if (!pools.has(v.name)) pools.set(v.name, v);
  const l4lb = l4lbNodeNames(dc);
  const members = new Map<string, Set<string>>();
  for (const c of dc.clusters ?? []) if (!members.has(c.name)) members.set(c.name, new Set(c.nodes));
  const byCluster = new Map<string, string[]>();
  return (poolName) => {
    const pool = pools.get(poolName);
    if (!pool) return [];
    if (pool.announcers) return [...pool.announcers];
    if (!pool.cluster) return [...l4lb];
    let list = byCluster.get(pool.cluster);
    if (!list) {
      const set = members.get(pool.cluster) ?? new Set<string>();
      byCluster.set(pool.cluster, (list = l4lb.filter((n) => set.has(n))));
    }
    return [...list];
  };
}

/** The l4lb nodes announcing a VIP pool: its explicit list, else the l4lb nodes of its cluster (or the whole DC). */
export function vipAnnouncers(dc: DataCenterSpec, poolName: string): string[] {
  const pool = (dc.pools.vips ?? []).find((v) => v.name === poolName);
  if (!pool) return [];
  if (pool.announcers) return [...pool.announcers];
  const members = pool.cluster ? new Set((dc.clusters ?? []).find((c) => c.name === pool.cluster)?.nodes ?? []) : undefined;
  return l4lbNodeNames(dc, members);
}

function checkClusters(dc: DataCenterSpec, problems: ProblemList): void {
  const clusters = dc.clusters ?? [];
  const nodeNames = new Set(dc.racks.flatMap((r) => r.nodes.map((n) => n.name)));
  duplicates(clusters, (c) => c.name, (i) => `clusters[${i}].name`, "cluster name", problems);
  duplicates(clusters, (c) => c.id, (i) => `clusters[${i}].id`, "cluster id", problems);
  const member = new Map<string, string>();
  clusters.forEach((c, i) => {
    if (c.name.length > 32) problems.add(`clusters[${i}].name`, "cluster-name-length", `cluster name ${quote(c.name)} has ${c.name.length} characters; Cilium allows at most 32`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c.name)) problems.add(`clusters[${i}].name`, "cluster-name-format", `cluster name ${quote(c.name)} must be lower-case alphanumerics and '-'`);
    if (!Number.isInteger(c.id) || c.id < 1 || c.id > 255) problems.add(`clusters[${i}].id`, "cluster-id-range", `cluster id ${c.id} must be 1–255`);
    c.nodes.forEach((n, j) => {
      if (!nodeNames.has(n)) problems.add(`clusters[${i}].nodes[${j}]`, "unknown-reference", `unknown node ${quote(n)}`);
      else if (member.has(n)) problems.add(`clusters[${i}].nodes[${j}]`, "duplicate", `node ${quote(n)} is already a member of ${member.get(n)}`);
      else member.set(n, `clusters[${i}]`);
    });
  });
}

/** Names of the spec's l4lb nodes (of `members` only, when given), in rack and node order. */
function l4lbNodeNames(dc: DataCenterSpec, members?: Set<string>): string[] {
  const out: string[] = [];
  for (const r of dc.racks) for (const n of r.nodes) if ((n.role ?? NodeRole.worker) === NodeRole.l4lb && (!members || members.has(n.name))) out.push(n.name);
  return out;
}
