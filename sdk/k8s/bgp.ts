/**
 * Cilium's BGP Control Plane v2 objects, generated from the same plan sessions BIRD is rendered
 * from: same peers, ASNs, timers, graceful restart and MD5 secret, so switching speakers never
 * touches the switches.
 *
 * - one `CiliumBGPPeerConfig` per session family and set of advertisements (nodes announcing only
 *   their PodCIDR, l4lb nodes also announcing the LoadBalancer IPs of their pools); dual-stack:
 *   the IPv6 sessions' configs have the IPv6 AFI and the IPv6 pools;
 * - one `CiliumBGPAdvertisement` for the PodCIDR and one per VIP pool (Service LoadBalancer IPs
 *   selected by the pool's service selector);
 * - one `CiliumBGPClusterConfig` per group of nodes sharing local ASN, peers and advertisements
 *   (in practice: per rack, l4lb nodes apart), selecting its nodes by `kubernetes.io/hostname`;
 * - one `CiliumBGPNodeConfigOverride` per node (router id and local address = node address).
 *
 * No `localPort`: Cilium's speaker does not listen, and it rejects every received route (import
 * nothing), as BIRD does. Cilium's speaker has no BFD; the switches keep their BFD config.
 */
import { Family, PlanSession } from "../plan/types";
import { sessionFamilies } from "../plan/sessions";
import { ClusterContext } from "./context";
import { boundedName, dcnetLabels, K8sObject, namesHash } from "./objects";

/** Name of the BGP instance on every node. */
export const BGP_INSTANCE = "dcnet";
/** Label of advertisements, selected by peer configs. */
export const ADVERTISEMENT_LABEL = "dcnet.io/advertisement";
/** The secret key Cilium reads an MD5 password from. */
export const BGP_SECRET_KEY = "password";

interface NodeBgp {
  node: string;
  rack: string;
  /** BGP router id (IPv4-shaped). */
  routerId: string;
  asn: number;
  sessions: PlanSession[];
  pools: string[];
}

/** Node sessions of the cluster, per node, in plan order. */
function nodeBgp(ctx: ClusterContext): NodeBgp[] {
  const owned = new Set(ctx.pools.map((p) => p.name));
  const planNodes = new Map(ctx.plan.nodes.map((n) => [n.name, n]));
  return ctx.nodes.map((d) => {
    const sessions = ctx.plan.sessions
      .filter((s) => s.kind === "node-uplink" && s.a.device === d.name)
      .sort((x, y) => (x.nodeProtocol ?? x.id).localeCompare(y.nodeProtocol ?? y.id));
    const pools = [...new Set((planNodes.get(d.name)?.announcements ?? []).filter((a) => a.kind === "vip" && owned.has(a.pool!)).map((a) => a.pool!))].sort();
    // the router id: the node's IPv4 address; a node of an IPv6-only rack has none and gets the
    // plan's derived 32-bit id (0.0.0.0/8 + slot + 1, as its BIRD: Cilium's routerID is IPv4-shaped)
    const first = sessions[0]?.a.address;
    const routerId = first !== undefined && !first.includes(":") ? first : d.routerId;
    return { node: d.name, rack: d.rack ?? "dc", routerId, asn: d.asn, sessions, pools };
  });
}

/** VIP pools some node of the cluster announces that Cilium's speaker cannot (no LB-IPAM pool here). */
export function unannounceablePools(ctx: ClusterContext): { node: string; pool: string }[] {
  const owned = new Set(ctx.pools.map((p) => p.name));
  const members = new Set(ctx.cluster.nodes);
  return ctx.plan.nodes
    .filter((n) => members.has(n.name))
    .flatMap((n) => [...new Set(n.announcements.filter((a) => a.kind === "vip" && !owned.has(a.pool!)).map((a) => a.pool!))].map((pool) => ({ node: n.name, pool })));
}

/**
 * Name suffix of a set of VIP pools: `-vip-<pool>` for one pool (pool names are unique), `-vips-<hash>`
 * for several (joining names with '-' would make `a-b` and `a`+`b` meet).
 */
function poolsSuffix(pools: string[]): string {
  if (pools.length === 0) return "";
  return pools.length === 1 ? `-vip-${pools[0]}` : `-vips-${namesHash(pools)}`;
}

/** Peer config of a session family and its VIP pools: `dcnet-uplink…` (IPv4), `dcnet-uplink6…` (IPv6). */
function peerConfigName(pools: string[], family: Family): string {
  return boundedName(`dcnet-uplink${family === "ipv6" ? "6" : ""}${poolsSuffix(pools)}`, 253);
}

/** The one family a node session carries for Cilium's speaker (validation's `bgp-speaker-families` refuses two). */
function speakerFamily(s: PlanSession): Family {
  const families = sessionFamilies(s);
  if (families.length !== 1) throw new Error(`internal: session ${s.id} carries ${families.join(" and ")}, which Cilium's speaker cannot (bgp-speaker-families)`);
  return families[0];
}

/** Value of the advertisement label of a VIP pool's advertisement (a label value: ≤ 63). */
export function vipAdvertisementLabel(pool: string): string {
  return boundedName(`vip-${pool}`, 63);
}

const MATCH_ALL = { matchExpressions: [{ key: "dcnet.io/no-such-label", operator: "NotIn", values: ["never-used-value"] }] };

