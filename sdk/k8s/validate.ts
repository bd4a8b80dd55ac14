/**
 * Cluster-side validation: every rule runs, every problem is reported at once with its spec
 * path (`clusters[i].k8s....`), rule id and offending values (quoted) — the same `SpecProblem`s
 * the core validation reports.
 *
 * Every user value that becomes a Kubernetes name, namespace, label or annotation is checked by
 * Kubernetes' own rules (DNS-1123 label/subdomain, DNS-1035 label for Services, qualified names
 * for label keys, label values ≤ 63); user keys never reach a prototype (`unsafe-key`); extra
 * Helm values are checked against the chart's `values.schema.json` where it is available
 * (`chart-schema.ts`); finally every object dcnet would render is checked as Kubernetes would
 * (`rendered-object`): names, namespaces, labels, and no two objects with one name.
 */
import { Plan, PlanVipPool } from "../plan/types";
import { addressProblem, containsAddress, prefixesOverlap, prefixProblem } from "../net/prefix";
import { BgpSpeaker, CiliumDeployment, PolicyEntity, PolicyProtocol, PolicyRuleSpec } from "../spec/cluster-types";
import { ProblemList, SpecError, SpecProblem } from "../validate/errors";
import { ClusterContext, ClusterInputs, clusterContext, clusterInput } from "./context";
import { CILIUM_MIN_VERSION, ciliumOptions, MAGLEV_TABLE_SIZES } from "./defaults";
import { HOST_MANAGED_CILIUM_VALUES, MANAGED_CILIUM_VALUES, REMOVED_CILIUM_VALUES } from "./cilium-values";
import { pathsIntersect, splitValuePath } from "./set-values";
import { CLUSTER_LABEL, isClusterScoped, isDnsLabel, isDnsSubdomain, K8sObject, MANAGED_BY, POLICY_CLUSTER_LABEL } from "./objects";
import { bgpSecretRefs, unannounceablePools } from "./bgp";
import { EXTERNAL_ENDPOINT_LABEL } from "./external-endpoints";
import { isDns1035Label, isUnsafeKey, keyPath, labelValueProblem, q, qualifiedNameProblem } from "./keys";
import { ClusterValidationOptions, findCiliumValuesSchema, SchemaLookup, valuesPathProblem, valuesSchemaNotes } from "./chart-schema";
import { clusterInputShapeProblems } from "./shape";
import { clusterObjects, clusterChartValues, objectFileName } from "./render";
import { checkClusterFamilies, checkMeshFamilies } from "./validate-families";
import { checkCiliumLimits } from "./validate-cilium-limits";

export { ClusterValidationOptions } from "./chart-schema";

const ENTITIES = new Set<string>(Object.values(PolicyEntity));
const PROTOCOLS = new Set<string>(Object.values(PolicyProtocol));

/** Strict SemVer 2.0.0 (https://semver.org), no leading `v`: chart versions. */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** A DNS name (RFC 1123 host name: labels of letters, digits and '-', ≤ 63 each, ≤ 253 in all). */
export function isDnsName(s: string): boolean {
  return typeof s === "string" && s.length <= 253 && /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\.?$/.test(s) && !/^[0-9.]+$/.test(s);
}

/** Label keys a user map may not set: dcnet writes them (or a dedicated field does). */
const RESERVED_POD_LABELS: { [key: string]: string } = {
  [POLICY_CLUSTER_LABEL]: "name the clusters with clusters or anyMeshCluster",
  "io.kubernetes.pod.namespace": "name the namespace with namespace",
};
const RESERVED_ENDPOINT_LABELS: { [key: string]: string } = {
  [CLUSTER_LABEL]: "dcnet sets it to the cluster",
  [EXTERNAL_ENDPOINT_LABEL]: "dcnet sets it to the endpoint's name",
  ...Object.fromEntries(Object.keys(MANAGED_BY).map((k) => [k, "dcnet sets it"])),
};

