/**
 * End to end with the real Pulumi engine: `pulumi up` configures the lab's data center.
 *
 * The lab (sdk/lab) brings up a small spine–leaf data center in network namespaces, in ssh mode
 * with baseline configs: real BIRD and FRR, one sshd per device with a pinned host key, no BGP
 * session configured. A Pulumi program in a temp folder (Pulumi.yaml, runtime nodejs, index.js
 * using dcnet's `DataCenter` from this repo) is then driven with the `pulumi` CLI, a local file
 * backend (`PULUMI_BACKEND_URL=file://<tmp>/state`) and a passphrase:
 *
 * 1. `pulumi up` installs every node's BIRD and every switch's FRR config over SSH through the
 *    command provider's `remote.Command`; `labCheck` then passes (sessions, routes, ECMP);
 * 2. a second `pulumi up --expect-no-changes` passes;
 * 3. the spec is edited (a node added to rack r1, BGP timers changed): `pulumi preview --diff`
 *    shows, per device, exactly the config lines the renderer changes, the new node's command,
 *    the changed secrets as [secret] only, and no secret; `pulumi up` applies it and `labCheck` passes again;
 * 4. an invalid line pushed to one switch (`extraConfig`) fails that resource with FRR's own
 *    error; every device keeps its config and sessions, nothing else is touched; removing the
 *    line and re-running converges;
 * 5. the stack files and `pulumi stack export` never hold the BGP password or the SSH key;
 * 6. `pulumi destroy` puts every device back to dcnet's documented baseline.
 *
 * The engine: `pulumi` from `scripts/install-pulumi-engine.sh --print-env` when that cache is
 * built, else `pulumi` on PATH (a normal install: `curl -fsSL https://get.pulumi.com | sh`, which
 * fetches the command provider by itself). A 3-second probe previews one `remote.Command`
 * first: the engine qualifies only if its command provider implements it.
 *
 * Gate: needs root, the lab's tools (bird2, frr, iproute2, openssh) and that engine. Outside CI a
 * missing piece skips the suite with the reason; with CI=true it FAILS — with one exception,
 * recorded in issue 6: when the only command provider on the machine is the stand-in that
 * scripts/install-pulumi-engine.sh builds because the Go module proxy refuses
 * github.com/pulumi/pulumi-command/provider (the stand-in has no `command:remote:*`), the suite
 * is reported pending with that reason. DCNET_E2E_REQUIRE_ENGINE=1 turns that into a failure too.
 *
 * DCNET_E2E_KEEP=1 keeps the temp folder (program, state, logs); DCNET_E2E_PREVIEW_OUT=FILE
 * writes the step-3 `pulumi preview --diff` text there.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { homedir, tmpdir } from "os";
import { join, resolve as resolvePath } from "path";
import { gunzipSync } from "zlib";
import { DataCenterSpec } from "../sdk/spec/types";
import { Plan } from "../sdk/plan/types";
import { resolve } from "../sdk/resolve/resolve";
import { renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { renderSwitchConfig, renderSwitchSecrets } from "../sdk/render/switch/index";
import { birdBaselineConfig, frrBaselineConfig } from "../sdk/apply";
import { formatCheckReport, labCheck, labDown, labUp, LabState, probeSessions, vtysh } from "../sdk/lab";
import { inCI, requireLab, testLabName } from "./support/lab-env";

const ROOT = resolvePath(__dirname, "..");
const STACK = "e2e";
const DC = "e2e"; // DataCenter component name: resources are e2e-<device>-(bird|frr)(-secrets)
const PASSWORD = `e2e-Bgp-${randomBytes(6).toString("hex")}`;
const PASSPHRASE = `e2e-passphrase-${randomBytes(6).toString("hex")}`;
const VERIFY_S = 150; // BIRD waits 60 s after a BFD flap (see sdk/lab/up.ts DEFAULT_WAIT_MS)
const BAD_LINE = "no-such-command dcnet-e2e";
const STAND_IN_MARK = "is not implemented by this pulumi-resource-command build";

/** 1 spine + 2 racks × (2 leaves + 2 nodes), 198.18.0.0/15 only; `edited`: + r1n3, other BGP timers. */
export function e2eSpec(edited: boolean): DataCenterSpec {
  const node = (name: string, id: number, address: string, role: "l4lb" | "worker") => ({ name, id, address, role });
  return {
    name: "e2e",
    topology: "spineLeaf",
    asn: { spine: 65000, leaves: { from: 65101, to: 65199 }, nodes: { from: 65201, to: 65299 }, nodeScheme: "perRack" },
    pools: {
      podCidr: { cidr: "198.19.0.0/16", prefixLength: 24, perRack: 16 },
      loopbacks: "198.18.0.0/24",
      fabricLinks: "198.18.1.0/24",
      vips: [{ name: "public", cidr: "198.18.200.0/30" }],
    },
    bgp: { keepalive: edited ? 4 : 3, hold: edited ? 12 : 9, passwordRef: "bgp-nodes" },
    switches: [
      { name: "spine1", role: "spine", id: 1 },
      { name: "leaf1a", role: "leaf", id: 3, rack: "r1" },
      { name: "leaf1b", role: "leaf", id: 4, rack: "r1" },
      { name: "leaf2a", role: "leaf", id: 5, rack: "r2" },
      { name: "leaf2b", role: "leaf", id: 6, rack: "r2" },
    ],
    racks: [
      {
        name: "r1",
        id: 1,
        nodeNetwork: "198.18.10.0/24",
        nodes: [node("r1n1", 1, "198.18.10.11", "l4lb"), node("r1n2", 2, "198.18.10.12", "worker"), ...(edited ? [node("r1n3", 3, "198.18.10.13", "worker")] : [])],
      },
      { name: "r2", id: 2, nodeNetwork: "198.18.11.0/24", nodes: [node("r2n1", 1, "198.18.11.11", "l4lb"), node("r2n2", 2, "198.18.11.12", "worker")] },
    ],
  } as DataCenterSpec;
}

