/**
 * The view of one cluster that every cluster-side builder works from: the plan, the cluster,
 * its cluster-side inputs, its mesh peers and the VIP pools it owns.
 */
import { Plan, PlanCluster, PlanDevice, PlanVipPool } from "../plan/types";
import { ClusterK8sSpec } from "../spec/cluster-types";
import { DataCenterSpec } from "../spec/types";
import { nullProtoMap, ownValue } from "./keys";
import { clusterFamilies } from "./families";

/**
 * Cluster-side inputs by cluster name. Read it with `clusterInput()` (own properties only: a
 * cluster named `constructor` must not find `Object`); dcnet builds it without a prototype.
 */
export interface ClusterInputs {
  [cluster: string]: ClusterK8sSpec;
}

/** The inputs of one cluster, if it has any (own properties only). */
export function clusterInput(inputs: ClusterInputs, cluster: string): ClusterK8sSpec | undefined {
  return ownValue(inputs, cluster);
}

/** A copy of `inputs` without prototype. */
export function copyInputs(inputs: ClusterInputs): ClusterInputs {
  const out = nullProtoMap<ClusterK8sSpec>();
  for (const name of Object.keys(inputs)) out[name] = inputs[name];
  return out;
}

/** One cluster seen with its inputs. */
export interface ClusterContext {
  /** The resolved data center plan. */
  plan: Plan;
  /** The cluster, as planned. */
  cluster: PlanCluster;
  /** Index of the cluster in `plan.clusters` (= `spec.clusters`). */
  index: number;
  /** Spec path of the cluster-side inputs, e.g. `clusters[0].k8s`. */
  path: string;
  /** The cluster's own cluster-side inputs (`clusters[].k8s`). */
  k8s: ClusterK8sSpec;
  /** Cluster-side inputs of every cluster (mesh peers are read from here). */
  inputs: ClusterInputs;
  /** Members of the cluster's mesh, itself included, by id; just itself when not meshed. */
  meshMembers: PlanCluster[];
  /** VIP pools whose addresses this cluster's LB-IPAM hands out. */
  pools: PlanVipPool[];
  /** The cluster's node devices, in plan order. */
  nodes: PlanDevice[];
}

/** The cluster-side inputs written in a spec (`clusters[].k8s`). */
export function clusterInputsFromSpec(spec: DataCenterSpec): ClusterInputs {
  const out = nullProtoMap<ClusterK8sSpec>();
  for (const c of spec.clusters ?? []) if (c.k8s) out[c.name] = c.k8s;
  return out;
}

/**
 * The VIP pools a cluster owns: those naming it, and those naming no cluster whose announcers
 * are all nodes of it (or, when the data center has a single cluster, any unnamed pool announced
 * by at least one of its nodes: a pool only nodes outside it announce — e.g. nodes of an IPv6-only
 * rack — would send its services' traffic elsewhere); never an unnamed pool of a family the
 * cluster does not run.
 */
export function poolsOfCluster(plan: Plan, cluster: PlanCluster): PlanVipPool[] {
  const members = new Set(cluster.nodes);
  const families = clusterFamilies(cluster);
  return plan.vipPools.filter((p) => {
    if (p.cluster !== undefined) return p.cluster === cluster.name;
    // an unnamed pool of a family the cluster does not run (IPv4 in an IPv6-only cluster) is never its
    if (!families.includes(p.family)) return false;
    if (plan.clusters.length === 1) return p.announcers.length === 0 || p.announcers.some((a) => members.has(a));
    return p.announcers.length > 0 && p.announcers.every((a) => members.has(a));
  });
}

/** The clusters meshed with `cluster` (itself included), ordered by id. */
export function meshMembersOf(plan: Plan, inputs: ClusterInputs, cluster: PlanCluster): PlanCluster[] {
  const mesh = clusterInput(inputs, cluster.name)?.mesh?.name;
  if (!mesh) return [cluster];
  return plan.clusters.filter((c) => clusterInput(inputs, c.name)?.mesh?.name === mesh).sort((a, b) => a.id - b.id);
}

/** Build the context of one cluster. Throws if the cluster is not in the plan. */
export function clusterContext(plan: Plan, inputs: ClusterInputs, name: string): ClusterContext {
  const index = plan.clusters.findIndex((c) => c.name === name);
  if (index < 0) throw new Error(`cluster ${name} is not in the plan (clusters: ${plan.clusters.map((c) => c.name).join(", ") || "none"})`);
  const cluster = plan.clusters[index];
  const members = new Set(cluster.nodes);
  return {
    plan,
    cluster,
    index,
    path: `clusters[${index}].k8s`,
    k8s: clusterInput(inputs, name) ?? {},
    inputs,
    meshMembers: meshMembersOf(plan, inputs, cluster),
    pools: poolsOfCluster(plan, cluster),
    nodes: plan.devices.filter((d) => d.kind === "node" && members.has(d.name)),
  };
}

/** Address of a node device (its first interface address). */
export function nodeAddress(device: PlanDevice): string {
  return device.interfaces[0]?.addresses[0]?.address ?? device.routerId;
}
