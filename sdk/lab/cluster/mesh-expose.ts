/**
 * A cluster's mesh API server on dcnet's endpoint, in the lab (issue 11): what the chart's
 * clustermesh-apiserver Deployment and Service do, with the lab's processes.
 *
 * - a pod of the cluster with the chart's clustermesh-apiserver pod labels (Pod object, CNI ADD
 *   by the real cilium-cni), in which a relay listens on 2379 and passes the bytes on to the mesh
 *   etcd's Unix socket (the etcd itself stays on its namespace's loopback, TLS end to end: the relay
 *   sees only ciphertext);
 * - the chart's `clustermesh-apiserver` Service as `helm template` of dcnet's values renders it
 *   (LoadBalancer pinned on the VIP with `lbipam.cilium.io/ips`, or NodePort 32379) and the
 *   EndpointSlice the controller would write for that pod;
 * - then the cluster's operator gives the Service its VIP (LB-IPAM), the node's BGP speaker
 *   announces it, and Cilium's BPF load balancer on the nodes translates VIP:2379 (or
 *   <node>:32379) to the pod: agents of other clusters reach the mesh etcd through the fabric.
 */
import { join } from "path";
import { LabError, run, RunResult } from "../exec";
import { LabState, saveState } from "../state";
import { timeUntil } from "../ops";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { kubectl } from "./apiserver";
import { LAB_FIELD_MANAGER } from "./objects";
import { agentServices, createPod, LabPod, podArgv } from "./pods";
import { spawnRecorded } from "./proc";
import { MeshChart, TlsFiles } from "./mesh-tls";
import { LabMeshServer, meshUrls } from "./mesh";

/** Where a member's mesh etcd is exposed. */
export interface ExposedMeshServer {
  cluster: string;
  /** The relay pod behind the Service. */
  pod: LabPod;
  /** `https://…` URLs of dcnet's endpoint (the VIP, or the NodePort on the node addresses). */
  urls: string[];
  /** From the Service applied to the agents serving it (ms). */
  ms: number;
}

/** The EndpointSlice of the chart's Service (its one port is unnamed) over the relay pod. */
function meshEndpointSlice(pod: LabPod, port: number): Record<string, unknown> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "clustermesh-apiserver-lab", namespace: pod.namespace, labels: { "kubernetes.io/service-name": "clustermesh-apiserver", "endpointslice.kubernetes.io/managed-by": "dcnet-lab" } },
    addressType: "IPv4",
    ports: [{ name: "", port, protocol: "TCP" }],
    endpoints: [{ addresses: [pod.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: pod.node, targetRef: { kind: "Pod", name: pod.name, namespace: pod.namespace, uid: pod.uid } }],
  };
}

/**
 * Expose the (TLS) mesh server of `chart.cluster` on dcnet's endpoint: relay pod, the chart's
 * Service, its EndpointSlice; waits (bounded) until LB-IPAM gave a LoadBalancer its VIP and every
 * agent of the cluster serves the frontend.
 */
export async function exposeMeshServer(state: LabState, chart: MeshChart, server: LabMeshServer, tools: ClusterTools = clusterTools(), timeoutMs = 60000): Promise<ExposedMeshServer> {
  const lc = state.cluster?.clusters[chart.cluster];
  if (!lc) throw new LabError(`cluster ${chart.cluster} is not part of this lab`);
  if (!server.tls) throw new LabError(`cluster ${chart.cluster}: its mesh etcd runs without TLS; start it with the chart's certificates`);
  if (!tools.kubectl || !tools.socat) throw new LabError("kubectl and socat are needed");
  const node = lc.nodes[0];
  const pod = createPod(state, { name: `cm-${chart.cluster}`.slice(0, 32), node, namespace: "kube-system", labels: chart.podLabels }, tools);
  const log = join(server.dir, "vip-relay.log");
  spawnRecorded(state, node, "socat", podArgv(state, pod, [tools.socat, "-lf", log, "TCP-LISTEN:2379,fork,reuseaddr", `UNIX-CONNECT:${server.etcdSocket}`]), `${log}.out`);
  saveState(state);
  const { endpoint } = chart;
  const t = Date.now();
  kubectl(lc.apiServer, tools.kubectl, ["apply", "--server-side", "--force-conflicts", `--field-manager=${LAB_FIELD_MANAGER}`, "-f", "-"], {
    input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [chart.service, meshEndpointSlice(pod, 2379)] }),
  });
  if (endpoint.viaVip) {
    const got = await timeUntil(() => kubectl(lc.apiServer, tools.kubectl!, ["get", "service", "clustermesh-apiserver", "-n", "kube-system", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"], { check: false }).stdout.trim() === endpoint.ips[0], timeoutMs, 500, t);
    if (got === undefined) throw new LabError(`cluster ${chart.cluster}: the clustermesh-apiserver Service did not get its VIP ${endpoint.ips[0]} from LB-IPAM in ${timeoutMs / 1000} s`);
  }
  const frontend = endpoint.viaVip ? `${endpoint.ips[0]}:${endpoint.port}` : `:${endpoint.port}`;
  const served = await timeUntil(() => lc.nodes.every((n) => (agentServices(state, n) ?? []).some((s) => s.frontend.endsWith(frontend) && s.backends.includes(`${pod.ip}:2379`))), timeoutMs, 500, t);
  if (served === undefined) throw new LabError(`cluster ${chart.cluster}: not every agent serves ${frontend} → ${pod.ip}:2379 after ${timeoutMs / 1000} s`);
  return { cluster: chart.cluster, pod, urls: meshUrls(endpoint), ms: served };
}

/** An HTTPS request to a mesh etcd (`/version`) from a lab namespace (outside any cgroup of Cilium's), with a client certificate. */
export function meshEtcdRequest(netns: string, url: string, client: TlsFiles, caFile: string): RunResult {
  return run("ip", ["netns", "exec", netns, "curl", "-sS", "--max-time", "5", "--cacert", caFile, "--cert", client.cert, "--key", client.key, `${url}/version`], { check: false, timeoutMs: 10000 });
}
