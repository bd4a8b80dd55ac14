/**
 * Objects the lab puts into a cluster's API server, every one with server-side apply:
 *
 * 1. the chart's own objects (`helm template` output: RBAC, ServiceAccounts, the cilium-config
 *    ConfigMap, the DaemonSet and Deployment, which no kubelet runs: the lab runs the daemons);
 * 2. one Node per lab node (field manager `dcnet-lab`: name, `kubernetes.io/hostname`, the
 *    node address in status), then dcnet's NodePatch (field manager `dcnet`: PodCIDR, labels);
 * 3. with `bgpSpeaker: cilium`, the MD5 Secrets (key `password`, the run's passwords) in
 *    kube-system;
 * 4. dcnet's rendered objects: LB-IPAM pools, BGP v2 objects, policies, CIDR groups (Istio's
 *    objects need Istio's CRDs, which the lab does not have: they are listed as skipped).
 *
 * Objects are sent as JSON (one meaning whatever YAML version a reader speaks).
 */
import { Plan, PlanDevice } from "../../plan/types";
import { BGP_SECRET_KEY, bgpSecretRefs, ClusterContext, clusterObjects, K8sObject } from "../../k8s";
import { nthAddress } from "../../net/prefix";
import { LabError } from "../exec";
import { kubectl } from "./apiserver";
import { LabApiServer } from "./types";

/** Field manager of dcnet's own objects (as the Pulumi components would apply them). */
export const DCNET_FIELD_MANAGER = "dcnet";
/** Field manager of what only the lab writes (Node skeletons, chart objects, secrets). */
export const LAB_FIELD_MANAGER = "dcnet-lab";

/** `kind/namespace/name` of an object. */
export function objectRef(o: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;
}

/** Server-side apply a list of objects; throws with the server's words when one is refused. */
export function serverSideApply(api: LabApiServer, kubectlBin: string, objects: unknown[], fieldManager: string): void {
  if (objects.length === 0) return;
  const input = JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
  const r = kubectl(api, kubectlBin, ["apply", "--server-side", "--force-conflicts", `--field-manager=${fieldManager}`, "-f", "-"], { input, check: false, timeoutMs: 60000 });
  if (r.code !== 0) throw new LabError(`the API server refused objects (kubectl apply --server-side, field manager ${fieldManager}):\n${(r.stderr || r.stdout).trim()}`);
}

/** The address of a node device (its first interface address). */
function nodeAddr(d: PlanDevice): string {
  return d.interfaces[0]?.addresses[0]?.address ?? d.routerId;
}

/** Node skeletons of the cluster's lab nodes. */
export function nodeSkeletons(ctx: ClusterContext): K8sObject[] {
  const pod = new Map(ctx.plan.nodes.map((n) => [n.name, n.podCIDR.prefix]));
  return ctx.nodes.map((d) => {
    // lab only: the agent restores its router address from this annotation, so cilium_host holds
    // the first host of the PodCIDR, the address the lab's data-plane probes use (as the stand-in did)
    const router = pod.has(d.name) ? nthAddress(pod.get(d.name)!, 1) : undefined;
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: d.name,
        labels: { "kubernetes.io/hostname": d.name, "kubernetes.io/os": "linux" },
        ...(router ? { annotations: { [CILIUM_HOST_ANNOTATION]: router } } : {}),
      },
    };
  });
}

/**
 * CiliumNode seeds (lab only): the router address each agent restores for cilium_host (first host
 * of the PodCIDR, the address the lab's data-plane probes use, as the lab's stand-in had it).
 */
export function ciliumNodeSeeds(ctx: ClusterContext): K8sObject[] {
  const pod = new Map(ctx.plan.nodes.map((n) => [n.name, n.podCIDR.prefix]));
  return ctx.nodes
    .filter((d) => pod.has(d.name))
    .map((d) => ({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNode",
      metadata: { name: d.name, labels: { "kubernetes.io/hostname": d.name } },
      spec: { addresses: [{ type: "CiliumInternalIP", ip: nthAddress(pod.get(d.name)!, 1)! }] },
    }));
}

/** Node annotation Cilium restores its router (cilium_host) address from. */
export const CILIUM_HOST_ANNOTATION = "network.cilium.io/ipv4-cilium-host";

/** Set each Node's status addresses (InternalIP = node address, Hostname). */
export function patchNodeStatus(api: LabApiServer, kubectlBin: string, ctx: ClusterContext): void {
  for (const d of ctx.nodes) {
    const status = {
      status: {
        addresses: [
          { type: "InternalIP", address: nodeAddr(d) },
          { type: "Hostname", address: d.name },
        ],
        conditions: [{ type: "Ready", status: "True", reason: "DcnetLab", message: "node of the dcnet lab", lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
      },
    };
    const r = kubectl(api, kubectlBin, ["patch", "node", d.name, "--subresource=status", "--type=merge", "-p", JSON.stringify(status)], { check: false });
    if (r.code !== 0) throw new LabError(`could not set the status of Node ${d.name}: ${(r.stderr || r.stdout).trim()}`);
  }
}

/** The MD5 Secrets of the cluster's sessions (Cilium speaker). */
export function bgpSecrets(ctx: ClusterContext, passwords: Record<string, string>): K8sObject[] {
  return bgpSecretRefs(ctx).map((ref) => {
    const pw = passwords[ref];
    if (pw === undefined) throw new LabError(`no password for BGP secret ${ref}`);
    return { apiVersion: "v1", kind: "Secret", metadata: { name: ref, namespace: "kube-system" }, type: "Opaque", stringData: { [BGP_SECRET_KEY]: pw } };
  });
}

/** dcnet's objects of the cluster, split into what the lab applies and what it cannot (no Istio). */
export function dcnetObjects(ctx: ClusterContext): { nodePatches: K8sObject[]; apply: K8sObject[]; skipped: string[] } {
  const o = clusterObjects(ctx);
  const istio = o.ingress.filter((x) => !/^(v1|)$/.test(x.apiVersion) || x.kind !== "Namespace");
  const namespaces = o.ingress.filter((x) => x.apiVersion === "v1" && x.kind === "Namespace");
  return {
    nodePatches: o.nodePatches,
    apply: [...namespaces, ...o.vipPools, ...o.bgp, ...o.policies, ...o.externalEndpoints],
    skipped: istio.map((x) => `${objectRef(x)} (needs Istio's CRDs, not in the lab)`),
  };
}

/** Planned PodCIDR of each node of the plan. */
export function plannedPodCidrs(plan: Plan): Map<string, string> {
  return new Map(plan.nodes.map((n) => [n.name, n.podCIDR.prefix]));
}
