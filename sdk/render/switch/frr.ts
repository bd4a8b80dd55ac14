/**
 * FRR dialect (`frr.conf`, FRR ≥ 8.4) for core, spine and leaf switches. Every neighbor gets
 * an explicit inbound prefix-list built from the plan (RFC 8212) and an explicit outbound
 * policy: nothing toward nodes, only node prefixes (pool-bounded) toward fabric peers.
 * Addresses are not configured here (the lab and the device's own tooling set them), and
 * passwords only ever appear in the secrets overlay.
 */
import { Family, Plan, PlanDevice, PlanPrefixFilterEntry, PlanSession, PlanSessionEnd, PlanUpstream, PlanUpstreamLink } from "../../plan/types";
import { hostLength, PrefixOrderKey, prefixLength, prefixOrderKey } from "../../net/prefix";
import { compareOrderKeys, compareStrings } from "../order";
import { deviceOf, endsOf, findDevice, planSwitchOf, sessionsView } from "../plan-query";
import { routerId32 } from "../router-id";
import { carries, neighborKey } from "../../plan/sessions";
import { lookupPassword } from "../secrets";
import { SwitchDialect } from "./dialect";
import { DEFAULT_CONNECT_RETRY } from "../../resolve/defaults";

/** Outbound route-map toward nodes: announce nothing. */
export const FRR_DENY_ALL_ROUTE_MAP = "DCNET-DENY-ALL";

/** Large-community list of the rack tags of the racks a core peers with (unnumbered three-tier). */
export const FRR_OWN_RACKS_LIST = "DCNET-OWN-RACKS";

/** Inbound route-map toward a node of an unnumbered three-tier core: sets the node's rack tag. */
export function frrRackTagRouteMap(tag: string): string {
  return `DCNET-TAG-${tag.replace(/:/g, "-")}`;
}

/** Inbound route-map toward the other cores: their copies of the own racks' paths get `localPreference`. */
export function frrOwnRacksRouteMap(localPreference: number): string {
  return `DCNET-OWN-RACKS-LP${localPreference}`;
}

/** Router advertisement interval (s) on unnumbered links: a peer is found within it. */
export const FRR_UNNUMBERED_RA_INTERVAL_S = 3;

/** FRR version the configuration is written for. */
export const FRR_VERSION = "8.4";

/** Name of the inbound prefix-list toward a neighbor device. */
export function frrInboundListName(device: string): string {
  return `PL-IN-${frrIdentifier(device)}`;
}

/** Name of the outbound prefix-list toward an upstream. */
export function frrOutboundListName(device: string): string {
  return `PL-OUT-${frrIdentifier(device)}`;
}

/**
 * Outbound prefix-list toward every fabric peer: the union of what the peers accept from this
 * switch (each peer's inbound filter is exact; what a session carries is their intersection).
 * One list instead of one per peer keeps a spine's config small (a spine has a peer per leaf).
 */
export const FRR_FABRIC_OUT_LIST = "DCNET-FABRIC-OUT";

/** Name of the BFD profile for a timer pair. */
export function frrBfdProfileName(intervalMs: number, multiplier: number): string {
  // asked twice per BFD neighbor: one string per timer pair
  const key = intervalMs * 1024 + multiplier;
  let name = Number.isInteger(key) ? bfdProfileNames.get(key) : undefined;
  if (name === undefined) {
    name = `dcnet-${intervalMs}ms-x${multiplier}`;
    if (Number.isInteger(key) && intervalMs >= 0 && multiplier >= 0 && multiplier < 1024 && bfdProfileNames.size < 1000) bfdProfileNames.set(key, name);
  }
  return name;
}

/** BFD profile names by `intervalMs × 1024 + multiplier` (integers only). */
const bfdProfileNames = new Map<number, string>();

/** A device name made safe for an FRR word (prefix-list names): other characters become `_`. */
function frrIdentifier(name: string): string {
  return FRR_WORD.test(name) ? name : name.replace(/[^A-Za-z0-9_.-]/g, "_");
}

