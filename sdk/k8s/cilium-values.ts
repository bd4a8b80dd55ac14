/**
 * Helm values of the official Cilium chart, derived from the plan: native routing over the data
 * center (no tunnel, no auto routes: nodes are not on one L2), PodCIDRs fixed by dcnet
 * (`ipam.mode=kubernetes`), kube-proxy replacement, the L4 load balancer, cluster identity,
 * ClusterMesh, the Istio-compatibility settings and the BGP speaker choice.
 */
import { BgpSpeaker, CiliumDeployment, LoadBalancerAlgorithm, PodCidrSource } from "../spec/cluster-types";
import { coveringPrefix } from "../net/prefix";
import { ClusterContext } from "./context";
import { isIpv6OnlyCluster } from "./families";
import { CILIUM_NAMESPACE, ciliumOptions } from "./defaults";
import { clusterMeshValues } from "./clustermesh";
import { applySetValues } from "./set-values";

/** Value paths dcnet derives from the plan; `cilium.values` may not override them. */
export const MANAGED_CILIUM_VALUES = [
  "cluster.name",
  "cluster.id",
  "routingMode",
  "ipv4NativeRoutingCIDR",
  // dual-stack clusters (IPv6 PodCIDRs in the plan)
  "ipv6NativeRoutingCIDR",
  "k8s.requireIPv6PodCIDR",
  "autoDirectNodeRoutes",
  "ipam.mode",
  "k8s.requireIPv4PodCIDR",
  // IPv6-only clusters turn IPv4 off; every other cluster needs it on
  "ipv4.enabled",
  "enableIPv4Masquerade",
  // podCidrSource: annotation only works with it (the agent reads the PodCIDR annotation only then)
  "annotateK8sNode",
  "kubeProxyReplacement",
  "k8sServiceHost",
  "k8sServicePort",
  "loadBalancer.mode",
  "loadBalancer.algorithm",
  "loadBalancer.acceleration",
  "maglev.tableSize",
  "bgpControlPlane.enabled",
  // the BGP MD5 Secrets are created in CILIUM_NAMESPACE: Cilium must look for them there
  "bgpControlPlane.secretsNamespace",
  "clustermesh.useAPIServer",
  "clustermesh.config",
];

/** Where a host-mode agent reads its kubeconfig (`k8s-kubeconfig-path`; the credentials are the host's, never dcnet's). */
export const HOST_KUBECONFIG_PATH = "/etc/cilium/kubeconfig";
/** Where a host-mode agent writes its CNI config (`write-cni-conf-when-ready`), the host's own CNI folder. */
export const HOST_CNI_CONF_DIR = "/etc/cni/net.d";

/**
 * Helm values of `deployment: host`: with them the chart's `cilium-config` is what an agent on the
 * host needs (the DaemonSet's container paths become the host's): `procfs` is not set to the
 * container's `/host/proc` (only written for an unprivileged pod), the CNI config goes to the host's
 * `/etc/cni/net.d` (not the pod's `/host/etc/cni/net.d`), the API server is reached with a kubeconfig
 * on the host (a pod uses its ServiceAccount), and the chart installs no agent DaemonSet (`agent: false`:
 * the hosts run the agent; the chart then also leaves out the agent's ServiceAccount and RBAC, so the
 * identity of the hosts' kubeconfig needs the rights of the chart's `cilium` ClusterRole).
 */
export const HOST_MODE_VALUES: Record<string, unknown> = {
  agent: false,
  securityContext: { privileged: true },
  cni: { hostConfDirMountPath: HOST_CNI_CONF_DIR },
  kubeConfigPath: HOST_KUBECONFIG_PATH,
};
/** Value paths dcnet sets for `deployment: host`; `cilium.values` may not override them there. */
export const HOST_MANAGED_CILIUM_VALUES = ["agent", "securityContext.privileged", "cni.hostConfDirMountPath", "kubeConfigPath"];

/** Value paths of settings Cilium removed (≤ 1.18), with what to use instead. */
export const REMOVED_CILIUM_VALUES: { path: string; removedIn: string; instead: string }[] = [
  { path: "externalWorkloads", removedIn: "1.18", instead: "declare the VMs and hosts under externalEndpoints (labelled CiliumCIDRGroups)" },
  { path: "tunnel", removedIn: "1.15", instead: "dcnet sets routingMode=native" },
  { path: "bgp", removedIn: "1.15", instead: "use bgpSpeaker: cilium (BGP Control Plane v2) or BIRD" },
];

