/**
 * `DataCenter`'s `extraConfig` escape hatch (Pulumi mocks): the text is appended verbatim to that
 * device's rendered config and to nothing else; the install script checks the combined text; an
 * unknown device name is refused. (test/e2e-pulumi.test.ts uses it with the real engine to push a
 * config the switch rejects.)
 */
import { strict as assert } from "assert";
import * as path from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { renderSwitchConfig } from "../sdk/render/switch/index";
import { renderBirdConfig } from "../sdk/render/bird";
import { sha256Hex } from "../sdk/apply";

const SPEC = path.resolve(__dirname, "..", "examples/spine-leaf/datacenter.yaml");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any): any => (v && typeof v === "object" && v[SECRET_SIG] ? unwrap(v.value) : v);

describe("components: DataCenter extraConfig (Pulumi mocks)", function () {
  this.timeout(120000);
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;
  let proto: any;
  let original: any;
  const regs = new Map<string, any>();

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "dcnet-extra", "test", false);
    proto = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
    original = proto.registerResource;
    proto.registerResource = function (req: any, cb: any) {
      regs.set(req.getName(), req.getObject()?.toJavaScript() ?? {});
      return original.call(this, req, cb);
    };
    c = require("../components");
  });
  after(() => {
    proto.registerResource = original;
  });

  /** The config on a command's stdin (all of it: the scripts come from the data center's delivery). */
  const configPart = (stdin: string) => stdin;
  const build = async (name: string, extraConfig?: Record<string, string>) => {
    const spec = loadSpecFile(SPEC);
    const devices = [...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))];
    const dc = new c.DataCenter(name, {
      spec,
      passwords: { "bgp-nodes": pulumi.secret("pw-extra-config-test"), "bgp-upstream": pulumi.secret("pw-upstream-extra-config-test") },
      hosts: Object.fromEntries(devices.map((d) => [d, { host: `${d}.example`, hostKey: `ssh-ed25519 AAAAfake-${d}` }])),
      ...(extraConfig ? { extraConfig } : {}),
    });
    let last = -1;
    for (let i = 0; i < 400 && last !== regs.size; i++) {
      last = regs.size;
      await new Promise((r) => setTimeout(r, 25));
    }
    return dc;
  };

  it("appends the text to exactly the named devices' configs; the script expects the combined text", async () => {
    await build("plain");
    await build("extra", { leaf2a: "ip forwarding", r1n1: "# extra bird line" });
    const plan = resolve(loadSpecFile(SPEC));
    const leaf = renderSwitchConfig(plan, "leaf2a").text;
    assert.equal(configPart(unwrap(regs.get("extra-leaf2a-frr").stdin)), `${leaf}ip forwarding\n`);
    assert.ok(regs.get("extra-leaf2a-frr").create.includes(sha256Hex(`${leaf}ip forwarding\n`)), "the install script checks the combined text");
    const bird = renderBirdConfig(plan, "r1n1");
    assert.equal(configPart(unwrap(regs.get("extra-r1n1-bird").stdin)), `${bird}${bird.endsWith("\n") ? "" : "\n"}# extra bird line\n`);
    for (const [name, raw] of regs) {
      if (!name.startsWith("extra-") || /leaf2a-frr$|r1n1-bird$|-scripts$/.test(name)) continue;
      const twin = regs.get(name.replace(/^extra-/, "plain-"));
      assert.ok(twin, `plain twin of ${name}`);
      if (typeof raw.stdin === "string") assert.equal(raw.stdin, twin.stdin, `${name} unchanged`);
    }
  });

  it("refuses a device name the plan does not have", () => {
    assert.throws(() => new c.DataCenter("bad", { specFile: SPEC, passwords: { "bgp-nodes": "x", "bgp-upstream": "y" }, mode: c.DeliveryMode.localFolder, extraConfig: { leaf9z: "x" } }), /extraConfig\.leaf9z names no device/);
  });
});
