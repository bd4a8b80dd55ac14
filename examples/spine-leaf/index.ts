/**
 * dcnet example: the spine-leaf data center of ./datacenter.yaml applied to real hosts and switches
 * over SSH (BIRD on nodes, FRR on switches). Run from this folder:
 *
 *   pulumi stack init prod
 *   pulumi config set --secret bgpPassword 'S0me-Long-Secret'
 *   pulumi config set --secret upstreamPassword 'The-Providers-Secret'             # the wan upstream's sessions
 *   pulumi config set --secret sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)"   # or rely on ssh-agent
 *   pulumi config set --path 'hosts.leaf1a.host' 198.18.255.3                     # management address
 *   pulumi config set --path 'hosts.leaf1a.hostKey' "$(ssh-keyscan -t ed25519 198.18.255.3 2>/dev/null | cut -d' ' -f2-)"
 *   ...one host/hostKey per device (see hosts.example.yaml), then
 *   pulumi preview --diff && pulumi up
 *
 * Every device needs a pinned host key; `hosts.<device>.insecureSkipHostKeyCheck: true` opts a
 * single host out. Optional config: sshUser (default root), jumpHost ({host, hostKey, user,
 * port}), birdPaths / frrPaths (non-default daemon paths for every node / switch),
 * maxHostsInFlightPerRack (default 1), rackOrder (sequential | parallel), verifyTimeoutSeconds.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { BirdPathsArgs, DataCenter, FrrPathsArgs, HostArgs, JumpHostArgs, RackOrder } from "../../components";

const config = new pulumi.Config();
const privateKey = config.getSecret("sshPrivateKey");
const jumpHost = config.getObject<JumpHostArgs>("jumpHost");
const birdPaths = config.getObject<BirdPathsArgs>("birdPaths");
const frrPaths = config.getObject<FrrPathsArgs>("frrPaths");

const dc = new DataCenter("dc1", {
  specFile: path.join(__dirname, "datacenter.yaml"),
  passwords: { "bgp-nodes": config.requireSecret("bgpPassword"), "bgp-upstream": config.requireSecret("upstreamPassword") },
  ssh: {
    user: config.get("sshUser") ?? "root",
    ...(privateKey ? { privateKey } : {}),
    ...(jumpHost ? { proxy: jumpHost } : {}),
  },
  hosts: config.requireObject<{ [device: string]: HostArgs }>("hosts"),
  ...(birdPaths ? { birdPaths } : {}),
  ...(frrPaths ? { frrPaths } : {}),
  rollout: {
    rackOrder: config.get("rackOrder") === "parallel" ? RackOrder.parallel : RackOrder.sequential,
    maxHostsInFlightPerRack: config.getNumber("maxHostsInFlightPerRack") ?? 1,
    verifyTimeoutSeconds: config.getNumber("verifyTimeoutSeconds") ?? 120,
  },
});

export const summary = dc.summary;
export const podCIDRs = dc.podCIDRs;
export const nodeAsns = dc.nodeAsns;
export const switchConfigSha256 = dc.switchConfigSha256;
export const resourceCounts = dc.resourceCounts;
export const rolloutOrder = dc.rolloutOrder;
