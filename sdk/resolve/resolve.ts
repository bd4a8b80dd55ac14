/**
 * `resolve(spec)`: validate, then build the JSON-serializable plan. One model describes both
 * ends of every session, so node and switch renderings can never disagree.
 */
import { DataCenterSpec, NodeAsnScheme, NodeRole, NodeSpec, RackSpec, SwitchRole, SwitchSpec } from "../spec/types";
import {
  Family,
  Plan,
  PlanAnnouncement,
  PlanCluster,
  PlanDevice,
  PlanNode,
  PlanPrefixFilterEntry,
  PlanPrefixSet,
  PlanSegment,
  PlanSession,
  PlanSwitch,
  PlanUpstream,
  PlanVipPool,
} from "../plan/types";
import { aggregate, coveringPrefix, familyOf, hostLength, hostPrefixes, nthAddress, prefixLength } from "../net/prefix";
import { UNNUMBERED_LINK_PREFIX } from "../plan/sessions";
import { allocatedPodCidr, linkPrefix, unnumberedAddress, nodeAsn, nodeScheme, rackPeerAddress, rackPeers, switchAsn, switchLoopback } from "./allocate";
import { SpecError } from "../validate/errors";
import { validate, vipAnnouncers } from "../validate/validate";
import { withDefaults } from "./defaults";
import { resolveUpstreams } from "./upstreams";
import { computeUnderlay, Underlay } from "./underlay";
import { nodeSpeakers, speakerSession } from "./speakers";
import { BgpSpeaker } from "../spec/cluster-types";
import { ipv4Projection, ipv6Projection, isDualStack, mergeDualStack } from "./dual-stack";
import { Hop, RouteCollector } from "./expected-routes";

/**
 * Validate and resolve a spec into a plan. Throws `SpecError` listing every problem. `progress`
 * hears when validation is done (a 100,000-node spec validates for seconds, then resolves).
 */
export function resolve(spec: DataCenterSpec, opts: { progress?: (what: string) => void } = {}): Plan {
  const problems = validate(spec);
  if (problems.length > 0) throw new SpecError(problems);
  opts.progress?.("validated; resolving");
  // dual-stack: the IPv4 and IPv6 projections resolved alike, then merged (an IPv4-only spec is untouched)
  if (isDualStack(spec)) return mergeDualStack(spec, buildPlan(ipv4Projection(spec).spec), buildPlan(ipv6Projection(spec).spec));
  return buildPlan(spec);
}

interface NodeCtx {
  spec: NodeSpec;
  /** The node's address on its rack network (set on every node of a single-family projection). */
  address: string;
  rack: RackSpec;
  podCIDR: string;
  /** Family of the PodCIDR. */
  podFamily: Family;
  asn: number;
  peers: SwitchSpec[];
  cluster?: string;
  announcements: PlanAnnouncement[];
}

