/**
 * The resolved plan: a JSON-serializable description of the whole network, enough for an
 * outside tool to rebuild it (devices, interfaces, segments, sessions with both ends,
 * expected announcements and received routes). Every address carries its family.
 */

/** Address family. */
export type Family = "ipv4" | "ipv6";

/** Kind of device. */
export type DeviceKind = "node" | "switch";

/** An address on an interface, with its prefix length (e.g. `198.18.1.11/24`). */
export interface PlanAddress {
  family: Family;
  /** The address without prefix length. */
  address: string;
  /** `address/len`. */
  cidr: string;
}

/** A prefix (network) with its family. */
export interface PlanPrefix {
  family: Family;
  /** Canonical `network/len`. */
  prefix: string;
}

/** An interface of a device. */
export interface PlanInterface {
  /** Interface name on the device (≤ 15 chars): `eth0` (nodes), `lo`, `rack<id>` and `fab<peer id>` (switches). */
  name: string;
  /** Segment this interface attaches to (absent for loopbacks). */
  segment?: string;
  /** Addresses on this interface. */
  addresses: PlanAddress[];
}

/** A route a device installs statically (default routes of nodes). */
export interface PlanStaticRoute {
  family: Family;
  prefix: string;
  /** Next hops (several = ECMP). */
  nextHops: string[];
}

/** A device (node or switch) with everything needed to configure it. */
export interface PlanDevice {
  /** Device name (node or switch name of the spec). */
  name: string;
  /** node or switch. */
  kind: DeviceKind;
  /** node: worker|l4lb; switch: core|spine|leaf. */
  role: string;
  /** Rack name (nodes, leaves). */
  rack?: string;
  /** Cluster name (nodes in a cluster). */
  cluster?: string;
  /** Switch dialect (`frr`). */
  dialect?: string;
  /** The device's own ASN. */
  asn: number;
  /** Router id address: a node's address, a switch's loopback (rendered as a 32-bit dotted quad). */
  routerId: string;
  /** Interfaces with their addresses. */
  interfaces: PlanInterface[];
  /** Static routes (a node's default route toward its peers). */
  staticRoutes: PlanStaticRoute[];
  /** ECMP path limit (switches). */
  maxPaths?: number;
}

/** An L2 segment (a rack network, shared by several devices) or a point-to-point link. */
export interface PlanSegment {
  /** `rack-<rack>` or `link-<a>--<b>`. */
  name: string;
  /** A rack's node network, or a /31 (/127) between two switches. */
  kind: "rack" | "p2p";
  family: Family;
  /** The segment's subnet. */
  prefix: string;
  /** Dual-stack: the segment's IPv6 subnet (rack network `nodeNetwork6`, fabric /127). */
  prefix6?: string;
  /** Members: device and interface names (`address6`: dual-stack, the IPv6 address). */
  members: { device: string; interface: string; address: string; address6?: string }[];
}

/** One end of a BGP session. */
export interface PlanSessionEnd {
  /** Device name. */
  device: string;
  /** The device's address on the session's segment. */
  address: string;
  /** The device's ASN. */
  asn: number;
  /** Interface the session runs over. */
  interface: string;
}

/**
 * Failover a session promises: BFD (`bfd.intervalMs × bfd.multiplier`) when both ends run it, else
 * the BGP hold timer (`timers.hold`; Cilium's speaker has no BFD).
 */
export interface PlanFailover {
  /**
   * What ends the dead peer's routes: BFD, the hold timer, or the hold timer and then the graceful
   * restart time (the switch keeps the routes as stale until it expires).
   */
  detection: "bfd" | "hold-timer" | "hold-timer+graceful-restart";
  /** Worst-case time until the switches drop the dead peer's routes, in milliseconds. */
  ms: number;
}

/** Kind of BGP session. */
export type SessionKind = "node-uplink" | "leaf-spine" | "core-mesh";

