/**
 * Cluster-side validation: every rule runs, every problem is reported at once with its spec
 * path (`clusters[i].k8s....`), rule id and offending values — the same `SpecProblem`s the
 * core validation reports.
 */
import { Plan, PlanVipPool } from "../plan/types";
import { addressProblem, containsAddress, prefixesOverlap, prefixProblem } from "../net/prefix";
import { BgpSpeaker, PolicyEntity, PolicyProtocol, PolicyRuleSpec } from "../spec/cluster-types";
import { ProblemList, SpecError, SpecProblem } from "../validate/errors";
import { ClusterContext, ClusterInputs, clusterContext } from "./context";
import { CILIUM_MIN_VERSION, ciliumOptions, MAGLEV_TABLE_SIZES } from "./defaults";
import { MANAGED_CILIUM_VALUES, REMOVED_CILIUM_VALUES } from "./cilium-values";
import { pathsIntersect } from "./set-values";
import { isDnsLabel, isDnsSubdomain } from "./objects";
import { unannounceablePools } from "./bgp";

const ENTITIES = new Set<string>(Object.values(PolicyEntity));
const PROTOCOLS = new Set<string>(Object.values(PolicyProtocol));

/** Validate the cluster-side inputs against the plan. */
export function validateClusterSide(plan: Plan, inputs: ClusterInputs): SpecProblem[] {
  const problems = new ProblemList();
  const known = new Set(plan.clusters.map((c) => c.name));
  for (const name of Object.keys(inputs).sort()) {
    if (!known.has(name)) problems.add(`clusters[${name}]`, "unknown-reference", `cluster-side inputs name cluster ${name}, which is not in the spec (clusters: ${[...known].join(", ") || "none"})`);
  }
  const contexts = plan.clusters.filter((c) => inputs[c.name]).map((c) => clusterContext(plan, inputs, c.name));
  for (const ctx of contexts) {
    checkCilium(ctx, problems);
    checkIngress(ctx, problems);
    checkMesh(ctx, problems);
    checkExternalEndpoints(ctx, problems);
    checkPolicies(ctx, problems);
    checkPinnedAddresses(ctx, problems);
  }
  checkMeshes(contexts, problems);
  return problems.items;
}

/** Throw a `SpecError` listing every cluster-side problem, if any. */
export function assertClusterSide(plan: Plan, inputs: ClusterInputs): void {
  const problems = validateClusterSide(plan, inputs);
  if (problems.length) throw new SpecError(problems);
}

function poolList(pools: PlanVipPool[]): string {
  return pools.length ? pools.map((p) => `${p.name} ${p.cidr}`).join(", ") : "none";
}

/** Problem text when `address` is not a usable pinned VIP of the cluster, else undefined. */
function vipProblem(ctx: ClusterContext, address: string): { rule: string; message: string } | undefined {
  const bad = addressProblem(address);
  if (bad) return { rule: "address-invalid", message: `${address} ${bad}` };
  if (ctx.pools.some((p) => containsAddress(p.cidr, address))) return undefined;
  const other = ctx.plan.vipPools.find((p) => containsAddress(p.cidr, address));
  if (other)
    return {
      rule: "vip-outside-pool",
      message: `${address} lies in VIP pool ${other.name} ${other.cidr}, which cluster ${ctx.cluster.name}'s LB-IPAM does not own (its pools: ${poolList(ctx.pools)})`,
    };
  return { rule: "vip-outside-pool", message: `${address} is not in any VIP pool of cluster ${ctx.cluster.name} (its pools: ${poolList(ctx.pools)})` };
}