const FRR_WORD = /^[A-Za-z0-9_.-]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Text after `description` or `!`: one line, no control characters. */
function lineText(text: string): string {
  return CONTROL.test(text) ? text.replace(/[\u0000-\u001f\u007f]/g, "?") : text;
}

const PREFIX_LIST_KEYWORD: Record<Family, string> = { ipv4: "ip", ipv6: "ipv6" };
const FAMILIES: Family[] = ["ipv4", "ipv6"];

/** One BGP neighbor of the switch, with its policy. */
interface Neighbor {
  session: PlanSession;
  local: PlanSessionEnd;
  remote: PlanSessionEnd;
  remoteDevice: PlanDevice;
  /** The remote end is a node (else a fabric switch). */
  toNode: boolean;
  /** FRR's name of the neighbor: the remote address, or the local interface of an unnumbered session. */
  key: string;
  inList: string;
  inEntries: PlanPrefixFilterEntry[];
  /** Fabric peers: what the peer accepts from us (its inbound filter for our address). */
  outEntries?: PlanPrefixFilterEntry[];
}

/** Results of `orderedEntries` per entries array and family (plans are not mutated after resolve(); the resolver shares arrays). */
const orderedCache: Record<Family, WeakMap<PlanPrefixFilterEntry[], PlanPrefixFilterEntry[]>> = { ipv4: new WeakMap(), ipv6: new WeakMap() };

/** Entries of one family, deduplicated and ordered (prefix, then ge, then le). The result is shared: do not mutate it. */
function orderedEntries(entries: PlanPrefixFilterEntry[], family: Family): PlanPrefixFilterEntry[] {
  const cache = orderedCache[family];
  let out = cache.get(entries);
  if (out === undefined) cache.set(entries, (out = orderEntries(entries, family)));
  return out;
}

interface KeyedEntry {
  e: PlanPrefixFilterEntry;
  k: PrefixOrderKey;
}

const compareKeyed = (x: KeyedEntry, y: KeyedEntry) => compareOrderKeys(x.k, y.k) || x.e.ge - y.e.ge || x.e.le - y.e.le;

/**
 * The entries of `family` (by their prefix's family), first occurrence of each `prefix ge le`,
 * stably sorted by `comparePrefixes(prefix) || ge || le`. Duplicates are dropped after sorting:
 * they compare equal, so they sit in one run, in input order.
 */
function orderEntries(entries: Iterable<PlanPrefixFilterEntry>, family: Family): PlanPrefixFilterEntry[] {
  const want = family === "ipv6" ? 1 : 0;
  // one entry (a worker node's PodCIDR): ordered already, the array itself is the result
  if (Array.isArray(entries) && entries.length === 1) {
    const e: PlanPrefixFilterEntry = entries[0];
    return e.family === family && prefixOrderKey(e.prefix).family === want ? entries : [];
  }
  // the resolver shares entry objects: the same object is the same entry
  const seenObjects = new Set<PlanPrefixFilterEntry>();
  const keyed: KeyedEntry[] = [];
  for (const e of entries) {
    if (e.family !== family || seenObjects.has(e)) continue;
    seenObjects.add(e);
    const k = prefixOrderKey(e.prefix);
    if (k.family === want) keyed.push({ e, k });
  }
  keyed.sort(compareKeyed);
  const out: PlanPrefixFilterEntry[] = [];
  let run = 0;
  for (let i = 0; i < keyed.length; i++) {
    const e = keyed[i].e;
    if (i > 0 && compareKeyed(keyed[i - 1], keyed[i]) !== 0) run = out.length;
    let dup = false;
    for (let j = run; j < out.length && !dup; j++) dup = out[j].prefix === e.prefix;
    if (!dup) out.push(e);
  }
  return out;
}

/** A number per entries array (for keys of `orderedUnion`'s cache). */
const listIds = new WeakMap<PlanPrefixFilterEntry[], number>();
let nextListId = 0;
function listId(list: PlanPrefixFilterEntry[]): number {
  let id = listIds.get(list);
  if (id === undefined) listIds.set(list, (id = nextListId++));
  return id;
}

