/**
 * Cluster side under hostile or careless input (issue 10): user keys never reach a prototype,
 * every value that becomes a Kubernetes name or label passes Kubernetes' rules, chart values are
 * checked against the chart's schema, derived names never meet.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError, SpecProblem } from "../sdk/validate/errors";
import {
  applySetValues,
  bgpObjects,
  ClusterInputs,
  clusterContext,
  INVENTORY_MAX_BYTES,
  loadClusterInputs,
  loadInventoryFile,
  renderClusterManifests,
  renderPolicy,
  validateClusterSide,
} from "../sdk/k8s";
import { CILIUM_VALUES_SCHEMA_ENV, findCiliumValuesSchema, goModuleCacheSchemaPath, valuesSchemaNotes } from "../sdk/k8s/chart-schema";
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
    delete spec.upstreams; // it announces cluster prod-b; the way out plays no part here
    const plan = resolve(spec);
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

describe("k8s hardening: cilium.values against the chart's values.schema.json (defect 1)", () => {

  const fixture = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dcnet-schema-"));
    const file = path.join(dir, "values.schema.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: {
          hubble: { type: "object", properties: { relay: { type: "object", properties: { enabled: { type: "boolean" } } }, podAnnotations: { type: "object" } } },
          envoy: { type: "object", properties: { log: { type: "object", properties: { defaultLevel: { oneOf: [{ type: "null" }, { enum: ["info", "debug"] }] } } } } },
          name: { type: "string" },
        },
      }),
    );
    return file;
  };

  function withValues(values: { [k: string]: string }, chartVersion?: string): (i: ClusterInputs) => void {
    return (i) => {
      a(i).cilium = { ...a(i).cilium, values, ...(chartVersion ? { chartVersion } : {}) };
    };
  }

  it("unknown paths, paths below a scalar, wrong types and enum members are problems; free-form maps and null pass", () => {
    const file = fixture();
    const ex = loadExample("spine-leaf");
    const inputs = structuredClone(ex.inputs);
    withValues({
      "hubble.relay.enabled": "yes",
      "hubble.rellay.enabled": "true",
      "name.x": "1",
      "hubble.podAnnotations.my\\.io/team": "a",
      "envoy.log.defaultLevel": "loud",
      "hubble.relay": "null",
      "name": "7",
    })(inputs);
    const problems = validateClusterSide(ex.plan, inputs, { ciliumValuesSchema: file });
    const p = "clusters[0].k8s.cilium.values";
    expectProblem(problems, `${p}.hubble.relay.enabled`, "cilium-value-type", /"yes" is a string .* must be boolean/);
    expectProblem(problems, `${p}.hubble.rellay.enabled`, "cilium-value-unknown", /"rellay" is not a key of "hubble" \(did you mean "relay"/);
    expectProblem(problems, `${p}.name.x`, "cilium-value-path", /below "name", which is string/);
    expectProblem(problems, `${p}.envoy.log.defaultLevel`, "cilium-value-type", /"info", "debug"/);
    expectProblem(problems, `${p}.name`, "cilium-value-type", /an integer/);
    assert.equal(problems.length, 5, problems.map((x) => `${x.path} ${x.rule}`).join("\n"));
    assert.match(valuesSchemaNotes([{ path: "clusters[0].k8s", k8s: a(inputs) }], { ciliumValuesSchema: file })[0], /checked against .*values\.schema\.json/);
  });

  it("without a schema the values are not checked, and the notes say so; an unreadable explicit schema is a problem", () => {
    const inputs = structuredClone(loadExample("spine-leaf").inputs);
    withValues({ "hubble.rellay.enabled": "true" }, "1.18.99")(inputs);
    const env = { GOMODCACHE: "/nonexistent" };
    assert.equal(findCiliumValuesSchema("1.18.99", { env }).kind, "missing");
    const notes = valuesSchemaNotes([{ path: "clusters[0].k8s", k8s: a(inputs) }], { env });
    assert.equal(notes.length, 1);
    assert.match(notes[0], new RegExp(`clusters\\[0\\]\\.k8s\\.cilium\\.values: not checked against the Cilium 1\\.18\\.99 chart's values\\.schema\\.json .*${CILIUM_VALUES_SCHEMA_ENV}`));
    const ex = loadExample("spine-leaf");
    const bad = validateClusterSide(ex.plan, inputs, { env: { [CILIUM_VALUES_SCHEMA_ENV]: "/nonexistent/values.schema.json" } });
    expectProblem(bad, "clusters[0].k8s.cilium.values", "cilium-values-schema", /cannot be read/);
  });

  const real = goModuleCacheSchemaPath("1.20.2");
  it(`the real Cilium 1.20.2 chart schema (Go module cache: ${real})`, function () {
    if (!fs.existsSync(real)) {
      // CI downloads it (.ci/run); elsewhere: GOFLAGS=-mod=mod go mod download github.com/cilium/cilium@v1.20.2
      this.skip();
    }
    const ex = loadExample("spine-leaf");
    const good = structuredClone(ex.inputs);
    withValues({ "hubble.relay.enabled": "true", "hubble.tls.auto.method": "cronJob", "operator.replicas": "1", "podAnnotations.example\\.com/team": "net" }, "1.20.2")(good);
    assert.deepEqual(validateClusterSide(ex.plan, good), []);
    const bad = structuredClone(ex.inputs);
    withValues({ "hubble.relay.enabled": "yes", "hubble.relay.enabeld": "true", "operator.replicas": "two" }, "1.20.2")(bad);
    const problems = validateClusterSide(ex.plan, bad);
    const p = "clusters[0].k8s.cilium.values";
    expectProblem(problems, `${p}.hubble.relay.enabled`, "cilium-value-type", /must be boolean/);
    expectProblem(problems, `${p}.hubble.relay.enabeld`, "cilium-value-unknown", /did you mean "enabled"/);
    expectProblem(problems, `${p}.operator.replicas`, "cilium-value-type", /must be integer/);
  });
});

describe("k8s hardening: values Kubernetes would refuse are problems (defect 9)", () => {
  it("a passwordRef that is no Secret name (BGP_Nodes) with bgpSpeaker: cilium [k8s-name]", () => {
    const ex = loadExample("spine-leaf");
    const spec = structuredClone(ex.spec);
    spec.bgp = { ...spec.bgp, passwordRef: "BGP_Nodes" };
    const plan = resolve(spec); // a valid host file name: the core accepts it
    const inputs = structuredClone(ex.inputs);
    assert.deepEqual(validateClusterSide(plan, inputs), []); // BIRD: no Secret
    a(inputs).cilium = { ...a(inputs).cilium, bgpSpeaker: "cilium" as never };
    expectProblem(validateClusterSide(plan, inputs), "bgp.passwordRef", "k8s-name", /"BGP_Nodes" names the Kubernetes Secret .*clusters\[0\]\.k8s\.cilium\.bgpSpeaker/);
  });

  it("label values: a newline, more than 63 characters, a bad edge character [label-value]", () => {
    const problems = problemsWith((i) => {
      const p = a(i).policies![0];
      p.selector = { app: "db\nevil: true" };
      p.ingress![0].pods![0].labels = { app: "x".repeat(64) };
      a(i).externalEndpoints![0].labels = { team: "-billing" };
    });
    expectProblem(problems, "clusters[0].k8s.policies[0].selector.app", "label-value", /"db\\nevil: true"/);
    expectProblem(problems, "clusters[0].k8s.policies[0].ingress[0].pods[0].labels.app", "label-value", /64 characters/);
    expectProblem(problems, "clusters[0].k8s.externalEndpoints[0].labels.team", "label-value");
  });

  it("label keys: qualified names with an optional DNS prefix; keys dcnet owns are reserved [label-key, label-reserved]", () => {
    const problems = problemsWith((i) => {
      const p = a(i).policies![0];
      p.selector = { "Example.COM/app": "x", "a/b/c": "x", "ok.example.com/app": "x", "": "x" };
      p.ingress![0].pods![0].labels = { "io.cilium.k8s.policy.cluster": "prod-b" };
      a(i).externalEndpoints![0].labels = { "dcnet.io/cluster": "prod-b", "has space": "x" };
    });
    const s = "clusters[0].k8s.policies[0].selector";
    expectProblem(problems, `${s}.Example.COM/app`, "label-key", /prefix "Example.COM"/);
    expectProblem(problems, `${s}.a/b/c`, "label-key", /more than one '\/'/);
    expectProblem(problems, `${s}[""]`, "label-key", /empty/);
    assert.ok(!problems.some((p) => p.path === `${s}.ok.example.com/app`));
    expectProblem(problems, "clusters[0].k8s.policies[0].ingress[0].pods[0].labels.io.cilium.k8s.policy.cluster", "label-reserved", /clusters or anyMeshCluster/);
    expectProblem(problems, "clusters[0].k8s.externalEndpoints[0].labels.dcnet.io/cluster", "label-reserved");
    expectProblem(problems, 'clusters[0].k8s.externalEndpoints[0].labels["has space"]', "label-key");
  });

  it("names: Service names are DNS-1035 labels, CIDR group names are label values too, namespaces DNS-1123 labels [name-invalid, label-value]", () => {
    const problems = problemsWith((i) => {
      const r = a(i).ingress!.hosts[0].routes[0];
      r.service = "1shop";
      r.namespace = "Shop";
      a(i).externalEndpoints![0].name = `${"x".repeat(60)}.example.com`;
      a(i).policies![0].namespace = "default\n";
    });
    expectProblem(problems, "clusters[0].k8s.ingress.hosts[0].routes[0].service", "name-invalid", /DNS-1035/);
    expectProblem(problems, "clusters[0].k8s.ingress.hosts[0].routes[0].namespace", "name-invalid", /"Shop"/);
    expectProblem(problems, "clusters[0].k8s.externalEndpoints[0].name", "label-value", /dcnet\.io\/external-endpoint/);
    expectProblem(problems, "clusters[0].k8s.policies[0].namespace", "name-invalid", /"default\\n"/);
  });

  it("VIP pool service selectors become matchLabels: checked as labels", () => {
    const ex = loadExample("spine-leaf");
    const spec = structuredClone(ex.spec);
    spec.pools.vips![0].serviceSelector = { "lb pool": "public" };
    const problems = validateClusterSide(resolve(spec), ex.inputs);
    expectProblem(problems, 'pools.vips[0].serviceSelector["lb pool"]', "label-key");
  });

  it("inputs passed in code are checked against the schema first: no crash on a wrong type", () => {
    const problems = problemsWith((i) => {
      (a(i).ingress as unknown as { hosts: unknown }).hosts = "shop.example.com";
      (a(i) as unknown as { colour: string }).colour = "red";
    });
    expectProblem(problems, "clusters[0].k8s.ingress.hosts", "schema-type");
    expectProblem(problems, "clusters[0].k8s", "schema-additionalProperties", /"colour"/);
  });
});

describe("k8s hardening: chart versions, API server host, ASN reported once (defect 10)", () => {
  it("chartVersion is a strict semantic version (Cilium and Istio) [cilium-version, istio-version]", () => {
    for (const bad of ["1.18.4; rm -rf /", "1.18", "v1.18.4", "1.18.04", "1.18.4-", "1.18.4\n"]) {
      const problems = problemsWith((i) => {
        a(i).cilium = { ...a(i).cilium, chartVersion: bad };
        a(i).ingress!.chartVersion = bad;
      });
      expectProblem(problems, "clusters[0].k8s.cilium.chartVersion", "cilium-version", /not a semantic version/);
      expectProblem(problems, "clusters[0].k8s.ingress.chartVersion", "istio-version", /not a semantic version/);
    }
    for (const good of ["1.18.4", "1.19.0-rc.1", "1.20.2+build.5"])
      assert.deepEqual(problemsWith((i) => ((a(i).cilium = { ...a(i).cilium, chartVersion: good }), (a(i).ingress!.chartVersion = good))), [], good);
  });

  it("apiServer.host is an IP address or a DNS name [host-invalid]", () => {
    for (const bad of ["api server", "198.18.10.13/32", "fe80::1%eth0", "https://api.example.com", "api..example.com", "-api.example.com", "999.1.1.1"])
      expectProblem(problemsWith((i) => (a(i).apiServer!.host = bad)), "clusters[0].k8s.apiServer.host", "host-invalid", new RegExp(JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
    // (an IPv6 address for this IPv4 cluster is a family-mismatch: test/ipv6-only-clusters.test.ts)
    for (const good of ["198.18.10.13", "api.example.com", "API-1.example.com.", "localhost"])
      assert.deepEqual(problemsWith((i) => (a(i).apiServer!.host = good)), [], good);
  });

  it("a pinned node ASN 65535 is reported once", () => {
    const spec = structuredClone(loadExample("spine-leaf").spec);
    spec.racks[0].nodes[0].asn = 65535;
    assert.throws(() => resolve(spec), (e: unknown) => {
      const hits = (e as SpecError).problems.filter((p) => p.path === "racks[0].nodes[0].asn" && p.rule === "asn-reserved");
      assert.equal(hits.length, 1, (e as SpecError).message);
      return true;
    });
  });
});

describe("k8s hardening: derived names never meet (go further)", () => {
  it("policies a-b/c and a/b-c render to two files (they were one)", () => {
    const ex = loadExample("spine-leaf");
    const inputs = structuredClone(ex.inputs);
    const rule = a(inputs).policies![0].ingress!;
    a(inputs).policies = [
      { name: "c", namespace: "a-b", selector: {}, ingress: rule },
      { name: "b-c", namespace: "a", selector: {}, ingress: rule },
    ];
    const files = renderClusterManifests(ex.plan, inputs).filter((f) => f.path.includes("ciliumnetworkpolicy"));
    assert.deepEqual(files.map((f) => f.path).sort(), ["clusters/prod-a/ciliumnetworkpolicy-a-b_c.yaml", "clusters/prod-a/ciliumnetworkpolicy-a_b-c.yaml"]);
  });

  it("Istio hosts shop.example.com and shop-example.com get two VirtualServices (the render crashed); wildcard.x beside *.x is a problem", () => {
    const ex = loadExample("spine-leaf");
    const inputs = structuredClone(ex.inputs);
    const routes = a(inputs).ingress!.hosts[0].routes;
    a(inputs).ingress!.hosts = [
      { host: "shop.example.com", routes },
      { host: "shop-example.com", routes },
    ];
    const vs = renderClusterManifests(ex.plan, inputs).filter((f) => f.path.includes("virtualservice"));
    assert.equal(vs.length, 2);
    a(inputs).ingress!.hosts = [
      { host: "*.example.com", routes },
      { host: "wildcard.example.com", routes },
    ];
    expectProblem(validateClusterSide(ex.plan, inputs), "clusters[0].k8s", "rendered-object", /VirtualService "istio-ingress\/wildcard\.example\.com"/);
  });

  it("BGP objects: racks r1.a and r1-a, pools a-b and a+b get distinct, valid names", () => {
    const spec: DataCenterSpec = structuredClone(loadExample("spine-leaf").spec);
    spec.racks[0].name = "r1.a";
    spec.racks[1].name = "r1-a";
    for (const s of spec.switches) if (s.rack === "r1") s.rack = "r1.a";
    for (const s of spec.switches) if (s.rack === "r2") s.rack = "r1-a";
    spec.clusters![0].nodes = [...spec.clusters![0].nodes, ...spec.clusters![1].nodes.filter((n) => n.startsWith("r2"))];
    spec.clusters![1].nodes = spec.clusters![1].nodes.filter((n) => !n.startsWith("r2"));
    const long = "p".repeat(63);
    delete spec.upstreams; // it announces VIP pool "public"; the way out plays no part here
    spec.pools.vips = [
      { name: "a-b", cidr: "198.18.200.0/30", cluster: "prod-a" },
      { name: "a", cidr: "198.18.200.4/31", cluster: "prod-a" },
      { name: long, cidr: "198.18.200.6/31", cluster: "prod-a" },
    ];
    const plan = resolve(spec);
    const inputs = structuredClone(loadExample("spine-leaf").inputs);
    a(inputs).cilium = { ...a(inputs).cilium, bgpSpeaker: "cilium" as never };
    delete a(inputs).ingress;
    delete a(inputs).mesh;
    delete inputs["prod-b"].mesh;
    a(inputs).policies![0].ingress![0].pods![0].anyMeshCluster = false;
    assert.deepEqual(validateClusterSide(plan, inputs), []);
    const ctx = clusterContext(plan, inputs, "prod-a");
    const objs = bgpObjects(ctx);
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    assert.equal(new Set(names).size, names.length, names.join("\n"));
    assert.ok(names.some((n) => n === "CiliumBGPClusterConfig/dcnet-r1.a" || n.startsWith("CiliumBGPClusterConfig/dcnet-r1.a-")), names.join("\n"));
    assert.ok(names.some((n) => n === "CiliumBGPClusterConfig/dcnet-r1-a" || n.startsWith("CiliumBGPClusterConfig/dcnet-r1-a-")), names.join("\n"));
    for (const o of objs) for (const v of Object.values(o.metadata.labels ?? {})) assert.ok(v.length <= 63, `${o.metadata.name}: label ${v}`);
  });
});

describe("k8s hardening: rendered YAML and inventory files (go further)", () => {
  it("hostile strings in descriptions, HTTP rules and Helm values come back from the YAML unchanged", () => {
    const ex = loadExample("spine-leaf");
    const inputs = structuredClone(ex.inputs);
    const hostile = "x\n---\nkind: Secret\nmetadata: {name: evil}\n# \u001b[31m \"quoted\" 'single' {flow} [seq] &anchor *alias !tag";
    a(inputs).policies![0].description = hostile;
    a(inputs).policies![0].ingress![0].http = [{ method: "GET", path: hostile, headers: [`X-A: ${hostile}`] }];
    a(inputs).externalEndpoints![0].description = hostile;
    a(inputs).cilium = { ...a(inputs).cilium, values: { "podAnnotations.example\\.com/note": hostile } };
    const files = renderClusterManifests(ex.plan, inputs, { ciliumValuesSchema: false });
    const policy = files.find((f) => f.path.includes("ciliumnetworkpolicy"))!;
    const docs = policy.text.split(/^---$/m);
    assert.equal(docs.length, 1, "the description opened a second YAML document");
    const obj = parse(policy.text);
    assert.equal(obj.spec.description, hostile);
    assert.equal(obj.spec.ingress[0].toPorts[0].rules.http[0].path, hostile);
    const group = parse(files.find((f) => f.path.includes("ciliumcidrgroup"))!.text);
    assert.equal(group.metadata.annotations["dcnet.io/description"], hostile);
    const values = parse(files.find((f) => f.path.endsWith("values/cilium.yaml"))!.text);
    assert.equal(values.podAnnotations["example.com/note"], hostile);
  });

  it("an inventory file larger than the limit is a problem before it is parsed [inventory-size]", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dcnet-inv-")), "huge.yaml");
    fs.writeFileSync(file, "[".repeat(INVENTORY_MAX_BYTES + 1));
    assert.throws(() => loadInventoryFile(file, "clusters[0].k8s.externalEndpointsFile"), (e: unknown) => {
      expectProblem((e as SpecError).problems, "clusters[0].k8s.externalEndpointsFile", "inventory-size", /at most 8388608/);
      return true;
    });
  });
});
