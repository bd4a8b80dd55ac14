/**
 * The device launchers built from `ScriptParts` (components/device-apply.ts), without Pulumi: every
 * part runs with PUBLIC=1 (the command's output is not secret, so daemon words that may hold a
 * password stay on the device), the first stdin line unpacks to exactly the parts' shell sources,
 * one per part in order, and the launcher text carries each part's own parameters.
 */
import { strict as assert } from "assert";
import { gunzipSync } from "zlib";
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { bundleLaunchers, launchers, ScriptFiles } from "../components/device-apply";
import { renderBirdApplyScript, renderBirdDeleteScript, renderBirdSecretsApplyScript, renderBirdSecretsDeleteScript } from "../sdk/apply";
import { scriptParts } from "../sdk/apply/shell";

describe("components: device launchers from script parts", () => {
  const t = { device: "r1n1", owner: "p/s/dc-r1n1-bird" };
  const files = ["bgp-nodes.conf"];
  const parts = {
    secrets: renderBirdSecretsApplyScript({ ...t, files }, scriptParts),
    apply: renderBirdApplyScript({ ...t, config: "router id 1.2.3.4;\n", protocols: ["uplink0"], routerId: "1.2.3.4" }, scriptParts),
    del: renderBirdDeleteScript({ ...t, routerId: "1.2.3.4" }, scriptParts),
    secretsDel: renderBirdSecretsDeleteScript({ ...t, files }, scriptParts),
  };
  const l = launchers("r1n1", "install", [{ script: parts.secrets, secretsOnStdin: true }, { script: parts.apply }], [{ script: parts.del }, { script: parts.secretsDel }]);

  it("every part runs with PUBLIC=1, also the secrets parts (rendered with PUBLIC=0 on their own)", () => {
    assert.ok(parts.secrets.params.some(([k, v]) => k === "PUBLIC" && v === 0), "self-check: the secrets script alone is not public");
    for (const text of [l.create, l.delete]) {
      assert.ok(!/^PUBLIC=0$/m.test(text), "no part runs with PUBLIC=0");
      assert.equal(text.match(/^PUBLIC=1$/gm)?.length, 2, "one PUBLIC=1 per part");
    }
  });

  it("the first stdin line unpacks to the parts' bodies in order; the launchers carry each part's parameters", () => {
    const text = gunzipSync(Buffer.from(l.lib.trim(), "base64")).toString("utf8");
    const bodies = [parts.secrets, parts.apply, parts.del, parts.secretsDel].map((p) => p.body);
    const expected = bodies.map((b, i) => `DCNET_P${i + 1}='${b.replace(/'/g, `'\\''`)}'`).join("\n") + "\n";
    assert.equal(text, expected);
    assert.ok(l.create.includes(`EXPECT_SHA256='`) && l.create.includes(`SECRET_FILES='bgp-nodes.conf'`));
    assert.ok(!l.delete.includes("EXPECT_SHA256"), "delete carries only the delete parts' parameters");
  });
});

describe("components: bundle launchers (one script file per kind of device, delivered beforehand)", () => {
  // stand-in bodies that print every parameter a part sees, one per line: the bundle form must
  // give each part exactly what the inline form gives it
  const printer = (names: string[]) => names.map((n) => `printf '%s=%s|\\n' ${n} "\${${n}-<unset>}"`).join("\n");
  const NAMES = ["DEVICE", "PUBLIC", "CONF", "OWNER", "BASELINE", "EXPECT_SHA256", "PROTOCOLS", "SECRET_FILES", "TIMEOUT"];
  const partsOf = (device: string, routerId: string) => {
    const t = { device, owner: `p/s/dc-${device}-bird` };
    const files = ["bgp-nodes.conf"];
    const fake = (p: ReturnType<typeof scriptParts>) => ({ ...p, key: `print-${p.key}`, body: printer(NAMES) });
    return {
      create: [
        { script: fake(renderBirdSecretsApplyScript({ ...t, files }, scriptParts)), secretsOnStdin: true },
        { script: fake(renderBirdApplyScript({ ...t, config: `router id ${routerId};\n`, protocols: ["uplink0", "uplink1"], routerId }, scriptParts)) },
      ],
      del: [{ script: fake(renderBirdDeleteScript({ ...t, routerId }, scriptParts)) }, { script: fake(renderBirdSecretsDeleteScript({ ...t, files }, scriptParts)) }],
    };
  };
  const dir = mkdtempSync(join(tmpdir(), "dcnet-bundle-launchers-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (script: string, input = "") => {
    const r = spawnSync("sh", ["-c", script], { input, encoding: "utf8", env: { PATH: process.env.PATH, DCNET_SECRETS: "payload" } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  it("two nodes share one file; each part sees the same parameters as in the inline form; the launchers hold only the device's own", () => {
    const files = new ScriptFiles();
    const devices: [string, string][] = [["r1n1", "198.18.10.11"], ["r2n7", "198.18.11.17"]];
    const names = new Set<string>();
    for (const [device, routerId] of devices) {
      const p = partsOf(device, routerId);
      const inline = launchers(device, `install ${device}`, p.create, p.del);
      const bundle = bundleLaunchers(device, `install ${device}`, p.create, p.del, [], { files, dir, deliveredBy: "dc-scripts", routerId, use: (_d, f) => names.add(f) });
      assert.equal(bundle.lib, "", "stdin is the config alone");
      for (const [name, text] of files.entries()) writeFileSync(join(dir, `${name}.sh`), text);
      assert.equal(run(bundle.create), run(inline.create, inline.lib), `${device}: create parts see the same parameters`);
      assert.equal(run(bundle.delete), run(inline.delete, inline.lib), `${device}: delete parts see the same parameters`);
      assert.ok(!bundle.create.includes("BASELINE=") && !bundle.create.includes("CONF="), `${device}: baseline (a template) and paths are in the shared file`);
      assert.ok(bundle.create.length < 900, `${device}: short launcher (${bundle.create.length} bytes)`);
    }
    assert.equal(names.size, 1, "one file for both nodes");
  });

  it("a missing or altered file stops the launcher before anything of it runs", () => {
    const files = new ScriptFiles();
    const p = partsOf("r1n1", "198.18.10.11");
    const b = bundleLaunchers("r1n1", "install", p.create, p.del, [], { files, dir, deliveredBy: "dc-scripts", routerId: "198.18.10.11" });
    const [[name, text]] = files.entries();
    const file = join(dir, `${name}.sh`);
    rmSync(file, { force: true });
    let r = spawnSync("sh", ["-c", b.create], { input: "", encoding: "utf8", env: { PATH: process.env.PATH } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /r1n1: .* is missing or altered: dc-scripts installs it/);
    writeFileSync(file, text.replace("dcnet_create() {", "dcnet_create() {\necho altered-ran"));
    r = spawnSync("sh", ["-c", b.create], { input: "", encoding: "utf8", env: { PATH: process.env.PATH } });
    assert.notEqual(r.status, 0);
    assert.ok(!r.stdout.includes("altered-ran"), "the altered file did not run");
    assert.match(r.stderr, /is missing or altered/);
  });
});
