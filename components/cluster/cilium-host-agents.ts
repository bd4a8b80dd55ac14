/**
 * `CiliumHostAgents` (`dcnet:index:CiliumHostAgents`): the agent on the hosts of a cluster with
 * `k8s.cilium.deployment: host` — one command per node, `<name>-<node>-cilium`, running dcnet's
 * host-agent scripts (`sdk/apply/cilium-agent.ts`) over SSH, or into a local folder:
 *
 * - `create` / `update`: install the node's config dir (the real chart's `cilium-config`, one file
 *   per key) and systemd unit, restart the agent only on change, wait until it is ready, roll back
 *   on failure;
 * - `delete`: stop the agent and remove only the files dcnet recorded;
 * - `stdin`: one line of script bodies, then the config dir payload (`file KEY LINES EOL` and the
 *   value), so `pulumi preview --diff` shows the changed keys.
 *
 * The connection works as for the nodes' BIRD commands (`DataCenter`): `hosts`, `rackSsh`, `ssh`
 * layers, the node's router id as default host, pinned host keys required. Nothing here is secret:
 * the agent reaches the API server with the node's own credentials, which dcnet never handles.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkCiliumHostPaths, DevicePathsError, renderCiliumAgentApplyScript, renderCiliumAgentDeleteScript, encodeConfigDirPayload, sha256Hex } from "../../sdk/apply";
import { scriptParts } from "../../sdk/apply/shell";
import { hostAgentNodes, renderCiliumChart } from "../../sdk/render/cilium-host";
import { clusterTools } from "../../sdk/tools/cluster-tools";
import { ClusterK8sSpec } from "../../sdk/spec/cluster-types";
import { deviceCommand, devicePreamble, mergeSsh, normalizeDeps, withShallowStacks } from "../device-command";
import { launchers } from "../device-apply";
import { DataCenterSpecArgs, DeliveryMode, HostArgs, SshSettingsArgs } from "../types";
import { loadCluster } from "./common";

/** Paths of the host-mode agent on the nodes (defaults: `DEFAULT_CILIUM_HOST_PATHS`). */
export interface CiliumHostPathsArgs {
  /** The agent's `--config-dir` (a link to dcnet's current version folder). Default `/etc/cilium/config`. */
  configDir?: string;
  /** The unit file. Default `/etc/systemd/system/cilium-agent.service`. */
  unitFile?: string;
  /** `cilium-agent` (the unit's ExecStart). Default `/usr/local/bin/cilium-agent`. */
  agent?: string;
  /** `cilium-dbg` (readiness). Default `cilium-dbg`. */
  ciliumDbg?: string;
  /** The agent's API socket. Default `/var/run/cilium/cilium.sock`. */
  socket?: string;
  /** Instead of systemctl: an executable called as `HOOK restart|active|logs|stop UNIT_FILE` (the lab's). */
  restartHook?: string;
}

/** Arguments of `CiliumHostAgents`. */
export interface CiliumHostAgentsArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Cluster name, as in the spec (its `k8s.cilium.deployment` must be `host`). */
  cluster: string;
  /** Cluster-side inputs replacing the spec's `clusters[].k8s` of this cluster. */
  k8s?: ClusterK8sSpec;
  /**
   * The chart's `cilium-config` data for this cluster's values (e.g. `dcnet plan`'s
   * `clusters/<cluster>/hosts/<node>/config/`). Default: `helm template` of `chartPath`, else of the
   * pinned chart of the cluster tools (scripts/build-cluster-tools.sh).
   */
  chartConfig?: { [key: string]: string };
  /** Local Cilium chart directory rendered when `chartConfig` is not given. */
  chartPath?: string;
  /** The helm binary (default the cluster tools', else `helm`). */
  helm?: string;
  /** `ssh` (default) or `localFolder`. */
  mode?: DeliveryMode;
  /** Folder mode: parent folder of the per-node folders (default `out-local`). */
  localFolder?: string;
  /** SSH settings for every node. */
  ssh?: SshSettingsArgs;
  /** SSH settings per rack (below a host's own, above `ssh`). */
  rackSsh?: { [rack: string]: SshSettingsArgs };
  /** Per-node connection (host, pinned host key, overrides), by node name — as `DataCenter`'s `hosts`. */
  hosts?: { [node: string]: HostArgs };
  /** Paths of the agent on every node. */
  ciliumHostPaths?: CiliumHostPathsArgs;
  /** Bound on the wait for an agent to be ready, in seconds (default 300). */
  readyTimeoutSeconds?: number;
}

