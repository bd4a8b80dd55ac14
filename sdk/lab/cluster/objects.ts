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

/** The addresses of a node device: its node address per family (the interface of its first address), else its router id. */
function nodeAddrs(d: PlanDevice): string[] {
  const i = d.interfaces.find((x) => x.addresses.length > 0);
  const byFamily = new Map<string, string>();
  for (const a of i?.addresses ?? []) if (!byFamily.has(a.family)) byFamily.set(a.family, a.address);
  return byFamily.size > 0 ? [...byFamily.values()] : [d.routerId];
}

/** The planned PodCIDRs of a node, IPv4 first (dual-stack: `podCIDR` and `podCIDR6`; an IPv6-only node has one, IPv6). */
export function nodePodCidrs(plan: Plan, node: string): string[] {
  const n = plan.nodes.find((x) => x.name === node);
  if (!n) return [];
  const all = [n.podCIDR, ...(n.podCIDR6 ? [n.podCIDR6] : [])];
  const out: string[] = [];
  for (const f of ["ipv4", "ipv6"]) for (const p of all) if (p.family === f && !out.includes(p.prefix)) out.push(p.prefix);
  return out;
}

/** Router (cilium_host) address per family the lab seeds: the first host of each PodCIDR. */
export function routerAddresses(plan: Plan, node: string): { ipv4?: string; ipv6?: string } {
  const out: { ipv4?: string; ipv6?: string } = {};
  for (const p of nodePodCidrs(plan, node)) {
    const a = nthAddress(p, 1);
    if (!a) continue;
    if (p.includes(":")) out.ipv6 ??= a;
    else out.ipv4 ??= a;
  }
  return out;
}

/** Node skeletons of the cluster's lab nodes. */
export function nodeSkeletons(ctx: ClusterContext): K8sObject[] {
  return ctx.nodes.map((d) => {
    // lab only: the agent restores its router address from these annotations, so cilium_host holds
    // the first host of each PodCIDR, the address the lab's data-plane probes use (as the stand-in did)
    const r = routerAddresses(ctx.plan, d.name);
    const annotations = { ...(r.ipv4 ? { [CILIUM_HOST_ANNOTATION]: r.ipv4 } : {}), ...(r.ipv6 ? { [CILIUM_HOST6_ANNOTATION]: r.ipv6 } : {}) };
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: d.name,
        labels: { "kubernetes.io/hostname": d.name, "kubernetes.io/os": "linux" },
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
    };
  });
}

/**
 * CiliumNode seeds (lab only): the router addresses each agent restores for cilium_host (first host
 * of each PodCIDR, the addresses the lab's data-plane probes use, as the lab's stand-in had them).
 */
export function ciliumNodeSeeds(ctx: ClusterContext): K8sObject[] {
  return ctx.nodes
    .map((d) => ({ d, r: routerAddresses(ctx.plan, d.name) }))
    .filter(({ r }) => r.ipv4 || r.ipv6)
    .map(({ d, r }) => ({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNode",
      metadata: { name: d.name, labels: { "kubernetes.io/hostname": d.name } },
      spec: { addresses: [r.ipv4, r.ipv6].filter((ip): ip is string => ip !== undefined).map((ip) => ({ type: "CiliumInternalIP", ip })) },
    }));
}

/** Node annotation Cilium restores its IPv4 router (cilium_host) address from. */
export const CILIUM_HOST_ANNOTATION = "network.cilium.io/ipv4-cilium-host";
/** Node annotation Cilium restores its IPv6 router (cilium_host) address from. */
export const CILIUM_HOST6_ANNOTATION = "network.cilium.io/ipv6-cilium-host";

/** Set each Node's status addresses (an InternalIP per family of the node address, Hostname). */
export function patchNodeStatus(api: LabApiServer, kubectlBin: string, ctx: ClusterContext): void {
  for (const d of ctx.nodes) {
    const status = {
      status: {
        addresses: [...nodeAddrs(d).map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: d.name }],
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
