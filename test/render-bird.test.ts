/**
 * BIRD renderer: the real parser (`bird -p -c`) accepts every node config of both examples
 * (with its secret files included), rejects broken ones, and each config says exactly what the
 * plan says: export exactly the node's announcements, import nothing, the planned sessions.
 */
import { strict as assert } from "assert";
import { mkdirSync } from "fs";
import { join } from "path";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { Plan } from "../sdk/plan/types";
import { BIRD_EXPORT_FILTER, DEFAULT_BIRD_SECRETS_DIR, renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { routerId32 } from "../sdk/render/router-id";
import { birdParse, mapPool, requireParsers, TempDir } from "./support/real-parsers";
import { birdBgpProtocols, birdExportSet, birdStaticRoutes } from "./support/rendered-config";
import { dualStackPlan, V6_POD_CIDR } from "./support/dual-stack-plan";

const EXAMPLES = ["spine-leaf", "three-tier"];
const PASSWORDS = { "bgp-nodes": "n0de-S3cret\\with#odd!chars'" };

const planOf = (example: string): Plan => resolve(loadSpecFile(join(__dirname, "..", "examples", example, "datacenter.yaml")));
const nodeNames = (plan: Plan) => plan.devices.filter((d) => d.kind === "node").map((d) => d.name);
const sorted = (xs: string[]) => [...xs].sort();

/** Write a node's config and secret files into `dir` (secrets in a subfolder) and parse it. */
async function parseNode(dir: TempDir, plan: Plan, node: string, passwords = PASSWORDS) {
  const secretsDir = join(dir.path, `${node}-secrets`);
  mkdirSync(secretsDir, { recursive: true, mode: 0o755 });
  for (const f of renderBirdSecrets(plan, node, passwords)) dir.write(join(`${node}-secrets`, f.file), f.text);
  const file = dir.write(`${node}.bird.conf`, renderBirdConfig(plan, node, { secretsDir }));
  return { node, file, result: await birdParse(file) };
}

describe("renderBirdConfig", () => {
  let dir: TempDir;
  before(() => {
    requireParsers();
    dir = new TempDir();
  });
  after(() => dir?.dispose());

  for (const example of EXAMPLES) {
    describe(`example ${example}`, () => {
      const plan = planOf(example);

      it("bird -p accepts every node's config with its secret files", async () => {
        const results = await mapPool(nodeNames(plan), 8, (n) => parseNode(dir, plan, n));
        const failed = results.filter((r) => !r.result.ok);
        assert.deepEqual(failed.map((f) => `${f.node}: ${f.result.output}`), []);
        assert.equal(results.length, plan.nodes.length);
      });

      it("exports exactly the node's planned announcements and originates each of them", () => {
        for (const node of plan.nodes) {
          const text = renderBirdConfig(plan, node.name);
          const planned = sorted(node.announcements.map((a) => a.prefix));
          assert.deepEqual(sorted(birdExportSet(text)), planned, `${node.name} export set`);
          assert.deepEqual(sorted(birdStaticRoutes(text).map((r) => r.prefix)), planned, `${node.name} static routes`);
          assert.ok(birdStaticRoutes(text).every((r) => r.via === "cilium_host"));
          // one filter, rejecting everything it does not accept
          assert.equal(text.match(/^filter /gm)?.length, 1);
          assert.match(text, new RegExp(`filter ${BIRD_EXPORT_FILTER}\\n\\{[\\s\\S]*\\n  reject;\\n\\}\\n`));
        }
      });

      it("opens exactly the planned uplink sessions, importing nothing", () => {
        for (const node of plan.nodes) {
          const text = renderBirdConfig(plan, node.name);
          const device = plan.devices.find((d) => d.name === node.name)!;
          assert.match(text, new RegExp(`^router id ${routerId32(device.routerId).replace(/\./g, "\\.")};$`, "m"));
          const protocols = birdBgpProtocols(text);
          const sessions = plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === node.name);
          assert.equal(protocols.length, sessions.length, `${node.name}: one protocol per session`);
          for (const s of sessions) {
            const p = protocols.find((x) => x.name === s.nodeProtocol);
            assert.ok(p, `${node.name}: protocol ${s.nodeProtocol}`);
            assert.deepEqual(p.local, { address: s.a.address, asn: s.a.asn });
            assert.deepEqual(p.neighbor, { address: s.b.address, asn: s.b.asn });
            assert.deepEqual(p.channels.map((c) => c.family), [s.family]);
            assert.match(p.channels[0].body, /^\s*import none;$/m);
            assert.match(p.channels[0].body, new RegExp(`^\\s*export filter ${BIRD_EXPORT_FILTER};$`, "m"));
            assert.match(p.body, new RegExp(`^\\s*hold time ${s.timers.hold};$`, "m"));
            assert.match(p.body, new RegExp(`^\\s*keepalive time ${s.timers.keepalive};$`, "m"));
            assert.match(p.body, new RegExp(`^\\s*connect retry time ${s.timers.connectRetry};$`, "m"));
            assert.equal(/^\s*bfd on;$/m.test(p.body), s.bfd.enabled);
            assert.equal(/^\s*graceful restart on;$/m.test(p.body), s.gracefulRestart.enabled);
            assert.deepEqual(p.includes, s.passwordRef ? [`${DEFAULT_BIRD_SECRETS_DIR}/${s.passwordRef}.conf`] : []);
          }
          const bfd = sessions.find((s) => s.bfd.enabled)?.bfd;
          assert.equal(/^protocol bfd \{$/m.test(text), bfd !== undefined);
          if (bfd) assert.match(text, new RegExp(`interval ${bfd.intervalMs} ms;\\n\\s*multiplier ${bfd.multiplier};`));
          // the kernel table is neither read nor written
          assert.match(text, /protocol kernel kernel4 \{\n  ipv4 \{\n    import none;\n    export none;\n  \};\n\}/);
        }
      });

      it("is deterministic, ends with one newline, and holds no password", () => {
        for (const n of nodeNames(plan)) {
          const a = renderBirdConfig(plan, n, { secretsDir: "/x" });
          const b = renderBirdConfig(JSON.parse(JSON.stringify(plan)), n, { secretsDir: "/x" });
          assert.equal(a, b);
          assert.ok(a.endsWith("}\n") && !a.endsWith("\n\n"));
          assert.ok(!a.includes(PASSWORDS["bgp-nodes"]));
          assert.ok(!/password/.test(a));
        }
      });
    });
  }

  describe("real parser rejects broken configs", () => {
    const plan = planOf("spine-leaf");

    it("a syntax error (missing ';') fails bird -p", async () => {
      const text = renderBirdConfig(plan, "r1n1", { secretsDir: "/nonexistent" }).replace("import none;", "import none");
      const r = await birdParse(dir.write("broken-syntax.conf", text.replace(/^\s*include .*$/gm, "")));
      assert.equal(r.ok, false);
      assert.notEqual(r.code, 0);
      assert.match(r.output, /syntax error/);
    });

    it("an unknown keyword fails bird -p", async () => {
      const text = renderBirdConfig(plan, "r3n1").replace("export filter dcnet_export;", "export filter no_such_filter;");
      const r = await birdParse(dir.write("broken-filter.conf", text.replace(/^\s*include .*$/gm, "")));
      assert.equal(r.ok, false);
    });

    it("a missing secret file fails bird -p (includes are really read)", async () => {
      const r = await birdParse(dir.write("missing-secret.conf", renderBirdConfig(plan, "r1n1", { secretsDir: join(dir.path, "nowhere") })));
      assert.equal(r.ok, false);
      assert.match(r.output, /Unable to open included file/);
    });

    it("a malformed secret file fails bird -p (included text is parsed in the protocol)", async () => {
      mkdirSync(join(dir.path, "bad-secrets"), { recursive: true });
      dir.write(join("bad-secrets", "bgp-nodes.conf"), "password unquoted;\n");
      const r = await birdParse(dir.write("bad-secret.conf", renderBirdConfig(plan, "r1n1", { secretsDir: join(dir.path, "bad-secrets") })));
      assert.equal(r.ok, false);
    });
  });

  describe("options and edge cases", () => {
    const plan = planOf("spine-leaf");

    it("without BFD, graceful restart or passwords the config drops them and still parses", async () => {
      const p = JSON.parse(JSON.stringify(plan)) as Plan;
      for (const s of p.sessions) {
        s.bfd.enabled = false;
        s.gracefulRestart.enabled = false;
        delete s.passwordRef;
      }
      const text = renderBirdConfig(p, "r2n1");
      assert.ok(!/protocol bfd|bfd on|graceful restart|include/.test(text));
      assert.deepEqual(renderBirdSecrets(p, "r2n1", {}), []);
      const r = await birdParse(dir.write("plain.conf", text));
      assert.ok(r.ok, r.output);
    });

    it("dual-stack: per-family kernel/static/channels and prefix sets, accepted by bird -p", async () => {
      const p = dualStackPlan(plan, "r1n3");
      const text = renderBirdConfig(p, "r1n3", { secretsDir: "/nonexistent" });
      assert.match(text, /protocol kernel kernel6 \{\n  ipv6 \{/);
      assert.match(text, /protocol static static6 \{\n  ipv6;\n  route 2001:db8:1000::\/64 via "cilium_host";/);
      assert.match(text, /if net.type = NET_IP6 then \{\n    if net ~ \[\n      2001:db8:1000::\/64\n    \] then accept;/);
      const v6 = birdBgpProtocols(text).filter((x) => x.name.endsWith("_v6"));
      assert.equal(v6.length, 2);
      assert.ok(v6.every((x) => x.channels.length === 1 && x.channels[0].family === "ipv6"));
      assert.ok(birdExportSet(text).includes(V6_POD_CIDR));
      const r = await birdParse(dir.write("dual.conf", text.replace(/^\s*include .*$/gm, "")));
      assert.ok(r.ok, r.output);
    });

    it("secret files: one per passwordRef, password kept byte for byte, never escaped", async () => {
      const files = renderBirdSecrets(plan, "r1n1", PASSWORDS);
      assert.deepEqual(files, [{ file: "bgp-nodes.conf", text: `password "${PASSWORDS["bgp-nodes"]}";\n` }]);
    });

    it("secret files: a missing or inexpressible password throws a clear error", () => {
      assert.throws(() => renderBirdSecrets(plan, "r1n1", {}), /no password given for passwordRef "bgp-nodes"/);
      assert.throws(() => renderBirdSecrets(plan, "r1n1", { "bgp-nodes": 'a"b' }), /printable ASCII/);
      assert.throws(() => renderBirdSecrets(plan, "r1n1", { "bgp-nodes": "a b" }), /printable ASCII/);
      assert.throws(() => renderBirdSecrets(plan, "r1n1", { "bgp-nodes": "" }), /empty/);
      assert.throws(() => renderBirdSecrets(plan, "r1n1", { "bgp-nodes": "x".repeat(81) }), /80 bytes/);
    });

    it("refuses unsafe names instead of writing a broken or escaping config", () => {
      const p = JSON.parse(JSON.stringify(plan)) as Plan;
      for (const s of p.sessions) s.passwordRef = "../../etc/shadow";
      assert.throws(() => renderBirdConfig(p, "r1n1"), /not a safe secret name/);
      assert.throws(() => renderBirdConfig(plan, "r1n1", { secretsDir: '/tmp/a"b' }), /cannot be used in a BIRD include/);
      assert.throws(() => renderBirdConfig(plan, "r1n1", { secretsDir: "/tmp/*" }), /cannot be used in a BIRD include/);
      assert.throws(() => renderBirdConfig(plan, "leaf1a"), /is a switch, not a node/);
      assert.throws(() => renderBirdConfig(plan, "nope"), /no device named "nope"/);
    });

    it("an IPv6-only router id becomes the low 32 bits of the address", () => {
      assert.equal(routerId32("198.18.10.11"), "198.18.10.11");
      assert.equal(routerId32("2001:db8::c612:a0b"), "198.18.10.11");
      assert.throws(() => routerId32("2001:db8::"), /0\.0\.0\.0/);
    });
  });
});
