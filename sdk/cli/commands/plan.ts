/** `dcnet plan SPEC --out DIR [--force]`: resolve a spec and write the rendered output folder. */
import { Command } from "commander";
import { resolve } from "../../resolve/resolve";
import { loadSpecForCli } from "../load";
import { renderPlanFiles, writeOutputDir } from "../output";
import * as path from "path";
import { clusterSideNotes, loadClusterInputs, renderClusterManifests } from "../../k8s";

/** Register `dcnet plan SPEC --out DIR [--force]` on `program`. */
export function registerPlanCommand(program: Command): void {
  program
    .command("plan")
    .description("validate and resolve SPEC, then write plan.json, hosts/*/bird.conf, switches/*/frr.conf, summary.md and topology.svg to DIR")
    .argument("<spec>", "data center spec (.yaml, .yml, .json, or a .ts/.js module exporting the spec)")
    .requiredOption("-o, --out <dir>", "output folder (created, or replaced when it holds a previous dcnet output)")
    .option("-f, --force", "write into a folder holding other files: replace only dcnet's entries, keep the rest", false)
    .action((specFile: string, opts: { out: string; force: boolean }) => {
      // everything is validated and rendered in memory before the file system is touched
      const spec = loadSpecForCli(specFile);
      const plan = resolve(spec);
      // cluster side: clusters/<cluster>/<kind>-<name>.yaml and clusters/<cluster>/values/<chart>.yaml
      const inputs = loadClusterInputs(spec, path.dirname(specFile));
      const files = [...renderPlanFiles(plan), ...renderClusterManifests(plan, inputs)];
      for (const note of clusterSideNotes(plan, inputs)) console.error(`note: ${note}`); // what could not be checked (chart values schema)
      writeOutputDir(opts.out, files, { force: opts.force });
      const hosts = files.filter((f) => f.path.startsWith("hosts/")).length;
      const sw = files.filter((f) => f.path.startsWith("switches/")).length;
      console.log(
        `wrote ${opts.out}: plan.json (${plan.devices.length} devices, ${plan.sessions.length} BGP sessions), ` +
          `${hosts} hosts/*/bird.conf, ${sw} switches/*/ configs, ${files.filter((f) => f.path.startsWith("clusters/")).length} clusters/*/ manifests, summary.md, topology.svg`,
      );
    });
}
