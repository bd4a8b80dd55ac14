/**
 * ClusterMesh in the lab (issue 11): per cluster a real `clustermesh-apiserver` (Cilium 1.20.2) with
 * an etcd of its own, both inside a network namespace of their own (`<prefix>-cm-<cluster id>`,
 * loopback only: its health port never listens on the machine), reaching the cluster's API server
 * through the cluster's Unix-socket relay; its etcd is offered on a Unix socket in the run dir.
 * An agent of another cluster connects through a relay in its node's namespace (127.0.0.1:2379 →
 * that socket) and a `clustermesh-config` dir with one file per remote cluster, then restarts.
 *
 * Lab-only differences from the chart's clustermesh-apiserver Deployment: etcd without TLS (plain
 * HTTP on the namespace's loopback; the chart's etcd wants client certificates from the shared CA),
 * no kvstoremesh (agents read the remote cluster's etcd directly, as with `kvstoremesh.enabled=false`),
 * no cluster users. Everything is recorded in the lab state before it starts.
 */
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { LabError, run } from "../exec";
import { LabState, saveState } from "../state";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { kubectl } from "./apiserver";
import { startAgentAgain, stopAgent } from "./index";
import { spawnRecorded, waitReady } from "./proc";

/** One cluster's mesh API server. */
export interface LabMeshServer {
  cluster: string;
  netns: string;
  dir: string;
  /** Unix socket offering its etcd. */
  etcdSocket: string;
  log: string;
}

function meshServers(state: LabState): Record<string, LabMeshServer> {
  if (!state.cluster) throw new LabError("this lab runs no cluster side");
  const cs = state.cluster as typeof state.cluster & { mesh?: Record<string, LabMeshServer> };
  cs.mesh ??= {};
  return cs.mesh;
}

/** Start the clustermesh-apiserver (and its etcd) of a cluster; waits until it has synced. */
export async function startMeshServer(state: LabState, cluster: string, tools: ClusterTools = clusterTools()): Promise<LabMeshServer> {
  const lc = state.cluster?.clusters[cluster];
  if (!lc) throw new LabError(`cluster ${cluster} is not part of this lab`);
  const bin = tools.clustermeshApiserver;
  if (!bin || !tools.etcd || !tools.socat) throw new LabError(`clustermesh-apiserver, etcd and socat are needed (scripts/build-cluster-tools.sh clustermesh-apiserver; looked in ${tools.toolsDir})`);
  const all = meshServers(state);
  if (all[cluster]) return all[cluster];
  const dir = join(lc.apiServer.dir, "clustermesh");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const m: LabMeshServer = { cluster, netns: `${state.prefix}-cm-${lc.id}`, dir, etcdSocket: join(dir, "etcd.sock"), log: join(dir, "clustermesh-apiserver.log") };
  all[cluster] = m;
  if (!state.namespaces.includes(m.netns)) state.namespaces.push(m.netns);
  saveState(state);
  run("ip", ["netns", "add", m.netns]);
  run("ip", ["-n", m.netns, "link", "set", "lo", "up"]);
  const inNs = (argv: string[]) => ["ip", "netns", "exec", m.netns, ...argv];
  spawnRecorded(state, `k8s-${cluster}`, "etcd", inNs([tools.etcd, "--name", "clustermesh", "--data-dir", join(dir, "etcd"), "--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379", "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380", "--initial-cluster", "clustermesh=http://127.0.0.1:2380"]), join(dir, "etcd.log"));
  spawnRecorded(state, `k8s-${cluster}`, "socat", inNs([tools.socat, "-lf", join(dir, "k8s-relay.log"), "TCP-LISTEN:6443,bind=127.0.0.1,fork,reuseaddr", `UNIX-CONNECT:${lc.apiServer.relaySocket}`]), join(dir, "k8s-relay.out"));
  spawnRecorded(state, `k8s-${cluster}`, "socat", inNs([tools.socat, "-lf", join(dir, "etcd-relay.log"), `UNIX-LISTEN:${m.etcdSocket},fork,mode=600`, "TCP:127.0.0.1:2379"]), join(dir, "etcd-relay.out"));
  writeFileSync(join(dir, "etcd-config.yaml"), "endpoints:\n- http://127.0.0.1:2379\n", { mode: 0o600 });
  const kc = JSON.parse(kubectl(lc.apiServer, tools.kubectl ?? "kubectl", ["config", "view", "--raw", "-o", "json"]).stdout) as { clusters: { cluster: { server: string } }[] };
  kc.clusters[0].cluster.server = "https://127.0.0.1:6443";
  writeFileSync(join(dir, "kubeconfig"), JSON.stringify(kc, null, 2) + "\n", { mode: 0o600 });
  const rec = spawnRecorded(
    state,
    `k8s-${cluster}`,
    "clustermesh-apiserver",
    inNs([bin, "clustermesh", `--cluster-name=${cluster}`, `--cluster-id=${lc.id}`, `--kvstore-opt=etcd.config=${join(dir, "etcd-config.yaml")}`, `--k8s-kubeconfig-path=${join(dir, "kubeconfig")}`, "--enable-gops=false", `--shell-sock-path=${join(dir, "shell.sock")}`, "--clustermesh-default-global-namespace=true"]),
    m.log,
  );
  await waitReady(`clustermesh-apiserver of ${cluster}`, rec, m.log, 120000, () => {
    const r = run("grep", ["-c", "Initial synchronization from the external source completed", m.log], { check: false });
    return Number(r.stdout.trim()) >= 1 ? true : undefined;
  }, 500);
  return m;
}

