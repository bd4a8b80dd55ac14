/**
 * Hardening of the core (issue 10, defects 5–8): hostile or broken specs give `path: message
 * [rule]` problems with quoted values, never a crash, a garbled terminal, a hang or an OOM.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { validate } from "../sdk/validate/validate";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError, formatProblems, quote, listCapped } from "../sdk/validate/errors";
import { loadSpecFile } from "../sdk/spec/load";
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
