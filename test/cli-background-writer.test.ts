/**
 * From `BACKGROUND_MIN_FILES` files on, `writeOutputDir` has a worker thread make the folders and
 * write the small files while the main thread renders the next: the same bytes, and an error on
 * either thread (the worker's file system, a renderer's refusal) leaves no output and no
 * temporary folder, reported as the synchronous write would have been.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import { BACKGROUND_MIN_FILES, OutputFile, writeOutputDir } from "../sdk/cli/output";
import { UserError } from "../sdk/cli/errors";

/** A switch config and plan.json (written on the main thread), then `count` host files (a folder each, the text telling its index). */
function manyFiles(count: number, refuse?: number): OutputFile[] {
  // slow ones first: the hosts after them are the last handed to the worker
  const files: OutputFile[] = [
    { path: "switches/s1/frr.conf", text: "switch\n", slow: true },
    { path: "plan.json", text: "{}\n", chunks: () => ["{", "}\n"] },
  ];
  for (let i = 0; i < count; i++)
    files.push({
      path: `hosts/n${i}/bird.conf`,
      get text() {
        if (i === refuse) throw new UserError(`cannot render hosts/n${i}/bird.conf: refused`);
        return `node ${i} ${"·".repeat(i % 7)}\n`;
      },
    });
  return files;
}

describe("dcnet plan: many files written by a worker thread", () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(tmpdir(), "dcnet-bg-"))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it("writes every folder and file, byte for byte, and counts each file", () => {
    const count = BACKGROUND_MIN_FILES + 700;
    const out = path.join(tmp, "out");
    let counted = 0;
    writeOutputDir(out, manyFiles(count), { onFile: (done) => (counted = done) });
    assert.equal(counted, count + 2);
    assert.equal(readdirSync(path.join(out, "hosts")).length, count);
    for (let i = 0; i < count; i++) assert.equal(readFileSync(path.join(out, `hosts/n${i}/bird.conf`), "utf8"), `node ${i} ${"·".repeat(i % 7)}\n`);
    assert.equal(readFileSync(path.join(out, "plan.json"), "utf8"), "{}\n");
    assert.equal(readFileSync(path.join(out, "switches/s1/frr.conf"), "utf8"), "switch\n");
  });

  it("a file-system error on the worker is the user's 'cannot write', and leaves nothing", () => {
    const files = manyFiles(BACKGROUND_MIN_FILES + 10);
    files[1502] = { path: `hosts/${"x".repeat(300)}/bird.conf`, text: "too long a name\n" }; // ENAMETOOLONG at its mkdir
    const out = path.join(tmp, "out");
    assert.throws(
      () => writeOutputDir(out, files),
      (e: Error) => e instanceof UserError && /cannot write .*out: ENAMETOOLONG/.test(e.message),
    );
    assert.ok(!existsSync(out));
    assert.deepEqual(readdirSync(tmp), []);
  });

  it("a renderer's refusal while the worker writes leaves nothing either", () => {
    const out = path.join(tmp, "out");
    assert.throws(() => writeOutputDir(out, manyFiles(BACKGROUND_MIN_FILES + 500, BACKGROUND_MIN_FILES + 100)), /cannot render hosts\/n2100\/bird\.conf/);
    assert.ok(!existsSync(out));
    assert.deepEqual(readdirSync(tmp), []);
  });
});
