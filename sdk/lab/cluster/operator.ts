/**
 * The cluster's cilium-operator-generic, in the root namespace, talking to its API server on
 * 127.0.0.1, configured from the same rendered `cilium-config` (plus `LAB_OPERATOR_OVERRIDES`:
 * no listener beyond loopback, CRDs registered by the operator itself). It registers Cilium's
 * CRDs, runs LB-IPAM and derives each node's CiliumBGPNodeConfig.
 */
import { join } from "path";
import { LabState } from "../state";
import { kubectl } from "./apiserver";
import { spawnRecorded, waitReady } from "./proc";
import { LabApiServer } from "./types";

/** CRDs the lab waits for before applying dcnet's objects (the BGP ones only with the BGP control plane on). */
export const REQUIRED_CRDS = [
  "ciliumnodes.cilium.io",
  "ciliumloadbalancerippools.cilium.io",
  "ciliumcidrgroups.cilium.io",
  "ciliumnetworkpolicies.cilium.io",
  "ciliumclusterwidenetworkpolicies.cilium.io",
  "ciliumbgpclusterconfigs.cilium.io",
  "ciliumbgppeerconfigs.cilium.io",
  "ciliumbgpadvertisements.cilium.io",
  "ciliumbgpnodeconfigoverrides.cilium.io",
  "ciliumbgpnodeconfigs.cilium.io",
];

/** How long the operator may take to register the CRDs. */
export const CRD_TIMEOUT_MS = 120000;

/** Start the operator of a cluster (config dir written). */
export function startOperator(state: LabState, cluster: string, api: LabApiServer, dir: string, operator: string): void {
  spawnRecorded(
    state,
    `k8s-${cluster}`,
    "cilium-operator",
    [operator, `--config-dir=${join(dir, "config")}`, `--k8s-kubeconfig-path=${api.kubeconfig}`, `--cluster-name=${cluster}`],
    join(dir, "operator.log"),
    { PATH: process.env.PATH, HOME: dir, CILIUM_K8S_NAMESPACE: "kube-system", K8S_NAMESPACE: "kube-system" },
  );
}

/** Wait until every required CRD is Established. */
export async function waitCrds(state: LabState, cluster: string, api: LabApiServer, dir: string, kubectlBin: string, bgp: boolean): Promise<void> {
  const required = REQUIRED_CRDS.filter((c) => bgp || !c.startsWith("ciliumbgp"));
  const rec = [...state.processes].reverse().find((p) => p.device === `k8s-${cluster}` && p.daemon === "cilium-operator");
  await waitReady(`cilium-operator of cluster ${cluster} (CRDs)`, rec, join(dir, "operator.log"), CRD_TIMEOUT_MS, () => {
    const r = kubectl(api, kubectlBin, ["get", "crd", "-o", "json"], { check: false });
    if (r.code !== 0) return undefined;
    const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items;
    const ready = new Set(items.filter((c) => c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True")).map((c) => c.metadata.name));
    return required.every((c) => ready.has(c)) ? true : undefined;
  }, 1000);
}
