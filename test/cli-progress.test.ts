/**
 * Progress of `dcnet plan` on a large spec: resolve() says when validation is done, rendering
 * counts the devices, and `progress()` prints them once a step runs for a few seconds (at once
 * on a terminal).
 */
import { strict as assert } from "assert";
import * as path from "path";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { planOutputFiles, renderConfigFiles, renderPlanFiles, writeOutputDir } from "../sdk/cli/output";
import { progress } from "../sdk/cli/progress";
import { SpecError } from "../sdk/validate/errors";

const spec = () => loadSpecFile(path.join(__dirname, "..", "examples", "spine-leaf", "datacenter.yaml"));

/** A stream and clock to watch `progress()` with. */
function fake(tty: boolean) {
  const lines: string[] = [];
  let t = 0;
  const stream = { isTTY: tty, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
  return { lines, stream, tick: (ms: number) => (t += ms), now: () => t };
}

describe("dcnet plan progress", () => {
  it("resolve() reports when validation is done, and not for an invalid spec", () => {
    const heard: string[] = [];
    resolve(spec(), { progress: (w) => heard.push(w) });
    assert.deepEqual(heard, ["validated; resolving"]);
    const bad = spec();
    bad.racks[0].nodes[1].address = bad.racks[0].nodes[0].address;
    heard.length = 0;
    assert.throws(() => resolve(bad, { progress: (w) => heard.push(w) }), SpecError);
    assert.deepEqual(heard, []);
  });

  it("renderConfigFiles() counts every device up to the total, the total last", () => {
    const plan = resolve(spec());
    const seen: [number, number][] = [];
    const steps: string[] = [];
    renderConfigFiles(plan, { onDevice: (done, total) => seen.push([done, total]), onStep: (w) => steps.push(`${w} after ${seen.length}`) });
    assert.equal(seen.length, plan.devices.length + 1);
    seen.forEach(([done, total], i) => assert.deepEqual([done, total], [i, plan.devices.length]));
    assert.deepEqual(steps, [`rendering summary.md and topology.svg after ${plan.devices.length + 1}`]);
  });

  it("writeOutputDir says when it starts a file written in pieces (plan.json), after the files before it", () => {
    const plan = resolve(spec());
    const tmp = mkdtempSync(path.join(tmpdir(), "dcnet-progress-"));
    try {
      const heard: string[] = [];
      const files = renderPlanFiles(plan);
      writeOutputDir(path.join(tmp, "out"), files, { onFile: (done) => heard.push(`${done}`), onStep: (w) => heard.push(w) });
      const at = files.findIndex((f) => f.path === "plan.json");
      assert.deepEqual(heard.slice(at, at + 2), ["writing plan.json", `${at + 1}`]);
      assert.equal(heard.length, files.length + 1);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("with files rendered as written (planOutputFiles), writeOutputDir says when it starts each slow one: plan.json, summary.md, topology.svg", () => {
    const plan = resolve(spec());
    const tmp = mkdtempSync(path.join(tmpdir(), "dcnet-progress-"));
    try {
      const heard: string[] = [];
      const files = planOutputFiles(plan);
      writeOutputDir(path.join(tmp, "out"), files, { onFile: (done) => heard.push(`${done}`), onStep: (w) => heard.push(w) });
      const steps = heard.filter((h) => !/^\d+$/.test(h));
      assert.deepEqual(steps, ["writing plan.json", "writing summary.md", "writing topology.svg"]);
      for (const name of ["plan.json", "summary.md", "topology.svg"]) {
        const at = heard.indexOf(`writing ${name}`);
        assert.equal(heard[at + 1], `${files.findIndex((f) => f.path === name) + 1}`, `${name} written right after its line`);
      }
      assert.equal(heard.length, files.length + 3);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("a log sees nothing for 3 s, then a counter line every 10 s and the total; a terminal at once, rewritten in place", () => {
    const log = fake(false);
    const p = progress({ stream: log.stream, now: log.now });
    p.step("resolving");
    p.count("rendered devices", 1, 100);
    assert.deepEqual(log.lines, [], "quiet for the first 3 s");
    log.tick(3000);
    p.count("rendered devices", 2, 100);
    log.tick(5000);
    p.count("rendered devices", 3, 100);
    log.tick(5000);
    p.count("rendered devices", 4, 100);
    p.count("rendered devices", 100, 100);
    p.step("writing");
    assert.deepEqual(log.lines, ["dcnet: rendered devices 4/100 (13.0 s)\n", "dcnet: rendered devices 100/100 (13.0 s)\n", "dcnet: writing (13.0 s)\n"]);
    const term = fake(true);
    const q = progress({ stream: term.stream, now: term.now });
    q.step("resolving");
    term.tick(1000);
    q.count("rendered devices", 1, 2);
    q.count("rendered devices", 2, 2);
    assert.deepEqual(term.lines, ["dcnet: resolving (0.0 s)\n", "dcnet: rendered devices 1/2 (1.0 s)", "\r\x1b[Kdcnet: rendered devices 2/2 (1.0 s)\n"]);
  });
});
