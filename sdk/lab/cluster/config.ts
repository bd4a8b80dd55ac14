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
import { LabError } from "../exec";
import { ChartRenderError, RenderedChart, renderCiliumChart } from "../../render/cilium-host/chart-config";
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
  /** Host mode: the node's kubeconfig (through its relay), the agent's API socket and lib dir. */
  kubeconfig?: string;
  apiSocket?: string;
  libDir?: string;
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

/**
 * Host mode's extra lab-only overrides: the unit starts the agent with `--config-dir` only (as on a
 * real host), so what the lab's DaemonSet-mode start passes as flags goes into the config dir.
 */
export const LAB_HOST_AGENT_OVERRIDES: LabOverride[] = [
  { key: "k8s-kubeconfig-path", value: (n) => n.kubeconfig ?? "", reason: "the lab's API server, through the node's relay (a real host has its own kubeconfig at /etc/cilium/kubeconfig)" },
  { key: "socket-path", value: (n) => n.apiSocket ?? "", reason: "the agent's API socket in the run dir (several lab nodes share the machine's /var/run)" },
  { key: "lib-dir", value: (n) => n.libDir ?? "", reason: "the datapath sources (the Cilium module's bpf/) in the run dir" },
];

/** Host mode: lab-only overrides of the unit's Environment (the agent reads these from its environment, not its config dir). */
export const LAB_HOST_AGENT_ENV_OVERRIDES: { name: string; value: (n: { dir: string }) => string; reason: string }[] = [
  {
    name: "CILIUM_CLUSTERMESH_CONFIG",
    value: (n) => `${n.dir}/clustermesh/`,
    reason: "the ClusterMesh config folder in the node's folder; the unit's ExecStartPre (mkdir of /var/lib/cilium/clustermesh/) is not run: it would change the machine",
  },
];

/** The lab-only overrides of the operator (it runs in the root namespace: no listener beyond 127.0.0.1). */
export const LAB_OPERATOR_OVERRIDES: LabOverride[] = [
  { key: "operator-api-serve-addr", value: "127.0.0.1:0", reason: "health API on loopback, ephemeral port (several labs side by side)" },
  { key: "operator-prometheus-serve-addr", value: "", reason: "no metrics listener" },
  { key: "enable-metrics", value: "false", reason: "no metrics listener" },
  { key: "enable-gops", value: "false", reason: "no debug listener on the machine's loopback" },
  { key: "skip-crd-creation", value: "false", reason: "the operator registers Cilium's CRDs (as in a real install)" },
  {
    key: "leader-election-lease-duration",
    value: "60s",
    reason: "one operator on a shared, loaded machine: with the defaults (15 s lease, 10 s renew deadline, 5 s per request) a slow API server made it lose its lease and exit (seen at load 12), leaving LB-IPAM and the BGP node configs without their controller",
  },
  { key: "leader-election-renew-deadline", value: "40s", reason: "as above: goes with the line before (requests to renew get 20 s)" },
];

/** Values of overrides for one daemon. */
export function resolveOverrides(list: LabOverride[], paths: OverridePaths): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list) out[o.key] = typeof o.value === "function" ? o.value(paths) : o.value;
  return out;
}

/** Result of `helm template` (`renderCiliumChart`, shared with host mode). */
export type { RenderedChart };

/** `helm template` the chart with the values (`renderCiliumChart`), as a LabError when it fails. */
export function helmTemplate(helm: string, chartDir: string, values: Record<string, unknown>, valuesFile: string, namespace = "kube-system"): RenderedChart {
  try {
    return renderCiliumChart(helm, chartDir, values, { valuesFile, namespace, kubeVersion: KUBE_VERSION });
  } catch (e) {
    if (e instanceof ChartRenderError) throw new LabError(e.message);
    throw e;
  }
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
