/** LB-IPAM: one `CiliumLoadBalancerIPPool` per VIP pool the cluster owns. */
import { PlanVipPool } from "../plan/types";
import { ClusterContext } from "./context";
import { dcnetLabels, K8sObject } from "./objects";

/** Label of LB-IPAM pools naming the dcnet VIP pool. */
export const VIP_POOL_LABEL = "dcnet.io/vip-pool-name";

/** The `CiliumLoadBalancerIPPool` of one VIP pool. Every address is announced as a /32, so all are allocatable. */
export function lbIpPool(cluster: string, pool: PlanVipPool): K8sObject {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumLoadBalancerIPPool",
    metadata: { name: pool.name, labels: dcnetLabels(cluster, { [VIP_POOL_LABEL]: pool.name }) },
    spec: {
      blocks: [{ cidr: pool.cidr }],
      allowFirstLastIPs: "Yes",
      ...(pool.serviceSelector ? { serviceSelector: { matchLabels: { ...pool.serviceSelector } } } : {}),
    },
  };
}

/** LB-IPAM pools of a cluster. */
export function lbIpPools(ctx: ClusterContext): K8sObject[] {
  return ctx.pools.map((p) => lbIpPool(ctx.cluster.name, p));
}
