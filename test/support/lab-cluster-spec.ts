/** The small spec of the cluster-side lab tests (test/lab-cluster*.test.ts). */
import { DataCenterSpec } from "../../sdk/spec/types";

/** One spine, two racks (leaf pair, two nodes: l4lb + worker), one cluster with the given speaker. */
export function clusterLabSpec(speaker: "bird" | "cilium", name = `lc-${speaker}`): DataCenterSpec {
  return {
    name,
    topology: "spineLeaf",
    asn: { spine: 65000, leaves: { from: 65101, to: 65199 }, nodes: { from: 65201, to: 65299 }, nodeScheme: "perRack" },
    pools: {
      podCidr: { cidr: "198.19.0.0/16", prefixLength: 24, perRack: 16 },
      loopbacks: "198.18.0.0/24",
      fabricLinks: "198.18.1.0/24",
      vips: [{ name: "public", cidr: "198.18.200.0/29", cluster: "lab" }],
    },
    bgp: { passwordRef: "bgp-nodes" },
    switches: [
      { name: "spine1", role: "spine", id: 1, maxPaths: 16 },
      { name: "leaf1a", role: "leaf", id: 3, rack: "r1", maxPaths: 16 },
      { name: "leaf1b", role: "leaf", id: 4, rack: "r1", maxPaths: 16 },
      { name: "leaf2a", role: "leaf", id: 5, rack: "r2", maxPaths: 16 },
      { name: "leaf2b", role: "leaf", id: 6, rack: "r2", maxPaths: 16 },
    ],
    racks: [
      {
        name: "r1",
        id: 1,
        nodeNetwork: "198.18.10.0/24",
        nodes: [
          { name: "r1n1", id: 1, address: "198.18.10.11", role: "l4lb" },
          { name: "r1n2", id: 2, address: "198.18.10.12", role: "worker" },
        ],
      },
      {
        name: "r2",
        id: 2,
        nodeNetwork: "198.18.11.0/24",
        nodes: [
          { name: "r2n1", id: 1, address: "198.18.11.11", role: "l4lb" },
          { name: "r2n2", id: 2, address: "198.18.11.12", role: "worker" },
        ],
      },
    ],
    clusters: [
      {
        name: "lab",
        id: 1,
        nodes: ["r1n1", "r1n2", "r2n1", "r2n2"],
        k8s: { apiServer: { host: "198.18.10.11", port: 6443 }, cilium: { bgpSpeaker: speaker, podCidrSource: "spec" } },
      },
    ],
  } as unknown as DataCenterSpec;
}
