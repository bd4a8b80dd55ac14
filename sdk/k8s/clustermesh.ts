/**
 * ClusterMesh: each member cluster runs a clustermesh-apiserver, exposed on a VIP of one of its
 * pools (a LoadBalancer Service pinned with `lbipam.cilium.io/ips`) or on a NodePort, and is
 * configured (`clustermesh.config.clusters`) to reach every other member.
 */
import { PlanCluster } from "../plan/types";
import { CLUSTERMESH_NODE_PORT, CLUSTERMESH_PORT } from "./defaults";
import { ClusterContext, clusterContext, nodeAddress } from "./context";
import { LBIPAM_IPS_ANNOTATION } from "./objects";
import { containsAddress } from "../net/prefix";

/** How a member's clustermesh-apiserver is reached. */
export interface MeshEndpoint {
  /** Cluster name. */
  cluster: string;
  /** TCP port (LoadBalancer port or NodePort). */
  port: number;
  /** Addresses to reach it on (the VIP, or node addresses). */
  ips: string[];
  /** LoadBalancer on a VIP (true) or NodePort on node addresses (false). */
  viaVip: boolean;
}

/** Where the clustermesh-apiserver of `ctx`'s cluster listens for the other members. */
export function meshEndpoint(ctx: ClusterContext): MeshEndpoint {
  const mesh = ctx.k8s.mesh;
  if (mesh?.apiServerAddress) return { cluster: ctx.cluster.name, port: CLUSTERMESH_PORT, ips: [mesh.apiServerAddress], viaVip: true };
  const byName = new Map(ctx.nodes.map((d) => [d.name, d]));
  const names = mesh?.apiServerNodes ?? ctx.nodes.slice(0, 3).map((d) => d.name);
  const ips = names.map((n) => byName.get(n)).filter((d) => d !== undefined).map((d) => nodeAddress(d!));
  return { cluster: ctx.cluster.name, port: CLUSTERMESH_NODE_PORT, ips, viaVip: false };
}

/** True when the cluster is in a mesh with at least one other cluster. */
export function isMeshed(ctx: ClusterContext): boolean {
  return ctx.k8s.mesh !== undefined && ctx.meshMembers.length > 1;
}

/** The other members of the mesh (by id). */
export function meshPeers(ctx: ClusterContext): PlanCluster[] {
  return ctx.meshMembers.filter((c) => c.name !== ctx.cluster.name);
}

/** The `clustermesh` Helm values of a cluster (undefined when it is not meshed). */
export function clusterMeshValues(ctx: ClusterContext): Record<string, unknown> | undefined {
  if (!ctx.k8s.mesh) return undefined;
  const own = meshEndpoint(ctx);
  const pool = own.viaVip ? ctx.pools.find((p) => containsAddress(p.cidr, own.ips[0])) : undefined;
  const service: Record<string, unknown> = own.viaVip
    ? {
        type: "LoadBalancer",
        annotations: { [LBIPAM_IPS_ANNOTATION]: own.ips[0] },
        ...(pool?.serviceSelector ? { labels: { ...pool.serviceSelector } } : {}),
      }
    : { type: "NodePort", nodePort: CLUSTERMESH_NODE_PORT };
  const clusters = meshPeers(ctx).map((peer) => {
    const ep = meshEndpoint(clusterContext(ctx.plan, ctx.inputs, peer.name));
    return { name: peer.name, port: ep.port, ips: ep.ips };
  });
  return {
    useAPIServer: true,
    config: { enabled: true, clusters },
    apiserver: {
      service,
      tls: { server: { extraIpAddresses: own.ips } },
    },
  };
}
