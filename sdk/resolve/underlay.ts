/**
 * The underlay: what makes the fabric a complete data center network besides PodCIDRs and VIPs.
 *
 * - Origination: every switch originates its loopback and the rack networks it sits on (a leaf
 *   its rack's, a core every rack it peers for); a border switch also originates the aggregates
 *   it announces to its upstreams.
 * - Propagation, per topology, as BGP carries it with the policies dcnet renders:
 *   - spine–leaf (eBGP): a spine holds each rack network over the leaves originating it, each
 *     leaf loopback over that leaf, the upstream routes over the border leaves (or its own
 *     upstreams); a leaf holds every other rack network and leaf loopback over all spines (the
 *     sibling of its pair too: leaf–spine sessions accept routes originated in the leaf's own ASN,
 *     FRR `allowas-in origin`), each spine loopback over that spine, the upstream routes over all
 *     spines (or its own upstreams). Spines share one ASN and never hold each other's loopbacks
 *     (RFC 7938).
 *   - three-tier (iBGP core mesh, next-hop-self): a core holds every rack network it does not sit
 *     on over the cores that do, each other core's loopback over that core, the upstream routes
 *     over the border cores (or its own upstreams).
 * - Filters: a switch accepts from a fabric peer exactly the underlay prefixes it expects over
 *   that peer (and sends it exactly what the peer accepts), besides the pool-bounded node prefixes.
 */
import { DataCenterSpec, SwitchRole } from "../spec/types";
import { Family, PlanOrigination, PlanPrefixFilterEntry, PlanSession, PlanUpstream } from "../plan/types";
import { comparePrefixes } from "../render/order";
import { sessionFamilies } from "../plan/sessions";
import { aggregate, hostLength, prefixInside, prefixLength, withoutPrefix } from "../net/prefix";

/** One next hop: the neighbor's address and device (a switch, or an upstream's name). */
export interface UnderlayHop {
  address: string;
  device: string;
}

/** An underlay route a switch is expected to hold. */
export interface UnderlayRoute {
  family: Family;
  prefix: string;
  hops: UnderlayHop[];
}

/** A leaf's share of `Underlay.leafRoutes`: all of them but `except`, over `hops` (all its spines). */
export interface SharedUnderlay {
  hops: UnderlayHop[];
  /** The leaf's own rack networks and loopback (it originates them). */
  except: string[];
}

/** The underlay of the whole fabric, per switch. */
export interface Underlay {
  /** Prefixes each switch originates. */
  originates: Map<string, PlanOrigination[]>;
  /** Underlay routes each switch holds, in a stable order (by prefix); for a leaf in `shared`, besides those. */
  routes: Map<string, UnderlayRoute[]>;
  /**
   * Spine–leaf: every rack network and leaf loopback (racks by id, then switches by id), which
   * every leaf holds over all its spines but its own: one list for the fabric, so the underlay
   * grows with switches, not switches².
   */
  leafRoutes: { family: Family; prefix: string }[];
  /** The leaves holding `leafRoutes` (before their own `routes`). */
  shared: Map<string, SharedUnderlay>;
  /** Extra inbound filter entries of a switch toward a fabric peer: `switch → peer → entries`. */
  inbound: Map<string, Map<string, PlanPrefixFilterEntry[]>>;
}

/** What the underlay is computed from. */
export interface UnderlayInput {
  spec: DataCenterSpec;
  family: (p: string) => Family;
  /** Loopback address of every switch. */
  loopbackOf: Map<string, string>;
  /** Rack networks and the switches sitting on them (the rack's peers). */
  rackNetworks: { prefix: string; switches: string[] }[];
  /** Every session (node uplinks and switch-to-switch). */
  sessions: PlanSession[];
  upstreams: PlanUpstream[];
  /** Prefixes that already are routes somewhere (PodCIDRs, VIP host prefixes): never aggregated. Asked only when an upstream announces something. */
  knownRoutes: () => Iterable<string>;
}

