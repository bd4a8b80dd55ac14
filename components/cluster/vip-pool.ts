/**
 * `VipPool`: the L4LB pools of a cluster as `CiliumLoadBalancerIPPool`s (LB-IPAM, with the
 * spec's service selectors). The l4lb nodes announce the VIPs (BIRD static /32s, or Cilium's
 * Service advertisements — see `CiliumAgent`); the switches admit those /32s only from those
 * nodes and spread them by ECMP (the core's FRR renderer and prefix-lists).
 */
import * as pulumi from "@pulumi/pulumi";
import { DataCenterSpecArgs } from "../types";
import { ClusterK8sSpec } from "../../sdk/spec/cluster-types";
import { lbIpPool } from "../../sdk/k8s/lb-ipam";
import { loadCluster, objectResource } from "./common";

/** Arguments of `VipPool`. */
export interface VipPoolArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Cluster name, as in the spec. */
  cluster: string;
  /** Cluster-side inputs replacing the spec's `clusters[].k8s` of this cluster. */
  k8s?: ClusterK8sSpec;
  /** Only this VIP pool (default: every pool the cluster owns). */
  pool?: string;
}

/** LB-IPAM pools of a cluster. */
export class VipPool extends pulumi.ComponentResource {
  /** Pool names. */
  public readonly pools: pulumi.Output<string[]>;
  /** Pool CIDRs, in the order of `pools`. */
  public readonly cidrs: pulumi.Output<string[]>;

  constructor(name: string, args: VipPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:VipPool", name, {}, opts);
    const ctx = loadCluster(args, args.cluster, args.k8s);
    const pools = ctx.pools.filter((p) => args.pool === undefined || p.name === args.pool);
    if (args.pool !== undefined && pools.length === 0)
      throw new Error(`${name}: cluster ${ctx.cluster.name} owns no VIP pool ${args.pool} (its pools: ${ctx.pools.map((p) => p.name).join(", ") || "none"})`);
    for (const p of pools) objectResource(name, lbIpPool(ctx.cluster.name, p), { parent: this });
    this.pools = pulumi.output(pools.map((p) => p.name));
    this.cidrs = pulumi.output(pools.map((p) => p.cidr));
    this.registerOutputs({ pools: this.pools, cidrs: this.cidrs });
  }
}
