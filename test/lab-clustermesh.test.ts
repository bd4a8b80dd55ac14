/**
 * ClusterMesh against the real thing (issue 11): two clusters (lab-a on r1n1, lab-b on r2n1), each
 * with its kube-apiserver and a real clustermesh-apiserver 1.20.2 (sdk/lab/cluster/mesh.ts); lab-a's
 * agent connects to lab-b's mesh API server. dcnet's `protected-db` in lab-a admits `app=employee` of
 * any mesh cluster: lab-b's employee pod connects, lab-b's other pod is dropped; rendered with
 * `anyMeshCluster: false` (local cluster only, what Cilium ≥ 1.19 defaults to) the employee of lab-b
 * is refused.
 *
 * Needs what test/lab-datapath.test.ts needs plus clustermesh-apiserver: skipped with a message
 * outside CI, failing under CI=true.
 */
import assert from "assert";
import { readFileSync } from "fs";
import { join } from "path";
import { resolve } from "../sdk/resolve/resolve";
import { clusterContext, clusterInputsFromSpec, clusterObjects } from "../sdk/k8s";
import { LabState, labUp } from "../sdk/lab";
import { kubectl } from "../sdk/lab/cluster";
import { createPod, LabPod, startPodServer, tcpAttempts, tcpConnect } from "../sdk/lab/cluster/pods";
import { connectAgentToMesh, meshStatus, startMeshServer } from "../sdk/lab/cluster/mesh";
import { clusterTools } from "../sdk/tools/cluster-tools";
import { downAndAssertGone, figure, requireClusterLab, testLabName } from "./support/lab-env";
import { meshLabSpec } from "./support/lab-datapath-spec";

