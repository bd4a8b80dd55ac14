/**
 * Issue 14, proof 1: every cluster object `dcnet plan` renders for the examples is accepted by a real
 * kube-apiserver 1.37.2 holding Cilium 1.20.2's own CRDs (from the Go module: pkg/k8s/apis/cilium.io/
 * client/crds/v2 and v2alpha1), by server-side apply (dry-run on the server: admission and schema
 * run, nothing is stored); a set of deliberately broken objects is refused with the server's own
 * message. The API server runs on 127.0.0.1 (sdk/k8s-lab/apiserver.ts), state in a temp dir.
 *
 * Istio's Gateway and VirtualService are checked against Istio's CRDs from the Go module istio.io/api
 * (v1.30.8: the proxy serves no tag of the pinned Istio 1.27; both serve networking.istio.io/v1).
 */
import { strict as assert } from "assert";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { renderClusterManifests } from "../sdk/k8s/render";
import { K8sObject, POD_CIDR_ANNOTATION } from "../sdk/k8s/objects";
import { startTestApiServer, TestApiServer } from "../sdk/k8s-lab/apiserver";
import { ClusterTools } from "../sdk/tools/cluster-tools";
import { requireClusterTools } from "./support/cluster-tools-gate";
import { variants } from "./support/cluster-variants";

