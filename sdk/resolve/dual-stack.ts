/**
 * Dual-stack: a data center with IPv6 pools beside the IPv4 ones. It is resolved as two
 * single-family data centers with the same racks, nodes, switches, ids and ASNs — the IPv4
 * projection (the spec without its IPv6 fields) and the IPv6 projection (the IPv6 fields in the
 * places of the IPv4 ones) — so every allocation rule, session, filter, underlay prefix and
 * expected route is the IPv4 one applied to the IPv6 pools; the two plans are then merged
 * device by device. An IPv4-only spec never comes here: its plan is byte-identical.
 */
import { DataCenterSpec, NodeSessionFamilies } from "../spec/types";
import { Family, Plan, PlanSession, PlanSwitch } from "../plan/types";
import { withDefaults } from "./defaults";
import { derivedRouterId } from "./allocate";
import { familyOf } from "../net/prefix";
import { sessionFamilies } from "../plan/sessions";

/** Default IPv6 PodCIDR length (Kubernetes' node CIDR allocator). */
export const DEFAULT_POD_PREFIX_LENGTH6 = 64;

/** Suffix of the IPv6 twin of a session id. */
export const V6_SESSION_SUFFIX = "--v6";
/** Suffix of the IPv6 twin of a node's BGP protocol name. */
export const V6_PROTOCOL_SUFFIX = "_v6";

/** True when the spec sets any IPv6 field (pool, rack network, node address or pin). */
export function isDualStack(spec: DataCenterSpec): boolean {
  const p = spec.pools;
  if (p.podCidr6 !== undefined || p.loopbacks6 !== undefined || p.fabricLinks6 !== undefined) return true;
  if (spec.switches.some((s) => s.loopback6 !== undefined)) return true;
  for (const r of spec.racks) {
    if (r.nodeNetwork6 !== undefined) return true;
    for (const n of r.nodes) if (n.address6 !== undefined || n.podCIDR6 !== undefined) return true;
  }
  return false;
}

const familyOrV4 = (p: string): Family => familyOf(p) ?? "ipv4";

/** Family of an upstream: that of its first link (one family per upstream is a rule). */
function upstreamFamily(u: NonNullable<DataCenterSpec["upstreams"]>[number]): Family {
  return u.links.length > 0 ? familyOrV4(u.links[0].address) : "ipv4";
}

/** Index maps from a projection's VIP pools / upstreams to the spec's. */
export interface Projection {
  spec: DataCenterSpec;
  vipIndex: number[];
  upstreamIndex: number[];
}

function pick<T>(list: T[] | undefined, keep: (t: T) => boolean): { list: T[] | undefined; index: number[] } {
  if (!list) return { list, index: [] };
  const index = list.flatMap((t, i) => (keep(t) ? [i] : []));
  return { list: index.map((i) => list[i]), index };
}

/**
 * The IPv4 data center: the spec without IPv6 fields, IPv6 VIP pools and IPv6 upstreams. An
 * IPv6-only rack stays (its leaves keep their rack and ASN) without network and nodes; its nodes
 * leave the clusters and VIP announcer lists too (validation refuses them there first).
 */
export function ipv4Projection(spec: DataCenterSpec): Projection {
  const vips = pick(spec.pools.vips, (v) => familyOrV4(v.cidr) === "ipv4");
  const ups = pick(spec.upstreams, (u) => upstreamFamily(u) === "ipv4");
  const { podCidr6: _p, loopbacks6: _l, fabricLinks6: _f, ...pools } = spec.pools;
  void _p, void _l, void _f;
  const v6Only = new Set(spec.racks.filter((r) => r.nodeNetwork === undefined).flatMap((r) => r.nodes.map((n) => n.name)));
  const keep = (names: string[]) => names.filter((n) => !v6Only.has(n));
  const vipList = v6Only.size === 0 || !vips.list ? vips.list : vips.list.map((v) => (v.announcers ? { ...v, announcers: keep(v.announcers) } : v));
  const out: DataCenterSpec = {
    ...spec,
    pools: { ...pools, ...(vipList ? { vips: vipList } : {}) },
    switches: spec.switches.map(({ loopback6: _x, ...s }) => (void _x, s)),
    racks: spec.racks.map(({ nodeNetwork6: _x, ...r }) =>
      (void _x, r.nodeNetwork === undefined ? { ...r, nodes: [] } : { ...r, nodes: r.nodes.map(({ address6: _a, podCIDR6: _c, ...n }) => (void _a, void _c, n)) }),
    ),
    ...(v6Only.size > 0 && spec.clusters ? { clusters: spec.clusters.map((c) => ({ ...c, nodes: keep(c.nodes) })) } : {}),
    ...(ups.list ? { upstreams: ups.list } : {}),
  };
  return { spec: out, vipIndex: vips.index, upstreamIndex: ups.index };
}