/** A BGP session with both ends. For node-uplink, `a` is the node and `b` the switch. For leaf-spine, `a` is the leaf. */
export interface PlanSession {
  /** Stable id, e.g. `r1n1--leaf1a`. */
  id: string;
  kind: SessionKind;
  /** Family of the session's transport (the ends' addresses): IPv6 for an unnumbered session. */
  family: Family;
  /** Address families the session carries when they are not just `family` (see `sessionFamilies`). */
  families?: Family[];
  /**
   * IPv4 routes with an IPv6 next hop (RFC 8950 extended next hop, capability negotiated): an
   * unnumbered session, or an IPv6 session carrying IPv4.
   */
  extendedNextHop?: boolean;
  /**
   * BGP unnumbered: the session runs on the ends' interfaces (FRR `neighbor <ifname> interface`);
   * the ends' addresses are the link-local ones the plan gives the interfaces (`fe80::<switch id>`).
   */
  unnumbered?: boolean;
  /** "ibgp" when both ends share an ASN. */
  type: "ibgp" | "ebgp";
  a: PlanSessionEnd;
  b: PlanSessionEnd;
  /** Name of the BGP protocol on a node (e.g. `uplink0`) when `a` is a node. */
  nodeProtocol?: string;
  /** BGP keepalive, hold time and connect retry (between attempts to open the session), in seconds. */
  timers: { keepalive: number; hold: number; connectRetry: number };
  /** BFD on the session, interval in ms × detect multiplier (node-uplink: off when the node's speaker has no BFD). */
  bfd: { enabled: boolean; intervalMs: number; multiplier: number };
  /** node-uplink: the node's BGP speaker (its cluster's `k8s.cilium.bgpSpeaker`, else BIRD). */
  speaker?: "bird" | "cilium";
  /** node-uplink: how fast the switch notices a dead node, as this session can promise it. */
  failover?: PlanFailover;
  /** Graceful restart, restart time in seconds. */
  gracefulRestart: { enabled: boolean; restartTime: number };
  /** Name of the secret holding the MD5 password (never the value). */
  passwordRef?: string;
  /** Maximum prefixes `b` accepts from `a` (node-uplink). */
  maxPrefix?: number;
  /** `b` accepts routes carrying its own ASN this many times (shared node ASN scheme). */
  allowasIn?: number;
  /**
   * Ends (device names) that accept routes originated in their own ASN over this session (FRR
   * `allowas-in origin`): the leaves of a pair share an ASN and reach each other's loopback over
   * the spines.
   */
  acceptOwnOrigin?: string[];
  /** Both ends rewrite the next hop to themselves (iBGP core mesh: upstream routes resolve). */
  nextHopSelf?: boolean;
  /**
   * Both ends send every path, not only their best (RFC 7911 add-path): a core reflecting a VIP
   * must pass on every announcer's path, or the other cores lose ECMP over the announcers.
   */
  addPathTxAll?: boolean;
  /** `b` (a three-tier core) reflects the routes of `a` (a node) to the other cores (RFC 4456). */
  routeReflectorClient?: boolean;
  /**
   * node-uplink on an unnumbered three-tier core mesh: the BGP large community `b` (the core) sets
   * on every route it accepts from `a` (replacing any the node sent), naming the node's rack
   * (`<core ASN>:1:<rack id>`). The other cores tell by it which reflected path belongs to a node
   * they peer with themselves (see `ownRackPreference`).
   */
  rackTag?: string;
  /**
   * core-mesh on an unnumbered fabric: both ends give a path learned over this session that
   * carries the `rackTag` of a rack they peer with themselves this local preference (below BGP's
   * default 100). Over extended next hop a reflected IPv4 route arrives with the reflecting core's
   * link-local next hop, so without it a core would spread traffic for its own nodes over the other
   * cores; with it, those copies are kept only as a backup for when its own session to the node is
   * down, while the paths of nodes it does not peer with (VIP announcers too) stay at 100.
   */
  ownRackPreference?: number;
}

/** What a node may announce, and what it is expected to. */
export interface PlanAnnouncement {
  family: Family;
  /** The announced prefix (a PodCIDR, or a VIP host prefix /32 or /128). */
  prefix: string;
  /** What the prefix is. */
  kind: "podCIDR" | "vip";
  /** VIP pool name (kind vip). */
  pool?: string;
}