/** The rendered config a device gets from the components (what `stdin` of its config command holds). */
export function configOf(plan: Plan, device: string, secretsDir?: string): string {
  const d = plan.devices.find((x) => x.name === device)!;
  return d.kind === "switch" ? renderSwitchConfig(plan, device).text : renderBirdConfig(plan, device, secretsDir ? { secretsDir } : {});
}

/** Lines added and removed from a to b, as multisets (sorted). */
export function lineDelta(a: string, b: string): { added: string[]; removed: string[] } {
  const count = (t: string) => {
    const m = new Map<string, number>();
    for (const l of t.split("\n")) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  const minus = (x: Map<string, number>, y: Map<string, number>) =>
    [...x].flatMap(([l, n]) => Array<string>(Math.max(0, n - (y.get(l) ?? 0))).fill(l)).sort();
  return { added: minus(cb, ca), removed: minus(ca, cb) };
}

/**
 * The base64 text that any encoding of a byte string containing `s` must contain, for each of the
 * three alignments of `s` in it (only the 4-character groups made of `s`'s bytes alone).
 */
export function base64Variants(s: string): string[] {
  const bytes = Buffer.from(s, "utf8");
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), bytes]).toString("base64");
    const from = 4 * Math.ceil(k / 3);
    const to = 4 * Math.floor((k + bytes.length) / 3);
    if (to > from) out.push(enc.slice(from, to));
  }
  return out;
}

/** The secret payloads the components send for a plan (every device's secret file texts, base64 as in the payload). */
export function secretPayloadsOf(plan: Plan, password: string): string[] {
  const pw = { "bgp-nodes": password };
  const out: string[] = [];
  for (const d of plan.devices) {
    const texts = d.kind === "node" ? renderBirdSecrets(plan, d.name, pw).map((f) => f.text) : [renderSwitchSecrets(plan, d.name, pw)];
    for (const t of texts) if (t.includes(password)) out.push(Buffer.from(t, "utf8").toString("base64"));
  }
  return out;
}

/** One resource of a `pulumi preview --diff` text: its operation and, per property, the marked lines. */
export interface DiffResource {
  op: string;
  props: Map<string, { added: string[]; removed: string[]; text: string[] }>;
}

/**
 * Parse `pulumi preview --diff --color never`. A resource starts with `  <op> <type>: (<operation>)`
 * followed by `[urn=...::<name>]`; a property with `<op> <name>: ...` and a multi-line string
 * property lists its lines below, changed ones marked `- ` / `+ ` four columns right of the
 * property's own marker (unchanged ones two columns further).
 */
export function parsePreviewDiff(text: string): Map<string, DiffResource> {
  const out = new Map<string, DiffResource>();
  let pendingOp: string | undefined;
  let cur: DiffResource | undefined;
  let prop: { indent: number; entry: { added: string[]; removed: string[]; text: string[] } } | undefined;
  for (const line of text.split("\n")) {
    const head = /^\s*(?:[~+\-]{1,2}\s+)?[\w.-]+:[\w.\/-]+:[\w.-]+: \(([\w -]+)\)/.exec(line);
    if (head) {
      pendingOp = head[1].trim();
      cur = undefined;
      prop = undefined;
      continue;
    }
    const urn = /^\s*\[urn=(.*)\]\s*$/.exec(line);
    if (urn && pendingOp !== undefined) {
      const name = urn[1].slice(urn[1].lastIndexOf("::") + 2);
      cur = { op: pendingOp, props: new Map() };
      out.set(name, cur);
      pendingOp = undefined;
      continue;
    }
    if (!cur) continue;
    if (/^\S/.test(line) || line.trim() === "--outputs:--") {
      cur = undefined;
      prop = undefined;
      continue;
    }
    const p = /^(\s*)([~+\-]) ([A-Za-z_][\w]*)\s*: ?(.*)$/.exec(line);
    if (p && (!prop || p[1].length <= prop.indent)) {
      const entry = { added: [] as string[], removed: [] as string[], text: [p[4]] };
      cur.props.set(p[3], entry);
      prop = { indent: p[1].length, entry };
      continue;
    }
    if (!prop) continue;
    const markCol = prop.indent + 4;
    const mark = line.charAt(markCol);
    if ((mark === "-" || mark === "+") && line.slice(0, markCol).trim() === "" && (line.charAt(markCol + 1) === " " || line.length === markCol + 1)) {
      const content = line.slice(markCol + 2);
      (mark === "+" ? prop.entry.added : prop.entry.removed).push(content);
    }
    prop.entry.text.push(line);
  }
  return out;
}

