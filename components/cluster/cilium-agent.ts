/**
 * `CiliumAgent`: the official Cilium chart (pinned ≥ 1.18, repository configurable, local chart
 * for air-gapped sites) with values derived from the plan; a `NodePatch` per node writing its
 * planned PodCIDR; with `bgpSpeaker: cilium`, the BGP v2 objects and the MD5 password Secrets
 * (from Pulumi secrets) they reference.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DataCenterSpecArgs } from "../types";
import { BgpSpeaker, ClusterK8sSpec } from "../../sdk/spec/cluster-types";
import { ciliumValues, nativeRoutingCidr, nativeRoutingCidr6 } from "../../sdk/k8s/cilium-values";
import { nodePatches } from "../../sdk/k8s/node-patches";
import { bgpObjects, bgpSecretRefs, BGP_SECRET_KEY } from "../../sdk/k8s/bgp";
import { CILIUM_CHART_REPO, CILIUM_NAMESPACE, ciliumOptions } from "../../sdk/k8s/defaults";
import { toYaml } from "../../sdk/k8s/render";
import { MANAGED_BY } from "../../sdk/k8s/objects";
import { ownValue } from "../../sdk/k8s/keys";
import { valuesSchemaNotes } from "../../sdk/k8s/chart-schema";
import { chartSource, loadCluster, objectResource } from "./common";

/** Arguments of `CiliumAgent`. */
export interface CiliumAgentArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Cluster name, as in the spec. */
  cluster: string;
  /** Cluster-side inputs replacing the spec's `clusters[].k8s` of this cluster. */
  k8s?: ClusterK8sSpec;
  /** Cilium chart version (default: `k8s.cilium.chartVersion`, else pinned by dcnet). */
  chartVersion?: string;
  /** Chart repository (default https://helm.cilium.io/). */
  chartRepo?: string;
  /** Local chart directory or `.tgz` (air-gapped sites); wins over the repository. */
  chartPath?: string;
  /** MD5 passwords of BGP sessions by secret name (`bgp.passwordRef`), as Pulumi secrets; needed with `bgpSpeaker: cilium`. */
  bgpPasswords?: { [ref: string]: pulumi.Input<string> };
  /** PEM of the CA shared by the clusters of a mesh (Cilium `tls.ca.cert`); see `ClusterMesh`. */
  meshCaCertPem?: pulumi.Input<string>;
  /** PEM of the shared CA's private key (Cilium `tls.ca.key`). */
  meshCaKeyPem?: pulumi.Input<string>;
}

/** The Cilium agent of one cluster. */
export class CiliumAgent extends pulumi.ComponentResource {
  /** Cluster name (`cluster.name`). */
  public readonly clusterName: pulumi.Output<string>;
  /** Cluster id (`cluster.id`). */
  public readonly clusterId: pulumi.Output<number>;
  /** `ipv4NativeRoutingCIDR`; `ipv6NativeRoutingCIDR` for an IPv6-only cluster (IPv4 off). */
  public readonly nativeRoutingCidr: pulumi.Output<string>;
  /** The chart values as YAML (the mesh CA, when given, is not included). */
  public readonly valuesYaml: pulumi.Output<string>;
  /** Nodes whose PodCIDR is patched. */
  public readonly nodes: pulumi.Output<string[]>;

  constructor(name: string, args: CiliumAgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:CiliumAgent", name, {}, opts);
    const ctx = loadCluster(args, args.cluster, args.k8s);
    const o = ciliumOptions(ctx.k8s);
    const values = ciliumValues(ctx);
    const parent = { parent: this };
    // cilium.values not checked against the chart's values.schema.json: say so (sdk/k8s/chart-schema.ts)
    for (const note of valuesSchemaNotes([{ path: ctx.path, k8s: ctx.k8s }])) if (note.includes("not checked")) pulumi.log.warn(note, this);

    const hasCa = args.meshCaCertPem !== undefined || args.meshCaKeyPem !== undefined;
    if (hasCa && (args.meshCaCertPem === undefined || args.meshCaKeyPem === undefined)) throw new Error(`${name}: meshCaCertPem and meshCaKeyPem go together`);
    const chartValues: pulumi.Input<{ [key: string]: unknown }> = hasCa
      ? pulumi.secret(
          pulumi.all([args.meshCaCertPem!, args.meshCaKeyPem!]).apply(([cert, key]) => ({
            ...values,
            tls: { ...((values.tls as object) ?? {}), ca: { cert: Buffer.from(cert).toString("base64"), key: Buffer.from(key).toString("base64") } },
          })),
        )
      : values;

    const chart = new k8s.helm.v4.Chart(
      `${name}-cilium`,
      {
        name: "cilium",
        namespace: CILIUM_NAMESPACE,
        ...chartSource("cilium", args.chartVersion ?? o.chartVersion, args.chartRepo ?? CILIUM_CHART_REPO, args.chartPath),
        values: chartValues,
      },
      parent,
    );

    for (const patch of nodePatches(ctx)) {
      new k8s.core.v1.NodePatch(
        `${name}-node-${patch.metadata.name}`,
        {
          metadata: { ...patch.metadata, annotations: { ...(patch.metadata.annotations ?? {}), "pulumi.com/patchForce": "true" } },
          ...(patch.spec ? { spec: patch.spec as k8s.types.input.core.v1.NodeSpecPatch } : {}),
        },
        parent,
      );
    }

    if (o.bgpSpeaker === BgpSpeaker.cilium) {
      const secrets = bgpSecretRefs(ctx).map((ref) => {
        const password = ownValue(args.bgpPasswords, ref);
        if (password === undefined) throw new Error(`${name}: the BGP sessions of cluster ${ctx.cluster.name} use the MD5 secret ${ref}; pass its password in bgpPasswords.${ref}`);
        return new k8s.core.v1.Secret(
          `${name}-bgp-secret-${ref}`,
          {
            metadata: { name: ref, namespace: CILIUM_NAMESPACE, labels: { ...MANAGED_BY } },
            type: "Opaque",
            stringData: { [BGP_SECRET_KEY]: pulumi.secret(password) },
          },
          parent,
        );
      });
      // Cilium's operator registers the CRDs when it starts: wait for the chart's resources
      for (const obj of bgpObjects(ctx)) objectResource(name, obj, { parent: this, dependsOn: [chart, ...secrets] });
    }

    this.clusterName = pulumi.output(ctx.cluster.name);
    this.clusterId = pulumi.output(ctx.cluster.id);
    this.nativeRoutingCidr = pulumi.output(nativeRoutingCidr(ctx) ?? nativeRoutingCidr6(ctx)!);
    this.valuesYaml = pulumi.output(toYaml(values));
    this.nodes = pulumi.output(ctx.nodes.map((d) => d.name));
    this.registerOutputs({
      clusterName: this.clusterName,
      clusterId: this.clusterId,
      nativeRoutingCidr: this.nativeRoutingCidr,
      valuesYaml: this.valuesYaml,
      nodes: this.nodes,
    });
  }
}
