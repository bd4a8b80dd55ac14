/**
 * The systemd unit of a host-mode Cilium agent: the agent started from its config dir, with the
 * environment the chart's DaemonSet gives the container (node name, namespace, the ClusterMesh
 * config folder, the API server when the values name one), restarted by systemd on failure.
 * Checked with `systemd-analyze verify` by the tests and, where the host has it, by the apply script.
 */

/** Inputs of the unit. */
export interface CiliumAgentUnitOptions {
  /** Node name (`K8S_NODE_NAME`: the Node object's name). */
  node: string;
  /** Cluster name (description only). */
  cluster: string;
  /** Absolute path of the `cilium-agent` binary. */
  agent: string;
  /** Absolute path of the config dir (`--config-dir`). */
  configDir: string;
  /** Namespace of Cilium's objects (`CILIUM_K8S_NAMESPACE`). */
  namespace: string;
  /** `KUBERNETES_SERVICE_HOST` / `_PORT` (the chart's `k8sServiceHost` / `k8sServicePort`), when set. */
  apiServer?: { host: string; port: number };
  /** ClusterMesh config folder (`CILIUM_CLUSTERMESH_CONFIG`, the DaemonSet's default `/var/lib/cilium/clustermesh/`). */
  clusterMeshConfigDir?: string;
}

/** Default ClusterMesh config folder of the agent (as the DaemonSet sets it). */
export const CLUSTERMESH_CONFIG_DIR = "/var/lib/cilium/clustermesh/";

const SAFE_VALUE = /^[A-Za-z0-9._:/@+,=-]+$/;

function checked(what: string, v: string, absolute = false): string {
  if (!SAFE_VALUE.test(v) || v.includes("..")) throw new Error(`${what} ${JSON.stringify(v)} cannot go into a systemd unit (letters, digits and "._:/@+,=-" only, no "..")`);
  if (absolute && !v.startsWith("/")) throw new Error(`${what} ${JSON.stringify(v)} is not an absolute path`);
  return v;
}

/** The unit file text (`cilium-agent.service`). */
export function renderCiliumAgentUnit(o: CiliumAgentUnitOptions): string {
  const env: [string, string][] = [
    ["K8S_NODE_NAME", checked("node name", o.node)],
    ["CILIUM_K8S_NAMESPACE", checked("namespace", o.namespace)],
    ["CILIUM_CLUSTERMESH_CONFIG", checked("ClusterMesh config folder", o.clusterMeshConfigDir ?? CLUSTERMESH_CONFIG_DIR, true)],
    ...(o.apiServer
      ? ([
          ["KUBERNETES_SERVICE_HOST", checked("API server host", o.apiServer.host)],
          ["KUBERNETES_SERVICE_PORT", String(o.apiServer.port)],
        ] as [string, string][])
      : []),
  ];
  return [
    `# dcnet: Cilium agent of node ${checked("node name", o.node)} (cluster ${checked("cluster name", o.cluster)}), host mode.`,
    "# Generated from the plan: the agent reads the chart's cilium-config from its config dir (one file per key).",
    "[Unit]",
    `Description=Cilium agent (dcnet, cluster ${o.cluster})`,
    "Documentation=https://docs.cilium.io/",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    ...env.map(([k, v]) => `Environment=${k}=${v}`),
    // the DaemonSet mounts the ClusterMesh secret there (an empty folder when not meshed); the agent watches it
    `ExecStartPre=/bin/mkdir -p ${checked("ClusterMesh config folder", o.clusterMeshConfigDir ?? CLUSTERMESH_CONFIG_DIR, true)}`,
    `ExecStart=${checked("cilium-agent path", o.agent, true)} --config-dir=${checked("config dir", o.configDir, true)}`,
    "Restart=on-failure",
    "RestartSec=2",
    "TimeoutStopSec=30",
    "KillMode=mixed",
    "LimitNOFILE=524288",
    "LimitMEMLOCK=infinity",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** What the lab (which has no systemd) takes from a unit to start the agent: ExecStart's words and the Environment. */
export interface UnitExec {
  argv: string[];
  env: Record<string, string>;
  /** ExecStartPre lines' words (the lab does not run them: they would change the machine; it makes their folders below the node's). */
  pre: string[][];
}

/**
 * `ExecStart` (split on blanks) and `Environment=K=V` lines of a unit dcnet rendered. Only the
 * subset dcnet writes (no quoting, one ExecStart); throws on anything else.
 */
export function parseUnitExec(text: string): UnitExec {
  const env: Record<string, string> = {};
  const starts: string[] = [];
  const pre: string[][] = [];
  for (const line of text.split("\n")) {
    const m = /^(ExecStart|ExecStartPre|Environment)=(.*)$/.exec(line);
    if (!m) continue;
    if (/["'\\$%;]/.test(m[2])) throw new Error(`unit line ${JSON.stringify(line)} uses quoting or specifiers; dcnet's units do not`);
    if (m[1] === "ExecStart") starts.push(m[2]);
    else if (m[1] === "ExecStartPre") pre.push(m[2].trim().split(/\s+/));
    else {
      const eq = m[2].indexOf("=");
      if (eq < 1) throw new Error(`unit line ${JSON.stringify(line)} is not Environment=NAME=VALUE`);
      env[m[2].slice(0, eq)] = m[2].slice(eq + 1);
    }
  }
  if (starts.length !== 1) throw new Error(`the unit has ${starts.length} ExecStart lines; expected one`);
  return { argv: starts[0].trim().split(/\s+/), env, pre };
}
