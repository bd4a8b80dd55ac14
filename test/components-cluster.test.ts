/**
 * Cluster-side components under Pulumi mocks: the resource graph per example, chart values,
 * a NodePatch for every node, BGP passwords as Kubernetes Secrets from Pulumi secrets, parenting.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components/cluster";
import { clusterContext, ciliumValues, istioValues, CILIUM_CHART_VERSION } from "../sdk/k8s";
import { EXAMPLES, loadExample } from "./support/k8s-models";

interface Created {
  type: string;
  name: string;
  inputs: any;
  provider?: string;
  custom?: boolean;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecretValue = (v: any) => v && typeof v === "object" && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
const unwrap = (v: any): any => (isSecretValue(v) ? unwrap(v.value) : v);

describe("components/cluster (Pulumi mocks)", function () {
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;
  const created: Created[] = [];
  /** child name → parent name, recorded by a transformation on each component. */
  const parents = new Map<string, string>();

  const settle = async () => {
    let last = -1;
    for (let i = 0; i < 200 && last !== created.length; i++) {
      last = created.length;
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  const recordParents = (root: string) => ({
    transformations: [
      (a: PulumiT.ResourceTransformationArgs) => {
        const p = a.opts.parent as unknown as { __name?: string } | undefined;
        parents.set(`${a.type}::${a.name}`, p?.__name ?? root);
        return undefined;
      },
    ],
  });
  const of = (type: string, prefix: string) => created.filter((r) => r.type === type && r.name.startsWith(prefix));
  const value = <T>(o: PulumiT.Output<T>) => new Promise<T>((r) => o.apply(r));

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          created.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, custom: args.custom });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "dcnet",
      "test",
      false,
    );
    c = require("../components/cluster");
  });

  for (const exName of EXAMPLES) {
    describe(`example ${exName}`, () => {
      const ex = loadExample(exName);
      for (const cluster of ex.plan.clusters) {
        it(`${cluster.name}: CiliumAgent = pinned chart with the plan's values + a NodePatch per node`, async () => {
          const name = `${exName}-${cluster.name}`;
          const agent = new c.CiliumAgent(name, { specFile: ex.file, cluster: cluster.name }, recordParents(name));
          assert.equal(await value(agent.clusterId), cluster.id);
          await settle();
          const [chart] = of("kubernetes:helm.sh/v4:Chart", `${name}-cilium`);
          assert.ok(chart, "a helm.v4 Chart");
          assert.equal(chart.inputs.chart, "cilium");
          assert.equal(chart.inputs.version, CILIUM_CHART_VERSION);
          assert.equal(chart.inputs.repositoryOpts.repo, "https://helm.cilium.io/");
          assert.equal(chart.inputs.namespace, "kube-system");
          assert.deepEqual(chart.inputs.values, ciliumValues(clusterContext(ex.plan, ex.inputs, cluster.name)));
          const patches = of("kubernetes:core/v1:NodePatch", `${name}-node-`);
          assert.deepEqual(patches.map((p) => p.inputs.metadata.name).sort(), [...cluster.nodes].sort());
          for (const p of patches) {
            const planned = ex.plan.nodes.find((n) => n.name === p.inputs.metadata.name)!.podCIDR.prefix;
            assert.deepEqual(p.inputs.spec, { podCIDR: planned, podCIDRs: [planned] });
            assert.equal(parents.get(`kubernetes:core/v1:NodePatch::${p.name}`), name);
          }
          assert.equal(parents.get(`kubernetes:helm.sh/v4:Chart::${chart.name}`), name);
          assert.equal(of("kubernetes:core/v1:Secret", name).length, 0, "no BGP secret with BIRD");
        });
      }

      it("VipPool, IstioIngress, NetworkPolicy and ExternalEndpoints create the cluster's objects, parented", async () => {
        const cl = ex.plan.clusters[0].name;
        const p = `${exName}-all`;
        const ctx = clusterContext(ex.plan, ex.inputs, cl);
        const pool = new c.VipPool(p, { specFile: ex.file, cluster: cl }, recordParents(p));
        const ing = new c.IstioIngress(p, { specFile: ex.file, cluster: cl }, recordParents(p));
        const pol = new c.NetworkPolicy(p, { specFile: ex.file, cluster: cl }, recordParents(p));
        const ext = new c.ExternalEndpoints(p, { specFile: ex.file, cluster: cl }, recordParents(p));
        assert.deepEqual(await value(pool.pools), ctx.pools.map((x) => x.name));
        assert.equal(await value(ing.address), ctx.k8s.ingress!.address);
        assert.equal((await value(pol.policies)).length, ctx.k8s.policies!.length);
        assert.equal((await value(ext.groups)).length, ctx.k8s.externalEndpoints!.length);
        await settle();
        const ippools = of("kubernetes:cilium.io/v2:CiliumLoadBalancerIPPool", p);
        assert.deepEqual(ippools.map((r) => r.inputs.spec.blocks[0].cidr).sort(), ctx.pools.map((x) => x.cidr).sort());
        const charts = of("kubernetes:helm.sh/v4:Chart", p);
        assert.deepEqual(charts.map((r) => r.inputs.chart).sort(), ["base", "gateway", "istiod"]);
        const gw = charts.find((r) => r.inputs.chart === "gateway")!;
        assert.deepEqual(gw.inputs.values, istioValues(ctx)!.gateway);
        assert.equal(gw.inputs.values.service.annotations["lbipam.cilium.io/ips"], ctx.k8s.ingress!.address);
        assert.equal(of("kubernetes:networking.istio.io/v1:Gateway", p).length, 1);
        assert.equal(of("kubernetes:networking.istio.io/v1:VirtualService", p).length, ctx.k8s.ingress!.hosts.length);
        assert.equal(of("kubernetes:core/v1:Namespace", p).length, 2);
        assert.equal(of("kubernetes:cilium.io/v2:CiliumNetworkPolicy", p).length, ctx.k8s.policies!.length);
        assert.deepEqual(of("kubernetes:cilium.io/v2:CiliumCIDRGroup", p).map((r) => r.inputs.metadata.name).sort(), ctx.k8s.externalEndpoints!.map((e) => e.name).sort());
        for (const r of created.filter((x) => x.name.startsWith(`${p}-`) && x.custom !== false)) assert.equal(parents.get(`${r.type}::${r.name}`), p, `${r.type} ${r.name} parented`);
        // stable names: kind and object name, no random suffixes
        for (const r of ippools) assert.match(r.name, new RegExp(`^${p}-ciliumloadbalancerippool-[a-z0-9-]+$`));
        for (const r of ippools) assert.equal(r.inputs.metadata.name, r.name.slice(`${p}-ciliumloadbalancerippool-`.length));
      });
    });
  }

  it("Cilium's speaker: BGP v2 objects, and BGP passwords as Kubernetes Secrets from Pulumi secrets", async () => {
    const ex = loadExample("three-tier");
    const k8s = { ...ex.inputs.main, externalEndpointsFile: undefined, cilium: { bgpSpeaker: "cilium" as never } };
    assert.throws(() => new c.CiliumAgent("nopw", { specFile: ex.file, cluster: "main", k8s }), /pass its password in bgpPasswords\.bgp-nodes/);
    const agent = new c.CiliumAgent("bgp", { specFile: ex.file, cluster: "main", k8s, bgpPasswords: { "bgp-nodes": pulumi.secret("s3cret") } }, recordParents("bgp"));
    await value(agent.valuesYaml);
    await settle();
    const [secret] = of("kubernetes:core/v1:Secret", "bgp-");
    assert.equal(secret.inputs.metadata.name, "bgp-nodes");
    assert.equal(secret.inputs.metadata.namespace, "kube-system");
    const pw = secret.inputs.stringData.password ?? unwrap(secret.inputs.stringData).password;
    assert.ok(isSecretValue(secret.inputs.stringData) || isSecretValue(pw), "the password is a Pulumi secret");
    assert.equal(unwrap(pw), "s3cret");
    const peerConfigs = of("kubernetes:cilium.io/v2:CiliumBGPPeerConfig", "bgp-");
    assert.ok(peerConfigs.length > 0);
    for (const pc of peerConfigs) assert.equal(pc.inputs.spec.authSecretRef, "bgp-nodes");
    assert.equal(of("kubernetes:cilium.io/v2:CiliumBGPNodeConfigOverride", "bgp-").length, 12);
    assert.ok(of("kubernetes:cilium.io/v2:CiliumBGPClusterConfig", "bgp-").length > 0);
    assert.equal(of("kubernetes:helm.sh/v4:Chart", "bgp-cilium")[0].inputs.values.bgpControlPlane.enabled, true);
    assert.ok(!JSON.stringify(await value(agent.valuesYaml)).includes("s3cret"));
  });

  it("bgpPasswords is read by own key: a secret named constructor is missing, not Object (issue 10)", () => {
    const ex = loadExample("three-tier");
    const spec = structuredClone(ex.spec);
    spec.bgp = { ...spec.bgp, passwordRef: "constructor" };
    spec.clusters![0].k8s = { ...ex.inputs.main, externalEndpointsFile: undefined, cilium: { bgpSpeaker: "cilium" as never } };
    assert.throws(() => new c.CiliumAgent("ctor", { spec: spec as never, cluster: "main", bgpPasswords: {} }), /pass its password in bgpPasswords\.constructor/);
  });

  it("air-gapped: a local chart path replaces the repository", async () => {
    const ex = loadExample("three-tier");
    new c.CiliumAgent("local", { specFile: ex.file, cluster: "main", chartPath: "/charts/cilium-1.18.4.tgz" });
    await settle();
    const [chart] = of("kubernetes:helm.sh/v4:Chart", "local-cilium");
    assert.equal(chart.inputs.chart, "/charts/cilium-1.18.4.tgz");
    assert.equal(chart.inputs.repositoryOpts, undefined);
  });

  it("ClusterMesh: a provider and a CiliumAgent per member, the shared CA as a secret chart value", async () => {
    const ex = loadExample("spine-leaf");
    const mesh = new c.ClusterMesh(
      "mesh",
      { specFile: ex.file, mesh: "dc1", renderDirectory: "/tmp/dcnet-render", caCertPem: pulumi.secret("-----BEGIN CERTIFICATE-----"), caKeyPem: pulumi.secret("-----BEGIN PRIVATE KEY-----") },
      recordParents("mesh"),
    );
    assert.deepEqual(await value(mesh.members), ["prod-a", "prod-b"]);
    assert.deepEqual(await value(mesh.endpoints), ["prod-a=198.18.200.1:2379", "prod-b=198.18.12.11,198.18.12.12,198.18.12.13:32379"]);
    await settle();
    const providers = of("pulumi:providers:kubernetes", "mesh-");
    assert.deepEqual(providers.map((p) => p.inputs.renderYamlToDirectory).sort(), [path.join("/tmp/dcnet-render", "prod-a"), path.join("/tmp/dcnet-render", "prod-b")]);
    const agents = of("dcnet:index:CiliumAgent", "mesh-");
    assert.deepEqual(agents.map((a) => a.name).sort(), ["mesh-prod-a", "mesh-prod-b"]);
    for (const a of agents) assert.equal(parents.get(`dcnet:index:CiliumAgent::${a.name}`), "mesh");
    const charts = of("kubernetes:helm.sh/v4:Chart", "mesh-");
    assert.equal(charts.length, 2);
    for (const ch of charts) {
      assert.ok(isSecretValue(ch.inputs.values), "values holding the CA key are secret");
      const v = unwrap(ch.inputs.values);
      assert.equal(Buffer.from(v.tls.ca.key, "base64").toString(), "-----BEGIN PRIVATE KEY-----");
      assert.equal(v.clustermesh.config.enabled, true);
      assert.ok(ch.provider?.includes("mesh-prod-"), `chart ${ch.name} uses its member's provider`);
    }
    assert.throws(() => new c.ClusterMesh("lonely", { specFile: loadExample("three-tier").file, mesh: "dc1" }), /mesh dc1 has 0 member/);
  });

  it("ClusterMesh with kubeconfigs: each member's kubeconfig reaches its provider as a Pulumi secret, even when given plain", async () => {
    const ex = loadExample("spine-leaf");
    const kubeconfigs = { "prod-a": "apiVersion: v1\nusers: [{name: a, user: {token: tok-a}}]\n", "prod-b": "apiVersion: v1\nusers: [{name: b, user: {token: tok-b}}]\n" };
    new c.ClusterMesh("kcmesh", { specFile: ex.file, mesh: "dc1", kubeconfigs });
    await settle();
    const providers = of("pulumi:providers:kubernetes", "kcmesh-");
    assert.deepEqual(providers.map((p) => p.name).sort(), ["kcmesh-prod-a", "kcmesh-prod-b"]);
    for (const p of providers) {
      assert.ok(isSecretValue(p.inputs.kubeconfig), `${p.name}: kubeconfig is secret`);
      assert.equal(unwrap(p.inputs.kubeconfig), kubeconfigs[p.name.replace(/^kcmesh-/, "") as keyof typeof kubeconfigs]);
    }
  });

  for (const exName of EXAMPLES) {
    it(`renderClusterSide(${exName}): a render provider per cluster and every component under it`, async () => {
      const ex = loadExample(exName);
      const before = created.length;
      const out = c.renderClusterSide(`r-${exName}`, { specFile: ex.file, directory: "/tmp/dcnet-k8s" });
      assert.deepEqual(Object.keys(out).sort(), Object.keys(ex.inputs).sort());
      await settle();
      const mine = created.slice(before);
      const providers = mine.filter((r) => r.type === "pulumi:providers:kubernetes");
      assert.deepEqual(providers.map((p) => p.inputs.renderYamlToDirectory).sort(), Object.keys(ex.inputs).sort().map((n) => path.join("/tmp/dcnet-k8s", n)));
      for (const cl of Object.keys(ex.inputs)) {
        const types = new Set(mine.filter((r) => r.name.startsWith(`r-${exName}-${cl}`)).map((r) => r.type));
        for (const t of ["dcnet:index:CiliumAgent", "dcnet:index:VipPool", "dcnet:index:NetworkPolicy", "dcnet:index:ExternalEndpoints", "kubernetes:helm.sh/v4:Chart", "kubernetes:core/v1:NodePatch"])
          assert.ok(types.has(t), `${cl}: ${t}`);
        assert.equal(types.has("dcnet:index:IstioIngress"), !!ex.inputs[cl].ingress);
        // every custom resource of the cluster goes through its render provider
        for (const r of mine.filter((x) => x.name.startsWith(`r-${exName}-${cl}-`) && x.custom !== false && x.type.startsWith("kubernetes:")))
          assert.ok(r.provider?.includes(`r-${exName}-${cl}-render`), `${r.name} via ${r.provider}`);
      }
    });
  }

  it("the network-policy example program: app=employee from any mesh cluster to app=protected-db on TCP 6379", async () => {
    const before = created.length;
    require("../examples/network-policy/index");
    await settle();
    const [cnp] = created.slice(before).filter((r) => r.type === "kubernetes:cilium.io/v2:CiliumNetworkPolicy");
    assert.ok(cnp);
    assert.deepEqual(cnp.inputs.spec.endpointSelector, { matchLabels: { app: "protected-db" } });
    assert.deepEqual(cnp.inputs.spec.ingress, [
      {
        fromEndpoints: [{ matchLabels: { app: "employee" }, matchExpressions: [{ key: "io.cilium.k8s.policy.cluster", operator: "In", values: ["prod-a", "prod-b"] }] }],
        toPorts: [{ ports: [{ port: "6379", protocol: "TCP" }] }],
      },
    ]);
  });
});
