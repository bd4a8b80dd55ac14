/**
 * The classic ClusterMesh policy: only pods labelled `app=employee`, from any cluster of the mesh,
 * may reach pods labelled `app=protected-db` on TCP 6379. Applied to cluster prod-a of the
 * spine-leaf example (meshed with prod-b).
 *
 *   pulumi up                      # against the current kubeconfig context
 *   pulumi config set render true  # or: render the manifests to ./rendered, no cluster needed
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { NetworkPolicy, Peer, PolicyBuilder, Port, renderProvider } from "../../components/cluster";

const config = new pulumi.Config();
const specFile = path.join(__dirname, "..", "spine-leaf", "datacenter.yaml");

const policy = new PolicyBuilder("protected-db", { namespace: "default", description: "only employees reach the protected database" })
  .selectPods({ app: "protected-db" })
  .allowIngress({ from: [Peer.pods({ app: "employee" }).inAnyMeshCluster()], ports: [Port.tcp(6379)] })
  .build();

const provider = config.getBoolean("render") ? renderProvider("render", path.join(__dirname, "rendered")) : undefined;

const protectedDb = new NetworkPolicy("protected-db", { specFile, cluster: "prod-a", policy }, provider ? { providers: { kubernetes: provider } } : undefined);

export const policies = protectedDb.policies;