/** Net line changes of a parsed property (a line removed and added again cancels out), sorted. */
export function netLines(e: { added: string[]; removed: string[] }): { added: string[]; removed: string[] } {
  return lineDelta(e.removed.join("\n"), e.added.join("\n"));
}

export interface Engine {
  /** Environment for every pulumi command (PATH etc.). */
  env: NodeJS.ProcessEnv;
  /** Where it came from. */
  how: string;
  version: string;
}

/**
 * Why the real command provider cannot be fetched here (the exact go command and its error), or
 * undefined when the Go module proxy serves it (then a missing engine is a CI failure).
 */
export function commandProviderUnobtainable(cwd: string): string | undefined {
  const args = ["mod", "download", "-json", "github.com/pulumi/pulumi-command/provider@v1.2.1"];
  const r = spawnSync("go", args, { encoding: "utf8", cwd, timeout: 120000, env: { ...process.env, GOFLAGS: "-mod=mod" } });
  if (r.error) return `go is not available to check the command provider (${r.error.message})`;
  const err = /"Error":\s*"([^"]*)"/.exec(r.stdout ?? "")?.[1] ?? (r.status !== 0 ? (r.stderr || r.stdout).trim() : undefined);
  return err ? `go ${args.join(" ")}: ${err.replace(/\\n/g, " ").slice(0, 400)}` : undefined;
}

/** The engine: the install script's cache when built, else `pulumi` on PATH. */
export function findEngine(): Engine | { missing: string } {
  const base: NodeJS.ProcessEnv = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" };
  const script = join(ROOT, "scripts/install-pulumi-engine.sh");
  const printed = spawnSync("bash", [script, "--print-env"], { encoding: "utf8", timeout: 30000 });
  if (printed.status === 0) {
    const env = { ...base };
    for (const line of printed.stdout.split("\n")) {
      const m = /^export ([A-Z_]+)="(.*)"$/.exec(line.trim());
      if (m) env[m[1]] = m[2].replace(/\$PATH/g, process.env.PATH ?? "");
    }
    const v = spawnSync("pulumi", ["version"], { encoding: "utf8", env, timeout: 30000 });
    if (v.status === 0) return { env, how: "scripts/install-pulumi-engine.sh", version: v.stdout.trim() };
  }
  const v = spawnSync("pulumi", ["version"], { encoding: "utf8", env: base, timeout: 30000 });
  if (v.status === 0) return { env: base, how: "pulumi on PATH", version: v.stdout.trim() };
  return {
    missing: `no Pulumi CLI: scripts/install-pulumi-engine.sh --print-env said "${(printed.stderr || printed.stdout).trim()}" and \`pulumi\` is not on PATH (run scripts/install-pulumi-engine.sh, or install Pulumi: curl -fsSL https://get.pulumi.com | sh)`,
  };
}

/** Run a pulumi command; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runPulumi(
  engine: Engine,
  cwd: string,
  env: NodeJS.ProcessEnv,
  args: string[],
  opts: { input?: string; timeoutMs?: number; log?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolveRun) => {
    const child = spawn("pulumi", args, { cwd, env: { ...engine.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    const timer = setTimeout(() => child.kill("SIGTERM"), opts.timeoutMs ?? 900000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (opts.log) {
        const header = `\n===== pulumi ${args.join(" ")} → ${code ?? signal} in ${(ms / 1000).toFixed(1)} s\n`;
        writeFileSync(opts.log, header + stdout + (stderr ? `\n----- stderr\n${stderr}` : ""), { flag: "a" });
      }
      resolveRun({ code: code ?? -1, stdout, stderr: stderr + (signal ? `\n(killed by ${signal})` : ""), ms });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** A minimal program dir: Pulumi.yaml (nodejs, plain JS), package.json, node_modules → the repo's. */
