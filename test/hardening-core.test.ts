/**
 * Hardening of the core (issue 10, defects 5–8): hostile or broken specs give `path: message
 * [rule]` problems with quoted values, never a crash, a garbled terminal, a hang or an OOM.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { validate } from "../sdk/validate/validate";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError, formatProblems, quote, listCapped } from "../sdk/validate/errors";
import { loadSpecFile, nestingProblem, parseSpecText } from "../sdk/spec/load";
import { OutputFile, planJsonFile, writeOutputDir } from "../sdk/cli/output";
import { renderSummary } from "../sdk/render/summary";
import { renderTopologySvg } from "../sdk/render/topology-svg";
import { renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { Plan } from "../sdk/plan/types";
import { DataCenterSpec } from "../sdk/spec/types";
import { addressProblem, prefixProblem } from "../sdk/net/prefix";
import { bigThreeTierL4lbSpec } from "../bench/big-spec";

const examples = path.join(__dirname, "..", "examples");
const spineLeaf = (): DataCenterSpec => loadSpecFile(path.join(examples, "spine-leaf", "datacenter.yaml"));

/** Characters that must never reach a problem line raw: they split lines or drive a terminal. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Every line of the formatted problems is one `  path: message [rule]` line without control characters. */
function assertCleanLines(problems: ReturnType<typeof validate>): string[] {
  const text = formatProblems(problems);
  const lines = text.split("\n");
  assert.equal(lines.length, problems.length + 1, `a problem spans several lines:\n${text}`);
  for (const l of lines) assert.doesNotMatch(l, UNSAFE, `control character in ${JSON.stringify(l)}`);
  for (const l of lines.slice(1)) assert.match(l, /^ {2}\S.*: .* \[[A-Za-z0-9-]+\]$/);
  return lines;
}

describe("hardening: forged or garbled output (defect 5)", () => {
  it("quote() gives the JSON string form, escapes every control character and cuts long values", () => {
    assert.equal(quote("r1n1"), '"r1n1"');
    assert.equal(quote('a"b\\c\nd\u001b[31m'), '"a\\"b\\\\c\\nd\\u001b[31m"');
    assert.equal(quote("\u2028\u0085\u202e"), '"\\u2028\\u0085\\u202e"');
    assert.equal(quote(42), "42");
    const long = quote("x".repeat(10_000));
    assert.ok(long.length < 120 && long.endsWith("… (10000 characters)"), long);
  });

  it("formatProblems neutralizes control characters in path, message and rule (last line of defense)", () => {
    const text = formatProblems([{ path: "a\nb", message: "evil\u001b[2J\r\nforged: line [x]", rule: "r\n" }]);
    assert.equal(text.split("\n").length, 2, text);
    for (const line of text.split("\n")) assert.doesNotMatch(line, UNSAFE);
    assert.match(text, /a\\u000ab: evil\\u001b\[2J\\u000d\\u000aforged: line \[x\] \[r\\u000a\]/);
  });

  it("formatProblems prints at most 1000 problems and counts the rest", () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ path: `racks[${i}].id`, rule: "id-range", message: "m" }));
    const lines = formatProblems(many).split("\n");
    assert.equal(lines.length, 1002);
    assert.equal(lines[0], "spec is invalid (5000 problems):");
    assert.equal(lines[1001], "  … and 4,000 more problems (SpecError.problems holds all)");
  });

  it("the CLI escapes control characters in a file name it cannot read (no escape sequence reaches the terminal)", function () {
    this.timeout(60_000);
    const r = dcnet("validate", "/nonexistent/\u001b[2Jspec\n.yaml");
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /\u001b/);
    assert.match(r.stderr, /\\u001b\[2Jspec\\u000a\.yaml/);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  });

  it("a value with a newline or an ANSI sequence is quoted in the message, one line per problem", () => {
    const spec = spineLeaf();
    spec.switches[2].rack = "r9\n  switches[0].name: forged problem [duplicate]";
    spec.racks[0].nodes[0].address = "198.18.10.11\u001b[2J";
    spec.pools.vips![0].cluster = "nowhere\u0007";
    const problems = validate(spec);
    const lines = assertCleanLines(problems);
    assert.ok(lines.some((l) => l.includes('unknown rack "r9\\n  switches[0].name: forged problem [duplicate]"')), lines.join("\n"));
    assert.ok(lines.some((l) => l.includes('"198.18.10.11\\u001b[2J" is not a valid IPv4 or IPv6 address')), lines.join("\n"));
    assert.ok(lines.some((l) => l.includes('unknown cluster "nowhere\\u0007"')), lines.join("\n"));
    assert.ok(!lines.some((l) => l.startsWith("  switches[0].name: forged")));
  });

  it("a schema error names an unknown key quoted, and a path through a hostile key stays one line", () => {
    const spec = spineLeaf() as unknown as Record<string, unknown>;
    spec["evil\nkey"] = 1;
    const problems = validate(spec);
    assertCleanLines(problems);
    assert.ok(problems.some((p) => p.rule === "schema-additionalProperties" && p.message.includes('"evil\\nkey"')), JSON.stringify(problems));
  });

  for (const [what, name] of [
    ["a newline", "dc1\nmalicious"],
    ["an ANSI escape", "dc1\u001b[31m"],
    ["XML markup", "dc1</title><script>"],
    ["10 MB of text", "x".repeat(10 * 1024 * 1024)],
    ["an empty string", ""],
  ] as const) {
    it(`the data center name with ${what} is refused (schema pattern and length), quoted and cut`, () => {
      const spec = spineLeaf();
      spec.name = name;
      const problems = validate(spec);
      assert.ok(problems.some((p) => p.path === "name"), JSON.stringify(problems).slice(0, 500));
      const text = formatProblems(problems);
      assertCleanLines(problems);
      assert.ok(text.length < 2000, `message of ${text.length} characters`);
      assert.throws(() => resolve(spec), SpecError);
    });
  }

  it("the name-format rule also refuses a bad data center name (semantic rule, beside the schema)", () => {
    const spec = spineLeaf();
    spec.name = "DC 1";
    const problems = validate(spec);
    assert.ok(problems.some((p) => p.path === "name" && p.rule.startsWith("schema-pattern")), JSON.stringify(problems));
  });
});

