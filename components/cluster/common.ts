/**
 * Shared plumbing of the cluster-side components: loading and resolving the spec, building the
 * cluster's context (validated), chart sources, and turning plain objects into resources.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DataCenterSpec } from "../../sdk/spec/types";
import { DataCenterSpecArgs } from "../types";
import { ClusterK8sSpec } from "../../sdk/spec/cluster-types";
import { loadSpecFile } from "../../sdk/spec/load";
import { resolve } from "../../sdk/resolve/resolve";
import { Plan } from "../../sdk/plan/types";
import { ClusterContext, ClusterInputs, clusterContext, clusterInput, copyInputs } from "../../sdk/k8s/context";
import { loadClusterInputs } from "../../sdk/k8s/external-endpoints";
import { assertClusterSide } from "../../sdk/k8s/validate";
import { K8sObject } from "../../sdk/k8s/objects";
import { objectKey } from "../../sdk/k8s/render";

/** Where a component finds the data center: the spec object, or a YAML/JSON spec file. */
export interface SpecSource {
  /** The spec as an object (same shape as the YAML). */
  spec?: DataCenterSpecArgs;
  /** Path of a YAML/JSON spec file. */
  specFile?: string;
}

const planCache = new WeakMap<DataCenterSpec, Plan>();
const fileCache = new Map<string, { spec: DataCenterSpec; plan: Plan }>();

/** The spec, its plan and its cluster-side inputs (inventory files read relative to the spec file). */
export function loadDataCenter(src: SpecSource): { spec: DataCenterSpec; plan: Plan; inputs: ClusterInputs } {
  if (src.spec && src.specFile) throw new Error("give either spec or specFile, not both");
  if (src.specFile) {
    const file = path.resolve(src.specFile);
    let hit = fileCache.get(file);
    if (!hit) {
      const spec = loadSpecFile(file);
      hit = { spec, plan: resolve(spec) };
      fileCache.set(file, hit);
    }
    return { ...hit, inputs: loadClusterInputs(hit.spec, path.dirname(file)) };
  }
  if (!src.spec) throw new Error("a data center spec is required (spec or specFile)");
  // same shape as DataCenterSpec (see components/types.ts); resolve() checks it against the schema
  const spec = src.spec as unknown as DataCenterSpec;
  let plan = planCache.get(spec);
  if (!plan) {
    plan = resolve(spec);
    planCache.set(spec, plan);
  }
  return { spec, plan, inputs: loadClusterInputs(spec, ".") };
}

/**
 * The validated context of one cluster. `k8s` replaces the spec's `clusters[].k8s` of that
 * cluster when given; `edit` adjusts the inputs further (e.g. to add a component's own policy).
 */
export function loadCluster(src: SpecSource, cluster: string, k8s?: ClusterK8sSpec, edit?: (inputs: ClusterInputs) => void): ClusterContext {
  const dc = loadDataCenter(src);
  const inputs: ClusterInputs = copyInputs(dc.inputs);
  if (k8s) inputs[cluster] = k8s;
  if (!clusterInput(inputs, cluster)) inputs[cluster] = {};
  edit?.(inputs);
  assertClusterSide(dc.plan, inputs);
  return clusterContext(dc.plan, inputs, cluster);
}

/** Chart source options shared by the chart-based components. */
export interface ChartSourceArgs {
  /** Chart version (default pinned by dcnet). */
  chartVersion?: string;
  /** Chart repository URL (default: the official repository). */
  chartRepo?: string;
  /** Local chart directory or `.tgz` for air-gapped sites (wins over the repository). */
  chartPath?: string;
}

/** `helm.v4.Chart` source arguments. */
export function chartSource(chart: string, version: string, repo: string, localPath?: string): Pick<k8s.helm.v4.ChartArgs, "chart" | "version" | "repositoryOpts"> {
  if (localPath) return { chart: localPath };
  return { chart, version, repositoryOpts: { repo } };
}

/** A resource name from an object: `<prefix>-<kind>-<name>`, `<prefix>-<kind>-<namespace>_<name>` when namespaced (injective, as the file names). */
export function objectResourceName(prefix: string, obj: K8sObject): string {
  return `${prefix}-${objectKey(obj)}`;
}

/** Create a plain object as a Pulumi resource (custom resources untyped, core kinds typed). */
export function objectResource(prefix: string, obj: K8sObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const name = objectResourceName(prefix, obj);
  if (obj.apiVersion === "v1" && obj.kind === "Namespace") return new k8s.core.v1.Namespace(name, { metadata: obj.metadata }, opts);
  const { apiVersion, kind, metadata, ...body } = obj;
  return new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata, ...body }, opts);
}
