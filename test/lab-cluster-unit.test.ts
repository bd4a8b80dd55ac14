/**
 * The lab's cluster side without root or binaries: service CIDR choice, which nodes get an agent
 * and who speaks BGP there, the lab-only overrides, and the plan `lab check` compares with when
 * Cilium speaks (only allocated VIP /32s expected), with a stub kubectl.
 */
import assert from "assert";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { resolve } from "../sdk/resolve/resolve";
import { prefixesOverlap, prefixInside } from "../sdk/net/prefix";
import { clusterInputsFromSpec } from "../sdk/k8s";
import { planPrefixes } from "../sdk/lab/mgmt";
import { LabState } from "../sdk/lab";
import { clusterSpeakers, LAB_AGENT_OVERRIDES, LabCluster } from "../sdk/lab/cluster";
import { pickServiceCidr, SERVICE_CIDR_CANDIDATES } from "../sdk/lab/cluster/apiserver";
import { resolveOverrides } from "../sdk/lab/cluster/config";
import { planForCheck } from "../sdk/lab/cluster/check";
import { ciliumNodeSeeds, nodePodCidrs, nodeSkeletons, CILIUM_HOST_ANNOTATION, CILIUM_HOST6_ANNOTATION } from "../sdk/lab/cluster/objects";
import { dualStackPodsSpec } from "./support/lab-dual-stack-pods-spec";
import { clusterContext } from "../sdk/k8s";
import { clusterLabSpec } from "./support/lab-cluster-spec";