describe("hardening: zone ids are refused, never a crash (defect 6)", () => {
  it("prefixProblem and addressProblem refuse a zone id", () => {
    assert.match(prefixProblem("2001:db8::%eth0/64")!, /not a valid/);
    assert.match(addressProblem("2001:db8:10::11%eth0")!, /zone id/);
    assert.match(addressProblem("fe80::1%1")!, /zone id/);
    assert.match(prefixProblem("10.0.0.0/024")!, /not a valid prefix/); // a length with a leading zero
    assert.equal(prefixProblem("2001:db8::/64"), undefined);
    assert.equal(addressProblem("2001:db8::1"), undefined);
  });

  it("a pool with a zone id is a prefix-invalid problem, not an internal error", () => {
    const spec = spineLeaf();
    spec.pools.loopbacks = "2001:db8::%eth0/64";
    const problems = validate(spec);
    assert.ok(problems.some((p) => p.path === "pools.loopbacks" && p.rule === "prefix-invalid"), JSON.stringify(problems));
    assert.throws(() => resolve(spec), SpecError);
  });

  it("a node address with a zone id is refused (it reached bird.conf and frr.conf)", () => {
    const spec = spineLeaf();
    spec.racks[0].nodes[0].address = "198.18.10.11%eth0";
    const v6 = spineLeaf();
    v6.racks[0].nodeNetwork = "2001:db8:10::/64";
    v6.racks[0].nodes.forEach((n, i) => (n.address = `2001:db8:10::${11 + i}`));
    v6.racks[0].nodes[0].address = "2001:db8:10::11%eth0";
    for (const s of [spec, v6]) {
      const problems = validate(s).filter((p) => p.path === "racks[0].nodes[0].address");
      assert.ok(problems.some((p) => p.rule === "address-invalid" && /zone id/.test(p.message)), JSON.stringify(problems));
    }
  });
});