function buildPlan(spec: DataCenterSpec): Plan {
  const bgp = withDefaults(spec.bgp);
  const family = familyOrIpv4;
  const switchByName = new Map(spec.switches.map((s) => [s.name, s]));
  const asnCount = new Map<number, number>();
  for (const sw of spec.switches) {
    const asn = switchAsn(spec, sw);
    if (asn !== undefined) asnCount.set(asn, (asnCount.get(asn) ?? 0) + 1);
  }
  const sharesAsn = (sw: SwitchSpec) => (asnCount.get(switchAsn(spec, sw)!) ?? 0) > 1;
  const clusterOf = new Map<string, string>();
  for (const c of spec.clusters ?? []) for (const n of c.nodes) clusterOf.set(n, c.name);

  const vipPools: PlanVipPool[] = (spec.pools.vips ?? []).map((v) => ({
    name: v.name,
    family: family(v.cidr),
    cidr: v.cidr,
    ...(v.cluster ? { cluster: v.cluster } : {}),
    announcers: vipAnnouncers(spec, v.name),
    ...(v.serviceSelector ? { serviceSelector: v.serviceSelector } : {}),
    addresses: hostPrefixes(v.cidr).map((p) => p.split("/")[0]),
  }));

  const peersOfRack = new Map(spec.racks.map((rack) => [rack, rackPeers(spec, rack).map((n) => switchByName.get(n)!)]));
  // a function of its own, not a closure made per call (see familyOrIpv4), and not inlined into
  // this long one (called once per resolve(): its code is compiled on stack, again when a pool's
  // hidden class changes)
  const nodes: NodeCtx[] = nodeContexts(spec, vipPools, peersOfRack, clusterOf);

  const devices: PlanDevice[] = [];
  const segments: PlanSegment[] = [];
  const sessions: PlanSession[] = [];
  const switchIfaces = new Map<string, PlanDevice["interfaces"]>();
  const ifacesOf = (sw: SwitchSpec) => {
    if (!switchIfaces.has(sw.name)) {
      const lb = switchLoopback(spec, sw)!;
      switchIfaces.set(sw.name, [{ name: "lo", addresses: [{ family: family(lb), address: lb, cidr: `${lb}/${hostLength(family(lb))}` }] }]);
    }
    return switchIfaces.get(sw.name)!;
  };
  const timers = { keepalive: bgp.keepalive, hold: bgp.hold, connectRetry: bgp.connectRetry };
  const bfd = { enabled: bgp.bfd.enabled, intervalMs: bgp.bfd.intervalMs, multiplier: bgp.bfd.multiplier };
  const gracefulRestart = { enabled: bgp.gracefulRestart, restartTime: bgp.restartTime };

  const unnumbered = spec.fabric?.unnumbered === true;
  // rack segments, node devices and node-uplink sessions
  // the node's speaker decides BFD and the failover the uplink sessions promise
  const speakers = nodeSpeakers(spec);
  // one BFD and failover per speaker (sessions share them: the plan is read-only once built)
  const uplinkOf = new Map<BgpSpeaker, ReturnType<typeof speakerSession>>();
  const protocolNames = ["uplink0", "uplink1"];
  const sharedNodeAsns = spec.topology === "spineLeaf" && nodeScheme(spec) === NodeAsnScheme.shared;
  const nodesOfRack = new Map<RackSpec, NodeCtx[]>(spec.racks.map((r) => [r, []]));
  for (const n of nodes) nodesOfRack.get(n.rack)!.push(n);
  for (const rack of [...spec.racks].sort((a, b) => a.id - b.id)) {
    // an IPv6-only rack in the IPv4 projection: no network, no nodes, nothing on its leaves
    if (rack.nodeNetwork === undefined) continue;
    const rackNodes = nodesOfRack.get(rack)!;
    const peers = peersOfRack.get(rack)!;
    const peerAddresses = peers.map((_, k) => rackPeerAddress(rack, k)!);
    const peerAsns = peers.map((sw) => switchAsn(spec, sw)!);
    const len = prefixLength(rack.nodeNetwork);
    const fam = family(rack.nodeNetwork);
    const segName = `rack-${rack.name}`;
    const peerIface = `rack${rack.id}`;
    const segment: PlanSegment = { name: segName, kind: "rack", family: fam, prefix: rack.nodeNetwork, members: [] };
    // every node of the rack has this default route (one object: the plan is read-only once built)
    const defaultRoute = { family: fam, prefix: fam === "ipv4" ? "0.0.0.0/0" : "::/0", nextHops: peerAddresses };
    for (let k = 0; k < peers.length; k++) {
      const sw = peers[k];
      const addr = rackPeerAddress(rack, k)!;
      ifacesOf(sw).push({ name: peerIface, segment: segName, addresses: [{ family: fam, address: addr, cidr: `${addr}/${len}` }] });
      segment.members.push({ device: sw.name, interface: peerIface, address: addr });
    }
    for (const n of rackNodes) {
      segment.members.push({ device: n.spec.name, interface: "eth0", address: n.address });
      devices.push({
        name: n.spec.name,
        kind: "node",
        role: n.spec.role ?? NodeRole.worker,
        rack: rack.name,
        ...(n.cluster ? { cluster: n.cluster } : {}),
        asn: n.asn,
        routerId: n.address,
        interfaces: [{ name: "eth0", segment: segName, addresses: [{ family: fam, address: n.address, cidr: `${n.address}/${len}` }] }],
        staticRoutes: [defaultRoute],
      });
      const speaker = speakers.get(n.spec.name) ?? BgpSpeaker.bird;
      let uplink = uplinkOf.get(speaker);
      if (uplink === undefined) uplinkOf.set(speaker, (uplink = speakerSession(speaker, bfd, timers, gracefulRestart)));
      // a closure, not a loop of this function: a session gets optional fields after it is made
      // (new hidden classes, dropped between calls), whose code is then thrown away; in a closure
      // that is a small one, not this long one
      peers.forEach((sw, k) => {
        const swAsn = peerAsns[k];
        const session: PlanSession = {
          id: `${n.spec.name}--${sw.name}`,
          kind: "node-uplink",
          family: fam,
          type: swAsn === n.asn ? "ibgp" : "ebgp",
          a: { device: n.spec.name, address: n.address, asn: n.asn, interface: "eth0" },
          b: { device: sw.name, address: peerAddresses[k], asn: swAsn, interface: peerIface },
          nodeProtocol: protocolNames[k] ?? `uplink${k}`,
          timers,
          bfd: uplink!.bfd,
          speaker,
          failover: uplink!.failover,
          gracefulRestart,
        };
        // the optional fields assigned in this order, as the plan has always listed them (no spread copies: 8,000 sessions)
        if (bgp.passwordRef) session.passwordRef = bgp.passwordRef;
        session.maxPrefix = n.announcements.length + bgp.maxPrefixSlack;
        if (sharedNodeAsns) session.allowasIn = 1;
        const core = spec.topology === "threeTier" && sw.role === SwitchRole.core;
        // three-tier: the cores reflect node routes to each other, so racks on other cores are reached too
        if (core) session.routeReflectorClient = true;
        // unnumbered core mesh: the core tags the node's routes with its rack (see ownRackPreference)
        if (core && unnumbered) session.rackTag = rackTag(swAsn, rack.id);
        sessions.push(session);
      });
    }
    segments.push(segment);
  }

  // switch-to-switch links: leaf–spine, core–core
  const fabricPairs: { a: SwitchSpec; b: SwitchSpec; kind: PlanSession["kind"] }[] = [];
  const sorted = [...spec.switches].sort((a, b) => a.id - b.id);
  if (spec.topology === "spineLeaf") {
    const spines = sorted.filter((s) => s.role === SwitchRole.spine);
    for (const leaf of sorted.filter((s) => s.role === SwitchRole.leaf)) for (const spine of spines) fabricPairs.push({ a: leaf, b: spine, kind: "leaf-spine" });
  } else {
    const cores = sorted.filter((s) => s.role === SwitchRole.core);
    for (let i = 0; i < cores.length; i++) for (let j = i + 1; j < cores.length; j++) fabricPairs.push({ a: cores[i], b: cores[j], kind: "core-mesh" });
  }
  for (const { a, b, kind } of fabricPairs) {
    // numbered: the pair's /31 (/127); unnumbered: each end's link-local address on fe80::/64
    const prefix = unnumbered ? UNNUMBERED_LINK_PREFIX : linkPrefix(spec, a.id, b.id)!;
    const fam = family(prefix);
    const len = prefixLength(prefix);
    const [addrA, addrB] = unnumbered
      ? [unnumberedAddress(a.id)!, unnumberedAddress(b.id)!]
      : a.id < b.id
        ? [nthAddress(prefix, 0)!, nthAddress(prefix, 1)!]
        : [nthAddress(prefix, 1)!, nthAddress(prefix, 0)!];
    const ifA = `fab${b.id}`;
    const ifB = `fab${a.id}`;
    const segName = `link-${a.name}--${b.name}`;
    ifacesOf(a).push({ name: ifA, segment: segName, addresses: [{ family: fam, address: addrA, cidr: `${addrA}/${len}` }] });
    ifacesOf(b).push({ name: ifB, segment: segName, addresses: [{ family: fam, address: addrB, cidr: `${addrB}/${len}` }] });
    segments.push({
      name: segName,
      kind: "p2p",
      family: fam,
      prefix,
      members: [
        { device: a.name, interface: ifA, address: addrA },
        { device: b.name, interface: ifB, address: addrB },
      ],
    });
    const asnA = switchAsn(spec, a)!;
    const asnB = switchAsn(spec, b)!;
    // leaves of a pair share an ASN: they accept each other's own routes (loopbacks) over the spines
    const ownOrigin = kind === "leaf-spine" ? [a, b].filter((x) => x.role === SwitchRole.leaf && sharesAsn(x)).map((x) => x.name) : [];
    // the family this data center (projection) carries: its loopbacks'
    const carried = family(spec.pools.loopbacks);
    sessions.push({
      id: `${a.name}--${b.name}`,
      kind,
      family: fam,
      ...(unnumbered ? { families: [carried], ...(carried === "ipv4" ? { extendedNextHop: true } : {}), unnumbered: true } : {}),
      type: asnA === asnB ? "ibgp" : "ebgp",
      a: { device: a.name, address: addrA, asn: asnA, interface: ifA },
      b: { device: b.name, address: addrB, asn: asnB, interface: ifB },
      timers,
      bfd,
      gracefulRestart,
      ...(ownOrigin.length > 0 ? { acceptOwnOrigin: ownOrigin } : {}),
      ...(kind === "core-mesh" ? { nextHopSelf: true, addPathTxAll: true } : {}),
      ...(kind === "core-mesh" && unnumbered ? { ownRackPreference: OWN_RACK_LOCAL_PREFERENCE } : {}),
    });
  }

  // the clusters and upstreams (the way out)
  const clusters: PlanCluster[] = (spec.clusters ?? []).map((c) => {
    const cidrs: string[] = [];
    for (const n of nodes) if (n.cluster === c.name) cidrs.push(n.podCIDR);
    const supernets = aggregate(cidrs);
    // the supernets cover exactly the PodCIDRs: checking them (after the first PodCIDR, the
    // starting candidate) gives the same covering prefix as checking every PodCIDR, much faster
    const cover = cidrs.length > 0 ? coveringPrefix([cidrs[0], ...supernets]) : undefined;
    return {
      name: c.name,
      id: c.id,
      nodes: [...c.nodes],
      podCIDRs: prefixEntries(cidrs),
      supernets: prefixEntries(supernets),
      ...(cover ? { coveringPrefix: { family: family(cover), prefix: cover } } : {}),
    };
  });
  const upstreams = resolveUpstreams(spec, bgp, clusters, vipPools, (name) => switchAsn(spec, switchByName.get(name)!)!);
  for (const u of upstreams)
    for (const l of u.links) {
      const len = l.prefix.split("/")[1];
      ifacesOf(switchByName.get(l.switch)!).push({ name: l.interface, segment: l.id, addresses: [{ family: l.family, address: l.address, cidr: `${l.address}/${len}` }] });
    }

  for (const sw of sorted) {
    devices.push({
      name: sw.name,
      kind: "switch",
      role: sw.role,
      ...(sw.rack ? { rack: sw.rack } : {}),
      dialect: sw.dialect ?? "frr",
      asn: switchAsn(spec, sw)!,
      routerId: switchLoopback(spec, sw)!,
      interfaces: ifacesOf(sw),
      staticRoutes: [],
      maxPaths: sw.maxPaths ?? 16,
    });
  }

  const planNodes: PlanNode[] = [];
  for (const n of nodes) planNodes.push({ name: n.spec.name, podCIDR: { family: family(n.podCIDR), prefix: n.podCIDR }, announcements: n.announcements });

  const underlay = computeUnderlay({
    spec,
    family,
    loopbackOf: new Map(sorted.map((sw) => [sw.name, switchLoopback(spec, sw)!])),
    rackNetworks: [...spec.racks].filter((r) => r.nodeNetwork !== undefined).sort((a, b) => a.id - b.id).map((r) => ({ prefix: r.nodeNetwork!, switches: peersOfRack.get(r)!.map((sw) => sw.name) })),
    sessions,
    upstreams,
    knownRoutes: () => nodes.flatMap((n) => n.announcements.map((a) => a.prefix)),
  });
  const ctx = switchContext(spec, nodes, sessions, vipPools, family, underlay, upstreams);
  const switches = sorted.map((sw) => planSwitch(ctx, sw));
  // the shared lists some group refers to
  const used = new Set<string>();
  for (const sw of switches) for (const g of sw.expectedRoutes) if (g.set !== undefined) used.add(g.set);
  const prefixSets = (ctx.leafSets ?? []).filter((set) => used.has(set.name));

  return {
    version: 1,
    name: spec.name,
    topology: spec.topology,
    devices: switchesThenNodes(devices),
    segments,
    sessions,
    nodes: planNodes,
    switches,
    vipPools,
    clusters,
    upstreams,
    pools: {
      podCidr: { family: family(spec.pools.podCidr.cidr), prefix: spec.pools.podCidr.cidr },
      podPrefixLength: spec.pools.podCidr.prefixLength,
      loopbacks: { family: family(spec.pools.loopbacks), prefix: spec.pools.loopbacks },
      ...(spec.pools.fabricLinks !== undefined ? { fabricLinks: { family: family(spec.pools.fabricLinks), prefix: spec.pools.fabricLinks } } : {}),
    },
    ...(prefixSets.length > 0 ? { prefixSets } : {}),
  };
}

