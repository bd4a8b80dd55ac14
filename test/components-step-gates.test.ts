/**
 * `DataCenter`'s step gates (`rollout.peerCheck`, default in ssh mode) under Pulumi mocks. The
 * mocks have no engine to call resource hooks, so the test plays the engine's part: it calls the
 * gates' `after` for each device a step applied and `before` for the step that waits for it, as the
 * engine does around each step, with a stand-in gate runner that records what it is asked to check
 * (the real runner, over ssh against real daemons, runs in test/verify.test.ts).
 */
import { strict as assert } from "assert";
import * as path from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import type * as DataCenterT from "../components/datacenter";
import { loadSpecFile } from "../sdk/spec/load";
import { rolloutPlan } from "../sdk/apply/rollout";
import { GateExpectation, GateReport } from "../sdk/verify/gate";
import { DeviceConnection } from "../sdk/verify/inventory";

const SPEC = path.resolve(__dirname, "..", "examples/spine-leaf/datacenter.yaml");
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc3RlcC1nYXRlLWtleQ==\n-----END OPENSSH PRIVATE KEY-----\n";

interface Call {
  expectations: GateExpectation[];
  connections: DeviceConnection[];
}

describe("components: DataCenter step gates, the peers' view before each step (Pulumi mocks)", function () {
  this.timeout(120000);
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;
  let dcm: typeof DataCenterT;

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => ({ id: `${a.name}-id`, state: { ...a.inputs, stdout: "ok" } }),
        call: (a) => a.inputs,
      },
      "dcnet-step-gates",
      "test",
      false,
    );
    c = require("../components");
    dcm = require("../components/datacenter");
  });

  const build = (name: string, extra: Partial<ComponentsT.DataCenterArgs> = {}) => {
    const spec = loadSpecFile(SPEC);
    const devices = [...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))];
    return new c.DataCenter(name, {
      spec,
      passwords: { "bgp-nodes": pulumi.secret("pw-step-1"), "bgp-upstream": pulumi.secret("pw-step-2") },
      ssh: { privateKey: pulumi.secret(PRIVATE_KEY) },
      hosts: Object.fromEntries(devices.map((d) => [d, { host: `${d}.example`, hostKey: `ssh-ed25519 AAAAfake-${d}` }])),
      ...extra,
    });
  };
  const res = (dc: ComponentsT.DataCenter, d: string, name: string) => `${name}-${d}-${dc.getPlan().devices.find((x) => x.name === d)!.kind === "node" ? "bird" : "frr"}`;

  /** A runner that answers from the expectations: every check passes, except the holds of `failFrom` (until `healAfter` attempts). */
  const runner = (calls: Call[], failFrom?: string, healAfter = Infinity) => {
    let attempts = 0;
    return async (plan: string, expectations: GateExpectation[], connections: DeviceConnection[]): Promise<GateReport> => {
      calls.push({ expectations, connections });
      attempts++;
      const devices = expectations.map((e) => {
        const holds = e.holds.map((h) => ({ from: h.from, prefix: h.prefix, ok: !(h.from === failFrom && attempts <= healAfter) }));
        const problems = holds.filter((h) => !h.ok).map((h) => `${e.device}: holds no valid path to ${h.prefix} from ${h.from} (x), which the plan has ${h.from} announce to it`);
        return { device: e.device, kind: e.kind, role: e.role, status: problems.length ? ("failed" as const) : ("ok" as const), sessions: e.sessions.map((s) => ({ peer: s.peer, device: s.device, state: "Established", ok: true })), holds, problems, ms: 1 };
      });
      const problems = devices.flatMap((d) => d.problems);
      return { ok: !problems.length, exitCode: problems.length ? 1 : 0, plan, devices, problems, ms: 1 };
    };
  };

  /** The data center's step gates with a passing stand-in runner, its plan and its rollout. */
  const withRunner = (dc: ComponentsT.DataCenter) => {
    const g = dcm.stepGatesOfDataCenter(dc)!;
    const calls: Call[] = [];
    g.useRunner(runner(calls));
    const plan = dc.getPlan();
    return { g, calls, plan, steps: rolloutPlan(plan, { strategy: "waves" }) };
  };

  it("on by default in ssh mode; off in folder mode and with peerCheck: false; peerCheck: true in folder mode is refused", () => {
    const dc = build("s0");
    assert.ok(dcm.stepGatesOfDataCenter(dc), "ssh mode: step gates");
    const off = build("s0off", { rollout: { peerCheck: false } });
    assert.equal(dcm.stepGatesOfDataCenter(off), undefined);
    const folder = build("s0f", { mode: c.DeliveryMode.localFolder, localFolder: "/tmp/dcnet-step-gates-unused" });
    assert.equal(dcm.stepGatesOfDataCenter(folder), undefined);
    assert.throws(() => build("s0x", { mode: c.DeliveryMode.localFolder, localFolder: "/tmp/dcnet-step-gates-unused", rollout: { peerCheck: true } }), /rollout\.peerCheck needs mode ssh/);
    assert.throws(() => build("s0t", { rollout: { peerCheckTimeoutSeconds: 0 } }), /peerCheckTimeoutSeconds must be a whole number between 1 and 3600, got 0/);
    assert.throws(() => build("s0p", { rollout: { peerCheckParallel: 1.5 } }), /peerCheckParallel must be a whole number between 1 and 256, got 1\.5/);
  });

  it("before a step: each device it waits for that this up applied is checked once, from its peers' view", async () => {
    const dc = build("s1");
    const { g, calls, plan, steps } = withRunner(dc);
    // a node that waits for another node (m = 1) and for its two leaves
    const step = steps.find((s) => s.kind === "node" && s.dependsOn.some((d) => steps.find((x) => x.device === d)!.kind === "node"))!;
    const prevNode = step.dependsOn.find((d) => steps.find((x) => x.device === d)!.kind === "node")!;
    const leaves = step.dependsOn.filter((d) => d !== prevNode);
    // nothing applied in this up: nothing to check
    await g.beforeStep(res(dc, step.device, "s1"));
    assert.equal(calls.length, 0, "a dependency this up did not apply is not checked");
    g.afterStep(res(dc, prevNode, "s1"));
    await g.beforeStep(res(dc, step.device, "s1"));
    assert.equal(calls.length, 1, "the applied dependency is checked");
    const exp = calls[0].expectations;
    const own = exp.find((e) => e.device === prevNode)!;
    assert.deepEqual(own.role, ["wave"]);
    assert.deepEqual(own.sessions.map((s) => s.device).sort(), leaves.sort(), "its sessions with its two (rolled-out) leaves");
    const pod = plan.nodes.find((n) => n.name === prevNode)!.podCIDR.prefix;
    for (const leaf of leaves) {
      const e = exp.find((x) => x.device === leaf)!;
      assert.deepEqual(e.role, ["peer"]);
      assert.ok(e.holds.some((h) => h.from === prevNode && h.prefix === pod), `${leaf} must hold ${pod} from ${prevNode}`);
      assert.ok(e.holds.every((h) => h.from === prevNode), "only the checked device's prefixes");
    }
    assert.deepEqual(calls[0].connections.map((x) => x.device).sort(), exp.map((e) => e.device).sort(), "one connection per contacted device");
    const conn = calls[0].connections.find((x) => x.device === prevNode)!;
    assert.equal(conn.hostKey, `ssh-ed25519 AAAAfake-${prevNode}`, "pinned host key");
    assert.equal(conn.privateKey, PRIVATE_KEY, "the key's text, resolved in the program");
    // a second step waiting for the same device: no second check
    await g.beforeStep(res(dc, step.device, "s1"));
    assert.equal(calls.length, 1, "checked once per up");
  });

  it("a leaf applied before its nodes: its sessions with the spines only, its spines hold its networks", async () => {
    const dc = build("s2");
    const { g, calls, plan, steps } = withRunner(dc);
    const leaf = plan.devices.find((d) => d.kind === "switch" && d.rack)!.name;
    const dependent = steps.find((s) => s.dependsOn.includes(leaf))!;
    g.afterStep(res(dc, leaf, "s2"));
    await g.beforeStep(res(dc, dependent.device, "s2"));
    const own = calls[0].expectations.find((e) => e.device === leaf)!;
    const peerKinds = new Set(own.sessions.map((s) => plan.devices.find((d) => d.name === s.device)!.kind));
    assert.deepEqual([...peerKinds], ["switch"], "no session with a node that is not rolled out yet");
    assert.ok(own.sessions.length >= 2);
    const holders = calls[0].expectations.filter((e) => e.role.includes("peer"));
    assert.ok(holders.length >= 2 && holders.every((e) => e.holds.length > 0), "its spines hold its planned networks");
  });

  it("a failing peer view is retried, then fails the waiting step with the peers' problems; it passes when the peer catches up", async () => {
    const dc = build("s3", { rollout: { peerCheckTimeoutSeconds: 1 } });
    const g = dcm.stepGatesOfDataCenter(dc)!;
    const plan = dc.getPlan();
    const steps = rolloutPlan(plan, { strategy: "waves" });
    const step = steps.find((s) => s.kind === "node" && s.dependsOn.some((d) => steps.find((x) => x.device === d)!.kind === "node"))!;
    const prevNode = step.dependsOn.find((d) => steps.find((x) => x.device === d)!.kind === "node")!;
    const calls: Call[] = [];
    g.useRunner(runner(calls, prevNode));
    g.afterStep(res(dc, prevNode, "s3"));
    const t0 = Date.now();
    await assert.rejects(g.beforeStep(res(dc, step.device, "s3")), (e: Error) => {
      assert.match(e.message, new RegExp(`^${step.device} does not start: ${prevNode} was applied, but its peers' check fails after 1 s: leaf\\S+: holds no valid path to \\S+ from ${prevNode}`));
      return true;
    });
    assert.ok(calls.length >= 1 && Date.now() - t0 < 10000, `retried within the timeout (${calls.length} attempts)`);
    // the last step reports it too (the same failed check, not run again)
    const n = calls.length;
    await assert.rejects(g.beforeStep("s3-rollout-check"), /the rollout is not complete: .* was applied, but its peers' check fails/);
    assert.equal(calls.length, n);
    // a peer that holds the prefix on the second attempt: the step starts
    const dc2 = build("s4", { rollout: { peerCheckTimeoutSeconds: 30 } });
    const g2 = dcm.stepGatesOfDataCenter(dc2)!;
    const calls2: Call[] = [];
    g2.useRunner(runner(calls2, prevNode, 1));
    g2.afterStep(res(dc2, prevNode, "s4"));
    await g2.beforeStep(res(dc2, step.device, "s4"));
    assert.equal(calls2.length, 2, "failed once, passed on the retry");
  });

  it("at most peerCheckParallel checks at a time; every one runs", async () => {
    const dc = build("s6", { rollout: { peerCheckParallel: 3 } });
    const g = dcm.stepGatesOfDataCenter(dc)!;
    let inFlight = 0;
    let most = 0;
    const calls: Call[] = [];
    const pass = runner(calls);
    g.useRunner(async (plan, exp, conns) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return pass(plan, exp, conns);
    });
    const plan = dc.getPlan();
    for (const d of plan.devices) g.afterStep(res(dc, d.name, "s6"));
    await g.beforeStep("s6-rollout-check");
    assert.equal(calls.length, plan.devices.length, "every applied device checked once");
    assert.equal(most, 3, "never more than 3 at once, and 3 used");
  });

  it("the last step checks what no step checked: the devices nobody waits for", async () => {
    const dc = build("s5");
    const { g, calls, steps } = withRunner(dc);
    const waitedFor = new Set(steps.flatMap((s) => s.dependsOn));
    const sinks = steps.filter((s) => !waitedFor.has(s.device)).map((s) => s.device);
    assert.ok(sinks.length >= 2);
    for (const s of sinks) g.afterStep(res(dc, s, "s5"));
    await g.beforeStep("s5-rollout-check");
    assert.deepEqual(calls.map((x) => x.expectations.find((e) => e.role.includes("wave"))!.device).sort(), [...sinks].sort(), "each sink checked once");
  });
});
