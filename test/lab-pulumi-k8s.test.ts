/**
 * Issue 14, last step: dcnet's cluster components applied through the REAL Pulumi Kubernetes provider
 * (pulumi-resource-kubernetes built from the Go module proxy by scripts/build-cluster-tools.sh) to REAL
 * kube-apiservers 1.37.2 holding Cilium 1.20.2's and Istio's CRDs (sdk/k8s-lab/apiserver.ts), one per
 * cluster of the spine-leaf example with prod-b on Cilium's BGP speaker (prod-a: pool, policy, CIDR
 * group, Istio Gateway/VirtualService and namespaces, NodePatches; prod-b: NodePatches, BGP v2 objects,
 * the MD5 password Secret), both members of a ClusterMesh reached through kubeconfigs.
 *
 * Only the engine is replaced (test/support/provider-engine.ts: the program runs under the SDK's mock
 * machinery and every kubernetes resource goes to the provider over gRPC). Helm charts are remote
 * components (Construct needs the engine's resource monitor): not applied here, the Cilium chart is
 * proven by test/k8s-chart.test.ts with the real helm.
 *
 * Proofs: the objects read back with kubectl equal what `dcnet plan` renders (sdk/k8s, every rendered
 * field, the same set of objects); a second run is a no-op (Diff: no changes); a changed policy is one
 * update; a broken object is refused with the API server's own message; the BGP password arrives as a
 * Secret and is never in plaintext in the provider's outputs nor its logs; an empty program deletes.
 */
import { strict as assert } from "assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import type * as PulumiT from "@pulumi/pulumi";
import type * as K8sT from "@pulumi/kubernetes";
import type * as ComponentsT from "../components/cluster";
import { renderClusterManifests } from "../sdk/k8s/render";
import { K8sObject } from "../sdk/k8s/objects";
import { clusterContext } from "../sdk/k8s/context";
import { bgpSecretRefs } from "../sdk/k8s/bgp";
import { loadClusterInputs } from "../sdk/k8s/external-endpoints";
import { resolve } from "../sdk/resolve/resolve";
import { DataCenterSpec } from "../sdk/spec/types";
import { startTestApiServer, TestApiServer } from "../sdk/k8s-lab/apiserver";
import { ClusterTools } from "../sdk/tools/cluster-tools";
import { requireClusterTools } from "./support/cluster-tools-gate";
import { spineLeafWithCiliumSpeaker } from "./support/cluster-variants";
import { ProviderEngine, RunResult, SECRET_SIG, SECRET_VALUE_SIG } from "./support/provider-engine";

const CLUSTERS = ["prod-a", "prod-b"] as const;
type Cluster = (typeof CLUSTERS)[number];
const PASSWORD = "lab-Md5-pw-7f3c9e"; // a test value, only ever given as a Pulumi secret

/** Every field of `want` is in `live` with the same value (arrays: same length, element by element). */
function mismatches(want: unknown, live: unknown, at = ""): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(live) || live.length !== want.length) return [`${at}: want ${JSON.stringify(want)}, live ${JSON.stringify(live)}`];
    return want.flatMap((w, i) => mismatches(w, live[i], `${at}[${i}]`));
  }
  if (want && typeof want === "object") {
    if (!live || typeof live !== "object") return [`${at}: want an object, live ${JSON.stringify(live)}`];
    return Object.entries(want).flatMap(([k, w]) => mismatches(w, (live as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return want === live ? [] : [`${at}: want ${JSON.stringify(want)}, live ${JSON.stringify(live)}`];
}

/** Plain strings of a wire value outside secrets, and inside them. */
function strings(v: unknown, inSecret = false, out: { plain: string[]; secret: string[] } = { plain: [], secret: [] }) {
  if (typeof v === "string") (inSecret ? out.secret : out.plain).push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, inSecret, out);
  else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VALUE_SIG) strings(o.value, true, out);
    else for (const x of Object.values(o)) strings(x, inSecret, out);
  }
  return out;
}

