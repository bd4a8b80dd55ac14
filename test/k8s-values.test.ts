/** Cluster-side values and objects are what the plan says: routing CIDR, identity, PodCIDRs, BGP, VIPs, policies. */
import { strict as assert } from "assert";
import { parse } from "yaml";
import { prefixInside, containsAddress } from "../sdk/net/prefix";
import { BgpSpeaker, LoadBalancerAlgorithm, PodCidrSource } from "../sdk/spec/cluster-types";
import {
  ClusterInputs,
  clusterContext,
  ciliumValues,
  nativeRoutingCidr,
  nodePatches,
  bgpObjects,
  lbIpPools,
  istioObjects,
  istioValues,
  renderPolicy,
  PolicyBuilder,
  Peer,
  Port,
  renderClusterManifests,
  externalEndpointObjects,
  POD_CIDR_ANNOTATION,
  LBIPAM_IPS_ANNOTATION,
  CILIUM_CHART_VERSION,
  K8sObject,
} from "../sdk/k8s";
import { EXAMPLES, loadExample } from "./support/k8s-models";

const get = (o: unknown, path: string): any => path.split(".").reduce((v: any, k) => (v === undefined ? undefined : v[k]), o);

describe("k8s: Cilium values from the plan", () => {
  for (const name of EXAMPLES) {
    const ex = loadExample(name);
    for (const cluster of ex.plan.clusters.filter((c) => ex.inputs[c.name])) {
      it(`${name}/${cluster.name}: identity, native routing, IPAM, kube-proxy replacement, load balancer`, () => {
        const ctx = clusterContext(ex.plan, ex.inputs, cluster.name);
        const v = ciliumValues(ctx);
        assert.equal(get(v, "cluster.name"), cluster.name);
        assert.equal(get(v, "cluster.id"), cluster.id);
        assert.equal(get(v, "routingMode"), "native");
        assert.equal(get(v, "autoDirectNodeRoutes"), false);
        assert.equal(get(v, "ipam.mode"), "kubernetes");
        assert.equal(get(v, "k8s.requireIPv4PodCIDR"), true);
        assert.equal(get(v, "kubeProxyReplacement"), true);
        assert.equal(get(v, "k8sServiceHost"), ex.inputs[cluster.name].apiServer!.host);
        assert.equal(get(v, "k8sServicePort"), 6443);
        assert.equal(get(v, "loadBalancer.algorithm"), "maglev");
        assert.equal(get(v, "maglev.tableSize"), 16381);
        assert.equal(get(v, "bgpControlPlane.enabled"), false, "BIRD is the default speaker");
        // the native routing CIDR covers every PodCIDR of every meshed cluster, and stays in the PodCIDR pool
        const cidr = get(v, "ipv4NativeRoutingCIDR");
        for (const member of ctx.meshMembers) for (const p of member.podCIDRs) assert.ok(prefixInside(p.prefix, cidr), `${p.prefix} outside ${cidr}`);
        assert.ok(prefixInside(cidr, ex.plan.pools.podCidr.prefix));
        // Istio compatibility exactly when an ingress is declared
        assert.equal(get(v, "socketLB.hostNamespaceOnly"), ctx.k8s.ingress ? true : undefined);
      });
    }
  }

  it("spine-leaf: prod-a and prod-b are meshed; each reaches the other's clustermesh-apiserver", () => {
    const ex = loadExample("spine-leaf");
    const a = ciliumValues(clusterContext(ex.plan, ex.inputs, "prod-a"));
    const b = ciliumValues(clusterContext(ex.plan, ex.inputs, "prod-b"));
    assert.equal(get(a, "ipv4NativeRoutingCIDR"), get(b, "ipv4NativeRoutingCIDR"));
    assert.deepEqual(get(a, "clustermesh.config.clusters").map((c: any) => c.name), ["prod-b"]);
    assert.deepEqual(get(b, "clustermesh.config.clusters"), [{ name: "prod-a", port: 2379, ips: ["198.18.200.1"] }]);
    // prod-a's apiserver is a LoadBalancer pinned to its VIP, labelled for the pool's service selector
    assert.equal(get(a, "clustermesh.apiserver.service.type"), "LoadBalancer");
    assert.equal(get(a, "clustermesh.apiserver.service.annotations")[LBIPAM_IPS_ANNOTATION], "198.18.200.1");
    assert.deepEqual(get(a, "clustermesh.apiserver.service.labels"), { "dcnet.io/vip-pool": "public" });
    // prod-b has no VIP pool: NodePort on its first three nodes
    assert.equal(get(b, "clustermesh.apiserver.service.type"), "NodePort");
    assert.deepEqual(get(a, "clustermesh.config.clusters")[0], { name: "prod-b", port: 32379, ips: ["198.18.12.11", "198.18.12.12", "198.18.12.13"] });
    assert.equal(get(a, "loadBalancer.mode"), "dsr");
    assert.equal(get(b, "loadBalancer.mode"), "snat");
  });

  it("a cluster outside any mesh routes natively over its own PodCIDRs only", () => {
    const ex = loadExample("spine-leaf");
    const inputs: ClusterInputs = { ...ex.inputs, "prod-b": { ...ex.inputs["prod-b"], mesh: undefined } };
    const ctx = clusterContext(ex.plan, inputs, "prod-b");
    assert.equal(nativeRoutingCidr(ctx), ex.plan.clusters.find((c) => c.name === "prod-b")!.coveringPrefix!.prefix);
    assert.equal(get(ciliumValues(ctx), "clustermesh"), undefined);
  });

  it("Cilium's speaker turns on bgpControlPlane; extra --set values are applied with Helm typing", () => {
    const ex = loadExample("three-tier");
    const inputs: ClusterInputs = {
      main: { ...ex.inputs.main, cilium: { bgpSpeaker: BgpSpeaker.cilium, loadBalancer: { algorithm: LoadBalancerAlgorithm.random }, values: { "hubble.relay.enabled": "true", "operator.replicas": "2", "hubble.ui.ingress.annotations.a\\.b/c": "x" } } },
    };
    const v = ciliumValues(clusterContext(ex.plan, inputs, "main"));
    assert.equal(get(v, "bgpControlPlane.enabled"), true);
    assert.equal(get(v, "bgpControlPlane.secretsNamespace.name"), "kube-system");
    assert.equal(get(v, "hubble.relay.enabled"), true);
    assert.equal(get(v, "operator.replicas"), 2);
    assert.equal(get(v, "hubble.ui.ingress.annotations")["a.b/c"], "x");
    assert.equal(get(v, "maglev"), undefined);
  });

  it("pins a Cilium chart ≥ 1.18", () => {
    const [maj, min] = CILIUM_CHART_VERSION.split(".").map(Number);
    assert.ok(maj > 1 || (maj === 1 && min >= 18));
  });
});