/** The IPv6 data center: the IPv6 fields in the places of the IPv4 ones (callers check they are all set). */
export function ipv6Projection(spec: DataCenterSpec): Projection {
  const vips = pick(spec.pools.vips, (v) => familyOrV4(v.cidr) === "ipv6");
  const ups = pick(spec.upstreams, (u) => upstreamFamily(u) === "ipv6");
  const p = spec.pools;
  const out: DataCenterSpec = {
    ...spec,
    pools: {
      podCidr: {
        cidr: p.podCidr6!.cidr,
        prefixLength: p.podCidr6!.prefixLength ?? DEFAULT_POD_PREFIX_LENGTH6,
        ...(p.podCidr.perRack !== undefined ? { perRack: p.podCidr.perRack } : {}),
      },
      loopbacks: p.loopbacks6!,
      ...(p.fabricLinks6 !== undefined ? { fabricLinks: p.fabricLinks6 } : {}),
      ...(vips.list ? { vips: vips.list } : {}),
    },
    switches: spec.switches.map(({ loopback: _l, loopback6, ...s }) => (void _l, { ...s, ...(loopback6 !== undefined ? { loopback: loopback6 } : {}) })),
    racks: spec.racks.map(({ nodeNetwork: _n, nodeNetwork6, ...r }) => {
      void _n;
      return {
        ...r,
        nodeNetwork: nodeNetwork6!,
        nodes: r.nodes.map(({ address: _a, podCIDR: _c, address6, podCIDR6, ...n }) => {
          void _a, void _c;
          return { ...n, address: address6!, ...(podCIDR6 !== undefined ? { podCIDR: podCIDR6 } : {}) };
        }),
      };
    }),
    ...(ups.list ? { upstreams: ups.list } : {}),
  };
  return { spec: out, vipIndex: vips.index, upstreamIndex: ups.index };
}

/**
 * Merge the plan of the IPv6 projection into that of the IPv4 one: IPv6 addresses join the same
 * interfaces, IPv6 sessions follow the IPv4 ones of their kind (ids `<id>--v6`, node protocols
 * `<name>_v6`), filters, originations and expected routes are appended per switch, VIP pools and
 * upstreams keep spec order. Router ids stay the IPv4 ones.
 */
