/**
 * Network policies: `NetworkPolicySpec` (plain data, from YAML or the builder) rendered into a
 * `CiliumNetworkPolicy` or `CiliumClusterwideNetworkPolicy`.
 *
 * Cilium does not combine different kinds of L3 peers (endpoints, entities, CIDR sets) in one
 * rule, so one spec rule becomes one Cilium rule per kind of peer, each with the same ports.
 * Pod peers always name their clusters (`io.cilium.k8s.policy.cluster`): the local cluster by
 * default, every mesh member with `anyMeshCluster` — so a policy means the same under Cilium
 * 1.18 and under 1.19's `policyDefaultLocalCluster`.
 */
import { NetworkPolicySpec, PolicyPodPeerSpec, PolicyProtocol, PolicyRuleSpec } from "../spec/cluster-types";
import { familyOf } from "../net/prefix";
import { ClusterContext } from "./context";
import { dcnetLabels, K8sObject, POD_NAMESPACE_LABEL, POLICY_CLUSTER_LABEL } from "./objects";

type Direction = "ingress" | "ingressDeny" | "egress" | "egressDeny";
const DIRECTIONS: Direction[] = ["ingress", "ingressDeny", "egress", "egressDeny"];

/** Clusters a pod peer may be in. */
export function peerClusters(ctx: ClusterContext, peer: PolicyPodPeerSpec): string[] {
  const set = new Set<string>(peer.clusters ?? []);
  if (peer.anyMeshCluster) for (const c of ctx.meshMembers) set.add(c.name);
  if (set.size === 0) set.add(ctx.cluster.name);
  return [...set].sort();
}

function endpointSelector(ctx: ClusterContext, peer: PolicyPodPeerSpec): Record<string, unknown> {
  const clusters = peerClusters(ctx, peer);
  const matchLabels: { [k: string]: string } = { ...peer.labels };
  if (peer.namespace) matchLabels[POD_NAMESPACE_LABEL] = peer.namespace;
  if (clusters.length === 1) matchLabels[POLICY_CLUSTER_LABEL] = clusters[0];
  return {
    matchLabels,
    ...(clusters.length > 1 ? { matchExpressions: [{ key: POLICY_CLUSTER_LABEL, operator: "In", values: clusters }] } : {}),
  };
}

function cidrOf(text: string): string {
  if (text.includes("/")) return text;
  return `${text}/${familyOf(text) === "ipv6" ? 128 : 32}`;
}

function ciliumRules(ctx: ClusterContext, rule: PolicyRuleSpec, direction: Direction): Record<string, unknown>[] {
  const deny = direction.endsWith("Deny");
  const from = direction.startsWith("ingress") ? "from" : "to";
  const toPorts = rule.ports?.length
    ? [
        {
          ports: rule.ports.map((p) => ({
            port: String(p.port),
            ...(p.endPort !== undefined ? { endPort: p.endPort } : {}),
            protocol: p.protocol ?? PolicyProtocol.TCP,
          })),
          ...(!deny && rule.http?.length
            ? {
                rules: {
                  http: rule.http.map((h) => ({
                    ...(h.method ? { method: h.method } : {}),
                    ...(h.path ? { path: h.path } : {}),
                    ...(h.host ? { host: h.host } : {}),
                    ...(h.headers?.length ? { headers: [...h.headers] } : {}),
                  })),
                },
              }
            : {}),
        },
      ]
    : undefined;
  const l3: Record<string, unknown>[] = [];
  if (rule.pods?.length) l3.push({ [`${from}Endpoints`]: rule.pods.map((p) => endpointSelector(ctx, p)) });
  if (rule.entities?.length) l3.push({ [`${from}Entities`]: [...rule.entities] });
  const cidrSet = [
    ...(rule.cidrs ?? []).map((c) => ({ cidr: cidrOf(c) })),
    ...(rule.cidrGroups ?? []).map((g) => ({ cidrGroupRef: g })),
    ...(rule.cidrGroupLabels ? [{ cidrGroupSelector: { matchLabels: { ...rule.cidrGroupLabels } } }] : []),
  ];
  if (cidrSet.length) l3.push({ [`${from}CIDRSet`]: cidrSet });
  if (l3.length === 0) l3.push({ [`${from}Entities`]: ["all"] });
  return l3.map((r) => (toPorts ? { ...r, toPorts } : r));
}

/** The Cilium policy object of a spec. */
export function renderPolicy(ctx: ClusterContext, spec: NetworkPolicySpec): K8sObject {
  const body: Record<string, unknown> = {
    ...(spec.description ? { description: spec.description } : {}),
    endpointSelector: { matchLabels: { ...spec.selector } },
  };
  for (const d of DIRECTIONS) {
    const rules = spec[d];
    if (rules?.length) body[d] = rules.flatMap((r) => ciliumRules(ctx, r, d));
  }
  return {
    apiVersion: "cilium.io/v2",
    kind: spec.clusterwide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy",
    metadata: {
      name: spec.name,
      ...(spec.clusterwide ? {} : { namespace: spec.namespace ?? "default" }),
      labels: dcnetLabels(ctx.cluster.name),
    },
    spec: body,
  };
}

/** Every policy of a cluster. */
export function policyObjects(ctx: ClusterContext): K8sObject[] {
  return (ctx.k8s.policies ?? []).map((p) => renderPolicy(ctx, p));
}
