/**
 * The agents' and the operator's configuration: `helm template` of the real Cilium chart with
 * dcnet's values (`clusterChartValues(ctx).cilium`, exactly what `dcnet plan` writes), whose
 * `cilium-config` ConfigMap becomes the `--config-dir` of every daemon (one file per key, as the
 * mounted ConfigMap of the DaemonSet), plus a short list of LAB-ONLY overrides below, each with
 * its reason. None of them changes routing, IPAM, BGP or load-balancing behaviour, except where
 * said (socket LB).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { parseAllDocuments } from "yaml";
import { LabError, run } from "../exec";
import { KUBE_VERSION } from "./apiserver";

/** One lab-only override of the chart's cilium-config. */
export interface LabOverride {
  key: string;
  /** Value, or a function of the node's paths. */
  value: string | ((n: OverridePaths) => string);
  reason: string;
}

/** Per-daemon paths an override may name. */
export interface OverridePaths {
  /** The node's interface (the plan's interface of its node address). */
  device: string;
  /** Agent folders. */
  stateDir: string;
  bpfRoot: string;
  cgroupRoot: string;
  /** Port of the node-side relay to the API server (127.0.0.1 in the node's namespace). */
  relayPort: number;
}

/**
 * The lab-only overrides (agent). Kept short on purpose; README and docs/cluster-side.md list them.
 */
export const LAB_AGENT_OVERRIDES: LabOverride[] = [
  { key: "procfs", value: "/proc", reason: "the agent runs on the machine's /proc (the DaemonSet mounts it as /host/proc)" },
  {
    key: "bpf-lb-sock",
    value: "false",
    reason: "asks for socket LB off (it would attach to the cgroup v2 root, i.e. every process of the machine); NOTE: Cilium 1.20 forces socket LB on with kube-proxy replacement, so this has no effect — socket LB stays on, attached to the agent's cgroup root, the node's own cgroup (cgroup-root below)",
  },
  { key: "bpf-lb-sock-hostns-only", value: "false", reason: "goes with bpf-lb-sock=false (socket LB off)" },
  { key: "enable-l7-proxy", value: "false", reason: "no Envoy in the lab" },
  { key: "external-envoy-proxy", value: "false", reason: "no Envoy DaemonSet in the lab" },
  { key: "enable-health-checking", value: "false", reason: "cilium-health needs its own endpoint and a node-to-node health port; not part of what the lab checks" },
  { key: "enable-endpoint-health-checking", value: "false", reason: "as above: goes with the line before" },
  { key: "enable-hubble", value: "false", reason: "no Hubble relay/UI in the lab" },
  { key: "cni-exclusive", value: "false", reason: "never rename the machine's own CNI configs" },
  { key: "write-cni-conf-when-ready", value: "", reason: "no CNI config is written to the machine's /etc/cni/net.d (no kubelet in the lab)" },
  { key: "devices", value: (n) => n.device, reason: "the node's interface in its namespace" },
  { key: "direct-routing-device", value: (n) => n.device, reason: "as above: goes with the line before" },
  { key: "prometheus-serve-addr", value: "", reason: "no metrics listener" },
  { key: "operator-prometheus-serve-addr", value: "", reason: "no metrics listener" },
  { key: "enable-metrics", value: "false", reason: "no metrics listener" },
  { key: "state-dir", value: (n) => n.stateDir, reason: "state in the run dir" },
  { key: "bpf-root", value: (n) => n.bpfRoot, reason: "a bpffs of the node's own (mounted in the agent's mount namespace)" },
  { key: "cgroup-root", value: (n) => n.cgroupRoot, reason: "a cgroup namespace rooted at the node's own cgroup: the agent never attaches to the machine's cgroup root" },
  { key: "enable-gops", value: "false", reason: "no debug listener" },
  {
    key: "enable-dynamic-config",
    value: "false",
    reason: "the agent's config is its config dir (the chart's cilium-config plus these overrides), not the cilium-config ConfigMap in the API server, which holds the chart's values unchanged",
  },
  { key: "enable-drift-checker", value: "false", reason: "as above: it would report these overrides as drift" },
];

/** The lab-only overrides of the operator (it runs in the root namespace: no listener beyond 127.0.0.1). */
export const LAB_OPERATOR_OVERRIDES: LabOverride[] = [
  { key: "operator-api-serve-addr", value: "127.0.0.1:0", reason: "health API on loopback, ephemeral port (several labs side by side)" },
  { key: "operator-prometheus-serve-addr", value: "", reason: "no metrics listener" },
  { key: "enable-metrics", value: "false", reason: "no metrics listener" },
  { key: "enable-gops", value: "false", reason: "no debug listener on the machine's loopback" },
  { key: "skip-crd-creation", value: "false", reason: "the operator registers Cilium's CRDs (as in a real install)" },
];

/** Values of overrides for one daemon. */
export function resolveOverrides(list: LabOverride[], paths: OverridePaths): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) out[o.key] = typeof o.value === "function" ? o.value(paths) : o.value;
  return out;
}

/** Result of `helm template`. */
export interface RenderedChart {
  /** Every object of the chart. */
  objects: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; data?: Record<string, string> }[];
  /** `cilium-config` ConfigMap data. */
  ciliumConfig: Record<string, string>;
  /** helm's text (for the run dir). */
  text: string;
  ms: number;
}

/** `helm template` the chart with the values (written as JSON: one meaning in YAML 1.1 and 1.2). */
export function helmTemplate(helm: string, chartDir: string, values: Record<string, unknown>, valuesFile: string, namespace = "kube-system"): RenderedChart {
  writeFileSync(valuesFile, JSON.stringify(values, null, 2) + "\n", { mode: 0o644 });
  const r = run(helm, ["template", "cilium", chartDir, "-n", namespace, "--kube-version", KUBE_VERSION, "-f", valuesFile], { check: false, timeoutMs: 60000 });
  if (r.code !== 0) throw new LabError(`helm template of the Cilium chart with dcnet's values failed (${valuesFile}):\n${r.stderr.trim()}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJSON() as RenderedChart["objects"][number] | null)
    .filter((o): o is RenderedChart["objects"][number] => !!o && typeof o === "object" && !!o.kind);
  const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata?.name === "cilium-config");
  if (!cm?.data) throw new LabError(`helm template rendered no cilium-config ConfigMap (${valuesFile})`);
  return { objects, ciliumConfig: { ...cm.data }, text: r.stdout, ms: r.ms };
}

/** Write a config dir: one file per key (the layout of a mounted ConfigMap). */
export function writeConfigDir(dir: string, data: Record<string, string>): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
  for (const [k, v] of Object.entries(data)) {
    if (!/^[A-Za-z0-9._-]+$/.test(k)) throw new LabError(`cilium-config key ${JSON.stringify(k)} is not a file name`);
    writeFileSync(join(dir, k), v, { mode: 0o644 });
  }
}
