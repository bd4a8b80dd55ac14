/**
 * The refused-spec corpus (test/corpus/refused-specs.yaml): every case is refused with exactly
 * the listed (path, rule) pairs — as `dcnet validate` reports them: loading (size, nesting,
 * syntax, schema), the core rules of resolve(), then the cluster-side rules — and every rule id
 * that sdk/validate, sdk/spec and sdk/k8s can emit is the expected rule of some case.
 */
import { strict as assert } from "assert";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError, SpecProblem } from "../sdk/validate/errors";
import { assertClusterSide, loadClusterInputs } from "../sdk/k8s";
import { DataCenterSpec } from "../sdk/spec/types";
import { applyMutations, Mutation, parsePath, Path } from "./support/fuzz-mutate";

const ROOT = path.resolve(__dirname, "..");
const CORPUS = path.join(__dirname, "corpus", "refused-specs.yaml");

interface CorpusCase {
  name: string;
  base: "spine-leaf" | "three-tier" | "typescript-spec" | "dual-stack" | "dual-stack-unnumbered" | "dual-stack-three-tier" | "dual-stack-v6only-rack" | "none";
  mutations?: ({ set: string | Path; value: unknown } | { delete: string | Path } | { push: string | Path; value: unknown })[];
  text?: string;
  format?: "yaml" | "json";
  directory?: boolean;
  files?: Record<string, string>;
  env?: Record<string, string>;
  /** A file of `bytes` bytes (YAML comment lines) beside the spec. */
  big?: { file: string; bytes: number };
  expect: [string, string][];
}

/**
 * Rules no single spec can trigger through `dcnet validate` (each with the reason); they are
 * still required to exist in the sources, so this list cannot go stale silently.
 */
const UNREACHABLE: Record<string, string> = {
  "mesh-size": "a mesh of more than 255 clusters needs 256 distinct cluster ids, and cluster-id-range allows 1–255",
  "mesh-podcidr-overlap": "the clusters of one spec never overlap (the core overlap rule refuses it first); only cluster-side inputs of several specs can",
  "rendered-object": "a guard over the objects the renderers derive; every name they derive from is checked by its own rule first (the fuzzing suite found no spec reaching it)",
  "policy-entity": "the JSON Schema's enum refuses an unknown entity first (schema-enum); the rule guards component inputs",
  "policy-protocol": "the JSON Schema's enum refuses an unknown protocol first (schema-enum); the rule guards component inputs",
};