/** `nodeContext` of every node, racks in spec order, then nodes in rack order. */
function nodeContexts(spec: DataCenterSpec, vipPools: PlanVipPool[], peersOfRack: Map<RackSpec, SwitchSpec[]>, clusterOf: Map<string, string>): NodeCtx[] {
  const nodes: NodeCtx[] = [];
  for (const rack of spec.racks) for (const node of rack.nodes) nodes.push(nodeContext(spec, rack, node, vipPools, peersOfRack, clusterOf));
  return nodes;
}

/** A node of the spec with what the plan derives for it: address, PodCIDR, ASN, peers, cluster, announcements. */
function nodeContext(
  spec: DataCenterSpec,
  rack: RackSpec,
  node: NodeSpec,
  vipPools: PlanVipPool[],
  peersOfRack: Map<RackSpec, SwitchSpec[]>,
  clusterOf: Map<string, string>,
): NodeCtx {
  const podCIDR = node.podCIDR ?? allocatedPodCidr(spec, rack, node)!;
  const podFamily = familyOrIpv4(podCIDR);
  const announcements: PlanAnnouncement[] = [{ family: podFamily, prefix: podCIDR, kind: "podCIDR" }];
  if ((node.role ?? NodeRole.worker) === NodeRole.l4lb) {
    for (const pool of vipPools) {
      if (!pool.announcers.includes(node.name)) continue;
      for (const a of pool.addresses) announcements.push({ family: pool.family, prefix: `${a}/${hostLength(pool.family)}`, kind: "vip", pool: pool.name });
    }
  }
  return {
    spec: node,
    address: node.address!,
    rack,
    podCIDR,
    podFamily,
    asn: nodeAsn(spec, rack, node)!,
    peers: peersOfRack.get(rack)!,
    cluster: clusterOf.get(node.name),
    announcements,
  };
}