describe("k8s: node PodCIDR patches", () => {
  for (const name of EXAMPLES) {
    it(`${name}: every cluster node gets its planned PodCIDR (spec.podCIDR by default: Cilium 1.20 reads the annotation only with annotateK8sNode)`, () => {
      const ex = loadExample(name);
      for (const c of ex.plan.clusters) {
        const patches = nodePatches(clusterContext(ex.plan, ex.inputs, c.name));
        assert.deepEqual(patches.map((p) => p.metadata.name).sort(), [...c.nodes].sort());
        for (const p of patches) {
          const planned = ex.plan.nodes.find((n) => n.name === p.metadata.name)!.podCIDR.prefix;
          assert.deepEqual(p.spec, { podCIDR: planned, podCIDRs: [planned] });
          assert.equal(p.metadata.annotations, undefined);
          assert.equal(p.metadata.labels!["dcnet.io/cluster"], c.name);
        }
      }
    });
  }
  it("podCidrSource: annotation writes the annotation instead, and turns annotateK8sNode on (without it the agent never reads it)", () => {
    const ex = loadExample("three-tier");
    const inputs: ClusterInputs = { main: { ...ex.inputs.main, cilium: { podCidrSource: PodCidrSource.annotation } } };
    const ctx = clusterContext(ex.plan, inputs, "main");
    const [p] = nodePatches(ctx);
    const planned = ex.plan.nodes.find((n) => n.name === p.metadata.name)!.podCIDR.prefix;
    assert.equal(p.metadata.annotations![POD_CIDR_ANNOTATION], planned);
    assert.equal(p.spec, undefined);
    assert.equal(ciliumValues(ctx).annotateK8sNode, true);
    assert.equal(ciliumValues(clusterContext(ex.plan, ex.inputs, "main")).annotateK8sNode, undefined, "not with the default spec source");
  });
});

