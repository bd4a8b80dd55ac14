/**
 * `dcnet verify` against the lab in ssh mode: every device reached over ssh with its pinned host
 * key (one through a jump host), the lab's checks run over ssh, drift of a hand-edited frr.conf,
 * a stopped BIRD, an unreachable host within bounded time; exit codes 0 / 1 / 2 through the CLI.
 * The rollout's health gate (`verify --gate`, and the components' stdin form `verify -`): a wave's
 * sessions Established and its peers holding its planned prefixes.
 */
import assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { join } from "path";
import { stringify } from "yaml";
import { resolve } from "../sdk/resolve/resolve";
import { Plan } from "../sdk/plan/types";
import { labCheck, labDown, LabState, labUp, formatCheckReport } from "../sdk/lab";
import { stopBird } from "../sdk/lab/ops";
import { batchScript, formatVerifyReport, Inventory, isReadOnly, labInventory, parseBatch, plannedVisibleConfig, unifiedDiff, verify, VerifyReport } from "../sdk/verify";
import { deviceConnections } from "../sdk/verify/inventory";
import { gateExpectations, GateReport, verifyGate } from "../sdk/verify/gate";
import { rolloutPlan } from "../sdk/apply/rollout";
import type { GateDevice } from "../components/wave-gates";
import { figure, requireLab, testLabName } from "./support/lab-env";
import { tinySpec } from "./support/lab-specs";

const ROOT = path.resolve(__dirname, "..");

