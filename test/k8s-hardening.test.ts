/**
 * Cluster side under hostile or careless input (issue 10): user keys never reach a prototype,
 * every value that becomes a Kubernetes name or label passes Kubernetes' rules, chart values are
 * checked against the chart's schema, derived names never meet.
 */
import { strict as assert } from "assert";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError, SpecProblem } from "../sdk/validate/errors";
import { applySetValues, ClusterInputs, clusterContext, renderClusterManifests, renderPolicy, validateClusterSide } from "../sdk/k8s";
import { ClusterK8sSpec } from "../sdk/spec/cluster-types";
import { DataCenterSpec } from "../sdk/spec/types";
import { loadExample } from "./support/k8s-models";

function expectProblem(problems: SpecProblem[], path: string, rule: string, text?: RegExp): void {
  const hit = problems.find((p) => p.path === path && p.rule === rule);
  assert.ok(hit, `expected ${rule} at ${path}, got:\n${problems.map((p) => `  ${p.path} ${p.rule}: ${p.message}`).join("\n") || "  (none)"}`);
  if (text) assert.match(hit!.message, text);
}

function problemsWith(edit: (inputs: ClusterInputs) => void, example = "spine-leaf"): SpecProblem[] {
  const ex = loadExample(example);
  const inputs = structuredClone(ex.inputs);
  edit(inputs);
  return validateClusterSide(ex.plan, inputs);
}

const a = (inputs: ClusterInputs): ClusterK8sSpec => inputs["prod-a"];

describe("k8s hardening: user keys never reach a prototype (defect 1)", () => {
  afterEach(() => {
    // a failed fix would leave Object.prototype polluted for every later test: clean up and fail loudly
    const proto = Object.prototype as Record<string, unknown>;
    const polluted = ["clusterwide", "anyMeshCluster"].filter((k) => k in {});
    for (const k of polluted) delete proto[k];
    assert.deepEqual(polluted, [], "Object.prototype was polluted");
  });

  it('"__proto__.clusterwide" / "__proto__.anyMeshCluster" in cilium.values are refused, and never rewrite a policy', () => {
    const ex = loadExample("spine-leaf");
    const inputs = structuredClone(ex.inputs);
    a(inputs).cilium = { ...a(inputs).cilium, values: { "__proto__.clusterwide": "true", "__proto__.anyMeshCluster": "true" } };
    const problems = validateClusterSide(ex.plan, inputs);
    expectProblem(problems, "clusters[0].k8s.cilium.values.__proto__.clusterwide", "unsafe-key", /"__proto__\.clusterwide"/);
    expectProblem(problems, "clusters[0].k8s.cilium.values.__proto__.anyMeshCluster", "unsafe-key");
    assert.throws(() => renderClusterManifests(ex.plan, inputs), SpecError);
    // prod-b's policy, rendered after prod-a's values: still namespaced, still local
    const ctx = clusterContext(ex.plan, ex.inputs, "prod-b");
    const obj = renderPolicy(ctx, { name: "p", namespace: "b", selector: { app: "x" }, ingress: [{ pods: [{ labels: { app: "y" } }] }] });
    assert.equal(obj.kind, "CiliumNetworkPolicy");
    assert.equal(obj.metadata.namespace, "b");
  });

  it("constructor and prototype segments are refused too; applySetValues itself never walks into a prototype", () => {
    const problems = problemsWith((i) => {
      a(i).cilium = { values: { "constructor.prototype.clusterwide": "true", "hubble.prototype": "1" } };
    });
    expectProblem(problems, "clusters[0].k8s.cilium.values.constructor.prototype.clusterwide", "unsafe-key");
    expectProblem(problems, "clusters[0].k8s.cilium.values.hubble.prototype", "unsafe-key");
    assert.throws(() => applySetValues({}, { "__proto__.clusterwide": "true" }), /cannot be set/);
    assert.throws(() => applySetValues({}, { "constructor.prototype.x": "1" }), /cannot be set/);
    assert.equal(({} as Record<string, unknown>).clusterwide, undefined);
    // an ordinary path still works, and defines own properties only
    const v = applySetValues({ hubble: { relay: { enabled: false } } }, { "hubble.relay.enabled": "true", "a\\.b.c": "7" });
    assert.deepEqual(v, { hubble: { relay: { enabled: true } }, "a.b": { c: 7 } });
  });

  it("__proto__/constructor/prototype label keys are refused in selectors, peers, CIDR group labels and endpoint labels", () => {
    const problems = problemsWith((i) => {
      const p = a(i).policies![0];
      p.selector = JSON.parse('{"__proto__": "x", "app": "db"}');
      p.ingress![0].pods![0].labels = { constructor: "x" };
      p.ingress![0].cidrGroupLabels = { prototype: "x" };
      a(i).externalEndpoints![0].labels = JSON.parse('{"__proto__": "x"}');
    });
    expectProblem(problems, "clusters[0].k8s.policies[0].selector.__proto__", "unsafe-key");
    expectProblem(problems, "clusters[0].k8s.policies[0].ingress[0].pods[0].labels.constructor", "unsafe-key");
    expectProblem(problems, "clusters[0].k8s.policies[0].ingress[0].cidrGroupLabels.prototype", "unsafe-key");
    expectProblem(problems, "clusters[0].k8s.externalEndpoints[0].labels.__proto__", "unsafe-key");
  });

  it("a cluster named constructor without k8s inputs does not inherit Object as its inputs", () => {
    const spec: DataCenterSpec = structuredClone(loadExample("spine-leaf").spec);
    spec.clusters![1] = { name: "constructor", id: 2, nodes: spec.clusters![1].nodes };
    spec.clusters![0].k8s!.mesh = undefined;
    const plan = resolve(spec);
    const { loadClusterInputs } = require("../sdk/k8s") as typeof import("../sdk/k8s");
    const inputs = loadClusterInputs(spec, "examples/spine-leaf");
    assert.deepEqual(validateClusterSide(plan, inputs), []);
    const files = renderClusterManifests(plan, inputs).map((f) => f.path);
    assert.ok(files.length > 0);
    assert.ok(!files.some((f) => f.startsWith("clusters/constructor/")), files.filter((f) => f.startsWith("clusters/constructor/")).join(", "));
    // the same with a plain object passed by a caller
    const plain: ClusterInputs = { "prod-a": inputs["prod-a"] };
    assert.deepEqual(validateClusterSide(plan, plain), []);
  });
});