const KIND_ORDER: Record<PlanOrigination["kind"], number> = { rackNetwork: 0, loopback: 1, aggregate: 2 };

/** What `switchRoutes` reads: the fabric-wide results of `computeUnderlay` computed before the routes. */
interface RoutesState {
  spec: DataCenterSpec;
  family: (p: string) => Family;
  roleOf: Map<string, SwitchRole>;
  switches: string[];
  peersOf: Map<string, Map<string, { address: string; families: Family[] }>>;
  originates: Map<string, PlanOrigination[]>;
  exitHops: Map<string, Map<string, UnderlayHop[]>>;
  exitPrefixes: string[];
  rackOriginators: { prefix: string; switches: string[]; family: Family; originators: string[] }[];
  originated: Set<string>;
  loopbackOriginated: Set<string>;
  loopbackOf: Map<string, string>;
  spineNames: string[];
  leafRouteSet: Set<string>;
  leafFamilies: Set<Family>;
  /** Filled here: the leaves holding the shared list. */
  shared: Map<string, SharedUnderlay>;
}

/** The underlay routes switch `sw` holds (see `computeUnderlay`), each prefix once, in a stable order. */
function switchRoutes(sw: string, state: RoutesState): UnderlayRoute[] {
  const { spec, family, roleOf, switches, peersOf, originates, exitHops, exitPrefixes, rackOriginators, originated, loopbackOriginated, loopbackOf, spineNames, leafRouteSet, leafFamilies, shared } = state;
  const out: UnderlayRoute[] = [];
  const peers = peersOf.get(sw)!;
  const hopCache = new Map<string, UnderlayHop>();
  const hopTo = (peer: string): UnderlayHop => {
    let h = hopCache.get(peer);
    if (!h) hopCache.set(peer, (h = { address: peers.get(peer)!.address, device: peer }));
    return h;
  };
  // families every fabric peer of this switch carries: their routes need no per-hop check
  const carriedByAll = new Map<Family, boolean>();
  const carried = (f: Family) => {
    let all = carriedByAll.get(f);
    if (all === undefined) carriedByAll.set(f, (all = [...peers.values()].every((p) => p.families.includes(f))));
    return all;
  };
  const add = (prefix: string, hops: UnderlayHop[], f = family(prefix)) => {
    const all = carried(f);
    // only over sessions of the prefix's family; upstream hops are in the upstream's family
    // (no named closure here: tsx names each one with Object.defineProperty, ~1 µs per add)
    const usable = all || hops.every((h) => usableHop(peers, h, f)) ? hops : hops.filter((h) => usableHop(peers, h, f));
    if (usable.length > 0) out.push({ family: f, prefix, hops: usable });
  };
  const role = roleOf.get(sw);
  const spines: string[] = [];
  for (const p of peers.keys()) if (roleOf.get(p) === SwitchRole.spine) spines.push(p);
  const allSpines = spines.map(hopTo);
  const own = new Set(originates.get(sw)!.map((o) => o.prefix));
  const mine = exitHops.get(sw);

  if (spec.topology === "spineLeaf" && role === SwitchRole.spine) {
    for (const r of rackOriginators) if (!own.has(r.prefix) && originated.has(r.prefix)) add(r.prefix, r.originators.filter((x) => peers.has(x)).map(hopTo), r.family);
    for (const [peer] of peers) if (loopbackOriginated.has(peer)) add(loopbackOf.get(peer)!, [hopTo(peer)]);
    for (const p of exitPrefixes) add(p, mine?.get(p) ?? [...peers.keys()].filter((x) => exitHops.get(x)?.has(p)).map(hopTo));
  } else if (spec.topology === "spineLeaf" && role === SwitchRole.leaf && allSpines.length > 0 && [...leafFamilies].every(carried)) {
    // the shared list but the leaf's own, then each spine's loopback over that spine and the upstream routes
    const except = [...own].filter((p) => leafRouteSet.has(p));
    shared.set(sw, { hops: allSpines, except });
    const held = (p: string) => leafRouteSet.has(p) && !own.has(p);
    for (const other of spineNames) if (loopbackOriginated.has(other) && !held(loopbackOf.get(other)!)) add(loopbackOf.get(other)!, peers.has(other) ? [hopTo(other)] : []);
    for (const p of exitPrefixes) if (!held(p)) add(p, mine?.get(p) ?? allSpines);
  } else if (spec.topology === "spineLeaf" && role === SwitchRole.leaf) {
    for (const r of rackOriginators) if (!own.has(r.prefix) && originated.has(r.prefix)) add(r.prefix, allSpines, r.family);
    for (const other of switches) {
      if (other === sw || !loopbackOriginated.has(other)) continue;
      add(loopbackOf.get(other)!, roleOf.get(other) === SwitchRole.spine ? (peers.has(other) ? [hopTo(other)] : []) : allSpines);
    }
    for (const p of exitPrefixes) add(p, mine?.get(p) ?? allSpines);
  } else if (spec.topology === "threeTier") {
    for (const r of rackOriginators) if (!own.has(r.prefix) && originated.has(r.prefix)) add(r.prefix, r.originators.filter((x) => peers.has(x)).map(hopTo), r.family);
    for (const [peer] of peers) if (loopbackOriginated.has(peer)) add(loopbackOf.get(peer)!, [hopTo(peer)]);
    for (const p of exitPrefixes) add(p, mine?.get(p) ?? [...peers.keys()].filter((x) => exitHops.get(x)?.has(p)).map(hopTo));
  }
  // in a stable order already (racks by id, switches by id, upstreams in spec order); each prefix once
  const seen = new Set<string>();
  const once: UnderlayRoute[] = [];
  for (const r of out)
    if (!seen.has(r.prefix)) {
      seen.add(r.prefix);
      once.push(r);
    }
  return once;
}

