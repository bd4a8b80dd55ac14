/** `dcnet plan SPEC --out DIR [--force]`: resolve a spec and write the rendered output folder. */
import { Command } from "commander";
import { resolve } from "../../resolve/resolve";
import { loadSpecForCli } from "../load";
import { planOutputFiles, renderPlanFiles, writeOutputDir } from "../output";
import * as path from "path";
import { ClusterInputs, clusterSideNotes, loadClusterInputs, renderClusterManifests } from "../../k8s";
import { UserError } from "../errors";
import { progress } from "../progress";
import { loadFleetFile, validateFleet } from "../../fleet/fleet";
import { renderFleetMeshFiles } from "../../fleet/mesh";
import { hostAgentOutputFiles, hostModeClusters, renderCiliumChart } from "../../render/cilium-host";
import { clusterTools } from "../../tools/cluster-tools";
import { Plan } from "../../plan/types";

/** Register `dcnet plan SPEC --out DIR [--force]` on `program`. */
export function registerPlanCommand(program: Command): void {
  program
    .command("plan")
    .description("validate and resolve SPEC, then write plan.json, hosts/*/bird.conf, switches/*/frr.conf, summary.md and topology.svg to DIR")
    .argument("[spec]", "data center spec (.yaml, .yml, .json, or a .ts/.js module exporting the spec)")
    .option("--fleet <file>", "several data centers (a fleet file): validate them against each other, then write DIR/<data center>/ for each")
    .requiredOption("-o, --out <dir>", "output folder (created, or replaced when it holds a previous dcnet output)")
    .option("-f, --force", "write into a folder holding other files: replace only dcnet's entries, keep the rest", false)
    .action((specFile: string | undefined, opts: { out: string; force: boolean; fleet?: string }) => {
      if (opts.fleet) {
        if (specFile) throw new UserError("give either SPEC or --fleet FILE, not both");
        const fleet = loadFleetFile(opts.fleet);
        const r = validateFleet(fleet);
        if (!r.ok) throw new UserError(`fleet ${r.name}: ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}:\n${r.problems.map((p) => `  - ${p}`).join("\n")}`);
        // everything rendered in memory first, then one folder per data center
        const sites = r.members.map((m) => ({ dataCenter: m.name, plan: m.plan!, inputs: loadClusterInputs(m.spec!, path.dirname(m.specFile)) }));
        // ClusterMesh across data centers: each member's Cilium values rendered from every plan of its mesh
        const mesh = renderFleetMeshFiles(sites, fleet.meshCa ?? {});
        const outputs = r.members.map((m, i) => {
          const own = new Map((mesh.get(m.name) ?? []).map((f) => [f.path, f.text]));
          const files = [...renderPlanFiles(m.plan!), ...renderClusterManifests(m.plan!, sites[i].inputs)].map((f) => (own.has(f.path) ? { path: f.path, text: own.get(f.path)! } : f));
          return { m, files };
        });
        for (const { m, files } of outputs) writeOutputDir(path.join(opts.out, m.name), files, { force: opts.force });
        console.log(`wrote ${opts.out}: ${outputs.map(({ m, files }) => `${m.name}/ (${m.plan!.devices.length} devices, ${files.length} files)`).join(", ")}`);
        return;
      }
      if (!specFile) throw new UserError("missing SPEC (or --fleet FILE)");
      // everything is validated in memory before the file system is touched; the configs are
      // rendered as they are written, into a fresh folder moved into place only when complete
      const shown = progress(); // on stderr: at once on a terminal, else once it runs for a few seconds
      const spec = loadSpecForCli(specFile);
      shown.step(`read ${specFile}; validating and resolving`);
      const plan = resolve(spec, { progress: (what) => shown.step(what) });
      shown.step(`resolved: ${plan.devices.length.toLocaleString("en-US")} devices, ${plan.sessions.length.toLocaleString("en-US")} BGP sessions`);
      // cluster side: clusters/<cluster>/<kind>-<name>.yaml and clusters/<cluster>/values/<chart>.yaml
      const inputs = loadClusterInputs(spec, path.dirname(specFile));
      const files = [...planOutputFiles(plan), ...renderClusterManifests(plan, inputs), ...hostModeFiles(plan, inputs)];
      for (const note of clusterSideNotes(plan, inputs)) console.error(`note: ${note}`); // what could not be checked (chart values schema)
      shown.step(`rendering and writing ${files.length.toLocaleString("en-US")} files to ${opts.out}`);
      writeOutputDir(opts.out, files, { force: opts.force, onFile: (done, total) => shown.count("written", done, total), onStep: (what) => shown.step(what) });
      const hosts = files.filter((f) => f.path.startsWith("hosts/")).length;
      const sw = files.filter((f) => f.path.startsWith("switches/")).length;
      console.log(
        `wrote ${opts.out}: plan.json (${plan.devices.length} devices, ${plan.sessions.length} BGP sessions${upstreamSessions(plan)}), ` +
          `${hosts} hosts/*/bird.conf, ${sw} switches/*/ configs, ${files.filter((f) => f.path.startsWith("clusters/")).length} clusters/*/ manifests, summary.md, topology.svg`,
      );
    });
}

/**
 * Host-mode clusters (`cilium.deployment: host`): each node's config dir and unit, from the real
 * chart (helm and the Cilium module of `clusterTools()`); without them a note, and no host files.
 */
function hostModeFiles(plan: Plan, inputs: ClusterInputs): { path: string; text: string }[] {
  const clusters = hostModeClusters(plan, inputs);
  if (clusters.length === 0) return [];
  const tools = clusterTools();
  if (!tools.helm || !tools.ciliumChart) {
    console.error(`note: host-mode clusters ${clusters.join(", ")}: their agents' config dirs are the Cilium chart's cilium-config, which needs helm and the chart (scripts/build-cluster-tools.sh); not written`);
    return [];
  }
  return hostAgentOutputFiles(plan, inputs, (values) => renderCiliumChart(tools.helm!, tools.ciliumChart!, values).ciliumConfig);
}

/** ` + N upstream` when the plan has upstream sessions (they are not in `plan.sessions`). */
function upstreamSessions(plan: { upstreams?: { links: unknown[] }[] }): string {
  const n = (plan.upstreams ?? []).reduce((a, u) => a + u.links.length, 0);
  return n > 0 ? ` + ${n} upstream` : "";
}
