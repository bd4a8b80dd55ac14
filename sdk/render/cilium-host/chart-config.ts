/**
 * The chart's `cilium-config` for a cluster's values: `helm template` of the real Cilium chart
 * (the pinned one, from the Go module cache; `clusterTools()`), whose `cilium-config` ConfigMap
 * `data` is what the DaemonSet mounts as the agent's `--config-dir`. The lab and host mode both
 * take the agent's configuration from here: nothing re-implements the chart's templates.
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseAllDocuments } from "yaml";
import { CLUSTER_TOOL_VERSIONS } from "../../tools/cluster-tools";

/** One object of the rendered chart. */
export interface ChartObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

/** Result of `helm template`. */
export interface RenderedChart {
  /** Every object of the chart. */
  objects: ChartObject[];
  /** `cilium-config` ConfigMap data (key → value): the agent's config dir. */
  ciliumConfig: Record<string, string>;
  /** helm's text. */
  text: string;
  /** How long helm took. */
  ms: number;
}

/** `helm template` failed or rendered no `cilium-config` (the message names the values file and helm's words). */
export class ChartRenderError extends Error {
  /** Pulumi's RunError marker: the engine shows the message only. */
  readonly __pulumiRunError = true;
  constructor(message: string) {
    super(message);
    this.name = "ChartRenderError";
  }
}

/** Options of `renderCiliumChart`. */
export interface ChartRenderOptions {
  /** Where to write the values (JSON: one meaning in YAML 1.1 and 1.2); default a temp file, removed after. */
  valuesFile?: string;
  /** Release namespace (default kube-system). */
  namespace?: string;
  /** `--kube-version` (default the pinned Kubernetes of the cluster tools). */
  kubeVersion?: string;
  /** Bound on helm's run (default 60 s). */
  timeoutMs?: number;
}

/** `helm template cilium <chartDir>` with `values`; throws `ChartRenderError`. */
export function renderCiliumChart(helm: string, chartDir: string, values: Record<string, unknown>, opts: ChartRenderOptions = {}): RenderedChart {
  const tmp = opts.valuesFile ? undefined : mkdtempSync(join(tmpdir(), "dcnet-chart-"));
  const valuesFile = opts.valuesFile ?? join(tmp!, "values-cilium.json");
  const started = Date.now();
  try {
    writeFileSync(valuesFile, JSON.stringify(values, null, 2) + "\n", { mode: 0o644 });
    const args = ["template", "cilium", chartDir, "-n", opts.namespace ?? "kube-system", "--kube-version", opts.kubeVersion ?? CLUSTER_TOOL_VERSIONS.kubernetes, "-f", valuesFile];
    const r = spawnSync(helm, args, { encoding: "utf8", timeout: opts.timeoutMs ?? 60000, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
      const why = r.error ? r.error.message : (r.stderr ?? "").trim() || `exit ${r.status ?? r.signal}`;
      throw new ChartRenderError(`helm template of the Cilium chart with dcnet's values failed (${valuesFile}):\n${why}`);
    }
    const objects = parseAllDocuments(r.stdout)
      .map((d) => d.toJSON() as ChartObject | null)
      .filter((o): o is ChartObject => !!o && typeof o === "object" && !!o.kind);
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata?.name === "cilium-config");
    if (!cm?.data) throw new ChartRenderError(`helm template rendered no cilium-config ConfigMap (${valuesFile})`);
    return { objects, ciliumConfig: { ...cm.data }, text: r.stdout, ms: Date.now() - started };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
