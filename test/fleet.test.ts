/** Several data centers: `dcnet validate --fleet` (overlapping pools, shared ASNs, meshed cluster names and ids). */
import assert from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { loadFleetFile, validateFleet } from "../sdk/fleet/fleet";

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
});