/** Results of `orderedUnion` by family, first distinct list, then the ids of the other distinct lists. */
const unionCache: Record<Family, WeakMap<PlanPrefixFilterEntry[], Map<string, PlanPrefixFilterEntry[]>>> = { ipv4: new WeakMap(), ipv6: new WeakMap() };

/**
 * Entries of several lists (a union), in the order of `orderedEntries` over their concatenation.
 * A list given twice adds nothing (its entry objects were all seen), so the union is computed
 * over the distinct lists and cached by them: the spines of a fabric share their leaves' lists.
 * The result is shared: do not mutate it.
 */
function orderedUnion(lists: PlanPrefixFilterEntry[][], family: Family): PlanPrefixFilterEntry[] {
  const distinct = [...new Set(lists)];
  if (distinct.length === 0) return [];
  if (distinct.length === 1) return orderedEntries(distinct[0], family);
  const cache = unionCache[family];
  let byRest = cache.get(distinct[0]);
  if (byRest === undefined) cache.set(distinct[0], (byRest = new Map()));
  const key = distinct.slice(1).map(listId).join(" ");
  let out = byRest.get(key);
  if (out === undefined) {
    byRest.set(key, (out = orderEntries(concat(distinct), family)));
  }
  return out;
}

/** The items of each list in turn (a module-level generator: see `neighborOrder`). */
function* concat<T>(lists: T[][]): Generator<T> {
  for (const l of lists) yield* l;
}

/** `permit …` clauses of valid entries, per entry object (entries are shared and never mutated). */
const clauseCache = new WeakMap<PlanPrefixFilterEntry, string>();

/** `permit P [ge G] [le L]` for one filter entry; FRR refuses `ge` equal to the prefix length. */
function permitClause(e: PlanPrefixFilterEntry, list: string): string {
  const cached = clauseCache.get(e);
  if (cached !== undefined) return cached;
  const len = prefixLength(e.prefix);
  const max = hostLength(e.family);
  if (!(Number.isInteger(e.ge) && Number.isInteger(e.le) && len <= e.ge && e.ge <= e.le && e.le <= max))
    throw new Error(`prefix-list ${list}: entry ${e.prefix} ge ${e.ge} le ${e.le} is not a valid range (need ${len} ≤ ge ≤ le ≤ ${max})`);
  const clause = e.ge === len && e.le === len ? `permit ${e.prefix}` : e.ge === len ? `permit ${e.prefix} le ${e.le}` : `permit ${e.prefix} ge ${e.ge} le ${e.le}`;
  clauseCache.set(e, clause);
  return clause;
}

/** `N permit …` of each entry and `N deny any` after them, per ordered entries array (entries are shared and never mutated). */
const listBodies = new WeakMap<PlanPrefixFilterEntry[], string[]>();

/** Rendered prefix-lists per ordered entries array, by `family name`: a list two switches share is built once. */
const listTexts = new WeakMap<PlanPrefixFilterEntry[], Map<string, string>>();

/** A whole prefix-list: entries at seq 10, 20, …, then an explicit `deny any`; its lines joined by newlines (no final one). */
function prefixList(family: Family, name: string, entries: PlanPrefixFilterEntry[]): string {
  // one entry (a worker node's list): two lines, cheaper to write than to look up
  if (entries.length === 1) {
    const head = `${PREFIX_LIST_KEYWORD[family]} prefix-list ${name} seq `;
    return `${head}10 ${permitClause(entries[0], name)}\n${head}20 deny any`;
  }
  let byName = listTexts.get(entries);
  if (byName === undefined) listTexts.set(entries, (byName = new Map()));
  const key = `${family} ${name}`;
  let text = byName.get(key);
  if (text === undefined) {
    let body = listBodies.get(entries);
    if (body === undefined) {
      body = [];
      for (let i = 0; i < entries.length; i++) body.push(`${(i + 1) * 10} ${permitClause(entries[i], name)}`);
      body.push(`${(entries.length + 1) * 10} deny any`);
      listBodies.set(entries, body);
    }
    const head = `${PREFIX_LIST_KEYWORD[family]} prefix-list ${name} seq `;
    text = head + body.join(`\n${head}`);
    byName.set(key, text);
  }
  return text;
}

