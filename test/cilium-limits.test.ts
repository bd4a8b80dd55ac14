/**
 * Cilium's limits for dual-stack and IPv6 clusters (sdk/k8s/validate-cilium-limits.ts) and the
 * Istio gateway Service's families (sdk/k8s/istio.ts), on examples/dual-stack-v6only-rack: prod is
 * dual-stack (pools public and public6), edge IPv6-only (pool edge6). `bgp-speaker-families` is
 * tested in test/dual-stack-cilium.test.ts.
 */
import { strict as assert } from "assert";
import { join } from "path";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec } from "../sdk/spec/types";
import { validateClusterSide } from "../sdk/k8s";
import { ClusterInputs, clusterContext, clusterInputsFromSpec } from "../sdk/k8s/context";
import { istioValues } from "../sdk/k8s/istio";
import { ClusterK8sSpec } from "../sdk/spec/cluster-types";

const ROOT = join(__dirname, "..");
const specOf = (example: string) => loadSpecFile(join(ROOT, "examples", example, "datacenter.yaml")) as DataCenterSpec;
const ROUTES = [{ host: "shop.example.com", routes: [{ pathPrefix: "/", service: "web", namespace: "web", port: 8080 }] }];

describe("Cilium's limits on dual-stack and IPv6 clusters (examples/dual-stack-v6only-rack)", () => {
  const spec = specOf("dual-stack-v6only-rack");
  const plan = resolve(spec);
  const base = clusterInputsFromSpec(spec);
  const withProd = (extra: Partial<ClusterK8sSpec>): ClusterInputs => ({ ...base, prod: { apiServer: { host: "198.18.10.12", port: 6443 }, ...extra } });
  const rule = (inputs: ClusterInputs, r: string) => validateClusterSide(plan, inputs).filter((p) => p.rule === r);

  it("mesh-address-family: a dual-stack cluster's clustermesh-apiserver VIP is IPv4 (the chart's Service has no ipFamilies)", () => {
    const refused = rule(withProd({ mesh: { name: "m", apiServerAddress: "2001:db8:200::2" } }), "mesh-address-family");
    assert.deepEqual(refused.map((p) => p.path), ["clusters[0].k8s.mesh.apiServerAddress"]);
    assert.match(refused[0].message, /"2001:db8:200::2" is IPv6, .*dual-stack cluster "prod" it is an IPv4 Service/);
    assert.deepEqual(validateClusterSide(plan, withProd({ mesh: { name: "m", apiServerAddress: "198.18.200.2" } })), [], "an IPv4 VIP of pool public is fine");
  });

  it("mesh-address-family: an IPv6-only cluster's clustermesh-apiserver VIP is IPv6", () => {
    const inputs = structuredClone(base);
    inputs.edge = { ...inputs.edge!, mesh: { name: "m6", apiServerAddress: "2001:db8:201::2" } };
    assert.deepEqual(validateClusterSide(plan, inputs), []);
  });

  it("Istio gateway Service: single-stack in the VIP's family in a dual-stack cluster", () => {
    const v6 = istioValues(clusterContext(plan, withProd({ ingress: { address: "2001:db8:200::3", hosts: ROUTES } }), "prod"))!;
    const svc6 = v6.gateway.service as Record<string, unknown>;
    assert.equal(svc6.ipFamilyPolicy, "SingleStack");
    assert.deepEqual(svc6.ipFamilies, ["IPv6"]);
    const v4 = istioValues(clusterContext(plan, withProd({ ingress: { address: "198.18.200.3", hosts: ROUTES } }), "prod"))!;
    assert.deepEqual((v4.gateway.service as Record<string, unknown>).ipFamilies, ["IPv4"]);
    assert.deepEqual(validateClusterSide(plan, withProd({ ingress: { address: "2001:db8:200::3", hosts: ROUTES } })), []);
  });

  it("Istio gateway Service: no family fields in a single-family cluster (IPv6-only edge, IPv4-only spine-leaf)", () => {
    const edge = istioValues(clusterContext(plan, base, "edge"))!;
    const svc = edge.gateway.service as Record<string, unknown>;
    assert.equal(svc.ipFamilies, undefined);
    assert.equal(svc.ipFamilyPolicy, undefined);
    const v4spec = specOf("spine-leaf");
    const v4inputs = clusterInputsFromSpec(v4spec);
    const name = Object.keys(v4inputs)[0];
    const v4 = istioValues(clusterContext(resolve(v4spec), v4inputs, name));
    assert.ok(v4, "spine-leaf has an ingress");
    assert.equal((v4.gateway.service as Record<string, unknown>).ipFamilies, undefined);
  });
});