/** A route a switch is expected to hold, with its expected next hops (ECMP when several). */
export interface PlanExpectedRoute {
  family: Family;
  prefix: string;
  /** Next-hop addresses (node or leaf addresses). */
  nextHops: string[];
  /** Devices behind the next hops. */
  via: string[];
  /** Kernel next hops when the BGP next hop resolves recursively (a reflected node route on a core). */
  fibNextHops?: string[];
  /** Devices behind `fibNextHops`. */
  fibVia?: string[];
}

/**
 * Routes a switch is expected to hold, grouped by their next-hop set (a leaf holds thousands of
 * remote PodCIDRs, all via the same spines). `expandExpectedRoutes()` lists them one by one.
 */
export interface PlanExpectedRouteGroup {
  family: Family;
  /** Next-hop addresses shared by every prefix of the group, ordered by device name. */
  nextHops: string[];
  /** Devices behind the next hops, in the same order. */
  via: string[];
  /** The prefixes reached over exactly these next hops (after those of `set`). */
  prefixes: string[];
  /**
   * Name of a list in `Plan.prefixSets` whose prefixes, but those in `except`, are reached over
   * these next hops too (listed before `prefixes`): every leaf of a spine–leaf fabric holds every
   * other rack's PodCIDRs, rack networks and loopbacks over the spines, so that list is written once
   * for the whole plan, not once per leaf (it would grow with leaves × nodes).
   */
  set?: string;
  /** Prefixes of `set` not reached over these next hops (a leaf's own rack's PodCIDRs, rack network and loopback). */
  except?: string[];
  /**
   * Kernel next hops when they differ from the BGP next hops: on a three-tier core, a node route
   * reflected by another core keeps the node as BGP next hop, which the kernel reaches over the
   * cores on the node's rack.
   */
  fibNextHops?: string[];
  /** Devices behind `fibNextHops`, in the same order. */
  fibVia?: string[];
}

/**
 * A list of prefixes named once in the plan and shared by the expected route groups of many
 * switches (`PlanExpectedRouteGroup.set`).
 */
export interface PlanPrefixSet {
  /** Name the groups refer to. */
  name: string;
  family: Family;
  /** The prefixes, in plan order. */
  prefixes: string[];
}

/** An inbound filter entry on a switch: toward a node exactly what it may send, toward a switch the pools. */
export interface PlanPrefixFilterEntry {
  family: Family;
  /** Accepted prefixes lie inside this one. */
  prefix: string;
  /** Minimum accepted prefix length. */
  ge: number;
  /** Maximum accepted prefix length. */
  le: number;
}

/** Resolved VIP pool. */
export interface PlanVipPool {
  /** Pool name. */
  name: string;
  family: Family;
  /** The VIP range. */
  cidr: string;
  /** Cluster owning the pool (LB-IPAM). */
  cluster?: string;
  /** Names of the l4lb nodes announcing every address of the pool. */
  announcers: string[];
  /** Service label selector for LB-IPAM (`matchLabels`). */
  serviceSelector?: { [key: string]: string };
  /** Every address of the pool, each announced as a host prefix (/32 or /128). */
  addresses: string[];
}

/** Resolved cluster. */
export interface PlanCluster {
  /** Cluster name (Cilium `cluster.name`). */
  name: string;
  /** Cluster id (Cilium `cluster.id`). */
  id: number;
  /** Member node names. */
  nodes: string[];
  /** PodCIDRs of the member nodes. */
  podCIDRs: PlanPrefix[];
  /** Smallest covering supernets of the member PodCIDRs (for `ipv4NativeRoutingCIDR`). */
  supernets: PlanPrefix[];
  /** The smallest single prefix covering every member PodCIDR. */
  coveringPrefix?: PlanPrefix;
  /** Dual-stack: the smallest single prefix covering every member IPv6 PodCIDR. */
  coveringPrefix6?: PlanPrefix;
}

/** A node's planned BGP state. */
export interface PlanNode {
  /** Node name. */
  name: string;
  /** The node's PodCIDR (pinned or allocated). */
  podCIDR: PlanPrefix;
  /** Dual-stack: the node's IPv6 PodCIDR (pinned or allocated). */
  podCIDR6?: PlanPrefix;
  /** Everything the node may announce (PodCIDR, VIP /32s). */
  announcements: PlanAnnouncement[];
}

/** What a switch originates into BGP itself. */
export type PlanOriginationKind = "rackNetwork" | "loopback" | "aggregate";