describe("k8s: BGP v2 objects come from the same plan sessions as BIRD", () => {
  for (const name of EXAMPLES) {
    it(`${name}: same peers, ASNs, timers, graceful restart and auth secret`, () => {
      const ex = loadExample(name);
      for (const c of ex.plan.clusters) {
        const objs = bgpObjects(clusterContext(ex.plan, ex.inputs, c.name));
        const configs = objs.filter((o) => o.kind === "CiliumBGPClusterConfig");
        const peerConfigs = new Map(objs.filter((o) => o.kind === "CiliumBGPPeerConfig").map((o) => [o.metadata.name, o]));
        const overrides = new Map(objs.filter((o) => o.kind === "CiliumBGPNodeConfigOverride").map((o) => [o.metadata.name, o]));
        for (const node of c.nodes) {
          const sessions = ex.plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === node);
          const cfg = configs.filter((o) => get(o, "spec.nodeSelector.matchExpressions")[0].values.includes(node));
          assert.equal(cfg.length, 1, `${node} is selected by exactly one CiliumBGPClusterConfig`);
          const inst = get(cfg[0], "spec.bgpInstances")[0];
          assert.equal(inst.localASN, sessions[0].a.asn);
          assert.deepEqual(
            inst.peers.map((p: any) => [p.name, p.peerAddress, p.peerASN]).sort(),
            sessions.map((s) => [s.nodeProtocol, s.b.address, s.b.asn]).sort(),
          );
          for (const p of inst.peers) {
            const pc = peerConfigs.get(p.peerConfigRef.name)!;
            assert.ok(pc, `peer config ${p.peerConfigRef.name}`);
            assert.deepEqual(get(pc, "spec.timers"), { keepAliveTimeSeconds: sessions[0].timers.keepalive, holdTimeSeconds: sessions[0].timers.hold, connectRetryTimeSeconds: sessions[0].timers.connectRetry });
            assert.deepEqual(get(pc, "spec.gracefulRestart"), { enabled: sessions[0].gracefulRestart.enabled, restartTimeSeconds: sessions[0].gracefulRestart.restartTime });
            assert.equal(get(pc, "spec.authSecretRef"), sessions[0].passwordRef);
            // only announcers of a VIP pool advertise its LoadBalancer IPs
            const advertised = get(pc, "spec.families")[0].advertisements.matchExpressions[0].values as string[];
            const pools = [...new Set(ex.plan.nodes.find((n) => n.name === node)!.announcements.filter((a) => a.kind === "vip").map((a) => `vip-${a.pool}`))];
            assert.deepEqual(advertised.filter((a) => a !== "podcidr").sort(), pools.sort());
          }
          const ov = overrides.get(node)!;
          assert.equal(get(ov, "spec.bgpInstances")[0].routerID, sessions[0].a.address);
        }
      }
    });
  }
});