/** Entry lists of `fabricInbound`, shared by equal prefix lists (one read-only list per prefix set). */
interface RangeCache {
  family: (p: string) => Family;
  ranges: Map<string, PlanPrefixFilterEntry[]>;
  /** The prefixes of `Underlay.leafRoutes`. */
  leafPrefixes: string[];
  sharedRanges: Map<PlanPrefixFilterEntry[], Map<string, PlanPrefixFilterEntry[]>>;
}

/**
 * Each switch's inbound filter entries toward each fabric peer (see `computeUnderlay`). Module-level
 * functions, not closures of `computeUnderlay`: that function runs once per resolve() and is
 * compiled on stack, which makes the closures it holds constants of its code, thrown away with them.
 */
function fabricInbound(
  routes: Map<string, UnderlayRoute[]>,
  peersOf: Map<string, Map<string, { address: string; families: Family[] }>>,
  shared: Map<string, SharedUnderlay>,
  leafRoutes: { family: Family; prefix: string }[],
  family: (p: string) => Family,
): Map<string, Map<string, PlanPrefixFilterEntry[]>> {
  const inbound = new Map<string, Map<string, PlanPrefixFilterEntry[]>>();
  const leafPrefixes: string[] = [];
  for (const r of leafRoutes) leafPrefixes.push(r.prefix);
  const cache: RangeCache = { family, ranges: new Map(), leafPrefixes, sharedRanges: new Map() };
  for (const [sw, list] of routes) {
    const prefixesOf = new Map<string, string[]>();
    const peers = peersOf.get(sw)!;
    const sharing = shared.get(sw);
    for (const h of sharing?.hops ?? []) if (peers.has(h.device)) prefixesOf.set(h.device, []);
    for (const r of list) {
      for (const h of r.hops) {
        if (!peers.has(h.device)) continue;
        const list = prefixesOf.get(h.device);
        if (list) list.push(r.prefix);
        else prefixesOf.set(h.device, [r.prefix]);
      }
    }
    // peers with the same prefixes share one entry array (cached by the prefix list)
    const byPeer = new Map<string, PlanPrefixFilterEntry[]>();
    const viaShared = new Set((sharing?.hops ?? []).map((h) => h.device));
    for (const [peer, prefixes] of prefixesOf) byPeer.set(peer, viaShared.has(peer) ? sharedExactRanges(cache, prefixes, sharing!.except) : exactRanges(cache, prefixes));
    inbound.set(sw, byPeer);
  }
  return inbound;
}