/** The wire value with every secret replaced by `[secret]` (what may be logged). */
function masked(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(masked);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VALUE_SIG) return "[secret]";
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, masked(x)]));
  }
  return v;
}

const counts = (r: RunResult) => r.steps.reduce<Record<string, number>>((m, s) => ((m[s.op] = (m[s.op] ?? 0) + 1), m), {});

describe("lab: dcnet's cluster components through the real Pulumi Kubernetes provider to real API servers (issue 14)", function () {
  this.timeout(900000);
  let tools: ClusterTools;
  let work: string;
  const api = new Map<Cluster, TestApiServer>();
  let engine: ProviderEngine;
  let pulumi: typeof PulumiT;
  let k8s: typeof K8sT;
  let c: typeof ComponentsT;
  let spec: DataCenterSpec;
  let secretRef: string;
  const rendered = new Map<Cluster, { file: string; obj: K8sObject }[]>();
  const renderDir = new Map<Cluster, string>();
  let first: RunResult;

  /** The program: a ClusterMesh over both clusters (kubeconfigs), and every other component per cluster. */
  const program = (s: DataCenterSpec, extra?: (providers: Map<Cluster, K8sT.Provider>) => void) => () => {
    const kubeconfigs = Object.fromEntries(CLUSTERS.map((n) => [n, readKubeconfig(n)]));
    new c.ClusterMesh("dc1", { spec: s as never, mesh: "dc1", kubeconfigs, bgpPasswords: { [secretRef]: pulumi.secret(PASSWORD) } });
    const providers = new Map<Cluster, K8sT.Provider>();
    for (const cl of CLUSTERS) {
      const provider = new k8s.Provider(`lab-${cl}`, { kubeconfig: pulumi.secret(kubeconfigs[cl]) });
      providers.set(cl, provider);
      const o = { providers: { kubernetes: provider } };
      new c.VipPool(cl, { spec: s as never, cluster: cl }, o);
      new c.NetworkPolicy(cl, { spec: s as never, cluster: cl }, o);
      new c.ExternalEndpoints(cl, { spec: s as never, cluster: cl }, o);
      if (s.clusters!.find((x) => x.name === cl)!.k8s?.ingress) new c.IstioIngress(cl, { spec: s as never, cluster: cl }, o);
    }
    extra?.(providers);
  };
  const readKubeconfig = (cl: Cluster) => readFileSync(api.get(cl)!.kubeconfig, "utf8");
  /** Which lab cluster a provider URN points at (ClusterMesh's `dc1-<cluster>`, ours `lab-<cluster>`). */
  const clusterOfProvider = (urn: string): Cluster => CLUSTERS.find((cl) => urn.endsWith(`::dc1-${cl}`) || urn.endsWith(`::lab-${cl}`))!;
  const stateObjects = (cl: Cluster) =>
    [...engine.state.values()].filter((s) => clusterOfProvider(s.provider) === cl).map((s) => ({ entry: s, out: s.outputs.toJavaScript() as Record<string, unknown> }));
  const key = (o: { kind?: unknown; metadata?: unknown }) => {
    const m = (o.metadata ?? {}) as { name?: string; namespace?: string };
    return `${String(o.kind)}/${m.namespace ?? ""}/${m.name}`;
  };

  before(async function () {
    tools = requireClusterTools(this, ["kubeApiserver", "kubectl", "etcd", "ciliumModuleDir", "istioCrds", "pulumiKubernetes"]);
    // etcd's state on tmpfs when there is one: on a loaded machine, fsyncs to disk time etcd's requests out
    work = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "dcnet-pulumi-k8s-"));
    spec = spineLeafWithCiliumSpeaker();
    const plan = resolve(spec);
    const inputs = loadClusterInputs(spec, path.join(__dirname, "..", "examples", "spine-leaf"));
    secretRef = bgpSecretRefs(clusterContext(plan, inputs, "prod-b"))[0];
    assert.ok(secretRef, "prod-b's sessions use an MD5 secret");
    const files = renderClusterManifests(plan, inputs).filter((f) => !f.path.includes("/values/"));
    const t0 = Date.now();
    await Promise.all(
      CLUSTERS.map(async (cl) => {
        const s = await startTestApiServer({ etcd: tools.etcd!, kubeApiserver: tools.kubeApiserver!, kubectl: tools.kubectl! }, { parentDir: work });
        api.set(cl, s);
      }),
    );
    for (const cl of CLUSTERS) {
      const s = api.get(cl)!;
      s.registerCrds([...tools.ciliumCrdDirs!, tools.istioCrds!]);
      const mine = files.filter((f) => f.path.startsWith(`clusters/${cl}/`)).map((f) => ({ file: f.path, obj: parse(f.text, { version: "1.1" }) as K8sObject }));
      rendered.set(cl, mine);
      const dir = mkdtempSync(path.join(work, `rendered-${cl}-`));
      for (const f of files.filter((x) => x.path.startsWith(`clusters/${cl}/`))) writeFileSync(path.join(dir, path.basename(f.path)), f.text);
      renderDir.set(cl, dir);
      // what the cluster has before dcnet: its Nodes (kubelets register them) and the apps' namespaces
      const created = new Set(mine.filter((o) => o.obj.kind === "Namespace").map((o) => o.obj.metadata.name));
      const nodes = mine.filter((o) => o.obj.kind === "Node").map((o) => ({ apiVersion: "v1", kind: "Node", metadata: { name: o.obj.metadata.name } }));
      const namespaces = [...new Set(mine.map((o) => o.obj.metadata.namespace).filter((n): n is string => !!n && !created.has(n) && n !== "default" && n !== "kube-system"))].map((n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } }));
      const r = s.kubectl(["apply", "--server-side", "--field-manager=lab-setup", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [...nodes, ...namespaces] }) });
      assert.equal(r.code, 0, r.stderr);
    }
    console.log(`      two API servers with Cilium's and Istio's CRDs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    pulumi = require("@pulumi/pulumi");
    k8s = require("@pulumi/kubernetes");
    c = require("../components/cluster");
    engine = new ProviderEngine({ binary: tools.pulumiKubernetes!, runDir: work, timeoutSeconds: 120 });
    await engine.start();
  });

  after(async () => {
    await engine?.stop();
    for (const s of api.values()) await s.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("run 1: every kubernetes resource of the components is created through the provider; charts are the only ones not sent", async () => {
    first = await engine.run(program(spec));
    assert.deepEqual(first.failures, [], "no resource refused");
    assert.deepEqual(first.programErrors, [], "no error in the program");
    const n = counts(first);
    console.log(`      run 1: ${JSON.stringify(n)} in ${(first.ms / 1000).toFixed(1)} s; provider plugins started: ${engine.processes.length} (GetPluginInfo: ${[...new Set(engine.processes.map((p) => p.version))].join(", ")})`);
    assert.equal(n.configure, 4, "four provider resources (two from ClusterMesh's kubeconfigs, two of the program)");
    const expected = CLUSTERS.reduce((m, cl) => m + rendered.get(cl)!.length, 0) + 1; // + the BGP password Secret
    assert.equal(n.create, expected, "one Create per rendered object and the Secret");
    assert.deepEqual([...new Set(first.skipped.map((s) => s.type))], ["kubernetes:helm.sh/v4:Chart"]);
    console.log(`      not applied (remote components): ${first.skipped.map((s) => s.urn.split("::").pop()).join(", ")}`);
  });

  for (const cl of CLUSTERS) {
    it(`${cl}: the objects read back with kubectl are exactly what \`dcnet plan\` renders (the same set, every rendered field)`, () => {
      const want = rendered.get(cl)!;
      const applied = stateObjects(cl).filter((o) => o.out.kind !== "Secret");
      assert.deepEqual(applied.map((o) => key(o.out)).sort(), want.map((o) => key(o.obj)).sort(), "the provider created the objects dcnet plan renders, no more, no less");
      const r = api.get(cl)!.kubectl(["get", "-f", renderDir.get(cl)!, "-o", "json"]);
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { items?: K8sObject[] } & K8sObject;
      const live = new Map((got.items ?? [got]).map((o) => [key(o), o]));
      const problems = want.flatMap((w) => (live.has(key(w.obj)) ? mismatches(w.obj, live.get(key(w.obj))).map((m) => `${key(w.obj)} ${m}`) : [`${key(w.obj)}: not in the cluster`]));
      assert.deepEqual(problems, [], problems.join("\n"));
      // the provider's outputs are the live objects too (uid set by the API server)
      for (const o of applied) assert.match(String((o.out.metadata as { uid?: string }).uid), /^[0-9a-f-]{36}$/, `${key(o.out)} has a uid`);
      console.log(`      ${cl}: ${want.length} objects equal to the rendering (${[...new Set(want.map((w) => w.obj.kind))].join(", ")})`);
    });
  }

  it("prod-b: the BGP password is a Secret in kube-system, never in plaintext in the provider's outputs or logs", () => {
    const r = api.get("prod-b")!.kubectl(["get", "secret", "-n", "kube-system", secretRef, "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const secret = JSON.parse(r.stdout) as { data: Record<string, string>; type: string };
    assert.equal(Buffer.from(secret.data.password, "base64").toString(), PASSWORD);
    assert.equal(secret.type, "Opaque");
    const entry = stateObjects("prod-b").find((o) => o.out.kind === "Secret")!;
    const s = strings(entry.out);
    const b64 = Buffer.from(PASSWORD).toString("base64");
    assert.ok(s.secret.some((x) => x === PASSWORD || x === b64), "the password is in the outputs, wrapped as a secret");
    assert.deepEqual(s.plain.filter((x) => x.includes(PASSWORD) || x.includes(b64)), [], "no plaintext password outside a secret");
    const everything = JSON.stringify([...engine.state.values()].map((e) => masked(e.outputs.toJavaScript())));
    assert.ok(!everything.includes(PASSWORD) && !everything.includes(b64), "no password in the masked outputs of any resource");
    assert.ok(!JSON.stringify(engine.engine!.logs).includes(PASSWORD), "no password in the provider's diagnostics");
    console.log(`      Secret outputs as logged: ${JSON.stringify(masked(entry.out)).slice(0, 400)}`);
  });

  it("run 2 (same program): Diff reports no change for every resource — nothing created, updated or deleted", async () => {
    const r = await engine.run(program(spec));
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.programErrors, []);
    const n = counts(r);
    console.log(`      run 2: ${JSON.stringify(n)} in ${(r.ms / 1000).toFixed(1)} s`);
    assert.equal(n.same, first.steps.length, "every resource and provider: same");
    assert.equal(n.create ?? 0, 0);
    assert.equal(n.update ?? 0, 0);
    assert.equal(n.replace ?? 0, 0);
    assert.equal(n.delete ?? 0, 0);
  });

  it("run 3 (protected-db's port 6379 → 6380): exactly one update, the policy, and the cluster has the new port", async () => {
    const changed = structuredClone(spec);
    const pol = changed.clusters!.find((x) => x.name === "prod-a")!.k8s!.policies!.find((p) => p.name === "protected-db")!;
    pol.ingress![0].ports = [{ port: 6380, protocol: "TCP" as never }];
    const r = await engine.run(program(changed));
    assert.deepEqual(r.failures, []);
    const updates = r.steps.filter((s) => s.op !== "same");
    console.log(`      run 3: ${JSON.stringify(counts(r))}; ${updates.map((u) => `${u.op} ${u.urn.split("::").pop()} (${(u.diffs ?? []).join(", ")})`).join("; ")}`);
    assert.deepEqual(updates.map((u) => [u.op, u.type]), [["update", "kubernetes:cilium.io/v2:CiliumNetworkPolicy"]]);
    const live = api.get("prod-a")!.kubectl(["get", "ciliumnetworkpolicies.cilium.io", "-n", "default", "protected-db", "-o", "jsonpath={.spec.ingress[0].toPorts[0].ports[0].port}"]);
    assert.equal(live.stdout, "6380");
    const back = await engine.run(program(spec));
    assert.deepEqual(back.steps.filter((s) => s.op !== "same").map((u) => u.op), ["update"], "and back");
  });

  it("a broken object (allowFirstLastIPs: true, a boolean) is refused, with the API server's own message through the provider", async () => {
    const r = await engine.run(
      program(spec, (providers) => {
        new k8s.apiextensions.CustomResource(
          "broken-pool",
          { apiVersion: "cilium.io/v2", kind: "CiliumLoadBalancerIPPool", metadata: { name: "broken-yes" }, spec: { blocks: [{ cidr: "198.18.200.8/29" }], allowFirstLastIPs: true } },
          { provider: providers.get("prod-a")! },
        );
      }),
    );
    assert.equal(r.failures.length, 1, JSON.stringify(r.failures));
    const [f] = r.failures;
    assert.ok(r.programErrors.length > 0 && r.programErrors.every((e) => e.includes("broken-pool")), `the program sees the refusal: ${r.programErrors.join("; ")}`);
    console.log(`      provider: ${f.message.slice(0, 400)}`);
    assert.match(f.urn, /::broken-pool$/);
    assert.match(f.message, /allowFirstLastIPs/);
    assert.match(f.message, /expected string|must be of type string/);
    const live = api.get("prod-a")!.kubectl(["get", "ciliumloadbalancerippools.cilium.io", "broken-yes"]);
    assert.notEqual(live.code, 0, "not stored");
  });

  it("run with an empty program: a Delete per resource reaches the API server (finishing them needs the garbage collector the lab does not run)", async () => {
    const before = [...engine.state.values()];
    const r = await engine.run(() => {}, { timeoutSeconds: 5 });
    const n = counts(r);
    console.log(`      teardown: ${JSON.stringify(n)}, ${r.failures.length} Deletes not finished, in ${(r.ms / 1000).toFixed(1)} s; e.g. ${r.failures.find((f) => f.type.endsWith("NodePatch"))?.message.slice(0, 200)}`);
    // every Delete reaches the API server and none completes here:
    //  - a NodePatch is relinquished (server-side apply without its fields): the API server refuses to
    //    drop a Node's PodCIDR once set, with its own message;
    //  - every other object is deleted with the provider's default foreground propagation: the API server
    //    sets deletionTimestamp and the foregroundDeletion finalizer, which kube-controller-manager's
    //    garbage collector removes; the lab runs no controller manager, so the provider's wait times out.
    assert.equal(n.delete ?? 0, 0);
    assert.deepEqual(r.failures.map((f) => f.urn).sort(), before.map((s) => s.urn).sort(), "a Delete per resource, none finished");
    for (const f of r.failures)
      assert.match(f.message, f.type.endsWith("NodePatch") ? /spec\.podCIDRs?: Forbidden: node updates may not change podCIDR except from "" to valid/ : /timed out waiting for the condition/, f.urn);
    for (const cl of CLUSTERS) {
      for (const s of stateObjects(cl).filter((o) => o.out.kind !== "Node")) {
        const m = s.out.metadata as { name: string; namespace?: string };
        const [, group] = String(s.out.apiVersion).match(/^([^/]+)\/[^/]+$/) ?? [];
        const g = api.get(cl)!.kubectl(["get", `${String(s.out.kind).toLowerCase()}${group ? `.${group}` : ""}`, m.name, ...(m.namespace ? ["-n", m.namespace] : []), "-o", "json"]);
        assert.equal(g.code, 0, g.stderr);
        const live = JSON.parse(g.stdout) as { metadata: { deletionTimestamp?: string; finalizers?: string[] } };
        assert.ok(live.metadata.deletionTimestamp, `${key(s.out)}: being deleted`);
        assert.ok(live.metadata.finalizers?.includes("foregroundDeletion"), `${key(s.out)}: foregroundDeletion finalizer`);
      }
    }
  });
});
