/**
 * The `dcnet` CLI as a user runs it: a subprocess (`bin/dcnet`), its files, its exit codes and
 * what it prints.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { Plan } from "../sdk/plan/types";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLES = ["examples/spine-leaf/datacenter.yaml", "examples/three-tier/datacenter.yaml"];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function dcnet(...args: string[]): Run {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/dcnet"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

function expectedFiles(plan: Plan): string[] {
  return [
    "plan.json",
    "summary.md",
    "topology.svg",
    ...plan.devices.filter((d) => d.kind === "node").map((d) => `hosts/${d.name}/bird.conf`),
    ...plan.devices.filter((d) => d.kind === "switch").map((d) => `switches/${d.name}/frr.conf`),
  ].sort();
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /^\s+at .+\(.*:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m, `stack trace printed:\n${text}`);

const INVALID_SPEC = `# several problems at once
name: bad
topology: spineLeaf
asn:
  spine: 65000
  leaves: { from: 65101, to: 65199 }
  nodes: { from: 65201, to: 65299 }
pools:
  podCidr: { cidr: 198.19.0.0/16, prefixLength: 23 }
  loopbacks: 198.18.0.0/24
  fabricLinks: 198.18.0.0/25
switches:
  - { name: spine1, role: spine, id: 1 }
  - { name: leaf1a, role: leaf, id: 3, rack: r1 }
  - { name: leaf1b, role: leaf, id: 4, rack: r9 }
racks:
  - name: r1
    id: 1
    nodeNetwork: 198.18.10.0/24
    nodes:
      - { name: n1, id: 1, address: 198.18.10.11 }
      - { name: n1, id: 2, address: 198.18.10.12 }
`;

describe("dcnet CLI", function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), "dcnet-cli-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const example of EXAMPLES) {
    it(`plan ${example}: writes every file, byte-identical across runs, plan.json complete`, () => {
      const plan = resolve(loadSpecFile(path.join(ROOT, example)));
      const name = path.basename(path.dirname(example));
      const outA = path.join(tmp, `${name}-a`);
      const outB = path.join(tmp, `${name}-b`, "nested");
      const a = dcnet("plan", example, "--out", outA);
      assert.equal(a.status, 0, a.stderr);
      assert.match(a.stdout, /wrote /);
      const b = dcnet("plan", example, "--out", outB);
      assert.equal(b.status, 0, b.stderr);

      // exactly the dcnet files: no secrets file, nothing else (clusters/<cluster>/ is the cluster side's)
      const files = listFiles(outA);
      assert.deepEqual(files.filter((f) => !f.startsWith("clusters/")), expectedFiles(plan));
      for (const f of files.filter((x) => x.startsWith("clusters/")))
        assert.ok(plan.clusters.some((c) => f.startsWith(`clusters/${c.name}/`)), `unexpected file ${f}`);
      assert.deepEqual(listFiles(outB), files);
      for (const f of files) assert.ok(readFileSync(path.join(outA, f)).equals(readFileSync(path.join(outB, f))), `${f} differs between runs`);
      // no temporary folders left beside the output
      assert.deepEqual(readdirSync(path.dirname(outA)).filter((e) => e.includes("dcnet-tmp") || e.includes("dcnet-old")), []);

      const written = JSON.parse(readFileSync(path.join(outA, "plan.json"), "utf8")) as Plan;
      assert.deepEqual(written, JSON.parse(JSON.stringify(plan)));
      assert.deepEqual(written.devices.map((d) => d.name).sort(), plan.devices.map((d) => d.name).sort());
      assert.deepEqual(written.sessions.map((s) => s.id).sort(), plan.sessions.map((s) => s.id).sort());
      assert.ok(readFileSync(path.join(outA, "plan.json"), "utf8").startsWith('{\n  "version": 1,'), "plan.json is pretty-printed");

      // bird.conf includes the secrets file but never holds a password
      for (const f of files.filter((x) => x.endsWith("bird.conf"))) {
        const text = readFileSync(path.join(outA, f), "utf8");
        assert.doesNotMatch(text, /password\s+"/, `${f} holds a password`);
        if (plan.sessions.some((s) => s.passwordRef)) assert.match(text, /include "/, `${f} does not include its secrets file`);
      }
    });
  }

  it("plan replaces a previous output, refuses a folder holding other files unless --force, and keeps them with --force", () => {
    const out = path.join(tmp, "reuse");
    assert.equal(dcnet("plan", EXAMPLES[0], "--out", out).status, 0);
    // a stale device folder disappears when the plan changes
    mkdirSync(path.join(out, "hosts", "gone"), { recursive: true });
    writeFileSync(path.join(out, "hosts", "gone", "bird.conf"), "stale\n");
    const again = dcnet("plan", EXAMPLES[1], "--out", out);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(!existsSync(path.join(out, "hosts", "gone")));
    assert.ok(existsSync(path.join(out, "switches", "core1", "frr.conf")));
    assert.ok(!existsSync(path.join(out, "switches", "spine1")));

    writeFileSync(path.join(out, "notes.txt"), "mine\n");
    const before = readFileSync(path.join(out, "plan.json"));
    const refused = dcnet("plan", EXAMPLES[0], "--out", out);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /notes\.txt/);
    assert.match(refused.stderr, /--force/);
    noStackTrace(refused.stderr);
    assert.ok(readFileSync(path.join(out, "plan.json")).equals(before), "a refused run changed the folder");

    const forced = dcnet("plan", EXAMPLES[0], "--out", out, "--force");
    assert.equal(forced.status, 0, forced.stderr);
    assert.equal(readFileSync(path.join(out, "notes.txt"), "utf8"), "mine\n");
    assert.ok(existsSync(path.join(out, "switches", "spine1", "frr.conf")));
    assert.ok(!existsSync(path.join(out, "switches", "core1")), "dcnet's own stale entries are replaced");

    const file = path.join(tmp, "a-file");
    writeFileSync(file, "x");
    const notDir = dcnet("plan", EXAMPLES[0], "--out", file, "--force");
    assert.equal(notDir.status, 1);
    assert.match(notDir.stderr, /not a folder/);
    noStackTrace(notDir.stderr);
  });

  it("an invalid spec: exit 1, every problem with its path, nothing written, no stack trace", () => {
    const spec = path.join(tmp, "invalid.yaml");
    writeFileSync(spec, INVALID_SPEC);
    const out = path.join(tmp, "invalid-out");
    const r = dcnet("plan", spec, "--out", out);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    for (const expected of [
      /racks\[0\]\.nodes\[1\]\.name: device name "n1" is already used by racks\[0\]\.nodes\[0\]\.name \[duplicate\]/,
      /pools\.fabricLinks: "198\.18\.0\.0\/25" overlaps pools\.loopbacks "198\.18\.0\.0\/24" \[overlap\]/,
      /pools\.podCidr\.prefixLength: .*23.* \[podcidr-length\]/,
      /switches\[2\]\.rack: unknown rack "r9" \[unknown-reference\]/,
    ])
      assert.match(r.stderr, expected);
    assert.match(r.stderr, /spec is invalid \(\d+ problems\)/);
    noStackTrace(r.stderr);
    assert.ok(!existsSync(out), "an invalid spec created the output folder");
    assert.deepEqual(readdirSync(tmp).filter((e) => e.includes("invalid-out")), [], "temporary folder left behind");

    const v = dcnet("validate", spec);
    assert.equal(v.status, 1);
    assert.match(v.stderr, /unknown rack "r9"/);
    noStackTrace(v.stderr);
  });

  it("a spec of the wrong shape: schema errors with their paths", () => {
    const spec = path.join(tmp, "shape.yaml");
    writeFileSync(spec, "name: x\ntopology: spineLeaf\nracks: 5\nbogus: 1\n");
    const r = dcnet("plan", spec, "--out", path.join(tmp, "shape-out"));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^\s*racks: must be array \[schema-type\]$/m);
    assert.match(r.stderr, /\(root\): must NOT have additional properties \("bogus"\) \[schema-additionalProperties\]/);
    assert.match(r.stderr, /\(root\): must have required property 'pools' \[schema-required\]/);
    noStackTrace(r.stderr);
    assert.ok(!existsSync(path.join(tmp, "shape-out")));
  });

  it("a YAML syntax error and a missing file are reported cleanly", () => {
    const spec = path.join(tmp, "syntax.yaml");
    writeFileSync(spec, "name: x\n  racks: [\n");
    const r = dcnet("validate", spec);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /syntax\.yaml: .*line \d+.*\[yaml-syntax\]/);
    noStackTrace(r.stderr);

    const missing = dcnet("plan", path.join(tmp, "nope.yaml"), "--out", path.join(tmp, "nope-out"));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read spec .*nope\.yaml/);
    noStackTrace(missing.stderr);
    assert.ok(!existsSync(path.join(tmp, "nope-out")));
  });

  it("validate prints OK; schema prints the JSON Schema; usage errors exit non-zero", () => {
    const ok = dcnet("validate", EXAMPLES[0]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^OK: dc1 \(spineLeaf\): 3 racks, 12 nodes, 8 switches, 36 BGP sessions$/m);

    const schema = dcnet("schema");
    assert.equal(schema.status, 0);
    const parsed = JSON.parse(schema.stdout) as { $ref?: string };
    assert.equal(parsed.$ref, "#/definitions/DataCenterSpec");
    const where = dcnet("schema", "--path");
    assert.equal(where.stdout.trim(), path.join(ROOT, "schema", "datacenter.schema.json"));
    assert.ok(statSync(where.stdout.trim()).isFile());

    const usage = dcnet("plan", EXAMPLES[0]);
    assert.notEqual(usage.status, 0);
    assert.match(usage.stderr, /--out/);
    noStackTrace(usage.stderr);
  });
});
