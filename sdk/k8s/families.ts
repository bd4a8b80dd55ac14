/**
 * The address families of a cluster: those of its nodes' PodCIDRs. A cluster is IPv4 (single
 * stack), dual-stack (IPv4 and IPv6 PodCIDRs on every node) or IPv6-only (every node on an
 * IPv6-only rack: Cilium runs with IPv4 off); core validation (`cluster-mixed-families`) makes
 * sure every node of a cluster has the same families.
 */
import { Family, PlanCluster } from "../plan/types";

/** The families of a cluster's PodCIDRs, IPv4 first; IPv4 for a cluster without nodes. */
export function clusterFamilies(cluster: PlanCluster): Family[] {
  const has = (f: Family) => cluster.podCIDRs.some((p) => p.family === f);
  const out = (["ipv4", "ipv6"] as Family[]).filter(has);
  return out.length > 0 ? out : ["ipv4"];
}

/** True for a cluster whose PodCIDRs are all IPv6 (its nodes are on IPv6-only racks). */
export function isIpv6OnlyCluster(cluster: PlanCluster): boolean {
  return cluster.podCIDRs.length > 0 && cluster.podCIDRs.every((p) => p.family === "ipv6");
}