/** Validate the cluster-side inputs against the plan. */
export function validateClusterSide(plan: Plan, inputs: ClusterInputs, options: ClusterValidationOptions = {}): SpecProblem[] {
  const problems = new ProblemList();
  const known = new Set(plan.clusters.map((c) => c.name));
  for (const name of Object.keys(inputs).sort()) {
    if (!known.has(name))
      problems.add(`clusters[${q(name)}]`, "unknown-reference", `cluster-side inputs name cluster ${q(name)}, which is not in the spec (clusters: ${[...known].join(", ") || "none"})`);
  }
  // the shape first (inputs from code skip the spec's JSON Schema): the rules below run only on inputs whose
  // fields have the right types; other shape problems (an unknown enum member, an extra key) are reported
  // unless a rule reports the same path more precisely
  const shapeProblems: SpecProblem[] = [];
  const sane = plan.clusters.filter((c, i) => {
    const k8s = clusterInput(inputs, c.name);
    if (k8s === undefined) return false;
    const shape = clusterInputShapeProblems(k8s, `clusters[${i}].k8s`);
    shapeProblems.push(...shape);
    return !shape.some((p) => p.rule === "schema-type" || p.rule === "schema-required");
  });
  const contexts = sane.map((c) => clusterContext(plan, inputs, c.name));
  for (const ctx of contexts) {
    checkCilium(ctx, problems, options);
    checkIngress(ctx, problems);
    checkMesh(ctx, problems);
    checkExternalEndpoints(ctx, problems);
    checkPolicies(ctx, problems);
    checkPinnedAddresses(ctx, problems);
    checkServiceSelectors(ctx, problems);
    checkClusterFamilies(ctx, problems);
    checkCiliumLimits(ctx, problems);
  }
  checkMeshes(contexts, problems);
  checkSecretNames(contexts, problems);
  const ruled = new Set(problems.items.map((p) => p.path));
  for (const p of shapeProblems) if (!ruled.has(p.path)) problems.add(p.path, p.rule, p.message);
  // the safety net: what would be rendered, as Kubernetes would see it (only for inputs that passed the rules)
  if (problems.items.length === 0) for (const ctx of contexts) checkRenderedObjects(ctx, problems);
  return dedupe(problems.items);
}

/** Throw a `SpecError` listing every cluster-side problem, if any. */
export function assertClusterSide(plan: Plan, inputs: ClusterInputs, options: ClusterValidationOptions = {}): void {
  const problems = validateClusterSide(plan, inputs, options);
  if (problems.length) throw new SpecError(problems);
}

/**
 * What validation could not check, one line each (say it, never skip silently): `cilium.values`
 * of a cluster whose chart has no `values.schema.json` at hand (see `chart-schema.ts`).
 */
export function clusterSideNotes(plan: Plan, inputs: ClusterInputs, options: ClusterValidationOptions = {}): string[] {
  const clusters = plan.clusters.map((c, i) => ({ path: `clusters[${i}].k8s`, k8s: clusterInput(inputs, c.name) }));
  return valuesSchemaNotes(clusters.filter((c): c is { path: string; k8s: NonNullable<typeof c.k8s> } => c.k8s !== undefined), options);
}

