/**
 * dcnet example: several data centers, one Pulumi stack each. The stack's name is the data center
 * (`fra1`, `ams1`: its spec is `<stack>/datacenter.yaml`); each stack exports its allocations and takes
 * the other stacks' through `StackReference`, so an overlapping pool or rack network, a shared ASN or
 * a meshed cluster id used twice is refused at preview, before any device is touched. Run from
 * this folder:
 *
 *   pulumi stack init acme/fra1 && pulumi config set --secret bgpPassword '...' \
 *     && pulumi config set --path 'hosts.core1.host' 198.18.255.1 ...     # one host/hostKey per device
 *   pulumi stack init acme/ams1 && ... (the same for ams1)
 *   pulumi config set --stack acme/fra1 --path 'peers[0]' acme/dcnet-fleet/ams1   # the other stacks
 *   pulumi config set --stack acme/ams1 --path 'peers[0]' acme/dcnet-fleet/fra1
 *   pulumi up --stack acme/fra1   # the first stack: its peer has no output yet, nothing to compare
 *   pulumi up --stack acme/ams1   # checked against fra1's published allocations
 *
 * A peer stack that has not run `up` yet publishes nothing and is skipped with a warning (the
 * second `up` of the first stack checks it). `dcnet validate --fleet fleet.yaml` runs the same
 * checks on the spec files without Pulumi.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { DataCenter, HostArgs, PublishedAllocations } from "../../components";

const config = new pulumi.Config();
const dataCenter = pulumi.getStack().split("/").pop()!;
const privateKey = config.getSecret("sshPrivateKey");

// the other data centers' published allocations (their stacks' `allocations` output)
const peers = (config.getObject<string[]>("peers") ?? []).map((stack) =>
  new pulumi.StackReference(stack).getOutput("allocations").apply((a) => {
    if (a === undefined) pulumi.log.warn(`peer stack ${stack} publishes no allocations yet (run its first pulumi up); not compared`);
    return a as PublishedAllocations | undefined;
  }),
);

const dc = new DataCenter(dataCenter, {
  specFile: path.join(__dirname, dataCenter, "datacenter.yaml"),
  passwords: { [`bgp-${dataCenter}`]: config.requireSecret("bgpPassword") },
  ssh: { user: config.get("sshUser") ?? "root", ...(privateKey ? { privateKey } : {}) },
  hosts: config.requireObject<{ [device: string]: HostArgs }>("hosts"),
  peers: peers.map((p) => p.apply((a) => a ?? emptyAllocations())),
});

/** A peer without output yet: nothing to collide with. */
function emptyAllocations(): PublishedAllocations {
  return { version: 1, dataCenter: `(unpublished peer of ${dataCenter})`, pools: [], asns: [], clusters: [] };
}

export const allocations = dc.allocations;
export const summary = dc.summary;