describe("hardening: one address however it is written (go further)", () => {
  it("two nodes or two loopbacks with the same IPv6 address in different spellings are duplicates", () => {
    const spec = spineLeaf();
    spec.racks[0].nodeNetwork = "2001:db8:10::/64";
    spec.racks[0].nodes.forEach((n, i) => (n.address = `2001:db8:10::${11 + i}`));
    spec.racks[0].nodes[1].address = "2001:DB8:10:0::11";
    spec.switches[0].loopback = "2001:db8:ff::1";
    spec.switches[1].loopback = "2001:DB8:FF:0:0::1";
    const problems = validate(spec).filter((p) => p.rule === "duplicate");
    assert.deepEqual(
      problems.map((p) => [p.path, p.message]),
      [
        ["switches[1].loopback", 'loopback "2001:DB8:FF:0:0::1" is already used by switches[0]'],
        ["racks[0].nodes[1].address", 'address "2001:DB8:10:0::11" is already used by racks[0].nodes[0].address'],
      ],
    );
  });
});

describe("hardening: quadratic validation (defect 8)", () => {
  it("ECMP check on 20,000 announcers of one pool is fast and its message is capped", function () {
    this.timeout(60_000);
    const spec = bigThreeTierL4lbSpec(20_000);
    const t0 = Date.now();
    const problems = validate(spec);
    const ms = Date.now() - t0;
    const ecmp = problems.filter((p) => p.rule === "ecmp-limit");
    assert.equal(ecmp.length, 2, JSON.stringify(problems).slice(0, 1000));
    for (const p of ecmp) {
      assert.match(p.message, /announced by 20,000 nodes \("r1n1", .* and 19,990 more\) to "core[12]"/);
      assert.ok(p.message.length < 400, `message of ${p.message.length} characters`);
    }
    // was ~50 s (quadratic); linear takes well under 5 s even on a loaded CI machine
    assert.ok(ms < 15_000, `validate took ${ms} ms`);
  });

  it("thousands of identical rack networks and PodCIDR pins: one overlap problem each, not one per pair", function () {
    this.timeout(60_000);
    const spec = bigThreeTierL4lbSpec(6400); // 100 racks
    spec.pools.vips = [];
    for (const r of spec.racks) r.nodeNetwork = spec.racks[0].nodeNetwork;
    for (const r of spec.racks) for (const n of r.nodes) n.podCIDR = "10.0.0.0/25";
    const t0 = Date.now();
    const problems = validate(spec);
    assert.ok(Date.now() - t0 < 15_000);
    const rackOverlaps = problems.filter((p) => p.rule === "overlap" && /^racks\[\d+\]\.nodeNetwork$/.test(p.path));
    assert.equal(rackOverlaps.length, 99);
    assert.match(rackOverlaps[98].message, /overlaps racks\[0\]\.nodeNetwork "172\.16\.0\.0\/25" \(and 98 more\)/);
    const podOverlaps = problems.filter((p) => p.rule === "overlap" && p.path.endsWith(".podCIDR"));
    assert.equal(podOverlaps.length, 6399); // 20 million pairs before
    assert.match(podOverlaps[0].message, /overlaps racks\[0\]\.nodes\[0\]\.podCIDR "10\.0\.0\.0\/25" \(and 6,398 more\)/);
  });

  it("listCapped names the first items and counts the rest", () => {
    assert.equal(listCapped(["a", "b"]), "a, b");
    assert.equal(listCapped(Array.from({ length: 40_000 }, (_, i) => `n${i}`)), "n0, n1, n2, n3, n4, n5, n6, n7, n8, n9 and 39,990 more");
  });
});

