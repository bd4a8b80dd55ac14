/** Variants of the bundled examples for the cluster-side tests. */
import * as path from "path";
import { BgpSpeaker, PodCidrSource } from "../../sdk/spec/cluster-types";
import { ClusterInputs } from "../../sdk/k8s/context";
import { loadClusterInputs } from "../../sdk/k8s/external-endpoints";
import { Plan } from "../../sdk/plan/types";
import { resolve } from "../../sdk/resolve/resolve";
import { DataCenterSpec } from "../../sdk/spec/types";
import { loadExample } from "./k8s-models";

/** The spine-leaf example with prod-b's nodes on Cilium's BGP speaker. */
export function spineLeafWithCiliumSpeaker(): DataCenterSpec {
  const spec = structuredClone(loadExample("spine-leaf").spec);
  const b = spec.clusters!.find((c) => c.name === "prod-b")!;
  b.k8s = { ...b.k8s, cilium: { ...b.k8s?.cilium, bgpSpeaker: BgpSpeaker.cilium } };
  return spec;
}

/** A plan and its cluster-side inputs. */
export interface Variant {
  name: string;
  plan: Plan;
  inputs: ClusterInputs;
}

/** The examples, plus one cluster on Cilium's BGP speaker, one with podCidrSource: annotation and an IPv6-only cluster. */
export function variants(): Variant[] {
  const sl = loadExample("spine-leaf");
  const tt = loadExample("three-tier");
  const v6 = loadExample("dual-stack-v6only-rack");
  const ciliumSpec = spineLeafWithCiliumSpeaker();
  const annotation = structuredClone(tt.inputs);
  annotation.main = { ...annotation.main, cilium: { ...annotation.main.cilium, podCidrSource: PodCidrSource.annotation } };
  return [
    { name: "spine-leaf", plan: sl.plan, inputs: sl.inputs },
    { name: "three-tier", plan: tt.plan, inputs: tt.inputs },
    { name: "spine-leaf, prod-b on Cilium's BGP speaker", plan: resolve(ciliumSpec), inputs: loadClusterInputs(ciliumSpec, path.dirname(sl.file)) },
    { name: "three-tier, podCidrSource: annotation", plan: tt.plan, inputs: annotation },
    { name: "dual-stack-v6only-rack, the IPv6-only cluster edge on Cilium's BGP speaker", plan: v6.plan, inputs: v6.inputs },
  ];
}