/** Inbound filters of each switch by device, then neighbor address (first one wins), built once per plan. */
const filterIndexes = new WeakMap<Plan, Map<string, Map<string, Map<string, PlanPrefixFilterEntry[]>>>>();

function inboundFilterOf(plan: Plan, sw: string, device: string, address: string): PlanPrefixFilterEntry[] | undefined {
  let index = filterIndexes.get(plan);
  if (!index) filterIndexes.set(plan, (index = new Map()));
  let bySwitch = index.get(sw);
  if (!bySwitch) {
    bySwitch = new Map();
    for (const f of planSwitchOf(plan, sw).inboundFilters) {
      let byAddress = bySwitch.get(f.device);
      if (!byAddress) bySwitch.set(f.device, (byAddress = new Map()));
      if (!byAddress.has(f.neighbor)) byAddress.set(f.neighbor, f.entries);
    }
    index.set(sw, bySwitch);
  }
  return bySwitch.get(device)?.get(address);
}

/**
 * Fabric peers first, then nodes, each by device name, then address. Module-level functions, not
 * closures made per call: V8 keeps a closure's optimized code only while one of its closures lives.
 */
function neighborOrder(x: Neighbor, y: Neighbor): number {
  return Number(x.toNode) - Number(y.toNode) || compareStrings(x.remote.device, y.remote.device) || compareStrings(x.remote.address, y.remote.address);
}

/** The switch's neighbors with their policies: fabric peers first, then nodes, each by name. */
function neighborsOf(plan: Plan, device: PlanDevice): Neighbor[] {
  const neighbors: Neighbor[] = sessionsView(plan, device.name).map((session) => {
    const { local, remote } = endsOf(session, device.name);
    const remoteDevice = findDevice(plan, remote.device);
    if (!remoteDevice) throw new Error(`session ${session.id}: unknown device ${remote.device}`);
    const inbound = inboundFilterOf(plan, device.name, remote.device, remote.address);
    if (!inbound) throw new Error(`switch ${device.name}: the plan has no inbound filter for ${remote.device} (${remote.address})`);
    const toNode = remoteDevice.kind === "node";
    let outEntries: PlanPrefixFilterEntry[] | undefined;
    if (!toNode) {
      outEntries = inboundFilterOf(plan, remote.device, device.name, local.address);
      if (!outEntries) throw new Error(`switch ${remote.device}: the plan has no inbound filter for ${device.name} (${local.address})`);
    }
    // every field set in the literal (one hidden class for every neighbor: see ROUTE_COLLECTOR_SHAPE in resolve/expected-routes.ts)
    return { session, local, remote, remoteDevice, toNode, key: neighborKey(session, local, remote), inList: frrInboundListName(remote.device), inEntries: inbound, outEntries };
  });
  neighbors.sort(neighborOrder);
  const names = new Map<string, string>();
  const addresses = new Set<string>();
  for (const n of neighbors) {
    if (addresses.has(n.key)) throw new Error(`switch ${device.name}: two sessions toward ${n.key}`);
    addresses.add(n.key);
    const other = names.get(n.inList);
    if (other !== undefined && other !== n.remote.device)
      throw new Error(`switch ${device.name}: neighbors ${other} and ${n.remote.device} map to the same FRR name ${n.inList}`);
    names.set(n.inList, n.remote.device);
  }
  return neighbors;
}

/** An upstream session of the switch (one per link), with its policy. */
interface UpstreamNeighbor {
  upstream: PlanUpstream;
  link: PlanUpstreamLink;
  inList: string;
  outList: string;
}

/** The switch's upstream sessions, by upstream name. */
function upstreamNeighborsOf(plan: Plan, device: PlanDevice): UpstreamNeighbor[] {
  const out: UpstreamNeighbor[] = [];
  for (const upstream of plan.upstreams ?? [])
    for (const link of upstream.links)
      if (link.switch === device.name) out.push({ upstream, link, inList: frrInboundListName(upstream.name), outList: frrOutboundListName(upstream.name) });
  return out.sort((x, y) => compareStrings(x.upstream.name, y.upstream.name));
}

