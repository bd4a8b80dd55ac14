/**
 * Cluster-side rules on address families (`family-mismatch`, `mesh-families`): a cluster's
 * Cilium runs the families of its PodCIDRs (IPv4, dual-stack, or IPv6 only for a cluster on
 * IPv6-only racks), so an address of another family can never be reached or matched there.
 *
 * - the API server host, when an address, is of a family the cluster's nodes have (an IPv6-only
 *   node cannot reach an IPv4 API server, nor an IPv4-only node an IPv6 one);
 * - external endpoint CIDRs and policy CIDRs are of the cluster's families (an IPv4 CIDR group in
 *   an IPv6-only cluster selects nothing: a policy admitting it admits nobody);
 * - the members of a ClusterMesh have the same families (pods of an IPv6-only cluster cannot
 *   reach IPv4 pods of another, and Cilium's mesh routes each family natively).
 */
import { Family } from "../plan/types";
import { addressProblem, familyOf, prefixProblem } from "../net/prefix";
import { ProblemList } from "../validate/errors";
import { ClusterContext } from "./context";
import { clusterFamilies } from "./families";
import { q } from "./keys";

const NAMES: Record<Family, string> = { ipv4: "IPv4", ipv6: "IPv6" };

/** "IPv4", "IPv6" or "IPv4 and IPv6": the cluster's families in words. */
function familiesText(families: Family[]): string {
  return families.map((f) => NAMES[f]).join(" and ");
}

/** The family of an address or prefix, undefined when it is not a valid one (other rules report that). */
function familyOfValue(value: string): Family | undefined {
  if (typeof value !== "string") return undefined;
  const bad = value.includes("/") ? prefixProblem(value) : addressProblem(value);
  return bad ? undefined : familyOf(value);
}

/** Every address-family rule of one cluster. */
export function checkClusterFamilies(ctx: ClusterContext, problems: ProblemList): void {
  const families = clusterFamilies(ctx.cluster);
  const what = `cluster ${q(ctx.cluster.name)} runs ${familiesText(families)} only`;
  const check = (path: string, value: string, use: string) => {
    const f = familyOfValue(value);
    if (f !== undefined && !families.includes(f)) problems.add(path, "family-mismatch", `${use} ${q(value)} is ${NAMES[f]}, but ${what} (the families of its nodes' PodCIDRs)`);
  };
  const host = ctx.k8s.apiServer?.host;
  if (host !== undefined && !host.includes("%")) check(`${ctx.path}.apiServer.host`, host, "the API server address");
  (ctx.k8s.externalEndpoints ?? []).forEach((ep, i) => ep.cidrs.forEach((c, j) => check(`${ctx.path}.externalEndpoints[${i}].cidrs[${j}]`, c, `external endpoint ${q(ep.name)}'s CIDR`)));
  (ctx.k8s.policies ?? []).forEach((p, i) => {
    for (const d of ["ingress", "ingressDeny", "egress", "egressDeny"] as const)
      (p[d] ?? []).forEach((r, j) => (r.cidrs ?? []).forEach((c, k) => check(`${ctx.path}.policies[${i}].${d}[${j}].cidrs[${k}]`, c, `policy ${q(p.name)}'s CIDR`)));
  });
}

/** Members of one mesh have the same families. */
export function checkMeshFamilies(mesh: string, members: ClusterContext[], problems: ProblemList): void {
  if (members.length < 2) return;
  const first = members[0];
  const want = familiesText(clusterFamilies(first.cluster));
  for (const m of members.slice(1)) {
    const got = familiesText(clusterFamilies(m.cluster));
    if (got !== want)
      problems.add(
        `${m.path}.mesh`,
        "mesh-families",
        `mesh ${q(mesh)}: cluster ${q(m.cluster.name)} runs ${got}, cluster ${q(first.cluster.name)} runs ${want}; every member of a mesh needs the same families (pods reach each other natively, family by family)`,
      );
  }
}
