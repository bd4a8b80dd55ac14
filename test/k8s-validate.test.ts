/** Cluster-side validation: clear, path-qualified problems, all reported at once. */
import { strict as assert } from "assert";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError, SpecProblem } from "../sdk/validate/errors";
import { ClusterInputs, loadClusterInputs, parseInventory, renderClusterManifests, validateClusterSide } from "../sdk/k8s";
import { PolicyProtocol } from "../sdk/spec/cluster-types";
import { ClusterK8sSpec } from "../sdk/spec/cluster-types";
import { Plan } from "../sdk/plan/types";
import { loadExample } from "./support/k8s-models";

const sl = () => loadExample("spine-leaf");

function problemsWith(edit: (inputs: ClusterInputs, plan: Plan) => void, example = "spine-leaf"): SpecProblem[] {
  const ex = loadExample(example);
  const inputs = structuredClone(ex.inputs);
  const plan = structuredClone(ex.plan);
  edit(inputs, plan);
  return validateClusterSide(plan, inputs);
}

function expectProblem(problems: SpecProblem[], path: string, rule: string, text?: RegExp): void {
  const hit = problems.find((p) => p.path === path && p.rule === rule);
  assert.ok(hit, `expected ${rule} at ${path}, got:\n${problems.map((p) => `  ${p.path} ${p.rule}: ${p.message}`).join("\n")}`);
  if (text) assert.match(hit!.message, text);
}

const a = (inputs: ClusterInputs): ClusterK8sSpec => inputs["prod-a"];