/** The most common value of `key` over `items` (ties: the smallest key string), or undefined. */
function mostCommon<T>(items: T[], key: (t: T) => string): string | undefined {
  const counts = new Map<string, number>();
  for (const i of items) {
    const k = key(i);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [k, c] of [...counts.entries()].sort((a, b) => compareStrings(a[0], b[0]))) if (best === undefined || c > counts.get(best)!) best = k;
  return best;
}

const timersKey = (n: Neighbor) => `${n.session.timers.keepalive} ${n.session.timers.hold}`;
const grKey = (n: Neighbor) => (n.session.gracefulRestart.enabled ? "on" : "off");

/** Render `frr.conf` for switch `switchName`. */
export function renderFrrConfig(plan: Plan, switchName: string): string {
  const device = deviceOf(plan, switchName, "switch");
  if (/[\s\u0000-\u001f\u007f]/.test(device.name) || device.name === "") throw new Error(`switch name ${JSON.stringify(device.name)} cannot be an FRR hostname`);
  const neighbors = neighborsOf(plan, device);
  const upstreams = upstreamNeighborsOf(plan, device);
  for (const u of upstreams) {
    if (neighbors.some((n) => n.remote.address === u.link.peerAddress)) throw new Error(`switch ${device.name}: upstream ${u.upstream.name} and a fabric or node session share ${u.link.peerAddress}`);
    if (neighbors.some((n) => n.inList === u.inList)) throw new Error(`switch ${device.name}: upstream ${u.upstream.name} and a neighbor map to the same FRR name ${u.inList}`);
  }
  const families = FAMILIES.filter((f) => neighbors.some((n) => carries(n.session, f)) || upstreams.some((u) => u.link.family === f));
  const originates = planSwitchOf(plan, device.name).originates ?? [];

  const lines: string[] = [
    "! Generated by dcnet from the resolved plan: do not edit, changes are overwritten.",
    `! ${lineText(`plan ${plan.name}, switch ${device.name} (${device.role}${device.rack ? `, rack ${device.rack}` : ""}), asn ${device.asn}`)}`,
    "! Session passwords live in a separate overlay appended on the device.",
    `frr version ${FRR_VERSION}`,
    "frr defaults datacenter",
    `hostname ${device.name}`,
    "log syslog informational",
    "service integrated-vtysh-config",
    // zebra keeps kernel next-hop groups that a carrier loss emptied (FRR 8.4, fixed upstream in
    // PRs 13413/14080): a leaf–spine link flap then leaves the spine with one ECMP path. Plain
    // multipath routes avoid it.
    "no zebra nexthop kernel enable",
    "!",
  ];

  // BFD profiles, one per timer pair in use
  const profiles = new Map<string, { intervalMs: number; multiplier: number }>();
  for (const n of neighbors) if (n.session.bfd.enabled) profiles.set(frrBfdProfileName(n.session.bfd.intervalMs, n.session.bfd.multiplier), n.session.bfd);
  for (const u of upstreams) if (u.upstream.bfd.enabled) profiles.set(frrBfdProfileName(u.upstream.bfd.intervalMs, u.upstream.bfd.multiplier), u.upstream.bfd);
  if (profiles.size > 0) {
    lines.push("bfd");
    for (const [name, p] of [...profiles.entries()].sort((a, b) => compareStrings(a[0], b[0]))) {
      lines.push(` profile ${name}`, `  detect-multiplier ${p.multiplier}`, `  receive-interval ${p.intervalMs}`, `  transmit-interval ${p.intervalMs}`, " exit", " !");
    }
    lines.push("exit", "!");
  }

  // prefix-lists: inbound per neighbor, one outbound list toward the fabric peers
  for (const f of families) {
    const fabric: Neighbor[] = [];
    for (const x of neighbors) if (!x.toNode && carries(x.session, f)) fabric.push(x);
    if (fabric.length > 0) {
      lines.push(prefixList(f, FRR_FABRIC_OUT_LIST, orderedUnion(fabric.map((n) => n.outEntries!), f)), "!");
    }
    for (const n of neighbors) {
      if (!carries(n.session, f)) continue;
      lines.push(prefixList(f, n.inList, orderedEntries(n.inEntries, f)), "!");
    }
    // upstreams: accept exactly what the plan lists, announce exactly the planned aggregates
    for (const u of upstreams.filter((x) => x.link.family === f)) {
      lines.push(prefixList(f, u.inList, orderedEntries(u.upstream.accept, f)), prefixList(f, u.outList, orderedEntries(u.upstream.announce, f)), "!");
    }
  }
  if (neighbors.some((n) => n.toNode)) lines.push(`route-map ${FRR_DENY_ALL_ROUTE_MAP} deny 10`, "exit", "!");
  const racks = rackPolicy(neighbors);
  lines.push(...racks.lines);

  // unnumbered sessions: zebra sends router advertisements on the link, bgpd learns the peer's
  // link-local address from them (the RA interval bounds how soon a session can start)
  for (const n of neighbors.filter((x) => x.session.unnumbered))
    lines.push(
      `interface ${n.local.interface}`,
      ` description ${lineText(`${n.remoteDevice.role} ${n.remote.device} (unnumbered)`)}`,
      ` ipv6 nd ra-interval ${FRR_UNNUMBERED_RA_INTERVAL_S}`,
      " no ipv6 nd suppress-ra",
      "exit",
      "!",
    );

  // router bgp: global settings from the most common session values, per-neighbor overrides
  const globalTimers = mostCommon(neighbors, timersKey);
  const globalGr = mostCommon(neighbors, grKey);
  const grTimes = new Set(neighbors.filter((n) => n.session.gracefulRestart.enabled).map((n) => n.session.gracefulRestart.restartTime));
  if (grTimes.size > 1) throw new Error(`switch ${device.name}: sessions ask for different graceful restart times (${[...grTimes].join(", ")}); FRR has one per instance`);
  lines.push(
    `router bgp ${device.asn}`,
    ` bgp router-id ${routerId32(device.routerId)}`,
    " no bgp default ipv4-unicast",
    // RFC 8212 even if defaults change: an eBGP neighbor without policy exchanges nothing
    " bgp ebgp-requires-policy",
  );
  if (neighbors.some((n) => n.session.type === "ebgp")) lines.push(" bgp bestpath as-path multipath-relax");
  if (globalGr === "on") lines.push(" bgp graceful-restart", ` bgp graceful-restart restart-time ${[...grTimes][0]}`);
  if (globalTimers) lines.push(` timers bgp ${globalTimers}`);
  const grTime = [...grTimes][0];
  for (const u of upstreams) {
    const a = u.link.peerAddress;
    const up = u.upstream;
    if (up.gracefulRestart.enabled && grTime !== undefined && up.gracefulRestart.restartTime !== grTime)
      throw new Error(`switch ${device.name}: upstream ${up.name} asks for another graceful restart time; FRR has one per instance`);
    lines.push(" !", ` neighbor ${a} remote-as ${up.asn}`, ` neighbor ${a} description ${lineText(`upstream ${up.name}`)}`);
    if (`${up.timers.keepalive} ${up.timers.hold}` !== globalTimers) lines.push(` neighbor ${a} timers ${up.timers.keepalive} ${up.timers.hold}`);
    if ((up.gracefulRestart.enabled ? "on" : "off") !== (globalGr ?? "off")) lines.push(` neighbor ${a} ${up.gracefulRestart.enabled ? "graceful-restart" : "graceful-restart-disable"}`);
    if (up.bfd.enabled) lines.push(` neighbor ${a} bfd`, ` neighbor ${a} bfd profile ${frrBfdProfileName(up.bfd.intervalMs, up.bfd.multiplier)}`);
  }
  for (const n of neighbors) {
    const a = n.key;
    const s = n.session;
    // a neighbor's first lines as one string: ~8,000 neighbors per plan
    lines.push(
      `${s.unnumbered ? ` !\n neighbor ${a} interface remote-as ` : ` !\n neighbor ${a} remote-as `}${n.remote.asn}\n neighbor ${a} description ${lineText(`${n.remoteDevice.kind === "node" ? "node" : n.remoteDevice.role} ${n.remote.device}`)}`,
    );
    if (timersKey(n) !== globalTimers) lines.push(` neighbor ${a} timers ${s.timers.keepalive} ${s.timers.hold}`);
    // the `datacenter` profile's connect retry is the default; only a different one is written
    if (s.timers.connectRetry !== DEFAULT_CONNECT_RETRY) lines.push(` neighbor ${a} timers connect ${s.timers.connectRetry}`);
    if (grKey(n) !== globalGr) lines.push(` neighbor ${a} ${s.gracefulRestart.enabled ? "graceful-restart" : "graceful-restart-disable"}`);
    if (s.bfd.enabled) lines.push(` neighbor ${a} bfd\n neighbor ${a} bfd profile ${frrBfdProfileName(s.bfd.intervalMs, s.bfd.multiplier)}`);
    // RFC 8950: IPv4 routes with an IPv6 next hop (FRR also enables it on interface neighbors by itself)
    if (s.extendedNextHop) lines.push(` neighbor ${a} capability extended-nexthop`);
  }
  for (const f of families) {
    const members = neighbors.filter((n) => carries(n.session, f));
    lines.push(" !", ` address-family ${f} unicast`);
    if (device.maxPaths !== undefined) {
      if (members.some((n) => n.session.type === "ebgp")) lines.push(`  maximum-paths ${device.maxPaths}`);
      if (members.some((n) => n.session.type === "ibgp")) lines.push(`  maximum-paths ibgp ${device.maxPaths}`);
    }
    // the underlay this switch originates: rack networks and loopback, aggregates toward upstreams
    for (const o of originates.filter((x) => x.family === f)) lines.push(o.kind === "aggregate" ? `  aggregate-address ${o.prefix}` : `  network ${o.prefix}`);
    for (const n of members) {
      const a = n.key;
      lines.push(
        n.toNode
          ? `  neighbor ${a} activate\n  neighbor ${a} prefix-list ${n.inList} in\n  neighbor ${a} route-map ${FRR_DENY_ALL_ROUTE_MAP} out`
          : `  neighbor ${a} activate\n  neighbor ${a} prefix-list ${n.inList} in\n  neighbor ${a} prefix-list ${FRR_FABRIC_OUT_LIST} out`,
      );
      const rm = racks.inbound.get(n);
      if (rm) lines.push(`  neighbor ${a} route-map ${rm} in`);
      if (n.session.maxPrefix !== undefined) lines.push(`  neighbor ${a} maximum-prefix ${n.session.maxPrefix}`);
      if (n.session.allowasIn !== undefined) lines.push(`  neighbor ${a} allowas-in ${n.session.allowasIn}`);
      if (n.session.acceptOwnOrigin?.includes(device.name)) lines.push(`  neighbor ${a} allowas-in origin`);
      if (n.session.nextHopSelf) lines.push(`  neighbor ${a} next-hop-self`);
      if (n.session.addPathTxAll) lines.push(`  neighbor ${a} addpath-tx-all-paths`);
      if (n.session.routeReflectorClient && n.session.b.device === device.name) lines.push(`  neighbor ${a} route-reflector-client`);
    }
    for (const u of upstreams.filter((x) => x.link.family === f)) {
      const a = u.link.peerAddress;
      lines.push(`  neighbor ${a} activate`, `  neighbor ${a} prefix-list ${u.inList} in`, `  neighbor ${a} prefix-list ${u.outList} out`, `  neighbor ${a} maximum-prefix ${u.upstream.maxPrefix}`);
      // the rack tags are the fabric's own business
      if (racks.tagsInUse) lines.push(`  no neighbor ${a} send-community large`);
    }
    lines.push(" exit-address-family");
  }
  // the final newline from an empty last line: one flat string, not a pair to flatten when written
  lines.push("exit", "!", "");
  return lines.join("\n");
}

