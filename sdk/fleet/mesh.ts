/**
 * ClusterMesh across data centers: clusters of different data centers of a fleet that declare the
 * same `k8s.mesh.name` form one mesh. Each side's Cilium values are rendered from both plans:
 *
 * - `clustermesh.config.clusters`: every other member, in any data center, with the endpoint its own
 *   plan gives (`meshEndpoint`: the VIP, or the NodePort on its nodes' addresses), by cluster id;
 * - `ipv4NativeRoutingCIDR`: the smallest prefix covering every member's PodCIDRs (traffic to a remote
 *   cluster's pods is routed, not masqueraded);
 * - `tls.ca.cert`: the fleet's CA certificate for the mesh (`meshCa`, public PEM), the same for every
 *   member so their clustermesh-apiserver and agent certificates chain. Its key never enters a
 *   rendered file (give it to the clusters as a secret, e.g. `ClusterMesh`'s `caKeyPem`).
 *
 * Checked: the mesh spans only data centers that may be meshed (the fleet's `mesh` list), it has one
 * CA (`fleet-mesh-ca`), and the CA certificate is a CA. Cluster names and ids across meshed data
 * centers are `allocationConflicts`' (unique, else the agents cannot tell the members apart).
 */
import { X509Certificate } from "crypto";
import { readFileSync } from "fs";
import { Plan } from "../plan/types";
import { ClusterInputs, clusterContext, clusterInput } from "../k8s/context";
import { ciliumValues } from "../k8s/cilium-values";
import { MeshEndpoint, meshEndpoint } from "../k8s/clustermesh";
import { toYaml } from "../k8s/render";
import { coveringPrefix } from "../net/prefix";

/** One data center as the mesh rendering sees it. */
export interface FleetMeshSite {
  dataCenter: string;
  plan: Plan;
  inputs: ClusterInputs;
}

/** One member of a mesh across data centers. */
export interface FleetMeshMember {
  dataCenter: string;
  cluster: string;
  id: number;
  endpoint: MeshEndpoint;
  /** IPv4 PodCIDRs of its nodes. */
  podCIDRs: string[];
}

/** Members of every mesh name, by cluster id. */
export function fleetMeshes(sites: FleetMeshSite[]): Map<string, FleetMeshMember[]> {
  const out = new Map<string, FleetMeshMember[]>();
  for (const s of sites)
    for (const c of s.plan.clusters) {
      const mesh = clusterInput(s.inputs, c.name)?.mesh?.name;
      if (!mesh) continue;
      const ctx = clusterContext(s.plan, s.inputs, c.name);
      out.set(mesh, [...(out.get(mesh) ?? []), { dataCenter: s.dataCenter, cluster: c.name, id: c.id, endpoint: meshEndpoint(ctx), podCIDRs: c.podCIDRs.filter((p) => p.family === "ipv4").map((p) => p.prefix) }]);
    }
  for (const list of out.values()) list.sort((a, b) => a.id - b.id || (a.cluster < b.cluster ? -1 : 1));
  return out;
}

/** Meshes with members in more than one data center. */
export function crossDataCenterMeshes(sites: FleetMeshSite[]): Map<string, FleetMeshMember[]> {
  return new Map([...fleetMeshes(sites)].filter(([, m]) => new Set(m.map((x) => x.dataCenter)).size > 1));
}

/** Problems of the meshes across data centers, one line each (`caFiles`: mesh → CA certificate file). */
export function fleetMeshProblems(sites: FleetMeshSite[], caFiles: { [mesh: string]: string }, meshed?: string[]): string[] {
  const problems: string[] = [];
  const all = fleetMeshes(sites);
  for (const [mesh, members] of crossDataCenterMeshes(sites)) {
    const dcs = [...new Set(members.map((m) => m.dataCenter))];
    for (const dc of dcs) if (meshed && !meshed.includes(dc)) problems.push(`mesh ${mesh} spans ${dcs.join(", ")}, but ${dc} is not in the fleet's mesh list [fleet-mesh-member]`);
    const file = Object.prototype.hasOwnProperty.call(caFiles, mesh) ? caFiles[mesh] : undefined;
    if (file === undefined) {
      problems.push(`mesh ${mesh} spans ${dcs.join(", ")}: give meshCa.${mesh} (the CA certificate every member trusts); without it each cluster's chart makes a CA of its own and the members' certificates do not chain [fleet-mesh-ca]`);
      continue;
    }
    const bad = caProblem(file);
    if (bad) problems.push(`meshCa.${mesh}: ${bad} [fleet-mesh-ca]`);
  }
  for (const mesh of Object.keys(caFiles)) if (!all.has(mesh)) problems.push(`meshCa.${mesh}: no cluster of the fleet declares mesh ${mesh} [fleet-mesh-ca]`);
  return problems;
}

function caProblem(file: string): string | undefined {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (e) {
    return `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  if (/PRIVATE KEY/.test(pem)) return `${file} holds a private key; give the CA certificate only (the key is a secret of the clusters)`;
  try {
    const cert = new X509Certificate(pem);
    if (!cert.ca) return `${file} is not a CA certificate (basicConstraints CA:FALSE)`;
  } catch (e) {
    return `${file} is not a PEM certificate (${(e as Error).message})`;
  }
  return undefined;
}

/**
 * The Cilium values of `cluster` of `site` for a mesh across data centers: its own values
 * (`ciliumValues`) with every other member as a remote cluster, the native routing CIDR covering
 * every member's PodCIDRs and the mesh's CA certificate (PEM text).
 */
export function fleetCiliumValues(site: FleetMeshSite, cluster: string, members: FleetMeshMember[], caPem: string | undefined): Record<string, unknown> {
  const values = ciliumValues(clusterContext(site.plan, site.inputs, cluster));
  const mesh = values.clustermesh as { config: { clusters: unknown[] } } | undefined;
  if (!mesh) throw new Error(`cluster ${cluster} of ${site.dataCenter} is not in a mesh`);
  mesh.config.clusters = members.filter((m) => !(m.dataCenter === site.dataCenter && m.cluster === cluster)).map((m) => ({ name: m.cluster, port: m.endpoint.port, ips: m.endpoint.ips }));
  const cover = coveringPrefix(members.flatMap((m) => m.podCIDRs));
  if (cover) values.ipv4NativeRoutingCIDR = cover;
  if (caPem !== undefined) {
    const tls = (values.tls ?? {}) as Record<string, unknown>;
    values.tls = { ...tls, ca: { ...((tls.ca as object) ?? {}), cert: Buffer.from(caPem, "utf8").toString("base64") } };
  }
  return values;
}

/**
 * The files of the meshes across data centers, by data center: `clusters/<cluster>/values/cilium.yaml`
 * of each member (replacing the one-data-center values of `dcnet plan`).
 */
export function renderFleetMeshFiles(sites: FleetMeshSite[], caFiles: { [mesh: string]: string }): Map<string, { path: string; text: string }[]> {
  const out = new Map<string, { path: string; text: string }[]>();
  for (const [mesh, members] of crossDataCenterMeshes(sites)) {
    const ca = Object.prototype.hasOwnProperty.call(caFiles, mesh) ? readFileSync(caFiles[mesh], "utf8") : undefined;
    for (const m of members) {
      const site = sites.find((s) => s.dataCenter === m.dataCenter)!;
      const files = out.get(m.dataCenter) ?? [];
      files.push({ path: `clusters/${m.cluster}/values/cilium.yaml`, text: toYaml(fleetCiliumValues(site, m.cluster, members, ca)) });
      out.set(m.dataCenter, files);
    }
  }
  return out;
}
