/**
 * Re-render a running lab cluster's agent configuration for changed cluster-side inputs (e.g. the
 * spec's `loadBalancer.mode`), the way a `helm upgrade` would change the `cilium-config` the
 * DaemonSet mounts: `helm template` of the real chart with dcnet's values for the new inputs, the
 * keys whose value changed written into every agent's config dir (the lab-only overrides stay),
 * then each agent restarted (one after the other) and waited for until healthy.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { parseAllDocuments } from "yaml";
import { Plan } from "../../plan/types";
import { ciliumValues, clusterContext, ClusterInputs } from "../../k8s";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { LabError } from "../exec";
import { LabState, saveState } from "../state";
import { helmTemplate, LAB_AGENT_OVERRIDES } from "./config";
import { stopAgent } from "./agent";
import { startAgentAgain } from "./index";

/** One key of `cilium-config` that changed (`to` undefined: removed). */
export interface ConfigChange {
  key: string;
  from?: string;
  to?: string;
}

/** The chart's `cilium-config` the lab brought the cluster up with (its `chart.yaml`). */
function chartConfigOf(dir: string): Record<string, string> {
  const docs = parseAllDocuments(readFileSync(join(dir, "chart.yaml"), "utf8")).map((d) => d.toJSON() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> } | null);
  const cm = docs.find((o) => o?.kind === "ConfigMap" && o.metadata?.name === "cilium-config");
  if (!cm?.data) throw new LabError(`${dir}/chart.yaml has no cilium-config ConfigMap`);
  return cm.data;
}

/** Keys that differ between two `cilium-config`s (lab-only overrides excluded), sorted. */
export function configChanges(from: Record<string, string>, to: Record<string, string>): ConfigChange[] {
  const lab = new Set(LAB_AGENT_OVERRIDES.map((o) => o.key));
  return [...new Set([...Object.keys(from), ...Object.keys(to)])]
    .filter((k) => !lab.has(k) && from[k] !== to[k])
    .sort()
    .map((key) => ({ key, ...(from[key] !== undefined ? { from: from[key] } : {}), ...(to[key] !== undefined ? { to: to[key] } : {}) }));
}

/**
 * Apply the chart's config for `inputs` to cluster `cluster`'s agents and restart them; returns the
 * changed keys (nothing restarts when none changed). The new chart output replaces `chart.yaml`.
 */
export async function reconfigureAgents(state: LabState, plan: Plan, inputs: ClusterInputs, cluster: string, tools: ClusterTools = clusterTools(), say: (m: string) => void = () => undefined): Promise<ConfigChange[]> {
  const lc = state.cluster?.clusters[cluster];
  if (!lc) throw new LabError(`cluster ${cluster} does not run in this lab`);
  if (!tools.helm || !tools.ciliumChart) throw new LabError("helm and the Cilium chart are needed (scripts/build-cluster-tools.sh)");
  const dir = lc.apiServer.dir;
  const before = chartConfigOf(dir);
  const chart = helmTemplate(tools.helm, tools.ciliumChart, ciliumValues(clusterContext(plan, inputs, cluster)), join(dir, "values-cilium.json"));
  const changes = configChanges(before, chart.ciliumConfig);
  if (changes.length === 0) return changes;
  writeFileSync(join(dir, "chart.yaml"), chart.text, { mode: 0o644 });
  for (const name of lc.nodes) {
    const node = state.cluster!.nodes[name];
    const present = new Set(readdirSync(node.configDir));
    for (const c of changes) {
      if (c.to !== undefined) writeFileSync(join(node.configDir, c.key), c.to, { mode: 0o644 });
      else if (present.has(c.key)) rmSync(join(node.configDir, c.key), { force: true });
    }
  }
  for (const name of lc.nodes) {
    say(`${name}: restarting cilium-agent with ${changes.map((c) => `${c.key}=${c.to ?? "(removed)"}`).join(", ")}`);
    await stopAgent(state, name);
    await startAgentAgain(state, name, tools);
  }
  saveState(state);
  return changes;
}
