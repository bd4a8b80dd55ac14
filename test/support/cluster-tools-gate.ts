/**
 * Gate for the tests against the real cluster-side tools (kube-apiserver, kubectl, helm, etcd, the
 * Cilium module): outside CI a missing tool skips the suite with a message; under CI=true it FAILS.
 * Build the tools with scripts/build-cluster-tools.sh (.ci/run does).
 */
import { ClusterTools, clusterTools, missingTools } from "../../sdk/tools/cluster-tools";
import { inCI } from "./lab-env";

/** Call from a `before()` hook: the tools found, or skip (locally) / throw (CI) naming what is missing. */
export function requireClusterTools(ctx: Mocha.Context, needed: (keyof ClusterTools)[]): ClusterTools {
  const tools = clusterTools();
  const missing = missingTools(tools, needed);
  if (missing.length === 0) return tools;
  const msg = `missing cluster tools: ${missing.join(", ")} (looked in ${tools.toolsDir} and the Go module cache; run scripts/build-cluster-tools.sh, apt-get install etcd-server clang-19 socat)`;
  if (inCI()) throw new Error(`${msg}\n(CI=true: these tests must run in CI)`);
  console.warn(`      skipping: ${msg}`);
  ctx.skip();
}