/** `{ family, prefix }` of each prefix, in order. */
function prefixEntries(prefixes: string[]): { family: Family; prefix: string }[] {
  const out: { family: Family; prefix: string }[] = [];
  for (const p of prefixes) out.push({ family: familyOrIpv4(p), prefix: p });
  return out;
}

/** The switches, then the nodes, each in their order. */
function switchesThenNodes(devices: PlanDevice[]): PlanDevice[] {
  const out: PlanDevice[] = [];
  for (const d of devices) if (d.kind === "switch") out.push(d);
  for (const d of devices) if (d.kind === "node") out.push(d);
  return out;
}

/**
 * Local preference a core gives the other cores' copies of its own racks' routes on an unnumbered
 * mesh (`PlanSession.ownRackPreference`): below BGP's default 100, so they are only a backup.
 */
export const OWN_RACK_LOCAL_PREFERENCE = 90;

/** The large community naming a node's rack on an unnumbered three-tier mesh (`PlanSession.rackTag`). */
export function rackTag(asn: number, rackId: number): string {
  return `${asn}:1:${rackId}`;
}

/**
 * `familyOf(p) ?? "ipv4"` (familyOf is memoized). One function for every resolve() call, never a
 * closure made per call: optimized code that inlined a per-call closure is thrown away once the
 * closure dies (V8 deoptimizes it at the next full garbage collection) and compiled again at the
 * next call, ~100 ms of compiling per call of a 4,000-node plan.
 */
