/** `dcnet validate SPEC`: print OK, or every problem of the spec. */
import { Command } from "commander";
import { resolve } from "../../resolve/resolve";
import { loadSpecForCli } from "../load";
import * as path from "path";
import { assertClusterSide, clusterSideNotes, loadClusterInputs } from "../../k8s";
import { UserError } from "../errors";
import { loadFleetFile, validateFleet } from "../../fleet/fleet";

/** Register `dcnet validate SPEC` on `program`. */
export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description("check SPEC against the schema and every rule; print OK or all problems (exit 1)")
    .argument("[spec]", "data center spec (.yaml, .yml, .json, or a .ts/.js module exporting the spec)")
    .option("--fleet <file>", "validate several data centers (a fleet file listing spec files) each and against each other")
    .action((specFile: string | undefined, opts: { fleet?: string }) => {
      if (opts.fleet) {
        if (specFile) throw new UserError("give either SPEC or --fleet FILE, not both");
        const r = validateFleet(loadFleetFile(opts.fleet));
        if (!r.ok) {
          console.error(`fleet ${r.name}: ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}:\n${r.problems.map((p) => `  - ${p}`).join("\n")}`);
          process.exitCode = 1;
          return;
        }
        const nodes = r.members.reduce((a, m) => a + (m.plan?.devices.filter((d) => d.kind === "node").length ?? 0), 0);
        console.log(`OK: fleet ${r.name}: ${r.members.length} data centers (${r.members.map((m) => m.name).join(", ")}), ${nodes} nodes; no overlapping pools, ASNs per data center, cluster names and ids unique`);
        return;
      }
      if (!specFile) throw new UserError("missing SPEC (or --fleet FILE)");
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
