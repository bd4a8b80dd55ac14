/**
 * Rendering the cluster side without a cluster: a `k8s.Provider` with `renderYamlToDirectory`
 * writes every manifest (CRDs to `DIR/0-crd/`, the rest to `DIR/1-manifest/`) on `pulumi up`
 * instead of applying it. Charts render inside the provider (a local chart path works offline;
 * repository charts are fetched). Secret values are written in plaintext: keep the folder private.
 *
 *   const out = renderClusterSide("dc1", { specFile: "examples/spine-leaf/datacenter.yaml", directory: "out/k8s" });
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DataCenterSpecArgs } from "../types";
import { CiliumAgent } from "./cilium-agent";
import { VipPool } from "./vip-pool";
import { IstioIngress } from "./istio-ingress";
import { NetworkPolicy } from "./network-policy";
import { ExternalEndpoints } from "./external-endpoints";
import { clusterInput } from "../../sdk/k8s/context";
import { loadDataCenter } from "./common";

/** A provider that renders manifests to `directory` instead of applying them. */
export function renderProvider(name: string, directory: string, opts?: pulumi.CustomResourceOptions): k8s.Provider {
  return new k8s.Provider(name, { renderYamlToDirectory: directory }, opts);
}

/** Options of `renderClusterSide`. */
export interface RenderClusterSideArgs {
  /** The data center spec (or give `specFile`). */
  spec?: DataCenterSpecArgs;
  /** Path of the YAML/JSON data center spec. */
  specFile?: string;
  /** Output folder; each cluster renders to `<directory>/<cluster>`. */
  directory: string;
  /** Only these clusters (default: every cluster with `k8s` inputs). */
  clusters?: string[];
  /** BGP MD5 passwords by secret name (clusters using `bgpSpeaker: cilium`). */
  bgpPasswords?: { [ref: string]: pulumi.Input<string> };
  /** Local Cilium chart (so rendering needs no network). */
  ciliumChartPath?: string;
}

/** Every cluster-side component of every cluster, rendered to folders (one provider per cluster). */
export function renderClusterSide(name: string, args: RenderClusterSideArgs, opts?: pulumi.ComponentResourceOptions): { [cluster: string]: pulumi.Resource[] } {
  const dc = loadDataCenter(args);
  const src = args.spec ? { spec: args.spec } : { specFile: args.specFile };
  const out: { [cluster: string]: pulumi.Resource[] } = {};
  for (const c of dc.plan.clusters) {
    const k8sIn = clusterInput(dc.inputs, c.name);
    if (!k8sIn || (args.clusters && !args.clusters.includes(c.name))) continue;
    const provider = renderProvider(`${name}-${c.name}-render`, path.join(args.directory, c.name), { parent: opts?.parent });
    const o: pulumi.ComponentResourceOptions = { ...opts, providers: { kubernetes: provider } };
    const res: pulumi.Resource[] = [
      new CiliumAgent(`${name}-${c.name}`, { ...src, cluster: c.name, bgpPasswords: args.bgpPasswords, chartPath: args.ciliumChartPath }, o),
      new VipPool(`${name}-${c.name}`, { ...src, cluster: c.name }, o),
      new NetworkPolicy(`${name}-${c.name}`, { ...src, cluster: c.name }, o),
      new ExternalEndpoints(`${name}-${c.name}`, { ...src, cluster: c.name }, o),
    ];
    if (k8sIn.ingress) res.push(new IstioIngress(`${name}-${c.name}`, { ...src, cluster: c.name }, o));
    out[c.name] = res;
  }
  return out;
}