/** The same problem (path, rule, message) once. */
function dedupe(items: SpecProblem[]): SpecProblem[] {
  const seen = new Set<string>();
  return items.filter((p) => {
    const key = JSON.stringify([p.path, p.rule, p.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function poolList(pools: PlanVipPool[]): string {
  return pools.length ? pools.map((p) => `${p.name} ${p.cidr}`).join(", ") : "none";
}

/** Problem text when `address` is not a usable pinned VIP of the cluster, else undefined. */
function vipProblem(ctx: ClusterContext, address: string): { rule: string; message: string } | undefined {
  const bad = addressProblem(address) ?? (address.includes("%") ? "has a zone id" : undefined);
  if (bad) return { rule: "address-invalid", message: `${q(address)} ${bad}` };
  if (ctx.pools.some((p) => containsAddress(p.cidr, address))) return undefined;
  const other = ctx.plan.vipPools.find((p) => containsAddress(p.cidr, address));
  if (other)
    return {
      rule: "vip-outside-pool",
      message: `${address} lies in VIP pool ${other.name} ${other.cidr}, which cluster ${ctx.cluster.name}'s LB-IPAM does not own (its pools: ${poolList(ctx.pools)})`,
    };
  return { rule: "vip-outside-pool", message: `${address} is not in any VIP pool of cluster ${ctx.cluster.name} (its pools: ${poolList(ctx.pools)})` };
}

/** Label keys and values of a user map, by Kubernetes' rules; `reserved` keys refused with why. */
function checkLabels(map: { [key: string]: string } | undefined, path: string, what: string, problems: ProblemList, reserved: { [key: string]: string } = {}): void {
  if (map === undefined) return;
  for (const key of Object.keys(map)) {
    const kp = keyPath(path, key);
    if (isUnsafeKey(key)) {
      problems.add(kp, "unsafe-key", `${what} key ${q(key)} is refused (__proto__, constructor and prototype never become keys)`);
      continue;
    }
    const badKey = qualifiedNameProblem(key);
    if (badKey) problems.add(kp, "label-key", `${what} key ${q(key)} ${badKey}`);
    else if (Object.prototype.hasOwnProperty.call(reserved, key)) problems.add(kp, "label-reserved", `${what} key ${q(key)} is reserved: ${reserved[key]}`);
    const badValue = labelValueProblem(map[key]);
    if (badValue) problems.add(kp, "label-value", `${what} value ${q(map[key])} of ${q(key)} ${badValue}`);
  }
}

function checkChartVersion(version: string | undefined, path: string, rule: string, what: string, problems: ProblemList): [number, number] | undefined {
  if (version === undefined) return undefined;
  const m = SEMVER.exec(version);
  if (!m) {
    problems.add(path, rule, `${what} chart version ${q(version)} is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] (e.g. 1.18.4)`);
    return undefined;
  }
  return [Number(m[1]), Number(m[2])];
}

function checkCilium(ctx: ClusterContext, problems: ProblemList, options: ClusterValidationOptions): void {
  const path = `${ctx.path}.cilium`;
  const c = ctx.k8s.cilium ?? {};
  const o = ciliumOptions(ctx.k8s);
  const v = checkChartVersion(c.chartVersion, `${path}.chartVersion`, "cilium-version", "Cilium", problems);
  const [maj, min] = CILIUM_MIN_VERSION;
  if (v && (v[0] < maj || (v[0] === maj && v[1] < min)))
    problems.add(`${path}.chartVersion`, "cilium-version", `Cilium ${c.chartVersion} is too old: dcnet needs ≥ ${maj}.${min} (BGP v2, LB-IPAM and CiliumCIDRGroup at cilium.io/v2)`);
  if (c.externalWorkloads !== undefined)
    problems.add(`${path}.externalWorkloads`, "cilium-removed", "External Workloads were removed in Cilium 1.18; declare the VMs and hosts under externalEndpoints (labelled CiliumCIDRGroups)");
  if (c.bgpPeeringPolicy !== undefined)
    problems.add(`${path}.bgpPeeringPolicy`, "cilium-removed", "CiliumBGPPeeringPolicy (BGP v1) is deprecated in Cilium 1.18 and removed in 1.19; use bgpSpeaker: cilium, which generates the BGP v2 resources");
  checkValues(ctx, c.values ?? {}, `${path}.values`, problems, c.chartVersion === undefined || v !== undefined ? findCiliumValuesSchema(o.chartVersion, options) : { kind: "disabled" });
  checkIpv6Disabled(ctx, c.values ?? {}, `${path}.values`, problems);
  if (c.loadBalancer?.maglevTableSize !== undefined && !MAGLEV_TABLE_SIZES.includes(c.loadBalancer.maglevTableSize))
    problems.add(`${path}.loadBalancer.maglevTableSize`, "maglev-table-size", `maglev table size ${q(c.loadBalancer.maglevTableSize)} is not one of Cilium's primes ${MAGLEV_TABLE_SIZES.join(", ")}`);
  if (o.kubeProxyReplacement && !ctx.k8s.apiServer)
    problems.add(`${ctx.path}.apiServer`, "required", `kube-proxy replacement needs the API server address (k8sServiceHost/k8sServicePort) of cluster ${ctx.cluster.name}`);
  const port = ctx.k8s.apiServer?.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) problems.add(`${ctx.path}.apiServer.port`, "port-range", `port ${q(port)} must be 1–65535`);
  const host = ctx.k8s.apiServer?.host;
  if (ctx.k8s.apiServer && !host) problems.add(`${ctx.path}.apiServer.host`, "required", "the API server host is empty");
  else if (host !== undefined && addressProblem(host) !== undefined && !isDnsName(host))
    problems.add(`${ctx.path}.apiServer.host`, "host-invalid", `API server host ${q(host)} is neither an IPv4 or IPv6 address (no zone id, no prefix length) nor a DNS name`);
  else if (host !== undefined && host.includes("%")) problems.add(`${ctx.path}.apiServer.host`, "host-invalid", `API server host ${q(host)} has a zone id, which the Cilium agent cannot use`);
  if (o.bgpSpeaker === BgpSpeaker.cilium) {
    for (const u of unannounceablePools(ctx))
      problems.add(`${path}.bgpSpeaker`, "bgp-speaker-pool", `node ${u.node} announces VIP pool ${u.pool}, which cluster ${ctx.cluster.name}'s LB-IPAM does not own; Cilium's speaker only announces LoadBalancer IPs of its Services (keep BIRD, or give the pool cluster: ${ctx.cluster.name})`);
  }
}

/**
 * `cilium-ipv6-disabled`: a cluster with IPv6 PodCIDRs in the plan runs Cilium with IPv6 on
 * (`ipv6.enabled`, `k8s.requireIPv6PodCIDR`, the IPv6 native routing CIDR); `cilium.values` may not
 * turn it off, since the agent then gives pods no IPv6 address and serves no IPv6 LB-IPAM VIP.
 */
function checkIpv6Disabled(ctx: ClusterContext, values: { [path: string]: string }, path: string, problems: ProblemList): void {
  if (!ctx.cluster.podCIDRs.some((p) => p.family === "ipv6")) return;
  const pools6 = ctx.pools.filter((p) => p.family === "ipv6").map((p) => `${p.name} ${p.cidr}`);
  for (const key of Object.keys(values).sort()) {
    if (!pathsIntersect(key, "ipv6.enabled") || String(values[key]) === "true") continue;
    problems.add(
      keyPath(path, key),
      "cilium-ipv6-disabled",
      `Helm value ${q(key)}: ${q(values[key])} turns IPv6 off, but cluster ${q(ctx.cluster.name)} is dual-stack (IPv6 PodCIDRs${pools6.length ? `, IPv6 VIP pools ${pools6.join(", ")}` : ""}); Cilium needs ipv6.enabled=true for them`,
    );
  }
}

/** Extra Helm values: safe path segments, not removed, not dcnet's, and known to the chart (when its schema is available). */
function checkValues(ctx: ClusterContext, values: { [path: string]: string }, path: string, problems: ProblemList, schema: SchemaLookup): void {
  const version = ciliumOptions(ctx.k8s).chartVersion;
  const keys = Object.keys(values).sort();
  if (schema.kind === "error" && keys.length)
    problems.add(path, "cilium-values-schema", `the Cilium values schema ${q(schema.file)} cannot be read (${schema.message}); fix or unset DCNET_CILIUM_VALUES_SCHEMA`);
  for (const key of keys) {
    const kp = keyPath(path, key);
    const segments = splitValuePath(key);
    const unsafe = segments.filter(isUnsafeKey);
    if (unsafe.length) {
      problems.add(kp, "unsafe-key", `Helm value path ${q(key)} has the segment ${q(unsafe[0])}: __proto__, constructor and prototype never become keys`);
      continue;
    }
    if (segments.some((s) => s === "")) {
      problems.add(kp, "cilium-value-path", `Helm value path ${q(key)} has an empty segment (a leading, trailing or doubled '.')`);
      continue;
    }
    let refused = false;
    const removed = REMOVED_CILIUM_VALUES.find((r) => pathsIntersect(key, r.path));
    if (removed) {
      problems.add(kp, "cilium-removed", `Helm value ${q(key)} was removed in Cilium ${removed.removedIn}; ${removed.instead}`);
      refused = true;
    }
    const managed = [...MANAGED_CILIUM_VALUES, ...(ciliumOptions(ctx.k8s).deployment === CiliumDeployment.host ? HOST_MANAGED_CILIUM_VALUES : [])].filter((m) => pathsIntersect(key, m));
    if (managed.length) {
      problems.add(kp, "cilium-managed-value", `Helm value ${q(key)} is derived from the plan by dcnet (${managed.join(", ")}); set it through the spec instead`);
      refused = true;
    }
    if (!refused && schema.kind === "found") {
      const p = valuesPathProblem(schema.schema, `Cilium ${version}`, key, values[key]);
      if (p) problems.add(kp, p.rule, p.message);
    }
  }
}

function checkIngress(ctx: ClusterContext, problems: ProblemList): void {
  const ing = ctx.k8s.ingress;
  if (!ing) return;
  const path = `${ctx.path}.ingress`;
  const vip = vipProblem(ctx, ing.address);
  if (vip) problems.add(`${path}.address`, vip.rule, `ingress VIP ${vip.message}`);
  if (ing.namespace !== undefined && !isDnsLabel(ing.namespace)) problems.add(`${path}.namespace`, "name-invalid", `namespace ${q(ing.namespace)} is not a DNS-1123 label (≤ 63 lower-case alphanumerics or '-')`);
  checkChartVersion(ing.chartVersion, `${path}.chartVersion`, "istio-version", "Istio", problems);
  if (ing.replicas !== undefined && (!Number.isInteger(ing.replicas) || ing.replicas < 1)) problems.add(`${path}.replicas`, "replicas", `replicas ${q(ing.replicas)} must be an integer ≥ 1`);
  if (ing.hosts.length === 0) problems.add(`${path}.hosts`, "required", "an ingress needs at least one host");
  const seen = new Map<string, number>();
  ing.hosts.forEach((h, i) => {
    const hp = `${path}.hosts[${i}]`;
    if (h.host.length > 253 || !/^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/.test(h.host))
      problems.add(`${hp}.host`, "host-invalid", `${q(h.host)} is not a lower-case DNS name (optionally *.name)`);
    if (seen.has(h.host)) problems.add(`${hp}.host`, "duplicate", `host ${q(h.host)} is already served by ${path}.hosts[${seen.get(h.host)}]`);
    else seen.set(h.host, i);
    if (h.tlsSecret !== undefined && !isDnsSubdomain(h.tlsSecret)) problems.add(`${hp}.tlsSecret`, "name-invalid", `secret name ${q(h.tlsSecret)} is not a DNS-1123 subdomain`);
    if (h.routes.length === 0) problems.add(`${hp}.routes`, "required", `host ${q(h.host)} needs at least one route`);
    h.routes.forEach((r, j) => {
      const rp = `${hp}.routes[${j}]`;
      if (!r.pathPrefix.startsWith("/") || /[\u0000-\u0020\u007f]/.test(r.pathPrefix)) problems.add(`${rp}.pathPrefix`, "path-invalid", `path prefix ${q(r.pathPrefix)} must start with / and hold no space or control character`);
      if (!isDns1035Label(r.service)) problems.add(`${rp}.service`, "name-invalid", `service ${q(r.service)} is not a Service name (DNS-1035 label: ≤ 63 lower-case alphanumerics or '-', starting with a letter)`);
      if (r.namespace !== undefined && !isDnsLabel(r.namespace)) problems.add(`${rp}.namespace`, "name-invalid", `namespace ${q(r.namespace)} is not a DNS-1123 label`);
      if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) problems.add(`${rp}.port`, "port-range", `port ${q(r.port)} must be 1–65535`);
    });
  });
}

function checkMesh(ctx: ClusterContext, problems: ProblemList): void {
  const mesh = ctx.k8s.mesh;
  if (!mesh) return;
  const path = `${ctx.path}.mesh`;
  if (!isDnsLabel(mesh.name)) problems.add(`${path}.name`, "name-invalid", `mesh name ${q(mesh.name)} is not a DNS-1123 label`);
  if (mesh.apiServerAddress !== undefined) {
    const vip = vipProblem(ctx, mesh.apiServerAddress);
    if (vip) problems.add(`${path}.apiServerAddress`, vip.rule, `clustermesh-apiserver VIP ${vip.message}`);
  }
  const members = new Set(ctx.cluster.nodes);
  (mesh.apiServerNodes ?? []).forEach((n, i) => {
    if (!members.has(n)) problems.add(`${path}.apiServerNodes[${i}]`, "unknown-reference", `node ${q(n)} is not a member of cluster ${ctx.cluster.name}`);
  });
  if (mesh.apiServerAddress === undefined && ctx.nodes.length === 0)
    problems.add(path, "mesh-endpoint", `cluster ${ctx.cluster.name} has no node to expose its clustermesh-apiserver on, and no apiServerAddress`);
}

function checkMeshes(contexts: ClusterContext[], problems: ProblemList): void {
  const byMesh = new Map<string, ClusterContext[]>();
  for (const ctx of contexts) if (ctx.k8s.mesh) byMesh.set(ctx.k8s.mesh.name, [...(byMesh.get(ctx.k8s.mesh.name) ?? []), ctx]);
  for (const [mesh, members] of byMesh) {
    // PodCIDRs must not overlap across members (the plan guarantees it; pinned PodCIDRs of another spec may not)
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const a = members[i];
        const b = members[j];
        for (const pa of a.cluster.podCIDRs)
          for (const pb of b.cluster.podCIDRs)
            if (prefixesOverlap(pa.prefix, pb.prefix))
              problems.add(`${b.path}.mesh`, "mesh-podcidr-overlap", `mesh ${q(mesh)}: PodCIDR ${pb.prefix} of cluster ${b.cluster.name} overlaps PodCIDR ${pa.prefix} of cluster ${a.cluster.name}`);
      }
    }
    // same datapath everywhere
    const kpr = members.map((m) => ciliumOptions(m.k8s).kubeProxyReplacement);
    members.forEach((m, i) => {
      if (kpr[i] !== kpr[0])
        problems.add(`${m.path}.cilium.kubeProxyReplacement`, "mesh-datapath", `mesh ${q(mesh)}: cluster ${m.cluster.name} has kubeProxyReplacement ${kpr[i]}, cluster ${members[0].cluster.name} has ${kpr[0]}; every member needs the same datapath`);
    });
    checkMeshFamilies(mesh, members, problems);
    if (members.length > 255) problems.add(`${members[0].path}.mesh`, "mesh-size", `mesh ${q(mesh)} has ${members.length} clusters; Cilium meshes at most 255`);
  }
}

function checkExternalEndpoints(ctx: ClusterContext, problems: ProblemList): void {
  const list = ctx.k8s.externalEndpoints ?? [];
  const path = `${ctx.path}.externalEndpoints`;
  const seen = new Map<string, number>();
  list.forEach((ep, i) => {
    const ep_ = `${path}[${i}]`;
    if (!isDnsSubdomain(ep.name)) problems.add(`${ep_}.name`, "name-invalid", `external endpoint name ${q(ep.name)} is not a DNS-1123 subdomain`);
    else if (labelValueProblem(ep.name)) problems.add(`${ep_}.name`, "label-value", `external endpoint name ${q(ep.name)} is also the value of label ${EXTERNAL_ENDPOINT_LABEL}, and ${labelValueProblem(ep.name)}`);
    if (seen.has(ep.name)) problems.add(`${ep_}.name`, "duplicate", `external endpoint ${q(ep.name)} is already declared at ${path}[${seen.get(ep.name)}]`);
    else seen.set(ep.name, i);
    checkLabels(ep.labels, `${ep_}.labels`, "label", problems, RESERVED_ENDPOINT_LABELS);
    if (ep.cidrs.length === 0) problems.add(`${ep_}.cidrs`, "required", `external endpoint ${q(ep.name)} has no address`);
    ep.cidrs.forEach((c, j) => {
      const cp = `${ep_}.cidrs[${j}]`;
      const bad = c.includes("/") ? prefixProblem(c) : addressProblem(c);
      if (bad) return problems.add(cp, "prefix-invalid", `${q(c)} ${bad}`);
      const prefix = c.includes("/") ? c : `${c}/${c.includes(":") ? 128 : 32}`;
      if (prefixesOverlap(prefix, ctx.plan.pools.podCidr.prefix)) {
        const node = ctx.plan.nodes.find((n) => prefixesOverlap(prefix, n.podCIDR.prefix));
        problems.add(
          cp,
          "external-overlap",
          `external endpoint ${q(ep.name)} ${c} overlaps the PodCIDR pool ${ctx.plan.pools.podCidr.prefix}${node ? ` (PodCIDR ${node.podCIDR.prefix} of node ${node.name})` : ""}: pods there already have a Cilium identity`,
        );
      }
      for (const pool of ctx.plan.vipPools)
        if (prefixesOverlap(prefix, pool.cidr)) problems.add(cp, "external-overlap", `external endpoint ${q(ep.name)} ${c} overlaps VIP pool ${pool.name} ${pool.cidr}`);
      return undefined;
    });
  });
}

function checkRule(ctx: ClusterContext, rule: PolicyRuleSpec, path: string, deny: boolean, problems: ProblemList): void {
  const meshNames = new Set(ctx.meshMembers.map((c) => c.name));
  const known = new Set(ctx.plan.clusters.map((c) => c.name));
  const groups = new Set((ctx.k8s.externalEndpoints ?? []).map((e) => e.name));
  (rule.ports ?? []).forEach((p, i) => {
    const pp = `${path}.ports[${i}]`;
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) problems.add(`${pp}.port`, "policy-port", `port ${q(p.port)} must be an integer 1–65535`);
    if (p.endPort !== undefined && (!Number.isInteger(p.endPort) || p.endPort < p.port || p.endPort > 65535))
      problems.add(`${pp}.endPort`, "policy-port", `end port ${q(p.endPort)} must be an integer from port ${q(p.port)} to 65535`);
    if (p.protocol !== undefined && !PROTOCOLS.has(p.protocol)) problems.add(`${pp}.protocol`, "policy-protocol", `protocol ${q(p.protocol)} is not one of ${[...PROTOCOLS].join(", ")}`);
  });
  if (rule.http?.length) {
    if (deny) problems.add(`${path}.http`, "policy-l7-deny", "L7 HTTP rules are not allowed in deny rules (Cilium denies at L3/L4 only)");
    else if (!rule.ports?.length) problems.add(`${path}.http`, "policy-l7-port", "L7 HTTP rules need the TCP ports they apply to");
    else
      rule.ports.forEach((p, i) => {
        if ((p.protocol ?? PolicyProtocol.TCP) !== PolicyProtocol.TCP)
          problems.add(`${path}.ports[${i}].protocol`, "policy-l7-protocol", `L7 HTTP rules need TCP ports; port ${q(p.port)} is ${q(p.protocol)}`);
      });
  }
  (rule.entities ?? []).forEach((e, i) => {
    if (!ENTITIES.has(e)) problems.add(`${path}.entities[${i}]`, "policy-entity", `entity ${q(e)} is not one of ${[...ENTITIES].join(", ")}`);
  });
  (rule.cidrs ?? []).forEach((c, i) => {
    const bad = c.includes("/") ? prefixProblem(c) : addressProblem(c);
    if (bad) problems.add(`${path}.cidrs[${i}]`, "prefix-invalid", `${q(c)} ${bad}`);
  });
  (rule.cidrGroups ?? []).forEach((g, i) => {
    if (!groups.has(g)) problems.add(`${path}.cidrGroups[${i}]`, "unknown-reference", `unknown external endpoint ${q(g)} (inventory of cluster ${ctx.cluster.name}: ${[...groups].join(", ") || "empty"})`);
  });
  checkLabels(rule.cidrGroupLabels, `${path}.cidrGroupLabels`, "label", problems);
  (rule.pods ?? []).forEach((peer, i) => {
    checkLabels(peer.labels, `${path}.pods[${i}].labels`, "label", problems, RESERVED_POD_LABELS);
    if (peer.namespace !== undefined && !isDnsLabel(peer.namespace)) problems.add(`${path}.pods[${i}].namespace`, "name-invalid", `namespace ${q(peer.namespace)} is not a DNS-1123 label`);
    (peer.clusters ?? []).forEach((c, j) => {
      const cp = `${path}.pods[${i}].clusters[${j}]`;
      if (!known.has(c)) problems.add(cp, "unknown-reference", `unknown cluster ${q(c)}`);
      else if (!meshNames.has(c))
        problems.add(cp, "policy-cluster", `cluster ${c} is not in cluster ${ctx.cluster.name}'s mesh (${[...meshNames].join(", ")}): its pods cannot be selected`);
    });
  });
}