function parseVersion(v: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(\.\d+)?([-+].*)?$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function checkCilium(ctx: ClusterContext, problems: ProblemList): void {
  const path = `${ctx.path}.cilium`;
  const c = ctx.k8s.cilium ?? {};
  const o = ciliumOptions(ctx.k8s);
  if (c.chartVersion !== undefined) {
    const v = parseVersion(c.chartVersion);
    const [maj, min] = CILIUM_MIN_VERSION;
    if (!v) problems.add(`${path}.chartVersion`, "cilium-version", `chart version ${c.chartVersion} is not a version (x.y.z)`);
    else if (v[0] < maj || (v[0] === maj && v[1] < min))
      problems.add(`${path}.chartVersion`, "cilium-version", `Cilium ${c.chartVersion} is too old: dcnet needs ≥ ${maj}.${min} (BGP v2, LB-IPAM and CiliumCIDRGroup at cilium.io/v2)`);
  }
  if (c.externalWorkloads !== undefined)
    problems.add(`${path}.externalWorkloads`, "cilium-removed", "External Workloads were removed in Cilium 1.18; declare the VMs and hosts under externalEndpoints (labelled CiliumCIDRGroups)");
  if (c.bgpPeeringPolicy !== undefined)
    problems.add(`${path}.bgpPeeringPolicy`, "cilium-removed", "CiliumBGPPeeringPolicy (BGP v1) is deprecated in Cilium 1.18 and removed in 1.19; use bgpSpeaker: cilium, which generates the BGP v2 resources");
  for (const key of Object.keys(c.values ?? {}).sort()) {
    const removed = REMOVED_CILIUM_VALUES.find((r) => pathsIntersect(key, r.path));
    if (removed) problems.add(`${path}.values.${key}`, "cilium-removed", `Helm value ${key} was removed in Cilium ${removed.removedIn}; ${removed.instead}`);
    const managed = MANAGED_CILIUM_VALUES.filter((m) => pathsIntersect(key, m));
    if (managed.length) problems.add(`${path}.values.${key}`, "cilium-managed-value", `Helm value ${key} is derived from the plan by dcnet (${managed.join(", ")}); set it through the spec instead`);
  }
  if (c.loadBalancer?.maglevTableSize !== undefined && !MAGLEV_TABLE_SIZES.includes(c.loadBalancer.maglevTableSize))
    problems.add(`${path}.loadBalancer.maglevTableSize`, "maglev-table-size", `maglev table size ${c.loadBalancer.maglevTableSize} is not one of Cilium's primes ${MAGLEV_TABLE_SIZES.join(", ")}`);
  if (o.kubeProxyReplacement && !ctx.k8s.apiServer)
    problems.add(`${ctx.path}.apiServer`, "required", `kube-proxy replacement needs the API server address (k8sServiceHost/k8sServicePort) of cluster ${ctx.cluster.name}`);
  const port = ctx.k8s.apiServer?.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) problems.add(`${ctx.path}.apiServer.port`, "port-range", `port ${port} must be 1–65535`);
  if (ctx.k8s.apiServer && !ctx.k8s.apiServer.host) problems.add(`${ctx.path}.apiServer.host`, "required", "the API server host is empty");
  if (o.bgpSpeaker === BgpSpeaker.cilium) {
    for (const u of unannounceablePools(ctx))
      problems.add(`${path}.bgpSpeaker`, "bgp-speaker-pool", `node ${u.node} announces VIP pool ${u.pool}, which cluster ${ctx.cluster.name}'s LB-IPAM does not own; Cilium's speaker only announces LoadBalancer IPs of its Services (keep BIRD, or give the pool cluster: ${ctx.cluster.name})`);
  }
}

function checkIngress(ctx: ClusterContext, problems: ProblemList): void {
  const ing = ctx.k8s.ingress;
  if (!ing) return;
  const path = `${ctx.path}.ingress`;
  const vip = vipProblem(ctx, ing.address);
  if (vip) problems.add(`${path}.address`, vip.rule, `ingress VIP ${vip.message}`);
  if (ing.namespace !== undefined && !isDnsLabel(ing.namespace)) problems.add(`${path}.namespace`, "name-invalid", `namespace ${ing.namespace} is not a DNS label`);
  if (ing.replicas !== undefined && (!Number.isInteger(ing.replicas) || ing.replicas < 1)) problems.add(`${path}.replicas`, "replicas", `replicas ${ing.replicas} must be an integer ≥ 1`);
  if (ing.hosts.length === 0) problems.add(`${path}.hosts`, "required", "an ingress needs at least one host");
  const seen = new Map<string, number>();
  ing.hosts.forEach((h, i) => {
    const hp = `${path}.hosts[${i}]`;
    if (!/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(h.host)) problems.add(`${hp}.host`, "host-invalid", `${h.host} is not a DNS name`);
    if (seen.has(h.host)) problems.add(`${hp}.host`, "duplicate", `host ${h.host} is already served by ${path}.hosts[${seen.get(h.host)}]`);
    else seen.set(h.host, i);
    if (h.tlsSecret !== undefined && !isDnsSubdomain(h.tlsSecret)) problems.add(`${hp}.tlsSecret`, "name-invalid", `secret name ${h.tlsSecret} is not a DNS subdomain`);
    if (h.routes.length === 0) problems.add(`${hp}.routes`, "required", `host ${h.host} needs at least one route`);
    h.routes.forEach((r, j) => {
      const rp = `${hp}.routes[${j}]`;
      if (!r.pathPrefix.startsWith("/")) problems.add(`${rp}.pathPrefix`, "path-invalid", `path prefix ${r.pathPrefix} must start with /`);
      if (!isDnsLabel(r.service)) problems.add(`${rp}.service`, "name-invalid", `service ${r.service} is not a DNS label`);
      if (r.namespace !== undefined && !isDnsLabel(r.namespace)) problems.add(`${rp}.namespace`, "name-invalid", `namespace ${r.namespace} is not a DNS label`);
      if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) problems.add(`${rp}.port`, "port-range", `port ${r.port} must be 1–65535`);
    });
  });
}