describe("lab ClusterMesh: two clusters, clustermesh-apiserver, protected-db for mesh peers (real kube-apiserver, cilium-agent, clustermesh-apiserver)", function () {
  this.timeout(900000);
  const spec = meshLabSpec(true);
  const plan = resolve(spec);
  let state: LabState | undefined;
  const p: Record<string, LabPod> = {};
  let t0 = Date.now(); // reset when the suite starts (not when mocha loads the file)

  before(async function () {
    t0 = Date.now();
    this.timeout(900000);
    requireClusterLab(this, "ClusterMesh", { extra: (tools) => [...(tools.ciliumCni ? [] : ["cilium-cni"]), ...(tools.clustermeshApiserver ? [] : ["clustermesh-apiserver"])] });
    try {
      state = await labUp(plan, { name: testLabName("mesh"), cluster: { inputs: clusterInputsFromSpec(spec), onProgress: (m) => console.log(`      [up] ${m}`) }, requireEstablished: true, waitTimeoutMs: 180000 });
      const t = Date.now();
      // both directions: each cluster's mesh API server, each agent connected to the other cluster's
      await startMeshServer(state, "lab-b");
      await startMeshServer(state, "lab-a");
      await connectAgentToMesh(state, "r1n1", ["lab-b"]);
      await connectAgentToMesh(state, "r2n1", ["lab-a"]);
      figure(`mesh: lab up ${((t - t0) / 1000).toFixed(1)} s; both clustermesh-apiservers synced and both agents reconnected ${((Date.now() - t) / 1000).toFixed(1)} s later`);
    } catch (e) {
      state ??= (e as { state?: LabState }).state;
      throw e;
    }
  });

  after(async function () {
    this.timeout(120000);
    if (!state) return;
    await downAndAssertGone(state);
    figure(`mesh: whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it("lab-a's agent sees lab-b ready and lab-b's agent sees lab-a ready; both agents run with policy-default-local-cluster (Cilium ≥ 1.19)", async function () {
    for (const node of ["r1n1", "r2n1"]) {
      const deadline = Date.now() + 60000;
      let s = meshStatus(state!, node);
      while (!(s && s.ready === 1 && s.total === 1) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        s = meshStatus(state!, node);
      }
      assert.deepStrictEqual(s, { ready: 1, total: 1 }, `${node}: remote clusters ready/total`);
    }
    for (const n of ["r1n1", "r2n1"]) assert.strictEqual(readFileSync(join(state!.cluster!.nodes[n].configDir, "policy-default-local-cluster"), "utf8").trim(), "true");
  });

  it("the other direction: lab-b's protected-db (anyMeshCluster) admits lab-a's employee pod and drops lab-a's other pod", async function () {
    p.bdb = createPod(state!, { name: "bdb", node: "r2n1", labels: { app: "protected-db" } });
    p.aemployee = createPod(state!, { name: "aemployee", node: "r1n1", labels: { app: "employee" } });
    p.aintruder = createPod(state!, { name: "aintruder", node: "r1n1", labels: { app: "intruder" } });
    startPodServer(state!, p.bdb, 6379, "PONG-B");
    let first: number | undefined;
    const t = Date.now();
    while (first === undefined && Date.now() - t < 60000) if (tcpConnect(state!, p.aemployee, p.bdb.ip!, 6379, 1) === "PONG-B") first = Date.now() - t;
    assert.ok(first !== undefined, `lab-a's employee (${p.aemployee.ip}) never reached lab-b's protected-db (${p.bdb.ip}:6379) in 60 s`);
    const ok = tcpAttempts(state!, p.aemployee, p.bdb.ip!, 6379, 3);
    assert.strictEqual(ok.ok, 3);
    const denied = tcpAttempts(state!, p.aintruder, p.bdb.ip!, 6379, 2);
    assert.strictEqual(denied.ok, 0, `lab-a's intruder answered ${denied.ok}/2`);
    figure(`mesh: lab-a employee → lab-b protected-db admitted (first after ${first} ms, then 3/3), lab-a intruder 0/2`);
  });

  it("protected-db (anyMeshCluster) admits lab-b's employee pod and drops lab-b's other pod; rendered local-only it refuses the employee", async function () {
    p.db = createPod(state!, { name: "db", node: "r1n1", labels: { app: "protected-db" } });
    p.employee = createPod(state!, { name: "employee", node: "r2n1", labels: { app: "employee" } });
    p.intruder = createPod(state!, { name: "intruder", node: "r2n1", labels: { app: "intruder" } });
    startPodServer(state!, p.db, 6379, "PONG");
    let first: number | undefined;
    const t = Date.now();
    while (first === undefined && Date.now() - t < 60000) if (tcpConnect(state!, p.employee, p.db.ip!, 6379, 1) === "PONG") first = Date.now() - t;
    assert.ok(first !== undefined, `lab-b's employee (${p.employee.ip}) never reached lab-a's protected-db (${p.db.ip}:6379) in 60 s`);
    const ok = tcpAttempts(state!, p.employee, p.db.ip!, 6379, 3);
    assert.strictEqual(ok.ok, 3);
    const denied = tcpAttempts(state!, p.intruder, p.db.ip!, 6379, 2);
    assert.strictEqual(denied.ok, 0, `lab-b's intruder answered ${denied.ok}/2`);
    figure(`mesh: lab-b employee → lab-a protected-db admitted (first after ${first} ms, then 3/3), lab-b intruder 0/2`);

    // the same policy with anyMeshCluster: false, as dcnet renders it, applied to lab-a
    const local = meshLabSpec(false);
    const ctx = clusterContext(resolve(local), clusterInputsFromSpec(local), "lab-a");
    const policy = (clusterObjects(ctx) as unknown as { policies: { metadata: { name: string } }[] }).policies.find((x) => x.metadata.name === "protected-db")!;
    assert.ok(JSON.stringify(policy).includes('"io.cilium.k8s.policy.cluster":"lab-a"'), JSON.stringify(policy));
    const api = state!.cluster!.clusters["lab-a"].apiServer;
    kubectl(api, clusterTools().kubectl!, ["apply", "--server-side", "--force-conflicts", "--field-manager=dcnet", "-f", "-"], { input: JSON.stringify(policy) });
    let closed: number | undefined;
    const t2 = Date.now();
    while (closed === undefined && Date.now() - t2 < 60000) if (tcpConnect(state!, p.employee, p.db.ip!, 6379, 1) === undefined) closed = Date.now() - t2;
    assert.ok(closed !== undefined, "protected-db for the local cluster only still admits lab-b's employee after 60 s");
    const after = tcpAttempts(state!, p.employee, p.db.ip!, 6379, 3, 1);
    assert.strictEqual(after.ok, 0);
    figure(`mesh: protected-db rendered local-only → lab-b employee refused after ${closed} ms (0/3 then)`);
  });
});
