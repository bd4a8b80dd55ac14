/**
 * What the lab's cluster side records in the lab state (`state.cluster`), written BEFORE each
 * process, socket, folder or cgroup is created, so `labDown` removes it all by name and PID.
 */

import type { CiliumHostPaths } from "../../apply/cilium-paths";

/** One cluster's control plane. */
export interface LabApiServer {
  /** Folder of the cluster in the run dir (`<runDir>/k8s-<cluster>`). */
  dir: string;
  /** etcd data dir. */
  etcdDataDir: string;
  /** etcd client URL (127.0.0.1, ephemeral port). */
  etcdUrl: string;
  /** etcd peer URL (127.0.0.1, ephemeral port; a single member). */
  etcdPeerUrl: string;
  /** kube-apiserver secure port on 127.0.0.1. */
  port: number;
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** kubeconfig of the lab's admin (static token, group system:masters). */
  kubeconfig: string;
  /** Service CIDR (inside 198.18.0.0/15, outside every prefix of the plan). */
  serviceCidr: string;
  /** Unix socket relaying to the API server (socat in the root namespace). */
  relaySocket: string;
}

/** One lab node run by a Cilium agent. */
export interface LabClusterNode {
  name: string;
  cluster: string;
  /** Who announces the node's prefixes. */
  speaker: "bird" | "cilium";
  /** The node's folder for the agent (`<runDir>/<node>/cilium`). */
  dir: string;
  /** The agent's API socket (`curl --unix-socket`). */
  apiSocket: string;
  /** Folder of the agent's config (one file per key, as a mounted ConfigMap). */
  configDir: string;
  /** Its own cgroup (v2) folder; the agent's cgroup root is a cgroup namespace rooted there. */
  cgroup: string;
  /** Port the node-side relay listens on (127.0.0.1 inside the node's namespace). */
  relayPort: number;
  log: string;
  /** Host mode (`cilium.deployment: host`): the node's paths as the apply script sees them (config dir, unit, hook). */
  host?: { paths: CiliumHostPaths };
}

/** One cluster of the lab. */
export interface LabCluster {
  name: string;
  id: number;
  speaker: "bird" | "cilium";
  apiServer: LabApiServer;
  /** Operator folder (config dir, log). */
  operatorDir: string;
  /** Cilium version of the agent and chart used. */
  ciliumVersion: string;
  /** Nodes with an agent. */
  nodes: string[];
  /** Objects applied (kind/namespace/name), for the report. */
  applied: string[];
  /** The lab-only overrides applied on top of the chart's cilium-config (key → value). */
  overrides: Record<string, string>;
}

/** The cluster side of a lab run. */
export interface LabClusterState {
  clusters: Record<string, LabCluster>;
  nodes: Record<string, LabClusterNode>;
  /** cgroup v2 folders created (removed by down once empty). */
  cgroups: string[];
  timings: {
    /** ms since `up` started: API servers ready. */
    apiServersMs?: number;
    /** Operators registered the CRDs and the objects were applied. */
    objectsMs?: number;
    /** Every agent healthy. */
    agentsMs?: number;
  };
}

/** Daemons of the cluster side (LabProcess.daemon). */
export type ClusterDaemon = "etcd" | "kube-apiserver" | "cilium-operator" | "cilium-agent" | "socat" | "udp-echo" | "clustermesh-apiserver";
