/**
 * `CiliumHostAgents` (the agent on hosts, `cilium.deployment: host`) under Pulumi mocks: one
 * command per node below the component, the config dir payload on stdin (a changed chart value
 * changes exactly its key's lines), the same SSH layering and pinned host keys as the BIRD
 * commands, nothing secret in plain inputs, the delete launcher running the uninstall; the real
 * chart's cilium-config when helm and the chart are there. Then local-folder mode for real: the
 * launchers the component generated, run as the command provider runs them (sh -c, stdin), install,
 * no-op, update and delete — the delete leaving what dcnet did not write.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { gunzipSync } from "zlib";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import { DataCenterSpec } from "../sdk/spec/types";
import { encodeConfigDirPayload } from "../sdk/apply";
import { configDirFiles } from "../sdk/render/cilium-host";
import { clusterTools } from "../sdk/tools/cluster-tools";
import { clusterLabSpec } from "./support/lab-cluster-spec";
import { inCI } from "./support/lab-env";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: any) => v !== null && typeof v === "object" && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
const unwrap = (v: any): any => (isSecret(v) ? unwrap(v.value) : v);
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\naG9zdC1hZ2VudC10ZXN0LWtleQ==\n-----END OPENSSH PRIVATE KEY-----\n";

/** Every plain (non-secret) string inside a raw value. */
function plainStrings(v: any, out: string[] = []): string[] {
  if (isSecret(v)) return out;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => plainStrings(x, out));
  return out;
}

function hostSpec(deployment = "host"): DataCenterSpec {
  const s = clusterLabSpec("bird") as unknown as { clusters: { k8s: { cilium: Record<string, unknown> } }[] };
  s.clusters[0].k8s.cilium = { ...s.clusters[0].k8s.cilium, deployment };
  return s as unknown as DataCenterSpec;
}
const clusterNodes = (s: DataCenterSpec) => (s.clusters![0] as { nodes: string[] }).nodes;
const chart = (debug: string) => ({ debug, "routing-mode": "native", "cluster-name": "lab", "custom-cni-conf": "false" });

interface Reg {
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  raw: any;
}