/** A prefix a switch originates: its rack networks and loopback (`network`), aggregates toward upstreams. */
export interface PlanOrigination {
  family: Family;
  prefix: string;
  kind: PlanOriginationKind;
}

/** A switch's planned BGP state. */
export interface PlanSwitch {
  /** Switch name. */
  name: string;
  /**
   * Prefixes the switch originates, ordered by kind then prefix: rack networks it sits on and its
   * loopback (as `network`, the connected route must exist), aggregates it announces to upstreams
   * (`aggregate-address`, installed as a blackhole route).
   */
  originates: PlanOrigination[];
  /** Per-neighbor inbound filters: neighbor address → allowed prefixes. Empty list = deny all. */
  inboundFilters: { neighbor: string; device: string; entries: PlanPrefixFilterEntry[] }[];
  /**
   * Routes the switch must hold when the network is up, grouped by next-hop set; a group may take
   * a shared list of `Plan.prefixSets` besides its own prefixes (read them with
   * `expandExpectedRoutes(plan, switch)`).
   */
  expectedRoutes: PlanExpectedRouteGroup[];
}

/** One link of an upstream to a border switch, and its eBGP session. */
export interface PlanUpstreamLink {
  /** Stable id `<switch>--<upstream>`. */
  id: string;
  family: Family;
  /** The border switch. */
  switch: string;
  /** The switch's interface toward the upstream (`up-<upstream>`). */
  interface: string;
  /** The link's subnet. */
  prefix: string;
  /** The switch's address on the link. */
  address: string;
  /** The switch's ASN. */
  asn: number;
  /** The upstream router's address (the BGP neighbor). */
  peerAddress: string;
}

/** An upstream router (group) outside the data center, with both ends of its sessions. */
export interface PlanUpstream {
  /** Upstream name (also the "device" of its next hops in expected routes). */
  name: string;
  /** The upstream's ASN. */
  asn: number;
  /** Name of the secret holding the session password (never the value). */
  passwordRef?: string;
  /** BGP timers, BFD and graceful restart of the upstream sessions. */
  timers: { keepalive: number; hold: number };
  bfd: { enabled: boolean; intervalMs: number; multiplier: number };
  gracefulRestart: { enabled: boolean; restartTime: number };
  /** What the border switches accept from it (exact entries; everything else is denied). */
  accept: PlanPrefixFilterEntry[];
  /** Maximum prefixes a border switch accepts from it. */
  maxPrefix: number;
  /** What the border switches announce to it (exact entries: aggregates, or what was asked for). */
  announce: PlanPrefixFilterEntry[];
  /** Links to border switches, by switch name. */
  links: PlanUpstreamLink[];
}

/** The whole plan. */
export interface Plan {
  /** Plan format version. */
  version: 1;
  /** Data center name. */
  name: string;
  /** Topology of the spec. */
  topology: "threeTier" | "spineLeaf";
  /** Switches (by id), then nodes (by rack id, in rack order). */
  devices: PlanDevice[];
  /** Rack networks, then switch-to-switch links. */
  segments: PlanSegment[];
  /** Node uplinks, then switch-to-switch sessions. */
  sessions: PlanSession[];
  /** Per-node BGP state, in spec order. */
  nodes: PlanNode[];
  /** Per-switch BGP state, by switch id. */
  switches: PlanSwitch[];
  /** VIP pools, in spec order. */
  vipPools: PlanVipPool[];
  /** Clusters, in spec order. */
  clusters: PlanCluster[];
  /** Upstreams (the way out), in spec order. */
  upstreams: PlanUpstream[];
  /** Pools as resolved. */
  pools: {
    podCidr: PlanPrefix;
    podPrefixLength: number;
    loopbacks: PlanPrefix;
    /** The fabric link pool (absent with an unnumbered fabric). */
    fabricLinks?: PlanPrefix;
    /** Dual-stack: the IPv6 pools. */
    podCidr6?: PlanPrefix;
    podPrefixLength6?: number;
    loopbacks6?: PlanPrefix;
    fabricLinks6?: PlanPrefix;
  };
  /** Prefix lists shared by the expected routes of many switches (absent when none is). */
  prefixSets?: PlanPrefixSet[];
}
