/**
 * The lab's ClusterMesh certificates (sdk/lab/cluster/mesh-tls.ts) without a lab: one shared CA,
 * both members' charts rendered with it (`helm template`, dcnet's values plus `tls.ca` as
 * `ClusterMesh` passes it): every certificate chains to the shared CA (`openssl verify`), lab-a's
 * etcd certificate is valid for dcnet's VIP and `*.mesh.cilium.io`, lab-b's for its NodePort
 * address, the etcd configs name dcnet's endpoints, keys are 0600; a foreign client certificate
 * does not chain. Needs helm and the Cilium chart (skipped outside CI) and openssl.
 */
import assert from "assert";
import { mkdtempSync, rmSync, statSync } from "fs";
import * as os from "os";
import * as path from "path";
import { resolve } from "../sdk/resolve/resolve";
import { clusterContext, clusterInputsFromSpec } from "../sdk/k8s";
import { run } from "../sdk/lab/exec";
import { certificateNames, certificateSans, foreignClientCert, makeLabCa, MeshChart, meshChart } from "../sdk/lab/cluster/mesh-tls";
import { requireClusterTools } from "./support/cluster-tools-gate";
import { MESH_VIP, meshLabSpec } from "./support/lab-datapath-spec";

describe("lab ClusterMesh certificates: the shared CA through the chart (helm template of dcnet's values)", function () {
  this.timeout(120000);
  let work = "";
  const charts: Record<string, MeshChart> = {};
  let caCert = "";

  before(function () {
    requireClusterTools(this, ["helm", "ciliumModuleDir"]);
    work = mkdtempSync(path.join(os.tmpdir(), "dcnet-mesh-tls-"));
    const spec = meshLabSpec(true);
    const plan = resolve(spec);
    const inputs = clusterInputsFromSpec(spec);
    const ca = makeLabCa(path.join(work, "ca"), "mesh", "dcnet test mesh CA");
    caCert = ca.cert;
    for (const c of ["lab-a", "lab-b"]) charts[c] = meshChart(clusterContext(plan, inputs, c), ca, path.join(work, c));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const verify = (cert: string) => run("openssl", ["verify", "-CAfile", caCert, cert], { check: false });

  it("every certificate of both charts chains to the shared CA; the CA key and every issued key are 0600", () => {
    for (const c of ["lab-a", "lab-b"])
      for (const f of [charts[c].server, charts[c].admin, charts[c].remote]) {
        const v = verify(f.cert);
        assert.strictEqual(v.code, 0, `${f.cert}: ${v.stdout}${v.stderr}`);
        assert.strictEqual(certificateNames(f.cert).issuer, "CN = dcnet test mesh CA");
        assert.strictEqual(statSync(f.key).mode & 0o777, 0o600, f.key);
      }
    assert.strictEqual(statSync(path.join(work, "ca", "mesh-ca.key")).mode & 0o777, 0o600);
    assert.strictEqual(statSync(path.join(work, "lab-a", "values-mesh-ca.json")).mode & 0o777, 0o600, "the values file holds the CA key");
  });

  it("lab-a's etcd certificate is valid for the VIP and *.mesh.cilium.io; lab-b's for its NodePort address", () => {
    const a = certificateSans(charts["lab-a"].server.cert);
    for (const want of [`IP Address:${MESH_VIP}`, "DNS:*.mesh.cilium.io", "IP Address:127.0.0.1"]) assert.ok(a.includes(want), `lab-a SANs ${a.join(", ")} lack ${want}`);
    const b = certificateSans(charts["lab-b"].server.cert);
    assert.ok(b.includes("IP Address:198.18.11.11") && !b.includes(`IP Address:${MESH_VIP}`), `lab-b SANs ${b.join(", ")}`);
    // the name agents dial, checked as a TLS client would
    assert.strictEqual(run("openssl", ["x509", "-in", charts["lab-a"].server.cert, "-noout", "-checkhost", "lab-a.mesh.cilium.io"]).stdout.includes("does match"), true);
    assert.strictEqual(run("openssl", ["x509", "-in", charts["lab-a"].server.cert, "-noout", "-checkip", MESH_VIP]).stdout.includes("does match"), true);
  });

  it("the etcd configs name dcnet's endpoints (VIP:2379, NodePort 32379) through the chart's host aliases, with the chart's client files", () => {
    const toA = charts["lab-b"].peerConfigs["lab-a"];
    assert.match(toA, /^- https:\/\/lab-a\.mesh\.cilium\.io:2379$/m);
    assert.match(toA, new RegExp(`- hostname: lab-a\\.mesh\\.cilium\\.io\\n\\s+ips:\\s*\\n\\s+- ${MESH_VIP.replace(/\./g, "\\.")}`));
    for (const k of ["trusted-ca-file: /var/lib/cilium/clustermesh/common-etcd-client-ca.crt", "cert-file: /var/lib/cilium/clustermesh/common-etcd-client.crt", "key-file: /var/lib/cilium/clustermesh/common-etcd-client.key"]) assert.ok(toA.includes(k), `${k} in:\n${toA}`);
    assert.match(charts["lab-a"].peerConfigs["lab-b"], /^- https:\/\/lab-b\.mesh\.cilium\.io:32379$/m);
    assert.deepStrictEqual(Object.keys(charts["lab-a"].peerConfigs), ["lab-b"]);
    // the Services as dcnet renders them
    assert.deepStrictEqual((charts["lab-a"].service as { spec: { type: string } }).spec.type, "LoadBalancer");
    assert.deepStrictEqual((charts["lab-a"].service as { metadata: { annotations: Record<string, string> } }).metadata.annotations["lbipam.cilium.io/ips"], MESH_VIP);
    assert.deepStrictEqual((charts["lab-b"].service as { spec: { type: string; ports: { nodePort?: number }[] } }).spec.ports[0].nodePort, 32379);
    assert.strictEqual(charts["lab-a"].podLabels["k8s-app"], "clustermesh-apiserver");
  });

  it("a client certificate from a foreign CA does not chain to the shared CA", () => {
    const f = foreignClientCert(path.join(work, "foreign"));
    const v = verify(f.cert);
    assert.notStrictEqual(v.code, 0, "the foreign certificate verifies against the mesh CA");
    assert.match(v.stdout + v.stderr, /unable to get local issuer certificate|unable to get issuer/);
    assert.strictEqual(statSync(f.key).mode & 0o777, 0o600);
  });
});
