/**
 * dcnet's Pulumi components (type tokens `dcnet:index:<Name>`). This file is the package entry for
 * TypeScript users (the root package.json `main`) and for `pulumi package add ./components`
 * (components/PulumiPlugin.yaml + components/package.json): every exported ComponentResource
 * becomes part of the generated schema.
 */
export { DataCenter, DataCenterArgs } from "./datacenter";
export type { PublishedAllocations, PublishedAsn, PublishedCluster, PublishedPool } from "./allocations";
export { NodeHost, NodeHostArgs } from "./node-host";
export { SwitchHost, SwitchHostArgs } from "./switch-host";
export {
  BirdPathsArgs,
  DataCenterSpecArgs,
  DeliveryMode,
  FrrPathsArgs,
  HostArgs,
  JumpHostArgs,
  RackOrder,
  RolloutArgs,
  RolloutStrategy,
  ScriptDelivery,
  ScriptsArgs,
  SshSettingsArgs,
  SwitchSpecArgs,
} from "./types";
export { CiliumAgent, CiliumAgentArgs, CiliumHostAgents, CiliumHostAgentsArgs, CiliumHostPathsArgs, ClusterMesh, ClusterMeshArgs, ExternalEndpoints, ExternalEndpointsArgs, IstioIngress, IstioIngressArgs, NetworkPolicy, NetworkPolicyArgs, VipPool, VipPoolArgs } from "./cluster";
