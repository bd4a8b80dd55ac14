/** The spec of the datapath lab test (test/lab-datapath.test.ts): the cluster lab's spec with dcnet's `protected-db` policy. */
import { DataCenterSpec } from "../../sdk/spec/types";
import { clusterLabSpec } from "./lab-cluster-spec";

/**
 * The cluster lab's spec (one spine, two racks), one agent per rack (the l4lb nodes: fewer agents on
 * a small machine), with the `protected-db` CiliumNetworkPolicy of examples/spine-leaf (TCP 6379 from
 * `app=employee` pods of any mesh cluster), and `billing-db` (TCP 5432 from the external endpoints
 * labelled `team=billing`: the CIDR group `billing-vms`, standing for VMs on rack r1's network).
 */
export function datapathLabSpec(name = "lc-dp"): DataCenterSpec {
  const spec = clusterLabSpec("bird", name) as unknown as { clusters: { nodes: string[]; k8s: Record<string, unknown> }[] };
  const c = spec.clusters[0];
  c.nodes = ["r1n1", "r2n1"];
  c.k8s.policies = [
    {
      name: "protected-db",
      namespace: "default",
      selector: { app: "protected-db" },
      ingress: [{ pods: [{ labels: { app: "employee" }, anyMeshCluster: true }], ports: [{ port: 6379, protocol: "TCP" }] }],
    },
    {
      name: "billing-db",
      namespace: "default",
      selector: { app: "billing-db" },
      ingress: [{ cidrGroupLabels: { team: "billing" }, ports: [{ port: 5432, protocol: "TCP" }] }],
    },
  ];
  // hosts outside Cilium (VMs) on rack r1's network: 198.18.10.48/29 is the group, .60 is outside it
  c.k8s.externalEndpoints = [{ name: "billing-vms", cidrs: ["198.18.10.48/29"], labels: { team: "billing" } }];
  return spec as unknown as DataCenterSpec;
}

/** The VIP of lab-a's clustermesh-apiserver (pool `public`, 198.18.200.0/29). */
export const MESH_VIP = "198.18.200.3";

/**
 * Two clusters meshed (`mesh: { name }`): lab-a on r1n1 with `protected-db` (employee pods of any
 * mesh cluster, or of lab-a only with `anyMeshCluster: false`), lab-b on r2n1 with a `protected-db`
 * of its own (employee pods of any mesh cluster). lab-a's mesh API server on a VIP of its pool
 * `public` (`MESH_VIP`: a LoadBalancer Service, announced by r1n1, the pool's l4lb node), lab-b's on
 * NodePort 32379 of r2n1 (no VIP): both ways dcnet exposes it. BIRD announces the PodCIDRs and VIPs.
 */
export function meshLabSpec(anyMeshCluster: boolean, name = "lc-mesh"): DataCenterSpec {
  const spec = datapathLabSpec(name) as unknown as { pools: { vips: { cluster: string }[] }; clusters: Record<string, unknown>[] };
  const a = spec.clusters[0] as { name: string; nodes: string[]; k8s: Record<string, unknown> };
  a.name = "lab-a";
  a.nodes = ["r1n1"];
  a.k8s.mesh = { name, apiServerAddress: MESH_VIP };
  delete a.k8s.externalEndpoints;
  a.k8s.policies = [
    {
      name: "protected-db",
      namespace: "default",
      selector: { app: "protected-db" },
      ingress: [{ pods: [{ labels: { app: "employee" }, anyMeshCluster }], ports: [{ port: 6379, protocol: "TCP" }] }],
    },
  ];
  spec.pools.vips[0].cluster = "lab-a";
  // lab-b holds a protected-db of its own, for mesh peers (the other direction: lab-a's pods as clients)
  const bDb = { name: "protected-db", namespace: "default", selector: { app: "protected-db" }, ingress: [{ pods: [{ labels: { app: "employee" }, anyMeshCluster: true }], ports: [{ port: 6379, protocol: "TCP" }] }] };
  spec.clusters.push({ name: "lab-b", id: 2, nodes: ["r2n1"], k8s: { apiServer: { host: "198.18.11.11", port: 6443 }, cilium: { bgpSpeaker: "bird", podCidrSource: "spec" }, mesh: { name }, policies: [bDb] } });
  return spec as unknown as DataCenterSpec;
}
