/** Cluster-side Pulumi components (type tokens `dcnet:index:<Name>`). */
export { CiliumAgent, CiliumAgentArgs } from "./cilium-agent";
export { CiliumHostAgents, CiliumHostAgentsArgs, CiliumHostPathsArgs } from "./cilium-host-agents";
export { VipPool, VipPoolArgs } from "./vip-pool";
export { IstioIngress, IstioIngressArgs, IstioChartPaths } from "./istio-ingress";
export { NetworkPolicy, NetworkPolicyArgs } from "./network-policy";
export { ClusterMesh, ClusterMeshArgs } from "./cluster-mesh";
export { ExternalEndpoints, ExternalEndpointsArgs } from "./external-endpoints";
export { renderProvider, renderClusterSide, RenderClusterSideArgs } from "./render-provider";
export { PolicyBuilder, Peer, PodPeer, Port, Http } from "../../sdk/k8s/policy-builder";
