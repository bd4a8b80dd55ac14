/**
 * `DataCenter`'s health gates (`rollout.verifyAfterWave`) under Pulumi mocks: one gate command per
 * wave, depending on every device of its wave; every device of the next wave depends on it (so a
 * failed gate stops every later wave); its stdin holds the wave's checks and the contacted devices'
 * connections but no private key (that travels in the secret DCNET_SSH_KEYS); the `verification`
 * output per device from the gate reports (the mock answers each gate with a report built from its
 * own stdin: every check passing, or one peer missing one node's PodCIDR). The gate runner itself
 * runs against the lab in test/verify.test.ts.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import { loadSpecFile } from "../sdk/spec/load";
import { rolloutPlan } from "../sdk/apply/rollout";
import { GateExpectation, GateInput, GateReport } from "../sdk/verify/gate";

const SPEC = path.resolve(__dirname, "..", "examples/spine-leaf/datacenter.yaml");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: any) => v !== null && typeof v === "object" && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
const unwrap = (v: any): any => (isSecret(v) ? unwrap(v.value) : v);
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nZ2F0ZS10ZXN0LWtleQ==\n-----END OPENSSH PRIVATE KEY-----\n";
const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

interface Reg {
  type: string;
  name: string;
  raw: any;
  deps: string[];
  secretOutputs: string[];
}

/** The report a gate would print when every check passes, except `failHold` (a device whose prefixes one peer lacks). */
function fakeReport(input: GateInput, failHold?: string): GateReport {
  const devices = input.expectations.map((e: GateExpectation) => {
    const holds = e.holds.map((h) => ({ from: h.from, prefix: h.prefix, ok: !(h.from === failHold && h.family === "ipv4") }));
    const problems = holds.filter((h) => !h.ok).map((h) => `${e.device}: holds no valid path to ${h.prefix} from ${h.from} (x), which the plan has ${h.from} announce to it`);
    return { device: e.device, kind: e.kind, role: e.role, status: problems.length ? ("failed" as const) : ("ok" as const), sessions: e.sessions.map((s) => ({ peer: s.peer, device: s.device, state: "Established", ok: true })), holds, problems, ms: 1 };
  });
  const problems = devices.flatMap((d) => d.problems);
  return { ok: !problems.length, exitCode: problems.length ? 1 : 0, plan: input.plan, devices, problems, ms: 1 };
}