export function writeProgram(dir: string, name: string, indexJs: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n`);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, main: "index.js" }) + "\n");
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "index.js"), indexJs);
}

/** Does this engine's command provider implement command:remote:Command? (a preview, nothing runs) */
async function probeRemoteCommand(engine: Engine, tmp: string): Promise<{ ok: true } | { ok: false; why: string; standIn: boolean }> {
  const dir = join(tmp, "probe");
  writeProgram(
    dir,
    "dcnet-e2e-probe",
    `const command = require("@pulumi/command");\nnew command.remote.Command("probe", { connection: { host: "127.0.0.1" }, create: "true" });\n`,
  );
  mkdirSync(join(tmp, "probe-state"), { recursive: true });
  const env = { PULUMI_BACKEND_URL: `file://${join(tmp, "probe-state")}`, PULUMI_CONFIG_PASSPHRASE: "probe" };
  const init = await runPulumi(engine, dir, env, ["stack", "init", "probe", "--non-interactive"], { timeoutMs: 60000 });
  if (init.code !== 0) return { ok: false, why: `pulumi stack init failed: ${init.stdout}${init.stderr}`, standIn: false };
  const pre = await runPulumi(engine, dir, env, ["preview", "--non-interactive", "--color", "never", "--stack", "probe"], { timeoutMs: 180000 });
  if (pre.code === 0) return { ok: true };
  const text = `${pre.stdout}\n${pre.stderr}`;
  const line = text.split("\n").find((l) => /error:/.test(l))?.trim() ?? text.trim().split("\n").slice(-5).join(" | ");
  return { ok: false, why: line, standIn: text.includes(STAND_IN_MARK) };
}

/** Every file under dir, decompressed when gzipped. */
function readTree(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const buf = readFileSync(p);
        out.push({ file: p, text: (p.endsWith(".gz") ? gunzipSync(buf) : buf).toString("utf8") });
      }
    }
  };
  walk(dir);
  return out;
}

describe("e2e: the real Pulumi engine configures the lab data center over SSH", function () {
  this.timeout(3600000);
  let engine: Engine;
  let tmp = "";
  let prog = "";
  let log = "";
  let state: LabState | undefined;
  let privateKey = "";
  let broken = "";
  const plan1 = resolve(e2eSpec(false));
  const plan2 = resolve(e2eSpec(true));
  const timings: string[] = [];
  const started = Date.now();

  const env = () => ({ PULUMI_BACKEND_URL: `file://${join(tmp, "state")}`, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
  const pulumi = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => runPulumi(engine, prog, env(), [...args, "--stack", STACK], { ...opts, log });
  const out = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
  const step = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    if (broken) throw new Error(`not run: an earlier step failed (${broken})`);
    const t0 = Date.now();
    try {
      return await f();
    } catch (e) {
      broken = what;
      throw e;
    } finally {
      const line = `${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`;
      timings.push(line);
      console.log(`      [e2e] ${line}`);
    }
  };
  const writeSpec = (edited: boolean) => writeFileSync(join(prog, "spec.json"), JSON.stringify(e2eSpec(edited), null, 2) + "\n");
  const writeExtra = (extra: Record<string, string> | undefined) => writeFileSync(join(prog, "extra-config.json"), JSON.stringify(extra ?? {}) + "\n");

  /** labCheck, retried for up to `ms` while routes converge after an apply. */
  const checkLab = async (plan: Plan, ms = 60000) => {
    const end = Date.now() + ms;
    let report = labCheck(plan, state!);
    while (!report.ok && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 2000));
      report = labCheck(plan, state!);
    }
    assert.ok(report.ok, `lab check failed:\n${report.problems.join("\n")}\n${formatCheckReport(report)}`);
    return report;
  };
  /** The file each device runs (bird.conf or frr.conf) and its text. */
  const runningFiles = (plan: Plan) =>
    Object.fromEntries(
      plan.devices.map((d) => {
        const ld = state!.devices[d.name];
        const f = ld.bird?.conf ?? ld.frr!.conf;
        return [d.name, readFileSync(f, "utf8")];
      }),
    );
  const assertRunsPlan = (plan: Plan) => {
    const files = runningFiles(plan);
    for (const d of plan.devices) {
      const want = configOf(plan, d.name, state!.devices[d.name].bird?.secretsDir);
      if (d.kind === "node") assert.equal(files[d.name], want, `${d.name} runs its rendered bird.conf`);
      else assert.ok(files[d.name].startsWith(want), `${d.name} runs its rendered frr.conf (+ the secrets overlay)`);
    }
  };

  before(async function () {
    const ci = inCI();
    tmp = mkdtempSync(join(tmpdir(), "dcnet-e2e-"));
    log = join(tmp, "pulumi.log");
    const require = process.env.DCNET_E2E_REQUIRE_ENGINE === "1";
    const pendingBlocked = (why: string) => {
      console.warn(
        `      BLOCKED (issue 6): ${why}\n` +
          "      The real pulumi-resource-command cannot be obtained on this machine (the Go module proxy refuses it and no\n" +
          "      other registry ships it); dcnet does not replace the engine with an imitation. The e2e suite is pending until a\n" +
          "      real provider is installed (`pulumi plugin install resource command 1.2.1` on a machine with internet).",
      );
      this.skip();
    };
    const found = findEngine();
    if ("missing" in found) {
      const blocked = commandProviderUnobtainable(tmp);
      if (blocked && !require) pendingBlocked(`${found.missing}; ${blocked}`);
      if (ci) throw new Error(`${found.missing} (CI=true: .ci/run must install the engine)`);
      console.warn(`      skipping the e2e test: ${found.missing}`);
      this.skip();
    }
    engine = found as Engine;
    const probe = await probeRemoteCommand(engine, tmp);
    if (!probe.ok) {
      const why = `the command provider of ${engine.how} (pulumi ${engine.version}) cannot run command:remote:Command: ${probe.why}`;
      const blocked = commandProviderUnobtainable(tmp);
      if (blocked && !require) pendingBlocked(`${why}; ${blocked}`);
      if (ci) throw new Error(why);
      console.warn(`      skipping the e2e test: ${why}`);
      this.skip();
    }
    requireLab(this, { ssh: true });
    console.log(`      [e2e] engine: ${engine.how}, pulumi ${engine.version}; work dir ${tmp}`);

    const key = join(tmp, "id_ed25519");
    const kg = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "dcnet-e2e", "-f", key]);
    assert.equal(kg.status, 0, String(kg.stderr));
    privateKey = readFileSync(key, "utf8");
    // the lab holds the superset (the edited spec's r1n3 too); step 1 applies the smaller spec
    const t0 = Date.now();
    state = await labUp(plan2, {
      name: testLabName("e2e"),
      configs: "baseline",
      ssh: { authorizedKey: readFileSync(`${key}.pub`, "utf8").trim() },
      passwords: { "bgp-nodes": PASSWORD },
      waitTimeoutMs: 0,
    });
    timings.push(`lab up (ssh, baseline, ${plan2.devices.length} devices): ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // per-device connection and paths of the lab, read by the program
    const hosts: Record<string, unknown> = {};
    for (const d of plan2.devices) {
      const ld = state.devices[d.name];
      hosts[d.name] = {
        host: ld.ssh!.host,
        hostKey: ld.ssh!.hostPublicKey,
        ...(ld.ssh!.port !== 22 ? { ssh: { port: ld.ssh!.port } } : {}),
        ...(ld.bird ? { birdPaths: { configFile: ld.bird.conf, controlSocket: ld.bird.socket, secretsDir: ld.bird.secretsDir } } : {}),
        ...(ld.frr
          ? { frrPaths: { configFile: ld.frr.conf, vtySocketDir: ld.frr.vtySocketDir, stateDir: join(ld.dir, "dcnet"), secretsDir: join(ld.dir, "dcnet-secrets") } }
          : {}),
      };
    }
    prog = join(tmp, "program");
    writeProgram(
      prog,
      "dcnet-e2e",
      `// dcnet e2e program (written by test/e2e-pulumi.test.ts): the spec in spec.json applied to the lab over SSH.
require("tsx/cjs"); // dcnet's components are TypeScript
const fs = require("fs");
const path = require("path");
const pulumi = require("@pulumi/pulumi");
const { DataCenter, RackOrder } = require(${JSON.stringify(join(ROOT, "components"))});

const config = new pulumi.Config();
const read = (f) => JSON.parse(fs.readFileSync(path.join(__dirname, f), "utf8"));
const spec = read("spec.json");
const devices = new Set([...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))]);
const hosts = Object.fromEntries(Object.entries(read("lab-hosts.json")).filter(([d]) => devices.has(d)));
const extraConfig = read("extra-config.json");

