/**
 * Regression tests of the apply scripts' hardening (issue 10), with stub daemons that behave as
 * badly as real ones can (echo every line of every file they read, fail on purpose):
 *
 * - defect 2: a non-secret command (the FRR and BIRD config scripts and their delete scripts)
 *   never prints secret text: with passwords made of every character a password may hold, a
 *   failed parse and a failed reload (and the failed reload of the rollback) leave no 4-character
 *   substring of any password in its stdout or stderr; the daemon's words stay on the device in a
 *   0600 log (which does hold them, so the stubs did echo the passwords);
 * - defect 4: device paths are refused before any script exists (absolute, character set,
 *   segments, system directories, dedicated folders: `path: message [rule]`, quoted values), also
 *   by the components at construction; dcnet deletes only the secret files its manifest lists and
 *   changes the mode of a secrets folder only when it made it; literal path substitution (no sed
 *   on a path) in the public parse.
 *
 * Needs only a POSIX shell, coreutils and python3 (the stub frr-reload.py).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  birdPaths,
  DevicePathsError,
  encodeSecretsPayload,
  frrPaths,
  renderBirdApplyScript,
  renderBirdDeleteScript,
  renderBirdSecretsApplyScript,
  renderBirdSecretsDeleteScript,
  renderFrrApplyScript,
  renderFrrDeleteScript,
  renderFrrSecretsApplyScript,
} from "../sdk/apply";
import { lookupPassword } from "../sdk/render/secrets";

const sh = (script: string, stdin = "", cwd?: string) => {
  const r = spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8", cwd });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const w = (f: string, text: string, mode = 0o644) => writeFileSync(f, text, { mode });

/** Every character a password may hold (sdk/render/secrets.ts), in a fixed shuffled order, as two passwords of at most 80 bytes. */
function allCharPasswords(): string[] {
  const chars: string[] = [];
  for (let c = 0x20; c <= 0x7e; c++) {
    const ch = String.fromCharCode(c);
    try {
      lookupPassword({ p: ch }, "p", "test");
      chars.push(ch);
    } catch {
      // not allowed
    }
  }
  assert.equal(chars.length, 93, "printable ASCII without space and '\"'");
  let seed = 12345;
  for (let i = chars.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  const half = Math.ceil(chars.length / 2);
  const pws = [chars.slice(0, half).join(""), chars.slice(half).join("")];
  for (const pw of pws) assert.equal(lookupPassword({ p: pw }, "p", "test"), pw, "an accepted password");
  return pws;
}

/** Assert that no substring of at least 4 characters of any password appears in `text`. */
function assertNoPasswordIn(text: string, passwords: string[], what: string): void {
  for (const pw of passwords)
    for (let i = 0; i + 4 <= pw.length; i++) {
      const sub = pw.slice(i, i + 4);
      assert.ok(!text.includes(sub), `${what} holds ${JSON.stringify(sub)} of a password:\n${text}`);
    }
}

describe("apply scripts: hardening (issue 10)", function () {
  this.timeout(120000);
  let tmp = "";
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "dcnet-apply-hardening-"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const passwords = allCharPasswords();

  describe("defect 2: no secret text in a non-secret command's output", () => {
    const A = "198.18.10.11";
    const B = "198.18.10.12";
    const main = (tag: string) => [`! ${tag}`, "hostname leaf1a", "router bgp 65101", ` neighbor ${A} remote-as 65201`, ` neighbor ${B} remote-as 65201`, "exit", "!", ""].join("\n");
    const overlay = ["! secrets", "router bgp 65101", ` neighbor ${A} password ${passwords[0]}`, ` neighbor ${B} password ${passwords[1]}`, "exit", "!", ""].join("\n");

    it("FRR: failed dryrun with the overlay, failed frr-reload.py and failed rollback reload print no password (stubs that echo every config line)", () => {
      const dir = join(tmp, "frr");
      mkdirSync(join(dir, "etc"), { recursive: true });
      const conf = join(dir, "etc/frr.conf");
      // stub vtysh: --dryrun echoes the file and fails on a file with passwords when told to;
      // stub frr-reload.py: echoes the running and the new config (as its diff does) and fails when told to
      w(
        join(dir, "vtysh"),
        [
          "#!/bin/sh",
          `D=${JSON.stringify(dir)}`,
          'case "$*" in',
          '  *--dryrun*) f=""; for a in "$@"; do f=$a; done; cat "$f"; if [ -f "$D/fail-dryrun" ] && grep -q password "$f"; then echo "% Unknown command: neighbor x password"; exit 1; fi ;;',
          '  *"show running-config"*) cat "$D/etc/frr.conf" ;;',
          "esac",
          "exit 0",
        ].join("\n") + "\n",
        0o755,
      );
      w(
        join(dir, "frr-reload.py"),
        [
          "import sys, os",
          `d = ${JSON.stringify(dir)}`,
          "conf = sys.argv[-1]",
          "print('Running config:'); print(open(conf).read())",
          "if os.path.exists(os.path.join(d, 'fail-reload')):",
          "    print('Failed to apply: line ' + open(conf).read().replace('\\n', ' | '))",
          "    sys.exit(1)",
        ].join("\n") + "\n",
      );
      const paths = { configFile: conf, stateDir: join(dir, "state"), secretsDir: join(dir, "secrets"), vtysh: join(dir, "vtysh"), reloadScript: join(dir, "frr-reload.py") };
      const t = { device: "leaf1a", paths };
      const applyMain = (tag: string) =>
        sh(renderFrrApplyScript({ ...t, config: main(tag), plannedNeighbors: [A, B], requiredNeighbors: [], verifyTimeoutSeconds: 2 }), main(tag));
      // first install (everything succeeds), then the overlay (a secret command)
      const first = applyMain("v1");
      assert.equal(first.code, 0, first.stderr);
      const sec = sh(renderFrrSecretsApplyScript(t), encodeSecretsPayload([{ name: "frr-secrets.conf", text: overlay }]));
      assert.equal(sec.code, 0, sec.stderr);
      assert.ok(readFileSync(conf, "utf8").includes(passwords[0]), "the running config holds the passwords");
      const log = join(dir, "state/last-error.log");

      // 1. the assembled config is rejected by vtysh --dryrun, which echoes the password lines
      w(join(dir, "fail-dryrun"), "");
      const dry = applyMain("v2");
      rmSync(join(dir, "fail-dryrun"));
      assert.notEqual(dry.code, 0);
      assertNoPasswordIn(dry.stdout + dry.stderr, passwords, "the config command's output (dryrun)");
      assert.match(dry.stderr, /accepts the new config but not with the secrets overlay; nothing was changed/);
      assert.match(dry.stderr, /last-error\.log on the device, readable by root only/);
      assert.ok(readFileSync(log, "utf8").includes(passwords[1]), "the stub did echo the passwords: they are in the device's log");
      assert.equal(statSync(log).mode & 0o777, 0o600);

      // 2. frr-reload.py fails (and so does the rollback's reload), echoing every line
      w(join(dir, "fail-reload"), "");
      const rel = applyMain("v3");
      assert.notEqual(rel.code, 0);
      assertNoPasswordIn(rel.stdout + rel.stderr, passwords, "the config command's output (reload)");
      assert.match(rel.stderr, /FRR did not apply the new config \(frr-reload\.py\)/);
      assert.match(rel.stderr, /restored the previous config .* but FRR did not take it back cleanly/);
      assert.ok(readFileSync(log, "utf8").includes(passwords[0]));
      assert.ok(readFileSync(conf, "utf8").startsWith("! v1\n"), "rolled back to the previous file");

      // 3. the delete script (non-secret) fails its reload the same way
      const del = sh(renderFrrDeleteScript(t), "");
      assert.notEqual(del.code, 0);
      assertNoPasswordIn(del.stdout + del.stderr, passwords, "the delete command's output");
      assert.match(del.stderr, /FRR did not apply the baseline/);
      rmSync(join(dir, "fail-reload"));
    });

    it("BIRD: failed parse, failed parse with the real secret files and failed reload print no password (stubs that echo every included file)", () => {
      const dir = join(tmp, "bird");
      const secretsDir = join(dir, "etc/secrets");
      mkdirSync(join(dir, "etc"), { recursive: true });
      const conf = join(dir, "etc/bird.conf");
      // stub bird -p / birdc configure: print the config and every file it includes, fail when told to
      const echoAll = 'f=$1; cat "$f"; for i in $(sed -n \'s/^include "\\(.*\\)";$/\\1/p\' "$f"); do echo "$i:1:1 error near"; cat "$i"; done';
      w(
        join(dir, "bird"),
        [
          "#!/bin/sh",
          `D=${JSON.stringify(dir)}`,
          'f=""; for a in "$@"; do f=$a; done',
          `show() { ${echoAll}; }`,
          'show "$f"',
          'if [ -f "$D/fail-parse" ]; then echo "$f:3:1 syntax error"; exit 1; fi',
          'if [ -f "$D/fail-real" ] && ! grep -rq dcnet-placeholder "$(dirname "$f")"/*; then exit 1; fi',
          "exit 0",
        ].join("\n") + "\n",
        0o755,
      );
      w(
        join(dir, "birdc"),
        [
          "#!/bin/sh",
          `D=${JSON.stringify(dir)}`,
          `show() { ${echoAll}; }`,
          'case "$*" in',
          '  *configure*) if [ -f "$D/fail-reload" ]; then show "$D/etc/bird.conf"; echo "Reconfiguration failed"; exit 1; fi; echo Reconfigured ;;',
          '  *"show status"*) echo "BIRD 2.0.12 ready." ;;',
          '  *"show protocols"*) echo "uplink0    BGP        ---        up     00:00:01  Established" ;;',
          "esac",
        ].join("\n") + "\n",
        0o755,
      );
      const paths = { configFile: conf, controlSocket: join(dir, "bird.ctl"), secretsDir, bird: join(dir, "bird"), birdc: join(dir, "birdc") };
      const t = { device: "r1n1", routerId: "198.18.10.11", paths };
      const cfg = (tag: string) => `# ${tag}\nrouter id 198.18.10.11;\ninclude "${secretsDir}/a.conf";\ninclude "${secretsDir}/b.conf";\n`;
      const files = [
        { name: "a.conf", text: `password "${passwords[0]}";\n` },
        { name: "b.conf", text: `password "${passwords[1]}";\n` },
      ];
      const sec = sh(renderBirdSecretsApplyScript({ ...t, files: ["a.conf", "b.conf"] }), encodeSecretsPayload(files));
      assert.equal(sec.code, 0, sec.stderr);
      const apply = (tag: string) => sh(renderBirdApplyScript({ ...t, config: cfg(tag), protocols: ["uplink0"], verifyTimeoutSeconds: 2 }), cfg(tag));
      const first = apply("v1");
      assert.equal(first.code, 0, first.stderr);
      const log = `${conf}.dcnet-error`;

      // 1. bird -p rejects the config: its words are about a copy with placeholder secret files
      w(join(dir, "fail-parse"), "");
      const parse = apply("v2");
      rmSync(join(dir, "fail-parse"));
      assert.notEqual(parse.code, 0);
      assertNoPasswordIn(parse.stdout + parse.stderr, passwords, "the config command's output (parse)");
      assert.match(parse.stderr, /bird -p rejected the new config; nothing was changed. BIRD said:/);
      assert.ok(parse.stderr.includes(`${conf} (new):3:1 syntax error`), `BIRD's words, with the device's file names:\n${parse.stderr}`);
      assert.ok(parse.stderr.includes(`${secretsDir}/a.conf:1:1`), "included files named as on the device");
      assert.match(parse.stderr, /dcnet-placeholder/);

      // 2. bird -p accepts it with placeholders but not with the real files
      w(join(dir, "fail-real"), "");
      const real = apply("v3");
      rmSync(join(dir, "fail-real"));
      assert.notEqual(real.code, 0);
      assertNoPasswordIn(real.stdout + real.stderr, passwords, "the config command's output (real parse)");
      assert.match(real.stderr, /accepts the new config but not with the secret files installed/);
      assert.ok(readFileSync(log, "utf8").includes(passwords[0]), "the stub did echo the passwords: they are in the device's log");
      assert.equal(statSync(log).mode & 0o777, 0o600);

      // 3. birdc configure fails echoing the included files (and so does the rollback's reload)
      w(join(dir, "fail-reload"), "");
      const rel = apply("v4");
      assert.notEqual(rel.code, 0);
      assertNoPasswordIn(rel.stdout + rel.stderr, passwords, "the config command's output (reload)");
      assert.match(rel.stderr, /BIRD did not accept the new config on reload/);
      assert.ok(readFileSync(conf, "utf8").startsWith("# v1\n"), "rolled back");
      const del = sh(renderBirdDeleteScript(t), "");
      assert.notEqual(del.code, 0);
      assertNoPasswordIn(del.stdout + del.stderr, passwords, "the delete command's output");
      rmSync(join(dir, "fail-reload"));
    });
  });

  describe("defect 4: device paths and deletions", () => {
    const problems = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof DevicePathsError, String(e));
        return e.message;
      }
      assert.fail("not refused");
    };

    it("a configFile that would turn into shell/sed syntax is refused with path, quoted value and rule", () => {
      const msg = problems(() => renderBirdApplyScript({ device: "r1n1", routerId: "198.18.10.11", config: "", protocols: [], paths: { configFile: "/tmp/x|e;touch /tmp/pwned|/bird.conf" } }));
      assert.match(msg, /birdPaths\.configFile: "\/tmp\/x\|e;touch \/tmp\/pwned\|\/bird\.conf" holds a character other than letters, digits and "\._\+-\/" \[path-charset\]/);
      for (const bad of ["/etc/bird/bird conf", "/etc/bird/$(id).conf", "/etc/bird/`id`", "/etc/bird/a\nb", "/etc/bird/*.conf", "/etc/bird/x'y"])
        assert.match(problems(() => birdPaths({ configFile: bad })), /\[path-charset\]/, JSON.stringify(bad));
      assert.match(problems(() => birdPaths({ configFile: "/etc/bird/a\nb" })), /"\/etc\/bird\/a\\nb"/, "the value quoted, the newline escaped");
    });

    it("system directories and shared folders are refused, every problem at once", () => {
      for (const dir of ["/", "/etc", "/etc/", "/usr", "/var", "/bin", "/boot", "/root", "/home", "/usr/lib", "/var/lib", "/tmp", "/proc/sys", "/dev/shm"])
        assert.match(problems(() => birdPaths({ secretsDir: dir })), /birdPaths\.secretsDir: .* \[path-system-dir\]/, dir);
      assert.match(problems(() => birdPaths({ secretsDir: "/etc/bird" })), /birdPaths\.secretsDir: "\/etc\/bird" holds birdPaths\.configFile "\/etc\/bird\/bird\.conf"; dcnet needs a folder of its own here \[path-dedicated-dir\]/);
      assert.match(problems(() => frrPaths({ stateDir: "/etc/frr" })), /frrPaths\.stateDir: .*\[path-dedicated-dir\]/);
      assert.match(problems(() => frrPaths({ secretsDir: "/etc/frr/dcnet" })), /frrPaths\.secretsDir: .* is also frrPaths\.stateDir/);
      const many = problems(() => frrPaths({ configFile: "frr.conf", stateDir: "/etc/frr/../x", secretsDir: "/etc", vtysh: "vtysh; id" }));
      assert.match(many, /\(4 problems\)/);
      for (const rule of ["path-absolute", "path-segment", "path-system-dir", "command-name"]) assert.match(many, new RegExp(`\\[${rule}\\]`));
      // the defaults and ordinary custom paths pass
      assert.equal(birdPaths().secretsDir, "/etc/bird/dcnet-secrets");
      assert.equal(frrPaths({ configFile: "/srv/lab/leaf1a/frr.conf", stateDir: "/srv/lab/leaf1a/dcnet", secretsDir: "/srv/lab/leaf1a/dcnet-secrets" }).runDir, "/var/run/frr");
    });

    it("the components refuse bad paths at construction, naming the layer (no script, no resource)", async () => {
      const pulumi: typeof import("@pulumi/pulumi") = require("@pulumi/pulumi");
      await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "dcnet-hardening", "test", false);
      const c: typeof import("../components") = require("../components");
      const node = { node: "n1", birdConfig: "router id 198.18.0.9;\n", protocols: ["uplink0"], routerId: "198.18.0.9" };
      const check = (f: () => unknown, re: RegExp) =>
        assert.throws(f, (e: unknown) => pulumi.RunError.isInstance(e) && re.test((e as Error).message));
      check(
        () => new c.NodeHost("bad1", { ...node, host: { hostKey: "ssh-ed25519 AAAAx", birdPaths: { secretsDir: "/etc" } } }),
        /^NodeHost bad1: device paths refused \(1 problem\):\n  host\.birdPaths\.secretsDir: "\/etc" is a system directory; give dcnet a path of its own \[path-system-dir\]$/,
      );
      check(
        () => new c.NodeHost("bad2", { ...node, birdPaths: { configFile: "/x|e;id|" }, host: { hostKey: "ssh-ed25519 AAAAx" } }),
        /birdPaths\.configFile: "\/x\|e;id\|" holds a character/,
      );
      check(
        () => new c.SwitchHost("bad3", { switchName: "s1", frrConfig: "hostname s1\n", plannedNeighbors: [], routerId: "198.18.0.1", host: { hostKey: "ssh-ed25519 AAAAx", frrPaths: { stateDir: "/var" } } }),
        /host\.frrPaths\.stateDir: "\/var" is a system directory/,
      );
      check(() => new c.NodeHost("bad4", { ...node, mode: c.DeliveryMode.localFolder, localFolder: "out/../../etc" }), /localFolder: .*\[path-segment\]/);
    });

    it("pruning and deleting secret files touch only the files dcnet recorded; a folder dcnet did not make keeps its mode", () => {
      const root = join(tmp, "prune");
      const secretsDir = join(root, "etc/secrets");
      mkdirSync(secretsDir, { recursive: true });
      chmodSync(secretsDir, 0o755);
      // files that are not dcnet's, in the operator-chosen secrets folder
      w(join(secretsDir, "mine.conf"), "keep me\n");
      w(join(secretsDir, "other.conf"), "keep me too\n");
      const conf = join(root, "etc/bird.conf");
      const paths = { configFile: conf, secretsDir, controlSocket: join(root, "bird.ctl") };
      const t = { device: "r1n1", routerId: "198.18.10.11", paths, root: join(root, "dev") };
      // folder mode below `root/dev`: the scripts see dev<paths>; set that tree up the same way
      const devSecrets = join(root, "dev", secretsDir);
      mkdirSync(devSecrets, { recursive: true });
      chmodSync(devSecrets, 0o755);
      w(join(devSecrets, "mine.conf"), "keep me\n");
      const s1 = sh(renderBirdSecretsApplyScript({ ...t, files: ["bgp-nodes.conf"] }), encodeSecretsPayload([{ name: "bgp-nodes.conf", text: 'password "x";\n' }]));
      assert.equal(s1.code, 0, s1.stderr);
      assert.equal(statSync(devSecrets).mode & 0o777, 0o755, "a folder dcnet did not make keeps its mode");
      assert.equal(readFileSync(join(devSecrets, ".dcnet-manifest"), "utf8"), "file bgp-nodes.conf\n");
      // a config that includes none of them: only dcnet's file is pruned
      const v = "# v\nrouter id 198.18.10.11;\n";
      const a = sh(renderBirdApplyScript({ ...t, config: v, protocols: [] }), v);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /removed unused secret file .*bgp-nodes\.conf/);
      assert.ok(!existsSync(join(devSecrets, "bgp-nodes.conf")));
      assert.equal(readFileSync(join(devSecrets, "mine.conf"), "utf8"), "keep me\n", "a file dcnet did not write survives the pruning");
      // the secrets delete script: a listed name that dcnet did not write is left
      const d = sh(renderBirdSecretsDeleteScript({ ...t, files: ["mine.conf"] }), "");
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout, /leaving .*mine\.conf: dcnet did not write it/);
      assert.ok(existsSync(join(devSecrets, "mine.conf")));
      assert.ok(existsSync(devSecrets), "a folder dcnet did not make is not removed");
    });

    it("the public parse names files as on the device through literal substitution (paths with . + - _)", () => {
      const dir = join(tmp, "a+b.c-d_e");
      mkdirSync(join(dir, "etc"), { recursive: true });
      const conf = join(dir, "etc/bird.conf");
      w(join(dir, "bird"), '#!/bin/sh\nf=""; for a in "$@"; do f=$a; done\necho "$f:2:1 syntax error"\nexit 1\n', 0o755);
      w(join(dir, "birdc"), "#!/bin/sh\necho ok\n", 0o755);
      const paths = { configFile: conf, secretsDir: join(dir, "secrets"), controlSocket: join(dir, "bird.ctl"), bird: join(dir, "bird"), birdc: join(dir, "birdc") };
      const r = sh(renderBirdApplyScript({ device: "r1n1", routerId: "198.18.10.11", config: "x\n", protocols: [], paths }), "x\n");
      assert.notEqual(r.code, 0);
      assert.ok(r.stderr.includes(`${conf} (new):2:1 syntax error`), r.stderr);
      assert.ok(!existsSync(conf), "nothing installed");
    });
  });
});