function checkPolicies(ctx: ClusterContext, problems: ProblemList): void {
  const path = `${ctx.path}.policies`;
  const seen = new Map<string, number>();
  (ctx.k8s.policies ?? []).forEach((p, i) => {
    const pp = `${path}[${i}]`;
    if (!isDnsSubdomain(p.name)) problems.add(`${pp}.name`, "name-invalid", `policy name ${q(p.name)} is not a DNS-1123 subdomain`);
    if (p.namespace !== undefined && !isDnsLabel(p.namespace)) problems.add(`${pp}.namespace`, "name-invalid", `namespace ${q(p.namespace)} is not a DNS-1123 label`);
    checkLabels(p.selector, `${pp}.selector`, "selector label", problems, RESERVED_POD_LABELS);
    const key = JSON.stringify(p.clusterwide ? ["ccnp", p.name] : ["cnp", p.namespace ?? "default", p.name]);
    if (seen.has(key)) problems.add(`${pp}.name`, "duplicate", `policy ${q(p.name)} is already declared at ${path}[${seen.get(key)}]`);
    else seen.set(key, i);
    for (const d of ["ingress", "ingressDeny", "egress", "egressDeny"] as const) {
      (p[d] ?? []).forEach((r, j) => checkRule(ctx, r, `${pp}.${d}[${j}]`, d.endsWith("Deny"), problems));
    }
    if (!p.ingress?.length && !p.ingressDeny?.length && !p.egress?.length && !p.egressDeny?.length)
      problems.add(pp, "policy-empty", `policy ${q(p.name)} has no rule`);
  });
}

