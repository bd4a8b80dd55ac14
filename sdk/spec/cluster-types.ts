/**
 * Cluster-side inputs: what a Kubernetes cluster of the data center needs beyond the plan
 * (Cilium options, the Istio ingress, network policies, ClusterMesh membership and the
 * external endpoint inventory). Written under `clusters[].k8s` in the YAML spec, or passed
 * to the `components/cluster` components.
 *
 * Interfaces and enums only, no unions: these types are also component arguments, and
 * Pulumi's component schema inference rejects unions.
 */

/** Cilium load-balancer forwarding mode (`loadBalancer.mode`). */
export enum LoadBalancerMode {
  /** Source NAT toward the backend (Cilium's default; works everywhere). */
  snat = "snat",
  /** Direct server return: replies leave the backend's node directly (needs native routing). */
  dsr = "dsr",
  /** DSR for TCP, SNAT for UDP. */
  hybrid = "hybrid",
}

/** Backend selection algorithm (`loadBalancer.algorithm`). */
export enum LoadBalancerAlgorithm {
  /** Random backend per new flow. */
  random = "random",
  /** Maglev consistent hashing: every l4lb node picks the same backend for a flow, so ECMP rehashing keeps flows. */
  maglev = "maglev",
}

/** XDP acceleration of the load balancer (`loadBalancer.acceleration`). */
export enum LoadBalancerAcceleration {
  disabled = "disabled",
  /** XDP in the NIC driver (the NIC must support it). */
  native = "native",
  /** XDP where the driver supports it, plain tc elsewhere. */
  bestEffort = "best-effort",
}

/** Which BGP speaker announces the node's PodCIDR and VIPs. */
export enum BgpSpeaker {
  /** BIRD on the host (the default; rendered by `sdk/render/bird.ts`). */
  bird = "bird",
  /** Cilium's BGP Control Plane v2 (`CiliumBGPClusterConfig` & co., generated from the same plan sessions). */
  cilium = "cilium",
}

/** How the Cilium agent runs on the cluster's nodes. */
export enum CiliumDeployment {
  /** The chart's DaemonSet (the default): Kubernetes runs the agent in a pod on every node. */
  daemonset = "daemonset",
  /**
   * On the host, as the seed ran it (docker-compose and salt, no DaemonSet): dcnet writes the agent's
   * `--config-dir` (the chart's `cilium-config` for these values, one file per key) and a systemd
   * unit per node, and applies them over SSH (`sdk/render/cilium-host`, `renderCiliumAgentApplyScript`).
   */
  host = "host",
}

/** Where a node's planned PodCIDR is written for Cilium's `ipam.mode=kubernetes`. */
export enum PodCidrSource {
  /**
   * Annotation `network.cilium.io/ipv4-pod-cidr` (mutable; used when `spec.podCIDR` is empty). Cilium
   * reads it only with `annotateK8sNode: true`, which dcnet then sets (the agent also writes its own
   * annotations on the Node).
   */
  annotation = "annotation",
  /** `Node.spec.podCIDR(s)` (the default; immutable once set: nodes must join without one). */
  spec = "spec",
}

/** Cilium policy entities (`fromEntities` / `toEntities`). */
export enum PolicyEntity {
  all = "all",
  world = "world",
  cluster = "cluster",
  host = "host",
  remoteNode = "remote-node",
  kubeApiserver = "kube-apiserver",
  ingress = "ingress",
  health = "health",
  init = "init",
  unmanaged = "unmanaged",
  none = "none",
}

/** L4 protocol of a policy port. */
export enum PolicyProtocol {
  TCP = "TCP",
  UDP = "UDP",
  SCTP = "SCTP",
  ANY = "ANY",
}

/** The Kubernetes API server as the Cilium agent reaches it (needed with kube-proxy replacement). */
export interface ApiServerEndpointSpec {
  /** IPv4/IPv6 address (no zone id) or DNS name of the API server (`k8sServiceHost`). */
  host: string;
  /** Port (`k8sServicePort`), default 6443. */
  port?: number;
}

