/** `dcnet validate SPEC`: print OK, or every problem of the spec. */
import { Command } from "commander";
import { resolve } from "../../resolve/resolve";
import { loadSpecForCli } from "../load";
import * as path from "path";
import { assertClusterSide, clusterSideNotes, loadClusterInputs } from "../../k8s";

/** Register `dcnet validate SPEC` on `program`. */
export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description("check SPEC against the schema and every rule; print OK or all problems (exit 1)")
    .argument("<spec>", "data center spec (.yaml, .yml, .json, or a .ts/.js module exporting the spec)")
    .action((specFile: string) => {
      const spec = loadSpecForCli(specFile);
      const plan = resolve(spec);
      const inputs = loadClusterInputs(spec, path.dirname(specFile));
      assertClusterSide(plan, inputs); // clusters[].k8s rules
      for (const note of clusterSideNotes(plan, inputs)) console.error(`note: ${note}`); // what could not be checked (chart values schema)
      const nodes = plan.devices.filter((d) => d.kind === "node").length;
      const racks = plan.segments.filter((s) => s.kind === "rack").length;
      console.log(
        `OK: ${plan.name} (${plan.topology}): ${racks} racks, ${nodes} nodes, ${plan.devices.length - nodes} switches, ${plan.sessions.length} BGP sessions`,
      );
    });
}