describe("verify: read-only batches, redaction, diff (no lab)", function () {
  it("accepts only read-only commands", function () {
    assert.ok(isReadOnly(["vtysh", "--vty_socket", "/x", "-c", "show bgp summary json"]));
    assert.ok(isReadOnly(["birdc", "-s", "/x/bird.ctl", "show protocols all"]));
    assert.ok(isReadOnly(["ip", "-j", "-4", "route", "show", "proto", "bgp"]));
    assert.ok(!isReadOnly(["vtysh", "-c", "configure terminal"]));
    assert.ok(!isReadOnly(["vtysh", "-c", "show version", "-c", "clear bgp *"]));
    assert.ok(!isReadOnly(["vtysh", "-f", "/etc/frr/frr.conf"]));
    assert.ok(!isReadOnly(["birdc", "down"]));
    assert.ok(!isReadOnly(["ip", "route", "add", "198.18.0.0/24", "dev", "lo"]));
    assert.ok(!isReadOnly(["sed", "-i", "s/a/b/", "/etc/frr/frr.conf"]));
    assert.throws(() => batchScript([{ argv: ["birdc", "configure"], timeoutS: 1 }]), /read-only/);
  });

  it("a batch keeps each command's stdout byte for byte, its stderr and exit code apart", function () {
    const dir = mkdtempSync(join(tmpdir(), "dcnet-verify-unit-"));
    try {
      writeFileSync(join(dir, "f"), "a\n neighbor 198.18.0.1 password s3cr'et\n\n");
      const cmds = [
        { argv: ["cat", join(dir, "f")], timeoutS: 5 },
        { argv: ["sed", "-E", "s/^([[:space:]]*neighbor[[:space:]]+[^[:space:]]+[[:space:]]+password[[:space:]]+).*/\\1<secret>/", join(dir, "f")], timeoutS: 5 },
        { argv: ["cat", join(dir, "missing")], timeoutS: 5 },
      ];
      const r = spawnSync("sh", ["-s"], { input: batchScript(cmds), encoding: "utf8" });
      const { results, complete } = parseBatch(r.stdout, cmds.length);
      assert.ok(complete);
      assert.strictEqual(results[0]!.stdout, "a\n neighbor 198.18.0.1 password s3cr'et\n\n");
      assert.strictEqual(results[1]!.stdout, "a\n neighbor 198.18.0.1 password <secret>\n\n");
      assert.strictEqual(results[2]!.code, 1);
      assert.match(results[2]!.stderr, /No such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a unified diff of the changed lines with context", function () {
    const d = unifiedDiff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nD\ne\nf\ng\nh\nI\n", ["planned", "running"]);
    assert.strictEqual(d, "--- planned\n+++ running\n@@ -1,8 +1,9 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n+I\n");
    assert.strictEqual(unifiedDiff("x\n", "x\n", ["a", "b"]), "");
  });

  it("the planned visible frr.conf carries no password; a host without a pinned key is refused", function () {
    const plan = resolve(tinySpec());
    const c = deviceConnections(plan, { hosts: { core1: { host: "198.18.0.1", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEx" } } });
    const text = plannedVisibleConfig(plan, c.find((x) => x.device === "core1")!);
    assert.match(text, /neighbor \S+ password <secret>/);
    assert.doesNotMatch(text, /dcnet-redacted/);
    assert.match(c.find((x) => x.device === "core2")!.refused ?? "", /no pinned host key/);
  });
});

describe("verify: against the lab in ssh mode (planned configs)", function () {
  this.timeout(400000);
  let plan: Plan;
  let state: LabState | undefined;
  let dir: string;
  let inventory: Inventory;
  let jump: ChildProcess | undefined;
  const specFile = () => join(dir, "spec.yaml");
  const invFile = () => join(dir, "inventory.yaml");

  const ssh = (device: string, command: string) => {
    const s = state!.devices[device].ssh!;
    return spawnSync(
      "ssh",
      ["-i", join(dir, "id"), "-o", `UserKnownHostsFile=${join(dir, "known_hosts")}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-p", String(s.port), `${s.user}@${s.host}`, command],
      { encoding: "utf8", timeout: 30000 },
    );
  };
  const cli = (...args: string[]) => {
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(ROOT, "bin/dcnet"), "verify", specFile(), "--inventory", invFile(), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120000 });
    return { ...r, ms: Date.now() - started };
  };
  // Any 8-character window of a password's random part: 4-character windows of hex passwords also
  // occur by chance in the report's sha256 digests (one CI run failed that way), 8 do not (~1e-6).
  const noSecret = (text: string) => {
    for (const pw of Object.values(state!.passwords)) {
      const secret = pw.replace(/^lab-/, "");
      assert.ok(secret.length >= 16, `lab password of ${secret.length} random characters`);
      for (let i = 0; i + 8 <= secret.length; i++) assert.ok(!text.includes(secret.slice(i, i + 8)), `a piece of a password in verify's output (at ${i})`);
    }
  };

  before(async function () {
    requireLab(this, { ssh: true });
    if (spawnSync("ssh", ["-V"]).status !== 0) {
      if (process.env.CI) throw new Error("ssh client missing");
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), "dcnet-verify-"));
    assert.strictEqual(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id")]).status, 0);
    const spec = tinySpec("verify");
    writeFileSync(specFile(), stringify(spec));
    plan = resolve(spec);
    const t0 = Date.now();
    state = await labUp(plan, { name: testLabName("verify"), configs: "planned", ssh: { authorizedKey: readFileSync(join(dir, "id.pub"), "utf8") } });
    figure(`verify lab (tiny three-tier, ssh, planned configs) up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    writeFileSync(join(dir, "known_hosts"), Object.values(state.devices).map((d) => d.ssh!.knownHostsLine).join("\n") + "\n");
    inventory = labInventory(state, join(dir, "id"));
    writeFileSync(invFile(), stringify(inventory));
    // the lab's own check first (namespace runner), until converged
    const deadline = Date.now() + 60000;
    let report = labCheck(plan, state);
    while (!report.ok && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      report = labCheck(plan, state);
    }
    assert.ok(report.ok, formatCheckReport(report));
  });
  after(async function () {
    if (jump?.pid) process.kill(jump.pid, "SIGTERM");
    if (state) await labDown(state);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every device reached over ssh with its pinned key: all checks pass, configs as planned, exit 0", async function () {
    const t0 = Date.now();
    const r = await verify(plan, inventory, { parallel: 4, timeoutMs: 30000 });
    figure(`dcnet verify of ${r.devices.length} lab devices over ssh: ${Date.now() - t0} ms (parallel 4)`);
    assert.strictEqual(r.exitCode, 0, formatVerifyReport(r));
    assert.deepStrictEqual(r.counts, { ok: plan.devices.length, drift: 0, failed: 0, unreachable: 0 });
    for (const d of r.devices) {
      assert.strictEqual(d.config?.drift, false, d.device);
      assert.strictEqual(d.config?.runningSha256, d.config?.plannedSha256);
    }
    const core1 = r.devices.find((d) => d.device === "core1")!;
    assert.ok(core1.switch!.sessions.length >= 3 && core1.switch!.sessions.every((s) => s.ok && s.state === "Established"));
    assert.ok(core1.switch!.routes.some((x) => x.kind === "vip" && x.expected.length === 1));
    assert.ok(r.devices.filter((d) => d.kind === "node").every((d) => d.node!.sessions.every((s) => s.imported === 0) && d.node!.kernelBirdRoutes === 0));
    const c = cli();
    assert.strictEqual(c.status, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /dcnet verify: plan verify — 4 devices: 4 ok, 0 drift, 0 failed, 0 unreachable/);
    assert.match(c.stdout, /DEVICE\s+KIND\s+HOST\s+SESSIONS\s+ROUTES\s+CONFIG\s+STATUS/);
    noSecret(c.stdout);
    const j = cli("--json", "--device", "core1", "--rack", "r1");
    assert.strictEqual(j.status, 0, j.stderr);
    const report = JSON.parse(j.stdout) as VerifyReport;
    assert.deepStrictEqual(report.devices.map((d) => d.device).sort(), ["core1", "r1n1", "r1n2"]);
  });

  const gateCli = (input: object, keys: string[] = []) =>
    spawnSync(process.execPath, [join(ROOT, "bin/dcnet"), "verify", "-", "--inventory", "-", "--json"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120000,
      input: JSON.stringify(input),
      env: { ...process.env, DCNET_SSH_KEYS: JSON.stringify(keys) },
    });

  it("the rollout gate of a wave (r1n1 after the cores): its sessions Established, both cores hold its planned prefixes; CLI and the components' stdin form", async function () {
    const opts = { devices: ["r1n1"], rolledOut: ["core1", "core2"] };
    const r = await verifyGate(plan, inventory, { ...opts, timeoutMs: 30000 });
    assert.strictEqual(r.exitCode, 0, JSON.stringify(r.problems));
    const node = plan.nodes.find((n) => n.name === "r1n1")!;
    for (const core of ["core1", "core2"]) {
      const held = r.devices.find((d) => d.device === core)!.holds;
      assert.deepStrictEqual(held.map((h) => h.prefix).sort(), node.announcements.map((a) => a.prefix).sort(), `${core} checked for every prefix r1n1 announces`);
      assert.ok(held.every((h) => h.ok && h.from === "r1n1"));
    }
    assert.deepStrictEqual(r.devices.find((d) => d.device === "r1n1")!.sessions.map((s) => [s.device, s.state]).sort(), [["core1", "Established"], ["core2", "Established"]]);
    const c = cli("--gate", "r1n1", "--rolled-out", "core1,core2", "--json");
    assert.strictEqual(c.status, 0, c.stdout + c.stderr);
    // the components' form: expectations + connections on stdin, the private key only in DCNET_SSH_KEYS
    const conns = deviceConnections(plan, inventory).map((x) => ({ ...x, identityFile: undefined, privateKey: "$DCNET_SSH_KEY_0" }));
    const exp = gateExpectations(plan, opts);
    const s = gateCli({ plan: plan.name, expectations: exp, connections: conns.filter((x) => exp.some((e) => e.device === x.device)) }, [readFileSync(join(dir, "id"), "utf8")]);
    assert.strictEqual(s.status, 0, s.stdout + s.stderr);
    const report = JSON.parse(s.stdout) as GateReport;
    assert.deepStrictEqual(report.devices.map((d) => [d.device, d.status]), [["core1", "ok"], ["core2", "ok"], ["r1n1", "ok"]]);
    const noKey = gateCli({ plan: plan.name, expectations: exp, connections: conns.filter((x) => exp.some((e) => e.device === x.device)) }, []);
    assert.strictEqual(noKey.status, 1, "a placeholder without its key is refused");
    assert.match(noKey.stderr, /DCNET_SSH_KEYS has no such entry/);
  });

  it("a jump host: the device reached through a bastion whose host key is pinned too", async function () {
    // a bastion sshd of our own in the root namespace (the lab's device sshds forbid forwarding)
    const kh = join(dir, "jump_host_key");
    assert.strictEqual(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", kh]).status, 0);
    writeFileSync(join(dir, "jump_authorized_keys"), readFileSync(join(dir, "id.pub")));
    const port = 20000 + (process.pid % 20000);
    const conf = join(dir, "jump_sshd_config");
    writeFileSync(
      conf,
      [`ListenAddress ${state!.mgmt!.hostAddress}:${port}`, `HostKey ${kh}`, `PidFile ${join(dir, "jump.pid")}`, `AuthorizedKeysFile ${join(dir, "jump_authorized_keys")}`, "PermitRootLogin prohibit-password", "PasswordAuthentication no", "UsePAM no", "StrictModes no", "AllowTcpForwarding yes", ""].join("\n"),
    );
    const sshd = spawnSync("sh", ["-c", "command -v sshd || ls /usr/sbin/sshd"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
    jump = spawn(sshd, ["-D", "-e", "-f", conf], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 800));
    const hostKey = readFileSync(`${kh}.pub`, "utf8").trim();
    const inv: Inventory = { ...inventory, hosts: { ...inventory.hosts, r1n1: { ...inventory.hosts.r1n1, proxy: { host: state!.mgmt!.hostAddress, port, hostKey, identityFile: join(dir, "id") } } } };
    const ok = await verify(plan, inv, { devices: ["r1n1"], timeoutMs: 20000 });
    assert.strictEqual(ok.exitCode, 0, formatVerifyReport(ok));
    // the same bastion with a wrong pinned key: refused, the device unreachable
    const other = readFileSync(join(dir, "id.pub"), "utf8").trim();
    const bad = await verify(plan, { ...inv, hosts: { ...inv.hosts, r1n1: { ...inv.hosts.r1n1, proxy: { ...inv.hosts.r1n1.proxy!, hostKey: other } } } }, { devices: ["r1n1"], timeoutMs: 20000 });
    assert.strictEqual(bad.exitCode, 2, formatVerifyReport(bad));
    process.kill(jump.pid!, "SIGTERM");
    jump = undefined;
  });

  it("a hand-edited frr.conf on a switch: drift with its diff, nothing secret shown, exit 1", async function () {
    const conf = state!.devices.core1.frr!.conf;
    const before = ssh("core1", `cat ${conf}`).stdout;
    assert.strictEqual(ssh("core1", `sed -i 's/^hostname core1$/hostname core1-by-hand/' ${conf} && printf 'ip forwarding\\n' >> ${conf}`).status, 0);
    try {
      const c = cli();
      assert.strictEqual(c.status, 1, c.stdout + c.stderr);
      assert.match(c.stdout, /core1\s+switch core\s+\S+\s+\d+\/\d+\s+\S+\s+drift\s+DRIFT/);
      assert.match(c.stdout, /^\s+-hostname core1$/m);
      assert.match(c.stdout, /^\s+\+hostname core1-by-hand$/m);
      assert.match(c.stdout, /^\s+\+ip forwarding$/m);
      assert.match(c.stdout, /--- planned core1 /);
      console.log(c.stdout.split("\n").filter((l) => /^(dcnet verify|core1 |switch core1|  (SESSION|r1n|core1--)|  config|    [-+@ ]|  - )/.test(l)).slice(0, 40).map((l) => `      | ${l}`).join("\n"));
      noSecret(c.stdout);
      const j = JSON.parse(cli("--json").stdout) as VerifyReport;
      const d = j.devices.find((x) => x.device === "core1")!;
      assert.strictEqual(d.status, "drift");
      assert.notStrictEqual(d.config!.runningSha256, d.config!.plannedSha256);
      assert.deepStrictEqual(j.devices.filter((x) => x.status !== "ok").map((x) => x.device), ["core1"]);
      noSecret(JSON.stringify(j));
    } finally {
      writeFileSync(join(dir, "restore"), before);
      assert.strictEqual(spawnSync("sh", ["-c", `cat '${join(dir, "restore")}' > '${conf}'`]).status, 0);
    }
  });

  it("an unreachable host in the inventory: exit 2 within the per-device timeout, the others still checked", function () {
    const mgmt = state!.mgmt!.prefix.split("/")[0].split(".").slice(0, 3).join(".");
    const inv = { ...inventory, hosts: { ...inventory.hosts, r1n2: { ...inventory.hosts.r1n2, host: `${mgmt}.250` } } };
    const f = join(dir, "inventory-unreachable.yaml");
    writeFileSync(f, stringify(inv));
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(ROOT, "bin/dcnet"), "verify", specFile(), "--inventory", f, "--timeout", "3", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 60000 });
    const ms = Date.now() - started;
    figure(`dcnet verify with one unreachable host (--timeout 3): exit ${r.status} after ${ms} ms`);
    assert.strictEqual(r.status, 2, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout) as VerifyReport;
    assert.strictEqual(j.devices.find((d) => d.device === "r1n2")!.status, "unreachable");
    assert.match(j.devices.find((d) => d.device === "r1n2")!.unreachable!, /\.250:22/);
    assert.strictEqual(j.devices.find((d) => d.device === "r1n1")!.status, "ok");
    const r2 = j.devices.find((d) => d.device === "r1n2")!;
    assert.ok(r2.ms < 4500, `r1n2 took ${r2.ms} ms`);
    assert.ok(ms < 20000, `verify took ${ms} ms`);
  });

  it("BIRD stopped on a node: failed checks on the node and on its switches, exit 1", async function () {
    await stopBird(state!, "r1n2", "kill");
    const c = cli();
    assert.strictEqual(c.status, 1, c.stdout + c.stderr);
    assert.match(c.stdout, /r1n2\s+node worker\s+\S+\s+0\/2\s+imported 0\s+as planned\s+FAILED/);
    assert.match(c.stdout, /r1n2: birdc on r1n2/);
    assert.match(c.stdout, /core1: session \S+ with r1n2 \(198\.18\.20\.12\) is (?!Established)/);
    console.log(c.stdout.split("\n").filter((l) => /^(dcnet verify|r1n2 |core1 |node r1n2|  uplink|  - )/.test(l)).map((l) => `      | ${l}`).join("\n"));
    const j = JSON.parse(cli("--json").stdout) as VerifyReport;
    assert.deepStrictEqual(j.devices.filter((d) => d.status === "failed").map((d) => d.device).sort(), ["core1", "core2", "r1n2"]);
    assert.strictEqual(j.devices.find((d) => d.device === "r1n1")!.status, "ok");
    // the gate of r1n2's wave fails on the peers' side too (they no longer hold its prefixes); r1n1's still passes
    const g = cli("--gate", "r1n2", "--rolled-out", "core1,core2", "--json");
    assert.strictEqual(g.status, 1, g.stdout + g.stderr);
    const gate = JSON.parse(g.stdout) as GateReport;
    const pod = plan.nodes.find((n) => n.name === "r1n2")!.podCIDR.prefix;
    assert.ok(gate.problems.some((p) => p.startsWith("core1: holds no valid path to " + pod + " from r1n2")), gate.problems.join("\n"));
    assert.ok(gate.problems.some((p) => p.startsWith("r1n2: ")), "and the node's own view");
    console.log(gate.problems.slice(0, 4).map((l) => `      | gate: ${l}`).join("\n"));
    assert.strictEqual(cli("--gate", "r1n1", "--rolled-out", "core1,core2").status, 0, "the other node's gate still passes");
  });

  it("the components' step gates (rollout.peerCheck) over ssh: a step after r1n1 starts; with r1n2's BIRD stopped the rollout's last step fails, naming the cores", async function () {
    // what DataCenter's hooks run, with the engine's part played here: after(device applied), before(next step)
    const key = readFileSync(join(dir, "id"), "utf8");
    const info = new Map<string, GateDevice>(
      deviceConnections(plan, inventory).map((x) => [
        x.device,
        { target: { device: x.device, host: x.host, hostKey: x.hostKey, ssh: { port: x.port, user: x.user, privateKey: key } }, bird: { ...x.bird, controlSocket: x.bird.controlSocket ?? "" }, frr: { ...x.frr, vtySocketDir: x.frr.vtySocketDir ?? "", pathspace: x.frr.pathspace ?? "" } },
      ]),
    );
    const steps = rolloutPlan(plan, { strategy: "waves" });
    // loaded here: the other suites load @pulumi/pulumi after setting their mocks
    const { StepGates } = require("../components/step-gates") as typeof import("../components/step-gates");
    const gates = new StepGates("lab", plan, steps, info, { parallel: 4, timeoutMs: 8000, intervalMs: 1000 }, false);
    for (const s of steps) gates.bind(`lab-${s.device}`, s.device);
    gates.bindFinal("lab-rollout-check");
    const after1 = steps.find((s) => s.dependsOn.includes("r1n1"));
    gates.afterStep("lab-r1n1");
    const t0 = Date.now();
    if (after1) await gates.beforeStep(`lab-${after1.device}`);
    else await gates.check("r1n1");
    figure(`step gate of r1n1 over ssh (r1n1, core1, core2): ${Date.now() - t0} ms`);
    gates.afterStep("lab-r1n2");
    const pod = plan.nodes.find((n) => n.name === "r1n2")!.podCIDR.prefix;
    await assert.rejects(gates.beforeStep("lab-rollout-check"), (e: Error) => {
      assert.match(e.message, /^the rollout is not complete: r1n2 was applied, but its peers' check fails after 8 s: /);
      assert.ok(e.message.includes(`core1: holds no valid path to ${pod} from r1n2`), e.message);
      console.log(`      | ${e.message.slice(0, 300)}`);
      return true;
    });
  });
});