/**
 * The native routing CIDR: the smallest prefix covering the PodCIDRs of every cluster of the
 * mesh (only the cluster's own when not meshed); the PodCIDR pool when there are none; undefined
 * for an IPv6-only cluster (IPv4 off).
 */
export function nativeRoutingCidr(ctx: ClusterContext): string | undefined {
  if (isIpv6OnlyCluster(ctx.cluster)) return undefined;
  const cidrs = ctx.meshMembers.flatMap((c) => c.podCIDRs.filter((p) => p.family === "ipv4").map((p) => p.prefix));
  return coveringPrefix(cidrs) ?? ctx.plan.pools.podCidr.prefix;
}

/**
 * Dual-stack: the IPv6 native routing CIDR, the smallest prefix covering the IPv6 PodCIDRs of
 * every cluster of the mesh; undefined for a cluster without IPv6 PodCIDRs (IPv6 stays off).
 */
export function nativeRoutingCidr6(ctx: ClusterContext): string | undefined {
  if (!ctx.cluster.podCIDRs.some((p) => p.family === "ipv6")) return undefined;
  return coveringPrefix(ctx.meshMembers.flatMap((c) => c.podCIDRs.filter((p) => p.family === "ipv6").map((p) => p.prefix)));
}

/** Is chart `version` (MAJOR.MINOR.PATCH…) older than `major.minor`? */
function chartBefore(version: string, major: number, minor: number): boolean {
  const [ma, mi] = version.split(".").map((x) => parseInt(x, 10));
  return ma < major || (ma === major && mi < minor);
}

/** Helm values of the Cilium chart for a cluster (extra `cilium.values` applied last). */
export function ciliumValues(ctx: ClusterContext): Record<string, unknown> {
  const o = ciliumOptions(ctx.k8s);
  const api = ctx.k8s.apiServer;
  // dual-stack: IPv6 on, natively routed over the data center like IPv4, every node with its IPv6 PodCIDR
  const v6 = nativeRoutingCidr6(ctx);
  // IPv6-only cluster (every node on an IPv6-only rack): IPv4 off, no IPv4 PodCIDR required
  const v4 = nativeRoutingCidr(ctx);
  const values: Record<string, unknown> = {
    cluster: { name: ctx.cluster.name, id: ctx.cluster.id },
    routingMode: "native",
    ...(v4 ? { ipv4NativeRoutingCIDR: v4 } : {}),
    ...(v6 ? { ipv6NativeRoutingCIDR: v6 } : {}),
    autoDirectNodeRoutes: false,
    ipv4: { enabled: v4 !== undefined },
    ipv6: { enabled: v6 !== undefined },
    ipam: { mode: "kubernetes" },
    k8s: { requireIPv4PodCIDR: v4 !== undefined, ...(v6 ? { requireIPv6PodCIDR: true } : {}) },
    // Cilium (1.20) reads network.cilium.io/ipv4-pod-cidr only with annotate-k8s-node on
    ...(o.podCidrSource === PodCidrSource.annotation ? { annotateK8sNode: true } : {}),
    enableIPv4Masquerade: v4 !== undefined,
    ...(v6 ? { enableIPv6Masquerade: true } : {}),
    bpf: { masquerade: o.kubeProxyReplacement },
    kubeProxyReplacement: o.kubeProxyReplacement,
    ...(api ? { k8sServiceHost: api.host, k8sServicePort: api.port ?? 6443 } : {}),
    loadBalancer: { mode: o.mode, algorithm: o.algorithm, acceleration: o.acceleration },
    ...(o.algorithm === LoadBalancerAlgorithm.maglev ? { maglev: { tableSize: o.maglevTableSize } } : {}),
    // externalIPs.enabled left the chart in 1.20 (kube-proxy replacement always serves external IPs)
    ...(chartBefore(o.chartVersion, 1, 20) ? { externalIPs: { enabled: true } } : {}),
    bgpControlPlane: {
      enabled: o.bgpSpeaker === BgpSpeaker.cilium,
      ...(o.bgpSpeaker === BgpSpeaker.cilium ? { secretsNamespace: { create: false, name: CILIUM_NAMESPACE } } : {}),
    },
    ...(ctx.k8s.ingress ? { socketLB: { hostNamespaceOnly: true } } : {}),
    ...(o.deployment === CiliumDeployment.host ? structuredClone(HOST_MODE_VALUES) : {}),
  };
  const mesh = clusterMeshValues(ctx);
  if (mesh) values.clustermesh = mesh;
  return applySetValues(values, o.values);
}
