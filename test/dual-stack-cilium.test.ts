/**
 * The cluster side of a dual-stack data center: Cilium values with IPv6 on (IPv6 native routing
 * CIDR, every node with its IPv6 PodCIDR), the IPv6 PodCIDR on each Node patch (spec.podCIDRs,
 * or the annotation), BGP Control Plane v2 objects with an IPv6 peer config (IPv6 AFI, IPv6 peer
 * and local addresses), LB-IPAM IPv6 blocks and policies with IPv6 CIDRs — the CRD objects checked
 * against the upstream CRD schemas, the values against the real Cilium 1.20.2 chart's
 * values.schema.json and `helm template` (its cilium-config).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import { parseAllDocuments } from "yaml";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec, NodeSessionFamilies } from "../sdk/spec/types";
import { BgpSpeaker, ClusterK8sSpec, PodCidrSource } from "../sdk/spec/cluster-types";
import { ClusterInputs, clusterContext } from "../sdk/k8s/context";
import { clusterChartValues, clusterObjects, toYaml } from "../sdk/k8s/render";
import { validateClusterSide } from "../sdk/k8s/validate";
import { nativeRoutingCidr6 } from "../sdk/k8s/cilium-values";
import { K8sObject, POD_CIDR6_ANNOTATION, POD_CIDR_ANNOTATION } from "../sdk/k8s/objects";
import { validateUpstream } from "./support/k8s-models";
import { prefixInside } from "../sdk/net/prefix";
import { requireClusterTools } from "./support/cluster-tools-gate";

const ROOT = path.join(__dirname, "..");
const spec = () => loadSpecFile(path.join(ROOT, "examples", "dual-stack-unnumbered", "datacenter.yaml")) as DataCenterSpec;
const k8s = (extra: Partial<ClusterK8sSpec> = {}): ClusterInputs => ({
  prod: {
    apiServer: { host: "198.18.10.12", port: 6443 },
    cilium: { bgpSpeaker: BgpSpeaker.cilium },
    policies: [{ name: "db", namespace: "app", selector: { app: "db" }, ingress: [{ cidrs: ["2001:db8:300::/64", "198.18.128.0/24"], ports: [{ port: 5432 }] }] }],
    ...extra,
  },
});
const plan = resolve(spec());
const ctxOf = (inputs: ClusterInputs) => clusterContext(plan, inputs, "prod");
const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
type Spec = Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
const specOf = (o: K8sObject) => o.spec as Spec;

describe("dual-stack cluster side (examples/dual-stack-unnumbered, cluster prod)", () => {
  it("Cilium values: IPv6 on, IPv6 native routing CIDR covering the cluster's IPv6 PodCIDRs, IPv6 PodCIDR required, IPv4 as before", () => {
    const values = clusterChartValues(ctxOf(k8s())).cilium as Spec;
    assert.deepEqual(values.ipv6, { enabled: true });
    assert.equal(values.ipv6NativeRoutingCIDR, "2001:db8:1000::/56"); // slots 0–2, 16–18 and the pinned ff
    assert.deepEqual(values.k8s, { requireIPv4PodCIDR: true, requireIPv6PodCIDR: true });
    assert.equal(values.enableIPv6Masquerade, true);
    assert.equal(values.ipv4NativeRoutingCIDR, "198.19.0.0/19");
    for (const p of plan.nodes) assert.ok(prefixInside(p.podCIDR6!.prefix, values.ipv6NativeRoutingCIDR as string), `${p.name} ${p.podCIDR6!.prefix} natively routed`);
    // an IPv4-only cluster keeps IPv6 off, without IPv6 values
    const v4 = resolve(loadSpecFile(path.join(ROOT, "examples", "three-tier", "datacenter.yaml")) as DataCenterSpec);
    const c4 = clusterContext(v4, { main: {} }, "main");
    const values4 = clusterChartValues(c4).cilium as Spec;
    assert.deepEqual([values4.ipv6, values4.ipv6NativeRoutingCIDR, values4.k8s, nativeRoutingCidr6(c4)], [{ enabled: false }, undefined, { requireIPv4PodCIDR: true }, undefined]);
  });

  it("Node patches carry the IPv6 PodCIDR: spec.podCIDRs [IPv4, IPv6], or both annotations", () => {
    const patches = clusterObjects(ctxOf(k8s())).nodePatches;
    assert.equal(patches.length, 6);
    for (const p of patches) {
      const n = plan.nodes.find((x) => x.name === p.metadata.name)!;
      assert.deepEqual(p.spec, { podCIDR: n.podCIDR.prefix, podCIDRs: [n.podCIDR.prefix, n.podCIDR6!.prefix] });
    }
    assert.deepEqual((patches.find((p) => p.metadata.name === "r1n3")!.spec as Spec).podCIDRs, ["198.19.2.0/24", "2001:db8:1000:ff::/64"], "the pinned IPv6 PodCIDR");
    const annotated = clusterObjects(ctxOf(k8s({ cilium: { bgpSpeaker: BgpSpeaker.cilium, podCidrSource: PodCidrSource.annotation } }))).nodePatches;
    const a = annotated.find((p) => p.metadata.name === "r2n2")!;
    assert.deepEqual(a.metadata.annotations, { [POD_CIDR_ANNOTATION]: "198.19.17.0/24", [POD_CIDR6_ANNOTATION]: "2001:db8:1000:11::/64" });
    assert.equal(a.spec, undefined);
  });

  it("BGP v2: an IPv6 peer config (IPv6 AFI, IPv6 pools) for the IPv6 sessions, IPv6 peer and local addresses, the IPv4 ones unchanged", () => {
    const bgp = clusterObjects(ctxOf(k8s())).bgp;
    const peerConfigs = byKind(bgp, "CiliumBGPPeerConfig");
    const afis = (o: K8sObject) => (specOf(o).families as { afi: string }[]).map((f) => f.afi);
    assert.deepEqual(peerConfigs.map((o) => [o.metadata.name, afis(o)]), [
      ["dcnet-uplink", ["ipv4"]],
      ["dcnet-uplink-vip-public", ["ipv4"]],
      ["dcnet-uplink6", ["ipv6"]],
      ["dcnet-uplink6-vip-public6", ["ipv6"]],
    ]);
    const vip6 = specOf(peerConfigs.find((o) => o.metadata.name === "dcnet-uplink6-vip-public6")!).families[0].advertisements.matchExpressions[0].values;
    assert.deepEqual(vip6, ["podcidr", "vip-public6"]);
    const r1 = byKind(bgp, "CiliumBGPClusterConfig").find((o) => specOf(o).nodeSelector.matchExpressions[0].values.includes("r1n2"))!;
    const peers = specOf(r1).bgpInstances[0].peers as { name: string; peerAddress: string; peerConfigRef: { name: string } }[];
    assert.deepEqual(peers.map((p) => [p.name, p.peerAddress, p.peerConfigRef.name]), [
      ["uplink0", "198.18.10.1", "dcnet-uplink"],
      ["uplink0_v6", "2001:db8:10::1", "dcnet-uplink6"],
      ["uplink1", "198.18.10.2", "dcnet-uplink"],
      ["uplink1_v6", "2001:db8:10::2", "dcnet-uplink6"],
    ]);
    const override = specOf(byKind(bgp, "CiliumBGPNodeConfigOverride").find((o) => o.metadata.name === "r1n2")!).bgpInstances[0];
    assert.equal(override.routerID, "198.18.10.12");
    assert.deepEqual(override.peers.map((p: { name: string; localAddress: string }) => `${p.name} ${p.localAddress}`), ["uplink0 198.18.10.12", "uplink0_v6 2001:db8:10::12", "uplink1 198.18.10.12", "uplink1_v6 2001:db8:10::12"]);
  });

  it("bgp-speaker-families: one session for both families (bgp.nodeSessions: ipv4 or ipv6) is refused with Cilium's speaker, accepted with BIRD", () => {
    const sp = spec();
    sp.bgp = { ...sp.bgp, nodeSessions: NodeSessionFamilies.ipv4 };
    const p = resolve(sp);
    const refused = validateClusterSide(p, k8s()).filter((x) => x.rule === "bgp-speaker-families");
    assert.deepEqual(refused.map((x) => x.path), ["clusters[0].k8s.cilium.bgpSpeaker"]);
    assert.match(refused[0].message, /session's own address as next hop .*node\(s\) of cluster "prod"/);
    sp.bgp = { ...sp.bgp, nodeSessions: NodeSessionFamilies.ipv6 };
    assert.deepEqual(validateClusterSide(resolve(sp), k8s()).filter((x) => x.rule === "bgp-speaker-families").map((x) => x.path), ["clusters[0].k8s.cilium.bgpSpeaker"], "IPv4 over IPv6 too");
    assert.deepEqual(validateClusterSide(p, k8s({ cilium: { bgpSpeaker: BgpSpeaker.bird } })).filter((x) => x.rule === "bgp-speaker-families"), []);
    assert.deepEqual(validateClusterSide(plan, k8s()).filter((x) => x.rule === "bgp-speaker-families"), [], "perFamily sessions are fine");
  });

  it("LB-IPAM IPv6 block and a policy with IPv6 CIDRs; every object validates against the upstream CRD schemas", async () => {
    const objects = Object.values(clusterObjects(ctxOf(k8s()))).flat();
    const pool6 = byKind(objects, "CiliumLoadBalancerIPPool").find((o) => o.metadata.name === "public6")!;
    assert.deepEqual(specOf(pool6).blocks, [{ cidr: "2001:db8:200::/125" }]);
    const policy = byKind(objects, "CiliumNetworkPolicy").find((o) => o.metadata.name === "db")!;
    assert.ok(JSON.stringify(policy).includes('"2001:db8:300::/64"') && JSON.stringify(policy).includes('"198.18.128.0/24"'), JSON.stringify(policy.spec));
    const kinds = new Set<string>();
    for (const o of objects.filter((x) => x.apiVersion.startsWith("cilium.io/"))) {
      await validateUpstream(o);
      kinds.add(o.kind);
    }
    for (const k of ["CiliumBGPPeerConfig", "CiliumBGPClusterConfig", "CiliumBGPNodeConfigOverride", "CiliumBGPAdvertisement", "CiliumLoadBalancerIPPool", "CiliumNetworkPolicy"]) assert.ok(kinds.has(k), k);
  });

  it("cilium-ipv6-disabled: cilium.values may not turn IPv6 off on a dual-stack cluster", () => {
    assert.deepEqual(validateClusterSide(plan, k8s()).filter((p) => p.rule === "cilium-ipv6-disabled"), []);
    const problems = validateClusterSide(plan, k8s({ cilium: { bgpSpeaker: BgpSpeaker.cilium, values: { "ipv6.enabled": "false" } } }));
    const hit = problems.filter((p) => p.rule === "cilium-ipv6-disabled");
    assert.equal(hit.length, 1, JSON.stringify(problems));
    assert.match(hit[0].path, /^clusters\[\d+\]\.k8s\.cilium\.values/);
    assert.match(hit[0].message, /"ipv6\.enabled": "false" turns IPv6 off, but cluster "prod" is dual-stack/);
  });

  describe("the real Cilium 1.20.2 chart", function () {
    this.timeout(180000);
    it("values.schema.json accepts the dual-stack values; helm template's cilium-config enables IPv6 with dcnet's IPv6 settings", function () {
      const tools = requireClusterTools(this, ["helm", "ciliumModuleDir"]);
      const values = clusterChartValues(ctxOf(k8s())).cilium;
      const schema = JSON.parse(readFileSync(path.join(tools.ciliumChart!, "values.schema.json"), "utf8")) as object;
      const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
      assert.ok(validate(values), `values.schema.json refuses dcnet's values: ${JSON.stringify(validate.errors)}`);
      const work = mkdtempSync(path.join(os.tmpdir(), "dcnet-chart6-"));
      try {
        const file = path.join(work, "values.yaml");
        writeFileSync(file, toYaml(values));
        const env = { ...process.env, HELM_CACHE_HOME: path.join(work, "cache"), HELM_CONFIG_HOME: path.join(work, "config"), HELM_DATA_HOME: path.join(work, "data") };
        const r = spawnSync(tools.helm!, ["template", "cilium", tools.ciliumChart!, "-n", "kube-system", "--kube-version", "1.37.2", "-f", file], { encoding: "utf8", env, timeout: 120000, maxBuffer: 64 * 1024 * 1024 });
        assert.equal(r.status, 0, `helm template failed: ${r.stderr}`);
        const docs = parseAllDocuments(r.stdout, { version: "1.1" }).map((d) => d.toJS() as K8sObject & { data?: Record<string, string> }).filter((d) => d && d.kind);
        const data = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "cilium-config")!.data!;
        const want = {
          "enable-ipv4": "true",
          "enable-ipv6": "true",
          "ipv4-native-routing-cidr": "198.19.0.0/19",
          "ipv6-native-routing-cidr": "2001:db8:1000::/56",
          "k8s-require-ipv4-pod-cidr": "true",
          "k8s-require-ipv6-pod-cidr": "true",
          "enable-ipv6-masquerade": "true",
          "enable-bgp-control-plane": "true",
        };
        assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, data[k]])), want);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  });
});
