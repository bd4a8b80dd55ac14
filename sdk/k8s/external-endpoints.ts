/**
 * External endpoints: non-Cilium endpoints (VMs, bare-metal hosts, pods of other platforms)
 * become labelled `CiliumCIDRGroup` objects, which policies reference by name (`cidrGroupRef`)
 * or by label (`cidrGroupSelector`). The inventory comes from code, the spec, or a YAML/JSON file.
 */
import { readFileSync, statSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { familyOf } from "../net/prefix";
import { ExternalEndpointSpec } from "../spec/cluster-types";
import { DataCenterSpec } from "../spec/types";
import { SpecError, SpecProblem, quote } from "../validate/errors";
import { ClusterContext, ClusterInputs, clusterInput, clusterInputsFromSpec } from "./context";
import { nullProtoMap } from "./keys";
import { dcnetLabels, K8sObject } from "./objects";

/** Largest inventory file read (bytes). */
export const INVENTORY_MAX_BYTES = 8 * 1024 * 1024;

/** Label naming the inventory entry of a CIDR group. */
export const EXTERNAL_ENDPOINT_LABEL = "dcnet.io/external-endpoint";

function cidrOf(text: string): string {
  if (text.includes("/")) return text;
  return `${text}/${familyOf(text) === "ipv6" ? 128 : 32}`;
}

/** The `CiliumCIDRGroup` of one inventory entry. */
export function cidrGroup(cluster: string, ep: ExternalEndpointSpec): K8sObject {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumCIDRGroup",
    metadata: {
      name: ep.name,
      labels: { ...(ep.labels ?? {}), ...dcnetLabels(cluster, { [EXTERNAL_ENDPOINT_LABEL]: ep.name }) },
      ...(ep.description ? { annotations: { "dcnet.io/description": ep.description } } : {}),
    },
    spec: { externalCIDRs: ep.cidrs.map(cidrOf) },
  };
}

/** CIDR groups of a cluster (the inventory must already be inlined: see `loadClusterInputs`). */
export function externalEndpointObjects(ctx: ClusterContext): K8sObject[] {
  return (ctx.k8s.externalEndpoints ?? []).map((ep) => cidrGroup(ctx.cluster.name, ep));
}

/** Shape problems of an inventory (a list, or `{ endpoints: [...] }`); returns the entries when well-formed. */
export function parseInventory(data: unknown, source: string): { endpoints: ExternalEndpointSpec[]; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const list = Array.isArray(data) ? data : (data as { endpoints?: unknown })?.endpoints;
  if (!Array.isArray(list)) {
    problems.push({ path: source, rule: "inventory-shape", message: "an external endpoint inventory is a list, or an object with an `endpoints` list" });
    return { endpoints: [], problems };
  }
  list.forEach((e, i) => {
    const p = `${source}[${i}]`;
    const ep = e as Record<string, unknown>;
    if (typeof ep !== "object" || ep === null) return problems.push({ path: p, rule: "inventory-shape", message: "an entry is an object with name, cidrs and labels" });
    if (typeof ep.name !== "string") problems.push({ path: `${p}.name`, rule: "inventory-shape", message: "name must be a string" });
    if (!Array.isArray(ep.cidrs) || ep.cidrs.some((c) => typeof c !== "string")) problems.push({ path: `${p}.cidrs`, rule: "inventory-shape", message: "cidrs must be a list of strings" });
    if (ep.labels !== undefined && (typeof ep.labels !== "object" || ep.labels === null || Object.values(ep.labels).some((v) => typeof v !== "string")))
      problems.push({ path: `${p}.labels`, rule: "inventory-shape", message: "labels must map strings to strings" });
    const extra = Object.keys(ep).filter((k) => !["name", "cidrs", "labels", "description"].includes(k));
    if (extra.length) problems.push({ path: p, rule: "inventory-shape", message: `unknown field(s) ${extra.join(", ")}` });
    return undefined;
  });
  return { endpoints: problems.length ? [] : (list as ExternalEndpointSpec[]), problems };
}

/** Read an inventory file (YAML or JSON). Throws `SpecError` on unreadable or malformed files. */
export function loadInventoryFile(file: string, source = file): ExternalEndpointSpec[] {
  let data: unknown;
  try {
    // bounded before parsing: a huge or deeply nested file must be a problem, not an exhausted heap
    const size = statSync(file).size;
    if (size > INVENTORY_MAX_BYTES)
      throw new SpecError([{ path: source, rule: "inventory-size", message: `${quote(file)} has ${size} bytes; an inventory holds at most ${INVENTORY_MAX_BYTES}` }]);
    data = parse(readFileSync(file, "utf8"), { maxAliasCount: 100 });
  } catch (e) {
    if (e instanceof SpecError) throw e;
    throw new SpecError([{ path: source, rule: "inventory-read", message: `${quote(file)}: ${quote((e as Error).message.split("\n")[0])}` }]);
  }
  const { endpoints, problems } = parseInventory(data, source);
  if (problems.length) throw new SpecError(problems);
  return endpoints;
}

/**
 * Cluster-side inputs of a spec with every `externalEndpointsFile` read (relative to `baseDir`,
 * the spec file's folder) and merged into `externalEndpoints`.
 */
export function loadClusterInputs(spec: DataCenterSpec, baseDir = "."): ClusterInputs {
  const inputs = clusterInputsFromSpec(spec);
  const problems: SpecProblem[] = [];
  const out: ClusterInputs = nullProtoMap();
  (spec.clusters ?? []).forEach((c, i) => {
    const k8s = clusterInput(inputs, c.name);
    if (!k8s) return;
    if (!k8s.externalEndpointsFile) {
      out[c.name] = k8s;
      return;
    }
    try {
      const file = path.resolve(baseDir, k8s.externalEndpointsFile);
      const fromFile = loadInventoryFile(file, `clusters[${i}].k8s.externalEndpointsFile`);
      out[c.name] = { ...k8s, externalEndpoints: [...(k8s.externalEndpoints ?? []), ...fromFile] };
    } catch (e) {
      if (e instanceof SpecError) problems.push(...e.problems);
      else throw e;
    }
  });
  if (problems.length) throw new SpecError(problems);
  return out;
}
