/**
 * ClusterMesh in the lab (issue 11): per cluster a real `clustermesh-apiserver` (Cilium 1.20.2) with
 * an etcd of its own, both inside a network namespace of their own (`<prefix>-cm-<cluster id>`,
 * loopback only: its health port never listens on the machine), reaching the cluster's API server
 * through the cluster's Unix-socket relay; its etcd is offered on a Unix socket in the run dir.
 * An agent of another cluster connects through a relay in its node's namespace (127.0.0.1:2379 →
 * that socket) and a `clustermesh-config` dir with one file per remote cluster, then restarts.
 *
 * With the mesh's certificates (`MeshChart`, sdk/lab/cluster/mesh-tls.ts: the chart's own, issued
 * from the shared CA) the etcd serves TLS as the chart's does: the `clustermesh-apiserver-server-cert`,
 * client certificates required and checked against the shared CA; the clustermesh-apiserver uses the
 * `admin` certificate, and agents of other clusters reach it on dcnet's endpoint (`exposeMeshServer`,
 * sdk/lab/cluster/mesh-expose.ts: the VIP or the NodePort) with their cluster's `remote` certificate.
 * Without, its etcd speaks plain HTTP on the namespace's loopback and agents use relays.
 *
 * Lab-only differences from the chart's clustermesh-apiserver Deployment: no kvstoremesh (agents read
 * the remote cluster's etcd directly, as with `kvstoremesh.enabled=false`), no cluster users. Everything
 * is recorded in the lab state before it starts.
 */
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { LabError, run } from "../exec";
import { LabState, saveState } from "../state";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { kubectl } from "./apiserver";
import { startAgentAgain, stopAgent } from "./index";
import { spawnRecorded, waitReady } from "./proc";
import { MeshChart, TlsFiles } from "./mesh-tls";
import { MeshEndpoint } from "../../k8s/clustermesh";

/** One cluster's mesh API server. */
export interface LabMeshServer {
  cluster: string;
  netns: string;
  dir: string;
  /** Unix socket offering its etcd. */
  etcdSocket: string;
  log: string;
  /** Its etcd serves TLS with the chart's certificates (the shared CA). */
  tls?: boolean;
}

/** etcd's flags: plain HTTP on loopback, or TLS with the chart's server certificate and client certificates of the shared CA required. */
function etcdArgs(dir: string, tls: MeshChart | undefined): string[] {
  const scheme = tls ? "https" : "http";
  const common = ["--name", "clustermesh", "--data-dir", join(dir, "etcd"), "--listen-client-urls", `${scheme}://127.0.0.1:2379`, "--advertise-client-urls", `${scheme}://127.0.0.1:2379`];
  const peers = ["--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380", "--initial-cluster", "clustermesh=http://127.0.0.1:2380"];
  const certs = tls ? ["--cert-file", tls.server.cert, "--key-file", tls.server.key, "--trusted-ca-file", tls.server.ca, "--client-cert-auth"] : [];
  return [...common, ...peers, ...certs];
}

/** The clustermesh-apiserver's etcd client config (its `admin` certificate with TLS). */
function etcdClientConfig(tls: MeshChart | undefined): string {
  if (!tls) return "endpoints:\n- http://127.0.0.1:2379\n";
  return `endpoints:\n- https://127.0.0.1:2379\ntrusted-ca-file: ${tls.admin.ca}\ncert-file: ${tls.admin.cert}\nkey-file: ${tls.admin.key}\n`;
}

function meshServers(state: LabState): Record<string, LabMeshServer> {
  if (!state.cluster) throw new LabError("this lab runs no cluster side");
  const cs = state.cluster as typeof state.cluster & { mesh?: Record<string, LabMeshServer> };
  cs.mesh ??= {};
  return cs.mesh;
}