/** The SpecError problems a call throws (fails when it throws anything else, or nothing). */
function problemsThrown(f: () => unknown): { path: string; rule: string; message: string }[] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected a SpecError, got ${(e as Error)?.stack ?? String(e)}`);
    return e.problems;
  }
  assert.fail("expected a SpecError, nothing was thrown");
}

const ROOT = path.resolve(__dirname, "..");
function dcnet(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin/dcnet"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("hardening: unbounded input (defect 7)", () => {
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(tmpdir(), "dcnet-hardening-"))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("10 MB of '{[' is refused by the nesting scan before the YAML parser runs, in well under a second", function () {
    this.timeout(30_000);
    const file = path.join(tmp, "bomb.yaml");
    writeFileSync(file, "{[".repeat(5 * 1024 * 1024));
    const t0 = Date.now();
    const problems = problemsThrown(() => loadSpecFile(file));
    assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`); // was a V8 out-of-memory abort after ~40 s
    assert.deepEqual(problems.map((p) => [p.path, p.rule]), [[file, "spec-too-deep"]]);
    assert.match(problems[0].message, /nests deeper than 100 levels \(line 1\)/);
  });

  it("deep block nesting (indentation) and deep JSON are refused the same way", () => {
    let block = "";
    for (let i = 0; i < 3000; i++) block += `${" ".repeat(i)}a:\n`;
    assert.equal(problemsThrown(() => parseSpecText(block))[0].rule, "spec-too-deep");
    assert.equal(problemsThrown(() => parseSpecText("[".repeat(200) + "]".repeat(200), "x.json"))[0].rule, "spec-too-deep");
    let seq = "";
    for (let i = 0; i < 200; i++) seq += "- ".repeat(i) + "x\n";
    assert.equal(nestingProblem(seq) !== undefined, true);
  });

  it("the bundled examples nest far below the limit", () => {
    for (const f of ["spine-leaf/datacenter.yaml", "three-tier/datacenter.yaml"]) assert.equal(nestingProblem(readFileSync(path.join(examples, f), "utf8"), 20), undefined, f);
  });

  it("a file over the size limit is refused before it is read (option and DCNET_MAX_SPEC_BYTES)", () => {
    const file = path.join(tmp, "big.yaml");
    writeFileSync(file, `name: dc1\n# ${"x".repeat(4096)}\n`);
    const p = problemsThrown(() => loadSpecFile(file, { maxBytes: 1024 }));
    assert.deepEqual(p.map((x) => x.rule), ["spec-too-large"]);
    assert.match(p[0].message, /more than the limit of 1024 bytes/);
    const saved = process.env.DCNET_MAX_SPEC_BYTES;
    process.env.DCNET_MAX_SPEC_BYTES = "2048";
    try {
      assert.deepEqual(problemsThrown(() => loadSpecFile(file)).map((x) => x.rule), ["spec-too-large"]);
      assert.deepEqual(problemsThrown(() => parseSpecText("a: 1\n".repeat(1000))).map((x) => x.rule), ["spec-too-large"]);
    } finally {
      if (saved === undefined) delete process.env.DCNET_MAX_SPEC_BYTES;
      else process.env.DCNET_MAX_SPEC_BYTES = saved;
    }
  });

  it("a YAML alias bomb is refused by the alias limit", function () {
    this.timeout(10_000);
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) levels.push(`${"abcdefghij"[i]}: &${"abcdefghij"[i]} [${Array(10).fill(`*${"abcdefghij"[i - 1]}`).join(", ")}]`);
    const p = problemsThrown(() => parseSpecText(levels.join("\n") + "\n"));
    assert.deepEqual(p.map((x) => x.rule), ["yaml-syntax"]);
    assert.match(p[0].message, /alias/i);
  });

  it("a key twice in one JSON object is refused with its path, as the YAML parser refuses it (JSON.parse keeps the last)", () => {
    const p = problemsThrown(() => parseSpecText('{"racks": [{"id": 1}, {"nodes": [{"name": "a",\n "n\\u0061me": "b"}]}]}', "spec.json"));
    assert.deepEqual(p.map((x) => [x.path, x.rule]), [["racks[1].nodes[0].name", "duplicate-key"]]);
    assert.match(p[0].message, /key "name" appears twice in one object \(line 2 of "spec.json"\)/);
    assert.equal(problemsThrown(() => parseSpecText("name: a\nname: b\n"))[0].rule, "yaml-syntax");
    assert.deepEqual(parseSpecText('{"a": {"x": 1}, "b": {"x": 1}, "c": "\\"x\\":", "d": ["a", "a"]}', "ok.json"), { a: { x: 1 }, b: { x: 1 }, c: '"x":', d: ["a", "a"] });
  });

  it("a JSON syntax error is one json-syntax problem", () => {
    const p = problemsThrown(() => parseSpecText('{"name": "dc1",\n "x": }', "spec.json"));
    assert.deepEqual(p.map((x) => [x.path, x.rule]), [["spec.json", "json-syntax"]]);
  });

  it("dcnet validate on the bomb: exit 1, one problem line, no stack trace", function () {
    this.timeout(60_000);
    const file = path.join(tmp, "bomb2.yaml");
    writeFileSync(file, "{[".repeat(1024 * 1024));
    const r = dcnet("validate", file);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /spec-too-deep/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});

