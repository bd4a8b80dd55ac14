/**
 * `dcnet plan` renders each file as it writes it (`planOutputFiles`): the same files as
 * `renderPlanFiles`, nothing rendered before it is written, and a renderer's refusal half-way
 * leaves no trace (no output folder, no temporary folder, no parent folder it created).
 */
import { strict as assert } from "assert";
import * as path from "path";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { Plan } from "../sdk/plan/types";
import { joinedInPieces, planOutputFiles, renderPlanFiles, writeOutputDir } from "../sdk/cli/output";
import * as fc from "fast-check";
import { UserError } from "../sdk/cli/errors";

const plan = () => resolve(loadSpecFile(path.join(__dirname, "..", "examples", "spine-leaf", "datacenter.yaml")));

describe("dcnet plan: files rendered as they are written", () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(tmpdir(), "dcnet-stream-"))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it("planOutputFiles() gives the paths and texts of renderPlanFiles(), in the same order, and writeOutputDir writes them", () => {
    const p = plan();
    const eager = renderPlanFiles(p);
    const lazy = planOutputFiles(p);
    assert.deepEqual(
      lazy.map((f) => f.path),
      eager.map((f) => f.path),
    );
    lazy.forEach((f, i) => assert.equal(f.text, eager[i].text, f.path));
    const out = path.join(tmp, "out");
    writeOutputDir(out, lazy);
    for (const f of eager) assert.equal(readFileSync(path.join(out, f.path), "utf8"), f.text, f.path);
  });

  it("summary.md and topology.svg are written in pieces of their lines, equal to the joined lines", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), (lines, per) => {
        assert.equal([...joinedInPieces(lines, "\n", per)].join(""), lines.join("\n"));
      }),
      { numRuns: 500 },
    );
    const files = planOutputFiles(plan());
    for (const name of ["summary.md", "topology.svg"]) {
      const f = files.find((x) => x.path === name)!;
      assert.ok(f.chunks, `${name} has pieces`);
      assert.equal([...f.chunks()].join(""), f.text, name);
    }
  });

  it("a file in pieces is written byte for byte: multi-byte characters, pieces larger than the write buffer, many small ones", () => {
    const pieces = fc.oneof(
      fc.string({ unit: "binary", maxLength: 50 }),
      fc.constantFrom("↔", "·", "–", "😀", "€".repeat(700_001), "a".repeat(2_100_000), "x↔".repeat(400_000)),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (chunks) => {
        const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}`);
        writeOutputDir(out, [{ path: "plan.json", text: chunks.join(""), chunks: () => chunks }]);
        assert.ok(readFileSync(path.join(out, "plan.json")).equals(Buffer.from(chunks.join(""), "utf8")));
        rmSync(out, { recursive: true });
      }),
      { numRuns: 60 },
    );
  });

  it("nothing is rendered before it is written: a refusal while writing is thrown there, and leaves no folder behind", () => {
    const p = JSON.parse(JSON.stringify(plan())) as Plan;
    const node = p.devices.filter((d) => d.kind === "node").at(-1)!.name;
    p.sessions.find((s) => s.a.device === node)!.id += "\u001b"; // bird.conf refuses it
    const files = planOutputFiles(p); // no throw: nothing is rendered yet
    const parent = path.join(tmp, "new", "deeper");
    const heard: number[] = [];
    assert.throws(
      () => writeOutputDir(path.join(parent, "out"), files, { onFile: (done) => heard.push(done) }),
      (e: Error) => e instanceof UserError && /cannot render hosts\/.+\/bird\.conf/.test(e.message),
    );
    assert.ok(heard.length > 0, "the refusal came after other files were written");
    assert.ok(!existsSync(path.join(tmp, "new")), "the parent folders made for the output were left behind");
    assert.deepEqual(readdirSync(tmp), []);
  });

  it("a refusal keeps a parent folder that was already there, and the previous output in it", () => {
    const p = plan();
    const out = path.join(tmp, "out");
    writeOutputDir(out, planOutputFiles(p));
    const before = readFileSync(path.join(out, "plan.json"), "utf8");
    const bad = JSON.parse(JSON.stringify(p)) as Plan;
    const node = bad.devices.find((d) => d.kind === "node")!.name;
    bad.sessions.find((s) => s.a.device === node)!.id += "\u001b";
    assert.throws(() => writeOutputDir(out, planOutputFiles(bad)), /cannot render/);
    assert.equal(readFileSync(path.join(out, "plan.json"), "utf8"), before);
    assert.deepEqual(readdirSync(tmp), ["out"]);
  });
});
