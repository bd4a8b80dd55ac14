/**
 * `NetworkPolicy`: a `CiliumNetworkPolicy` / `CiliumClusterwideNetworkPolicy` from a typed
 * `NetworkPolicySpec` (write it by hand, or with `PolicyBuilder` from `sdk/k8s/policy-builder`),
 * validated with the cluster's mesh and external endpoints (cluster-aware peers, CIDR groups).
 * Without `policy`, every policy of the cluster's `clusters[].k8s.policies` is created.
 */
import * as pulumi from "@pulumi/pulumi";
import { DataCenterSpecArgs } from "../types";
import { ClusterK8sSpec, NetworkPolicySpec } from "../../sdk/spec/cluster-types";
import { renderPolicy } from "../../sdk/k8s/policy";
import { clusterInput } from "../../sdk/k8s/context";
import { loadCluster, objectResource } from "./common";

/** Arguments of `NetworkPolicy`. */
export interface NetworkPolicyArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Cluster name, as in the spec. */
  cluster: string;
  /** Cluster-side inputs replacing the spec's `clusters[].k8s` of this cluster. */
  k8s?: ClusterK8sSpec;
  /** The policy (default: every policy of the cluster's spec). */
  policy?: NetworkPolicySpec;
}

/** Cilium network policies of a cluster. */
export class NetworkPolicy extends pulumi.ComponentResource {
  /** Policies created, as `kind/namespace/name`. */
  public readonly policies: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:NetworkPolicy", name, {}, opts);
    const own = args.policy;
    const ctx = loadCluster(args, args.cluster, args.k8s, (inputs) => {
      if (!own) return;
      const k8s = clusterInput(inputs, args.cluster) ?? {};
      // validated together with the cluster's policies (duplicates are reported)
      inputs[args.cluster] = { ...k8s, policies: [...(k8s.policies ?? []).filter((p) => p.name !== own.name || (p.namespace ?? "default") !== (own.namespace ?? "default") || !!p.clusterwide !== !!own.clusterwide), own] };
    });
    const specs = own ? [own] : (ctx.k8s.policies ?? []);
    const objects = specs.map((p) => renderPolicy(ctx, p));
    for (const obj of objects) objectResource(name, obj, { parent: this });
    this.policies = pulumi.output(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`));
    this.registerOutputs({ policies: this.policies });
  }
}