function familyOrIpv4(p: string): Family {
  return familyOf(p) ?? "ipv4";
}

/** Indexes shared by every `planSwitch` call (built once: a data center has thousands of nodes). */
interface SwitchContext {
  spec: DataCenterSpec;
  nodes: NodeCtx[];
  vipPools: PlanVipPool[];
  family: (p: string) => Family;
  prefixLength: (p: string) => number;
  nodeByName: Map<string, NodeCtx>;
  switchByName: Map<string, SwitchSpec>;
  /** Sessions with the device at either end, in plan order. */
  sessionsOf: Map<string, PlanSession[]>;
  /** Nodes peering with the switch, in node order. */
  directOf: Map<string, NodeCtx[]>;
  /** Nodes announcing at least one VIP, in node order. */
  vipNodes: NodeCtx[];
  /** `distinctVips()`, built at the first leaf without a VIP announcer. */
  distinctVips?: PlanAnnouncement[];
  /** `leafSets()`, built at the first leaf sharing them. */
  leafSets?: PlanPrefixSet[];
  /** Position of each prefix in its family's `leafSets` list. */
  leafSetIndex: Map<Family, Map<string, number>>;
  /** Cache of `remotePodCidrs()`, keyed by the names of the direct nodes. */
  remotePodCidrs: Map<string, Map<Family, string[]>>;
  /** Underlay prefixes: origination, routes and fabric filter entries per switch. */
  underlay: Underlay;
  /** `fabricFilter()`, built once. */
  fabricFilter?: PlanPrefixFilterEntry[];
  /** Fabric inbound entries per underlay list (see `fabricEntries`). */
  fabricEntries: Map<PlanPrefixFilterEntry[], PlanPrefixFilterEntry[]>;
  /** Inbound entries from each node (both of its switches share them). */
  nodeFilters: Map<NodeCtx, PlanPrefixFilterEntry[]>;
  upstreams: PlanUpstream[];
}

