/**
 * ClusterMesh over TLS on the mesh API server's VIP in the lab, as dcnet declares it
 * (`mesh.apiServerAddress`): the cluster's mesh etcd (started with the chart's certificates,
 * `startMeshServer(..., tls)`) is put behind the chart's own `clustermesh-apiserver` LoadBalancer
 * Service (LB-IPAM pins it on the VIP, the node's speaker announces it, Cilium's load balancer on the
 * announcing node forwards it) by a relay pod carrying the chart's pod labels (TCP in the pod → the
 * etcd's Unix socket: TLS end to end, between the remote agent and the etcd). An agent of another
 * cluster gets the chart's etcd client config for that cluster (`cilium-kvstoremesh`:
 * `https://<cluster>.mesh.cilium.io:<port>` and `cilium-host-aliases` naming the VIP) with the
 * chart's remote certificate of its own cluster (`common-etcd-client.{crt,key}`, the shared CA as
 * `common-etcd-client-ca.crt`), and restarts.
 *
 * Lab-only: no kube-controller-manager, so the lab writes the Service's EndpointSlice; the relay pod
 * stands in for the chart's Deployment (whose containers the lab runs in namespaces of their own).
 */
import { copyFileSync, mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { LabError, run, RunResult } from "../exec";
import { LabState, saveState } from "../state";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { kubectl } from "./apiserver";
import { startAgentAgain, stopAgent } from "./index";
import { LabMeshServer } from "./mesh";
import { CHART_CLUSTERMESH_DIR, MeshChart, TlsFiles } from "./mesh-tls";
import { createPod, LabPod, podArgv } from "./pods";
import { spawnRecorded } from "./proc";

const FIELD_MANAGER = "dcnet-lab";

/** The mesh API server's etcd port in the chart's Service. */
function servicePort(chart: MeshChart): number {
  const ports = (chart.service as { spec?: { ports?: { port?: number }[] } }).spec?.ports ?? [];
  if (ports.length !== 1 || !ports[0].port) throw new LabError(`the chart's clustermesh-apiserver Service of ${chart.cluster} has ${ports.length} ports, not one`);
  return ports[0].port;
}

/**
 * Put a cluster's mesh etcd behind the chart's `clustermesh-apiserver` Service: a relay pod on
 * `node` with the chart's pod labels (in the Service's namespace), the Service as the chart renders
 * it and its EndpointSlice; waits (bounded) until LB-IPAM gave it dcnet's VIP and returns it.
 */
export async function exposeMeshServer(state: LabState, mesh: LabMeshServer, chart: MeshChart, node: string, tools: ClusterTools = clusterTools(), timeoutMs = 60000): Promise<{ vip: string; pod: LabPod; port: number }> {
  const kubectlBin = tools.kubectl;
  if (!kubectlBin || !tools.socat) throw new LabError("kubectl and socat are needed");
  if (!chart.endpoint.viaVip) throw new LabError(`dcnet declares no VIP for ${chart.cluster}'s mesh API server`);
  const meta = (chart.service as { metadata: { name: string; namespace?: string } }).metadata;
  const namespace = meta.namespace ?? "kube-system";
  const port = servicePort(chart);
  const pod = createPod(state, { name: `cm-${chart.cluster}`, node, namespace, labels: chart.podLabels }, tools);
  const log = join(mesh.dir, "vip-relay.log");
  spawnRecorded(state, node, "socat", podArgv(state, pod, [tools.socat, "-lf", log, `TCP-LISTEN:${port},fork,reuseaddr`, `UNIX-CONNECT:${mesh.etcdSocket}`]), `${log}.out`);
  const slice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${meta.name}-lab`, namespace, labels: { "kubernetes.io/service-name": meta.name, "endpointslice.kubernetes.io/managed-by": "dcnet-lab" } },
    addressType: "IPv4",
    // the chart's port has no name: the slice's port neither
    ports: [{ name: "", port, protocol: "TCP" }],
    endpoints: [{ addresses: [pod.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: node, targetRef: { kind: "Pod", name: pod.name, namespace, uid: pod.uid } }],
  };
  const api = state.cluster!.clusters[chart.cluster].apiServer;
  kubectl(api, kubectlBin, ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [chart.service, slice] }) });
  const deadline = Date.now() + timeoutMs;
  let ip = "";
  while (Date.now() < deadline) {
    ip = kubectl(api, kubectlBin, ["get", "service", meta.name, "-n", namespace, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"], { check: false }).stdout.trim();
    if (ip) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (ip !== chart.endpoint.ips[0]) throw new LabError(`Service ${namespace}/${meta.name} of ${chart.cluster}: LoadBalancer address ${JSON.stringify(ip)} after ${timeoutMs / 1000} s, dcnet declares ${chart.endpoint.ips[0]}`);
  return { vip: ip, pod, port };
}

/** The chart's etcd client config for a remote member with its files below `dir` instead of the chart's mount. */
export function localPeerConfig(text: string, dir: string): string {
  return text.split(CHART_CLUSTERMESH_DIR).join(`${dir}/`);
}

/**
 * Connect a node's agent to other members' mesh etcd over TLS as the chart configures it: the
 * chart's etcd client config per remote (`local.peerConfigs`, its endpoint and host aliases), the
 * chart's remote certificate of the node's cluster, the `clustermesh-config` key, an agent restart.
 */
export async function connectAgentToMeshTls(state: LabState, node: string, local: MeshChart, remotes: string[], tools: ClusterTools = clusterTools()): Promise<void> {
  const n = state.cluster?.nodes[node];
  if (!n) throw new LabError(`${node} runs no Cilium agent in this lab`);
  if (n.cluster !== local.cluster) throw new LabError(`${node} is in ${n.cluster}, not ${local.cluster}`);
  const cmDir = join(n.dir, "clustermesh-tls");
  const files = join(n.dir, "clustermesh-tls-files");
  for (const d of [cmDir, files]) mkdirSync(d, { recursive: true, mode: 0o700 });
  for (const [from, to] of [[local.remote.ca, "common-etcd-client-ca.crt"], [local.remote.cert, "common-etcd-client.crt"], [local.remote.key, "common-etcd-client.key"]] as const) {
    copyFileSync(from, join(files, to));
    run("chmod", ["0600", join(files, to)]);
  }
  for (const r of remotes) {
    const text = local.peerConfigs[r];
    if (!text) throw new LabError(`the chart of ${local.cluster} renders no etcd config for ${r}`);
    writeFileSync(join(cmDir, r), localPeerConfig(text, files), { mode: 0o600 });
  }
  writeFileSync(join(n.configDir, "clustermesh-config"), `${cmDir}/`, { mode: 0o644 });
  saveState(state);
  await stopAgent(state, node);
  await startAgentAgain(state, node, tools);
}

/**
 * An HTTPS request from a node's namespace to a member's mesh etcd as an agent makes it
 * (`https://<cluster>.mesh.cilium.io:<port>` resolved to dcnet's address, verified against `tls.ca`,
 * with `tls.cert`/`tls.key` as client certificate). `curl -sS -v`: the TLS handshake is in stderr.
 */
export function meshEtcdRequest(state: LabState, node: string, chart: MeshChart, tls: TlsFiles, path = "/version"): RunResult {
  const dev = state.devices[node];
  if (!dev) throw new LabError(`${node} is not a device of this lab`);
  const host = `${chart.cluster}.mesh.cilium.io`;
  const port = chart.endpoint.port;
  return run("ip", ["netns", "exec", dev.namespace, "curl", "-sS", "-v", "--max-time", "5", "--resolve", `${host}:${port}:${chart.endpoint.ips[0]}`, "--cacert", tls.ca, "--cert", tls.cert, "--key", tls.key, `https://${host}:${port}${path}`], { check: false, timeoutMs: 10000 });
}

/** Established TCP connections in a node's namespace to `address:port` (`ss -tn`, one line each). */
export function establishedTo(state: LabState, node: string, address: string, port: number): string[] {
  const dev = state.devices[node];
  if (!dev) throw new LabError(`${node} is not a device of this lab`);
  const r = run("ip", ["netns", "exec", dev.namespace, "ss", "-Htnp", "state", "established", "dst", `${address}:${port}`], { check: false });
  return r.stdout.split("\n").filter((l) => l.trim());
}
