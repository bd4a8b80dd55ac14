// Root Pulumi program (see Pulumi.yaml): the bundled spine-leaf example in local-folder mode.
import { program } from "./components/program";

const outputs = program();
export const summary = outputs.summary;
export const podCIDRs = outputs.podCIDRs;
export const nodeAsns = outputs.nodeAsns;
export const switchConfigSha256 = outputs.switchConfigSha256;
export const resourceCounts = outputs.resourceCounts;
