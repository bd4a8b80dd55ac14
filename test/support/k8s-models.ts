/**
 * Upstream schema validation of the objects dcnet produces: Cilium CRDs from
 * `@kubernetes-models/cilium`, Istio CRDs from `@kubernetes-models/istio`, core kinds from
 * `kubernetes-models`. The packages are ESM-only: loaded with `import()` from these CJS tests.
 */
import * as path from "path";
import { resolve } from "../../sdk/resolve/resolve";
import { loadSpecFile } from "../../sdk/spec/load";
import { loadClusterInputs } from "../../sdk/k8s/external-endpoints";
import { ClusterInputs } from "../../sdk/k8s/context";
import { K8sObject } from "../../sdk/k8s/objects";
import { Plan } from "../../sdk/plan/types";
import { DataCenterSpec } from "../../sdk/spec/types";

/** The module holding the model class of an apiVersion/kind. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "cilium.io") return `@kubernetes-models/cilium/cilium.io/${version}/${kind}`;
  if (group.endsWith(".istio.io")) return `@kubernetes-models/istio/${group}/${version}/${kind}`;
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  return undefined;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** Validate an object against its upstream schema; throws with the schema's message when invalid. */
export async function validateUpstream(obj: K8sObject): Promise<void> {
  const mod = modelModule(obj.apiVersion, obj.kind);
  if (!mod) throw new Error(`no upstream model for ${obj.apiVersion} ${obj.kind}`);
  const m = (await import(mod)) as Record<string, ModelClass>;
  const Model = m[obj.kind];
  if (!Model) throw new Error(`${mod} has no ${obj.kind}`);
  new Model(structuredClone(obj)).validate();
}

/** An example: its spec, plan and cluster-side inputs. */
export interface Example {
  name: string;
  file: string;
  spec: DataCenterSpec;
  plan: Plan;
  inputs: ClusterInputs;
}

/** Load `examples/<name>/datacenter.yaml` with its inventory files. */
export function loadExample(name: string): Example {
  const file = path.join(__dirname, "..", "..", "examples", name, "datacenter.yaml");
  const spec = loadSpecFile(file);
  return { name, file, spec, plan: resolve(spec), inputs: loadClusterInputs(spec, path.dirname(file)) };
}

export const EXAMPLES = ["spine-leaf", "three-tier"];
