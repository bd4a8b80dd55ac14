/**
 * A readable, typed builder for network policies (in the spirit of cdk8s-plus): it produces a
 * plain `NetworkPolicySpec`, the same data a YAML spec holds, so it can be passed to the
 * `NetworkPolicy` component or written under `clusters[].k8s.policies`.
 *
 *   new PolicyBuilder("protected-db", { namespace: "default" })
 *     .selectPods({ app: "protected-db" })
 *     .allowIngress({ from: [Peer.pods({ app: "employee" }).inAnyMeshCluster()], ports: [Port.tcp(6379)] })
 *     .build();
 */
import {
  NetworkPolicySpec,
  PolicyEntity,
  PolicyHttpRuleSpec,
  PolicyPodPeerSpec,
  PolicyPortSpec,
  PolicyProtocol,
  PolicyRuleSpec,
} from "../spec/cluster-types";

/** One peer of a rule: pods, an entity, a CIDR or CIDR groups. */
export class Peer {
  private constructor(private readonly part: PolicyRuleSpec) {}

  /** Pods with these labels (in the policy's namespace and the local cluster unless narrowed). */
  static pods(labels: { [key: string]: string } = {}): PodPeer {
    return new PodPeer({ labels: { ...labels } });
  }
  /** A Cilium entity. */
  static entity(entity: PolicyEntity): Peer {
    return new Peer({ entities: [entity] });
  }
  /** Anything outside the clusters. */
  static world(): Peer {
    return Peer.entity(PolicyEntity.world);
  }
  /** The nodes' host network namespaces. */
  static host(): Peer {
    return Peer.entity(PolicyEntity.host);
  }
  /** The Kubernetes API server. */
  static kubeApiserver(): Peer {
    return Peer.entity(PolicyEntity.kubeApiserver);
  }
  /** A literal CIDR or address. */
  static cidr(cidr: string): Peer {
    return new Peer({ cidrs: [cidr] });
  }
  /** An external endpoint of the inventory, by name (a `CiliumCIDRGroup`). */
  static externalEndpoint(name: string): Peer {
    return new Peer({ cidrGroups: [name] });
  }
  /** Every external endpoint carrying these labels. */
  static externalEndpoints(labels: { [key: string]: string }): Peer {
    return new Peer({ cidrGroupLabels: { ...labels } });
  }

  /** @internal the rule fragment of this peer. */
  toRulePart(): PolicyRuleSpec {
    return this.part;
  }
}

/** Pods as a peer, narrowed by namespace and clusters. */
export class PodPeer {
  constructor(private readonly peer: PolicyPodPeerSpec) {}
  /** Pods of this namespace. */
  inNamespace(namespace: string): PodPeer {
    return new PodPeer({ ...this.peer, namespace });
  }
  /** Pods of these clusters (names as in the spec). */
  inClusters(...clusters: string[]): PodPeer {
    return new PodPeer({ ...this.peer, clusters: [...(this.peer.clusters ?? []), ...clusters] });
  }
  /** Pods of any cluster of the local cluster's mesh. */
  inAnyMeshCluster(): PodPeer {
    return new PodPeer({ ...this.peer, anyMeshCluster: true });
  }
  /** @internal the rule fragment of this peer. */
  toRulePart(): PolicyRuleSpec {
    return { pods: [this.peer] };
  }
}

/** L4 ports. */
export const Port = {
  tcp: (port: number, endPort?: number): PolicyPortSpec => ({ port, ...(endPort !== undefined ? { endPort } : {}), protocol: PolicyProtocol.TCP }),
  udp: (port: number, endPort?: number): PolicyPortSpec => ({ port, ...(endPort !== undefined ? { endPort } : {}), protocol: PolicyProtocol.UDP }),
  sctp: (port: number): PolicyPortSpec => ({ port, protocol: PolicyProtocol.SCTP }),
  any: (port: number): PolicyPortSpec => ({ port, protocol: PolicyProtocol.ANY }),
};

/** L7 HTTP rules. */
export const Http = {
  get: (path?: string): PolicyHttpRuleSpec => ({ method: "GET", ...(path ? { path } : {}) }),
  post: (path?: string): PolicyHttpRuleSpec => ({ method: "POST", ...(path ? { path } : {}) }),
  rule: (rule: PolicyHttpRuleSpec): PolicyHttpRuleSpec => ({ ...rule }),
};

/** Peers, ports and L7 rules of one builder rule. */
export interface RuleOptions {
  ports?: PolicyPortSpec[];
  http?: PolicyHttpRuleSpec[];
}

function mergePeers(peers: (Peer | PodPeer)[], opts: RuleOptions): PolicyRuleSpec {
  const rule: PolicyRuleSpec = {};
  for (const p of peers) {
    const part = p.toRulePart();
    if (part.pods) rule.pods = [...(rule.pods ?? []), ...part.pods];
    if (part.entities) rule.entities = [...(rule.entities ?? []), ...part.entities];
    if (part.cidrs) rule.cidrs = [...(rule.cidrs ?? []), ...part.cidrs];
    if (part.cidrGroups) rule.cidrGroups = [...(rule.cidrGroups ?? []), ...part.cidrGroups];
    if (part.cidrGroupLabels) rule.cidrGroupLabels = { ...(rule.cidrGroupLabels ?? {}), ...part.cidrGroupLabels };
  }
  if (opts.ports?.length) rule.ports = [...opts.ports];
  if (opts.http?.length) rule.http = [...opts.http];
  return rule;
}

/** Builds a `NetworkPolicySpec`. */
export class PolicyBuilder {
  private readonly spec: NetworkPolicySpec;

  constructor(name: string, opts: { namespace?: string; clusterwide?: boolean; description?: string } = {}) {
    this.spec = {
      name,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.clusterwide ? { clusterwide: true } : {}),
      ...(opts.description ? { description: opts.description } : {}),
      selector: {},
    };
  }
  /** The pods the policy applies to. */
  selectPods(labels: { [key: string]: string }): this {
    this.spec.selector = { ...labels };
    return this;
  }
  /** Allow inbound traffic from these peers (any peer when none) on these ports. */
  allowIngress(rule: RuleOptions & { from?: (Peer | PodPeer)[] }): this {
    this.spec.ingress = [...(this.spec.ingress ?? []), mergePeers(rule.from ?? [], rule)];
    return this;
  }
  /** Deny inbound traffic from these peers (deny wins over allow). */
  denyIngress(rule: { from?: (Peer | PodPeer)[]; ports?: PolicyPortSpec[] }): this {
    this.spec.ingressDeny = [...(this.spec.ingressDeny ?? []), mergePeers(rule.from ?? [], rule)];
    return this;
  }
  /** Allow outbound traffic to these peers on these ports. */
  allowEgress(rule: RuleOptions & { to?: (Peer | PodPeer)[] }): this {
    this.spec.egress = [...(this.spec.egress ?? []), mergePeers(rule.to ?? [], rule)];
    return this;
  }
  /** Deny outbound traffic to these peers. */
  denyEgress(rule: { to?: (Peer | PodPeer)[]; ports?: PolicyPortSpec[] }): this {
    this.spec.egressDeny = [...(this.spec.egressDeny ?? []), mergePeers(rule.to ?? [], rule)];
    return this;
  }
  /** The finished spec (a copy). */
  build(): NetworkPolicySpec {
    return structuredClone(this.spec);
  }
}
