/**
 * Issue 14, proof 2: the real Cilium 1.20.2 chart (from the Go module) renders with dcnet's values for
 * every example cluster (`helm template cilium <chart> -n kube-system --kube-version 1.37.2 -f
 * values.yaml`, helm 3.22.0 built from source), its values.schema.json accepts the values, and the
 * rendered `cilium-config` ConfigMap holds the intended settings.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import { parse, parseAllDocuments } from "yaml";
import { clusterContext } from "../sdk/k8s/context";
import { clusterChartValues, toYaml } from "../sdk/k8s/render";
import { nativeRoutingCidr, nativeRoutingCidr6 } from "../sdk/k8s/cilium-values";
import { ciliumOptions } from "../sdk/k8s/defaults";
import { LBIPAM_IPS_ANNOTATION } from "../sdk/k8s/objects";
import { BgpSpeaker, LoadBalancerAlgorithm, PodCidrSource } from "../sdk/spec/cluster-types";
import { ClusterTools } from "../sdk/tools/cluster-tools";
import { requireClusterTools } from "./support/cluster-tools-gate";
import { variants } from "./support/cluster-variants";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; data?: Record<string, string>; spec?: Record<string, unknown> };

describe("k8s: the real Cilium 1.20.2 chart renders dcnet's values (issue 14)", function () {
  this.timeout(300000);
  let tools: ClusterTools;
  let work: string;
  let validate: ReturnType<Ajv["compile"]>;
  let chartDefaults: unknown;
  let templates = "";
  /** Free-form maps of the chart: anything below them is the user's (labels, annotations). */
  const FREE_FORM = new Set(["annotations", "labels", "podAnnotations", "podLabels"]);
  const leafPaths = (o: unknown, pre: string[] = []): string[][] =>
    typeof o === "object" && o !== null && !Array.isArray(o) && !FREE_FORM.has(pre[pre.length - 1])
      ? Object.entries(o).flatMap(([k, v]) => leafPaths(v, [...pre, k]))
      : [pre];
  const chartKnows = (p: string[]): boolean => {
    let d = chartDefaults as Record<string, unknown> | undefined;
    for (const k of p) {
      if (d === null || typeof d !== "object" || !(k in d)) {
        // not declared: the templates must read it (`.Values.a.b`, `hasKey .Values.a "b"`, `$a.b`)
        return p.length > 1 ? new RegExp(`\\b${p[p.length - 2]}\\b[^\\n]*\\b${p[p.length - 1]}\\b`).test(templates) : templates.includes(`.Values.${p[0]}`);
      }
      d = d[k] as Record<string, unknown>;
    }
    return true;
  };

  before(function () {
    tools = requireClusterTools(this, ["helm", "ciliumModuleDir"]);
    work = mkdtempSync(path.join(os.tmpdir(), "dcnet-chart-"));
    const schema = JSON.parse(readFileSync(path.join(tools.ciliumChart!, "values.schema.json"), "utf8")) as object;
    chartDefaults = parse(readFileSync(path.join(tools.ciliumChart!, "values.yaml"), "utf8"));
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    templates = walk(path.join(tools.ciliumChart!, "templates")).map((f) => readFileSync(f, "utf8")).join("\n");
    validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const v of variants()) {
    for (const cluster of v.plan.clusters.filter((c) => v.inputs[c.name])) {
      it(`${v.name}, ${cluster.name}: schema accepts the values, helm template renders, cilium-config holds dcnet's settings`, () => {
        const ctx = clusterContext(v.plan, v.inputs, cluster.name);
        const o = ciliumOptions(ctx.k8s);
        const values = clusterChartValues(ctx).cilium;
        // the cluster's families (an IPv6-only cluster runs with IPv4 off)
        const v4 = cluster.podCIDRs.some((p) => p.family === "ipv4");
        const v6 = cluster.podCIDRs.some((p) => p.family === "ipv6");
        assert.ok(validate(values), `values.schema.json refuses dcnet's values: ${JSON.stringify(validate.errors)}`);
        // every value dcnet sets is one the chart knows (values.yaml) or reads (its templates): nothing silently ignored
        const ignored = leafPaths(values).filter((p) => !chartKnows(p));
        assert.deepEqual(ignored, [], "values the 1.20.2 chart neither declares nor reads");
        const file = path.join(work, `${cluster.name}-${Math.random().toString(36).slice(2)}.yaml`);
        writeFileSync(file, toYaml(values));
        const env = { ...process.env, HELM_CACHE_HOME: path.join(work, "cache"), HELM_CONFIG_HOME: path.join(work, "config"), HELM_DATA_HOME: path.join(work, "data") };
        const r = spawnSync(tools.helm!, ["template", "cilium", tools.ciliumChart!, "-n", "kube-system", "--kube-version", "1.37.2", "-f", file], { encoding: "utf8", env, timeout: 120000, maxBuffer: 64 * 1024 * 1024 });
        assert.equal(r.status, 0, `helm template failed: ${r.stderr}`);
        const docs = parseAllDocuments(r.stdout, { version: "1.1" }).map((d) => d.toJS() as Obj).filter((d) => d && d.kind);
        const cm = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "cilium-config");
        assert.ok(cm?.data, "a cilium-config ConfigMap");
        const data = cm.data;
        const expect: Record<string, string | undefined> = {
          "routing-mode": "native",
          "ipv4-native-routing-cidr": nativeRoutingCidr(ctx),
          "ipv6-native-routing-cidr": nativeRoutingCidr6(ctx),
          "auto-direct-node-routes": "false",
          ipam: "kubernetes",
          "k8s-require-ipv4-pod-cidr": String(v4),
          "cluster-name": cluster.name,
          "cluster-id": String(cluster.id),
          "kube-proxy-replacement": "true",
          "bpf-lb-mode": o.mode,
          "bpf-lb-algorithm": o.algorithm,
          "bpf-lb-acceleration": o.acceleration,
          "enable-ipv4": String(v4),
          "enable-ipv6": String(v6),
          // 1.19+: policies select the local cluster unless they name clusters (dcnet's always do)
          "policy-default-local-cluster": "true",
        };
        if (o.algorithm === LoadBalancerAlgorithm.maglev) expect["bpf-lb-maglev-table-size"] = String(o.maglevTableSize);
        if (o.bgpSpeaker === BgpSpeaker.cilium) Object.assign(expect, { "enable-bgp-control-plane": "true", "bgp-secrets-namespace": "kube-system" });
        if (o.podCidrSource === PodCidrSource.annotation) expect["annotate-k8s-node"] = "true";
        if (ctx.k8s.ingress) expect["bpf-lb-sock-hostns-only"] = "true";
        for (const [k, want] of Object.entries(expect)) assert.equal(data[k], want, `cilium-config ${k}`);
        // 1.20: the API server address reaches the agent as its environment, not through cilium-config
        const ds = docs.find((d) => d.kind === "DaemonSet" && d.metadata.name === "cilium") as unknown as { spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } } };
        const agentEnv = Object.fromEntries((ds.spec.template.spec.containers.find((c) => c.name === "cilium-agent")!.env ?? []).map((e) => [e.name, e.value]));
        assert.equal(agentEnv.KUBERNETES_SERVICE_HOST, ctx.k8s.apiServer?.host);
        assert.equal(agentEnv.KUBERNETES_SERVICE_PORT, String(ctx.k8s.apiServer?.port ?? 6443));
        if (o.bgpSpeaker !== BgpSpeaker.cilium) assert.notEqual(data["enable-bgp-control-plane"], "true", "no BGP control plane with BIRD");
        if (o.podCidrSource !== PodCidrSource.annotation) assert.equal(data["annotate-k8s-node"], undefined);

        // ClusterMesh: the clustermesh-apiserver on the pinned VIP (or NodePort) and every other member in the config
        const svc = docs.find((d) => d.kind === "Service" && d.metadata.name === "clustermesh-apiserver");
        const meshSecret = docs.find((d) => d.kind === "Secret" && d.metadata.name === "cilium-clustermesh") as (Obj & { data?: Record<string, string>; stringData?: Record<string, string> }) | undefined;
        if (!ctx.k8s.mesh) {
          assert.equal(svc, undefined, "no clustermesh-apiserver without a mesh");
          return;
        }
        assert.ok(svc, "a clustermesh-apiserver Service");
        assert.ok(docs.some((d) => d.kind === "Deployment" && d.metadata.name === "clustermesh-apiserver"), "a clustermesh-apiserver Deployment");
        if (ctx.k8s.mesh.apiServerAddress) {
          assert.equal(svc.spec?.type, "LoadBalancer");
          assert.equal(svc.metadata.annotations?.[LBIPAM_IPS_ANNOTATION], ctx.k8s.mesh.apiServerAddress);
        } else assert.equal(svc.spec?.type, "NodePort");
        const peers = ctx.meshMembers.filter((m) => m.name !== cluster.name).map((m) => m.name);
        assert.ok(peers.length > 0);
        const keys = Object.keys({ ...meshSecret?.data, ...meshSecret?.stringData });
        for (const p of peers) assert.ok(keys.includes(p), `cilium-clustermesh holds ${p} (keys: ${keys.join(", ")})`);
      });
    }
  }
});