/** The exact ranges of a prefix list, cached by the list. */
function exactRanges(cache: RangeCache, prefixes: string[]): PlanPrefixFilterEntry[] {
  const key = prefixes.join(" ");
  let out = cache.ranges.get(key);
  if (!out) cache.ranges.set(key, (out = exactRangesOf(prefixes, cache.family)));
  return out;
}

/**
 * A shared leaf's filter: the ranges of the shared list plus its own routes over that peer
 * (cached by those), minus its own prefixes; equal results share one array, as above.
 */
function sharedExactRanges(cache: RangeCache, own: string[], except: string[]): PlanPrefixFilterEntry[] {
  const key = `\u0000shared ${own.join(" ")}`;
  let base = cache.ranges.get(key);
  if (!base) cache.ranges.set(key, (base = exactRangesOf([...cache.leafPrefixes, ...own], cache.family)));
  const remove = except.filter((p) => !own.includes(p));
  let byExcept = cache.sharedRanges.get(base);
  if (!byExcept) cache.sharedRanges.set(base, (byExcept = new Map()));
  const exceptKey = remove.join(" ");
  let out = byExcept.get(exceptKey);
  if (!out) byExcept.set(exceptKey, (out = withoutPrefixes(base, remove, cache.family)));
  return out;
}

/** `Underlay.leafRoutes` being built: the list, its prefixes and families. */
interface LeafRouteList {
  routes: { family: Family; prefix: string }[];
  prefixes: Set<string>;
  families: Set<Family>;
}

/** Append a prefix to the shared leaf list once. */
function pushLeafRoute(leaf: LeafRouteList, f: Family, prefix: string): void {
  if (leaf.prefixes.has(prefix)) return;
  leaf.prefixes.add(prefix);
  leaf.families.add(f);
  leaf.routes.push({ family: f, prefix });
}

