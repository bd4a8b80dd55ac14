/** Cluster-side defaults: pinned chart versions and repositories, Cilium options. */
import {
  BgpSpeaker,
  CiliumDeployment,
  ClusterK8sSpec,
  LoadBalancerAcceleration,
  LoadBalancerAlgorithm,
  LoadBalancerMode,
  PodCidrSource,
} from "../spec/cluster-types";

/** Cilium chart pinned by dcnet (≥ 1.18: BGP v2, LB-IPAM and CIDR group APIs at cilium.io/v2). */
export const CILIUM_CHART_VERSION = "1.20.2";
/** The official Cilium chart repository. */
export const CILIUM_CHART_REPO = "https://helm.cilium.io/";
/** Istio charts (base, istiod, gateway) pinned by dcnet. */
export const ISTIO_CHART_VERSION = "1.27.3";
/** The official Istio chart repository. */
export const ISTIO_CHART_REPO = "https://istio-release.storage.googleapis.com/charts";
/** Oldest Cilium minor dcnet supports. */
export const CILIUM_MIN_VERSION: [number, number] = [1, 18];

/** Namespace of the Cilium agent (and of BGP auth secrets). */
export const CILIUM_NAMESPACE = "kube-system";
/** Namespace of istiod. */
export const ISTIO_SYSTEM_NAMESPACE = "istio-system";
/** Default namespace of the ingress gateway. */
export const INGRESS_NAMESPACE = "istio-ingress";
/** Release name of the gateway chart: its pods carry `istio=ingressgateway`. */
export const GATEWAY_RELEASE = "istio-ingressgateway";
/** Port of the clustermesh-apiserver behind a LoadBalancer VIP. */
export const CLUSTERMESH_PORT = 2379;
/** NodePort of the clustermesh-apiserver when it has no VIP. */
export const CLUSTERMESH_NODE_PORT = 32379;

/** Maglev table sizes Cilium accepts (primes). */
export const MAGLEV_TABLE_SIZES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];

/** Cilium options with defaults applied. */
export interface CiliumOptions {
  /** Cilium chart version. */
  chartVersion: string;
  /** `kubeProxyReplacement` Helm value. */
  kubeProxyReplacement: boolean;
  /** `loadBalancer.mode` (snat, dsr, hybrid). */
  mode: LoadBalancerMode;
  /** `loadBalancer.algorithm` (random, maglev). */
  algorithm: LoadBalancerAlgorithm;
  /** `loadBalancer.acceleration` (XDP: disabled, native, best-effort). */
  acceleration: LoadBalancerAcceleration;
  /** `maglev.tableSize` (a prime of `MAGLEV_TABLE_SIZES`). */
  maglevTableSize: number;
  /** Who announces the node's prefixes: BIRD or Cilium's BGP Control Plane. */
  bgpSpeaker: BgpSpeaker;
  /** How the agent runs (the chart's DaemonSet, or on the host from a config dir and a systemd unit). */
  deployment: CiliumDeployment;
  /** Where the node's PodCIDR is written: `spec.podCIDR` (default) or the annotation (then `annotateK8sNode`). */
  podCidrSource: PodCidrSource;
  /** Extra Helm values (`--set` paths), applied last. */
  values: { [path: string]: string };
}

/** Cilium options of a cluster, defaults filled in. */
export function ciliumOptions(k8s: ClusterK8sSpec | undefined): CiliumOptions {
  const c = k8s?.cilium ?? {};
  return {
    chartVersion: c.chartVersion ?? CILIUM_CHART_VERSION,
    kubeProxyReplacement: c.kubeProxyReplacement ?? true,
    mode: c.loadBalancer?.mode ?? LoadBalancerMode.snat,
    algorithm: c.loadBalancer?.algorithm ?? LoadBalancerAlgorithm.maglev,
    acceleration: c.loadBalancer?.acceleration ?? LoadBalancerAcceleration.disabled,
    maglevTableSize: c.loadBalancer?.maglevTableSize ?? 16381,
    bgpSpeaker: c.bgpSpeaker ?? BgpSpeaker.bird,
    deployment: c.deployment ?? CiliumDeployment.daemonset,
    podCidrSource: c.podCidrSource ?? PodCidrSource.spec,
    values: c.values ?? {},
  };
}