/** Cilium load-balancer options. */
export interface CiliumLoadBalancerSpec {
  /** snat (default), dsr or hybrid. */
  mode?: LoadBalancerMode;
  /** maglev (default) or random. */
  algorithm?: LoadBalancerAlgorithm;
  /** XDP acceleration, default disabled. */
  acceleration?: LoadBalancerAcceleration;
  /** Maglev table size: one of Cilium's primes 251, 509, 1021, 2039, 4093, 8191, 16381 (default), 32749, 65521, 131071. */
  maglevTableSize?: number;
}

/** Options of the Cilium agent of a cluster. */
export interface CiliumSpec {
  /** Cilium Helm chart version: strict semantic version MAJOR.MINOR.PATCH[-PRE][+BUILD], ≥ 1.18 (default pinned by dcnet). */
  chartVersion?: string;
  /** Replace kube-proxy with eBPF (default true; needs `apiServer`). */
  kubeProxyReplacement?: boolean;
  /** Load-balancer options. */
  loadBalancer?: CiliumLoadBalancerSpec;
  /** BGP speaker: bird (default) or cilium. */
  bgpSpeaker?: BgpSpeaker;
  /** How the agent runs: daemonset (default, the chart's DaemonSet) or host (config dir + systemd unit per node, applied over SSH). */
  deployment?: CiliumDeployment;
  /** Where each node's PodCIDR is written (default spec). */
  podCidrSource?: PodCidrSource;
  /**
   * Extra Helm values in `--set` syntax (`"hubble.relay.enabled": "true"`). Values dcnet derives
   * from the plan cannot be overridden here, and settings Cilium 1.18 removed are refused; no path
   * segment may be `__proto__`, `constructor` or `prototype`. Checked against the chart's
   * `values.schema.json` when one is at hand (`DCNET_CILIUM_VALUES_SCHEMA`, or the Go module cache).
   */
  values?: { [path: string]: string };
  /** Removed in Cilium 1.18: refused by validation (declare `externalEndpoints` instead). */
  externalWorkloads?: boolean;
  /** BGP v1 `CiliumBGPPeeringPolicy`, removed in Cilium 1.19: refused by validation (use `bgpSpeaker: cilium`). */
  bgpPeeringPolicy?: boolean;
}

/** Membership of a cluster in a ClusterMesh. */
export interface ClusterMeshMemberSpec {
  /** Mesh name: clusters declaring the same name are meshed together. */
  name: string;
  /** VIP of the clustermesh-apiserver (a LoadBalancer Service pinned in one of the cluster's VIP pools). */
  apiServerAddress?: string;
  /** Without `apiServerAddress`: nodes whose addresses expose the apiserver NodePort 32379 (default: the first three nodes). */
  apiServerNodes?: string[];
}

/** One route of an ingress host. */
export interface IngressRouteSpec {
  /** URI prefix, e.g. `/` or `/api`. */
  pathPrefix: string;
  /** Destination Service name (a DNS-1035 label). */
  service: string;
  /** Destination Service namespace (default `default`). */
  namespace?: string;
  /** Destination Service port. */
  port: number;
}

/** One host served by the ingress gateway. */
export interface IngressHostSpec {
  /** Host name, e.g. `shop.example.com`. */
  host: string;
  /** Name of the TLS secret (in the gateway namespace) for HTTPS on 443; plain HTTP on 80 when absent. */
  tlsSecret?: string;
  /** Routes, matched by URI prefix in order. */
  routes: IngressRouteSpec[];
}

/** Istio ingress gateway on a VIP. */
export interface IngressSpec {
  /** The VIP the gateway Service is pinned to (`lbipam.cilium.io/ips`); must lie in a VIP pool of the cluster. */
  address: string;
  /** Namespace of the gateway (default `istio-ingress`). */
  namespace?: string;
  /** Istio chart version: strict semantic version (default pinned by dcnet). */
  chartVersion?: string;
  /** Gateway replicas (default 2). */
  replicas?: number;
  /** Hosts and routes. */
  hosts: IngressHostSpec[];
}

/** A set of pods a policy rule talks to. */
export interface PolicyPodPeerSpec {
  /** Pod labels (`matchLabels`, Kubernetes label keys and values); empty selects every pod. */
  labels: { [key: string]: string };
  /** Namespace of the pods (default: the policy's namespace; every namespace for clusterwide policies). */
  namespace?: string;
  /** Clusters the pods may be in (default: the local cluster only). */
  clusters?: string[];
  /** Any cluster of the local cluster's mesh. */
  anyMeshCluster?: boolean;
}

