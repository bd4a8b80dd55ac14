/** The spec of the dual-stack pods lab test (test/lab-dual-stack-pods.test.ts): examples/dual-stack with agents on one node per rack. */
import * as path from "path";
import { loadSpecFile } from "../../sdk/spec/load";
import { DataCenterSpec } from "../../sdk/spec/types";

/** The example the test brings up. */
export const DUAL_STACK_EXAMPLE = path.join(__dirname, "..", "..", "examples", "dual-stack", "datacenter.yaml");

/**
 * examples/dual-stack as it is (two spines, two racks of three nodes, IPv4 and IPv6 everywhere, its
 * `k8s` section: dual-stack Cilium, BIRD announcing both PodCIDRs), with cluster `prod` cut down to
 * one agent per rack (r1n1, r2n1: fewer agents on a small machine); the other nodes stay in the lab
 * with BIRD and the lab's stand-in cilium_host, as lab-datapath's second nodes do.
 */
export function dualStackPodsSpec(): DataCenterSpec {
  const spec = loadSpecFile(DUAL_STACK_EXAMPLE) as unknown as { clusters: { name: string; nodes: string[]; k8s?: unknown }[] };
  const prod = spec.clusters.find((c) => c.name === "prod");
  if (!prod?.k8s) throw new Error(`${DUAL_STACK_EXAMPLE}: cluster prod has no k8s section`);
  prod.nodes = ["r1n1", "r2n1"];
  return spec as unknown as DataCenterSpec;
}