const dc = new DataCenter(${JSON.stringify(DC)}, {
  spec,
  passwords: { "bgp-nodes": config.requireSecret("bgpPassword") },
  ssh: { user: "root", privateKey: config.requireSecret("sshPrivateKey") },
  hosts,
  extraConfig,
  rollout: { rackOrder: RackOrder.parallel, maxHostsInFlightPerRack: 2, verifyTimeoutSeconds: ${VERIFY_S} },
  // the lab's devices share this machine's filesystem: the script files stay in the run's folder
  scripts: { dir: ${JSON.stringify(join(tmp, "dcnet-scripts"))} },
});
exports.summary = dc.summary;
exports.switchConfigSha256 = dc.switchConfigSha256;
exports.nodeConfigSha256 = dc.nodeConfigSha256;
`,
    );
    writeFileSync(join(prog, "lab-hosts.json"), JSON.stringify(hosts, null, 2) + "\n");
    writeSpec(false);
    writeExtra(undefined);
    mkdirSync(join(tmp, "state"), { recursive: true });
    for (const args of [
      ["stack", "init", STACK, "--non-interactive"],
      ["config", "set", "--secret", "bgpPassword", "--non-interactive"],
      ["config", "set", "--secret", "sshPrivateKey", "--non-interactive"],
    ]) {
      const input = args.includes("bgpPassword") ? PASSWORD : args.includes("sshPrivateKey") ? privateKey : undefined;
      const r = await runPulumi(engine, prog, env(), args[0] === "stack" ? args : [...args, "--stack", STACK], { input, timeoutMs: 60000, log });
      assert.equal(r.code, 0, `pulumi ${args.join(" ")}:\n${out(r)}`);
    }
    const stackFile = readFileSync(join(prog, `Pulumi.${STACK}.yaml`), "utf8");
    assert.ok(!stackFile.includes(PASSWORD) && !stackFile.includes(privateKey.split("\n")[1]), "stack config holds only ciphertext");
  });

  after(async () => {
    if (timings.length) console.log(`      [e2e] timings:\n${timings.map((t) => `        ${t}`).join("\n")}\n        total: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (state) await labDown(state);
    if (tmp && !process.env.DCNET_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
    else if (tmp) console.log(`      [e2e] kept ${tmp} (pulumi.log, program/, state/)`);
  });

  it("1. pulumi up installs every BIRD and FRR config over SSH; the lab check passes", () =>
    step("1 up", async () => {
      assert.ok(probeSessions(plan1, state!).every((s) => !s.established), "the lab starts from the baseline");
      const r = await pulumi(["up", "--yes", "--non-interactive", "--skip-preview", "--color", "never"], { timeoutMs: 1800000 });
      assert.equal(r.code, 0, `pulumi up failed:\n${out(r)}`);
      assert.ok(!out(r).includes(PASSWORD), "up output shows no password");
      assertRunsPlan(plan1);
      await checkLab(plan1);
      const exp = await pulumi(["stack", "export"]);
      const resources: { type: string; urn: string }[] = JSON.parse(exp.stdout).deployment.resources ?? [];
      const commands = resources.filter((x) => x.type === "command:remote:Command").map((x) => x.urn.slice(x.urn.lastIndexOf("::") + 2)).sort();
      for (const d of plan1.devices) assert.ok(commands.includes(`${DC}-${d.name}-${d.kind === "node" ? "bird" : "frr"}`), `${d.name} has its config command`);
      assert.equal(commands.length, plan1.devices.length, "one command per device");
    }));

  it("2. a second pulumi up --expect-no-changes passes", () =>
    step("2 up --expect-no-changes", async () => {
      const r = await pulumi(["up", "--yes", "--non-interactive", "--expect-no-changes", "--color", "never"], { timeoutMs: 600000 });
      assert.equal(r.code, 0, `second up reported changes or failed:\n${out(r)}`);
    }));

  it("3. spec edit: preview --diff shows exactly the changed lines of exactly the affected devices, no secret; up applies it", () =>
    step("3 edit: preview --diff + up", async () => {
      writeSpec(true);
      const pre = await pulumi(["preview", "--diff", "--non-interactive", "--color", "never"], { timeoutMs: 600000 });
      assert.equal(pre.code, 0, `preview failed:\n${out(pre)}`);
      const text = pre.stdout;
      if (process.env.DCNET_E2E_PREVIEW_OUT) writeFileSync(process.env.DCNET_E2E_PREVIEW_OUT, text);
      assert.ok(!out(pre).includes(PASSWORD), "the preview shows no BGP password");
      assert.ok(!out(pre).includes(privateKey.split("\n")[1]), "the preview shows no SSH key");
      const diff = parsePreviewDiff(text);

      // the new node: its component and both commands are created
      assert.equal(diff.get(`${DC}-r1n3-bird`)?.op, "create", "the new node's command is created");
      // every existing device: its config command changes iff the renderer's output changes, by exactly those lines
      for (const d of plan1.devices) {
        const res = `${DC}-${d.name}-${d.kind === "node" ? "bird" : "frr"}`;
        const dir = state!.devices[d.name].bird?.secretsDir;
        const want = lineDelta(configOf(plan1, d.name, dir), configOf(plan2, d.name, dir));
        const changed = want.added.length + want.removed.length > 0;
        if (!changed) {
          assert.ok(!diff.has(res) || diff.get(res)!.op === "same", `${res} must not change`);
          continue;
        }
        const entry = diff.get(res)?.props.get("stdin");
        assert.ok(entry, `${res}: stdin diff shown (op ${diff.get(res)?.op})`);
        assert.deepEqual(netLines(entry), want, `${res}: the diff shows exactly the changed config lines`);
      }
      // the r1n3 lines appear in rack r1's leaves only
      for (const [name, r] of diff) {
        const lines = [...(r.props.get("stdin")?.added ?? []), ...(r.props.get("stdin")?.removed ?? [])].join("\n");
        if (/-(leaf2a|leaf2b|spine1|r2n\d|r1n1|r1n2)-/.test(`${name}-`)) assert.ok(!lines.includes("198.18.10.13"), `${name} does not mention the new node`);
      }
      // secrets: only rack r1's leaves' overlays change (a password line for r1n3); their environment shows as [secret]
      const secretChanges = [...diff.keys()].filter((n) => diff.get(n)!.op !== "create" && diff.get(n)!.props.has("environment")).sort();
      assert.deepEqual(secretChanges, [`${DC}-leaf1a-frr`, `${DC}-leaf1b-frr`]);
      for (const n of secretChanges) assert.match(diff.get(n)!.props.get("environment")!.text.join("\n"), /\[secret\]/);

      const r = await pulumi(["up", "--yes", "--non-interactive", "--skip-preview", "--color", "never"], { timeoutMs: 1800000 });
      assert.equal(r.code, 0, `pulumi up of the edit failed:\n${out(r)}`);
      assertRunsPlan(plan2);
      await checkLab(plan2);
    }));

  it("4. an invalid line on one switch fails that resource with FRR's own error; nothing else changes; fixing converges", () =>
    step("4 invalid config + fix", async () => {
      const before = runningFiles(plan2);
      writeExtra({ leaf2a: BAD_LINE });
      const r = await pulumi(["up", "--yes", "--non-interactive", "--skip-preview", "--color", "never"], { timeoutMs: 900000 });
      const o = out(r);
      assert.notEqual(r.code, 0, `the invalid config must fail the update:\n${o}`);
      assert.match(o, new RegExp(`${DC}-leaf2a-frr`), "the failing resource is named");
      assert.match(o, /vtysh --dryrun rejected the new config; nothing was changed/);
      assert.match(o, /% Unknown command/, "FRR's own words");
      assert.ok(o.includes(BAD_LINE), "FRR names the offending line");
      assert.ok(!o.includes(PASSWORD));
      // no other resource was touched
      const touched = o.split("\n").filter((l) => /command:remote:Command|dcnet:index:/.test(l) && /(creat|updat|delet|replac)/i.test(l) && !l.includes(`${DC}-leaf2a-frr`));
      assert.deepEqual(touched, [], "only e2e-leaf2a-frr was operated on");
      assert.deepEqual(runningFiles(plan2), before, "every device keeps its config file");
      assert.ok(!vtysh(state!.devices.leaf2a, "show running-config").stdout.includes("no-such-command"));
      assert.ok(probeSessions(plan2, state!).every((s) => s.established), "every session stays Established");

      writeExtra(undefined);
      const fix = await pulumi(["up", "--yes", "--non-interactive", "--skip-preview", "--color", "never"], { timeoutMs: 900000 });
      assert.equal(fix.code, 0, `up after the fix failed:\n${out(fix)}`);
      const again = await pulumi(["up", "--yes", "--non-interactive", "--expect-no-changes", "--color", "never"], { timeoutMs: 600000 });
      assert.equal(again.code, 0, `not converged after the fix:\n${out(again)}`);
      assert.deepEqual(runningFiles(plan2), before);
      await checkLab(plan2);
    }));

  it("5. the state (pulumi stack export and the backend's files) holds no plaintext BGP password or SSH key", () =>
    step("5 state has no secret", async () => {
      const exp = await pulumi(["stack", "export"]);
      assert.equal(exp.code, 0, out(exp));
      const keyLine = privateKey.split("\n")[1];
      // the secrets payload is base64 of whole files: the password shows inside it at any byte
      // offset, so look for the three aligned encodings of the password itself (and of the key line)
      const hidden = [...base64Variants(PASSWORD), ...base64Variants(keyLine)];
      assert.ok(hidden.every((h) => h.length >= 8), "variants long enough to be meaningful");
      const payloads = secretPayloadsOf(plan2, PASSWORD);
      assert.ok(payloads.some((p) => base64Variants(PASSWORD).some((v) => p.includes(v))), "self-check: the variants find the password in a real payload");
      assert.ok(!exp.stdout.includes(PASSWORD) && !hidden.some((h) => exp.stdout.includes(h)), "stack export: no password, plain or base64");
      assert.ok(!exp.stdout.includes(keyLine), "stack export: no SSH key");
      assert.match(exp.stdout, /"ciphertext"/, "secrets are stored encrypted");
      const files = readTree(join(tmp, "state"));
      assert.ok(files.length > 0);
      for (const f of files) {
        assert.ok(!f.text.includes(PASSWORD) && !hidden.some((h) => f.text.includes(h)), `${f.file} holds the password (plain or base64)`);
        assert.ok(!f.text.includes(keyLine), `${f.file} holds the SSH key`);
      }
    }));

  it("6. pulumi destroy restores dcnet's baseline on every device", () =>
    step("6 destroy", async () => {
      const r = await pulumi(["destroy", "--yes", "--non-interactive", "--skip-preview", "--color", "never"], { timeoutMs: 1800000 });
      assert.equal(r.code, 0, `destroy failed:\n${out(r)}`);
      for (const d of plan2.devices) {
        const ld = state!.devices[d.name];
        if (ld.bird) {
          assert.equal(readFileSync(ld.bird.conf, "utf8"), birdBaselineConfig(d.name, d.routerId), `${d.name}: BIRD baseline`);
          assert.ok(!existsSync(join(ld.bird.secretsDir, "bgp-nodes.conf")), `${d.name}: secret file removed`);
        } else {
          assert.equal(readFileSync(ld.frr!.conf, "utf8"), frrBaselineConfig(d.name), `${d.name}: FRR baseline`);
          assert.ok(!/router bgp/.test(vtysh(ld, "show running-config").stdout), `${d.name}: no BGP left`);
          assert.ok(!existsSync(join(ld.dir, "dcnet-secrets", "frr-secrets.conf")), `${d.name}: overlay removed`);
        }
      }
      assert.ok(probeSessions(plan2, state!).every((s) => !s.established), "no session left");
      const files = readTree(join(tmp, "state"));
      for (const f of files) assert.ok(!f.text.includes(PASSWORD), `${f.file} (history) holds the password`);
      const rm = await pulumi(["stack", "rm", "--yes", "--non-interactive"]);
      assert.equal(rm.code, 0, out(rm));
    }));
});

