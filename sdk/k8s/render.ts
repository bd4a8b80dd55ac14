/**
 * Everything the cluster side creates, as plain objects and chart values, and the offline
 * rendering of it: `clusters/<cluster>/<kind>-<name>.yaml` (one object per file; namespaced
 * objects are named `<kind>-<namespace>_<name>.yaml`) and `clusters/<cluster>/values/<chart>.yaml`.
 * Secrets (BGP passwords, the mesh CA) never enter these files.
 */
import { Document, Scalar, parse, visit } from "yaml";
import { Plan } from "../plan/types";
import { BgpSpeaker } from "../spec/cluster-types";
import { ClusterContext, ClusterInputs, clusterContext, clusterInput } from "./context";
import { ciliumOptions } from "./defaults";
import { ciliumValues } from "./cilium-values";
import { nodePatches } from "./node-patches";
import { lbIpPools } from "./lb-ipam";
import { bgpObjects } from "./bgp";
import { istioObjects, istioValues } from "./istio";
import { policyObjects } from "./policy";
import { externalEndpointObjects } from "./external-endpoints";
import { assertClusterSide } from "./validate";
import { ClusterValidationOptions } from "./chart-schema";
import { K8sObject } from "./objects";

/** Objects of a cluster, by the component that creates them. */
export interface ClusterObjects {
  /** CiliumAgent: Node patches. */
  nodePatches: K8sObject[];
  /** CiliumAgent with `bgpSpeaker: cilium`: BGP v2 objects. */
  bgp: K8sObject[];
  /** VipPool: LB-IPAM pools. */
  vipPools: K8sObject[];
  /** IstioIngress: namespaces, Gateway, VirtualServices. */
  ingress: K8sObject[];
  /** NetworkPolicy: Cilium policies. */
  policies: K8sObject[];
  /** ExternalEndpoints: CIDR groups. */
  externalEndpoints: K8sObject[];
}

/** Chart values of a cluster, by chart. */
export interface ClusterChartValues {
  /** Values of the Cilium chart. */
  cilium: Record<string, unknown>;
  /** Values of Istio's `base` chart (with an ingress). */
  "istio-base"?: Record<string, unknown>;
  /** Values of the `istiod` chart (with an ingress). */
  istiod?: Record<string, unknown>;
  /** Values of the `gateway` chart (with an ingress). */
  "istio-gateway"?: Record<string, unknown>;
}

/** Every object of a cluster. */
export function clusterObjects(ctx: ClusterContext): ClusterObjects {
  return {
    nodePatches: nodePatches(ctx),
    bgp: ciliumOptions(ctx.k8s).bgpSpeaker === BgpSpeaker.cilium ? bgpObjects(ctx) : [],
    vipPools: lbIpPools(ctx),
    ingress: istioObjects(ctx),
    policies: policyObjects(ctx),
    externalEndpoints: externalEndpointObjects(ctx),
  };
}

/** Chart values of a cluster. */
export function clusterChartValues(ctx: ClusterContext): ClusterChartValues {
  const istio = istioValues(ctx);
  return {
    cilium: ciliumValues(ctx),
    ...(istio ? { "istio-base": istio.base, istiod: istio.istiod, "istio-gateway": istio.gateway } : {}),
  };
}

/**
 * File name of an object: `<kind>-<name>.yaml`, `<kind>-<namespace>_<name>.yaml` when namespaced.
 * Injective: kinds hold no '-', and neither namespaces (DNS labels) nor names (DNS subdomains)
 * hold '_' (with '-' there, namespace a-b/name c and namespace a/name b-c met).
 */
export function objectFileName(obj: K8sObject): string {
  return `${objectKey(obj)}.yaml`;
}

/** `<kind>-<name>` or `<kind>-<namespace>_<name>`: one string per object (file and Pulumi resource names). */
export function objectKey(obj: K8sObject): string {
  const kind = obj.kind.toLowerCase();
  return obj.metadata.namespace ? `${kind}-${obj.metadata.namespace}_${obj.metadata.name}` : `${kind}-${obj.metadata.name}`;
}

/**
 * Would this string, written as a plain scalar, be read as something else than the same string by a
 * YAML 1.1 reader (kubectl, the API server and Helm read YAML with go-yaml, i.e. 1.1 rules: `Yes`,
 * `on`, `y` are booleans, `017` octal, `1_000` and `1:20` integers, `2001-12-14` a timestamp, `<<` a
 * merge key)? The `yaml` package writes YAML 1.2, which already quotes what 1.2 would misread.
 */
function misreadByYaml11(s: string): boolean {
  if (s.length === 0 || s.length > 64 || /[\n\r\t]/.test(s)) return false;
  if (s === "<<" || s === "=") return true;
  try {
    return parse(s, { version: "1.1" }) !== s;
  } catch {
    return false;
  }
}

/**
 * YAML text of an object or values (stable: insertion order, no line folding). The text means the
 * same under YAML 1.1 and 1.2: every string scalar (key or value) a 1.1 reader would take for a
 * boolean, number, null, timestamp or merge key is double-quoted, so `allowFirstLastIPs: "Yes"`
 * stays a string for kubectl, the API server and Helm.
 */
export function toYaml(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && misreadByYaml11(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/**
 * Render every cluster's objects and chart values. Validates the cluster-side inputs first and
 * throws a `SpecError` listing every problem. Clusters without inputs get the defaults (which
 * need `apiServer` for kube-proxy replacement), so only clusters present in `clusterInputs`
 * are rendered.
 */
export function renderClusterManifests(plan: Plan, clusterInputs: ClusterInputs, options: ClusterValidationOptions = {}): { path: string; text: string }[] {
  assertClusterSide(plan, clusterInputs, options);
  const files: { path: string; text: string }[] = [];
  for (const c of plan.clusters) {
    if (!clusterInput(clusterInputs, c.name)) continue;
    const ctx = clusterContext(plan, clusterInputs, c.name);
    const dir = `clusters/${c.name}`;
    const objects = Object.values(clusterObjects(ctx)).flat();
    const seen = new Set<string>();
    for (const obj of objects) {
      const file = `${dir}/${objectFileName(obj)}`;
      if (seen.has(file)) throw new Error(`internal: two objects render to ${file} (validation's rendered-object rule should have refused the inputs)`);
      seen.add(file);
      files.push({ path: file, text: toYaml(obj) });
    }
    const values = clusterChartValues(ctx);
    for (const [chart, v] of Object.entries(values)) files.push({ path: `${dir}/values/${chart}.yaml`, text: toYaml(v) });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