function switchContext(
  spec: DataCenterSpec,
  nodes: NodeCtx[],
  sessions: PlanSession[],
  vipPools: PlanVipPool[],
  family: (p: string) => Family,
  underlay: Underlay,
  upstreams: PlanUpstream[],
): SwitchContext {
  const sessionsOf = new Map<string, PlanSession[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const s of sessions) {
    push(sessionsOf, s.a.device, s);
    if (s.b.device !== s.a.device) push(sessionsOf, s.b.device, s);
  }
  const directOf = new Map<string, NodeCtx[]>();
  for (const n of nodes) for (const name of new Set(n.peers.map((p) => p.name))) push(directOf, name, n);
  return {
    spec,
    nodes,
    vipPools,
    family,
    prefixLength,
    nodeByName: new Map(nodes.map((n) => [n.spec.name, n])),
    // first switch of a name wins, as `spec.switches.find` did (names are unique once validated)
    switchByName: new Map([...spec.switches].reverse().map((s) => [s.name, s])),
    sessionsOf,
    directOf,
    remotePodCidrs: new Map(),
    leafSetIndex: new Map(),
    underlay,
    fabricEntries: new Map(),
    nodeFilters: new Map(),
    upstreams,
    vipNodes: nodes.filter((n) => n.announcements.some((a) => a.kind === "vip")),
    // filled later, present from the start: an object given properties after it is made gets a
    // new hidden class that V8 drops once no object has it, throwing away the code built for it
    distinctVips: undefined,
    leafSets: undefined,
    fabricFilter: undefined,
  };
}

/** Filters every node announcement may pass: pool-bounded, for fabric sessions. */
function fabricFilter(ctx: SwitchContext): PlanPrefixFilterEntry[] {
  const pod = ctx.spec.pools.podCidr;
  return [
    { family: ctx.family(pod.cidr), prefix: pod.cidr, ge: pod.prefixLength, le: pod.prefixLength },
    ...ctx.vipPools.map((v) => ({ family: v.family, prefix: v.cidr, ge: hostLength(v.family), le: hostLength(v.family) })),
  ];
}

/**
 * Inbound entries toward a fabric peer: the pool-bounded node prefixes, then the underlay
 * expected over that peer. Arrays and entry objects are shared (the plan is read-only once
 * built): peers with the same underlay list get the same array.
 */
function fabricEntries(ctx: SwitchContext, underlay: PlanPrefixFilterEntry[] | undefined): PlanPrefixFilterEntry[] {
  ctx.fabricFilter ??= fabricFilter(ctx);
  if (!underlay || underlay.length === 0) return ctx.fabricFilter;
  let entries = ctx.fabricEntries.get(underlay);
  if (!entries) ctx.fabricEntries.set(underlay, (entries = [...ctx.fabricFilter, ...underlay]));
  return entries;
}

/** What a switch accepts from a node: its PodCIDR and its VIP pools (one shared array per node). */
function nodeFilter(ctx: SwitchContext, n: NodeCtx): PlanPrefixFilterEntry[] {
  let entries = ctx.nodeFilters.get(n);
  if (!entries) ctx.nodeFilters.set(n, (entries = buildNodeFilter(ctx, n)));
  return entries;
}

function buildNodeFilter(ctx: SwitchContext, n: NodeCtx): PlanPrefixFilterEntry[] {
  const len = ctx.prefixLength(n.podCIDR);
  const entries: PlanPrefixFilterEntry[] = [{ family: ctx.family(n.podCIDR), prefix: n.podCIDR, ge: len, le: len }];
  for (const v of ctx.vipPools) if (n.announcements.some((a) => a.pool === v.name)) entries.push({ family: v.family, prefix: v.cidr, ge: hostLength(v.family), le: hostLength(v.family) });
  return entries;
}

