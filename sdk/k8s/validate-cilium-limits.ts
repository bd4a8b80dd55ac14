/**
 * Cilium's limits on what a dual-stack or IPv6 cluster may ask for (Cilium 1.20, read in its
 * source; each rule names where):
 *
 * - `bgp-speaker-families`: Cilium's BGP speaker (`bgpSpeaker: cilium`) cannot carry one family
 *   over a node session of the other (`bgp.nodeSessions: ipv4` or `ipv6`). It originates every path
 *   with an unspecified next hop (`pkg/bgp/types.NewPathForPrefix`: "0.0.0.0" / "::") and GoBGP
 *   fills in the session's local address (`internal/pkg/table/path.go`): over an IPv4 session the
 *   IPv6 routes get the IPv4-mapped `::ffff:198.18.10.11` (`NewPathAttributeMpReachNLRI`), over an
 *   IPv6 session the IPv4 routes an IPv6 next hop (extended next hop, which the switches' node
 *   neighbors do not negotiate). A `CiliumBGPPeerConfig` has no next-hop setting, so the switches
 *   would not get the node's own address of the family as next hop (BIRD's `next hop address`);
 * - `mesh-address-family`: the chart's `clustermesh-apiserver` Service sets no `ipFamilies`
 *   (`templates/clustermesh-apiserver/service.yaml`), so in a dual-stack cluster it is single-stack
 *   in the cluster's first family, IPv4 as dcnet orders every node's PodCIDRs; LB-IPAM would pin an
 *   IPv6 `mesh.apiServerAddress` on it anyway (`operator/pkg/lbipam`: a requested address skips the
 *   family check), but the Service has only IPv4 endpoints behind it, so the VIP would answer
 *   nothing. An IPv6-only cluster's Services are IPv6: there the address is IPv6.
 */
import { sessionFamilies } from "../plan/sessions";
import { familyOf } from "../net/prefix";
import { BgpSpeaker } from "../spec/cluster-types";
import { ProblemList } from "../validate/errors";
import { ClusterContext } from "./context";
import { ciliumOptions } from "./defaults";
import { clusterFamilies } from "./families";
import { q } from "./keys";

/** Nodes of the cluster with a node session carrying both families. */
function nodesWithSharedSessions(ctx: ClusterContext): string[] {
  const members = new Set(ctx.nodes.map((n) => n.name));
  const names = ctx.plan.sessions.filter((s) => s.kind === "node-uplink" && members.has(s.a.device) && sessionFamilies(s).length > 1).map((s) => s.a.device);
  return [...new Set(names)];
}

/** Every Cilium-limit rule of one cluster. */
export function checkCiliumLimits(ctx: ClusterContext, problems: ProblemList): void {
  const o = ciliumOptions(ctx.k8s);
  if (o.bgpSpeaker === BgpSpeaker.cilium) {
    const shared = nodesWithSharedSessions(ctx);
    if (shared.length > 0)
      problems.add(
        `${ctx.path}.cilium.bgpSpeaker`,
        "bgp-speaker-families",
        `Cilium's BGP speaker announces a family over a session of the other with the session's own address as next hop (IPv6 routes via an IPv4-mapped one, IPv4 routes via an IPv6 one), and its peer configs cannot set one; ${shared.length} node(s) of cluster ${q(ctx.cluster.name)} (${shared.slice(0, 3).join(", ")}${shared.length > 3 ? ", …" : ""}) have one session for both families (bgp.nodeSessions): use bgpSpeaker bird, or nodeSessions perFamily`,
      );
  }
  const address = ctx.k8s.mesh?.apiServerAddress;
  const families = clusterFamilies(ctx.cluster);
  if (typeof address === "string" && families.length === 2 && familyOf(address) === "ipv6")
    problems.add(
      `${ctx.path}.mesh.apiServerAddress`,
      "mesh-address-family",
      `${q(address)} is IPv6, but Cilium's clustermesh-apiserver Service sets no ipFamilies: in dual-stack cluster ${q(ctx.cluster.name)} it is an IPv4 Service (the cluster's first family), whose IPv6 VIP would reach no endpoint; use an address of an IPv4 pool`,
    );
}