/** The cluster side rendered by the real kubernetes provider (renderYamlToDirectory), when it is installed. */
describe("e2e: cluster side through the real kubernetes provider (renderYamlToDirectory)", function () {
  this.timeout(1800000);
  it("renders the spine-leaf example's chart-free cluster-side manifests; each one passes its upstream schema", async function () {
    const cache = process.env.DCNET_PULUMI_CACHE ?? join(homedir(), ".cache/dcnet-pulumi");
    const provider = existsSync(cache) ? readdirSync(cache).map((k) => join(cache, k, "providers/pulumi-resource-kubernetes")).find((p) => existsSync(p)) : undefined;
    if (!provider) {
      // Not built: the Go module proxy refuses github.com/pulumi/pulumi-kubernetes/provider/v4@v4.34.2 (403); see
      // scripts/install-pulumi-engine.sh. A missing optional provider is not a CI failure.
      console.warn(`      pending: no pulumi-resource-kubernetes under ${cache}/*/providers (see scripts/install-pulumi-engine.sh)`);
      this.skip();
    }
    const found = findEngine();
    if ("missing" in found) throw new Error(found.missing);
    const engine = found as Engine;
    const tmp = mkdtempSync(join(tmpdir(), "dcnet-e2e-k8s-"));
    try {
      const prog = join(tmp, "program");
      const outDir = join(tmp, "rendered");
      // CiliumAgent and IstioIngress render Helm charts, which need the charts locally (no network here): they
      // are left out (DCNET_CILIUM_CHART, a chart folder or .tgz, adds CiliumAgent). VipPool, NetworkPolicy and
      // ExternalEndpoints render from the plan alone.
      const chart = process.env.DCNET_CILIUM_CHART;
      writeProgram(
        prog,
        "dcnet-e2e-k8s",
        `require("tsx/cjs");
const path = require("path");
const c = require(${JSON.stringify(join(ROOT, "components/cluster"))});
const { renderProvider } = require(${JSON.stringify(join(ROOT, "components/cluster/render-provider"))});
const specFile = ${JSON.stringify(join(ROOT, "examples/spine-leaf/datacenter.yaml"))};
const chart = ${JSON.stringify(chart ?? "")};
for (const cluster of ["prod-a"]) {
  const o = { providers: { kubernetes: renderProvider("render-" + cluster, path.join(${JSON.stringify(outDir)}, cluster)) } };
  new c.VipPool("e2e-" + cluster, { specFile, cluster }, o);
  new c.NetworkPolicy("e2e-" + cluster, { specFile, cluster }, o);
  new c.ExternalEndpoints("e2e-" + cluster, { specFile, cluster }, o);
  if (chart) new c.CiliumAgent("e2e-" + cluster, { specFile, cluster, chartPath: chart }, o);
}
`,
      );
      mkdirSync(join(tmp, "state"), { recursive: true });
      const env = { PULUMI_BACKEND_URL: `file://${join(tmp, "state")}`, PULUMI_CONFIG_PASSPHRASE: "k8s" };
      const init = await runPulumi(engine, prog, env, ["stack", "init", "k8s", "--non-interactive"]);
      assert.equal(init.code, 0, init.stdout + init.stderr);
      const up = await runPulumi(engine, prog, env, ["up", "--yes", "--non-interactive", "--skip-preview", "--color", "never", "--stack", "k8s"], { timeoutMs: 1200000 });
      assert.equal(up.code, 0, `render up failed:\n${up.stdout}\n${up.stderr}`);
      const YAML = require("yaml") as typeof import("yaml");
      const { validateUpstream, modelModule } = require("./support/k8s-models") as typeof import("./support/k8s-models");
      const docs = readTree(outDir)
        .filter((f) => /\.ya?ml$/.test(f.file))
        .flatMap((f) => YAML.parseAllDocuments(f.text).map((d) => ({ file: f.file, obj: d.toJS() })))
        .filter((d) => d.obj && d.obj.kind);
      assert.ok(docs.length > 0, "manifests written");
      let validated = 0;
      for (const d of docs) {
        if (!modelModule(d.obj.apiVersion, d.obj.kind)) continue;
        await validateUpstream(d.obj);
        validated++;
      }
      assert.ok(validated > 0, "at least the dcnet objects are checked");
      console.log(`      [e2e] cluster side: ${docs.length} manifests written, ${validated} validated against upstream schemas`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