function planSwitch(ctx: SwitchContext, sw: SwitchSpec): PlanSwitch {
  const { spec, nodes } = ctx;
  const inboundFilters: PlanSwitch["inboundFilters"] = [];
  const mine = ctx.sessionsOf.get(sw.name) ?? [];
  for (const s of mine) {
    const other = s.a.device === sw.name ? s.b : s.a;
    const node = ctx.nodeByName.get(other.device);
    inboundFilters.push({ neighbor: other.address, device: other.device, entries: node ? nodeFilter(ctx, node) : fabricEntries(ctx, ctx.underlay.inbound.get(sw.name)?.get(other.device)) });
  }
  for (const u of ctx.upstreams) for (const l of u.links) if (l.switch === sw.name) inboundFilters.push({ neighbor: l.peerAddress, device: u.name, entries: u.accept });
  const routes = new RouteCollector(ctx.family);
  const direct = ctx.directOf.get(sw.name) ?? [];
  for (const n of direct) {
    const hop = [{ address: n.address, device: n.spec.name }];
    for (const a of n.announcements) routes.add(a, hop);
  }
  if (spec.topology === "spineLeaf") {
    const fabricEnds: PlanSession["a"][] = [];
    for (const s of mine) if (s.kind === "leaf-spine") fabricEnds.push(s.a.device === sw.name ? s.b : s.a);
    if (sw.role === SwitchRole.spine) {
      // every node prefix over both leaves of the node's rack
      const leavesOfRack = new Map<string, Hop[]>();
      for (const e of fabricEnds) {
        const rack = ctx.switchByName.get(e.device)!.rack!;
        leavesOfRack.set(rack, [...(leavesOfRack.get(rack) ?? []), { address: e.address, device: e.device }]);
      }
      for (const n of nodes) {
        const hops = leavesOfRack.get(n.rack.name);
        if (hops) for (const a of n.announcements) routes.add(a, hops);
      }
    } else if (sw.role === SwitchRole.leaf) {
      // other racks' prefixes over every spine; a locally announced VIP wins (shorter AS path)
      const directSet = new Set(direct);
      const spines: Hop[] = fabricEnds.map((e) => ({ address: e.address, device: e.device }));
      const shared = ctx.underlay.shared.get(sw.name);
      if (shared) {
        // every PodCIDR and the shared underlay (one list per family for all leaves), but the leaf's own
        // the leaf's PodCIDRs first (node order), then its rack network and loopback: in the
        // list's order as a rule, sorted by position only when not
        const own = new Set<string>();
        for (const n of direct) own.add(n.podCIDR);
        for (const p of shared.except) own.add(p);
        for (const set of leafSets(ctx)) {
          const index = ctx.leafSetIndex.get(set.family)!;
          const except: string[] = [];
          let ordered = true;
          let last = -1;
          for (const p of own) {
            const at = index.get(p);
            if (at === undefined) continue;
            if (at < last) ordered = false;
            last = at;
            except.push(p);
          }
          if (!ordered) except.sort((x, y) => index.get(x)! - index.get(y)!);
          routes.addSet(set.family, spines, set.name, except);
        }
      }
      // PodCIDRs of every node not attached to this leaf, in node order (shared by the rack's leaves)
      else for (const [family, prefixes] of remotePodCidrs(ctx, direct)) routes.addMany(family, spines, prefixes);
      // no VIP announcer on this leaf: each VIP once over the spines, in order of first announcer
      if (!ctx.vipNodes.some((n) => directSet.has(n))) for (const a of distinctVips(ctx)) routes.add(a, spines);
      else
        for (const n of ctx.vipNodes) {
          if (directSet.has(n)) continue;
          for (const a of n.announcements) if (a.kind === "vip" && !routes.has(a)) routes.add(a, spines);
        }
    }
  } else if (sw.role === SwitchRole.core) {
    // route reflection (RFC 4456): every other node's prefixes, reflected by the cores on its rack;
    // BGP keeps the node as next hop, the kernel reaches it over those cores (their rack network)
    const directSet = new Set(direct);
    // over extended next hop (an unnumbered mesh, IPv4) a reflected route's BGP next hop is the
    // reflecting core's link-local address, not the node's: BGP and kernel next hops are the cores
    const meshHop = new Map<string, Hop>();
    let overCores = false;
    for (const s of mine)
      if (s.kind === "core-mesh") {
        const o = s.a.device === sw.name ? s.b : s.a;
        meshHop.set(o.device, { address: o.address, device: o.device });
        if (s.extendedNextHop) overCores = true;
      }
    const fibOf = new Map<RackSpec, Hop[]>();
    for (const n of nodes) {
      if (directSet.has(n)) continue;
      let fib = fibOf.get(n.rack);
      if (!fib) fibOf.set(n.rack, (fib = n.peers.filter((p) => meshHop.has(p.name)).map((p) => meshHop.get(p.name)!)));
      if (fib.length === 0) continue;
      // VIPs: ECMP over every announcer of the data center (the mesh carries all paths: add-path);
      // the other cores' copies of a directly peered node's path lose (ownRackPreference)
      if (overCores) for (const a of n.announcements) routes.add(a, fib);
      else {
        const hop = [{ address: n.address, device: n.spec.name }];
        for (const a of n.announcements) routes.add(a, hop, fib);
      }
    }
  }
  // underlay routes share a handful of next-hop lists (the same array object per list)
  const byHops = new Map<Hop[], Map<Family, string[]>>();
  for (const r of ctx.underlay.routes.get(sw.name) ?? []) {
    let byFamily = byHops.get(r.hops);
    if (!byFamily) byHops.set(r.hops, (byFamily = new Map()));
    const list = byFamily.get(r.family);
    if (list) list.push(r.prefix);
    else byFamily.set(r.family, [r.prefix]);
  }
  for (const [hops, byFamily] of byHops) for (const [family, prefixes] of byFamily) routes.addMany(family, hops, prefixes);
  return { name: sw.name, originates: ctx.underlay.originates.get(sw.name) ?? [], inboundFilters, expectedRoutes: routes.groups() };
}

