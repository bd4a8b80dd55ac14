/** Several data centers: `dcnet validate --fleet` (overlapping pools, shared ASNs, meshed cluster names and ids). */
import assert from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { loadFleetFile, meshSites, validateFleet } from "../sdk/fleet/fleet";
import { fleetCiliumValues, fleetMeshes } from "../sdk/fleet/mesh";
import { renderCiliumChart } from "../sdk/render/cilium-host/chart-config";
import { requireClusterTools } from "./support/cluster-tools-gate";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLE = path.join(ROOT, "examples/fleet/fleet.yaml");

describe("fleet: several data centers", function () {
  it("the two-data-center example is valid, through the CLI too", function () {
    const r = validateFleet(loadFleetFile(EXAMPLE));
    assert.deepStrictEqual(r.problems, []);
    assert.deepStrictEqual(r.members.map((m) => m.name), ["fra1", "ams1"]);
    const c = spawnSync(process.execPath, [path.join(ROOT, "bin/dcnet"), "validate", "--fleet", EXAMPLE], { encoding: "utf8", timeout: 60000 });
    assert.strictEqual(c.status, 0, c.stderr);
    assert.match(c.stdout, /^OK: fleet acme: 2 data centers \(fra1, ams1\)/);
    const out = mkdtempSync(path.join(tmpdir(), "dcnet-fleet-plan-"));
    try {
      const p = spawnSync(process.execPath, [path.join(ROOT, "bin/dcnet"), "plan", "--fleet", EXAMPLE, "--out", path.join(out, "out")], { encoding: "utf8", timeout: 60000 });
      assert.strictEqual(p.status, 0, p.stderr);
      for (const dc of ["fra1", "ams1"]) assert.strictEqual(JSON.parse(readFileSync(path.join(out, "out", dc, "plan.json"), "utf8")).name, dc);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("refuses overlapping pools and rack networks, a shared ASN, a meshed cluster's name or id twice", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "dcnet-fleet-"));
    try {
      const fra = parse(readFileSync(path.join(ROOT, "examples/fleet/fra1/datacenter.yaml"), "utf8"));
      const ams = parse(readFileSync(path.join(ROOT, "examples/fleet/ams1/datacenter.yaml"), "utf8"));
      ams.asn.fabric = fra.asn.fabric;
      ams.pools.podCidr.cidr = "198.19.32.0/19"; // inside fra1's 198.19.0.0/18
      ams.racks[0].nodeNetwork = fra.racks[0].nodeNetwork;
      ams.racks[0].nodes.forEach((n: { address: string }, i: number) => (n.address = fra.racks[0].nodes[i].address));
      ams.clusters[0].id = fra.clusters[0].id;
      writeFileSync(path.join(dir, "fra1.yaml"), stringify(fra));
      writeFileSync(path.join(dir, "ams1.yaml"), stringify(ams));
      writeFileSync(path.join(dir, "fleet.yaml"), stringify({ name: "bad", dataCenters: [{ name: "fra1", spec: "fra1.yaml" }, { name: "ams1", spec: "ams1.yaml" }] }));
      const r = validateFleet(loadFleetFile(path.join(dir, "fleet.yaml")));
      assert.ok(!r.ok);
      const text = r.problems.join("\n");
      assert.match(text, /fra1 PodCIDR pool 198\.19\.0\.0\/18 overlaps ams1 PodCIDR pool 198\.19\.32\.0\/19/);
      assert.match(text, /fra1 rack r1 node network 198\.18\.20\.0\/24 overlaps ams1 rack r1 node network 198\.18\.20\.0\/24/);
      assert.match(text, /AS 65010 is used in fra1 \(\S+\) and in ams1/);
      assert.match(text, /cluster id 1 is used in fra1 \(fra1-main\) and in ams1/);
      // not meshed: cluster ids may repeat
      writeFileSync(path.join(dir, "fleet2.yaml"), stringify({ name: "bad", dataCenters: [{ name: "fra1", spec: "fra1.yaml" }, { name: "ams1", spec: "ams1.yaml" }], mesh: ["fra1"] }));
      assert.doesNotMatch(validateFleet(loadFleetFile(path.join(dir, "fleet2.yaml"))).problems.join("\n"), /cluster id/);
      const c = spawnSync(process.execPath, [path.join(ROOT, "bin/dcnet"), "validate", "--fleet", path.join(dir, "fleet.yaml")], { encoding: "utf8", timeout: 60000 });
      assert.strictEqual(c.status, 1);
      assert.match(c.stderr, /fleet bad: \d+ problems:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ClusterMesh across data centers: each side's values from both plans (remote entries, endpoints, one CA, routing CIDR); the real chart renders them", function () {
    this.timeout(120000);
    const out = mkdtempSync(path.join(tmpdir(), "dcnet-fleet-mesh-"));
    try {
      const p = spawnSync(process.execPath, [path.join(ROOT, "bin/dcnet"), "plan", "--fleet", EXAMPLE, "--out", path.join(out, "out")], { encoding: "utf8", timeout: 60000 });
      assert.strictEqual(p.status, 0, p.stderr);
      const values = (dc: string, c: string) => parse(readFileSync(path.join(out, "out", dc, "clusters", c, "values/cilium.yaml"), "utf8"));
      const fra = values("fra1", "fra1-main");
      const ams = values("ams1", "ams1-main");
      assert.deepStrictEqual(fra.clustermesh.config.clusters, [{ name: "ams1-main", port: 32379, ips: ["198.18.30.11", "198.18.30.12"] }]);
      assert.deepStrictEqual(ams.clustermesh.config.clusters, [{ name: "fra1-main", port: 32379, ips: ["198.18.20.11", "198.18.20.12"] }]);
      const ca = readFileSync(path.join(ROOT, "examples/fleet/mesh-ca.crt"), "utf8");
      assert.strictEqual(Buffer.from(fra.tls.ca.cert, "base64").toString("utf8"), ca);
      assert.strictEqual(ams.tls.ca.cert, fra.tls.ca.cert, "the two sides trust different CAs");
      assert.ok(!("key" in fra.tls.ca), "a CA key in a rendered file");
      // the PodCIDR pools of both data centers are routed natively (198.19.0.0/18 and 198.19.64.0/18)
      assert.strictEqual(fra.ipv4NativeRoutingCIDR, "198.19.0.0/17");
      assert.strictEqual(ams.ipv4NativeRoutingCIDR, "198.19.0.0/17");
      assert.strictEqual(fra.cluster.id, 1);
      assert.strictEqual(ams.cluster.id, 2);
      // the real chart: fra1's clustermesh-apiserver reaches ams1-main at its endpoints
      const tools = requireClusterTools(this, ["helm", "ciliumChart"]);
      const sites = meshSites(validateFleet(loadFleetFile(EXAMPLE)).members);
      const members = fleetMeshes(sites).get("acme")!;
      const chart = renderCiliumChart(tools.helm!, tools.ciliumChart!, fleetCiliumValues(sites[0], "fra1-main", members, ca));
      // kvstoremesh (the chart's default) caches the remote clusters: its secret holds their endpoints
      const secret = chart.objects.find((o) => o.kind === "Secret" && o.metadata?.name === "cilium-kvstoremesh" && o.data && "ams1-main" in o.data);
      assert.ok(secret, "the chart rendered no cilium-kvstoremesh secret naming ams1-main");
      assert.match(Buffer.from(secret!.data!["ams1-main"], "base64").toString("utf8"), /ams1-main\.mesh\.cilium\.io:32379/);
      // and resolves that name to ams1's nodes (hostAliases of the clustermesh-apiserver)
      assert.match(chart.text, /- ip: 198\.18\.30\.11\s+hostnames: \[ "ams1-main\.mesh\.cilium\.io" \]/);
      assert.match(chart.text, /- ip: 198\.18\.30\.12\s+hostnames: \[ "ams1-main\.mesh\.cilium\.io" \]/);
      assert.strictEqual(chart.ciliumConfig["cluster-id"], "1");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("ClusterMesh across data centers: refused without one CA, with a key or a non-CA as CA, across a data center not in the mesh list", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "dcnet-fleet-mesh-bad-"));
    try {
      const fleet = parse(readFileSync(EXAMPLE, "utf8"));
      fleet.dataCenters = fleet.dataCenters.map((d: { name: string; spec: string }) => ({ ...d, spec: path.join(ROOT, "examples/fleet", d.spec) }));
      const check = (f: unknown) => {
        writeFileSync(path.join(dir, "fleet.yaml"), stringify(f));
        return validateFleet(loadFleetFile(path.join(dir, "fleet.yaml"))).problems.join("\n");
      };
      assert.match(check({ ...fleet, meshCa: undefined }), /mesh acme spans fra1, ams1: give meshCa\.acme .*\[fleet-mesh-ca\]/);
      writeFileSync(path.join(dir, "key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
      assert.match(check({ ...fleet, meshCa: { acme: "key.pem" } }), /meshCa\.acme: .*key\.pem holds a private key.*\[fleet-mesh-ca\]/);
      writeFileSync(path.join(dir, "junk.crt"), "not a certificate\n");
      assert.match(check({ ...fleet, meshCa: { acme: "junk.crt" } }), /meshCa\.acme: .*junk\.crt is not a PEM certificate/);
      assert.match(check({ ...fleet, meshCa: { acme: path.join(ROOT, "examples/fleet/mesh-ca.crt"), other: path.join(ROOT, "examples/fleet/mesh-ca.crt") } }), /meshCa\.other: no cluster of the fleet declares mesh other/);
      assert.match(check({ ...fleet, meshCa: { acme: path.join(ROOT, "examples/fleet/mesh-ca.crt") }, mesh: ["fra1"] }), /mesh acme spans fra1, ams1, but ams1 is not in the fleet's mesh list \[fleet-mesh-member\]/);
      assert.strictEqual(check({ ...fleet, meshCa: { acme: path.join(ROOT, "examples/fleet/mesh-ca.crt") } }), "");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
