/** Small specs for lab tests (so lifecycle tests do not pay for the full examples). */
import { DataCenterSpec } from "../../sdk/spec/types";

/** Three-tier: two cores, one rack of two nodes (one l4lb): 3 sessions per node pair + core mesh. */
export function tinySpec(name = "tiny"): DataCenterSpec {
  return {
    name,
    topology: "threeTier",
    asn: { fabric: 65010 },
    pools: {
      podCidr: { cidr: "198.19.0.0/16", prefixLength: 25, perRack: 16 },
      loopbacks: "198.18.0.0/24",
      fabricLinks: "198.18.1.0/24",
      vips: [{ name: "public", cidr: "198.18.201.0/30" }],
    },
    bgp: { passwordRef: "bgp-nodes" },
    switches: [
      { name: "core1", role: "core", id: 1, maxPaths: 16 },
      { name: "core2", role: "core", id: 2, maxPaths: 16 },
    ],
    racks: [
      {
        name: "r1",
        id: 1,
        nodeNetwork: "198.18.20.0/24",
        nodes: [
          { name: "r1n1", id: 1, address: "198.18.20.11", role: "l4lb" },
          { name: "r1n2", id: 2, address: "198.18.20.12", role: "worker" },
        ],
      },
    ],
  } as DataCenterSpec;
}