/** Compute the underlay (origination, expected routes, fabric filter entries). */
export function computeUnderlay(input: UnderlayInput): Underlay {
  const { spec, family } = input;
  const roleOf = new Map(spec.switches.map((s) => [s.name, s.role]));
  const switches = [...spec.switches].sort((a, b) => a.id - b.id).map((s) => s.name);

  // origination
  const originates = new Map<string, PlanOrigination[]>(switches.map((s) => [s, []]));
  const onRack = new Map<string, Set<string>>(switches.map((s) => [s, new Set()]));
  for (const r of input.rackNetworks)
    for (const sw of r.switches) {
      if (!originates.has(sw) || onRack.get(sw)!.has(r.prefix)) continue;
      onRack.get(sw)!.add(r.prefix);
      originates.get(sw)!.push({ family: family(r.prefix), prefix: r.prefix, kind: "rackNetwork" });
    }
  // a switch originates only in the families its sessions carry (one session per family)
  const families = new Map<string, Set<Family>>(switches.map((s) => [s, new Set()]));
  for (const s of input.sessions) for (const end of [s.a, s.b]) for (const f of sessionFamilies(s)) families.get(end.device)?.add(f);
  for (const u of input.upstreams) for (const l of u.links) families.get(l.switch)?.add(l.family);
  for (const [sw, list] of originates) originates.set(sw, list.filter((o) => families.get(sw)!.has(o.family)));
  for (const sw of switches) {
    const lb = input.loopbackOf.get(sw)!;
    const f = family(lb);
    if (families.get(sw)!.has(f)) originates.get(sw)!.push({ family: f, prefix: `${lb}/${hostLength(f)}`, kind: "loopback" });
  }
  // built only when some upstream announces an aggregate (a fabric without upstreams skips a set of every PodCIDR)
  const announcing = input.upstreams.some((u) => u.links.length > 0 && u.announce.length > 0);
  const known = announcing ? new Set([...input.knownRoutes(), ...input.rackNetworks.map((r) => r.prefix), ...[...originates.values()].flat().map((o) => o.prefix)]) : new Set<string>();
  for (const u of input.upstreams)
    for (const l of u.links)
      for (const e of u.announce) {
        const list = originates.get(l.switch)!;
        if (known.has(e.prefix) || list.some((o) => o.prefix === e.prefix)) continue;
        list.push({ family: e.family, prefix: e.prefix, kind: "aggregate" });
      }
  for (const list of originates.values()) list.sort((x, y) => KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || comparePrefixes(x.prefix, y.prefix));

  // neighbors over fabric sessions: switch → peer → the peer's address and the families the session carries
  const peersOf = new Map<string, Map<string, { address: string; families: Family[] }>>(switches.map((s) => [s, new Map()]));
  for (const s of input.sessions) {
    if (s.kind === "node-uplink") continue;
    const carried = sessionFamilies(s);
    peersOf.get(s.a.device)?.set(s.b.device, { address: s.b.address, families: carried });
    peersOf.get(s.b.device)?.set(s.a.device, { address: s.a.address, families: carried });
  }
  // a prefix is originated somewhere, so it can be carried at all; who originates what
  const originated = new Set<string>();
  const originatedPairs = new Set<string>();
  for (const [sw, list] of originates)
    for (const o of list) {
      originated.add(o.prefix);
      originatedPairs.add(`${sw} ${o.prefix}`);
    }
  const loopbackOf = new Map(switches.map((sw) => [sw, loopbackPrefix(input, sw)]));
  // computed once, not per switch: the switches originating their loopback, each rack network's originators
  // loops, not closures: this function runs once per resolve() and is compiled on stack (see fabricInbound)
  const loopbackOriginated = new Set<string>();
  for (const sw of switches) if (originatedPairs.has(`${sw} ${loopbackOf.get(sw)!}`)) loopbackOriginated.add(sw);
  const rackOriginators: RoutesState["rackOriginators"] = [];
  for (const r of input.rackNetworks) {
    const originators: string[] = [];
    for (const x of r.switches) if (originatedPairs.has(`${x} ${r.prefix}`)) originators.push(x);
    rackOriginators.push({ ...r, family: family(r.prefix), originators });
  }
  // upstream routes: switch → prefix → its own upstream hops
  const exitHops = new Map<string, Map<string, UnderlayHop[]>>();
  for (const u of input.upstreams)
    for (const l of u.links)
      for (const e of u.accept) {
        const byPrefix = exitHops.get(l.switch) ?? new Map<string, UnderlayHop[]>();
        exitHops.set(l.switch, byPrefix);
        const hops = byPrefix.get(e.prefix);
        if (hops) hops.push({ address: l.peerAddress, device: u.name });
        else byPrefix.set(e.prefix, [{ address: l.peerAddress, device: u.name }]);
      }
  const exitPrefixes = [...new Set([...exitHops.values()].flatMap((m) => [...m.keys()]))];

  // spine–leaf: what every leaf holds over all its spines, built once (see `Underlay.leafRoutes`)
  const spineNames = switches.filter((x) => roleOf.get(x) === SwitchRole.spine);
  const leafRoutes: { family: Family; prefix: string }[] = [];
  const leafRouteSet = new Set<string>();
  const leafFamilies = new Set<Family>();
  if (spec.topology === "spineLeaf") {
    const leaf: LeafRouteList = { routes: leafRoutes, prefixes: leafRouteSet, families: leafFamilies };
    for (const r of rackOriginators) if (originated.has(r.prefix)) pushLeafRoute(leaf, r.family, r.prefix);
    for (const other of switches) if (roleOf.get(other) !== SwitchRole.spine && loopbackOriginated.has(other)) pushLeafRoute(leaf, family(loopbackOf.get(other)!), loopbackOf.get(other)!);
  }
  const shared = new Map<string, SharedUnderlay>();

  const routes = new Map<string, UnderlayRoute[]>();
  // one switch at a time in a function of its own: this long function is called once per
  // resolve() and compiled on stack each time; the per-switch work, called per switch, keeps its code
  const state: RoutesState = { spec, family, roleOf, switches, peersOf, originates, exitHops, exitPrefixes, rackOriginators, originated, loopbackOriginated, loopbackOf, spineNames, leafRouteSet, leafFamilies, shared };
  for (const sw of switches) routes.set(sw, switchRoutes(sw, state));

  // fabric filters: exactly the underlay routes expected over each peer, as exact ranges: the
  // prefixes of one length are aggregated (`S ge L le L` admits exactly the /L subnets of S, all of
  // them planned), so a leaf's filter toward a spine stays O(log racks) entries, not O(racks)
  const inbound = fabricInbound(routes, peersOf, shared, leafRoutes, family);
  return { originates, routes, inbound, leafRoutes, shared };
}

