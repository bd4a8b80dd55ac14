/**
 * IPv6-only clusters (cluster `edge` of examples/dual-stack-v6only-rack: every node on the
 * IPv6-only rack r3): Cilium values with IPv4 off, IPv6-only node patches, BGP v2 objects with the
 * IPv6 AFI only and derived router ids, LB-IPAM with the cluster's IPv6 pool only, and one test
 * per address-family rule of sdk/k8s/validate-families.ts. The real helm template and API server
 * runs of the same objects are in test/k8s-chart.test.ts and test/k8s-apiserver.test.ts (variant
 * "dual-stack-v6only-rack, the IPv6-only cluster edge").
 */
import { strict as assert } from "assert";
import { join } from "path";
import { parse } from "yaml";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec } from "../sdk/spec/types";
import { Plan } from "../sdk/plan/types";
import { renderClusterManifests, validateClusterSide } from "../sdk/k8s";
import { ClusterInputs, clusterInputsFromSpec } from "../sdk/k8s/context";
import { clusterFamilies, isIpv6OnlyCluster } from "../sdk/k8s/families";
import { ClusterK8sSpec, PodCidrSource } from "../sdk/spec/cluster-types";

const ROOT = join(__dirname, "..");
const specOf = (example: string) => loadSpecFile(join(ROOT, "examples", example, "datacenter.yaml")) as DataCenterSpec;
const R3 = ["r3n1", "r3n2", "r3n3"];

type Doc = Record<string, any>;

/** The rendered objects of one cluster, keyed by file name. */
function clusterDocs(plan: Plan, inputs: ClusterInputs, cluster: string): Map<string, Doc> {
  const prefix = `clusters/${cluster}/`;
  const out = new Map<string, Doc>();
  for (const f of renderClusterManifests(plan, inputs)) if (f.path.startsWith(prefix)) out.set(f.path.slice(prefix.length), parse(f.text) as Doc);
  return out;
}

/** The edge cluster's inputs with one change. */
function edgeWith(inputs: ClusterInputs, change: (k8s: ClusterK8sSpec) => void): ClusterInputs {
  const copy = structuredClone(inputs);
  change(copy.edge!);
  return copy;
}

/** Exactly one problem of `rule` at `path`, whose message holds every fragment. */
function expectOne(plan: Plan, inputs: ClusterInputs, rule: string, path: string, ...fragments: string[]): void {
  const all = validateClusterSide(plan, inputs);
  const found = all.filter((p) => p.rule === rule && p.path === path);
  assert.equal(found.length, 1, `expected one ${rule} at ${path}, got: ${JSON.stringify(all, null, 1)}`);
  for (const f of fragments) assert.ok(found[0].message.includes(f), `message "${found[0].message}" lacks "${f}"`);
}