function checkMesh(ctx: ClusterContext, problems: ProblemList): void {
  const mesh = ctx.k8s.mesh;
  if (!mesh) return;
  const path = `${ctx.path}.mesh`;
  if (!isDnsLabel(mesh.name)) problems.add(`${path}.name`, "name-invalid", `mesh name ${mesh.name} is not a DNS label`);
  if (mesh.apiServerAddress !== undefined) {
    const vip = vipProblem(ctx, mesh.apiServerAddress);
    if (vip) problems.add(`${path}.apiServerAddress`, vip.rule, `clustermesh-apiserver VIP ${vip.message}`);
  }
  const members = new Set(ctx.cluster.nodes);
  (mesh.apiServerNodes ?? []).forEach((n, i) => {
    if (!members.has(n)) problems.add(`${path}.apiServerNodes[${i}]`, "unknown-reference", `node ${n} is not a member of cluster ${ctx.cluster.name}`);
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
              problems.add(`${b.path}.mesh`, "mesh-podcidr-overlap", `mesh ${mesh}: PodCIDR ${pb.prefix} of cluster ${b.cluster.name} overlaps PodCIDR ${pa.prefix} of cluster ${a.cluster.name}`);
      }
    }
    // same datapath everywhere
    const kpr = members.map((m) => ciliumOptions(m.k8s).kubeProxyReplacement);
    members.forEach((m, i) => {
      if (kpr[i] !== kpr[0])
        problems.add(`${m.path}.cilium.kubeProxyReplacement`, "mesh-datapath", `mesh ${mesh}: cluster ${m.cluster.name} has kubeProxyReplacement ${kpr[i]}, cluster ${members[0].cluster.name} has ${kpr[0]}; every member needs the same datapath`);
    });
    if (members.length > 255) problems.add(`${members[0].path}.mesh`, "mesh-size", `mesh ${mesh} has ${members.length} clusters; Cilium meshes at most 255`);
  }
}