describe("k8s: VIP pools, ingress, policies, external endpoints", () => {
  it("LB-IPAM pools mirror the plan's VIP pools owned by the cluster", () => {
    const sl = loadExample("spine-leaf");
    const [pool] = lbIpPools(clusterContext(sl.plan, sl.inputs, "prod-a"));
    assert.deepEqual(pool.spec, { blocks: [{ cidr: "198.18.200.0/29" }], allowFirstLastIPs: "Yes", serviceSelector: { matchLabels: { "dcnet.io/vip-pool": "public" } } });
    assert.deepEqual(lbIpPools(clusterContext(sl.plan, sl.inputs, "prod-b")), [], "prod-b owns no pool");
    const tt = loadExample("three-tier");
    assert.deepEqual(lbIpPools(clusterContext(tt.plan, tt.inputs, "main")).map((p) => p.metadata.name), ["public"], "an unnamed pool belongs to the only cluster");
  });

  it("the Istio gateway Service is pinned to the ingress VIP, inside a pool, and Gateway/VirtualService route the hosts", () => {
    const ex = loadExample("three-tier");
    const ctx = clusterContext(ex.plan, ex.inputs, "main");
    const v = istioValues(ctx)!;
    const vip = get(v.gateway, "service.annotations")[LBIPAM_IPS_ANNOTATION];
    assert.equal(vip, "198.18.201.1");
    assert.ok(ctx.pools.some((p) => containsAddress(p.cidr, vip)));
    const objs = istioObjects(ctx);
    const gw = objs.find((o) => o.kind === "Gateway")!;
    assert.deepEqual(get(gw, "spec.selector"), { istio: "ingressgateway" });
    assert.deepEqual(get(gw, "spec.servers").map((s: any) => s.port.number), [80, 443]);
    const vs = objs.find((o) => o.kind === "VirtualService")!;
    assert.deepEqual(get(vs, "spec.gateways"), ["istio-ingress/dcnet-ingress"]);
    assert.deepEqual(get(vs, "spec.http").map((h: any) => [h.match[0].uri.prefix, h.route[0].destination.host]), [
      ["/api", "api.app.svc.cluster.local"],
      ["/", "web.app.svc.cluster.local"],
    ]);
  });

  it("the employee policy: the builder gives the YAML spec's policy; peers name every mesh cluster", () => {
    const ex = loadExample("spine-leaf");
    const built = new PolicyBuilder("protected-db", { namespace: "default" })
      .selectPods({ app: "protected-db" })
      .allowIngress({ from: [Peer.pods({ app: "employee" }).inAnyMeshCluster()], ports: [Port.tcp(6379)] })
      .build();
    assert.deepEqual(built, ex.inputs["prod-a"].policies![0]);
    const ctx = clusterContext(ex.plan, ex.inputs, "prod-a");
    const cnp = renderPolicy(ctx, built);
    assert.deepEqual(get(cnp, "spec.ingress"), [
      {
        fromEndpoints: [{ matchLabels: { app: "employee" }, matchExpressions: [{ key: "io.cilium.k8s.policy.cluster", operator: "In", values: ["prod-a", "prod-b"] }] }],
        toPorts: [{ ports: [{ port: "6379", protocol: "TCP" }] }],
      },
    ]);
    // without anyMeshCluster the peer is pinned to the local cluster
    const local = renderPolicy(ctx, new PolicyBuilder("p").selectPods({ a: "b" }).allowIngress({ from: [Peer.pods({ app: "x" })] }).build());
    assert.deepEqual(get(local, "spec.ingress")[0].fromEndpoints[0].matchLabels, { app: "x", "io.cilium.k8s.policy.cluster": "prod-a" });
    // no peer at all: any peer (entity all), explicitly
    const any = renderPolicy(ctx, new PolicyBuilder("q").selectPods({}).allowIngress({ ports: [Port.tcp(80)] }).build());
    assert.deepEqual(get(any, "spec.ingress")[0].fromEntities, ["all"]);
  });

  it("external endpoints become labelled CIDR groups (file inventory too)", () => {
    const ex = loadExample("three-tier");
    const groups = externalEndpointObjects(clusterContext(ex.plan, ex.inputs, "main"));
    assert.deepEqual(groups.map((g) => [g.metadata.name, g.metadata.labels!.role, (g.spec as any).externalCIDRs]), [
      ["backup-hosts", "backup", ["198.18.40.0/29"]],
      ["monitoring-vm", "monitoring", ["198.18.40.10/32"]],
    ]);
  });
});

describe("k8s: offline rendering", () => {
  for (const name of EXAMPLES) {
    it(`${name}: one YAML per object under clusters/<cluster>/, chart values under values/, stable and secret-free`, () => {
      const ex = loadExample(name);
      const files = renderClusterManifests(ex.plan, ex.inputs);
      assert.deepEqual(renderClusterManifests(ex.plan, ex.inputs), files, "same input, same bytes");
      for (const c of ex.plan.clusters) {
        const mine = files.filter((f) => f.path.startsWith(`clusters/${c.name}/`));
        assert.ok(mine.some((f) => f.path === `clusters/${c.name}/values/cilium.yaml`));
        for (const n of c.nodes) assert.ok(mine.some((f) => f.path === `clusters/${c.name}/node-${n}.yaml`));
      }
      for (const f of files) {
        assert.match(f.path, /^clusters\/[a-z0-9-]+\/(values\/[a-z-]+|[a-z]+-([a-z0-9-]+_)?[a-z0-9.-]+)\.yaml$/);
        const doc = parse(f.text);
        assert.ok(doc && typeof doc === "object");
        assert.ok(!/\*a\d|&a\d/.test(f.text), `${f.path} uses YAML aliases`);
        if (!f.path.includes("/values/")) {
          const obj = doc as K8sObject;
          assert.ok(obj.apiVersion && obj.kind && obj.metadata.name);
          assert.notEqual(obj.kind, "Secret");
        }
      }
    });
  }
});
