/**
 * `ExternalEndpoints`: the inventory of non-Cilium endpoints (from code, the spec, or a YAML/JSON
 * file) as labelled `CiliumCIDRGroup`s. Each entry is one resource named after it, so adding,
 * changing or removing an entry is reflected on the next `pulumi up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { DataCenterSpecArgs } from "../types";
import { ClusterK8sSpec, ExternalEndpointSpec } from "../../sdk/spec/cluster-types";
import { cidrGroup, loadInventoryFile } from "../../sdk/k8s/external-endpoints";
import { clusterInput } from "../../sdk/k8s/context";
import { loadCluster, objectResource } from "./common";

/** Arguments of `ExternalEndpoints`. */
export interface ExternalEndpointsArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Cluster name, as in the spec. */
  cluster: string;
  /** Cluster-side inputs replacing the spec's `clusters[].k8s` of this cluster. */
  k8s?: ClusterK8sSpec;
  /** Inventory entries (replace the spec's). */
  endpoints?: ExternalEndpointSpec[];
  /** Inventory file, YAML or JSON (replaces the spec's; combined with `endpoints`). */
  inventoryFile?: string;
}

/** External endpoints of a cluster as CIDR groups. */
export class ExternalEndpoints extends pulumi.ComponentResource {
  /** CIDR group names. */
  public readonly groups: pulumi.Output<string[]>;

  constructor(name: string, args: ExternalEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:ExternalEndpoints", name, {}, opts);
    const given = args.endpoints !== undefined || args.inventoryFile !== undefined;
    const list = [...(args.endpoints ?? []), ...(args.inventoryFile ? loadInventoryFile(args.inventoryFile) : [])];
    const ctx = loadCluster(args, args.cluster, args.k8s, (inputs) => {
      if (given) inputs[args.cluster] = { ...clusterInput(inputs, args.cluster), externalEndpoints: list, externalEndpointsFile: undefined };
    });
    const endpoints = ctx.k8s.externalEndpoints ?? [];
    for (const ep of endpoints) objectResource(name, cidrGroup(ctx.cluster.name, ep), { parent: this });
    this.groups = pulumi.output(endpoints.map((e) => e.name));
    this.registerOutputs({ groups: this.groups });
  }
}
