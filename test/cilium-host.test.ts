/**
 * Host mode (`cilium.deployment: host`) without a lab: the spec option and its validation, the values
 * (the real chart's cilium-config differs from the DaemonSet's in exactly the host paths), the config
 * dir, the systemd unit (`systemd-analyze verify` accepts it and refuses a broken one), the unit's
 * ExecStart as the lab reads it, the paths' checks, and the apply script (shellcheck, folder mode:
 * hash check, install as a version link, no-op, change, pruning). The lab proof with the real agent
 * over SSH is test/lab-host-agent.test.ts.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { resolve } from "../sdk/resolve/resolve";
import { ciliumValues, clusterContext, clusterInputsFromSpec, validateClusterSide, HOST_MODE_VALUES } from "../sdk/k8s";
import { configDirFiles, parseUnitExec, renderCiliumAgentUnit, renderCiliumChart, renderHostAgent } from "../sdk/render/cilium-host";
import { checkCiliumHostPaths, encodeConfigDirPayload, renderCiliumAgentApplyScript } from "../sdk/apply";
import { DataCenterSpec } from "../sdk/spec/types";
import { clusterLabSpec } from "./support/lab-cluster-spec";
import { requireClusterTools } from "./support/cluster-tools-gate";
import { inCI } from "./support/lab-env";

function spec(cilium: Record<string, unknown>): DataCenterSpec {
  const s = clusterLabSpec("bird") as unknown as { clusters: { k8s: { cilium: Record<string, unknown> } }[] };
  s.clusters[0].k8s.cilium = { ...s.clusters[0].k8s.cilium, ...cilium };
  return s as unknown as DataCenterSpec;
}
const ctxOf = (s: DataCenterSpec) => clusterContext(resolve(s), clusterInputsFromSpec(s), "lab");
const haveSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

describe("host-mode Cilium agent: spec, values, config dir, unit, apply script", function () {
  this.timeout(120000);
  let tmp = "";
  before(() => (tmp = mkdtempSync(join(tmpdir(), "dcnet-cilium-host-"))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("deployment: host adds the host values; they are dcnet's there (cilium-managed-value), free in daemonset mode", () => {
    const host = ciliumValues(ctxOf(spec({ deployment: "host" })));
    for (const [k, v] of Object.entries(HOST_MODE_VALUES)) assert.deepStrictEqual(host[k], v, k);
    const ds = ciliumValues(ctxOf(spec({})));
    assert.strictEqual(ds.kubeConfigPath, undefined);
    assert.strictEqual(ds.agent, undefined);
    const rules = (s: DataCenterSpec) => validateClusterSide(resolve(s), clusterInputsFromSpec(s)).map((p) => `${p.path} ${p.rule}`);
    assert.deepStrictEqual(rules(spec({ deployment: "host", values: { kubeConfigPath: "/x", "cni.hostConfDirMountPath": "/y" } })), [
      "clusters[0].k8s.cilium.values.cni.hostConfDirMountPath cilium-managed-value",
      "clusters[0].k8s.cilium.values.kubeConfigPath cilium-managed-value",
    ]);
    assert.deepStrictEqual(rules(spec({ values: { kubeConfigPath: "/x" } })), []);
  });

  it("the real chart: the host-mode cilium-config differs from the DaemonSet's in exactly the host paths", function () {
    const tools = requireClusterTools(this, ["helm", "ciliumChart"]);
    const ds = renderCiliumChart(tools.helm!, tools.ciliumChart!, ciliumValues(ctxOf(spec({})))).ciliumConfig;
    const host = renderCiliumChart(tools.helm!, tools.ciliumChart!, ciliumValues(ctxOf(spec({ deployment: "host" }))));
    const diff = [...new Set([...Object.keys(ds), ...Object.keys(host.ciliumConfig)])].sort().filter((k) => ds[k] !== host.ciliumConfig[k]).map((k) => `${k}: ${ds[k]} → ${host.ciliumConfig[k]}`);
    assert.deepStrictEqual(diff, [
      "k8s-kubeconfig-path: undefined → /etc/cilium/kubeconfig",
      "procfs: /host/proc → undefined",
      "write-cni-conf-when-ready: /host/etc/cni/net.d/05-cilium.conflist → /etc/cni/net.d/05-cilium.conflist",
    ]);
    assert.ok(!host.objects.some((o) => o.kind === "DaemonSet" && o.metadata?.name === "cilium"), "the chart still installs the agent DaemonSet");
    const f = renderHostAgent(ctxOf(spec({ deployment: "host" })), "r1n1", host.ciliumConfig);
    assert.deepStrictEqual(Object.fromEntries(f.configDir.map((x) => [x.name, x.text])), host.ciliumConfig);
  });

  it("dcnet plan writes each host-mode node's config dir (the chart's cilium-config) and unit", function () {
    const tools = requireClusterTools(this, ["helm", "ciliumChart"]);
    const dir = join(tmp, "plan");
    const specFile = join(tmp, "host-spec.json");
    writeFileSync(specFile, JSON.stringify(spec({ deployment: "host" })));
    const r = spawnSync(process.execPath, [join(__dirname, "../bin/dcnet"), "plan", specFile, "--out", dir], { encoding: "utf8", timeout: 120000 });
    assert.strictEqual(r.status, 0, r.stderr);
    const chart = renderCiliumChart(tools.helm!, tools.ciliumChart!, ciliumValues(ctxOf(spec({ deployment: "host" })))).ciliumConfig;
    for (const node of ["r1n1", "r2n2"]) {
      const cfg = join(dir, "clusters/lab/hosts", node, "config");
      assert.deepStrictEqual(readdirSync(cfg).sort(), Object.keys(chart).sort());
      for (const [k, v] of Object.entries(chart)) assert.strictEqual(readFileSync(join(cfg, k), "utf8"), v, `${node} ${k}`);
      assert.match(readFileSync(join(dir, "clusters/lab/hosts", node, "cilium-agent.service"), "utf8"), new RegExp(`Environment=K8S_NODE_NAME=${node}\n`));
    }
  });

  it("config dir: one file per key, sorted, overrides on top; a key that is no file name is refused", () => {
    assert.deepStrictEqual(configDirFiles({ b: "2", a: "1" }, { b: "3" }), [{ name: "a", text: "1" }, { name: "b", text: "3" }]);
    assert.throws(() => configDirFiles({ "../x": "1" }), /cannot be file names/);
    assert.throws(() => renderHostAgent(ctxOf(spec({})), "r1n1", { a: "1" }), /runs the agent as a DaemonSet/);
    assert.throws(() => renderHostAgent(ctxOf(spec({ deployment: "host" })), "leaf1a", { a: "1" }), /not a node of cluster lab/);
  });

  it("unit: systemd-analyze verify accepts it (and refuses a broken one); the lab reads ExecStart and Environment back", function () {
    const f = renderHostAgent(ctxOf(spec({ deployment: "host" })), "r1n1", { a: "1" }, { paths: { agent: "/bin/true", configDir: "/etc/cilium/config" } });
    assert.deepStrictEqual(parseUnitExec(f.unit), {
      argv: ["/bin/true", "--config-dir=/etc/cilium/config"],
      env: { K8S_NODE_NAME: "r1n1", CILIUM_K8S_NAMESPACE: "kube-system", CILIUM_CLUSTERMESH_CONFIG: "/var/lib/cilium/clustermesh/", KUBERNETES_SERVICE_HOST: "198.18.10.11", KUBERNETES_SERVICE_PORT: "6443" },
      pre: [["/bin/mkdir", "-p", "/var/lib/cilium/clustermesh/"]],
    });
    assert.throws(() => renderCiliumAgentUnit({ node: "r1n1; rm -rf /", cluster: "lab", agent: "/bin/true", configDir: "/etc/cilium/config", namespace: "kube-system" }), /cannot go into a systemd unit/);
    if (!haveSystemdAnalyze) {
      if (inCI()) throw new Error("systemd-analyze is missing (apt-get install systemd)");
      return this.skip();
    }
    const unit = join(tmp, "cilium-agent.service");
    writeFileSync(unit, f.unit);
    const ok = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
    assert.strictEqual(ok.status, 0, ok.stderr);
    writeFileSync(unit, f.unit.replace("ExecStart=/bin/true", "ExecStart=/nonexistent/cilium-agent"));
    const bad = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8" });
    assert.notStrictEqual(bad.status, 0, "systemd-analyze verify accepted a unit whose ExecStart does not exist");
    assert.match(bad.stderr, /nonexistent/);
  });

  it("payload: one awk decodes every file byte for byte (multi-line, trailing newline, empty, record-like lines); truncated or unexpected names refused", () => {
    const files = [
      { name: "a", text: "" },
      { name: "b", text: "line1\nfile c 1 1\nend\n" },
      { name: "c", text: "\n\n" },
      { name: "d", text: "no newline at the end" },
    ];
    const lib = readFileSync(join(__dirname, "../sdk/apply/scripts/cilium-agent-lib.sh"), "utf8");
    const common = readFileSync(join(__dirname, "../sdk/apply/scripts/common.sh"), "utf8");
    const dir = join(tmp, "decoded");
    const run = (want: string, stdin: string) => spawnSync("sh", ["-c", `set -eu\nDEVICE=t CONF=/x UNIT=/x/y.service\nFILES='${want}'\n${common}\n${lib}\nrm -rf '${dir}'; mkdir -p '${dir}'\ndecode_files '${dir}'`], { input: stdin, encoding: "utf8" });
    const ok = run("a b c d", encodeConfigDirPayload(files));
    assert.strictEqual(ok.status, 0, ok.stderr);
    for (const f of files) assert.strictEqual(readFileSync(join(dir, f.name), "utf8"), f.text, f.name);
    const cut = run("a b c d", encodeConfigDirPayload(files).replace(/end\n$/, ""));
    assert.notStrictEqual(cut.status, 0);
    assert.match(cut.stderr, /truncated/);
    const other = run("a b c", encodeConfigDirPayload(files));
    assert.notStrictEqual(other.status, 0);
    assert.match(other.stderr, /file d is not one the script expects/);
  });

  it("paths: checked like BIRD's (charset, system folders, a .service unit file)", () => {
    const r = checkCiliumHostPaths({ configDir: "/etc", unitFile: "/etc/systemd/system/cilium.conf", agent: "cilium-agent", ciliumDbg: "x;y" });
    assert.deepStrictEqual(r.problems.map((p) => `${p.path} ${p.rule}`).sort(), [
      "ciliumHostPaths.agent path-absolute",
      "ciliumHostPaths.ciliumDbg command-name",
      "ciliumHostPaths.configDir path-system-dir",
      "ciliumHostPaths.unitFile unit-name",
    ]);
  });

  it("apply script: shellcheck -s sh; folder mode installs a version link, is a no-op the second time, switches and prunes on change", function () {
    const files = (debug: string) => configDirFiles({ debug, "routing-mode": "native", "cluster-name": "lab" });
    const unit = renderCiliumAgentUnit({ node: "r1n1", cluster: "lab", agent: "/usr/local/bin/cilium-agent", configDir: "/etc/cilium/config", namespace: "kube-system" });
    const script = (f: ReturnType<typeof files>) => renderCiliumAgentApplyScript({ device: "r1n1", configDir: f, unit, root: join(tmp, "root") });
    const run = (f: ReturnType<typeof files>, stdin = encodeConfigDirPayload(f)) => {
      const r = spawnSync("sh", ["-c", script(f)], { input: stdin, encoding: "utf8" });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const sc = spawnSync("shellcheck", ["-s", "sh", "-"], { input: script(files("false")), encoding: "utf8" });
    if (sc.error) {
      if (inCI()) throw sc.error;
    } else assert.strictEqual(sc.status, 0, sc.stdout);
    const conf = join(tmp, "root/etc/cilium/config");
    const bad = run(files("false"), encodeConfigDirPayload(files("true")));
    assert.strictEqual(bad.code, 1);
    assert.match(bad.out, /is not the planned one .*nothing was changed/);
    assert.ok(!existsSync(conf));
    const a = run(files("false"));
    assert.strictEqual(a.code, 0, a.out);
    const v1 = readlinkSync(conf);
    assert.strictEqual(readFileSync(join(conf, "debug"), "utf8"), "false");
    assert.strictEqual(readFileSync(join(tmp, "root/etc/systemd/system/cilium-agent.service"), "utf8"), unit);
    const b = run(files("false"));
    assert.strictEqual(b.code, 0, b.out);
    assert.match(b.out, /nothing to do, the agent was not restarted/);
    assert.ok(run(files("true")).code === 0);
    const v2 = readlinkSync(conf);
    assert.notStrictEqual(v2, v1);
    assert.strictEqual(readFileSync(join(conf, "debug"), "utf8"), "true");
    assert.ok(run(files("maybe")).code === 0);
    // the current and the previous version are kept, older ones pruned
    const versions = readdirSync(join(tmp, "root/etc/cilium/config.dcnet"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(tmp, "root/etc/cilium/config.dcnet", e.name));
    assert.deepStrictEqual(versions.sort(), [v2, readlinkSync(conf)].sort());
  });
});
