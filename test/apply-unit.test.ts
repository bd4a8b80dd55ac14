/**
 * The apply scripts without daemons: shell syntax (sh -n, dash -n), the secrets payload round trip,
 * and the scripts run for real in folder mode (DAEMON=0, a temp folder standing for the device's
 * root): payload hash check, install, no-op second run, previous file, owner tag, secret pruning,
 * FRR assembly of main config + overlay (undeclared neighbors left out), delete to the baseline.
 * Also the rollout graph of both examples. Needs only a POSIX shell and coreutils.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import { join, resolve as resolvePath } from "path";
import {
  birdBaselineConfig,
  encodeSecretsPayload,
  frrBaselineConfig,
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
import { PAYLOAD_DECODER, PRELUDE } from "../sdk/apply/shell";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";

const ROOT = resolvePath(__dirname, "..");
const sh = (script: string, stdin = "", cwd?: string, shell = "sh") => {
  const r = spawnSync(shell, ["-c", script], { input: stdin, encoding: "utf8", cwd });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const hasDash = spawnSync("dash", ["-c", "true"]).status === 0;

describe("apply scripts without daemons", () => {
  let tmp = "";
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "dcnet-apply-unit-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const bird = { device: "r1n1", routerId: "198.18.10.11" };
  const frr = { device: "leaf1a" };
  const allScripts = () => [
    renderBirdApplyScript({ ...bird, config: "x\n", protocols: ["uplink0", "uplink1"] }),
    renderBirdDeleteScript(bird),
    renderBirdSecretsApplyScript({ ...bird, files: ["bgp-nodes.conf"] }),
    renderBirdSecretsDeleteScript({ ...bird, files: ["bgp-nodes.conf"] }),
    renderFrrApplyScript({ ...frr, config: "x\n", plannedNeighbors: ["198.18.10.11"], requiredNeighbors: [] }),
    renderFrrDeleteScript(frr),
    renderFrrSecretsApplyScript(frr),
    renderFrrSecretsDeleteScript(frr),
  ];

  it("every script is valid POSIX shell (sh -n, dash -n) and starts with set -eu", () => {
    for (const s of allScripts()) {
      assert.match(s, /^set -eu$/m);
      for (const shell of hasDash ? ["sh", "dash"] : ["sh"]) {
        const r = spawnSync(shell, ["-n"], { input: s, encoding: "utf8" });
        assert.equal(r.status, 0, `${shell} -n: ${r.stderr}\n${s.split("\n")[0]}`);
      }
    }
  });

  it("quotes hostile values and refuses unsafe paths and names", () => {
    const s = renderBirdApplyScript({ ...bird, config: "x\n", protocols: [], owner: "it's $(touch /tmp/pwned) `id`" });
    assert.match(s, /^OWNER='it'\\''s \$\(touch \/tmp\/pwned\) `id`'$/m);
    assert.throws(() => renderBirdApplyScript({ ...bird, config: "", protocols: [], paths: { configFile: "relative/bird.conf" } }), /birdPaths\.configFile: "relative\/bird\.conf" is not an absolute path \[path-absolute\]/);
    assert.throws(() => renderBirdApplyScript({ ...bird, config: "", protocols: [], paths: { configFile: "/etc/../x" } }), /\[path-segment\]/);
    assert.throws(() => renderBirdApplyScript({ ...bird, config: "", protocols: [], paths: { configFile: "/etc/it's here/bird.conf" } }), /\[path-charset\]/);
    assert.throws(() => renderBirdApplyScript({ ...bird, config: "", protocols: ["up link"] }), /protocol name/);
    assert.throws(() => renderBirdSecretsApplyScript({ ...bird, files: ["../x"] }), /not safe/);
    assert.throws(() => renderFrrApplyScript({ ...frr, config: "", plannedNeighbors: ["1.2.3.4; rm -rf /"], requiredNeighbors: [] }), /not an address/);
    assert.throws(() => encodeSecretsPayload([{ name: ".hidden", text: "x" }]), /not safe/);
  });

  it("the secrets payload decodes to the same files, and a truncated or unexpected payload is refused", () => {
    const dir = join(tmp, "payload");
    const files = [
      { name: "a.conf", text: 'password "p@ss w0rd\'s";\n' },
      { name: "b.conf", text: "line1\nline2\n" },
    ];
    const payload = encodeSecretsPayload(files);
    const script = (expect: string) => `set -eu\nDEVICE=t\nSECRET_FILES='${expect}'\n${PRELUDE}\n${PAYLOAD_DECODER}\nmkdir -p '${dir}'\ndecode_payload '${dir}'`;
    assert.equal(sh(script("a.conf b.conf"), payload).code, 0);
    for (const f of files) {
      assert.equal(readFileSync(join(dir, f.name), "utf8"), f.text);
      assert.equal(statSync(join(dir, f.name)).mode & 0o777, 0o600);
    }
    const cut = sh(script("a.conf b.conf"), payload.replace(/end\n$/, ""));
    assert.notEqual(cut.code, 0);
    assert.match(cut.stderr, /truncated/);
    const other = sh(script("a.conf"), payload);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /expects/);
    assert.ok(!other.stderr.includes("p@ss"), "no secret in the message");
  });

  it("BIRD in folder mode: hash check, install, no-op, previous file, prune, delete to the baseline", () => {
    const cwd = join(tmp, "bird");
    require("fs").mkdirSync(cwd);
    const root = "dev/r1n1";
    const conf = join(cwd, root, "etc/bird/bird.conf");
    const v1 = '# v1\ninclude "/etc/bird/dcnet-secrets/bgp-nodes.conf";\n';
    const v2 = '# v2\ninclude "/etc/bird/dcnet-secrets/other.conf";\n';
    const t = { ...bird, root, owner: "p/s/r1n1-bird" };
    // secrets first (as the components order them)
    const sec = sh(renderBirdSecretsApplyScript({ ...t, files: ["bgp-nodes.conf"] }), encodeSecretsPayload([{ name: "bgp-nodes.conf", text: 'password "x";\n' }]), cwd);
    assert.equal(sec.code, 0, sec.stderr);
    const wrong = sh(renderBirdApplyScript({ ...t, config: v1, protocols: ["uplink0"] }), v1 + "tampered\n", cwd);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /not the planned one/);
    assert.ok(!existsSync(conf), "nothing installed from a bad payload");
    const a = sh(renderBirdApplyScript({ ...t, config: v1, protocols: ["uplink0"] }), v1, cwd);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(readFileSync(conf, "utf8"), v1);
    assert.equal(readFileSync(`${conf}.dcnet-owner`, "utf8"), "p/s/r1n1-bird\n");
    const again = sh(renderBirdApplyScript({ ...t, config: v1, protocols: ["uplink0"] }), v1, cwd);
    assert.match(again.stdout, /nothing to do/);
    // v2 no longer includes bgp-nodes.conf: it is pruned; v1 is kept as the previous file
    const sec2 = sh(renderBirdSecretsApplyScript({ ...t, files: ["other.conf"] }), encodeSecretsPayload([{ name: "other.conf", text: 'password "y";\n' }]), cwd);
    assert.equal(sec2.code, 0, sec2.stderr);
    const b = sh(renderBirdApplyScript({ ...t, config: v2, protocols: ["uplink0"] }), v2, cwd);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(readFileSync(`${conf}.dcnet-prev`, "utf8"), v1);
    assert.ok(!existsSync(join(cwd, root, "etc/bird/dcnet-secrets/bgp-nodes.conf")), "unused secret pruned");
    assert.ok(existsSync(join(cwd, root, "etc/bird/dcnet-secrets/other.conf")));
    // a delete by another owner leaves the file alone
    assert.match(sh(renderBirdDeleteScript({ ...t, owner: "someone/else" }), "", cwd).stdout, /leaving it/);
    assert.equal(readFileSync(conf, "utf8"), v2);
    // delete: config first (baseline), then secrets (nothing includes them any more)
    const d = sh(renderBirdDeleteScript(t), "", cwd);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(readFileSync(conf, "utf8"), birdBaselineConfig("r1n1", "198.18.10.11"));
    assert.equal(readFileSync(`${conf}.dcnet-prev`, "utf8"), v2);
    assert.equal(sh(renderBirdSecretsDeleteScript({ ...t, files: ["other.conf"] }), "", cwd).code, 0);
    assert.ok(!existsSync(join(cwd, root, "etc/bird/dcnet-secrets")), "secrets dir removed");
    assert.match(sh(renderBirdDeleteScript(t), "", cwd).stdout, /already is the baseline/);
  });

  it("BIRD with a stub daemon: an apply killed after the replace is finished by the next run (rolled back), not skipped", () => {
    const dir = join(tmp, "bird-stub");
    require("fs").mkdirSync(join(dir, "etc"), { recursive: true });
    const conf = join(dir, "etc/bird.conf");
    const w = (f: string, text: string, mode = 0o644) => require("fs").writeFileSync(f, text, { mode });
    // stub bird (parses anything) and birdc: reload ok; `show protocols` kills the apply when told to,
    // and reports uplink0 Established only when the running config is the old one
    w(join(dir, "bird"), "#!/bin/sh\nexit 0\n", 0o755);
    w(
      join(dir, "birdc"),
      [
        "#!/bin/sh",
        `D=${JSON.stringify(dir)}`,
        'case "$*" in',
        '  *configure*) echo "Reconfigured" ;;',
        '  *"show status"*) echo "BIRD ok" ;;',
        '  *"show protocols"*)',
        '    if [ -f "$D/kill" ]; then rm -f "$D/kill"; kill -9 "$(cat "$D/pid")"; exit 1; fi',
        '    if grep -q "# old" "$D/etc/bird.conf"; then echo "uplink0    BGP        ---        up     00:00:01  Established"; else echo "uplink0    BGP        ---        start  00:00:01  Active"; fi ;;',
        "esac",
      ].join("\n") + "\n",
      0o755,
    );
    const old = "# old\n";
    const next = "# new: breaks the session\n";
    w(conf, old, 0o640);
    const paths = { configFile: conf, controlSocket: join(dir, "bird.ctl"), secretsDir: join(dir, "etc/secrets"), bird: join(dir, "bird"), birdc: join(dir, "birdc") };
    const script = renderBirdApplyScript({ ...bird, config: next, protocols: ["uplink0"], paths, verifyTimeoutSeconds: 2 });
    require("fs").writeFileSync(join(dir, "apply.sh"), script);
    const run = () => sh(`echo $$ > ${JSON.stringify(join(dir, "pid"))}; exec sh ${JSON.stringify(join(dir, "apply.sh"))}`, next);
    // 1st run: killed while it waits for the session (connection lost, cancelled)
    w(join(dir, "kill"), "");
    const killed = run();
    assert.notEqual(killed.code, 0);
    assert.equal(readFileSync(conf, "utf8"), next, "killed after the replace");
    assert.equal(readFileSync(`${conf}.dcnet-prev`, "utf8"), old);
    // 2nd run, same config: must not report "nothing to do"; the session stays down, so it rolls back to the old file
    const again = run();
    assert.doesNotMatch(again.stdout, /nothing to do/);
    assert.match(again.stdout, /did not finish/);
    assert.notEqual(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stderr, /restored the previous config/);
    assert.equal(readFileSync(conf, "utf8"), old, "the config from before the killed apply is back");
    assert.ok(!existsSync(`${conf}.dcnet-pending`));
    // a later no-op run with the old config is a no-op again
    const same = renderBirdApplyScript({ ...bird, config: old, protocols: ["uplink0"], paths });
    assert.match(sh(same, old).stdout, /nothing to do/);
  });

  it("BIRD secrets with a stub daemon: files moved by a killed run are reloaded by the next run, not reported unchanged", () => {
    const dir = join(tmp, "bird-stub-secrets");
    require("fs").mkdirSync(join(dir, "etc"), { recursive: true });
    const conf = join(dir, "etc/bird.conf");
    const secretsDir = join(dir, "etc/secrets");
    const w = (f: string, text: string, mode = 0o644) => require("fs").writeFileSync(f, text, { mode });
    const killer = `if [ -f "${dir}/kill" ]; then rm -f "${dir}/kill"; kill -9 "$(cat "${dir}/pid")"; exit 1; fi`;
    w(join(dir, "bird"), `#!/bin/sh\n${killer}\nexit 0\n`, 0o755);
    w(join(dir, "birdc"), `#!/bin/sh\ncase "$*" in *configure*) echo reload >> "${dir}/reloads"; echo Reconfigured ;; esac\n`, 0o755);
    w(conf, `include "${secretsDir}/bgp-nodes.conf";\n`, 0o640);
    const paths = { configFile: conf, controlSocket: join(dir, "bird.ctl"), secretsDir, bird: join(dir, "bird"), birdc: join(dir, "birdc") };
    require("fs").writeFileSync(join(dir, "apply.sh"), renderBirdSecretsApplyScript({ ...bird, files: ["bgp-nodes.conf"], paths }));
    const run = (pw: string) =>
      sh(`echo $$ > ${JSON.stringify(join(dir, "pid"))}; exec sh ${JSON.stringify(join(dir, "apply.sh"))}`, encodeSecretsPayload([{ name: "bgp-nodes.conf", text: `password "${pw}";\n` }]));
    const reloads = () => (existsSync(join(dir, "reloads")) ? readFileSync(join(dir, "reloads"), "utf8").split("\n").filter(Boolean).length : 0);
    const first = run("one");
    assert.equal(first.code, 0, first.stderr);
    assert.equal(reloads(), 1);
    // 2nd run (new password) killed at the validation, after the files moved
    w(join(dir, "kill"), "");
    assert.notEqual(run("two").code, 0);
    assert.equal(readFileSync(join(secretsDir, "bgp-nodes.conf"), "utf8"), 'password "two";\n');
    assert.equal(reloads(), 1, "BIRD still runs the old password");
    // 3rd run, same password: BIRD must be reloaded now
    const third = run("two");
    assert.equal(third.code, 0, third.stderr);
    assert.doesNotMatch(third.stdout, /nothing to do/);
    assert.equal(reloads(), 2, "BIRD reloaded with the new password");
    assert.ok(!existsSync(join(secretsDir, ".dcnet-reload-pending")));
    assert.match(run("two").stdout, /nothing to do/);
    assert.equal(reloads(), 2);
  });

  it("FRR with a stub vtysh: an apply killed after the replace is finished by the next run (rolled back), not skipped", () => {
    const dir = join(tmp, "frr-stub");
    require("fs").mkdirSync(join(dir, "etc"), { recursive: true });
    const conf = join(dir, "etc/frr.conf");
    const w = (f: string, text: string, mode = 0o644) => require("fs").writeFileSync(f, text, { mode });
    // stub vtysh (no frr-reload.py: the script reloads with `vtysh -f`): accepts every config; a reload
    // arms the kill when told to, so the next `show bgp neighbors` (the verification) kills the apply;
    // 198.18.10.11 is Established only while the file is the old config
    w(
      join(dir, "vtysh"),
      [
        "#!/bin/sh",
        `D=${JSON.stringify(dir)}`,
        'case "$*" in',
        "  *--dryrun*) ;;",
        '  *"-f "*) if [ -f "$D/kill-after-reload" ]; then rm -f "$D/kill-after-reload"; : > "$D/kill"; fi ;;',
        '  *"show bgp neighbors"*)',
        '    if [ -f "$D/kill" ]; then rm -f "$D/kill"; kill -9 "$(cat "$D/pid")"; exit 1; fi',
        '    if grep -q "^! old" "$D/etc/frr.conf"; then s=Established; else s=Active; fi',
        '    printf "BGP neighbor is 198.18.10.11, remote AS 65201, local AS 65101, external link\\n  BGP state = %s, up for 00:00:01\\n" "$s" ;;',
        "esac",
        "exit 0",
      ].join("\n") + "\n",
      0o755,
    );
    const old = "! old\nhostname leaf1a\n";
    const next = "! new: breaks the session\nhostname leaf1a\n";
    w(conf, old, 0o600);
    const paths = { configFile: conf, stateDir: join(dir, "state"), secretsDir: join(dir, "secrets"), vtysh: join(dir, "vtysh"), reloadScript: join(dir, "no-frr-reload.py") };
    const script = renderFrrApplyScript({ ...frr, config: next, plannedNeighbors: ["198.18.10.11"], requiredNeighbors: [], paths, verifyTimeoutSeconds: 2 });
    require("fs").writeFileSync(join(dir, "apply.sh"), script);
    const run = () => sh(`echo $$ > ${JSON.stringify(join(dir, "pid"))}; exec sh ${JSON.stringify(join(dir, "apply.sh"))}`, next);
    // 1st run: killed while it verifies (connection lost, cancelled)
    w(join(dir, "kill-after-reload"), "");
    const killed = run();
    assert.notEqual(killed.code, 0);
    assert.equal(readFileSync(conf, "utf8"), next, "killed after the replace");
    assert.equal(readFileSync(`${conf}.dcnet-prev`, "utf8"), old);
    // 2nd run, same config: not "nothing to do"; the neighbor stays down, so it rolls back to the old file
    const again = run();
    assert.doesNotMatch(again.stdout, /nothing to do/);
    assert.match(again.stdout, /did not finish/);
    assert.notEqual(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stderr, /restored the previous config/);
    assert.equal(readFileSync(conf, "utf8"), old, "the config from before the killed apply is back");
    assert.ok(!existsSync(join(dir, "state/pending")));
  });

  it("FRR in folder mode: main config + overlay assembled in either order, undeclared neighbors left out", () => {
    const cwd = join(tmp, "frr");
    require("fs").mkdirSync(cwd);
    const root = "dev/leaf1a";
    const conf = join(cwd, root, "etc/frr/frr.conf");
    const main = (ns: string[]) => ["hostname leaf1a", "router bgp 65101", ...ns.map((n) => ` neighbor ${n} remote-as 65201`), "exit", "!", ""].join("\n");
    const overlay = (ns: string[]) => ["! secrets", "router bgp 65101", ...ns.map((n) => ` neighbor ${n} password pw-${n}`), "exit", "!", ""].join("\n");
    const t = { ...frr, root };
    const applyMain = (ns: string[]) => sh(renderFrrApplyScript({ ...t, config: main(ns), plannedNeighbors: ns, requiredNeighbors: [] }), main(ns), cwd);
    const applyOverlay = (ns: string[]) => sh(renderFrrSecretsApplyScript(t), encodeSecretsPayload([{ name: "frr-secrets.conf", text: overlay(ns) }]), cwd);
    const A = "198.18.10.11";
    const B = "198.18.10.12";
    // first rollout: main, then overlay
    assert.equal(applyMain([A]).code, 0);
    assert.equal(readFileSync(conf, "utf8"), main([A]));
    assert.equal(applyOverlay([A]).code, 0);
    assert.equal(readFileSync(conf, "utf8"), `${main([A])}!\n${overlay([A])}`);
    assert.equal(statSync(conf).mode & 0o077, 0, "frr.conf with passwords is private");
    // a node is added: the overlay may arrive before the main config declares the neighbor
    assert.equal(applyOverlay([A, B]).code, 0);
    assert.ok(!readFileSync(conf, "utf8").includes(`${B} password`), "password of an undeclared neighbor left out");
    assert.equal(applyMain([A, B]).code, 0);
    assert.ok(readFileSync(conf, "utf8").includes(` neighbor ${B} password pw-${B}`), "and added once the neighbor exists");
    assert.match(applyMain([A, B]).stdout, /nothing to do/);
    // the node is removed: main first, the stale overlay line is left out
    assert.equal(applyMain([A]).code, 0);
    assert.ok(!readFileSync(conf, "utf8").includes(B));
    // delete: overlay first, then main → baseline
    assert.equal(sh(renderFrrSecretsDeleteScript(t), "", cwd).code, 0);
    assert.equal(readFileSync(conf, "utf8"), main([A]));
    assert.equal(sh(renderFrrDeleteScript(t), "", cwd).code, 0);
    assert.equal(readFileSync(conf, "utf8"), frrBaselineConfig("leaf1a"));
    assert.ok(!existsSync(join(cwd, root, "etc/frr/dcnet/frr.base.conf")));
  });

  for (const ex of ["spine-leaf", "three-tier"])
    it(`rollout of ${ex}: upper tier first, nodes after their peers, racks in sequence; verify sets`, () => {
      const plan = resolve(loadSpecFile(join(ROOT, "examples", ex, "datacenter.yaml")));
      const steps = rolloutPlan(plan);
      const pos = new Map(steps.map((s, i) => [s.device, i]));
      assert.equal(steps.length, plan.devices.length);
      for (const s of steps) for (const d of s.dependsOn) assert.ok(pos.get(d)! < pos.get(s.device)!, `${d} before ${s.device}`);
      for (const sess of plan.sessions.filter((x) => x.kind === "node-uplink"))
        assert.ok(steps[pos.get(sess.a.device)!].dependsOn.includes(sess.b.device), `${sess.a.device} after ${sess.b.device}`);
      for (const n of plan.devices.filter((d) => d.kind === "node")) assert.equal(nodeProtocols(plan, n.name).length, 2);
      for (const sw of plan.devices.filter((d) => d.kind === "switch")) {
        const nb = switchNeighbors(plan, sw.name, steps);
        if (sw.role === "leaf") assert.equal(nb.required.length, plan.devices.filter((d) => d.role === "spine").length, `${sw.name} requires its spines`);
        else assert.deepEqual(nb.required, [], `${sw.name} requires nothing (goes first)`);
      }
      const par = rolloutPlan(plan, { rackOrder: "parallel", maxInFlightPerRack: 3 });
      const r2first = par.find((s) => s.device === "r2n1")!;
      assert.ok(!r2first.dependsOn.some((d) => d.startsWith("r1n")));
      assert.ok(par.find((s) => s.device === "r1n4")!.dependsOn.includes("r1n1"));
    });
});
