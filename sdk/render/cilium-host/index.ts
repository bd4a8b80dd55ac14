/**
 * Host mode (`clusters[].k8s.cilium.deployment: host`), as the seed ran Cilium (docker-compose and
 * salt, no DaemonSet): for each node of the cluster, the agent's config dir — the chart's own
 * `cilium-config` for dcnet's values (`helm template`, `renderCiliumChart`), one file per key — and
 * a systemd unit starting the agent from it. `renderCiliumAgentApplyScript` (`sdk/apply`) installs
 * both over SSH like BIRD's config: validate, atomic replace, restart only when changed, wait for
 * the agent to be ready, roll back on failure.
 */
import { ClusterContext, ClusterInputs, clusterContext, clusterInput } from "../../k8s/context";
import { ciliumValues } from "../../k8s/cilium-values";
import { Plan } from "../../plan/types";
import { CILIUM_NAMESPACE, ciliumOptions } from "../../k8s/defaults";
import { CiliumDeployment } from "../../spec/cluster-types";
import { CiliumHostPaths, ciliumHostPaths } from "../../apply/cilium-paths";
import { ConfigDirFile, configDirFiles } from "./config-dir";
import { renderCiliumAgentUnit } from "./unit";

export * from "./chart-config";
export * from "./config-dir";
export * from "./unit";

/** What a node of a host-mode cluster gets. */
export interface HostAgentFiles {
  node: string;
  cluster: string;
  /** The config dir, one file per key, sorted. */
  configDir: ConfigDirFile[];
  /** The systemd unit text. */
  unit: string;
  /** The paths on the node the files are for. */
  paths: CiliumHostPaths;
}

/** Is a cluster's agent deployed on the hosts? */
export function isHostMode(ctx: Pick<ClusterContext, "k8s">): boolean {
  return ciliumOptions(ctx.k8s).deployment === CiliumDeployment.host;
}

/**
 * The files of `node` (a node of the cluster): `chartConfig` is the `cilium-config` data
 * `renderCiliumChart` rendered for `ciliumValues(ctx)` (host mode's values included);
 * `overrides` are the lab's (empty on real hosts).
 */
export function renderHostAgent(ctx: ClusterContext, node: string, chartConfig: Record<string, string>, opts: { paths?: Partial<CiliumHostPaths>; overrides?: Record<string, string> } = {}): HostAgentFiles {
  if (!ctx.cluster.nodes.includes(node)) throw new Error(`${node} is not a node of cluster ${ctx.cluster.name}`);
  if (!isHostMode(ctx)) throw new Error(`cluster ${ctx.cluster.name} runs the agent as a DaemonSet (set cilium.deployment: host for host mode)`);
  const paths = ciliumHostPaths(opts.paths, undefined, `node ${node}`);
  const api = ctx.k8s.apiServer;
  return {
    node,
    cluster: ctx.cluster.name,
    configDir: configDirFiles(chartConfig, opts.overrides),
    unit: renderCiliumAgentUnit({
      node,
      cluster: ctx.cluster.name,
      agent: paths.agent,
      configDir: paths.configDir,
      namespace: CILIUM_NAMESPACE,
      ...(api ? { apiServer: { host: api.host, port: api.port ?? 6443 } } : {}),
    }),
    paths,
  };
}

/**
 * The host-mode files of every host-mode cluster with inputs, as output files of `dcnet plan`:
 * `clusters/<cluster>/hosts/<node>/config/<key>` and `clusters/<cluster>/hosts/<node>/cilium-agent.service`
 * (default paths). `chartConfig` renders the chart's cilium-config for a cluster's values
 * (`renderCiliumChart`; injected so the core stays free of a helm binary).
 */
export function hostAgentOutputFiles(plan: Plan, inputs: ClusterInputs, chartConfig: (values: Record<string, unknown>) => Record<string, string>): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const c of plan.clusters) {
    if (!clusterInput(inputs, c.name)) continue;
    const ctx = clusterContext(plan, inputs, c.name);
    if (!isHostMode(ctx)) continue;
    const config = chartConfig(ciliumValues(ctx));
    for (const node of c.nodes) {
      const f = renderHostAgent(ctx, node, config);
      for (const file of f.configDir) out.push({ path: `clusters/${c.name}/hosts/${node}/config/${file.name}`, text: file.text });
      out.push({ path: `clusters/${c.name}/hosts/${node}/cilium-agent.service`, text: f.unit });
    }
  }
  return out;
}

/** Clusters of the plan (with inputs) whose agent runs on the hosts. */
export function hostModeClusters(plan: Plan, inputs: ClusterInputs): string[] {
  return plan.clusters.filter((c) => clusterInput(inputs, c.name) && isHostMode(clusterContext(plan, inputs, c.name))).map((c) => c.name);
}

/** One node of a host-mode cluster, as a component installs it: where to reach it and its files. */
export interface HostAgentNode {
  /** Node name. */
  node: string;
  /** Its router id (the default SSH host, as for its BIRD command). */
  routerId: string;
  /** Its rack (rack-level SSH defaults). */
  rack?: string;
  /** Its config dir and unit. */
  files: HostAgentFiles;
}

/**
 * Every node of a host-mode cluster with its files, in plan order: what `CiliumHostAgents` installs.
 * `chartConfig` is the chart's cilium-config data, or a function rendering it for the cluster's
 * values (`ciliumValues(ctx)`, e.g. `renderCiliumChart`). Throws for a DaemonSet-mode cluster.
 */
export function hostAgentNodes(ctx: ClusterContext, chartConfig: Record<string, string> | ((values: Record<string, unknown>) => Record<string, string>), opts: { paths?: Partial<CiliumHostPaths> } = {}): HostAgentNode[] {
  if (!isHostMode(ctx)) throw new Error(`cluster ${ctx.cluster.name} runs the agent as a DaemonSet (set clusters[${ctx.index}].k8s.cilium.deployment: host for host mode)`);
  const config = typeof chartConfig === "function" ? chartConfig(ciliumValues(ctx)) : chartConfig;
  return ctx.nodes.map((d) => ({
    node: d.name,
    routerId: d.routerId,
    ...(d.rack ? { rack: d.rack } : {}),
    files: renderHostAgent(ctx, d.name, config, opts),
  }));
}