/** An L4 port. */
export interface PolicyPortSpec {
  /** Port 1–65535. */
  port: number;
  /** Last port of a range (inclusive). */
  endPort?: number;
  /** TCP (default), UDP, SCTP or ANY. */
  protocol?: PolicyProtocol;
}

/** An L7 HTTP rule (allow rules on TCP ports only). */
export interface PolicyHttpRuleSpec {
  /** Method (extended POSIX regex), e.g. `GET`. */
  method?: string;
  /** Path (extended POSIX regex), e.g. `/api/.*`. */
  path?: string;
  /** Host header (regex). */
  host?: string;
  /** Headers that must be present, `Name: value`. */
  headers?: string[];
}

/**
 * One rule of a policy: peers (pods, entities, CIDRs, CIDR groups) and ports. Every kind of
 * peer listed is allowed (or denied); no peer at all means any peer.
 */
export interface PolicyRuleSpec {
  /** Pods, possibly in other clusters of the mesh. */
  pods?: PolicyPodPeerSpec[];
  /** Entities (world, host, kube-apiserver, ...). */
  entities?: PolicyEntity[];
  /** Literal CIDRs. */
  cidrs?: string[];
  /** Names of CIDR groups (external endpoints of the inventory). */
  cidrGroups?: string[];
  /** CIDR groups selected by label (external endpoints carrying these labels). */
  cidrGroupLabels?: { [key: string]: string };
  /** Ports (default: every port). */
  ports?: PolicyPortSpec[];
  /** L7 HTTP rules on the ports. */
  http?: PolicyHttpRuleSpec[];
}

/** A Cilium network policy. */
export interface NetworkPolicySpec {
  /** Policy name. */
  name: string;
  /** Namespace (default `default`); ignored for clusterwide policies. */
  namespace?: string;
  /** A CiliumClusterwideNetworkPolicy instead of a namespaced CiliumNetworkPolicy. */
  clusterwide?: boolean;
  /** Free text. */
  description?: string;
  /** Pods the policy applies to (`endpointSelector.matchLabels`, Kubernetes label keys and values); empty selects every pod. */
  selector: { [key: string]: string };
  /** Allowed inbound traffic. */
  ingress?: PolicyRuleSpec[];
  /** Denied inbound traffic (deny wins over allow). */
  ingressDeny?: PolicyRuleSpec[];
  /** Allowed outbound traffic. */
  egress?: PolicyRuleSpec[];
  /** Denied outbound traffic. */
  egressDeny?: PolicyRuleSpec[];
}

/** A non-Cilium endpoint (VMs, bare-metal hosts, pods of other platforms) given identity by a `CiliumCIDRGroup`. */
export interface ExternalEndpointSpec {
  /** Name (the `CiliumCIDRGroup` name and a label value: a DNS-1123 subdomain of at most 63 characters). */
  name: string;
  /** Its addresses or prefixes. */
  cidrs: string[];
  /** Labels (Kubernetes label keys and values; not `dcnet.io/cluster`, `dcnet.io/external-endpoint`), selectable from policies with `cidrGroupLabels`. */
  labels?: { [key: string]: string };
  /** Free text. */
  description?: string;
}

/** Everything a Kubernetes cluster of the data center needs beyond the plan. */
export interface ClusterK8sSpec {
  /** The API server, for kube-proxy replacement. */
  apiServer?: ApiServerEndpointSpec;
  /** Cilium agent options. */
  cilium?: CiliumSpec;
  /** ClusterMesh membership. */
  mesh?: ClusterMeshMemberSpec;
  /** Istio ingress gateway on a VIP. */
  ingress?: IngressSpec;
  /** Network policies. */
  policies?: NetworkPolicySpec[];
  /** External endpoint inventory. */
  externalEndpoints?: ExternalEndpointSpec[];
  /** External endpoint inventory file (YAML or JSON: a list, or `{ endpoints: [...] }`), relative to the spec file. */
  externalEndpointsFile?: string;
}
