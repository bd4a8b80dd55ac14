/**
 * `ClusterMesh`: every cluster of a mesh (clusters whose `k8s.mesh.name` match) gets its Cilium
 * agent configured to reach the others — unique names (≤ 32 chars) and ids (1–255) and
 * non-overlapping PodCIDRs are checked, the native routing CIDR covers every member's PodCIDRs,
 * each clustermesh-apiserver listens on a VIP of its cluster's pools (or a NodePort), and all
 * members share one CA so their certificates chain.
 *
 * Each member lives in its own Kubernetes cluster, so the component makes one `k8s.Provider` per
 * member: from `kubeconfigs[cluster]`, or rendering to `renderDirectory/<cluster>` (no cluster
 * needed). Under each provider it creates the member's `CiliumAgent`.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DataCenterSpecArgs } from "../types";
import { clusterContext, clusterInput } from "../../sdk/k8s/context";
import { ownValue } from "../../sdk/k8s/keys";
import { meshEndpoint } from "../../sdk/k8s/clustermesh";
import { assertClusterSide } from "../../sdk/k8s/validate";
import { CiliumAgent } from "./cilium-agent";
import { loadDataCenter } from "./common";

/** Arguments of `ClusterMesh`. */
export interface ClusterMeshArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Mesh name (`clusters[].k8s.mesh.name`). */
  mesh: string;
  /** Kubeconfig of each member cluster, by cluster name (always treated as a Pulumi secret). */
  kubeconfigs?: { [cluster: string]: pulumi.Input<string> };
  /** Render every member's manifests to `<renderDirectory>/<cluster>` instead of applying them. */
  renderDirectory?: string;
  /** PEM of the CA shared by the members (Cilium `tls.ca.cert`), as a Pulumi secret. */
  caCertPem?: pulumi.Input<string>;
  /** PEM of the CA's private key (Cilium `tls.ca.key`), as a Pulumi secret. */
  caKeyPem?: pulumi.Input<string>;
  /** BGP MD5 passwords by secret name (members using `bgpSpeaker: cilium`). */
  bgpPasswords?: { [ref: string]: pulumi.Input<string> };
  /** Cilium chart version. */
  chartVersion?: string;
  /** Cilium chart repository. */
  chartRepo?: string;
  /** Local Cilium chart (air-gapped sites). */
  chartPath?: string;
}

/** A ClusterMesh across the clusters of the data center. */
export class ClusterMesh extends pulumi.ComponentResource {
  /** Member clusters, by id. */
  public readonly members: pulumi.Output<string[]>;
  /** How each member's clustermesh-apiserver is reached: `cluster=ip[,ip]:port`. */
  public readonly endpoints: pulumi.Output<string[]>;

  constructor(name: string, args: ClusterMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:ClusterMesh", name, {}, opts);
    const dc = loadDataCenter(args);
    assertClusterSide(dc.plan, dc.inputs);
    const members = dc.plan.clusters.filter((c) => clusterInput(dc.inputs, c.name)?.mesh?.name === args.mesh).sort((a, b) => a.id - b.id);
    if (members.length < 2)
      throw new Error(`${name}: mesh ${args.mesh} has ${members.length} member(s) (${members.map((m) => m.name).join(", ") || "none"}); a mesh joins at least two clusters declaring k8s.mesh.name: ${args.mesh}`);
    if (args.kubeconfigs && args.renderDirectory) throw new Error(`${name}: give kubeconfigs or renderDirectory, not both`);
    const missing = members.filter((m) => !args.renderDirectory && ownValue(args.kubeconfigs, m.name) === undefined);
    if (missing.length && args.kubeconfigs) throw new Error(`${name}: no kubeconfig for ${missing.map((m) => m.name).join(", ")}`);

    const endpoints: string[] = [];
    for (const m of members) {
      const ctx = clusterContext(dc.plan, dc.inputs, m.name);
      const ep = meshEndpoint(ctx);
      endpoints.push(`${m.name}=${ep.ips.join(",")}:${ep.port}`);
      // a provider per member; without kubeconfigs or a render folder, the component's own provider (one cluster only)
      const provider =
        args.renderDirectory !== undefined
          ? new k8s.Provider(`${name}-${m.name}`, { renderYamlToDirectory: path.join(args.renderDirectory, m.name) }, { parent: this })
          : args.kubeconfigs
            ? // a kubeconfig carries credentials: keep it out of the state and logs even when passed as a plain string
              new k8s.Provider(`${name}-${m.name}`, { kubeconfig: pulumi.secret(ownValue(args.kubeconfigs, m.name)!) }, { parent: this })
            : undefined;
      new CiliumAgent(
        `${name}-${m.name}`,
        {
          ...(args.spec ? { spec: args.spec } : { specFile: args.specFile }),
          cluster: m.name,
          chartVersion: args.chartVersion,
          chartRepo: args.chartRepo,
          chartPath: args.chartPath,
          bgpPasswords: args.bgpPasswords,
          meshCaCertPem: args.caCertPem,
          meshCaKeyPem: args.caKeyPem,
        },
        { parent: this, ...(provider ? { providers: { kubernetes: provider } } : {}) },
      );
    }
    this.members = pulumi.output(members.map((m) => m.name));
    this.endpoints = pulumi.output(endpoints);
    this.registerOutputs({ members: this.members, endpoints: this.endpoints });
  }
}
