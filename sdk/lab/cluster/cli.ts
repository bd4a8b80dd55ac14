/** What `dcnet lab up` needs for the cluster side: the spec's cluster-side inputs (none for a plan.json). */
import { readFileSync } from "fs";
import { dirname } from "path";
import { Plan } from "../../plan/types";
import { loadClusterInputs } from "../../k8s";
import { loadSpecForCli } from "../../cli/load";
import { clusterToolsMissing, LabClusterOptions } from "./index";

/** Cluster-side options of a spec file, or undefined when no cluster of it has `k8s` settings (or it is a plan.json). */
export function clusterInputsForLab(specFile: string, plan: Plan, note: (line: string) => void = () => undefined): LabClusterOptions | undefined {
  if (specFile.endsWith(".json")) {
    try {
      const data = JSON.parse(readFileSync(specFile, "utf8")) as { version?: unknown; devices?: unknown };
      if (data.version === 1 && Array.isArray(data.devices)) return undefined; // a plan.json: no cluster inputs
    } catch {
      /* a spec in JSON: read below */
    }
  }
  const inputs = loadClusterInputs(loadSpecForCli(specFile), dirname(specFile));
  const has = plan.clusters.some((c) => Object.prototype.hasOwnProperty.call(inputs, c.name));
  if (!has) return undefined;
  const missing = clusterToolsMissing();
  if (missing.length > 0) {
    note(`dcnet: note: the cluster side is NOT brought up (clusters with k8s settings need, missing here):\n${missing.map((m) => `  - ${m}`).join("\n")}\n(--no-cluster silences this note)`);
    return undefined;
  }
  return { inputs };
}
