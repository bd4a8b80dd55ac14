/**
 * shellcheck (`-s sh`, every check, no exclusion beyond the generated scripts' own file-wide
 * SC2034 directive) over every `.sh` file of the repository (in its own dialect) and over every apply script
 * dcnet generates for the bundled examples (examples/*\/datacenter.yaml): each node's and
 * switch's config, delete and secrets scripts, for the device (default paths) and in folder
 * mode, written to a temp folder. Needs the `shellcheck` Debian package: skipped without it,
 * except with CI=true where it fails instead.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from "fs";
import { tmpdir } from "os";
import { join, relative, resolve as resolvePath } from "path";
import {
  nodeProtocols,
  renderBirdApplyScript,
  renderBirdDeleteScript,
  renderBirdSecretsApplyScript,
  renderBirdSecretsDeleteScript,
  renderFrrApplyScript,
  renderFrrDeleteScript,
  renderFrrSecretsApplyScript,
  renderFrrSecretsDeleteScript,
  rolloutPlan,
  switchNeighbors,
} from "../sdk/apply";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { renderSwitchConfig } from "../sdk/render/switch";
import { scriptParts } from "../sdk/apply/shell";
import { bundleLaunchers, launchers, ScriptFiles } from "../components/device-apply";

const ROOT = resolvePath(__dirname, "..");
const SKIP = new Set(["node_modules", ".git", "out", "out-local", "dist"]);

/** Every `.sh` file under `dir` (repository sources, not dependencies or outputs). */
function shellFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) shellFiles(p, out);
    else if (e.isFile() && e.name.endsWith(".sh")) out.push(p);
  }
  return out;
}

/** Every script the components would run for the example's devices (device paths and folder mode). */
function generatedScripts(specFile: string): Map<string, string> {
  const plan = resolve(loadSpecFile(specFile));
  const steps = rolloutPlan(plan);
  const scripts = new Map<string, string>();
  const refs = [...new Set(plan.sessions.flatMap((s) => (s.passwordRef ? [s.passwordRef] : [])))];
  const placeholder = Object.fromEntries(refs.map((r) => [r, "placeholder"]));
  for (const root of [undefined, `out-local`]) {
    const mode = root ? "folder" : "device";
    for (const d of plan.devices) {
      const t = { device: d.name, ...(root ? { root: `${root}/${d.name}` } : {}), owner: `dcnet/dev/${d.name}` };
      if (d.kind === "node") {
        const files = renderBirdSecrets(plan, d.name, placeholder).map((f) => f.file);
        scripts.set(`${mode}-${d.name}-bird.sh`, renderBirdApplyScript({ ...t, config: renderBirdConfig(plan, d.name), protocols: nodeProtocols(plan, d.name), routerId: d.routerId }));
        scripts.set(`${mode}-${d.name}-bird-delete.sh`, renderBirdDeleteScript({ ...t, routerId: d.routerId }));
        if (files.length) {
          scripts.set(`${mode}-${d.name}-bird-secrets.sh`, renderBirdSecretsApplyScript({ ...t, files }));
          scripts.set(`${mode}-${d.name}-bird-secrets-delete.sh`, renderBirdSecretsDeleteScript({ ...t, files }));
        }
      } else {
        const nb = switchNeighbors(plan, d.name, steps);
        scripts.set(`${mode}-${d.name}-frr.sh`, renderFrrApplyScript({ ...t, config: renderSwitchConfig(plan, d.name).text, plannedNeighbors: nb.planned, requiredNeighbors: nb.required }));
        scripts.set(`${mode}-${d.name}-frr-delete.sh`, renderFrrDeleteScript(t));
        scripts.set(`${mode}-${d.name}-frr-secrets.sh`, renderFrrSecretsApplyScript(t));
        scripts.set(`${mode}-${d.name}-frr-secrets-delete.sh`, renderFrrSecretsDeleteScript(t));
      }
    }
  }
  return scripts;
}

/** shellcheck over `files` (`-s sh` for the generated scripts; a repository file by its shebang or directive), in two processes. */
async function shellcheck(files: string[], dialect?: string, extra: string[] = []): Promise<{ status: number; output: string }> {
  const batches = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)].filter((b) => b.length > 0);
  const runs = await Promise.all(
    batches.map(
      (b) =>
        new Promise<{ status: number; output: string }>((done) => {
          const p = spawn("shellcheck", [...(dialect ? ["-s", dialect] : []), ...extra, "-f", "gcc", ...b]);
          let output = "";
          p.stdout.on("data", (d) => (output += d));
          p.stderr.on("data", (d) => (output += d));
          p.on("close", (code) => done({ status: code ?? -1, output }));
        }),
    ),
  );
  return { status: Math.max(0, ...runs.map((r) => r.status)), output: runs.map((r) => r.output).join("") };
}