function checkExternalEndpoints(ctx: ClusterContext, problems: ProblemList): void {
  const list = ctx.k8s.externalEndpoints ?? [];
  const path = `${ctx.path}.externalEndpoints`;
  const seen = new Map<string, number>();
  list.forEach((ep, i) => {
    const ep_ = `${path}[${i}]`;
    if (!isDnsSubdomain(ep.name)) problems.add(`${ep_}.name`, "name-invalid", `external endpoint name ${ep.name} is not a DNS subdomain`);
    if (seen.has(ep.name)) problems.add(`${ep_}.name`, "duplicate", `external endpoint ${ep.name} is already declared at ${path}[${seen.get(ep.name)}]`);
    else seen.set(ep.name, i);
    if (ep.cidrs.length === 0) problems.add(`${ep_}.cidrs`, "required", `external endpoint ${ep.name} has no address`);
    ep.cidrs.forEach((c, j) => {
      const cp = `${ep_}.cidrs[${j}]`;
      const bad = c.includes("/") ? prefixProblem(c) : addressProblem(c);
      if (bad) return problems.add(cp, "prefix-invalid", `${c} ${bad}`);
      const prefix = c.includes("/") ? c : `${c}/${c.includes(":") ? 128 : 32}`;
      if (prefixesOverlap(prefix, ctx.plan.pools.podCidr.prefix)) {
        const node = ctx.plan.nodes.find((n) => prefixesOverlap(prefix, n.podCIDR.prefix));
        problems.add(
          cp,
          "external-overlap",
          `external endpoint ${ep.name} ${c} overlaps the PodCIDR pool ${ctx.plan.pools.podCidr.prefix}${node ? ` (PodCIDR ${node.podCIDR.prefix} of node ${node.name})` : ""}: pods there already have a Cilium identity`,
        );
      }
      for (const pool of ctx.plan.vipPools)
        if (prefixesOverlap(prefix, pool.cidr)) problems.add(cp, "external-overlap", `external endpoint ${ep.name} ${c} overlaps VIP pool ${pool.name} ${pool.cidr}`);
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
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) problems.add(`${pp}.port`, "policy-port", `port ${p.port} must be an integer 1–65535`);
    if (p.endPort !== undefined && (!Number.isInteger(p.endPort) || p.endPort < p.port || p.endPort > 65535))
      problems.add(`${pp}.endPort`, "policy-port", `end port ${p.endPort} must be an integer from port ${p.port} to 65535`);
    if (p.protocol !== undefined && !PROTOCOLS.has(p.protocol)) problems.add(`${pp}.protocol`, "policy-protocol", `protocol ${p.protocol} is not one of ${[...PROTOCOLS].join(", ")}`);
  });
  if (rule.http?.length) {
    if (deny) problems.add(`${path}.http`, "policy-l7-deny", "L7 HTTP rules are not allowed in deny rules (Cilium denies at L3/L4 only)");
    else if (!rule.ports?.length) problems.add(`${path}.http`, "policy-l7-port", "L7 HTTP rules need the TCP ports they apply to");
    else
      rule.ports.forEach((p, i) => {
        if ((p.protocol ?? PolicyProtocol.TCP) !== PolicyProtocol.TCP)
          problems.add(`${path}.ports[${i}].protocol`, "policy-l7-protocol", `L7 HTTP rules need TCP ports; port ${p.port} is ${p.protocol}`);
      });
  }
  (rule.entities ?? []).forEach((e, i) => {
    if (!ENTITIES.has(e)) problems.add(`${path}.entities[${i}]`, "policy-entity", `entity ${e} is not one of ${[...ENTITIES].join(", ")}`);
  });
  (rule.cidrs ?? []).forEach((c, i) => {
    const bad = c.includes("/") ? prefixProblem(c) : addressProblem(c);
    if (bad) problems.add(`${path}.cidrs[${i}]`, "prefix-invalid", `${c} ${bad}`);
  });
  (rule.cidrGroups ?? []).forEach((g, i) => {
    if (!groups.has(g)) problems.add(`${path}.cidrGroups[${i}]`, "unknown-reference", `unknown external endpoint ${g} (inventory of cluster ${ctx.cluster.name}: ${[...groups].join(", ") || "empty"})`);
  });
  (rule.pods ?? []).forEach((peer, i) => {
    if (peer.namespace !== undefined && !isDnsLabel(peer.namespace)) problems.add(`${path}.pods[${i}].namespace`, "name-invalid", `namespace ${peer.namespace} is not a DNS label`);
    (peer.clusters ?? []).forEach((c, j) => {
      const cp = `${path}.pods[${i}].clusters[${j}]`;
      if (!known.has(c)) problems.add(cp, "unknown-reference", `unknown cluster ${c}`);
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
    if (!isDnsSubdomain(p.name)) problems.add(`${pp}.name`, "name-invalid", `policy name ${p.name} is not a DNS subdomain`);
    if (p.namespace !== undefined && !isDnsLabel(p.namespace)) problems.add(`${pp}.namespace`, "name-invalid", `namespace ${p.namespace} is not a DNS label`);
    const key = `${p.clusterwide ? "ccnp" : `cnp/${p.namespace ?? "default"}`}/${p.name}`;
    if (seen.has(key)) problems.add(`${pp}.name`, "duplicate", `policy ${p.name} is already declared at ${path}[${seen.get(key)}]`);
    else seen.set(key, i);
    for (const d of ["ingress", "ingressDeny", "egress", "egressDeny"] as const) {
      (p[d] ?? []).forEach((r, j) => checkRule(ctx, r, `${pp}.${d}[${j}]`, d.endsWith("Deny"), problems));
    }
    if (!p.ingress?.length && !p.ingressDeny?.length && !p.egress?.length && !p.egressDeny?.length)
      problems.add(pp, "policy-empty", `policy ${p.name} has no rule`);
  });
}

/** Pinned Service addresses must be distinct (ingress gateway, clustermesh-apiserver). */
function checkPinnedAddresses(ctx: ClusterContext, problems: ProblemList): void {
  const ing = ctx.k8s.ingress?.address;
  const mesh = ctx.k8s.mesh?.apiServerAddress;
  if (ing && mesh && ing === mesh)
    problems.add(`${ctx.path}.mesh.apiServerAddress`, "vip-conflict", `${mesh} is already the ingress VIP (${ctx.path}.ingress.address); two Services cannot share a pinned VIP`);
}
