/**
 * The bundled spine–leaf data center declared in TypeScript instead of YAML: same shape, with
 * loops doing what a person would otherwise copy and paste. `test/spec-typescript.test.ts`
 * proves it resolves to exactly the same plan as examples/spine-leaf/datacenter.yaml.
 */
import { DataCenterSpec, NodeAsnScheme, NodeRole, SwitchRole, Topology } from "../../sdk/spec/types";

const racks = [1, 2, 3];
const l4lbNodes = new Set(["r1n1", "r1n2", "r2n1"]);

export const dataCenter: DataCenterSpec = {
  name: "dc1",
  topology: Topology.spineLeaf,
  asn: { spine: 65000, leaves: { from: 65101, to: 65199 }, nodes: { from: 65201, to: 65299 }, nodeScheme: NodeAsnScheme.perRack },
  pools: {
    podCidr: { cidr: "198.19.0.0/16", prefixLength: 24, perRack: 16 },
    loopbacks: "198.18.0.0/24",
    fabricLinks: "198.18.1.0/24",
    vips: [{ name: "public", cidr: "198.18.200.0/29", cluster: "prod-a", serviceSelector: { "dcnet.io/vip-pool": "public" } }],
  },
  bgp: { keepalive: 3, hold: 9, bfd: { enabled: true, intervalMs: 100, multiplier: 3 }, gracefulRestart: true, restartTime: 120, passwordRef: "bgp-nodes" },
  switches: [
    { name: "spine1", role: SwitchRole.spine, id: 1, maxPaths: 16 },
    { name: "spine2", role: SwitchRole.spine, id: 2, maxPaths: 16 },
    ...racks.flatMap((r) => [
      { name: `leaf${r}a`, role: SwitchRole.leaf, id: 2 * r + 1, rack: `r${r}`, maxPaths: 16 },
      { name: `leaf${r}b`, role: SwitchRole.leaf, id: 2 * r + 2, rack: `r${r}`, maxPaths: 16 },
    ]),
  ],
  racks: racks.map((r) => ({
    name: `r${r}`,
    id: r,
    nodeNetwork: `198.18.${9 + r}.0/24`,
    nodes: [1, 2, 3, 4].map((n) => ({
      name: `r${r}n${n}`,
      id: n,
      address: `198.18.${9 + r}.${10 + n}`,
      role: l4lbNodes.has(`r${r}n${n}`) ? NodeRole.l4lb : NodeRole.worker,
    })),
  })),
  clusters: [
    { name: "prod-a", id: 1, nodes: ["r1n1", "r1n2", "r1n3", "r1n4", "r2n1", "r2n2", "r2n3", "r2n4"] },
    { name: "prod-b", id: 2, nodes: ["r3n1", "r3n2", "r3n3", "r3n4"] },
  ],
  // the way out: rack r3's leaf pair peers with the upstream; the default route in, aggregates out
  upstreams: [
    {
      name: "wan",
      asn: 64500,
      passwordRef: "bgp-upstream",
      accept: { defaultRoute: true, maxPrefix: 8 },
      announce: { clusters: ["prod-a", "prod-b"], vipPools: ["public"], nodeNetworks: ["198.18.8.0/21"] },
      links: ["a", "b"].map((side, i) => ({ switch: `leaf3${side}`, address: `198.18.2.${2 * i}/31`, peerAddress: `198.18.2.${2 * i + 1}` })),
    },
  ],
};