describe("k8s: a real kube-apiserver 1.37.2 with Cilium 1.20.2's CRDs accepts dcnet's objects (issue 14)", function () {
  this.timeout(300000);
  let tools: ClusterTools;
  let api: TestApiServer | undefined;
  let work: string;

  before(async function () {
    tools = requireClusterTools(this, ["kubeApiserver", "kubectl", "etcd", "ciliumModuleDir", "istioCrds"]);
    work = mkdtempSync(path.join(os.tmpdir(), "dcnet-k8s-objects-"));
    api = await startTestApiServer({ etcd: tools.etcd!, kubeApiserver: tools.kubeApiserver!, kubectl: tools.kubectl! });
    api.registerCrds([...tools.ciliumCrdDirs!, tools.istioCrds!]);
  });

  after(async () => {
    await api?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("reports its version as v1.37.2 and serves Cilium's CRDs at cilium.io/v2 (storage version)", () => {
    const v = JSON.parse(api!.kubectl(["version", "-o", "json"]).stdout) as { serverVersion: { gitVersion: string } };
    assert.equal(v.serverVersion.gitVersion, "v1.37.2");
    const crds = JSON.parse(api!.kubectl(["get", "crd", "-o", "json"]).stdout) as { items: { spec: { group: string; names: { kind: string }; versions: { name: string; storage: boolean }[] } }[] };
    const storage = new Map(crds.items.filter((c) => c.spec.group === "cilium.io").map((c) => [c.spec.names.kind, c.spec.versions.find((x) => x.storage)!.name]));
    for (const kind of ["CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "CiliumBGPNodeConfigOverride", "CiliumLoadBalancerIPPool", "CiliumCIDRGroup", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"])
      assert.equal(storage.get(kind), "v2", kind);
    assert.equal(storage.has("CiliumBGPPeeringPolicy"), false, "BGP v1 is gone in 1.19+");
  });

  for (const v of variants()) {
    it(`${v.name}: every rendered object accepted by server-side apply (dry-run=server); NodePatches give each node its planned PodCIDR`, () => {
      const files = renderClusterManifests(v.plan, v.inputs).filter((f) => !f.path.includes("/values/"));
      const objects = files.map((f) => ({ file: f.path, obj: parse(f.text, { version: "1.1" }) as K8sObject }));
      const send = objects;
      // what must exist first: the Nodes (dcnet patches existing ones) and the namespaces
      const nodes = send.filter((o) => o.obj.kind === "Node").map((o) => o.obj.metadata.name);
      const namespaces = new Set([...send.filter((o) => o.obj.kind === "Namespace").map((o) => o.obj.metadata.name), ...send.map((o) => o.obj.metadata.namespace).filter((n): n is string => !!n)]);
      const base = [...nodes.map((n) => ({ apiVersion: "v1", kind: "Node", metadata: { name: n } })), ...[...namespaces].map((n) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: n } }))];
      const pre = api!.kubectl(["apply", "--server-side", "--field-manager=test-setup", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: base }) });
      assert.equal(pre.code, 0, pre.stderr);

      const dir = mkdtempSync(path.join(work, "objects-"));
      for (const f of files) if (send.some((o) => o.file === f.path)) writeFileSync(path.join(dir, path.basename(f.path)), f.text);
      const r = api!.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=dcnet", "-o", "json", "-f", dir]);
      assert.equal(r.code, 0, `the API server refused some of dcnet's objects:\n${r.stderr}`);
      const out = JSON.parse(r.stdout) as { items?: K8sObject[] } & K8sObject;
      const items = out.items ?? [out];
      assert.equal(items.length, send.length, "one result per object sent");
      const kinds = new Set(send.map((o) => o.obj.kind));
      for (const k of ["Node", "CiliumLoadBalancerIPPool", "Gateway", "VirtualService", "CiliumNetworkPolicy", "CiliumCIDRGroup"]) assert.ok(kinds.has(k), `${v.name} renders ${k}`);
      if (v.name.includes("BGP speaker")) for (const k of ["CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "CiliumBGPNodeConfigOverride"]) assert.ok(kinds.has(k), k);

      const annotation = v.name.includes("annotation");
      for (const node of items.filter((i) => i.kind === "Node")) {
        const n = v.plan.nodes.find((x) => x.name === node.metadata.name)!;
        const planned = n.podCIDR.prefix;
        // every family's PodCIDR, IPv4 first; a node of an IPv6-only cluster has only its IPv6 one
        const all = n.podCIDR.family === "ipv4" ? [planned, ...(n.podCIDR6 ? [n.podCIDR6.prefix] : [])] : [n.podCIDR6!.prefix];
        const spec = (node as unknown as { spec?: { podCIDR?: string; podCIDRs?: string[] } }).spec;
        if (annotation) assert.equal(node.metadata.annotations?.[POD_CIDR_ANNOTATION], planned, node.metadata.name);
        else assert.deepEqual([spec?.podCIDR, spec?.podCIDRs], [planned, all], node.metadata.name);
      }
      rmSync(dir, { recursive: true, force: true });
    });
  }

  const broken: { name: string; yaml: string; refusal: RegExp }[] = [
    {
      name: "the old rendering: allowFirstLastIPs: Yes unquoted (a boolean in YAML 1.1)",
      yaml: "apiVersion: cilium.io/v2\nkind: CiliumLoadBalancerIPPool\nmetadata: { name: broken-yes }\nspec:\n  blocks: [{ cidr: 198.18.200.0/29 }]\n  allowFirstLastIPs: Yes\n",
      refusal: /\.spec\.allowFirstLastIPs: expected string, got .*true/,
    },
    {
      name: "an unknown field in a BGP peer config",
      yaml: "apiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: { name: broken-field }\nspec:\n  bfd: { enabled: true }\n",
      refusal: /\.spec\.bfd: field not declared in schema/,
    },
    {
      name: "BGP v1 CiliumBGPPeeringPolicy (removed in 1.19)",
      yaml: "apiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeeringPolicy\nmetadata: { name: v1 }\nspec: { virtualRouters: [] }\n",
      refusal: /no matches for kind "CiliumBGPPeeringPolicy"/,
    },
    {
      name: "a hold time above the CRD's maximum",
      yaml: "apiVersion: cilium.io/v2\nkind: CiliumBGPPeerConfig\nmetadata: { name: broken-hold }\nspec:\n  timers: { holdTimeSeconds: 70000 }\n",
      refusal: /holdTimeSeconds: Invalid value: 70000: spec\.timers\.holdTimeSeconds in body should be less than or equal to 65535/,
    },
    {
      name: "a Node PodCIDR that is no CIDR",
      yaml: "apiVersion: v1\nkind: Node\nmetadata: { name: broken-node }\nspec: { podCIDR: 198.19.0.0/33, podCIDRs: [198.19.0.0/33] }\n",
      refusal: /spec\.podCIDRs(\[0\])?: Invalid value: "198\.19\.0\.0\/33"/,
    },
    {
      name: "a policy protocol Cilium does not know",
      yaml: "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: { name: broken-protocol, namespace: default }\nspec:\n  endpointSelector: {}\n  ingress: [{ toPorts: [{ ports: [{ port: \"80\", protocol: HTTP }] }] }]\n",
      refusal: /protocol: Unsupported value: "HTTP"/,
    },
  ];
  for (const b of broken) {
    it(`refused by the server: ${b.name}`, () => {
      const r = api!.kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=dcnet", "-f", "-"], { input: b.yaml });
      assert.notEqual(r.code, 0, `accepted:\n${r.stdout}`);
      assert.match(r.stderr, b.refusal, `unexpected refusal: ${r.stderr}`);
      console.log(`      server: ${r.stderr.trim().split("\n").slice(-1)[0].slice(0, 300)}`);
    });
  }
});