/** Pinned Service addresses must be distinct (ingress gateway, clustermesh-apiserver). */
function checkPinnedAddresses(ctx: ClusterContext, problems: ProblemList): void {
  const ing = ctx.k8s.ingress?.address;
  const mesh = ctx.k8s.mesh?.apiServerAddress;
  if (ing && mesh && ing === mesh)
    problems.add(`${ctx.path}.mesh.apiServerAddress`, "vip-conflict", `${mesh} is already the ingress VIP (${ctx.path}.ingress.address); two Services cannot share a pinned VIP`);
}

/** The service selectors of the cluster's VIP pools become `matchLabels` (LB-IPAM, BGP) and Service labels. */
function checkServiceSelectors(ctx: ClusterContext, problems: ProblemList): void {
  for (const pool of ctx.pools) {
    const i = ctx.plan.vipPools.findIndex((p) => p.name === pool.name);
    checkLabels(pool.serviceSelector, `pools.vips[${i}].serviceSelector`, "service selector label", problems);
  }
}

/** With Cilium's speaker, each `passwordRef` names a Kubernetes Secret: a DNS-1123 subdomain. */
function checkSecretNames(contexts: ClusterContext[], problems: ProblemList): void {
  const byRef = new Map<string, string[]>();
  for (const ctx of contexts) {
    if (ciliumOptions(ctx.k8s).bgpSpeaker !== BgpSpeaker.cilium) continue;
    for (const ref of bgpSecretRefs(ctx)) byRef.set(ref, [...(byRef.get(ref) ?? []), `${ctx.path}.cilium.bgpSpeaker`]);
  }
  for (const [ref, users] of byRef) {
    if (!isDnsSubdomain(ref))
      problems.add(
        "bgp.passwordRef",
        "k8s-name",
        `secret reference ${q(ref)} names the Kubernetes Secret of the BGP password for Cilium's speaker (${users.join(", ")}: cilium), and is not a DNS-1123 subdomain (lower-case alphanumerics, '-' and '.', ≤ 253 characters)`,
      );
  }
}