/**
 * Rack tags of an unnumbered three-tier core (`PlanSession.rackTag`, `ownRackPreference`): a
 * route-map per rack tag setting it on the routes of the rack's nodes, the list of the tags of the
 * racks this core peers, and a route-map toward the other cores lowering the local preference of
 * paths carrying one of them. Nothing (no lines) on any other switch.
 */
function rackPolicy(neighbors: Neighbor[]): { lines: string[]; inbound: Map<Neighbor, string>; tagsInUse: boolean } {
  const inbound = new Map<Neighbor, string>();
  const lines: string[] = [];
  const tags = new Set<string>();
  for (const n of neighbors) if (n.toNode && n.session.rackTag) tags.add(n.session.rackTag);
  const own = [...tags].sort(compareTags);
  const mesh = neighbors.filter((n) => !n.toNode && n.session.ownRackPreference !== undefined);
  if (own.length > 0 && mesh.length > 0) {
    for (const tag of own) lines.push(`bgp large-community-list standard ${FRR_OWN_RACKS_LIST} permit ${tag}`);
    lines.push("!");
  }
  for (const tag of own) lines.push(`route-map ${frrRackTagRouteMap(tag)} permit 10`, ` set large-community ${tag}`, "exit", "!");
  for (const n of neighbors) if (n.toNode && n.session.rackTag) inbound.set(n, frrRackTagRouteMap(n.session.rackTag));
  if (own.length > 0)
    for (const lp of [...new Set(mesh.map((n) => n.session.ownRackPreference!))].sort((x, y) => x - y))
      lines.push(`route-map ${frrOwnRacksRouteMap(lp)} permit 10`, ` match large-community ${FRR_OWN_RACKS_LIST}`, ` set local-preference ${lp}`, "exit", `route-map ${frrOwnRacksRouteMap(lp)} permit 20`, "exit", "!");
  if (own.length > 0) for (const n of mesh) inbound.set(n, frrOwnRacksRouteMap(n.session.ownRackPreference!));
  return { lines, inbound, tagsInUse: own.length > 0 || mesh.length > 0 };
}

