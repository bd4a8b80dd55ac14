/**
 * The bundle delivery's installer (`sdk/apply/scripts-install.ts`, `dcnet scripts install -`) on
 * folder-mode devices (local `sh`, no ssh): input parsing with the offending line, files written
 * once and then found, a file damaged in transfer refused, a device that fails does not stop the
 * others and is reported with its own error.
 */
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gzipSync } from "zlib";
import { installScripts, parseScriptsInput } from "../sdk/apply/scripts-install";

const gz = (t: string) => gzipSync(Buffer.from(t, "utf8")).toString("base64");
const nameOf = (t: string) => createHash("sha256").update(t).digest("hex").slice(0, 32);

describe("scripts install: the bundle delivery's installer (folder-mode devices)", function () {
  this.timeout(60000);
  const tmp = mkdtempSync(join(tmpdir(), "dcnet-scripts-install-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const text = "echo one\n";

  it("parses the delivery's lines and names the first bad one", () => {
    const ok = parseScriptsInput([JSON.stringify({ dcnet: "scripts", dir: "/var/lib/dcnet/scripts" }), JSON.stringify({ file: nameOf(text), gz: gz(text) }), JSON.stringify({ device: "r1n1", files: [0], dir: "/x" })].join("\n") + "\n");
    assert.equal(ok.files.length, 1);
    assert.deepEqual(ok.devices.map((d) => d.device), ["r1n1"]);
    assert.throws(() => parseScriptsInput('{"dcnet":"other"}\n'), /line 1: not the scripts delivery's header/);
    assert.throws(() => parseScriptsInput('{"dcnet":"scripts","dir":"/d"}\n{"device":"r1n1","files":[0]}\n'), /line 2: device "r1n1" names file 0, which no earlier line holds/);
    assert.throws(() => parseScriptsInput('{"dcnet":"scripts","dir":"/d"}\nnot json\n'), /line 2: not JSON/);
    assert.throws(() => parseScriptsInput('{"dcnet":"scripts","dir":"/d"}\n{"file":"zz","gz":""}\n'), /line 2: file name "zz" is not 32 hex digits/);
  });

  it("writes each file once (a second run finds it), refuses a damaged one, reports a failing device without stopping the others", async () => {
    const files = [{ file: nameOf(text), gz: gz(text) }];
    const good = join(tmp, "a/var/lib/dcnet/scripts");
    const input = { dir: "/unused", files, devices: [{ device: "a", files: [0], dir: good }, { device: "b", files: [0], dir: "/proc/dcnet-cannot-exist" }] };
    const r1 = await installScripts(input);
    assert.equal(r1.ok, false);
    assert.deepEqual(r1.devices.map((d) => [d.device, d.ok, d.written]), [["a", true, 1], ["b", false, 0]]);
    assert.match(r1.devices[1].problem!, /mkdir|cannot create|No such file|Permission/i, "b's own error");
    assert.equal(readFileSync(join(good, `${nameOf(text)}.sh`), "utf8"), text);
    const r2 = await installScripts({ ...input, devices: [input.devices[0]] });
    assert.deepEqual(r2.devices.map((d) => [d.written, d.present]), [[0, 1]], "a second run writes nothing");
    const damaged = await installScripts({ dir: "/unused", files: [{ file: nameOf(text), gz: gz("echo other\n") }], devices: [{ device: "c", files: [0], dir: join(tmp, "c") }] });
    assert.equal(damaged.ok, false);
    assert.match(damaged.devices[0].problem!, /c: script file [0-9a-f]{32} arrived damaged/);
    assert.ok(!existsSync(join(tmp, "c", `${nameOf(text)}.sh`)), "nothing installed");
  });
});
