/**
 * The device-side apply scripts, executed for real: a small spine–leaf lab (`labUp`, baseline
 * configs, sshd per device with a pinned host key), and over SSH (`StrictHostKeyChecking yes`,
 * known_hosts in a temp dir) exactly the command text and stdin the Pulumi components generate
 * for the lab's hosts and per-device paths (captured under Pulumi mocks).
 *
 * Checks: rollout installs every config and brings every session up; a second run is a no-op;
 * an invalid config is refused and the old one keeps running with its sessions; a config that
 * parses but breaks a session is rolled back; delete restores the documented baseline.
 *
 * Needs root, iproute2, bird2, frr and openssh-server. Skipped without them, except with CI=true
 * where it fails instead.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, resolve as resolvePath } from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import type { StepGates } from "../components/step-gates";
import { figure } from "./support/lab-env";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec } from "../sdk/spec/types";
import { resolve } from "../sdk/resolve/resolve";
import { Plan } from "../sdk/plan/types";
import { birdBaselineConfig, frrBaselineConfig, renderBirdApplyScript, renderFrrApplyScript, rolloutPlan, sha256Hex, switchNeighbors, nodeProtocols } from "../sdk/apply";
import { labPrerequisites } from "../sdk/lab/prereq";
import { labUp } from "../sdk/lab/up";
import { labDown } from "../sdk/lab/down";
import { LabState } from "../sdk/lab/state";
import { probeSessions, vtysh, birdc } from "../sdk/lab/probe";

const ROOT = resolvePath(__dirname, "..");
const PASSWORD = "lab-Pw-4f2a9c";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const unwrap = (v: any): any => (v && typeof v === "object" && v[SECRET_SIG] ? unwrap(v.value) : v);
const VERIFY_S = 150; // FRR 8.4 re-creates a BFD session that is up when BGP comes up; BIRD then waits 60 s

/** spine-leaf example cut down to one rack: 2 spines, 2 leaves, 2 nodes (both l4lb, one VIP pool), no upstream. */
function smallSpec(): DataCenterSpec {
  const spec = loadSpecFile(join(ROOT, "examples/spine-leaf/datacenter.yaml"));
  spec.switches = spec.switches.filter((s) => !s.rack || s.rack === "r1");
  spec.racks = spec.racks.filter((r) => r.name === "r1").map((r) => ({ ...r, nodes: r.nodes.slice(0, 2) }));
  const keep = new Set(spec.racks[0].nodes.map((n) => n.name));
  spec.clusters = (spec.clusters ?? []).map((c) => ({ ...c, nodes: c.nodes.filter((n) => keep.has(n)) })).filter((c) => c.nodes.length > 0);
  // the example's upstream peers with rack r3's leaves: not part of this lab
  delete spec.upstreams;
  return spec;
}

interface Cmd {
  name: string;
  device: string;
  host: string;
  port: number;
  create: string;
  delete: string;
  stdin: string;
  /** The secrets payload (environment variable DCNET_SECRETS), if any. */
  secrets?: string;
}

/** The config on a command's stdin (all of it: the scripts come from the data center's delivery, lab-scripts). */
const configPart = (stdin: string) => stdin;