/** Large communities in numeric order of their fields. */
function compareTags(x: string, y: string): number {
  const a = x.split(":").map(Number);
  const b = y.split(":").map(Number);
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * The secrets overlay of switch `switchName`: `router bgp ASN` and one `neighbor X password P`
 * per password-protected session, to append to `frr.conf` on the device. Empty when no session
 * has a `passwordRef`. Throws when a referenced password is missing or cannot be expressed.
 */
export function renderFrrSecrets(plan: Plan, switchName: string, passwords: Record<string, string>): string {
  const device = deviceOf(plan, switchName, "switch");
  const withPassword = neighborsOf(plan, device).filter((n) => n.session.passwordRef !== undefined);
  const upstreamsWithPassword = upstreamNeighborsOf(plan, device).filter((u) => u.upstream.passwordRef !== undefined);
  if (withPassword.length === 0 && upstreamsWithPassword.length === 0) return "";
  const lines = [
    `! dcnet secrets overlay for ${lineText(device.name)}: append to ${frrDialect.fileName}, never store with rendered configs.`,
    `router bgp ${device.asn}`,
  ];
  for (const u of upstreamsWithPassword) lines.push(` neighbor ${u.link.peerAddress} password ${lookupPassword(passwords, u.upstream.passwordRef!, `switch ${device.name}`)}`);
  for (const n of withPassword) lines.push(` neighbor ${n.key} password ${lookupPassword(passwords, n.session.passwordRef!, `switch ${device.name}`)}`);
  lines.push("exit", "!");
  return lines.join("\n") + "\n";
}

/** The FRR dialect. */
export const frrDialect: SwitchDialect = {
  name: "frr",
  fileName: "frr.conf",
  render: renderFrrConfig,
  renderSecrets: renderFrrSecrets,
};
