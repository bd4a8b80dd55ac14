/**
 * The data center spec: what users write, in TypeScript or YAML (same shape).
 *
 * Allocation keys are explicit small integers (`rack.id`, `node.id`, `switch.id`) so that every
 * allocation is a pure function of the object itself: adding, removing or reordering other
 * objects never moves it. Pins (`podCIDR`, `asn`, `loopback`, ...) win over allocation.
 *
 * These types are the single source of truth for `schema/datacenter.schema.json`.
 */

import { ClusterK8sSpec } from "./cluster-types";

/** How the data center network is built. */
export enum Topology {
  /** Access–aggregation–core: every node peers iBGP with two core switches; one ASN for the fabric. */
  threeTier = "threeTier",
  /** Spine–leaf (RFC 7938): every node peers eBGP with the two leaf switches of its rack. */
  spineLeaf = "spineLeaf",
}

/** How nodes get their ASN in a spine–leaf data center. */
export enum NodeAsnScheme {
  /** One ASN per rack, shared by the rack's nodes. */
  perRack = "perRack",
  /** One ASN per node. */
  perNode = "perNode",
  /** One ASN shared by every node of the data center; switches use `allowas-in` toward nodes. */
  shared = "shared",
}

/** Role of a switch. */
export enum SwitchRole {
  /** threeTier: a core switch; every node peers with two of them. */
  core = "core",
  /** spineLeaf: a spine, connected to every leaf. */
  spine = "spine",
  /** spineLeaf: a leaf of one rack, peering with the rack's nodes and every spine. */
  leaf = "leaf",
}

/** Role of a Kubernetes node. */
export enum NodeRole {
  /** An ordinary node: announces its PodCIDR. */
  worker = "worker",
  /** A layer-4 load balancer node: announces its PodCIDR and the VIP /32s of its pools. */
  l4lb = "l4lb",
}

/** Configuration language of a switch. */
export enum SwitchDialect {
  /** FRRouting (`frr.conf`), also used by SONiC, Cumulus Linux and VyOS-style stacks. */
  frr = "frr",
}

/** An inclusive ASN range. */
export interface AsnRange {
  /** First ASN of the range. */
  from: number;
  /** Last ASN of the range (inclusive). */
  to: number;
}

/** ASN plan of the data center. */
export interface AsnSpec {
  /** threeTier: the single ASN of the fabric (cores and nodes, iBGP). */
  fabric?: number;
  /** spineLeaf: the ASN shared by every spine. */
  spine?: number;
  /** spineLeaf: leaf pair ASNs, allocated as `leaves.from + rack.id - 1` unless the rack pins `leafAsn`. */
  leaves?: AsnRange;
  /** spineLeaf: how nodes get their ASN (default `perRack`). */
  nodeScheme?: NodeAsnScheme;
  /** spineLeaf: node ASNs (`perRack`: `from + rack.id - 1`; `perNode`: `from + slot`; `shared`: `from`). */
  nodes?: AsnRange;
  /** Allow public (non RFC 6996) ASNs. Default false. */
  allowPublic?: boolean;
}

/** The PodCIDR pool. */
export interface PodCidrPoolSpec {
  /** The pool every node's PodCIDR is carved from, e.g. `198.19.0.0/16`. */
  cidr: string;
  /** PodCIDR prefix length: 24 or 25. */
  prefixLength: number;
  /** PodCIDRs reserved per rack (the highest node id a rack may hold). Default 16. */
  perRack?: number;
}

/** The IPv6 PodCIDR pool of a dual-stack data center (slots as for `podCidr`: same `perRack`). */
export interface PodCidr6PoolSpec {
  /** The IPv6 pool every node's IPv6 PodCIDR is carved from, e.g. `2001:db8:1000::/48`. */
  cidr: string;
  /** IPv6 PodCIDR prefix length, 48–120. Default 64 (as Kubernetes' node CIDR allocator). */
  prefixLength?: number;
}

