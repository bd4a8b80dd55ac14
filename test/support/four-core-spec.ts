/** A three-tier spec with four cores (racks on different core pairs) and one border core. */
import { join } from "path";
import { loadSpecFile } from "../../sdk/spec/load";
import { DataCenterSpec, SwitchRole } from "../../sdk/spec/types";

const ROOT = join(__dirname, "..", "..");

/** The three-tier example with cores 3 and 4 serving racks r2 and r3, and an upstream on core1. */
export function fourCoreSpec(): DataCenterSpec {
  const s = loadSpecFile(join(ROOT, "examples/three-tier/datacenter.yaml"));
  s.switches.push({ name: "core3", role: SwitchRole.core, id: 3, maxPaths: 16 }, { name: "core4", role: SwitchRole.core, id: 4, maxPaths: 16 });
  s.racks[0].peers = ["core1", "core2"];
  for (const r of s.racks.slice(1)) r.peers = ["core3", "core4"];
  s.upstreams = [
    {
      name: "wan",
      asn: 64500,
      accept: { defaultRoute: true },
      announce: { nodeNetworks: ["198.18.20.0/22"], vipPools: ["public"] },
      links: [{ switch: "core1", address: "198.18.2.0/31", peerAddress: "198.18.2.1" }],
    },
  ];
  delete s.clusters; // the cluster side plays no part here
  return s;
}