export function mergeDualStack(spec: DataCenterSpec, p4: Plan, p6: Plan): Plan {
  const dev6 = new Map(p6.devices.map((d) => [d.name, d]));
  const devices = p4.devices.map((d) => {
    const o = dev6.get(d.name);
    if (!o) return d;
    const interfaces = d.interfaces.map((i) => ({ ...i, addresses: [...i.addresses] }));
    for (const i of o.interfaces) {
      const same = interfaces.find((x) => x.name === i.name);
      // an unnumbered link has the same link-local address in both halves
      if (same) same.addresses.push(...i.addresses.filter((a) => !same.addresses.some((x) => x.cidr === a.cidr)));
      else interfaces.push(i);
    }
    return { ...d, interfaces, staticRoutes: [...d.staticRoutes, ...o.staticRoutes] };
  });
  // the nodes of IPv6-only racks exist in the IPv6 half only: in its order, with derived router ids
  const only6 = onlyInIpv6(spec, p4, p6);
  if (only6.devices.size > 0) {
    const merged = new Map(devices.map((d) => [d.name, d]));
    devices.splice(0, devices.length, ...p6.devices.map((d) => merged.get(d.name) ?? { ...d, routerId: only6.devices.get(d.name)! }));
  }
  const seg6 = new Map(p6.segments.map((s) => [s.name, s]));
  const segments = p4.segments.map((s) => {
    const o = seg6.get(s.name);
    if (!o || o.prefix === s.prefix) return s; // unnumbered: the same link-local segment
    const addr6 = new Map(o.members.map((m) => [`${m.device} ${m.interface}`, m.address]));
    return {
      ...s,
      prefix6: o.prefix,
      members: s.members.map((m) => {
        const a = addr6.get(`${m.device} ${m.interface}`);
        return a === undefined ? m : { ...m, address6: a };
      }),
    };
  });
  for (const o of p6.segments) if (!p4.segments.some((s) => s.name === o.name)) segments.push(o);
  const twin = (s: PlanSession): PlanSession => ({
    ...s,
    id: `${s.id}${V6_SESSION_SUFFIX}`,
    ...(s.nodeProtocol ? { nodeProtocol: `${s.nodeProtocol}${V6_PROTOCOL_SUFFIX}` } : {}),
  });
  const uplink = (s: PlanSession) => s.kind === "node-uplink";
  // an unnumbered fabric session is one per link: the IPv6 half's adds its family to the IPv4 one
  const same6 = new Map(p6.sessions.filter((s) => s.unnumbered).map((s) => [s.id, s]));
  const fabric4 = p4.sessions.filter((s) => !uplink(s)).map((s) => (same6.has(s.id) ? { ...s, families: [...sessionFamilies(s), ...sessionFamilies(same6.get(s.id)!)] } : s));
  const fabric6 = p6.sessions.filter((s) => !uplink(s) && !s.unnumbered).map(twin);
  // one node session for both families (bgp.nodeSessions: ipv4 or ipv6)
  const single = singleNodeSessions(spec, p4, p6, twin);
  // the nodes of IPv6-only racks have their IPv6 sessions whatever nodeSessions says
  const uplinks = single
    ? [...single.sessions, ...(single.transport === "ipv4" ? p6.sessions.filter((s) => uplink(s) && only6.devices.has(s.a.device)).map(twin) : [])]
    : [...p4.sessions.filter(uplink), ...p6.sessions.filter(uplink).map(twin)];
  const sessions = [...uplinks, ...fabric4, ...fabric6];
  const node6 = new Map(p6.nodes.map((n) => [n.name, n]));
  const node4 = new Map(p4.nodes.map((n) => [n.name, n]));
  const nodes = (only6.devices.size > 0 ? p6.nodes.map((n) => node4.get(n.name) ?? n) : p4.nodes).map((n) => {
    const o = node6.get(n.name);
    // an IPv6-only node: its PodCIDR is the IPv6 one (podCIDR and podCIDR6 alike)
    if (!node4.has(n.name)) return { ...n, podCIDR6: n.podCIDR };
    return o ? { ...n, podCIDR6: o.podCIDR, announcements: [...n.announcements, ...o.announcements] } : n;
  });
  const sw6 = new Map(p6.switches.map((s) => [s.name, s]));
  const switches = p4.switches.map((s) => {
    const o = sw6.get(s.name);
    if (!o) return s;
    // one filter per neighbor: an unnumbered peer's IPv6 entries join its IPv4 ones, and a node's
    // other-family entries join its single session's filter
    const inboundFilters = s.inboundFilters.map((f) => (single ? single.filterOf(f) : f));
    const at = new Map(inboundFilters.map((f, i) => [`${f.device} ${f.neighbor}`, i]));
    for (const f0 of o.inboundFilters) {
      const f = single ? single.filterOf(f0) : f0;
      const i = at.get(`${f.device} ${f.neighbor}`);
      if (i === undefined) inboundFilters.push(f);
      else inboundFilters[i] = { ...inboundFilters[i], entries: [...inboundFilters[i].entries, ...f.entries] };
    }
    return {
      ...s,
      originates: [...s.originates, ...o.originates],
      inboundFilters,
      expectedRoutes: [...s.expectedRoutes, ...o.expectedRoutes],
    };
  });
  const specOrder = <T extends { name: string }>(names: string[], a: T[], b: T[]) => {
    const rank = new Map(names.map((n, i) => [n, i]));
    return [...a, ...b].sort((x, y) => (rank.get(x.name) ?? 0) - (rank.get(y.name) ?? 0));
  };
  const cl6 = new Map(p6.clusters.map((c) => [c.name, c]));
  // the members as the spec lists them: the IPv4 half leaves out nodes of IPv6-only racks (and
  // all the nodes of an IPv6-only cluster)
  const members = new Map((spec.clusters ?? []).map((c) => [c.name, c.nodes]));
  const clusters = p4.clusters.map((c) => {
    const o = cl6.get(c.name);
    if (!o) return c;
    return {
      ...c,
      nodes: [...(members.get(c.name) ?? c.nodes)],
      podCIDRs: [...c.podCIDRs, ...o.podCIDRs],
      supernets: [...c.supernets, ...o.supernets],
      ...(o.coveringPrefix ? { coveringPrefix6: o.coveringPrefix } : {}),
    };
  });
  return {
    ...p4,
    devices,
    segments,
    sessions,
    nodes,
    switches,
    vipPools: specOrder((spec.pools.vips ?? []).map((v) => v.name), p4.vipPools, p6.vipPools),
    clusters,
    upstreams: specOrder((spec.upstreams ?? []).map((u) => u.name), p4.upstreams, p6.upstreams),
    pools: {
      ...p4.pools,
      podCidr6: p6.pools.podCidr,
      podPrefixLength6: p6.pools.podPrefixLength,
      loopbacks6: p6.pools.loopbacks,
      fabricLinks6: p6.pools.fabricLinks,
    },
    // each half's shared lists (named by family, so they never collide)
    ...(p4.prefixSets || p6.prefixSets ? { prefixSets: [...(p4.prefixSets ?? []), ...(p6.prefixSets ?? [])] } : {}),
  };
}