/** A pool of load-balancer VIPs announced by l4lb nodes and spread by ECMP. */
export interface VipPoolSpec {
  /** Pool name (also the `CiliumLoadBalancerIPPool` name). */
  name: string;
  /** The VIP range, at most a /24; every address in it is announced as a /32. */
  cidr: string;
  /** Names of the l4lb nodes announcing this pool. Default: every l4lb node of the pool's cluster (or of the data center). */
  announcers?: string[];
  /** Cluster owning the pool (for LB-IPAM). Optional. */
  cluster?: string;
  /** Service label selector for LB-IPAM (`matchLabels`). */
  serviceSelector?: { [key: string]: string };
}

/** Address pools of the data center. */
export interface PoolsSpec {
  /** PodCIDRs of the nodes. */
  podCidr: PodCidrPoolSpec;
  /** Switch loopbacks (router ids), allocated as host `switch.id` of the pool. */
  loopbacks: string;
  /** Point-to-point /31 links between switches (leaf–spine, core–core); required unless `fabric.unnumbered`. */
  fabricLinks?: string;
  /** VIP pools for L4 load balancing (IPv4 or, in a dual-stack data center, IPv6). */
  vips?: VipPoolSpec[];
  /** Dual-stack: IPv6 PodCIDRs, same slot rule as `podCidr`. Setting any IPv6 pool makes the data center dual-stack. */
  podCidr6?: PodCidr6PoolSpec;
  /** Dual-stack: IPv6 switch loopbacks, host `switch.id` of the pool. */
  loopbacks6?: string;
  /** Dual-stack: IPv6 point-to-point /127 links between switches (same numbering as `fabricLinks`); not with `fabric.unnumbered`. */
  fabricLinks6?: string;
}

/** The switch-to-switch fabric (leaf–spine, core–core). */
export interface FabricSpec {
  /**
   * BGP unnumbered: every leaf–spine (core–core) session runs on the link's interface between IPv6
   * link-local addresses (FRR `neighbor <ifname> interface`, learnt from router advertisements),
   * one session per link carrying every family, IPv4 routes with an IPv6 next hop (RFC 8950
   * extended next hop). The links need no addresses: `pools.fabricLinks` is not used. Default false.
   */
  unnumbered?: boolean;
}

/**
 * Which sessions a dual-stack node has toward each of its two switches. With one session for both
 * families, the other family's routes carry the node's own address of that family as next hop
 * (not RFC 8950's extended next hop: FRR 8.4 without kernel nexthop groups installs IPv4 over an
 * IPv6 next hop through one `169.254.0.1` neighbour entry per interface, so on a shared rack
 * network all of a rack's nodes would get the IPv4 traffic of one of them — seen in the lab).
 */
export enum NodeSessionFamilies {
  /** One session per family: IPv4 over the IPv4 rack network, IPv6 over the IPv6 one (default). */
  perFamily = "perFamily",
  /** One IPv4 session carrying both families: the IPv6 routes with the node's IPv6 address as next hop. */
  ipv4 = "ipv4",
  /** One IPv6 session carrying both families: the IPv4 routes with the node's IPv4 address as next hop. */
  ipv6 = "ipv6",
}

/** BFD settings. */
export interface BfdSpec {
  /** Enable BFD on node sessions (default true). */
  enabled?: boolean;
  /** Minimum transmit/receive interval in ms (default 100). */
  intervalMs?: number;
  /** Detect multiplier (default 3). */
  multiplier?: number;
}