/** Every BGP v2 object of a cluster (empty when it has no node sessions). */
export function bgpObjects(ctx: ClusterContext): K8sObject[] {
  const cluster = ctx.cluster.name;
  const nodes = nodeBgp(ctx).filter((n) => n.sessions.length > 0);
  if (nodes.length === 0) return [];
  const labels = dcnetLabels(cluster);
  const out: K8sObject[] = [];

  // advertisements
  const usedPools = [...new Set(nodes.flatMap((n) => n.pools))].sort();
  out.push({
    apiVersion: "cilium.io/v2",
    kind: "CiliumBGPAdvertisement",
    metadata: { name: "dcnet-podcidr", labels: { ...labels, [ADVERTISEMENT_LABEL]: "podcidr" } },
    spec: { advertisements: [{ advertisementType: "PodCIDR" }] },
  });
  for (const poolName of usedPools) {
    const pool = ctx.pools.find((p) => p.name === poolName)!;
    out.push({
      apiVersion: "cilium.io/v2",
      kind: "CiliumBGPAdvertisement",
      metadata: { name: `dcnet-vip-${poolName}`, labels: { ...labels, [ADVERTISEMENT_LABEL]: vipAdvertisementLabel(poolName) } },
      spec: {
        advertisements: [
          {
            advertisementType: "Service",
            service: { addresses: ["LoadBalancerIP", "ExternalIP"] },
            selector: pool.serviceSelector ? { matchLabels: { ...pool.serviceSelector } } : MATCH_ALL,
          },
        ],
      },
    });
  }

  // peer configs: one per family and advertisement set (timers, restart and auth are data-center
  // wide); dual-stack: the IPv6 sessions get their own, with the IPv6 AFI and the IPv6 pools
  const s0 = nodes[0].sessions[0];
  const familyOf = new Map(ctx.pools.map((p) => [p.name, p.family]));
  const poolsOf = (n: NodeBgp, family: Family) => n.pools.filter((p) => familyOf.get(p) === family);
  const configOf = (n: NodeBgp, s: PlanSession) => peerConfigName(poolsOf(n, speakerFamily(s)), speakerFamily(s));
  const peerSets = [...new Map(nodes.flatMap((n) => n.sessions.map((s) => [configOf(n, s), { family: speakerFamily(s), pools: poolsOf(n, speakerFamily(s)) }] as const))).entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [name, { family, pools }] of peerSets) {
    out.push({
      apiVersion: "cilium.io/v2",
      kind: "CiliumBGPPeerConfig",
      metadata: { name, labels },
      spec: {
        timers: { keepAliveTimeSeconds: s0.timers.keepalive, holdTimeSeconds: s0.timers.hold, connectRetryTimeSeconds: s0.timers.connectRetry },
        gracefulRestart: { enabled: s0.gracefulRestart.enabled, restartTimeSeconds: s0.gracefulRestart.restartTime },
        ...(s0.passwordRef ? { authSecretRef: s0.passwordRef } : {}),
        families: [{ afi: family, safi: "unicast", advertisements: { matchExpressions: [{ key: ADVERTISEMENT_LABEL, operator: "In", values: ["podcidr", ...pools.map(vipAdvertisementLabel)] }] } }],
      },
    });
  }

  // cluster configs: nodes sharing ASN, peers and advertisements
  const groups = new Map<string, NodeBgp[]>();
  for (const n of nodes) {
    const key = JSON.stringify([n.rack, n.asn, n.sessions.map((s) => [s.nodeProtocol, s.b.address, s.b.asn]), n.pools]);
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const rackAsns = new Map<string, Set<number>>();
  for (const n of nodes) rackAsns.set(n.rack, new Set([...(rackAsns.get(n.rack) ?? []), n.asn]));
  for (const members of groups.values()) {
    const first = members[0];
    // rack names are DNS subdomains already (core name rule), so they are used as they are (toDnsLabel made r1.a and r1-a meet);
    // a rack name that spells another group's name (rack r1-as65001 beside rack r1 with two ASNs) is a validation problem (rendered-object)
    const name = boundedName(`dcnet-${first.rack}${(rackAsns.get(first.rack)?.size ?? 1) > 1 ? `-as${first.asn}` : ""}${poolsSuffix(first.pools)}`, 253);
    out.push({
      apiVersion: "cilium.io/v2",
      kind: "CiliumBGPClusterConfig",
      metadata: { name, labels },
      spec: {
        nodeSelector: { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: members.map((m) => m.node) }] },
        bgpInstances: [
          {
            name: BGP_INSTANCE,
            localASN: first.asn,
            peers: first.sessions.map((s) => ({
              name: s.nodeProtocol ?? s.b.device,
              peerAddress: s.b.address,
              peerASN: s.b.asn,
              peerConfigRef: { name: configOf(first, s) },
            })),
          },
        ],
      },
    });
  }

  // per-node overrides
  for (const n of nodes) {
    out.push({
      apiVersion: "cilium.io/v2",
      kind: "CiliumBGPNodeConfigOverride",
      metadata: { name: n.node, labels },
      spec: {
        bgpInstances: [
          {
            name: BGP_INSTANCE,
            routerID: n.routerId,
            // dual-stack: each peer from the node's address of its family
            peers: n.sessions.map((s) => ({ name: s.nodeProtocol ?? s.b.device, localAddress: s.a.address })),
          },
        ],
      },
    });
  }
  return out;
}

/** Names of the MD5 password secrets the cluster's sessions reference. */
export function bgpSecretRefs(ctx: ClusterContext): string[] {
  const members = new Set(ctx.cluster.nodes);
  return [...new Set(ctx.plan.sessions.filter((s) => s.kind === "node-uplink" && members.has(s.a.device) && s.passwordRef).map((s) => s.passwordRef!))].sort();
}
