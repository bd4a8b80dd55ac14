/**
 * Allocation rules: pure functions of one object's own keys (rack id, node id, switch id).
 * Because no allocation depends on any other object, adding, removing or reordering objects
 * never moves an existing allocation. Pins are applied by the caller before these.
 */
import { UNNUMBERED_LINK_PREFIX } from "../plan/sessions";
import { DataCenterSpec, NodeAsnScheme, NodeSpec, RackSpec, SwitchSpec } from "../spec/types";
import { hostLength, nthAddress, nthSubnet } from "../net/prefix";

/** Default PodCIDRs reserved per rack. */
export const DEFAULT_PER_RACK = 16;

/** PodCIDRs reserved per rack. */
export function perRack(spec: DataCenterSpec): number {
  return spec.pools.podCidr.perRack ?? DEFAULT_PER_RACK;
}

/** Global 0-based slot of a node: `(rack.id - 1) * perRack + (node.id - 1)`. */
export function nodeSlot(spec: DataCenterSpec, rack: RackSpec, node: NodeSpec): number {
  return (rack.id - 1) * perRack(spec) + (node.id - 1);
}

/** The PodCIDR allocated to a node (ignores pins), or undefined when the pool is exhausted. */
export function allocatedPodCidr(spec: DataCenterSpec, rack: RackSpec, node: NodeSpec): string | undefined {
  return nthSubnet(spec.pools.podCidr.cidr, spec.pools.podCidr.prefixLength, nodeSlot(spec, rack, node));
}

/** The ASN of a rack's leaf pair. */
export function leafAsn(spec: DataCenterSpec, rack: RackSpec): number | undefined {
  if (rack.leafAsn !== undefined) return rack.leafAsn;
  return spec.asn.leaves ? spec.asn.leaves.from + rack.id - 1 : undefined;
}

/** The node ASN scheme in force. */
export function nodeScheme(spec: DataCenterSpec): NodeAsnScheme {
  return spec.asn.nodeScheme ?? NodeAsnScheme.perRack;
}

/** The ASN a node gets from the scheme (ignores the node's own pin). */
export function schemeNodeAsn(spec: DataCenterSpec, rack: RackSpec, node: NodeSpec): number | undefined {
  if (spec.topology === "threeTier") return spec.asn.fabric;
  const range = spec.asn.nodes;
  if (!range) return undefined;
  switch (nodeScheme(spec)) {
    case NodeAsnScheme.perRack:
      return range.from + rack.id - 1;
    case NodeAsnScheme.perNode:
      return range.from + nodeSlot(spec, rack, node);
    case NodeAsnScheme.shared:
      return range.from;
  }
}

/** A node's ASN: its pin or the scheme's. */
export function nodeAsn(spec: DataCenterSpec, rack: RackSpec, node: NodeSpec): number | undefined {
  return node.asn ?? schemeNodeAsn(spec, rack, node);
}

/** A switch's ASN: its pin, else by role and topology. */
export function switchAsn(spec: DataCenterSpec, sw: SwitchSpec): number | undefined {
  if (sw.asn !== undefined) return sw.asn;
  if (spec.topology === "threeTier") return spec.asn.fabric;
  if (sw.role === "spine") return spec.asn.spine;
  const rack = spec.racks.find((r) => r.name === sw.rack);
  return rack ? leafAsn(spec, rack) : undefined;
}

/** A switch's loopback: its pin or host `id` of the loopback pool. */
export function switchLoopback(spec: DataCenterSpec, sw: SwitchSpec): string | undefined {
  return sw.loopback ?? nthAddress(spec.pools.loopbacks, sw.id);
}

/**
 * Index of the point-to-point link between two switches, by their ids (triangular numbering of
 * the unordered pair), so every pair of switch ids has its own /31 forever.
 */
export function linkIndex(idA: number, idB: number): number {
  const lo = Math.min(idA, idB);
  const hi = Math.max(idA, idB);
  return ((hi - 1) * (hi - 2)) / 2 + (lo - 1);
}