/** BGP options shared by every session; sane data center defaults. */
export interface BgpOptionsSpec {
  /** Keepalive in seconds (default 3). */
  keepalive?: number;
  /** Hold time in seconds (default 9). */
  hold?: number;
  /**
   * Seconds between a speaker's attempts to open a session that is down (default 10, what FRR's
   * `datacenter` profile on the switches uses). Cilium's speaker only connects out, so this is how
   * soon a node's sessions come back after a link or switch returns (Cilium's own default is 120 s).
   */
  connectRetry?: number;
  /** BFD (default on, 100 ms × 3). */
  bfd?: BfdSpec;
  /** Graceful restart (default on). */
  gracefulRestart?: boolean;
  /** Graceful restart time in seconds (default 120). */
  restartTime?: number;
  /** Name of the secret holding the MD5 password of node sessions; the value never enters the plan. */
  passwordRef?: string;
  /** Maximum prefixes a switch accepts from one node before tearing the session down. Default: the node's planned prefixes + 8. */
  maxPrefixSlack?: number;
  /** Dual-stack: a node session per family (default), or one session (IPv4 or IPv6) carrying both families. */
  nodeSessions?: NodeSessionFamilies;
}

/** A switch. */
export interface SwitchSpec {
  /** Unique switch name. */
  name: string;
  /** core | spine | leaf. */
  role: SwitchRole;
  /** Small positive integer, unique per data center: loopback = loopbacks pool host `id`. */
  id: number;
  /** Rack of a leaf switch. */
  rack?: string;
  /** Configuration dialect (default frr). */
  dialect?: SwitchDialect;
  /** Pinned loopback address. */
  loopback?: string;
  /** Dual-stack: pinned IPv6 loopback address. */
  loopback6?: string;
  /** Pinned ASN (must match the scheme). */
  asn?: number;
  /** ECMP path limit (`maximum-paths`), default 16. */
  maxPaths?: number;
}

/** A Kubernetes node. */
export interface NodeSpec {
  /** Unique node name (the Kubernetes Node name). */
  name: string;
  /** Position of the node in its rack, 1..pools.podCidr.perRack: its allocation key. */
  id: number;
  /** Address on the rack's IPv4 node network (required when the rack has one; none on an IPv6-only rack). */
  address?: string;
  /** worker (default) or l4lb. */
  role?: NodeRole;
  /** Pinned PodCIDR (must lie in the PodCIDR pool; none on an IPv6-only rack). */
  podCIDR?: string;
  /** Dual-stack: the node's IPv6 address on `rack.nodeNetwork6` (required when the rack has one). */
  address6?: string;
  /** Dual-stack: pinned IPv6 PodCIDR (must lie in `pools.podCidr6`). */
  podCIDR6?: string;
  /** Pinned ASN. */
  asn?: number;
}

/** A rack. */
export interface RackSpec {
  /** Unique rack name. */
  name: string;
  /** Rack number, unique, ≥ 1: its allocation key. */
  id: number;
  /**
   * The rack's IPv4 node network (an L2 segment shared by the rack's nodes and their two BGP
   * peers). Left out in a dual-stack data center, the rack is IPv6-only: its nodes have only
   * `address6`, an IPv6 PodCIDR, IPv6 sessions, and a router id derived from their slot.
   */
  nodeNetwork?: string;
  /** Dual-stack: the rack's IPv6 node network (hosts 1 and 2 are its two peers, as for IPv4). */
  nodeNetwork6?: string;
  /** Pinned ASN of the rack's leaf pair (spineLeaf). */
  leafAsn?: number;
  /** Names of the two switches the rack's nodes peer with. Default: the rack's leaves (spineLeaf) or the core switches (threeTier). */
  peers?: string[];
  /** The rack's nodes. */
  nodes: NodeSpec[];
}

/** A Kubernetes cluster sharing the data center. */
export interface ClusterSpec {
  /** Cluster name (≤ 32 characters, Cilium `cluster.name`). */
  name: string;
  /** Cluster id 1–255 (Cilium `cluster.id`), unique. */
  id: number;
  /** Member node names. */
  nodes: string[];
  /** Cluster side: Cilium options, Istio ingress, network policies, ClusterMesh, external endpoints. */
  k8s?: ClusterK8sSpec;
}

