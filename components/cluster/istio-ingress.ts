/**
 * `IstioIngress`: Istio's `base`, `istiod` and `gateway` charts; the gateway Service of type
 * LoadBalancer pinned to its VIP (`lbipam.cilium.io/ips`) and labelled for the pool's service
 * selector; `Gateway` and `VirtualService` objects for the hosts and routes.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DataCenterSpecArgs } from "../types";
import { ClusterK8sSpec } from "../../sdk/spec/cluster-types";
import { ingressNamespace, istioObjects, istioValues } from "../../sdk/k8s/istio";
import { GATEWAY_RELEASE, ISTIO_CHART_REPO, ISTIO_CHART_VERSION, ISTIO_SYSTEM_NAMESPACE } from "../../sdk/k8s/defaults";
import { chartSource, loadCluster, objectResource } from "./common";

/** Local chart paths of the three Istio charts (air-gapped sites). */
export interface IstioChartPaths {
  /** The `base` chart (CRDs). */
  base: string;
  /** The `istiod` chart (control plane). */
  istiod: string;
  /** The `gateway` chart (ingress gateway). */
  gateway: string;
}

/** Arguments of `IstioIngress`. */
export interface IstioIngressArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Cluster name, as in the spec. */
  cluster: string;
  /** Cluster-side inputs replacing the spec's `clusters[].k8s` of this cluster (must declare `ingress`). */
  k8s?: ClusterK8sSpec;
  /** Istio chart version (default: `k8s.ingress.chartVersion`, else pinned by dcnet). */
  chartVersion?: string;
  /** Chart repository (default Istio's). */
  chartRepo?: string;
  /** Local charts (air-gapped sites); win over the repository. */
  chartPaths?: IstioChartPaths;
}

/** The Istio ingress gateway of a cluster, on a VIP. */
export class IstioIngress extends pulumi.ComponentResource {
  /** The gateway's VIP. */
  public readonly address: pulumi.Output<string>;
  /** Namespace of the gateway. */
  public readonly namespace: pulumi.Output<string>;
  /** Hosts served. */
  public readonly hosts: pulumi.Output<string[]>;

  constructor(name: string, args: IstioIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:IstioIngress", name, {}, opts);
    const ctx = loadCluster(args, args.cluster, args.k8s);
    const ing = ctx.k8s.ingress;
    if (!ing) throw new Error(`${name}: cluster ${ctx.cluster.name} declares no ingress (clusters[].k8s.ingress)`);
    const values = istioValues(ctx)!;
    const version = args.chartVersion ?? ing.chartVersion ?? ISTIO_CHART_VERSION;
    const repo = args.chartRepo ?? ISTIO_CHART_REPO;
    const ns = ingressNamespace(ctx);

    const objects = istioObjects(ctx);
    const namespaces = objects.filter((o) => o.kind === "Namespace").map((o) => objectResource(name, o, { parent: this }));
    const base = new k8s.helm.v4.Chart(
      `${name}-istio-base`,
      { name: "istio-base", namespace: ISTIO_SYSTEM_NAMESPACE, ...chartSource("base", version, repo, args.chartPaths?.base), values: values.base },
      { parent: this, dependsOn: namespaces },
    );
    const istiod = new k8s.helm.v4.Chart(
      `${name}-istiod`,
      { name: "istiod", namespace: ISTIO_SYSTEM_NAMESPACE, ...chartSource("istiod", version, repo, args.chartPaths?.istiod), values: values.istiod },
      { parent: this, dependsOn: [base] },
    );
    new k8s.helm.v4.Chart(
      `${name}-gateway`,
      { name: GATEWAY_RELEASE, namespace: ns, ...chartSource("gateway", version, repo, args.chartPaths?.gateway), values: values.gateway },
      { parent: this, dependsOn: [istiod] },
    );
    for (const obj of objects.filter((o) => o.kind !== "Namespace")) objectResource(name, obj, { parent: this, dependsOn: [base] });

    this.address = pulumi.output(ing.address);
    this.namespace = pulumi.output(ns);
    this.hosts = pulumi.output(ing.hosts.map((h) => h.host));
    this.registerOutputs({ address: this.address, namespace: this.namespace, hosts: this.hosts });
  }
}
