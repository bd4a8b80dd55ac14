/** The spec of the L4 load-balancer lab test (test/lab-l4lb.test.ts). */
import { DataCenterSpec } from "../../sdk/spec/types";
import { clusterLabSpec } from "./lab-cluster-spec";

/**
 * The cluster lab's spec (one spine, two racks) with both nodes of rack r1 `l4lb` (so each leaf of
 * rack r1 holds the VIP with ECMP over the two), agents on r1n1, r1n2 and r2n1 (backends on all
 * three), Cilium's BGP speaker (the VIP is announced by the BGP v2 advertisement of the pool's
 * LoadBalancer IPs) and the load balancer as given (`mode`, Maglev by default). Graceful restart off
 * and a 3 s hold time: Cilium's speaker has no BFD, and with graceful restart the switches keep a
 * dead announcer's VIP as stale for the restart time (docs/cluster-side.md).
 */
export function l4lbLabSpec(mode: "snat" | "dsr" | "hybrid" = "snat", name = "lc-lb"): DataCenterSpec {
  const spec = clusterLabSpec("cilium", name) as unknown as {
    bgp: Record<string, unknown>;
    racks: { nodes: { name: string; role: string }[] }[];
    clusters: { nodes: string[]; k8s: { cilium: Record<string, unknown> } }[];
  };
  spec.racks[0].nodes[1].role = "l4lb";
  spec.racks[1].nodes[0].role = "worker";
  spec.bgp = { ...spec.bgp, keepalive: 1, hold: 3, gracefulRestart: false };
  const c = spec.clusters[0];
  c.nodes = ["r1n1", "r1n2", "r2n1"];
  c.k8s.cilium = { ...c.k8s.cilium, loadBalancer: { mode, algorithm: "maglev", maglevTableSize: 16381 } };
  return spec as unknown as DataCenterSpec;
}