/** Which PodCIDR prefixes of a cluster an upstream receives. */
export enum UpstreamPodCidrs {
  /** The cluster's exact supernets (the smallest set of prefixes covering exactly its PodCIDRs). Default. */
  supernets = "supernets",
  /** The single smallest prefix covering every PodCIDR of the cluster. */
  covering = "covering",
  /** Every node PodCIDR one by one (more specific than the supernets: only when asked for). */
  nodes = "nodes",
}

/** What the data center accepts from an upstream. Everything else is refused (RFC 8212). */
export interface UpstreamAcceptSpec {
  /** Accept the default route (`0.0.0.0/0` or `::/0`). Default true. */
  defaultRoute?: boolean;
  /** Further prefixes accepted exactly as listed (never inside a dcnet pool, rack network or VIP pool). */
  prefixes?: string[];
  /** Tear the session down when the upstream sends more prefixes than this. Default: the accepted prefixes + 8. */
  maxPrefix?: number;
}

/**
 * What the data center announces to an upstream: nothing unless asked, and then only aggregates
 * (cluster PodCIDR supernets, VIP pools, node-network aggregates), never a loopback or a fabric link.
 */
export interface UpstreamAnnounceSpec {
  /** Clusters whose PodCIDRs are announced (as `podCidrs` says: supernets by default). */
  clusters?: string[];
  /** How cluster PodCIDRs are announced (default `supernets`). */
  podCidrs?: UpstreamPodCidrs;
  /** VIP pools announced as one prefix each (the pool's CIDR). */
  vipPools?: string[];
  /** Aggregates of the node networks: together they cover every rack network and nothing of another pool. */
  nodeNetworks?: string[];
}

/** One link from a border switch to an upstream router, and its eBGP session. */
export interface UpstreamLinkSpec {
  /** The border switch (leaf, spine or core). */
  switch: string;
  /** The border switch's interface address with the link's length, e.g. `198.18.2.0/31`. */
  address: string;
  /** The upstream router's address on the link (the BGP neighbor). */
  peerAddress: string;
}

/**
 * An upstream: the routers outside the data center that give it its way out (a provider, a WAN
 * edge, a firewall pair). It peers eBGP with one or more border switches.
 */
export interface UpstreamSpec {
  /** Upstream name (≤ 10 characters, lowercase letters, digits and `-`); the switch interface is `up-<name>`. */
  name: string;
  /** The upstream's ASN (may be public; never one of the data center's). */
  asn: number;
  /** Name of the secret holding the session password (MD5). */
  passwordRef?: string;
  /** BFD on the upstream sessions with the data center's BFD timers (default false). */
  bfd?: boolean;
  /** What we accept from the upstream. */
  accept?: UpstreamAcceptSpec;
  /** What we announce to the upstream (default nothing). */
  announce?: UpstreamAnnounceSpec;
  /** Links from border switches to this upstream, at most one per switch. */
  links: UpstreamLinkSpec[];
}

/** A whole data center: the root of the spec. */
export interface DataCenterSpec {
  /**
   * Data center name: 1–63 lower-case letters, digits, '-' or '.', starting and ending with a
   * letter or digit (it is copied into every rendered file).
   * @pattern ^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$
   * @maxLength 63
   */
  name: string;
  /** threeTier or spineLeaf. */
  topology: Topology;
  /** ASN plan. */
  asn: AsnSpec;
  /** Address pools. */
  pools: PoolsSpec;
  /** The switch-to-switch fabric (default: numbered /31 links from `pools.fabricLinks`). */
  fabric?: FabricSpec;
  /** BGP options (defaults suit a data center). */
  bgp?: BgpOptionsSpec;
  /** Switches (cores, spines, leaves). */
  switches: SwitchSpec[];
  /** Racks and their nodes. */
  racks: RackSpec[];
  /** Kubernetes clusters. */
  clusters?: ClusterSpec[];
  /** The way out: upstream routers and the border switches peering with them. */
  upstreams?: UpstreamSpec[];
}