describe("shellcheck: the repository's .sh files and every generated apply script", function () {
  this.timeout(300000);
  let tmp = "";
  before(function () {
    if (spawnSync("shellcheck", ["--version"]).status !== 0) {
      if (process.env.CI === "true") throw new Error("shellcheck is not installed (Debian package shellcheck)");
      this.skip();
    }
    tmp = mkdtempSync(join(tmpdir(), "dcnet-shellcheck-"));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("every .sh file in the repository passes (its own dialect: shebang or shellcheck directive)", async () => {
    const files = shellFiles(ROOT);
    assert.ok(files.some((f) => f.endsWith("sdk/apply/scripts/common.sh")), `found: ${files.map((f) => relative(ROOT, f)).join(", ")}`);
    const r = await shellcheck(files);
    assert.equal(r.status, 0, `shellcheck found problems:\n${r.output}`);
  });

  it("the components' launchers (bundle and inline) and the bundle's script files pass with -s sh", async () => {
    const plan = resolve(loadSpecFile(join(ROOT, "examples", "spine-leaf", "datacenter.yaml")));
    const files = new ScriptFiles();
    const out: string[] = [];
    const write = (name: string, text: string) => {
      writeFileSync(join(tmp, name), text);
      out.push(join(tmp, name));
    };
    for (const d of [plan.devices.find((x) => x.kind === "node")!, plan.devices.find((x) => x.role === "leaf")!]) {
      const t = { device: d.name, owner: `dcnet/dev/${d.name}` };
      const create =
        d.kind === "node"
          ? [{ script: renderBirdSecretsApplyScript({ ...t, files: ["bgp-nodes.conf"] }, scriptParts), secretsOnStdin: true }, { script: renderBirdApplyScript({ ...t, config: renderBirdConfig(plan, d.name), protocols: nodeProtocols(plan, d.name), routerId: d.routerId }, scriptParts) }]
          : [{ script: renderFrrSecretsApplyScript(t, scriptParts), secretsOnStdin: true }, { script: renderFrrApplyScript({ ...t, config: renderSwitchConfig(plan, d.name).text, plannedNeighbors: switchNeighbors(plan, d.name).planned, requiredNeighbors: [] }, scriptParts) }];
      const del =
        d.kind === "node"
          ? [{ script: renderBirdDeleteScript({ ...t, routerId: d.routerId }, scriptParts) }, { script: renderBirdSecretsDeleteScript({ ...t, files: ["bgp-nodes.conf"] }, scriptParts) }]
          : [{ script: renderFrrDeleteScript(t, scriptParts) }, { script: renderFrrSecretsDeleteScript(t, scriptParts) }];
      const b = bundleLaunchers(d.name, `install ${d.name}`, create, del, ["rm -f '/etc/frr/dcnet/frr.base.conf'"], { files, dir: "/var/lib/dcnet/scripts", deliveredBy: "dc-scripts", routerId: d.routerId });
      const i = launchers(d.name, `install ${d.name}`, create, del);
      write(`bundle-${d.name}-create.sh`, b.create);
      write(`bundle-${d.name}-delete.sh`, b.delete);
      write(`inline-${d.name}-create.sh`, i.create);
      write(`inline-${d.name}-delete.sh`, i.delete);
    }
    const entries = files.entries();
    assert.equal(entries.length, 2, "one script file per kind of device");
    for (const [name, text] of entries) write(`file-${name}.sh`, text);
    // the bundle launchers set the device's parameters for the file they evaluate: SC2034 (unused) is expected there
    const r = await shellcheck(out, "sh", ["-e", "SC2034"]);
    assert.equal(r.status, 0, `shellcheck found problems:\n${r.output.split("\n").slice(0, 60).join("\n")}`);
  });

  const examples = readdirSync(join(ROOT, "examples")).filter((e) => existsSync(join(ROOT, "examples", e, "datacenter.yaml")));
  it(`every generated apply script of the bundled examples passes with -s sh (${examples.join(", ")})`, async () => {
    assert.ok(examples.length >= 2);
    // Scripts that differ only in the values of their parameter assignments (single-quoted by
    // shq, or digits) are one shape: shellcheck reads the same code. The first script of each
    // shape is checked; every script is rendered and must reduce to a checked shape.
    const shapes = new Map<string, string>();
    let rendered = 0;
    for (const ex of examples)
      for (const [name, text] of generatedScripts(join(ROOT, "examples", ex, "datacenter.yaml"))) {
        rendered++;
        const shape = text.replace(/^# dcnet: .* of (node|switch) \S+ \(/, "# dcnet: $1 (").replace(/^([A-Z_][A-Z0-9_]*)=('(?:[^']|'\\'')*'|\d+)$/gm, "$1=V");
        assert.ok(!/^[A-Z_][A-Z0-9_]*='/m.test(shape), `${name}: an assignment that is not one quoted word`);
        if (!shapes.has(shape)) shapes.set(shape, `${ex}-${name}`);
        if (shapes.get(shape) !== `${ex}-${name}`) continue;
        writeFileSync(join(tmp, `${ex}-${name}`), text);
      }
    const files = [...shapes.values()].map((n) => join(tmp, n));
    assert.ok(rendered >= 150, `${rendered} scripts rendered`);
    assert.equal(files.length, 8, "one shape per script: config, delete, secrets, secrets delete of BIRD and FRR");
    console.log(`      [shellcheck] ${rendered} generated scripts, ${files.length} shapes checked`);
    assert.ok(files.every((f) => statSync(f).size > 1000));
    const r = await shellcheck(files, "sh");
    assert.equal(r.status, 0, `shellcheck found problems in generated scripts:\n${r.output.split("\n").slice(0, 60).join("\n")}`);
  });
});