/** The /31 (or /127) of the link between two switches, or undefined when the pool is exhausted. */
export function linkPrefix(spec: DataCenterSpec, idA: number, idB: number): string | undefined {
  const pool = spec.pools.fabricLinks;
  if (pool === undefined) return undefined;
  const family = pool.includes(":") ? "ipv6" : "ipv4";
  return nthSubnet(pool, hostLength(family) - 1, linkIndex(idA, idB));
}

/**
 * Unnumbered fabric: the link-local address of every fabric interface of switch `id`, host `id`
 * of fe80::/64 (`fe80::3` for switch 3). Link-local addresses are per link, so one address on
 * every link of the switch is unique on each; knowing it in advance makes next hops exact.
 */
export function unnumberedAddress(id: number): string | undefined {
  return nthAddress(UNNUMBERED_LINK_PREFIX, id);
}

/** Switch-side addresses on a rack network: host 1 and 2, in the order of the rack's peers. */
export function rackPeerAddress(rack: RackSpec, peerIndex: number): string | undefined {
  return rack.nodeNetwork === undefined ? undefined : nthAddress(rack.nodeNetwork, peerIndex + 1);
}

/** Names of the two switches a rack's nodes peer with: the rack's pin, else its leaves or the cores (by id). */
export function rackPeers(spec: DataCenterSpec, rack: RackSpec): string[] {
  if (rack.peers) return [...rack.peers];
  const candidates =
    spec.topology === "spineLeaf"
      ? spec.switches.filter((s) => s.role === "leaf" && s.rack === rack.name)
      : spec.switches.filter((s) => s.role === "core");
  return [...candidates].sort((a, b) => a.id - b.id).map((s) => s.name);
}

/**
 * `rackPeers` for many racks: the switches are indexed once (rackPeers itself scans every switch,
 * which is quadratic over thousands of racks). Same answers as `rackPeers(spec, rack)`.
 */
export function rackPeersIndex(spec: DataCenterSpec): (rack: RackSpec) => string[] {
  const byId = (a: SwitchSpec, b: SwitchSpec) => a.id - b.id;
  const cores = spec.switches.filter((s) => s.role === "core").sort(byId).map((s) => s.name);
  const leaves = new Map<string, SwitchSpec[]>();
  for (const s of spec.switches) {
    if (s.role !== "leaf" || s.rack === undefined) continue;
    const list = leaves.get(s.rack);
    if (list) list.push(s);
    else leaves.set(s.rack, [s]);
  }
  const leafNames = new Map([...leaves].map(([rack, list]) => [rack, [...list].sort(byId).map((s) => s.name)]));
  return (rack) => (rack.peers ? [...rack.peers] : spec.topology === "spineLeaf" ? [...(leafNames.get(rack.name) ?? [])] : [...cores]);
}

/**
 * Where the router ids of IPv6-only nodes come from: 0.0.0.0/8 ("this network", RFC 1122), which
 * is never a device's address, so a derived id cannot equal a switch loopback or an IPv4 node
 * address (validation refuses an IPv4 address there anyway: `router-id-collision`).
 */
export const DERIVED_ROUTER_ID_POOL = "0.0.0.0/8";

/** Highest node slot with a derived router id (0.255.255.255 is slot 2^24 − 2). */
export const DERIVED_ROUTER_ID_MAX_SLOT = 2 ** 24 - 2;

/**
 * The 32-bit BGP router id of a node on an IPv6-only rack (BIRD needs one; its IPv6 address is
 * none): host `slot + 1` of 0.0.0.0/8, `(rack.id − 1) × perRack + node.id` — a pure function of
 * the node's own ids like its PodCIDR, unique per node, stable when racks are added. Undefined
 * past `DERIVED_ROUTER_ID_MAX_SLOT`.
 */
export function derivedRouterId(spec: DataCenterSpec, rack: RackSpec, node: NodeSpec): string | undefined {
  const slot = nodeSlot(spec, rack, node);
  if (!Number.isInteger(slot) || slot < 0 || slot > DERIVED_ROUTER_ID_MAX_SLOT) return undefined;
  const n = slot + 1;
  return `0.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