describe("apply scripts over SSH in the lab (real BIRD and FRR)", function () {
  this.timeout(1200000);
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;
  let tmp = "";
  let state: LabState | undefined;
  let plan: Plan;
  let cmds: Map<string, Cmd>;
  let delivery: { create: string; stdin: string; keys: string };
  let gates: StepGates;
  const key = () => join(tmp, "id_ed25519");
  const knownHosts = () => join(tmp, "known_hosts");

  // as the command provider runs it: the command text, its stdin, DCNET_SECRETS sent as an SSH environment variable
  const ssh = (cmd: Pick<Cmd, "host" | "port">, script: string, stdin: string | undefined, secrets?: string) => {
    const r = spawnSync(
      "ssh",
      ["-i", key(), "-p", String(cmd.port), "-o", `UserKnownHostsFile=${knownHosts()}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", ...(secrets !== undefined ? ["-o", "SendEnv=DCNET_SECRETS"] : []), `root@${cmd.host}`, script],
      { input: stdin ?? "", encoding: "utf8", timeout: (VERIFY_S + 120) * 1000, env: { ...process.env, ...(secrets !== undefined ? { DCNET_SECRETS: secrets } : {}) } },
    );
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
  const create = (name: string) => {
    const cmd = cmds.get(name)!;
    const r = ssh(cmd, cmd.create, cmd.stdin, cmd.secrets);
    assert.equal(r.code, 0, `${name} create failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const remove = (name: string) => {
    const cmd = cmds.get(name)!;
    const r = ssh(cmd, cmd.delete, cmd.stdin);
    assert.equal(r.code, 0, `${name} delete failed:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const dev = (name: string) => state!.devices[name];
  const sessionsUp = () => probeSessions(plan, state!).every((s) => s.established);
  const waitUp = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (sessionsUp()) return true;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return sessionsUp();
  };
  const birdSince = (node: string) => birdc(dev(node), "show protocols").stdout.split("\n").filter((l) => /^uplink/.test(l)).map((l) => l.split(/\s+/).slice(0, 5).join(" ").replace(/\.\d+$/, ""));

  before(async function () {
    const ci = process.env.CI === "true";
    const pre = labPrerequisites({ ssh: true });
    const ok = process.getuid?.() === 0 && pre.ok && spawnSync("ssh", ["-V"]).status === 0;
    if (!ok) {
      const why = `lab prerequisites missing: ${process.getuid?.() === 0 ? "" : "not root; "}${(pre as any).missing?.join("; ") ?? ""}`;
      if (ci) throw new Error(why);
      this.skip();
    }
    tmp = mkdtempSync(join(tmpdir(), "dcnet-apply-test-"));
    const kg = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "dcnet-apply-test", "-f", key()]);
    assert.equal(kg.status, 0, String(kg.stderr));
    plan = resolve(smallSpec());
    state = await labUp(plan, {
      name: `dcnet-apply-test-${process.pid}`,
      configs: "baseline",
      ssh: { authorizedKey: readFileSync(`${key()}.pub`, "utf8").trim() },
      passwords: { "bgp-nodes": PASSWORD },
      waitTimeoutMs: 0,
    });
    writeFileSync(knownHosts(), Object.values(state.devices).map((d) => d.ssh!.knownHostsLine).join("\n") + "\n");

    // the components' commands for the lab's hosts and paths, captured under Pulumi mocks
    pulumi = require("@pulumi/pulumi");
    const regs: { name: string; raw: any }[] = [];
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "dcnet-lab", "lab", false);
    const proto = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
    const original = proto.registerResource;
    proto.registerResource = function (req: any, cb: any) {
      regs.push({ name: req.getName(), raw: req.getObject()?.toJavaScript() ?? {} });
      return original.call(this, req, cb);
    };
    try {
      c = require("../components");
      const hosts: Record<string, ComponentsT.HostArgs> = {};
      for (const d of plan.devices) {
        const ld = state.devices[d.name];
        hosts[d.name] = {
          host: ld.ssh!.host,
          hostKey: ld.ssh!.hostPublicKey,
          ...(ld.bird ? { birdPaths: { configFile: ld.bird.conf, controlSocket: ld.bird.socket, secretsDir: ld.bird.secretsDir } } : {}),
          ...(ld.frr
            ? { frrPaths: { configFile: ld.frr.conf, vtySocketDir: ld.frr.vtySocketDir, stateDir: join(ld.dir, "dcnet"), secretsDir: join(ld.dir, "dcnet-secrets") } }
            : {}),
        };
      }
      const dc = new c.DataCenter("lab", {
        spec: smallSpec(),
        passwords: { "bgp-nodes": pulumi.secret(PASSWORD) },
        ssh: { user: "root", privateKey: pulumi.secret(readFileSync(key(), "utf8")) },
        hosts,
        rollout: { verifyTimeoutSeconds: VERIFY_S },
        // the lab's devices share this machine's filesystem: the script files stay in the run's folder
        scripts: { dir: join(tmp, "dcnet-scripts") },
      });
      gates = require("../components/datacenter").stepGatesOfDataCenter(dc);
      let last = -1;
      for (let i = 0; i < 400 && last !== regs.length; i++) {
        last = regs.length;
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      proto.registerResource = original;
    }
    cmds = new Map();
    for (const r of regs) {
      if (r.name === "lab-scripts") delivery = { create: r.raw.create, stdin: unwrap(r.raw.stdin), keys: String(unwrap(unwrap(r.raw.environment).DCNET_SSH_KEYS)) };
      if (typeof r.raw.create !== "string" || r.name === "lab-scripts" || r.name === "lab-rollout-check") continue;
      const conn = unwrap(r.raw.connection);
      const device = r.name.replace(/^lab-/, "").replace(/-(bird|frr)$/, "");
      const secrets = r.raw.environment ? String(unwrap(unwrap(r.raw.environment).DCNET_SECRETS)) : undefined;
      cmds.set(r.name, { name: r.name, device, host: conn.host, port: conn.port ?? 22, create: r.raw.create, delete: r.raw.delete, stdin: unwrap(r.raw.stdin), ...(secrets ? { secrets } : {}) });
    }
  });

  after(async () => {
    if (state) await labDown(state);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Resource names in rollout order (the order dependsOn imposes). */
  const rolloutNames = () =>
    rolloutPlan(plan, { strategy: "waves" }).map((s) => `lab-${s.device}-${s.kind === "switch" ? "frr" : "bird"}`).filter((n) => cmds.has(n));

  it("the lab starts from the baseline: no BGP session anywhere", () => {
    assert.ok(probeSessions(plan, state!).every((s) => !s.established));
    assert.equal(cmds.size, plan.devices.length, "one command per device");
    assert.ok(delivery, "and the data center's scripts delivery");
  });

  it("the scripts delivery (dcnet scripts install over ssh, pinned keys) puts the script files on every device first; a device command before it stops naming it", () => {
    const early = ssh(cmds.get("lab-r1n1-bird")!, cmds.get("lab-r1n1-bird")!.create, cmds.get("lab-r1n1-bird")!.stdin, cmds.get("lab-r1n1-bird")!.secrets);
    assert.notEqual(early.code, 0);
    assert.ok(early.stderr.includes(`r1n1: ${join(tmp, "dcnet-scripts")}/`) && /[0-9a-f]{32}\.sh is missing or altered: lab-scripts installs it/.test(early.stderr), early.stderr);
    assert.ok(!delivery.stdin.includes("PRIVATE KEY"), "no private key on the delivery's stdin");
    const run = () => spawnSync("sh", ["-c", delivery.create], { input: delivery.stdin, encoding: "utf8", timeout: 300000, env: { PATH: process.env.PATH, HOME: process.env.HOME, DCNET_SSH_KEYS: delivery.keys } });
    const d = run();
    assert.equal(d.status, 0, `delivery failed:\n${d.stdout}\n${d.stderr}`);
    // the lab's devices share one filesystem: the first to get a file writes it, the others find it there
    const m = /^dcnet scripts: (\d+) devices, (\d+) files: (\d+) written, (\d+) already present, 0 failed/.exec(d.stdout);
    assert.ok(m, d.stdout);
    assert.equal(Number(m![1]), plan.devices.length);
    assert.equal(Number(m![3]) + Number(m![4]), plan.devices.length, "one file per device, written or found");
    assert.ok(Number(m![3]) >= Number(m![2]), "every file written at least once");
    assert.match(run().stdout, new RegExp(`: 0 written, ${plan.devices.length} already present, 0 failed`), "a second delivery writes nothing");
  });

  it("rollout: every config installed in rollout order, each step after the peers' check of what it waits for (the step gates' hooks, called as the engine does); every planned session Established", async () => {
    const t0 = Date.now();
    for (const name of rolloutNames()) {
      await gates.beforeStep(name);
      const r = create(name);
      gates.afterStep(name);
      assert.match(r.stdout, /dcnet: /, `${name} reports`);
      assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), `${name} printed a password`);
    }
    await gates.beforeStep("lab-rollout-check");
    assert.deepEqual([...gates.applied].sort(), plan.devices.map((d) => d.name).sort(), "every device applied and checked from its peers' view");
    figure(`rollout of ${plan.devices.length} devices over ssh with the step gates: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(await waitUp(VERIFY_S * 1000), `sessions: ${JSON.stringify(probeSessions(plan, state!).filter((s) => !s.established))}`);
    for (const d of plan.devices) {
      const ld = dev(d.name);
      if (ld.bird) {
        assert.equal(sha256Hex(readFileSync(ld.bird.conf, "utf8")), sha256Hex(configPart(cmds.get(`lab-${d.name}-bird`)!.stdin)), `${d.name} runs the rendered config`);
        const secret = join(ld.bird.secretsDir, "bgp-nodes.conf");
        assert.equal(statSync(secret).mode & 0o777, 0o600);
        assert.ok(readFileSync(secret, "utf8").includes(PASSWORD));
      } else {
        const conf = readFileSync(ld.frr!.conf, "utf8");
        assert.ok(conf.startsWith(configPart(cmds.get(`lab-${d.name}-frr`)!.stdin)), `${d.name} runs the rendered main config`);
        assert.equal(statSync(ld.frr!.conf).mode & 0o077, 0, `${d.name} frr.conf holds passwords: no group/other access`);
        if (cmds.get(`lab-${d.name}-frr`)!.secrets) assert.match(vtysh(ld, "show running-config").stdout, /neighbor \S+ password/);
      }
    }
  });

  it("a second run of every create is a no-op (no reload, sessions untouched)", () => {
    const before = birdSince("r1n1");
    const mtimes = plan.devices.map((d) => statSync(dev(d.name).bird?.conf ?? dev(d.name).frr!.conf).mtimeMs);
    for (const name of rolloutNames()) assert.match(create(name).stdout, /nothing to do|unchanged/, `${name} is a no-op`);
    assert.deepEqual(plan.devices.map((d) => statSync(dev(d.name).bird?.conf ?? dev(d.name).frr!.conf).mtimeMs), mtimes);
    assert.deepEqual(birdSince("r1n1"), before);
    assert.ok(sessionsUp());
  });

  it("an invalid config is refused with the daemon's own error; the old one keeps running with its sessions", () => {
    const node = "r1n1";
    const ld = dev(node);
    const confBefore = readFileSync(ld.bird!.conf, "utf8");
    const since = birdSince(node);
    const bad = confBefore + "protocol bogus_thing {\n";
    const script = renderBirdApplyScript({
      device: node, config: bad, protocols: nodeProtocols(plan, node), routerId: plan.devices.find((d) => d.name === node)!.routerId,
      paths: { configFile: ld.bird!.conf, controlSocket: ld.bird!.socket, secretsDir: ld.bird!.secretsDir }, owner: "dcnet-lab/lab/lab-r1n1-bird",
    });
    const r = ssh(cmds.get(`lab-${node}-bird`)!, script, bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /bird -p rejected the new config; nothing was changed/);
    assert.match(r.stderr, /syntax error|unexpected/i, "BIRD's own words");
    assert.equal(readFileSync(ld.bird!.conf, "utf8"), confBefore);
    assert.deepEqual(birdSince(node), since, "sessions untouched");

    const sw = "leaf1a";
    const fd = dev(sw);
    const frrBefore = readFileSync(fd.frr!.conf, "utf8");
    const main = configPart(cmds.get(`lab-${sw}-frr`)!.stdin);
    const badMain = main.replace(/^router bgp (\d+)$/m, "router bgp $1\n neighbor 198.18.10.11 no-such-knob 7");
    const nb = switchNeighbors(plan, sw);
    const frrScript = renderFrrApplyScript({
      device: sw, config: badMain, plannedNeighbors: nb.planned, requiredNeighbors: nb.required,
      paths: { configFile: fd.frr!.conf, vtySocketDir: fd.frr!.vtySocketDir, stateDir: join(fd.dir, "dcnet"), secretsDir: join(fd.dir, "dcnet-secrets") },
    });
    const f = ssh(cmds.get(`lab-${sw}-frr`)!, frrScript, badMain);
    assert.notEqual(f.code, 0);
    assert.match(f.stderr, /vtysh --dryrun rejected the new config; nothing was changed/);
    assert.match(f.stderr, /Unknown command|% /, "FRR's own words");
    assert.ok(!f.stderr.includes(PASSWORD));
    assert.equal(readFileSync(fd.frr!.conf, "utf8"), frrBefore);
    assert.ok(sessionsUp(), "every session still Established");
  });

  it("a config that parses but breaks its sessions is rolled back and the apply fails", () => {
    const node = "r1n2";
    const ld = dev(node);
    const confBefore = readFileSync(ld.bird!.conf, "utf8");
    const wrong = confBefore.replace(/neighbor (\S+) as (\d+);/g, "neighbor $1 as 64999;");
    assert.notEqual(wrong, confBefore);
    const script = renderBirdApplyScript({
      device: node, config: wrong, protocols: nodeProtocols(plan, node), routerId: plan.devices.find((d) => d.name === node)!.routerId,
      paths: { configFile: ld.bird!.conf, controlSocket: ld.bird!.socket, secretsDir: ld.bird!.secretsDir }, verifyTimeoutSeconds: 8,
    });
    const r = ssh(cmds.get(`lab-${node}-bird`)!, script, wrong);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not Established within 8 s/);
    assert.match(r.stderr, /restored the previous config/);
    assert.equal(readFileSync(ld.bird!.conf, "utf8"), confBefore, "previous file back");
    assert.match(birdc(ld, "show protocols all uplink0").stdout, new RegExp(`Neighbor AS:\\s+${plan.sessions.find((s) => s.a.device === node)!.b.asn}`), "BIRD runs the previous config");
  });

  it("delete (reverse order) restores the documented baseline; a second delete is a no-op", async () => {
    assert.ok(await waitUp(VERIFY_S * 1000), "sessions back before the delete");
    const names = rolloutNames().reverse();
    for (const name of names) remove(name);
    for (const d of plan.devices) {
      const ld = dev(d.name);
      if (ld.bird) {
        assert.equal(readFileSync(ld.bird.conf, "utf8"), birdBaselineConfig(d.name, d.routerId));
        assert.ok(!/BGP/.test(birdc(ld, "show protocols").stdout), `${d.name}: no BGP protocol left`);
        const secretsDir = ld.bird.secretsDir;
        assert.throws(() => statSync(join(secretsDir, "bgp-nodes.conf")), `${d.name}: secret file removed`);
      } else {
        assert.equal(readFileSync(ld.frr!.conf, "utf8"), frrBaselineConfig(d.name));
        assert.ok(!/router bgp/.test(vtysh(ld, "show running-config").stdout), `${d.name}: no BGP left`);
        assert.throws(() => statSync(join(ld.dir, "dcnet-secrets", "frr-secrets.conf")));
        assert.throws(() => statSync(join(ld.dir, "dcnet", "frr.main.conf")));
      }
    }
    assert.ok(probeSessions(plan, state!).every((s) => !s.established));
    for (const name of names) assert.match(remove(name).stdout, /nothing to|no secrets overlay|removed|already/);
  });
});
