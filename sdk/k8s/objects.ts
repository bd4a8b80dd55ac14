/** Plain Kubernetes objects as dcnet produces them (JSON-serializable, no Pulumi types). */
import { createHash } from "crypto";

/** Object metadata. */
export interface K8sMetadata {
  /** Object name. */
  name: string;
  /** Namespace (absent for cluster-scoped kinds). */
  namespace?: string;
  /** Labels. */
  labels?: { [key: string]: string };
  /** Annotations. */
  annotations?: { [key: string]: string };
}

/** A Kubernetes object: apiVersion, kind, metadata and any body (spec, data, ...). */
export interface K8sObject {
  /** API group and version, e.g. `cilium.io/v2`. */
  apiVersion: string;
  /** Kind, e.g. `CiliumNetworkPolicy`. */
  kind: string;
  /** Name, namespace, labels, annotations. */
  metadata: K8sMetadata;
  [field: string]: unknown;
}

/** Label put on every object dcnet creates. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "dcnet" } as const;

/** Label naming the cluster an object belongs to. */
export const CLUSTER_LABEL = "dcnet.io/cluster";

/** Cilium's policy label for an endpoint's cluster. */
export const POLICY_CLUSTER_LABEL = "io.cilium.k8s.policy.cluster";

/** Cilium's label for an endpoint's namespace. */
export const POD_NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";

/** The LB-IPAM annotation pinning a Service to addresses. */
export const LBIPAM_IPS_ANNOTATION = "lbipam.cilium.io/ips";

/** The node annotation Cilium's `ipam.mode=kubernetes` reads when `spec.podCIDR` is empty. */
export const POD_CIDR_ANNOTATION = "network.cilium.io/ipv4-pod-cidr";
/** Dual-stack: the node annotation Cilium reads the IPv6 PodCIDR from (with `annotateK8sNode`). */
export const POD_CIDR6_ANNOTATION = "network.cilium.io/ipv6-pod-cidr";

/** Standard labels of a dcnet object of a cluster. */
export function dcnetLabels(cluster: string, extra: { [key: string]: string } = {}): { [key: string]: string } {
  return { ...MANAGED_BY, [CLUSTER_LABEL]: cluster, ...extra };
}

/** Kinds that are cluster-scoped (everything else dcnet makes is namespaced). */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "CiliumClusterwideNetworkPolicy",
  "CiliumLoadBalancerIPPool",
  "CiliumCIDRGroup",
  "CiliumBGPClusterConfig",
  "CiliumBGPPeerConfig",
  "CiliumBGPAdvertisement",
  "CiliumBGPNodeConfigOverride",
]);

/** True when objects of this kind have no namespace. */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** A DNS-1123 label (names of most objects, ≤ 63 chars). */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

/** A DNS-1123 subdomain (object names, ≤ 253 chars). */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/**
 * A derived name of at most `max` characters: `name` itself when it fits, else its head and a
 * hash of the whole (so two long names never meet).
 */
export function boundedName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `${name.slice(0, max - 11).replace(/[-.]+$/, "")}-${hash}`;
}

/** A short stable hash of a list of names (for names derived from sets). */
export function namesHash(names: string[]): string {
  return createHash("sha256").update(JSON.stringify(names)).digest("hex").slice(0, 10);
}

/** Turn any text into a DNS-1123 label (lower case, `-` for anything else, ≤ 63 chars). */
export function toDnsLabel(text: string): string {
  const s = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return (s.slice(0, 63).replace(/-+$/, "") || "x");
}