/**
 * Connect a node's agent to the mesh API servers of other clusters: a relay per remote cluster in
 * the node's namespace (127.0.0.1:<2379 + i> → its etcd socket), the `clustermesh-config` dir (one
 * file per remote cluster), the config key, and an agent restart.
 */
export async function connectAgentToMesh(state: LabState, node: string, remotes: string[], tools: ClusterTools = clusterTools()): Promise<void> {
  const n = state.cluster?.nodes[node];
  const dev = state.devices[node];
  if (!n || !dev) throw new LabError(`${node} runs no Cilium agent in this lab`);
  const all = meshServers(state);
  const cmDir = join(n.dir, "clustermesh");
  mkdirSync(cmDir, { recursive: true, mode: 0o700 });
  remotes.forEach((r, i) => {
    const m = all[r];
    if (!m) throw new LabError(`cluster ${r} has no mesh API server (startMeshServer first)`);
    const port = 2379 + i;
    spawnRecorded(state, node, "socat", ["ip", "netns", "exec", dev.namespace, tools.socat ?? "socat", "-lf", join(cmDir, `${r}.relay.log`), `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${m.etcdSocket}`], join(cmDir, `${r}.relay.out`));
    writeFileSync(join(cmDir, r), `endpoints:\n- http://127.0.0.1:${port}\n`, { mode: 0o600 });
  });
  writeFileSync(join(n.configDir, "clustermesh-config"), `${cmDir}/`, { mode: 0o644 });
  saveState(state);
  await stopAgent(state, node);
  await startAgentAgain(state, node, tools);
}

/** Remote clusters of an agent and how many are ready (its API: `/v1/healthz` → `cluster-mesh`). */
export function meshStatus(state: LabState, node: string): { ready: number; total: number } | undefined {
  const n = state.cluster?.nodes[node];
  if (!n) return undefined;
  const r = run("curl", ["-sf", "--max-time", "5", "--unix-socket", n.apiSocket, "http://localhost/v1/healthz"], { check: false, timeoutMs: 8000 });
  if (r.code !== 0) return undefined;
  const h = JSON.parse(r.stdout) as { "cluster-mesh"?: { clusters?: { name?: string; ready?: boolean }[] } };
  const cl = h["cluster-mesh"]?.clusters ?? [];
  return { ready: cl.filter((c) => c.ready).length, total: cl.length };
}