describe("k8s: cluster-side validation", () => {
  it("both examples are valid", () => {
    for (const name of ["spine-leaf", "three-tier"]) {
      const ex = loadExample(name);
      assert.deepEqual(validateClusterSide(ex.plan, ex.inputs), []);
    }
  });

  it("VIP pool overlapping the PodCIDRs or another pool (core rule, reported by resolve)", () => {
    const spec = structuredClone(sl().spec);
    spec.pools.vips!.push({ name: "bad", cidr: "198.19.0.0/29" }, { name: "bad2", cidr: "198.18.200.4/30" });
    const e = assert.throws(() => resolve(spec), (err: unknown) => {
      const problems = (err as SpecError).problems;
      expectProblem(problems, "pools.vips[1].cidr", "overlap", /198\.19\.0\.0\/16/);
      expectProblem(problems, "pools.vips[2].cidr", "overlap", /198\.18\.200\.0\/29/);
      return true;
    });
    void e;
  });

  it("duplicate cluster ids or names (core rule, reported by resolve)", () => {
    const spec = structuredClone(sl().spec);
    spec.clusters![1].id = 1;
    spec.clusters![1].name = "prod-a";
    assert.throws(() => resolve(spec), (err: unknown) => {
      const problems = (err as SpecError).problems;
      expectProblem(problems, "clusters[1].id", "duplicate");
      expectProblem(problems, "clusters[1].name", "duplicate");
      return true;
    });
  });

  it("pinned VIPs outside every pool: ingress and clustermesh-apiserver", () => {
    const problems = problemsWith((i) => {
      a(i).ingress!.address = "198.18.199.7";
      a(i).mesh!.apiServerAddress = "198.18.50.1";
    });
    expectProblem(problems, "clusters[0].k8s.ingress.address", "vip-outside-pool", /198\.18\.199\.7 is not in any VIP pool of cluster prod-a \(its pools: public 198\.18\.200\.0\/29\)/);
    expectProblem(problems, "clusters[0].k8s.mesh.apiServerAddress", "vip-outside-pool", /clustermesh-apiserver VIP 198\.18\.50\.1/);
  });

  it("an ingress VIP in another cluster's pool", () => {
    const problems = problemsWith((i) => {
      i["prod-b"].ingress = { address: "198.18.200.3", hosts: [{ host: "b.example.com", routes: [{ pathPrefix: "/", service: "b", port: 80 }] }] };
    });
    expectProblem(problems, "clusters[1].k8s.ingress.address", "vip-outside-pool", /lies in VIP pool public 198\.18\.200\.0\/29, which cluster prod-b's LB-IPAM does not own/);
  });

  it("two Services pinned to one VIP", () => {
    const problems = problemsWith((i) => {
      a(i).mesh!.apiServerAddress = a(i).ingress!.address;
    });
    expectProblem(problems, "clusters[0].k8s.mesh.apiServerAddress", "vip-conflict");
  });

  it("mesh PodCIDR overlap", () => {
    const problems = problemsWith((_, plan) => {
      const b = plan.clusters.find((c) => c.name === "prod-b")!;
      b.podCIDRs.push({ family: "ipv4", prefix: plan.clusters[0].podCIDRs[0].prefix });
    });
    expectProblem(problems, "clusters[1].k8s.mesh", "mesh-podcidr-overlap", /PodCIDR 198\.19\.\d+\.0\/24 of cluster prod-b overlaps PodCIDR 198\.19\.\d+\.0\/24 of cluster prod-a/);
  });

  it("mesh members with different datapaths", () => {
    const problems = problemsWith((i) => {
      i["prod-b"].cilium = { kubeProxyReplacement: false };
    });
    expectProblem(problems, "clusters[1].k8s.cilium.kubeProxyReplacement", "mesh-datapath");
  });

  it("policy with an invalid port, end port or protocol; L7 on UDP or in deny rules; unknown peers", () => {
    const problems = problemsWith((i) => {
      const p = a(i).policies![0];
      p.ingress![0].ports = [{ port: 70000 }, { port: 80, endPort: 79 }, { port: 53, protocol: "HTTP" as PolicyProtocol }, { port: 53, protocol: PolicyProtocol.UDP }];
      p.ingress![0].http = [{ method: "GET" }];
      p.ingress![0].cidrGroups = ["nope"];
      p.ingress![0].pods![0].clusters = ["prod-c"];
      p.ingressDeny = [{ entities: ["galaxy" as never], http: [{ path: "/" }] }];
    });
    const base = "clusters[0].k8s.policies[0]";
    expectProblem(problems, `${base}.ingress[0].ports[0].port`, "policy-port", /port 70000 must be an integer 1–65535/);
    expectProblem(problems, `${base}.ingress[0].ports[1].endPort`, "policy-port");
    expectProblem(problems, `${base}.ingress[0].ports[2].protocol`, "policy-protocol", /protocol "HTTP" is not one of TCP, UDP, SCTP, ANY/);
    expectProblem(problems, `${base}.ingress[0].ports[3].protocol`, "policy-l7-protocol");
    expectProblem(problems, `${base}.ingress[0].cidrGroups[0]`, "unknown-reference", /unknown external endpoint "nope"/);
    expectProblem(problems, `${base}.ingress[0].pods[0].clusters[0]`, "unknown-reference", /unknown cluster "prod-c"/);
    expectProblem(problems, `${base}.ingressDeny[0].entities[0]`, "policy-entity");
    expectProblem(problems, `${base}.ingressDeny[0].http`, "policy-l7-deny");
  });

  it("a policy peer in a cluster outside the mesh", () => {
    const problems = problemsWith((i) => {
      delete i["prod-b"].mesh;
      a(i).policies![0].ingress![0].pods![0].clusters = ["prod-b"];
    });
    expectProblem(problems, "clusters[0].k8s.policies[0].ingress[0].pods[0].clusters[0]", "policy-cluster", /not in cluster prod-a's mesh/);
  });

  it("an external endpoint overlapping a PodCIDR or a VIP pool", () => {
    const problems = problemsWith((i) => {
      a(i).externalEndpoints!.push({ name: "pods", cidrs: ["198.19.0.7", "198.18.200.0/30", "bogus/7"] });
    });
    expectProblem(problems, "clusters[0].k8s.externalEndpoints[1].cidrs[0]", "external-overlap", /PodCIDR pool 198\.19\.0\.0\/16 \(PodCIDR 198\.19\.0\.0\/24 of node r1n1\)/);
    expectProblem(problems, "clusters[0].k8s.externalEndpoints[1].cidrs[1]", "external-overlap", /VIP pool public/);
    expectProblem(problems, "clusters[0].k8s.externalEndpoints[1].cidrs[2]", "prefix-invalid");
  });

  it("settings Cilium 1.18 removed are refused with what to use instead", () => {
    const problems = problemsWith((i) => {
      a(i).cilium = {
        externalWorkloads: true,
        bgpPeeringPolicy: true,
        chartVersion: "1.17.6",
        values: { "externalWorkloads.enabled": "true", tunnel: "vxlan", "ipam.mode": "cluster-pool" },
        loadBalancer: { maglevTableSize: 1000 },
      };
    });
    const p = "clusters[0].k8s.cilium";
    expectProblem(problems, `${p}.externalWorkloads`, "cilium-removed", /removed in Cilium 1\.18.*externalEndpoints/);
    expectProblem(problems, `${p}.bgpPeeringPolicy`, "cilium-removed", /CiliumBGPPeeringPolicy.*bgpSpeaker: cilium/);
    expectProblem(problems, `${p}.chartVersion`, "cilium-version", /≥ 1\.18/);
    expectProblem(problems, `${p}.values.externalWorkloads.enabled`, "cilium-removed");
    expectProblem(problems, `${p}.values.tunnel`, "cilium-removed");
    expectProblem(problems, `${p}.values.ipam.mode`, "cilium-managed-value");
    expectProblem(problems, `${p}.loadBalancer.maglevTableSize`, "maglev-table-size", /not one of Cilium's primes/);
  });

  it("the BGP secrets namespace is managed: Cilium must read the MD5 Secrets where dcnet creates them", () => {
    const problems = problemsWith((i) => {
      a(i).cilium = { values: { "bgpControlPlane.secretsNamespace.name": "elsewhere" } };
    });
    expectProblem(problems, "clusters[0].k8s.cilium.values.bgpControlPlane.secretsNamespace.name", "cilium-managed-value", /bgpControlPlane\.secretsNamespace/);
  });

  it("kube-proxy replacement needs the API server", () => {
    const problems = problemsWith((i) => {
      delete a(i).apiServer;
    });
    expectProblem(problems, "clusters[0].k8s.apiServer", "required");
  });

  it("Cilium's speaker cannot announce a pool this cluster's LB-IPAM does not own", () => {
    const ex = loadExample("spine-leaf");
    const spec = structuredClone(ex.spec);
    delete spec.pools.vips![0].cluster; // the pool keeps its announcers (prod-a's l4lb nodes)
    spec.pools.vips![0].announcers = ["r1n1", "r2n1"];
    spec.racks[2].nodes[0].role = "l4lb" as never;
    spec.pools.vips![0].announcers.push("r3n1");
    const plan = resolve(spec);
    const inputs = structuredClone(ex.inputs);
    inputs["prod-b"].cilium = { bgpSpeaker: "cilium" as never };
    const problems = validateClusterSide(plan, inputs);
    expectProblem(problems, "clusters[1].k8s.cilium.bgpSpeaker", "bgp-speaker-pool", /node r3n1 announces VIP pool public/);
  });

  it("reports every problem at once, and renderClusterManifests refuses to render", () => {
    const ex = loadExample("spine-leaf");
    const inputs = structuredClone(ex.inputs);
    a(inputs).ingress!.address = "198.18.199.7";
    a(inputs).policies![0].ingress![0].ports![0].port = 0;
    a(inputs).externalEndpoints![0].cidrs = ["198.19.1.0/24"];
    inputs.ghost = {};
    assert.throws(() => renderClusterManifests(ex.plan, inputs), (err: unknown) => {
      assert.ok(err instanceof SpecError);
      const rules = err.problems.map((p) => p.rule).sort();
      assert.deepEqual(rules, ["external-overlap", "policy-port", "unknown-reference", "vip-outside-pool"]);
      assert.match(err.message, /spec is invalid \(4 problems\)/);
      return true;
    });
  });

  it("inventory files: unreadable or malformed files are spec problems", () => {
    const spec = structuredClone(loadExample("three-tier").spec);
    spec.clusters![0].k8s!.externalEndpointsFile = "no-such-inventory.yaml";
    assert.throws(() => loadClusterInputs(spec, "/nonexistent"), (err: unknown) => {
      expectProblem((err as SpecError).problems, "clusters[0].k8s.externalEndpointsFile", "inventory-read", /no-such-inventory\.yaml/);
      return true;
    });
    const { problems } = parseInventory({ endpoints: [{ name: "x", cidrs: "198.18.40.0/29", color: "red" }] }, "inv");
    expectProblem(problems, "inv[0].cidrs", "inventory-shape");
    expectProblem(problems, "inv[0]", "inventory-shape", /unknown field\(s\) color/);
  });
});