describe("components: DataCenter health gates after each wave (Pulumi mocks)", function () {
  this.timeout(120000);
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;
  let proto: any;
  let original: any;
  const regs = new Map<string, Reg>();
  let failHold: string | undefined;

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          if (a.type === "command:local:Command" && a.name.includes("-verify-wave-")) return { id: `${a.name}-id`, state: { ...a.inputs, stdout: JSON.stringify(fakeReport(JSON.parse(a.inputs.stdin), failHold)) + "\n" } };
          return { id: `${a.name}-id`, state: { ...a.inputs, stdout: "ok" } };
        },
        call: (a) => a.inputs,
      },
      "dcnet-gates",
      "test",
      false,
    );
    proto = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
    original = proto.registerResource;
    proto.registerResource = function (req: any, cb: any) {
      regs.set(req.getName(), {
        type: req.getType(),
        name: req.getName(),
        raw: req.getObject()?.toJavaScript() ?? {},
        deps: (req.getDependenciesList() as string[]).map(nameOfUrn).sort(),
        secretOutputs: req.getAdditionalsecretoutputsList(),
      });
      return original.call(this, req, cb);
    };
    c = require("../components");
  });
  after(() => {
    proto.registerResource = original;
  });

  const build = async (name: string, extra: Partial<ComponentsT.DataCenterArgs> = {}) => {
    regs.clear();
    const spec = loadSpecFile(SPEC);
    const devices = [...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))];
    const dc = new c.DataCenter(name, {
      spec,
      passwords: { "bgp-nodes": pulumi.secret("pw-gates-test-1"), "bgp-upstream": pulumi.secret("pw-gates-test-2") },
      ssh: { privateKey: pulumi.secret(PRIVATE_KEY) },
      hosts: Object.fromEntries(devices.map((d) => [d, { host: `${d}.example`, hostKey: `ssh-ed25519 AAAAfake-${d}` }])),
      ...extra,
    });
    const verification = await new Promise<Record<string, any>>((r) => dc.verification.apply(r));
    return { dc, verification };
  };
  const cmd = (dc: ComponentsT.DataCenter, d: string, name: string) => `${name}-${d}-${dc.getPlan().devices.find((x) => x.name === d)!.kind === "node" ? "bird" : "frr"}`;

  it("one gate per wave: after every device of its wave; every device of the next wave after it", async () => {
    failHold = undefined;
    const { dc } = await build("g1", { rollout: { verifyAfterWave: true } });
    const plan = dc.getPlan();
    const steps = rolloutPlan(plan, { strategy: "waves" });
    const waves = [...new Set(steps.map((s) => s.wave))].sort((a, b) => a - b);
    assert.ok(waves.length >= 3, "upper tier, canary, the other racks");
    const gates = [...regs.values()].filter((r) => r.type === "command:local:Command" && r.name !== "g1-scripts" && r.name !== "g1-rollout-check").map((r) => r.name).sort();
    assert.deepEqual(gates, waves.map((w) => `g1-verify-wave-${w}`).sort());
    for (const [i, w] of waves.entries()) {
      const mine = steps.filter((s) => s.wave === w).map((s) => cmd(dc, s.device, "g1"));
      const gate = regs.get(`g1-verify-wave-${w}`)!;
      for (const m of mine) assert.ok(gate.deps.includes(m), `gate ${w} waits for ${m}`);
      if (i + 1 < waves.length)
        for (const s of steps.filter((x) => x.wave === waves[i + 1])) assert.ok(regs.get(cmd(dc, s.device, "g1"))!.deps.includes(gate.name), `${s.device} (wave ${waves[i + 1]}) waits for gate ${w}`);
      if (i > 0) assert.ok(gate.deps.every((d) => !d.includes("verify-wave") || d === `g1-verify-wave-${waves[i - 1]}`));
    }
  });

  it("a gate's stdin: the wave's checks (its nodes' peers hold their prefixes), connections with pinned keys, no private key; keys only in the secret environment", async () => {
    failHold = undefined;
    const { dc } = await build("g2", { rollout: { verifyAfterWave: true } });
    const plan = dc.getPlan();
    const steps = rolloutPlan(plan, { strategy: "waves" });
    const last = Math.max(...steps.map((s) => s.wave));
    const gate = regs.get(`g2-verify-wave-${last}`)!;
    assert.ok(!isSecret(gate.raw.stdin), "the checks are visible");
    assert.ok(!gate.raw.stdin.includes("PRIVATE KEY") && !gate.raw.stdin.includes("Z2F0ZS10ZXN0LWtleQ"), "no private key on stdin");
    const input = JSON.parse(gate.raw.stdin) as GateInput;
    assert.ok(isSecret(gate.raw.environment.DCNET_SSH_KEYS), "the keys are a secret input");
    assert.deepEqual(JSON.parse(unwrap(gate.raw.environment.DCNET_SSH_KEYS)), [PRIVATE_KEY]);
    assert.ok(gate.secretOutputs.includes("environment"));
    const node = steps.filter((s) => s.wave === last && s.kind === "node")[0].device;
    const pod = plan.nodes.find((n) => n.name === node)!.podCIDR.prefix;
    const peers = plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === node).map((s) => s.b.device);
    for (const p of peers) assert.ok(input.expectations.find((e) => e.device === p)!.holds.some((h) => h.from === node && h.prefix === pod), `${p} must hold ${node}'s ${pod}`);
    const conn = input.connections.find((x) => x.device === node)!;
    assert.equal(conn.host, `${node}.example`);
    assert.equal(conn.hostKey, `ssh-ed25519 AAAAfake-${node}`);
    assert.equal(conn.privateKey, "$DCNET_SSH_KEY_0");
    assert.match(gate.raw.create, /dcnet' verify - --inventory - --json --parallel 8$|dcnet verify - --inventory - --json --parallel 8$/);
  });

  it("verification output: one entry per device, from its wave's gate (sessions, what its peers hold, problems)", async () => {
    failHold = undefined;
    const { dc, verification } = await build("g3", { rollout: { verifyAfterWave: true } });
    const plan = dc.getPlan();
    assert.deepEqual(Object.keys(verification).sort(), plan.devices.map((d) => d.name).sort());
    const node = plan.devices.find((d) => d.kind === "node")!.name;
    const announced = plan.nodes.find((n) => n.name === node)!.announcements.length;
    assert.deepEqual(verification[node], { status: "ok", sessions: "2/2 Established", peersHold: `${2 * announced}/${2 * announced} prefixes`, problems: [], wave: rolloutPlan(plan, { strategy: "waves" }).find((s) => s.device === node)!.wave });
    // a peer lacking one node's PodCIDR: that node's entry says so
    failHold = node;
    const bad = (await build("g4", { rollout: { verifyAfterWave: true } })).verification;
    assert.equal(bad[node].status, "failed");
    assert.ok(bad[node].problems.some((p: string) => p.includes(`from ${node} (`)), JSON.stringify(bad[node]));
    const other = plan.devices.find((d) => d.kind === "node" && d.name !== node)!.name;
    assert.equal(bad[other].status, "ok");
  });

  it("without the option: no gate, an empty verification; in local-folder mode the option is refused", async () => {
    failHold = undefined;
    const { verification } = await build("g5");
    assert.ok(![...regs.values()].some((r) => r.name.includes("-verify-wave-")), "no gate");
    assert.deepEqual(verification, {});
    assert.throws(() => new c.DataCenter("g6", { specFile: SPEC, passwords: { "bgp-nodes": "x", "bgp-upstream": "y" }, mode: c.DeliveryMode.localFolder, rollout: { verifyAfterWave: true } }), /verifyAfterWave needs mode ssh/);
  });
});