/** The chart's cilium-config: given, or rendered by helm (a clear error when neither can be had). */
function chartConfigOf(name: string, args: CiliumHostAgentsArgs): { [key: string]: string } | ((values: Record<string, unknown>) => Record<string, string>) {
  if (args.chartConfig) return args.chartConfig;
  const tools = clusterTools();
  const chart = args.chartPath ?? tools.ciliumChart;
  if (!chart) throw new pulumi.RunError(`CiliumHostAgents ${name}: give chartConfig (the chart's cilium-config data) or chartPath (a local Cilium chart); the pinned chart of scripts/build-cluster-tools.sh is not there`);
  const helm = args.helm ?? tools.helm ?? "helm";
  return (values) => renderCiliumChart(helm, chart, values).ciliumConfig;
}

/** The host-mode Cilium agents of one cluster: one command per node. */
export class CiliumHostAgents extends pulumi.ComponentResource {
  /** Cluster name. */
  public readonly clusterName: pulumi.Output<string>;
  /** Nodes with a command, in plan order. */
  public readonly nodes: pulumi.Output<string[]>;
  /** SHA-256 of each node's config dir payload, by node. */
  public readonly configSha256: pulumi.Output<{ [node: string]: string }>;
  /** What each node's apply reported (stdout), by node. */
  public readonly applyOutput: pulumi.Output<{ [node: string]: string }>;

  constructor(name: string, args: CiliumHostAgentsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:CiliumHostAgents", name, {}, opts);
    const ctx = loadCluster(args, args.cluster, args.k8s);
    // every path checked before anything exists: one error listing each problem (no stack trace)
    const checked = checkCiliumHostPaths(args.ciliumHostPaths);
    if (checked.problems.length) throw new pulumi.RunError(new DevicePathsError(checked.problems, `CiliumHostAgents ${name}`).message);
    const nodes = hostAgentNodes(ctx, chartConfigOf(name, args), { paths: checked.paths });
    const folder = (args.localFolder ?? "out-local").replace(/\/+$/, "");
    const sha: Record<string, string> = {};
    const out: Record<string, pulumi.Output<string>> = {};
    withShallowStacks(() => {
      for (const n of nodes) {
        const cmdName = `${name}-${n.node}-cilium`;
        const defaults = mergeSsh(n.rack ? args.rackSsh?.[n.rack] : undefined, args.ssh);
        const { mode, target, root, owner } = devicePreamble(cmdName, `CiliumHostAgents ${name} ${n.node}`, {
          device: n.node,
          routerId: n.routerId,
          ...(args.mode ? { mode: args.mode } : {}),
          ...(args.mode === DeliveryMode.localFolder ? { localFolder: `${folder}/${n.node}` } : {}),
          ...(args.hosts?.[n.node] ? { host: args.hosts[n.node] } : {}),
          sshDefaults: defaults,
          pathsField: "ciliumHostPaths",
          paths: args.ciliumHostPaths ?? {},
          check: checkCiliumHostPaths,
        });
        const payload = encodeConfigDirPayload(n.files.configDir);
        const target0 = { device: n.node, paths: n.files.paths, owner, ...(root ? { root } : {}) };
        const l = launchers(
          n.node,
          `install the host-mode Cilium agent of node ${n.node}`,
          [{ script: renderCiliumAgentApplyScript({ ...target0, configDir: n.files.configDir, unit: n.files.unit, ...(args.readyTimeoutSeconds !== undefined ? { readyTimeoutSeconds: args.readyTimeoutSeconds } : {}) }, scriptParts) }],
          [{ script: renderCiliumAgentDeleteScript(target0, scriptParts) }],
        );
        const cmd = deviceCommand({ name: cmdName, mode, target, create: l.create, delete: l.delete, stdin: l.lib + payload, parent: this, dependsOn: normalizeDeps(opts?.dependsOn) });
        sha[n.node] = sha256Hex(payload);
        out[n.node] = cmd.stdout;
      }
    });
    this.clusterName = pulumi.output(ctx.cluster.name);
    this.nodes = pulumi.output(nodes.map((n) => n.node));
    this.configSha256 = pulumi.output(sha);
    this.applyOutput = pulumi.output(out) as pulumi.Output<{ [node: string]: string }>;
    this.registerOutputs({ clusterName: this.clusterName, nodes: this.nodes, configSha256: this.configSha256, applyOutput: this.applyOutput });
  }
}
