/**
 * Every Cilium and Istio object dcnet produces for both examples validates against the upstream
 * CRD schemas (@kubernetes-models/cilium, @kubernetes-models/istio) — and the check can fail.
 */
import { strict as assert } from "assert";
import { BgpSpeaker, PolicyEntity, PolicyProtocol } from "../sdk/spec/cluster-types";
import { ClusterInputs, clusterContext } from "../sdk/k8s/context";
import { clusterObjects } from "../sdk/k8s/render";
import { bgpObjects } from "../sdk/k8s/bgp";
import { renderPolicy } from "../sdk/k8s/policy";
import { K8sObject } from "../sdk/k8s/objects";
import { EXAMPLES, loadExample, modelModule, validateUpstream } from "./support/k8s-models";

/** The example's inputs with Cilium's own BGP speaker, so the BGP v2 objects are produced too. */
function withCiliumSpeaker(inputs: ClusterInputs): ClusterInputs {
  const out: ClusterInputs = {};
  for (const [name, k8s] of Object.entries(inputs)) out[name] = { ...k8s, cilium: { ...(k8s.cilium ?? {}), bgpSpeaker: BgpSpeaker.cilium } };
  return out;
}

function allObjects(exampleName: string): K8sObject[] {
  const ex = loadExample(exampleName);
  const inputs = withCiliumSpeaker(ex.inputs);
  return ex.plan.clusters.filter((c) => inputs[c.name]).flatMap((c) => Object.values(clusterObjects(clusterContext(ex.plan, inputs, c.name))).flat());
}

describe("k8s: objects validate against the upstream CRD schemas", () => {
  for (const name of EXAMPLES) {
    describe(`example ${name}`, () => {
      const objects = allObjects(name);

      it("produces Cilium objects of every kind dcnet manages, and Istio objects", () => {
        const kinds = new Set(objects.map((o) => o.kind));
        for (const k of [
          "CiliumLoadBalancerIPPool",
          "CiliumNetworkPolicy",
          "CiliumCIDRGroup",
          "CiliumBGPClusterConfig",
          "CiliumBGPPeerConfig",
          "CiliumBGPAdvertisement",
          "CiliumBGPNodeConfigOverride",
          "Gateway",
          "VirtualService",
        ])
          assert.ok(kinds.has(k), `${name}: no ${k}`);
      });

      it("every object has an upstream model and passes its schema", async () => {
        for (const obj of objects) {
          assert.ok(modelModule(obj.apiVersion, obj.kind), `${obj.apiVersion} ${obj.kind} has no upstream model`);
          await assert.doesNotReject(validateUpstream(obj), `${obj.kind}/${obj.metadata.name}`);
        }
      });

      it("no object uses an API Cilium 1.18 removed or deprecated", () => {
        for (const obj of objects) {
          assert.ok(!["CiliumBGPPeeringPolicy", "CiliumExternalWorkload"].includes(obj.kind), obj.kind);
          if (obj.apiVersion.startsWith("cilium.io/")) assert.equal(obj.apiVersion, "cilium.io/v2", `${obj.kind} must use cilium.io/v2`);
        }
      });
    });
  }

  it("policies of every feature validate: clusterwide, deny, entities, CIDRs, CIDR groups, L7 HTTP, egress", async () => {
    const ex = loadExample("spine-leaf");
    const ctx = clusterContext(ex.plan, ex.inputs, "prod-a");
    const policy = renderPolicy(ctx, {
      name: "everything",
      clusterwide: true,
      selector: { app: "api" },
      ingress: [
        {
          pods: [{ labels: { app: "web" }, namespace: "shop", clusters: ["prod-b"] }, { labels: { app: "cron" } }],
          entities: [PolicyEntity.host, PolicyEntity.remoteNode],
          cidrs: ["198.18.30.1", "198.18.31.0/24"],
          cidrGroups: ["billing-vms"],
          cidrGroupLabels: { team: "billing" },
          ports: [{ port: 8080 }, { port: 9000, endPort: 9010, protocol: PolicyProtocol.TCP }],
          http: [{ method: "GET", path: "/api/.*", headers: ["X-Team: billing"] }],
        },
      ],
      ingressDeny: [{ entities: [PolicyEntity.world], ports: [{ port: 22 }] }],
      egress: [{ entities: [PolicyEntity.kubeApiserver] }, { pods: [{ labels: { "k8s-app": "kube-dns" }, namespace: "kube-system" }], ports: [{ port: 53, protocol: PolicyProtocol.UDP }] }],
      egressDeny: [{ cidrs: ["198.18.40.0/24"] }],
    });
    assert.equal(policy.kind, "CiliumClusterwideNetworkPolicy");
    await validateUpstream(policy);
    const spec = policy.spec as { ingress: Record<string, unknown>[] };
    // one Cilium rule per kind of L3 peer, each with the same ports
    assert.deepEqual(spec.ingress.map((r) => Object.keys(r).filter((k) => k !== "toPorts")), [["fromEndpoints"], ["fromEntities"], ["fromCIDRSet"]]);
  });

  describe("the check can fail (deliberately broken objects)", () => {
    const ex = loadExample("spine-leaf");
    const inputs = withCiliumSpeaker(ex.inputs);
    const ctx = clusterContext(ex.plan, inputs, "prod-a");
    const objects = Object.values(clusterObjects(ctx)).flat();
    const find = (kind: string) => structuredClone(objects.find((o) => o.kind === kind)!);

    const broken: [string, () => K8sObject][] = [
      ["CiliumNetworkPolicy with protocol HTTP", () => {
        const o = find("CiliumNetworkPolicy");
        (o.spec as any).ingress[0].toPorts[0].ports[0].protocol = "HTTP";
        return o;
      }],
      ["CiliumBGPPeerConfig with afi ipv5", () => {
        const o = bgpObjects(ctx).find((x) => x.kind === "CiliumBGPPeerConfig")!;
        (o.spec as any).families[0].afi = "ipv5";
        return o;
      }],
      ["CiliumBGPClusterConfig without bgpInstances", () => {
        const o = find("CiliumBGPClusterConfig");
        delete (o.spec as any).bgpInstances;
        return o;
      }],
      ["CiliumLoadBalancerIPPool with a non-CIDR block", () => {
        const o = find("CiliumLoadBalancerIPPool");
        (o.spec as any).blocks[0].cidr = "198.18.200.0/33";
        return o;
      }],
      ["CiliumCIDRGroup with a non-CIDR", () => {
        const o = find("CiliumCIDRGroup");
        (o.spec as any).externalCIDRs = ["billing"];
        return o;
      }],
      ["Istio Gateway with a string port number", () => {
        const o = find("Gateway");
        (o.spec as any).servers[0].port.number = "80";
        return o;
      }],
      ["Istio VirtualService destination without host", () => {
        const o = find("VirtualService");
        delete (o.spec as any).http[0].route[0].destination.host;
        return o;
      }],
    ];
    for (const [what, make] of broken) {
      it(`rejects ${what}`, async () => {
        await assert.rejects(validateUpstream(make()));
      });
    }
  });
});
