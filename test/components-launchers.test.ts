/**
 * The device launchers built from `ScriptParts` (components/device-apply.ts), without Pulumi: every
 * part runs with PUBLIC=1 (the command's output is not secret, so daemon words that may hold a
 * password stay on the device), the first stdin line unpacks to exactly the parts' shell sources,
 * one per part in order, and the launcher text carries each part's own parameters.
 */
import { strict as assert } from "assert";
import { gunzipSync } from "zlib";
import { launchers } from "../components/device-apply";
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