describe("hardening: large plans are written, not crashed on (defect 6)", () => {
  const plan = () => resolve(spineLeaf());

  it("plan.json comes in pieces equal to JSON.stringify, and writeOutputDir writes the pieces, never one string", () => {
    const p = plan();
    const file = planJsonFile(p);
    assert.equal([...file.chunks!()].join(""), JSON.stringify(p, null, 2) + "\n");
    const tmp = mkdtempSync(path.join(tmpdir(), "dcnet-chunks-"));
    try {
      // a file whose text cannot be built (as plan.json of a 100,000-node data center): only its pieces exist
      const huge: OutputFile = {
        path: "plan.json",
        chunks: file.chunks,
        get text(): string {
          throw new RangeError("Invalid string length");
        },
      };
      writeOutputDir(path.join(tmp, "out"), [huge]);
      assert.equal(readFileSync(path.join(tmp, "out", "plan.json"), "utf8"), JSON.stringify(p, null, 2) + "\n");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("two files with the same path are refused before anything is written", () => {
    const tmp = mkdtempSync(path.join(tmpdir(), "dcnet-dup-"));
    try {
      const files = [
        { path: "clusters/c/a.yaml", text: "1" },
        { path: "clusters/c/A.yaml", text: "2" },
      ];
      assert.throws(() => writeOutputDir(path.join(tmp, "out"), files), /two output files would be written to "clusters\/c\/A.yaml"/);
      assert.throws(() => readFileSync(path.join(tmp, "out", "clusters", "c", "a.yaml")));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("summary.md and topology.svg render 250,000 sessions (spreading rows into push() overflowed the stack)", function () {
    this.timeout(120_000);
    const p = plan();
    const many: Plan = { ...p, sessions: Array.from({ length: 250_000 }, (_, i) => p.sessions[i % p.sessions.length]) };
    const md = renderSummary(many);
    assert.ok(md.split("\n").length > 250_000);
    assert.ok(renderTopologySvg(many).length > 250_000);
  });
});

describe("hardening: renderers escape control characters (defect 5)", () => {
  it("topology.svg stays legal XML 1.0 and summary.md one line per row whatever a plan holds", () => {
    const p = JSON.parse(JSON.stringify(resolve(spineLeaf()))) as Plan;
    p.name = "dc1\u0000\u001b[31m\n</svg>";
    const svg = renderTopologySvg(p);
    assert.doesNotMatch(svg, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/, "control character in the SVG");
    assert.ok(!svg.includes("</svg>\n") || svg.indexOf("</svg>") === svg.lastIndexOf("</svg>"));
    assert.ok(svg.includes("dc1\\u0000\\u001b[31m\\u000a&lt;/svg&gt;"));
    const md = renderSummary(p);
    assert.doesNotMatch(md, /[\u0000-\u0009\u000b-\u001f]/);
  });

  it("bird.conf refuses a control character in a string instead of writing it, and never shows a password", () => {
    const p = JSON.parse(JSON.stringify(resolve(spineLeaf()))) as Plan;
    const node = p.devices.find((d) => d.kind === "node")!.name;
    const s = p.sessions.find((x) => x.a.device === node)!;
    s.id = `${s.id}\u001b`;
    assert.throws(() => renderBirdConfig(p, node), /cannot be written as a BIRD string/);
    const plan = resolve(spineLeaf());
    const ref = plan.sessions.find((x) => x.a.device === node)!.passwordRef!;
    assert.throws(
      () => renderBirdSecrets(plan, node, { [ref]: 'sEcReT"\n' }),
      (e: Error) => !e.message.includes("sEcReT"), // refused, without the password in the message
    );
  });
});