/** Rule ids in the sources: `problems.add(path, "rule", …)`, `report…(…, "rule", …)` and `rule: "rule"` literals. */
function ruleIdsInSources(): Map<string, string> {
  const out = new Map<string, string>();
  const dirs = ["sdk/validate", "sdk/spec", "sdk/k8s"];
  for (const dir of dirs)
    for (const f of readdirSync(path.join(ROOT, dir))) {
      if (!f.endsWith(".ts")) continue;
      const text = readFileSync(path.join(ROOT, dir, f), "utf8");
      for (const m of text.matchAll(/(?:\.add|\breport\w*)\([^;]*?,\s*"([a-z0-9]+(?:-[a-z0-9]+)+|[a-z]+)"\s*,/g)) out.set(m[1], `${dir}/${f}`);
      for (const m of text.matchAll(/\brule:\s*"([a-z0-9-]+)"/g)) out.set(m[1], `${dir}/${f}`);
    }
  return out;
}

const asPath = (p: string | Path): Path => (Array.isArray(p) ? p : parsePath(p));

function toMutations(c: CorpusCase): Mutation[] {
  return (c.mutations ?? []).map((m) => {
    if ("delete" in m) return { op: "delete", path: asPath(m.delete) };
    if ("push" in m) return { op: "push", path: asPath(m.push), value: m.value };
    return { op: "set", path: asPath(m.set), value: m.value };
  });
}

/** What `dcnet validate` reports for the case: its problems (or "accepted"). Anything but a SpecError propagates. */
function problemsOf(c: CorpusCase, dir: string): { file: string; problems: SpecProblem[] | "accepted" } {
  const ext = c.format === "json" ? "json" : "yaml";
  const file = path.join(dir, `datacenter.${ext}`);
  let spec: unknown;
  if (c.base === "none") {
    if (c.directory) mkdirSync(file);
    else writeFileSync(file, c.text ?? "");
  } else {
    const exampleDir = path.join(ROOT, "examples", c.base);
    for (const f of readdirSync(exampleDir)) if (/^external-endpoints.*\.ya?ml$/.test(f)) copyFileSync(path.join(exampleDir, f), path.join(dir, f));
    const tree =
      c.base === "typescript-spec"
        ? // eslint-disable-next-line @typescript-eslint/no-require-imports
          (require(path.join(exampleDir, "datacenter.ts")) as { dataCenter: unknown }).dataCenter
        : parse(readFileSync(path.join(exampleDir, "datacenter.yaml"), "utf8"));
    spec = applyMutations(tree, toMutations(c));
    const text = c.format === "json" ? JSON.stringify(spec, null, 2) : stringify(spec, { lineWidth: 0, aliasDuplicateObjects: false });
    writeFileSync(file, text);
  }
  for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(path.join(dir, name), text);
  if (c.big) writeFileSync(path.join(dir, c.big.file), "#".repeat(99).concat("\n").repeat(Math.ceil(c.big.bytes / 100)));
  const saved = Object.fromEntries(Object.keys(c.env ?? {}).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(c.env ?? {})) process.env[k] = v.replace(/\$DIR/g, dir);
  try {
    const loaded = loadSpecFile(file);
    const plan = resolve(loaded);
    assertClusterSide(plan, loadClusterInputs(loaded as DataCenterSpec, dir));
    return { file, problems: "accepted" };
  } catch (e) {
    if (e instanceof SpecError) return { file, problems: e.problems };
    throw e;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("refused-spec corpus (test/corpus/refused-specs.yaml)", function () {
  this.timeout(60_000);
  const cases = parse(readFileSync(CORPUS, "utf8")) as CorpusCase[];
  let work: string;
  before(() => {
    work = mkdtempSync(path.join(tmpdir(), "dcnet-corpus-"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("holds at least 100 cases with distinct names, each expecting at least one problem", () => {
    assert.ok(cases.length >= 100, `${cases.length} cases`);
    const names = cases.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, "distinct names");
    for (const c of cases) assert.ok(Array.isArray(c.expect) && c.expect.length > 0, `${c.name}: expects a problem`);
  });

  it("covers every rule id sdk/validate, sdk/spec and sdk/k8s can emit (or names why a rule cannot be reached)", () => {
    const rules = ruleIdsInSources();
    assert.ok(rules.size > 40, `found only ${rules.size} rule ids: the source scan is broken`);
    const expected = new Set(cases.flatMap((c) => c.expect.map(([, rule]) => rule)));
    const missing = [...rules.keys()].filter((r) => !expected.has(r) && !UNREACHABLE[r] && !r.startsWith("schema"));
    assert.deepEqual(missing.map((r) => `${r} (${rules.get(r)})`), [], "rule ids without a corpus case");
    for (const r of Object.keys(UNREACHABLE)) assert.ok(rules.has(r), `UNREACHABLE lists ${r}, which no source emits any more`);
    for (const r of expected) assert.ok(rules.has(r) || r.startsWith("schema-"), `the corpus expects rule ${r}, which no source emits`);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.expect.map(([p, r]) => `${p} [${r}]`).join(", ")}`, () => {
      const dir = path.join(work, c.name.replace(/[^A-Za-z0-9]+/g, "-"));
      mkdirSync(dir, { recursive: true });
      const { file, problems } = problemsOf(c, dir);
      assert.notEqual(problems, "accepted", "the spec was accepted");
      const got = (problems as SpecProblem[]).map((p) => `${p.path} [${p.rule}]`).sort();
      const want = c.expect.map(([p, r]) => `${p === "$FILE" ? file : p} [${r}]`).sort();
      assert.deepEqual(got, want, (problems as SpecProblem[]).map((p) => `${p.path}: ${p.message} [${p.rule}]`).join("\n"));
    });
  }
});