describe("IPv6-only clusters (cluster edge of examples/dual-stack-v6only-rack)", () => {
  const spec = specOf("dual-stack-v6only-rack");
  const plan = resolve(spec);
  const inputs = clusterInputsFromSpec(spec);
  const edge = clusterDocs(plan, inputs, "edge");
  const prod = clusterDocs(plan, { prod: { apiServer: { host: "198.18.10.12", port: 6443 } } }, "prod");

  it("the plan keeps the cluster's members and its IPv6 PodCIDRs only; the families are IPv6 for edge, both for prod", () => {
    const c = plan.clusters.find((x) => x.name === "edge")!;
    assert.deepEqual(c.nodes, R3);
    assert.deepEqual(clusterFamilies(c), ["ipv6"]);
    assert.ok(isIpv6OnlyCluster(c));
    const p = plan.clusters.find((x) => x.name === "prod")!;
    assert.deepEqual(clusterFamilies(p), ["ipv4", "ipv6"]);
    assert.ok(!isIpv6OnlyCluster(p));
    assert.deepEqual(validateClusterSide(plan, inputs), []);
  });

  it("Cilium values: IPv4 off (no IPv4 routing CIDR, PodCIDR or masquerade), IPv6 on with its routing CIDR; prod keeps both", () => {
    const v = edge.get("values/cilium.yaml")!;
    assert.deepEqual(v.ipv4, { enabled: false });
    assert.deepEqual(v.ipv6, { enabled: true });
    assert.equal(v.ipv4NativeRoutingCIDR, undefined);
    assert.match(v.ipv6NativeRoutingCIDR, /^2001:db8:1000::\/\d+$/);
    assert.deepEqual(v.k8s, { requireIPv4PodCIDR: false, requireIPv6PodCIDR: true });
    assert.equal(v.enableIPv4Masquerade, false);
    assert.equal(v.k8sServiceHost, "2001:db8:12::13");
    const pv = prod.get("values/cilium.yaml")!;
    assert.match(pv.ipv4NativeRoutingCIDR, /^198\.19\./);
    assert.equal(pv.ipv6.enabled, true);
    assert.notEqual(pv.ipv4?.enabled, false);
    assert.notEqual(pv.k8s?.requireIPv4PodCIDR, false);
  });

  it("node patches: spec.podCIDR(s) and the annotation form name only the node's IPv6 PodCIDR", () => {
    for (const name of R3) {
      const n = plan.nodes.find((x) => x.name === name)!;
      const want = (n.podCIDR6 ?? n.podCIDR).prefix;
      assert.match(want, /^2001:db8:1000:/);
      assert.deepEqual(edge.get(`node-${name}.yaml`)!.spec, { podCIDR: want, podCIDRs: [want] });
    }
    const annotated = clusterDocs(plan, edgeWith(inputs, (k) => (k.cilium = { ...k.cilium, podCidrSource: PodCidrSource.annotation })), "edge");
    const a = annotated.get("node-r3n2.yaml")!;
    assert.equal(a.spec, undefined);
    assert.deepEqual(Object.keys(a.metadata.annotations), ["network.cilium.io/ipv6-pod-cidr"]);
    assert.equal(annotated.get("values/cilium.yaml")!.annotateK8sNode, true);
  });

  it("BGP v2: the IPv6 AFI only, IPv6 peers, router ids derived from the slot (0.0.0.33–35) in the node overrides", () => {
    const peerConfigs = [...edge.entries()].filter(([f]) => f.startsWith("ciliumbgppeerconfig-"));
    assert.deepEqual(peerConfigs.map(([f]) => f), ["ciliumbgppeerconfig-dcnet-uplink6-vip-edge6.yaml", "ciliumbgppeerconfig-dcnet-uplink6.yaml"]);
    for (const [, d] of peerConfigs) assert.deepEqual(d.spec.families.map((x: Doc) => `${x.afi}/${x.safi}`), ["ipv6/unicast"]);
    const peers = [...edge.entries()].filter(([f]) => f.startsWith("ciliumbgpclusterconfig-")).flatMap(([, d]) => d.spec.bgpInstances.flatMap((i: Doc) => i.peers));
    assert.ok(peers.length >= 4);
    for (const p of peers) assert.match(p.peerAddress, /^2001:db8:12::[12]$/);
    assert.deepEqual(
      R3.map((n) => edge.get(`ciliumbgpnodeconfigoverride-${n}.yaml`)!.spec.bgpInstances[0].routerID),
      R3.map((n) => plan.devices.find((d) => d.name === n)!.routerId),
    );
    assert.deepEqual(R3.map((n) => plan.devices.find((d) => d.name === n)!.routerId), ["0.0.0.33", "0.0.0.34", "0.0.0.35"]);
  });

  it("LB-IPAM: edge hands out edge6 only, prod never does", () => {
    const pools = (docs: Map<string, Doc>) => [...docs.entries()].filter(([f]) => f.startsWith("ciliumloadbalancerippool-")).map(([, d]) => `${d.metadata.name} ${d.spec.blocks.map((b: Doc) => b.cidr).join(",")}`);
    assert.deepEqual(pools(edge), ["edge6 2001:db8:201::/126"]);
    assert.ok(!pools(prod).some((p) => p.startsWith("edge6")));
  });

  it("family-mismatch: an IPv4 API server address for the IPv6-only cluster, an IPv6 one for an IPv4 cluster", () => {
    expectOne(plan, edgeWith(inputs, (k) => (k.apiServer = { host: "198.18.10.12", port: 6443 })), "family-mismatch", "clusters[1].k8s.apiServer.host", '"198.18.10.12" is IPv4', 'cluster "edge" runs IPv6 only');
    const v4 = specOf("spine-leaf");
    const v4inputs = clusterInputsFromSpec(v4);
    const name = Object.keys(v4inputs)[0];
    v4inputs[name] = { ...v4inputs[name]!, apiServer: { host: "2001:db8:10::12", port: 6443 } };
    expectOne(resolve(v4), v4inputs, "family-mismatch", "clusters[0].k8s.apiServer.host", '"2001:db8:10::12" is IPv6', "runs IPv4 only");
  });

  it("family-mismatch: an IPv4 CIDR in an external endpoint or a policy of the IPv6-only cluster", () => {
    expectOne(plan, edgeWith(inputs, (k) => k.externalEndpoints![0].cidrs.push("198.18.30.0/28")), "family-mismatch", "clusters[1].k8s.externalEndpoints[0].cidrs[1]", "external endpoint \"monitoring\"'s CIDR \"198.18.30.0/28\" is IPv4");
    expectOne(plan, edgeWith(inputs, (k) => (k.policies![0].ingress![0].cidrs = ["198.18.31.0/24"])), "family-mismatch", "clusters[1].k8s.policies[0].ingress[0].cidrs[0]", "policy \"web-from-monitoring\"'s CIDR");
    // the same CIDRs in IPv6 are fine
    assert.deepEqual(validateClusterSide(plan, edgeWith(inputs, (k) => (k.policies![0].ingress![0].cidrs = ["2001:db8:31::/64"]))), []);
  });

  it("mesh-families: an IPv6-only cluster cannot be meshed with a dual-stack one", () => {
    const meshed = structuredClone(inputs);
    meshed.prod = { apiServer: { host: "198.18.10.12", port: 6443 }, mesh: { name: "m" } };
    meshed.edge = { ...meshed.edge!, mesh: { name: "m" } };
    const problems = validateClusterSide(plan, meshed).filter((p) => p.rule === "mesh-families");
    assert.equal(problems.length, 1, JSON.stringify(validateClusterSide(plan, meshed), null, 1));
    assert.match(problems[0].message, /cluster "edge" runs IPv6, cluster "prod" runs IPv4 and IPv6/);
  });

  it("cilium-managed-value: ipv4.enabled and enableIPv4Masquerade come from the plan", () => {
    for (const key of ["ipv4.enabled", "enableIPv4Masquerade"]) {
      const bad = edgeWith(inputs, (k) => (k.cilium = { ...k.cilium, values: { [key]: "true" } }));
      const problems = validateClusterSide(plan, bad).filter((p) => p.rule === "cilium-managed-value");
      assert.equal(problems.length, 1, `${key}: ${JSON.stringify(validateClusterSide(plan, bad), null, 1)}`);
      assert.ok(problems[0].message.includes(`"${key}"`), problems[0].message);
    }
  });
});