/** The VIP announcements of `vipNodes`, the first of each prefix, in node order (built once). */
function distinctVips(ctx: SwitchContext): PlanAnnouncement[] {
  if (ctx.distinctVips) return ctx.distinctVips;
  const seen = new Set<string>();
  ctx.distinctVips = [];
  for (const n of ctx.vipNodes)
    for (const a of n.announcements)
      if (a.kind === "vip" && !seen.has(a.prefix)) {
        seen.add(a.prefix);
        ctx.distinctVips.push(a);
      }
  return ctx.distinctVips;
}

/**
 * The prefix lists every leaf sharing the underlay holds over its spines (but its own), one per
 * family: every node's PodCIDR in node order, then `Underlay.leafRoutes`. Built at the first leaf.
 */
function leafSets(ctx: SwitchContext): PlanPrefixSet[] {
  if (ctx.leafSets) return ctx.leafSets;
  const byFamily = new Map<Family, string[]>();
  for (const n of ctx.nodes) pushLeafSetPrefix(ctx, byFamily, n.podFamily, n.podCIDR);
  for (const r of ctx.underlay.leafRoutes) pushLeafSetPrefix(ctx, byFamily, r.family, r.prefix);
  ctx.leafSets = [...byFamily].map(([family, prefixes]) => ({ name: `leaf-routes-${family}`, family, prefixes }));
  return ctx.leafSets;
}

/** Append `p` to its family's leaf list once, recording its position in `ctx.leafSetIndex`. */
function pushLeafSetPrefix(ctx: SwitchContext, byFamily: Map<Family, string[]>, f: Family, p: string): void {
  let list = byFamily.get(f);
  if (!list) byFamily.set(f, (list = []));
  let index = ctx.leafSetIndex.get(f);
  if (!index) ctx.leafSetIndex.set(f, (index = new Map()));
  if (index.has(p)) return;
  index.set(p, list.length);
  list.push(p);
}

/** PodCIDRs of every node outside `direct`, by family, in node order; cached per set of direct nodes. */
function remotePodCidrs(ctx: SwitchContext, direct: NodeCtx[]): Map<Family, string[]> {
  const key = direct.map((n) => n.spec.name).join(" ");
  let cached = ctx.remotePodCidrs.get(key);
  if (!cached) {
    const directSet = new Set(direct);
    cached = new Map<Family, string[]>();
    for (const n of ctx.nodes) {
      if (directSet.has(n)) continue;
      const family = n.podFamily;
      const list = cached.get(family);
      if (list) list.push(n.podCIDR);
      else cached.set(family, [n.podCIDR]);
    }
    ctx.remotePodCidrs.set(key, cached);
  }
  return cached;
}