/**
 * What only the IPv6 half has: the nodes of IPv6-only racks, each with its derived router id
 * (`derivedRouterId`: validation made sure it exists and is no other device's).
 */
function onlyInIpv6(spec: DataCenterSpec, p4: Plan, p6: Plan): { devices: Map<string, string> } {
  const in4 = new Set(p4.devices.map((d) => d.name));
  const devices = new Map<string, string>();
  if (p6.devices.every((d) => in4.has(d.name))) return { devices };
  for (const rack of spec.racks)
    if (rack.nodeNetwork === undefined) for (const node of rack.nodes) if (!in4.has(node.name)) devices.set(node.name, derivedRouterId(spec, rack, node)!);
  return { devices };
}

/**
 * `bgp.nodeSessions: ipv4` / `ipv6`: per node and switch one session of that family (the transport;
 * its id and BIRD protocol those of that family's session: `r1n2--leaf1a` / `r1n2--leaf1a--v6`)
 * carrying both families (`families`), the other family's routes with the node's address of that
 * family as next hop (BIRD's `next hop address`, so the expected routes of both families stay as
 * planned, and no extended next hop is needed on the shared rack network); max-prefix counts both
 * families' announcements; the switch's filter of the other family toward the node joins the
 * transport one at the node's transport address. A node of an IPv6-only rack keeps its IPv6
 * sessions (IPv6 only). Undefined for a session per family.
 */
function singleNodeSessions(spec: DataCenterSpec, p4: Plan, p6: Plan, twin: (s: PlanSession) => PlanSession) {
  const mode = spec.bgp?.nodeSessions ?? NodeSessionFamilies.perFamily;
  if (mode === NodeSessionFamilies.perFamily) return undefined;
  const transport: Family = mode === NodeSessionFamilies.ipv6 ? "ipv6" : "ipv4";
  const [carrier, other] = transport === "ipv4" ? [p4, p6] : [p6, p4];
  const otherById = new Map(other.sessions.filter((s) => s.kind === "node-uplink").map((s) => [s.id, s]));
  const slack = withDefaults(spec.bgp).maxPrefixSlack;
  const sessions = carrier.sessions
    .filter((s) => s.kind === "node-uplink")
    .map((s): PlanSession => {
      const o = otherById.get(s.id);
      const own = transport === "ipv6" ? twin(s) : s;
      if (!o) return own; // a node of an IPv6-only rack: IPv6 only
      return { ...own, families: ["ipv4", "ipv6"], ...(s.maxPrefix !== undefined && o.maxPrefix !== undefined ? { maxPrefix: s.maxPrefix + o.maxPrefix - slack } : {}) };
    });
  // a node's address of the other family → its transport one (on the same switch session)
  const transportOf = new Map<string, string>();
  for (const s of carrier.sessions) {
    const o = otherById.get(s.id);
    if (s.kind === "node-uplink" && o) transportOf.set(`${o.a.device} ${o.a.address}`, s.a.address);
  }
  const nodes = new Set(carrier.nodes.map((n) => n.name));
  const filterOf = (f: PlanSwitch["inboundFilters"][number]) => {
    const t = nodes.has(f.device) ? transportOf.get(`${f.device} ${f.neighbor}`) : undefined;
    return t === undefined ? f : { ...f, neighbor: t };
  };
  return { sessions, filterOf, transport };
}
