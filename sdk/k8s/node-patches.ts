/**
 * Node patches: each node's planned PodCIDR written on its (existing) Node object.
 *
 * Default: `spec.podCIDR(s)`, which Cilium's `ipam.mode=kubernetes` always reads. It is immutable
 * once set (by kube-controller-manager's `--allocate-node-cidrs` or by the first patch), so run
 * kube-controller-manager with `--allocate-node-cidrs=false` and let nodes join without one.
 * `podCidrSource: annotation` writes `network.cilium.io/ipv4-pod-cidr` instead (mutable, can be
 * re-applied at any time); Cilium reads it only when `spec.podCIDR` is empty and only with
 * `annotateK8sNode: true` (1.20: `pkg/k8s/node.go` ignores annotations otherwise), which dcnet
 * then sets in the chart values. Dual-stack: `spec.podCIDRs` lists the IPv4 then the IPv6 PodCIDR
 * (the annotation form adds `network.cilium.io/ipv6-pod-cidr`). A node of an IPv6-only cluster has
 * only its IPv6 PodCIDR there (and only the IPv6 annotation).
 */
import { PodCidrSource } from "../spec/cluster-types";
import { ClusterContext } from "./context";
import { ciliumOptions } from "./defaults";
import { CLUSTER_LABEL, K8sObject, POD_CIDR6_ANNOTATION, POD_CIDR_ANNOTATION } from "./objects";

/** Node label carrying the node's rack. */
export const RACK_LABEL = "dcnet.io/rack";
/** Node label carrying the node's role (worker | l4lb). */
export const NODE_ROLE_LABEL = "dcnet.io/node-role";

/** One partial Node object (a server-side-apply patch) per node of the cluster. */
export function nodePatches(ctx: ClusterContext): K8sObject[] {
  const source = ciliumOptions(ctx.k8s).podCidrSource;
  const planned = new Map(ctx.plan.nodes.map((n) => [n.name, n]));
  return ctx.nodes.map((d) => {
    const node = planned.get(d.name)!;
    // dual-stack: the IPv6 PodCIDR as the second of spec.podCIDRs (IPv4 first, as Kubernetes orders
    // them); a node of an IPv6-only rack has only its IPv6 PodCIDR (podCIDR is then that one)
    const only6 = node.podCIDR.family === "ipv6";
    const cidr = only6 ? undefined : node.podCIDR.prefix;
    const cidr6 = node.podCIDR6?.prefix;
    const cidrs = [cidr, cidr6].filter((c): c is string => c !== undefined);
    const labels = { [CLUSTER_LABEL]: ctx.cluster.name, ...(d.rack ? { [RACK_LABEL]: d.rack } : {}), [NODE_ROLE_LABEL]: d.role };
    const obj: K8sObject = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: d.name,
        labels,
        ...(source === PodCidrSource.annotation ? { annotations: { ...(cidr ? { [POD_CIDR_ANNOTATION]: cidr } : {}), ...(cidr6 ? { [POD_CIDR6_ANNOTATION]: cidr6 } : {}) } } : {}),
      },
    };
    if (source === PodCidrSource.spec) obj.spec = { podCIDR: cidrs[0], podCIDRs: cidrs };
    return obj;
  });
}