/**
 * `exactRangesOf(P)` given `entries = exactRangesOf(P ∪ remove)` (`remove` ⊆ that set, disjoint
 * from P): each removed /L prefix is cut out of the `ge L le L` entry holding it. The result is the
 * same list: cutting a prefix out of an aligned block gives the blocks `aggregate()` would.
 */
export function withoutPrefixes(entries: PlanPrefixFilterEntry[], remove: string[], family: (p: string) => Family): PlanPrefixFilterEntry[] {
  let out = entries;
  for (const p of remove) {
    const f = family(p);
    const len = prefixLength(p);
    const i = out.findIndex((e) => e.family === f && e.ge === len && e.le === len && prefixInside(p, e.prefix));
    if (i < 0) continue;
    const pieces = withoutPrefix(out[i].prefix, p).map((prefix) => ({ family: f, prefix, ge: len, le: len }));
    out = [...out.slice(0, i), ...pieces, ...out.slice(i + 1)];
  }
  return out;
}


/**
 * The fewest filter entries admitting exactly `prefixes`: per family and length L, the exact
 * aggregates S of the L-long prefixes as `S ge L le L` (`S` itself when it is one of them).
 */
export function exactRangesOf(prefixes: string[], family: (p: string) => Family): PlanPrefixFilterEntry[] {
  // grouped by a number (IPv6 lengths offset by 1000), keyed as text "family length" once per group
  const byNumber = new Map<number, string[]>();
  for (const p of prefixes) {
    const n = (family(p) === "ipv6" ? 1000 : 0) + prefixLength(p);
    const list = byNumber.get(n);
    if (list) list.push(p);
    else byNumber.set(n, [p]);
  }
  const groups = new Map<string, string[]>();
  for (const [n, list] of byNumber) groups.set(`${n >= 1000 ? "ipv6" : "ipv4"} ${n % 1000}`, list);
  const out: PlanPrefixFilterEntry[] = [];
  for (const [key, list] of [...groups].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
    const [fam, len] = key.split(" ");
    const L = Number(len);
    for (const s of list.length === 1 ? list : aggregate(list)) out.push({ family: fam as Family, prefix: s, ge: L, le: L });
  }
  return out;
}

/** A hop an underlay route of family `f` may use: an upstream's, or a fabric peer's whose session carries `f`. */
function usableHop(peers: Map<string, { families: Family[] }>, h: UnderlayHop, f: Family): boolean {
  return !peers.has(h.device) || peers.get(h.device)!.families.includes(f);
}

function loopbackPrefix(input: UnderlayInput, sw: string): string {
  const lb = input.loopbackOf.get(sw)!;
  return `${lb}/${hostLength(input.family(lb))}`;
}
