/**
 * Several data centers, one stack each (Pulumi mocks): a DataCenter publishes its allocations
 * (JSON, stable) and takes the other stacks' through `StackReference.getOutput("allocations")`;
 * disjoint peers are accepted, an overlap (pool, ASN, meshed cluster id) is refused with a RunError
 * listing path, rule and value, and no device command is registered.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { DataCenterSpec } from "../sdk/spec/types";
import { allocationConflicts, publishedAllocations, PublishedAllocations } from "../sdk/fleet/allocations";

const ROOT = path.resolve(__dirname, "..");
const fra = () => loadSpecFile(path.join(ROOT, "examples/fleet/fra1/datacenter.yaml"));
const ams = () => loadSpecFile(path.join(ROOT, "examples/fleet/ams1/datacenter.yaml"));
const hosts = (spec: DataCenterSpec) =>
  Object.fromEntries([...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))].map((d) => [d, { host: `${d}.mgmt.example`, hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIfake-${d}` }]));

describe("components: DataCenter peers (one stack per data center, Pulumi mocks)", function () {
  this.timeout(120000);
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;
  let proto: any;
  let original: any;
  const regs: { type: string; name: string }[] = [];
  /** What each mocked stack publishes (`StackReference` outputs). */
  const stacks: Record<string, Record<string, unknown>> = {};

  const settle = async () => {
    let last = -1;
    for (let i = 0; i < 200 && last !== regs.length; i++) {
      last = regs.length;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const outcome = <T>(o: PulumiT.Output<T>) => (o as any).promise() as Promise<T>;
  const dataCenter = (name: string, spec: DataCenterSpec, peers: PulumiT.Input<PublishedAllocations>[]) =>
    new c.DataCenter(name, { spec, passwords: { [spec.bgp!.passwordRef!]: pulumi.secret("pw-123456") }, hosts: hosts(spec), peers });

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => (a.type === "pulumi:pulumi:StackReference" ? { id: a.inputs.name, state: { name: a.inputs.name, outputs: stacks[a.inputs.name] ?? {} } } : { id: `${a.name}-id`, state: a.inputs }),
        call: (a) => a.inputs,
      },
      "dcnet-fleet",
      "fra1",
      true,
    );
    proto = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
    original = proto.registerResource;
    proto.registerResource = function (req: any, cb: any) {
      regs.push({ type: req.getType(), name: req.getName() });
      return original.call(this, req, cb);
    };
    c = require("../components");
  });
  after(() => (proto.registerResource = original));

  it("the published allocations: JSON, the same for the same plan, pools with their spec paths", () => {
    const a = publishedAllocations(resolve(fra()));
    assert.deepStrictEqual(JSON.parse(JSON.stringify(a)), a);
    assert.strictEqual(JSON.stringify(publishedAllocations(resolve(fra()))), JSON.stringify(a));
    assert.deepStrictEqual(a.pools.map((p) => `${p.path} ${p.prefix}`), [
      "pools.podCidr.cidr 198.19.0.0/18",
      "pools.loopbacks 198.18.0.0/24",
      "pools.fabricLinks 198.18.1.0/24",
      "pools.vips[0].cidr 198.18.201.0/29",
      "racks[0].nodeNetwork 198.18.20.0/24",
    ]);
    assert.deepStrictEqual(a.asns, [{ asn: 65010, device: "core1" }]);
    assert.deepStrictEqual(a.clusters, [{ name: "fra1-main", id: 1 }]);
    assert.deepStrictEqual(allocationConflicts([a, publishedAllocations(resolve(ams()))]), []);
    // the same data center name twice, a meshed cluster name twice (ids differ)
    const twin = { ...publishedAllocations(resolve(ams())), dataCenter: "fra1", clusters: [{ name: "fra1-main", id: 9 }] };
    assert.deepStrictEqual(allocationConflicts([a, twin]).map((p) => `${p.path} ${p.rule} ${p.value}`), ["name fleet-name \"fra1\"", "clusters[0].name fleet-cluster-name \"fra1-main\""]);
  });

  it("disjoint peers (another stack's output through StackReference): accepted, every device command registered, allocations published", async () => {
    stacks["acme/dc-ams1/prod"] = { allocations: publishedAllocations(resolve(ams())) };
    regs.length = 0;
    const ref = new pulumi.StackReference("acme/dc-ams1/prod");
    const dc = dataCenter("fra1", fra(), [ref.getOutput("allocations") as PulumiT.Output<PublishedAllocations>]);
    const own = await outcome(dc.allocations);
    await settle();
    assert.deepStrictEqual(own, publishedAllocations(dc.getPlan()));
    const commands = regs.filter((r) => r.type === "command:remote:Command").map((r) => r.name).sort();
    assert.deepStrictEqual(commands, dc.getPlan().devices.map((d) => `fra1-${d.name}-${d.kind === "node" ? "bird" : "frr"}`).sort());
    assert.ok(regs.some((r) => r.type === "dcnet:index:PeerCheck" && r.name === "fra1-peers"));
  });

  it("overlapping peers: RunError listing path, rule and value; no device command registered", async () => {
    const bad = ams();
    bad.pools.podCidr.cidr = "198.19.32.0/19"; // inside fra1's 198.19.0.0/18
    (bad.asn as { fabric: number }).fabric = 65010;
    bad.clusters![0].id = 1;
    stacks["acme/dc-ams1/bad"] = { allocations: publishedAllocations(resolve(bad)) };
    regs.length = 0;
    const ref = new pulumi.StackReference("acme/dc-ams1/bad");
    const dc = dataCenter("fra1b", fra(), [ref.getOutput("allocations") as PulumiT.Output<PublishedAllocations>]);
    const err = await outcome(dc.allocations).then(
      () => assert.fail("overlapping peers were accepted"),
      (e: Error) => e,
    );
    await settle();
    assert.ok(pulumi.RunError.isInstance(err), "not a RunError (Pulumi would print a stack trace)");
    assert.match(err.message, /DataCenter fra1b: the allocations of its peers collide with this data center's \(3 problems\):/);
    assert.match(err.message, /\n {2}pools\.podCidr\.cidr \[fleet-overlap\] "198\.19\.0\.0\/18": fra1 PodCIDR pool 198\.19\.0\.0\/18 overlaps ams1 PodCIDR pool 198\.19\.32\.0\/19/);
    assert.match(err.message, /\n {2}asn \(core1\) \[fleet-asn\] 65010: AS 65010 is used in fra1 \(core1\) and in ams1 \(core1\)/);
    assert.match(err.message, /\n {2}clusters\[0\]\.id \[fleet-cluster-id\] 1: cluster id 1 is used in fra1 \(fra1-main\) and in ams1/);
    assert.deepStrictEqual(regs.filter((r) => r.type.startsWith("command:")).map((r) => r.name), [], "device commands were registered despite the overlap");
    // not meshed: the cluster id may repeat, the overlap and the ASN still refused
    const dc2 = new c.DataCenter("fra1c", { spec: fra(), passwords: { "bgp-fra1": pulumi.secret("pw-123456") }, hosts: hosts(fra()), peers: [publishedAllocations(resolve(bad))], meshWithPeers: false });
    const err2 = await outcome(dc2.allocations).then(() => undefined, (e: Error) => e);
    assert.ok(err2 && /\(2 problems\)/.test(err2.message) && !/fleet-cluster-id/.test(err2.message), err2?.message);
  });

  it("a peer that is not a DataCenter's allocations: refused with its shape problem", async () => {
    const dc = dataCenter("fra1d", fra(), [{ version: 7, dataCenter: "x", pools: [{ prefix: "nope" }], asns: [], clusters: [] } as unknown as PublishedAllocations]);
    const err = await outcome(dc.allocations).then(() => undefined, (e: Error) => e);
    assert.match(String(err?.message), /peers\[0\]\.version \[allocations-shape\] 7: peers\[0\]\.version: expected version 1/);
    assert.match(String(err?.message), /peers\[0\]\.pools\[0\] \[allocations-shape\]/);
  });

  it("examples/fleet/index.ts as stack fra1: ams1's stack output through StackReference, accepted; an overlapping ams1 refused before any command", async () => {
    const example = require.resolve("../examples/fleet/index.ts");
    const overlapping = ams();
    overlapping.pools.podCidr.cidr = "198.19.32.0/19";
    stacks["acme/dc-ams1/prod"] = { allocations: publishedAllocations(resolve(ams())) };
    stacks["acme/dc-ams1/bad"] = { allocations: publishedAllocations(resolve(overlapping)) };
    const runExample = async (peerStack: string) => {
      pulumi.runtime.setConfig("dcnet-fleet:peers", JSON.stringify([peerStack]));
      pulumi.runtime.setConfig("dcnet-fleet:bgpPassword", "pw-123456");
      pulumi.runtime.setConfig("dcnet-fleet:hosts", JSON.stringify(hosts(fra())));
      delete require.cache[example];
      regs.length = 0;
      try {
        const m = require(example) as { allocations: PulumiT.Output<PublishedAllocations> };
        const r = await outcome(m.allocations).then((a) => a, (e: Error) => e);
        await settle();
        return r;
      } finally {
        for (const k of ["peers", "bgpPassword", "hosts"]) pulumi.runtime.setConfig(`dcnet-fleet:${k}`, undefined as unknown as string);
      }
    };
    const ok = await runExample("acme/dc-ams1/prod");
    assert.ok(!(ok instanceof Error), String(ok));
    assert.strictEqual((ok as PublishedAllocations).dataCenter, "fra1");
    assert.ok(regs.filter((r) => r.type === "command:remote:Command").length > 0);
    const bad = await runExample("acme/dc-ams1/bad");
    assert.ok(bad instanceof Error && /fleet-overlap/.test(bad.message), String(bad));
    assert.deepStrictEqual(regs.filter((r) => r.type.startsWith("command:")).map((r) => r.name), []);
  });
});