describe("components: CiliumHostAgents (Pulumi mocks; folder mode run for real)", function () {
  this.timeout(180000);
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;
  let proto: any;
  let original: any;
  const regs: Reg[] = [];
  const run = async (build: () => void): Promise<Map<string, Reg>> => {
    regs.length = 0;
    build();
    let last = -1;
    for (let i = 0; i < 400 && last !== regs.length; i++) {
      last = regs.length;
      await new Promise((r) => setTimeout(r, 25));
    }
    return new Map(regs.map((r) => [r.name, r]));
  };
  const spec = hostSpec();
  const nodes = clusterNodes(spec);
  const hosts = Object.fromEntries(nodes.map((n) => [n, { host: `${n}.mgmt.example`, hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIfake-${n}` }]));
  const sshArgs = (debug: string, extra: Partial<ComponentsT.CiliumHostAgentsArgs> = {}): ComponentsT.CiliumHostAgentsArgs => ({
    spec,
    cluster: "lab",
    chartConfig: chart(debug),
    ssh: { user: "root", privateKey: pulumi.secret(PRIVATE_KEY) },
    hosts,
    ...extra,
  });

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "dcnet-test", "test", false);
    proto = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
    original = proto.registerResource;
    proto.registerResource = function (req: any, cb: any) {
      regs.push({ type: req.getType(), name: req.getName(), parent: req.getParent(), custom: req.getCustom(), raw: req.getObject()?.toJavaScript() ?? {} });
      return original.call(this, req, cb);
    };
    c = require("../components");
  });
  after(() => {
    proto.registerResource = original;
  });

  it("one remote command per node below the component; the config dir payload on stdin; pinned keys, layered SSH", async () => {
    assert.ok(nodes.length >= 2, `cluster lab has ${nodes.length} nodes`);
    const g = await run(() => new c.CiliumHostAgents("ha", sshArgs("false", { rackSsh: { r1: { port: 2222 } } })));
    const root = g.get("ha")!;
    assert.equal(root.type, "dcnet:index:CiliumHostAgents");
    const cmds = [...g.values()].filter((r) => r.custom);
    assert.deepEqual(cmds.map((r) => r.name).sort(), nodes.map((n) => `ha-${n}-cilium`).sort());
    const payload = encodeConfigDirPayload(configDirFiles(chart("false")));
    for (const n of nodes) {
      const r = g.get(`ha-${n}-cilium`)!;
      assert.equal(r.type, "command:remote:Command");
      assert.ok(r.parent.endsWith("::ha"), `${r.name} is parented to the component`);
      assert.ok(r.raw.stdin.endsWith(payload), `${n}: stdin ends with the config dir payload`);
      assert.match(r.raw.stdin, /^file debug 1 0\nfalse$/m);
      assert.match(r.raw.create, /^CONF='\/etc\/cilium\/config'$/m);
      assert.match(r.raw.create, /^DAEMON=1$/m);
      const conn = unwrap(r.raw.connection);
      assert.equal(conn.host, `${n}.mgmt.example`);
      assert.equal(conn.hostKey, hosts[n].hostKey);
      const inR1 = spec.racks.find((k) => k.nodes.some((x) => x.name === n))!.name === "r1";
      assert.equal(conn.port === 2222, inR1, `${n}: rack SSH defaults apply to their rack (port ${conn.port})`);
    }
    assert.throws(() => new c.CiliumHostAgents("nokey", sshArgs("false", { hosts: { ...hosts, [nodes[0]]: { host: "x" } } })), /not pinned:\n {2}r1n1: no pinned SSH host key/);
  });

  it("nothing secret in plain inputs; the delete launcher unpacks and runs the uninstall", async () => {
    const g = await run(() => new c.CiliumHostAgents("sec", sshArgs("false")));
    for (const r of [...g.values()].filter((x) => x.custom)) {
      const plain = plainStrings(r.raw).join("\n");
      assert.ok(!plain.includes("aG9zdC1hZ2VudC10ZXN0LWtleQ"), `${r.name}: the SSH key is not a plain input`);
      assert.ok(isSecret(r.raw.connection) || isSecret(r.raw.connection.privateKey), `${r.name}: the connection's key is a secret`);
      assert.equal(r.raw.environment, undefined, "no secrets environment: the host agent has no secret input");
      assert.match(r.raw.delete, /remove the host-mode Cilium agent of node \S+: remove|install the host-mode Cilium agent of node \S+: remove/);
      const lib = gunzipSync(Buffer.from(r.raw.stdin.slice(0, r.raw.stdin.indexOf("\n")), "base64")).toString("utf8");
      const at = lib.indexOf("\nDCNET_P2=");
      assert.ok(at > 0, "two parts: apply and delete");
      assert.match(lib.slice(at), /Uninstall a host-mode Cilium agent[\s\S]*agent_stop/, "part 2 (the delete) is the uninstall script");
      assert.doesNotMatch(lib.slice(0, at), /Uninstall a host-mode Cilium agent/);
      assert.match(r.raw.delete, /eval "\$DCNET_P2"/);
      assert.doesNotMatch(r.raw.delete, /eval "\$DCNET_P1"/, "delete does not run the apply");
    }
  });

  it("a changed chart value changes that key's lines of stdin (what preview --diff shows), and nothing else there", async () => {
    const a = (await run(() => new c.CiliumHostAgents("upd", sshArgs("false")))).get(`upd-${nodes[0]}-cilium`)!.raw;
    const b = (await run(() => new c.CiliumHostAgents("upd", sshArgs("true")))).get(`upd-${nodes[0]}-cilium`)!.raw;
    const la = a.stdin.split("\n");
    const lb = b.stdin.split("\n");
    assert.equal(la.length, lb.length);
    const changed = la.map((l: string, i: number) => (l === lb[i] ? -1 : i)).filter((i: number) => i >= 0);
    assert.deepEqual(changed.map((i: number) => [la[i], lb[i]]), [["false", "true"]]);
    assert.notEqual(a.create, b.create, "the expected sha256 (a create parameter) follows the config: an update");
  });

  it("refused: a DaemonSet-mode cluster, a bad path, no chart at all — before any command", async () => {
    const g = await run(() => {
      assert.throws(() => new c.CiliumHostAgents("ds", { ...sshArgs("false"), spec: hostSpec("daemonset") }), /runs the agent as a DaemonSet/);
      assert.throws(() => new c.CiliumHostAgents("bad", sshArgs("false", { ciliumHostPaths: { unitFile: "/etc/systemd/system/cilium.conf" } })), /ciliumHostPaths\.unitFile.*must name a unit file ending in \.service/s);
      if (!clusterTools().ciliumChart) assert.throws(() => new c.CiliumHostAgents("nochart", { ...sshArgs("false"), chartConfig: undefined }), /give chartConfig/);
    });
    assert.equal([...g.values()].filter((r) => r.custom).length, 0);
  });

  it("without chartConfig: the real chart's cilium-config (helm template) is the payload", async function () {
    const tools = clusterTools();
    if (!tools.helm || !tools.ciliumChart) {
      if (inCI()) throw new Error("helm and the Cilium chart are needed (scripts/build-cluster-tools.sh)");
      this.skip();
    }
    const g = await run(() => new c.CiliumHostAgents("real", { ...sshArgs("false"), chartConfig: undefined }));
    const stdin: string = g.get(`real-${nodes[0]}-cilium`)!.raw.stdin;
    assert.match(stdin, /^file cluster-name 1 0\nlab$/m);
    assert.match(stdin, /^file routing-mode 1 0\nnative$/m);
    assert.ok((stdin.match(/^file /gm) ?? []).length > 50, "the chart's cilium-config has many keys");
  });

  it("local-folder mode for real: install, no-op, update, delete (only dcnet's files)", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "dcnet-host-agents-"));
    try {
      const folder = join(tmp, "out-local");
      const build = (debug: string) => run(() => new c.CiliumHostAgents("loc", { spec, cluster: "lab", chartConfig: chart(debug), mode: c.DeliveryMode.localFolder, localFolder: folder }));
      const sh = (r: Reg, op: "create" | "delete") => {
        const x = spawnSync("sh", ["-c", r.raw[op]], { input: r.raw.stdin, env: { PATH: process.env.PATH }, encoding: "utf8" });
        return { code: x.status, out: x.stdout + x.stderr };
      };
      const g1 = await build("false");
      const n = nodes[0];
      const r1 = g1.get(`loc-${n}-cilium`)!;
      assert.equal(r1.type, "command:local:Command");
      const sc = spawnSync("shellcheck", ["-s", "sh", "-"], { input: r1.raw.create + r1.raw.delete, encoding: "utf8" });
      if (!sc.error) assert.equal(sc.status, 0, sc.stdout);
      else if (inCI()) throw sc.error;
      const etc = join(folder, n, "etc");
      const conf = join(etc, "cilium/config");
      mkdirSync(join(etc, "cilium"), { recursive: true });
      writeFileSync(join(etc, "cilium/not-dcnets"), "kept\n");
      let x = sh(r1, "create");
      assert.equal(x.code, 0, x.out);
      assert.ok(lstatSync(conf).isSymbolicLink());
      assert.equal(readFileSync(join(conf, "debug"), "utf8"), "false");
      assert.match(readFileSync(join(etc, "systemd/system/cilium-agent.service"), "utf8"), /ExecStart=\/usr\/local\/bin\/cilium-agent --config-dir=\/etc\/cilium\/config/);
      assert.match(sh(r1, "create").out, /nothing to do/);
      const v1 = readlinkSync(conf);
      const r2 = (await build("true")).get(`loc-${n}-cilium`)!;
      x = sh(r2, "create");
      assert.equal(x.code, 0, x.out);
      assert.notEqual(readlinkSync(conf), v1);
      assert.equal(readFileSync(join(conf, "debug"), "utf8"), "true");
      // another owner's install is left alone by this stack's delete
      const other = { ...r2, raw: { ...r2.raw, delete: r2.raw.delete.replace(/^OWNER='[^']*'$/m, "OWNER='someone/else/x'") } };
      assert.match(sh(other, "delete").out, /is now managed by dcnet-test\/test\/loc-r1n1-cilium; leaving it/);
      assert.ok(existsSync(conf));
      x = sh(r2, "delete");
      assert.equal(x.code, 0, x.out);
      assert.match(x.out, /removed .*cilium\/config and .*cilium-agent\.service \(folder mode/);
      assert.ok(!existsSync(conf) && !existsSync(`${conf}.dcnet`), "config dir link and version folders removed");
      assert.ok(!existsSync(join(etc, "systemd/system/cilium-agent.service")), "unit removed");
      assert.deepEqual(readdirSync(join(etc, "cilium")), ["not-dcnets"], "what dcnet did not write stays");
      assert.match(sh(r2, "delete").out, /nothing to remove/, "a second delete is a no-op");
      // a config dir that was there before dcnet is put back by the delete
      mkdirSync(conf);
      writeFileSync(join(conf, "debug"), "before");
      assert.equal(sh(r2, "create").code, 0);
      assert.equal(readFileSync(join(conf, "debug"), "utf8"), "true");
      // two more versions: pruning keeps it
      for (const v of ["maybe", "false"]) assert.equal(sh((await build(v)).get(`loc-${n}-cilium`)!, "create").code, 0);
      assert.equal(readFileSync(join(conf, "debug"), "utf8"), "false");
      assert.equal(sh(r2, "delete").code, 0);
      assert.ok(!lstatSync(conf).isSymbolicLink());
      assert.equal(readFileSync(join(conf, "debug"), "utf8"), "before", "the config dir from before dcnet is back");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("components: CiliumHostAgents in the component package (pulumi package add)", function () {
  this.timeout(120000);
  it("passes Pulumi's analyzer: its inputs and outputs are in the schema", () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
    const dir = join(__dirname, "..", "components");
    const r = new Analyzer(dir, "dcnet", require(join(dir, "package.json")), new Set(["CiliumHostAgents"])).analyze();
    const h = r.components.CiliumHostAgents;
    for (const k of ["spec", "specFile", "cluster", "chartConfig", "mode", "localFolder", "ssh", "rackSsh", "hosts", "ciliumHostPaths"]) assert.ok(h.inputs[k], `input ${k}`);
    for (const k of ["nodes", "configSha256", "applyOutput"]) assert.ok(h.outputs[k], `output ${k}`);
  });
});