describe("lab cluster side (unit)", function () {
  it("the service CIDR is inside 198.18.0.0/15 and overlaps nothing of the plan", function () {
    for (const c of SERVICE_CIDR_CANDIDATES) assert.ok(prefixInside(c, "198.18.0.0/15"), c);
    const plan = resolve(clusterLabSpec("cilium"));
    const cidr = pickServiceCidr(plan);
    assert.ok(!planPrefixes(plan).some((p) => !p.includes(":") && prefixesOverlap(p, cidr)), cidr);
    // the PodCIDR pool covers 198.19.0.0/16: every 198.19 candidate is taken, a 198.18 one is used
    assert.match(cidr, /^198\.18\./);
    assert.notStrictEqual(pickServiceCidr(plan, [cidr]), cidr);
  });

  it("nodes of clusters with k8s settings get an agent, with their cluster's speaker", function () {
    for (const sp of ["bird", "cilium"] as const) {
      const spec = clusterLabSpec(sp);
      const m = clusterSpeakers(resolve(spec), clusterInputsFromSpec(spec));
      assert.deepStrictEqual([...m.entries()].sort(), ["r1n1", "r1n2", "r2n1", "r2n2"].map((n) => [n, sp]));
      assert.strictEqual(clusterSpeakers(resolve(spec), undefined).size, 0);
    }
  });

  it("lab-only overrides: each has a reason; paths per node; the machine-wide settings are off", function () {
    for (const o of LAB_AGENT_OVERRIDES) assert.ok(o.reason.length > 10, o.key);
    const v = resolveOverrides(LAB_AGENT_OVERRIDES, { device: "eth0", stateDir: "/r/s", bpfRoot: "/r/b", cgroupRoot: "/r/c", relayPort: 6443 });
    assert.strictEqual(v.procfs, "/proc");
    assert.strictEqual(v["bpf-lb-sock"], "false");
    assert.strictEqual(v["cni-exclusive"], "false");
    assert.strictEqual(v["install-iptables-rules"], undefined, "kube-proxy replacement needs Cilium's iptables rules (inside the node's namespace)");
    assert.strictEqual(v.devices, "eth0");
    assert.strictEqual(v["cgroup-root"], "/r/c");
  });

  it("Node skeletons carry the router address (first host of the PodCIDR) for cilium_host", function () {
    const spec = clusterLabSpec("bird");
    const plan = resolve(spec);
    const nodes = nodeSkeletons(clusterContext(plan, clusterInputsFromSpec(spec), "lab"));
    assert.strictEqual(nodes.length, 4);
    assert.strictEqual(nodes[0].metadata.annotations?.[CILIUM_HOST_ANNOTATION], "198.19.0.1");
    assert.strictEqual(nodes[0].metadata.labels?.["kubernetes.io/hostname"], "r1n1");
  });

  it("dual-stack (examples/dual-stack): Node skeletons and CiliumNode seeds carry the router address of each family; both PodCIDRs planned, IPv4 first", function () {
    const spec = dualStackPodsSpec();
    const plan = resolve(spec);
    const ctx = clusterContext(plan, clusterInputsFromSpec(spec), "prod");
    const nodes = nodeSkeletons(ctx);
    assert.deepStrictEqual(nodes.map((n) => n.metadata.name), ["r1n1", "r2n1"]);
    assert.deepStrictEqual(nodes[1].metadata.annotations, { [CILIUM_HOST_ANNOTATION]: "198.19.16.1", [CILIUM_HOST6_ANNOTATION]: "2001:db8:1000:10::1" });
    const seeds = ciliumNodeSeeds(ctx) as unknown as { spec: { addresses: { type: string; ip: string }[] } }[];
    assert.deepStrictEqual(seeds[0].spec.addresses, [
      { type: "CiliumInternalIP", ip: "198.19.0.1" },
      { type: "CiliumInternalIP", ip: "2001:db8:1000::1" },
    ]);
    assert.deepStrictEqual(nodePodCidrs(plan, "r1n3"), ["198.19.2.0/24", "2001:db8:1000:ff::/64"]);
    // an IPv4-only plan: one PodCIDR, the IPv4 annotation only
    const v4 = nodeSkeletons(clusterContext(resolve(clusterLabSpec("bird")), clusterInputsFromSpec(clusterLabSpec("bird")), "lab"));
    assert.deepStrictEqual(Object.keys(v4[0].metadata.annotations ?? {}), [CILIUM_HOST_ANNOTATION]);
  });

  it("with Cilium speakers, lab check expects only the VIP /32s allocated to Services", function () {
    const plan = resolve(clusterLabSpec("cilium"));
    const dir = mkdtempSync(join(tmpdir(), "dcnet-lc-unit-"));
    try {
      const stub = join(dir, "kubectl");
      const services = { items: [{ metadata: { name: "web", namespace: "default" }, spec: { type: "LoadBalancer" }, status: { loadBalancer: { ingress: [{ ip: "198.18.200.3" }] } } }] };
      writeFileSync(stub, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(services)}\nEOF\n`);
      chmodSync(stub, 0o755);
      const cluster = { name: "lab", apiServer: { kubeconfig: join(dir, "kc") } } as unknown as LabCluster;
      const nodes = Object.fromEntries(["r1n1", "r1n2", "r2n1", "r2n2"].map((n) => [n, { name: n, speaker: "cilium" }]));
      const state = { cluster: { clusters: { lab: cluster }, nodes, cgroups: [], timings: {} } } as unknown as LabState;
      const eff = planForCheck(plan, state, stub);
      const vips = (p: typeof plan, sw: string) =>
        (p.switches.find((s) => s.name === sw)!.expectedRoutes as unknown as { prefix?: string; prefixes?: string[] }[]).flatMap((g) => g.prefixes ?? [g.prefix!]).filter((x) => x.startsWith("198.18.200."));
      assert.strictEqual(vips(plan, "leaf1a").length, 8);
      assert.deepStrictEqual(vips(eff, "leaf1a"), ["198.18.200.3/32"]);
      assert.deepStrictEqual(vips(eff, "spine1"), ["198.18.200.3/32"]);
      assert.deepStrictEqual(eff.nodes.find((n) => n.name === "r1n1")!.announcements.map((a) => a.prefix), ["198.19.0.0/24", "198.18.200.3/32"]);
      // BIRD-spoken nodes keep the whole pool
      const birdState = { cluster: { clusters: { lab: cluster }, nodes: Object.fromEntries(Object.entries(nodes).map(([k, v]) => [k, { ...v, speaker: "bird" }])), cgroups: [], timings: {} } } as unknown as LabState;
      assert.strictEqual(planForCheck(plan, birdState, stub), plan);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
