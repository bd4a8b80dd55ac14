/**
 * The root Pulumi program (components/program.ts) under Pulumi mocks: the BGP password. In ssh
 * mode an unset `dcnet:bgpPassword` is a RunError (message only, no stack trace) before any
 * resource exists; the fixed demo password is used in localFolder mode only. A bad `dcnet:mode`
 * is refused the same way.
 */
import { strict as assert } from "assert";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join, resolve as resolvePath } from "path";
import type * as PulumiT from "@pulumi/pulumi";
import { loadSpecFile } from "../sdk/spec/load";

const ROOT = resolvePath(__dirname, "..");
const SPEC = join(ROOT, "examples/spine-leaf/datacenter.yaml");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any): any => (v && typeof v === "object" && v[SECRET_SIG] ? unwrap(v.value) : v);

describe("root program: dcnet:bgpPassword (Pulumi mocks)", function () {
  this.timeout(120000);
  let pulumi: typeof PulumiT;
  let program: () => Record<string, unknown>;
  let tmp = "";
  const created: { type: string; name: string; inputs: any }[] = [];
  const keys = ["spec", "mode", "localFolder", "bgpPassword", "password-bgp-upstream", "hosts"];

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          created.push({ type: a.type, name: a.name, inputs: a.inputs });
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: (a) => a.inputs,
      },
      "dcnet-program-test",
      "dev",
      false,
    );
    program = require("../components/program").program;
    tmp = mkdtempSync(join(tmpdir(), "dcnet-program-test-"));
  });
  after(() => {
    for (const k of keys) pulumi.runtime.setConfig(`dcnet:${k}`, undefined as unknown as string);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  beforeEach(() => {
    created.length = 0;
    for (const k of keys) pulumi.runtime.setConfig(`dcnet:${k}`, undefined as unknown as string);
    pulumi.runtime.setConfig("dcnet:spec", SPEC);
    pulumi.runtime.setConfig("dcnet:localFolder", join(tmp, "out-local"));
  });
  const settle = async () => {
    let last = -1;
    for (let i = 0; i < 400 && last !== created.length; i++) {
      last = created.length;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const sshHosts = () => {
    const spec = loadSpecFile(SPEC);
    const devices = [...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))];
    return JSON.stringify(Object.fromEntries(devices.map((d) => [d, { host: `${d}.mgmt.example`, hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIfake-${d}` }])));
  };

  it("ssh mode without dcnet:bgpPassword: a RunError naming the setting, the secret names and the fix; no resource created", async () => {
    pulumi.runtime.setConfig("dcnet:mode", "ssh");
    pulumi.runtime.setConfig("dcnet:hosts", sshHosts());
    let err: unknown;
    try {
      program();
    } catch (e) {
      err = e;
    }
    assert.ok(err, "program() must refuse");
    assert.ok(pulumi.RunError.isInstance(err), "a RunError: Pulumi prints the message without a stack trace");
    const msg = (err as Error).message;
    assert.match(msg, /^dcnet:bgpPassword: not set/);
    assert.match(msg, /passwordRef "bgp-nodes"/);
    assert.match(msg, /pulumi config set --secret dcnet:bgpPassword/);
    assert.match(msg, /\[config-bgp-password\]$/);
    assert.ok(!msg.includes("dcnet-demo-only"));
    await settle();
    assert.deepEqual(created, [], "nothing registered");
  });

  it("ssh mode with dcnet:bgpPassword: the configured password reaches the secrets payloads only", async () => {
    pulumi.runtime.setConfig("dcnet:mode", "ssh");
    pulumi.runtime.setConfig("dcnet:hosts", sshHosts());
    pulumi.runtime.setConfig("dcnet:bgpPassword", "Real-Pw-from-config-9");
    program();
    await settle();
    const secrets = created.find((r) => r.name === "dc-r1n1-bird");
    assert.ok(secrets, `created: ${created.map((r) => r.name).join(", ")}`);
    assert.equal(secrets!.type, "command:remote:Command");
    const payload = String(unwrap(unwrap(secrets!.inputs.environment).DCNET_SECRETS));
    const file = payload.split("\n").find((l) => l.startsWith("file "))!.split(" ")[2];
    assert.equal(Buffer.from(file, "base64").toString("utf8"), 'password "Real-Pw-from-config-9";\n');
  });

  it("a secret name of its own (dcnet:password-<passwordRef>) wins for that name: the upstream's password reaches only its switches", async () => {
    pulumi.runtime.setConfig("dcnet:mode", "ssh");
    pulumi.runtime.setConfig("dcnet:hosts", sshHosts());
    pulumi.runtime.setConfig("dcnet:bgpPassword", "Node-Pw-from-config-1");
    pulumi.runtime.setConfig("dcnet:password-bgp-upstream", "Upstream-Pw-from-config-2");
    program();
    await settle();
    const envOf = (name: string) => String(unwrap(unwrap(created.find((r) => r.name === name)!.inputs.environment).DCNET_SECRETS));
    const decoded = (payload: string) => payload.split("\n").filter((l) => l.startsWith("file ")).map((l) => Buffer.from(l.split(" ")[2], "base64").toString("utf8")).join("");
    assert.match(decoded(envOf("dc-leaf3a-frr")), /neighbor 198\.18\.2\.1 password Upstream-Pw-from-config-2/);
    assert.match(decoded(envOf("dc-leaf3a-frr")), /password Node-Pw-from-config-1/);
    assert.ok(!decoded(envOf("dc-leaf1a-frr")).includes("Upstream-Pw"), "only the border switches get the upstream's password");
  });

  it("localFolder mode without dcnet:bgpPassword: the demo password, local commands only", async () => {
    pulumi.runtime.setConfig("dcnet:mode", "localFolder");
    program();
    await settle();
    const cmds = created.filter((r) => r.type.startsWith("command:"));
    assert.ok(cmds.length > 0);
    assert.ok(cmds.every((r) => r.type === "command:local:Command"), "no remote command with the demo password");
    const payload = String(unwrap(unwrap(created.find((r) => r.name === "dc-r1n1-bird")!.inputs.environment).DCNET_SECRETS));
    assert.ok(payload.includes(Buffer.from('password "dcnet-demo-only";\n').toString("base64")));
  });

  it("a dcnet:mode other than localFolder or ssh: a RunError with the quoted value", () => {
    pulumi.runtime.setConfig("dcnet:mode", "sssh");
    assert.throws(
      () => program(),
      (e: unknown) => pulumi.RunError.isInstance(e) && /^dcnet:mode: "sssh" is not a delivery mode; use "localFolder" or "ssh" \[config-mode\]$/.test((e as Error).message),
    );
  });
});