/** Every object the cluster would get, as the API server would check it: names, namespaces, labels, no duplicates. */
function checkRenderedObjects(ctx: ClusterContext, problems: ProblemList): void {
  let objects: K8sObject[];
  try {
    objects = Object.values(clusterObjects(ctx)).flat();
    clusterChartValues(ctx);
  } catch (e) {
    problems.add(ctx.path, "rendered-object", `the cluster side of cluster ${ctx.cluster.name} cannot be built: ${q((e as Error).message)}`);
    return;
  }
  const seen = new Map<string, K8sObject>();
  const files = new Map<string, K8sObject>();
  const describe = (o: K8sObject) => `${o.kind} ${q(o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name)}`;
  for (const o of objects) {
    const m = o.metadata;
    const id = JSON.stringify([o.apiVersion.split("/")[0], o.kind, m.namespace ?? "", m.name]);
    const prev = seen.get(id);
    if (prev) problems.add(ctx.path, "rendered-object", `two objects of cluster ${ctx.cluster.name} would both be ${describe(o)}; rename one of their sources`);
    else seen.set(id, o);
    const file = objectFileName(o);
    const pf = files.get(file);
    if (pf && !prev) problems.add(ctx.path, "rendered-object", `${describe(o)} and ${describe(pf)} of cluster ${ctx.cluster.name} would render to the same file ${file}`);
    else files.set(file, o);
    if (!isDnsSubdomain(m.name)) problems.add(ctx.path, "rendered-object", `${describe(o)} of cluster ${ctx.cluster.name}: the name is not a DNS-1123 subdomain`);
    if (isClusterScoped(o.kind) ? m.namespace !== undefined : m.namespace === undefined || !isDnsLabel(m.namespace))
      problems.add(ctx.path, "rendered-object", `${describe(o)} of cluster ${ctx.cluster.name}: wrong or missing namespace for a ${isClusterScoped(o.kind) ? "cluster-scoped" : "namespaced"} kind`);
    for (const [k, v] of Object.entries(m.labels ?? {})) {
      const bad = qualifiedNameProblem(k) ?? labelValueProblem(v);
      if (bad) problems.add(ctx.path, "rendered-object", `${describe(o)} of cluster ${ctx.cluster.name}: label ${q(k)}: ${q(v)} ${bad}`);
    }
    for (const k of Object.keys(m.annotations ?? {})) {
      const bad = qualifiedNameProblem(k);
      if (bad) problems.add(ctx.path, "rendered-object", `${describe(o)} of cluster ${ctx.cluster.name}: annotation key ${q(k)} ${bad}`);
    }
  }
}