/** Start the clustermesh-apiserver (and its etcd, with TLS when `tls` is given) of a cluster; waits until it has synced. */
export async function startMeshServer(state: LabState, cluster: string, tools: ClusterTools = clusterTools(), tls?: MeshChart): Promise<LabMeshServer> {
  const lc = state.cluster?.clusters[cluster];
  if (!lc) throw new LabError(`cluster ${cluster} is not part of this lab`);
  const bin = tools.clustermeshApiserver;
  if (!bin || !tools.etcd || !tools.socat) throw new LabError(`clustermesh-apiserver, etcd and socat are needed (scripts/build-cluster-tools.sh clustermesh-apiserver; looked in ${tools.toolsDir})`);
  const all = meshServers(state);
  if (all[cluster]) return all[cluster];
  const dir = join(lc.apiServer.dir, "clustermesh");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const m: LabMeshServer = { cluster, netns: `${state.prefix}-cm-${lc.id}`, dir, etcdSocket: join(dir, "etcd.sock"), log: join(dir, "clustermesh-apiserver.log"), ...(tls ? { tls: true } : {}) };
  all[cluster] = m;
  if (!state.namespaces.includes(m.netns)) state.namespaces.push(m.netns);
  saveState(state);
  run("ip", ["netns", "add", m.netns]);
  run("ip", ["-n", m.netns, "link", "set", "lo", "up"]);
  const inNs = (argv: string[]) => ["ip", "netns", "exec", m.netns, ...argv];
  spawnRecorded(state, `k8s-${cluster}`, "etcd", inNs([tools.etcd, ...etcdArgs(dir, tls)]), join(dir, "etcd.log"));
  spawnRecorded(state, `k8s-${cluster}`, "socat", inNs([tools.socat, "-lf", join(dir, "k8s-relay.log"), "TCP-LISTEN:6443,bind=127.0.0.1,fork,reuseaddr", `UNIX-CONNECT:${lc.apiServer.relaySocket}`]), join(dir, "k8s-relay.out"));
  spawnRecorded(state, `k8s-${cluster}`, "socat", inNs([tools.socat, "-lf", join(dir, "etcd-relay.log"), `UNIX-LISTEN:${m.etcdSocket},fork,mode=600`, "TCP:127.0.0.1:2379"]), join(dir, "etcd-relay.out"));
  writeFileSync(join(dir, "etcd-config.yaml"), etcdClientConfig(tls), { mode: 0o600 });
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

/** How an agent reaches the other members over TLS: its cluster's `remote` client certificate and dcnet's endpoint of each member. */
export interface MeshClientTls {
  /** This cluster's client certificate to the other members (the chart's `clustermesh-apiserver-remote-cert`). */
  remote: TlsFiles;
  /** dcnet's endpoint (VIP:2379, or NodePort 32379 on node addresses) per remote cluster. */
  endpoints: Record<string, MeshEndpoint>;
}

/** `https://…` URLs of dcnet's endpoint of a member (IPv6 addresses bracketed). */
export function meshUrls(endpoint: MeshEndpoint): string[] {
  return endpoint.ips.map((ip) => `https://${ip.includes(":") ? `[${ip}]` : ip}:${endpoint.port}`);
}

/** The agent's etcd config for a remote member over TLS: dcnet's endpoint, the shared CA, the cluster's client certificate. */
export function meshClientConfig(endpoint: MeshEndpoint, remote: TlsFiles): string {
  const urls = meshUrls(endpoint).map((u) => `- ${u}`);
  return ["endpoints:", ...urls, `trusted-ca-file: ${remote.ca}`, `cert-file: ${remote.cert}`, `key-file: ${remote.key}`, ""].join("\n");
}

/**
 * Connect a node's agent to the mesh API servers of other clusters: the `clustermesh-config` dir
 * (one file per remote cluster), the config key, and an agent restart. With `tls`, each file names
 * dcnet's endpoint of the member and this cluster's client certificate (the member's etcd must be
 * exposed there: `exposeMeshServer`); without, a relay per remote cluster in the node's namespace
 * (127.0.0.1:<2379 + i> → its etcd socket).
 */
export async function connectAgentToMesh(state: LabState, node: string, remotes: string[], tools: ClusterTools = clusterTools(), tls?: MeshClientTls): Promise<void> {
  const n = state.cluster?.nodes[node];
  const dev = state.devices[node];
  if (!n || !dev) throw new LabError(`${node} runs no Cilium agent in this lab`);
  const all = meshServers(state);
  const cmDir = join(n.dir, "clustermesh");
  mkdirSync(cmDir, { recursive: true, mode: 0o700 });
  remotes.forEach((r, i) => {
    const m = all[r];
    if (!m) throw new LabError(`cluster ${r} has no mesh API server (startMeshServer first)`);
    if (tls) {
      const endpoint = tls.endpoints[r];
      if (!m.tls || !endpoint) throw new LabError(`cluster ${r}: its mesh API server runs without TLS, or no endpoint is given for it`);
      writeFileSync(join(cmDir, r), meshClientConfig(endpoint, tls.remote), { mode: 0o600 });
      return;
    }
    const port = 2379 + i;
    spawnRecorded(state, node, "socat", ["ip", "netns", "exec", dev.namespace, tools.socat ?? "socat", "-lf", join(cmDir, `${r}.relay.log`), `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${m.etcdSocket}`], join(cmDir, `${r}.relay.out`));
    writeFileSync(join(cmDir, r), `endpoints:\n- http://127.0.0.1:${port}\n`, { mode: 0o600 });
  });
  writeFileSync(join(n.configDir, "clustermesh-config"), `${cmDir}/`, { mode: 0o644 });
  saveState(state);
  await stopAgent(state, node);
  await startAgentAgain(state, node, tools);
}

/** Remote clusters of an agent and how many are ready, with each one's status line (its API: `/v1/healthz` → `cluster-mesh`). */
export function meshStatus(state: LabState, node: string): { ready: number; total: number; status: Record<string, string> } | undefined {
  const n = state.cluster?.nodes[node];
  if (!n) return undefined;
  const r = run("curl", ["-sf", "--max-time", "5", "--unix-socket", n.apiSocket, "http://localhost/v1/healthz"], { check: false, timeoutMs: 8000 });
  if (r.code !== 0) return undefined;
  const h = JSON.parse(r.stdout) as { "cluster-mesh"?: { clusters?: { name?: string; ready?: boolean; status?: string }[] } };
  const cl = h["cluster-mesh"]?.clusters ?? [];
  return { ready: cl.filter((c) => c.ready).length, total: cl.length, status: Object.fromEntries(cl.map((c) => [c.name ?? "?", c.status ?? ""])) };
}
