/**
 * Several data centers sharing address and ASN space: a fleet file lists their spec files, and
 * `validateFleet` resolves each and checks them against each other:
 *
 * - no overlap between data centers of PodCIDR pools, loopback and fabric-link pools, VIP pools,
 *   rack node networks (sort-and-sweep, `sdk/net/overlaps.ts`);
 * - ASN plans consistent: no ASN used by devices of two data centers (their fabrics would see
 *   each other's routes as loops, and a mesh could not tell them apart);
 * - cluster names and ids unique across every data center that may be meshed (`mesh`: default
 *   all of them), data center and plan names unique.
 *
 * The cross-data-center checks are `allocationConflicts` (`./allocations`), which the `DataCenter`
 * component also runs against the allocations other stacks publish.
 *
 * ```yaml
 * name: acme
 * dataCenters:
 *   - { name: fra1, spec: fra1/datacenter.yaml }
 *   - { name: ams1, spec: ams1/datacenter.yaml }
 * mesh: [fra1, ams1]
 * ```
 */
import { readFileSync } from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { Plan } from "../plan/types";
import { DataCenterSpec } from "../spec/types";
import { resolve } from "../resolve/resolve";
import { loadSpecForCli } from "../cli/load";
import { UserError } from "../cli/errors";
import { SpecError } from "../validate/errors";
import { allocationConflicts, publishedAllocations } from "./allocations";
import { FleetMeshSite, fleetMeshProblems } from "./mesh";
import { clusterInputsFromSpec } from "../k8s/context";

/** The fleet file. */
export interface FleetSpec {
  name: string;
  dataCenters: { name: string; spec: string }[];
  /** Data centers whose clusters may be meshed together (default: all). */
  mesh?: string[];
  /**
   * ClusterMesh across data centers: by mesh name, the CA certificate file (public PEM) every member
   * trusts (relative to the fleet file). Required for a mesh whose members sit in two data centers.
   */
  meshCa?: { [mesh: string]: string };
}

/** One data center of a loaded fleet. */
export interface FleetMember {
  name: string;
  specFile: string;
  spec?: DataCenterSpec;
  plan?: Plan;
  /** Problems of the data center's own spec. */
  problems: string[];
}

/** What `validateFleet` found. */
export interface FleetReport {
  ok: boolean;
  name: string;
  members: FleetMember[];
  /** Problems across data centers, one line each. */
  problems: string[];
}

/** Read a fleet file (YAML or JSON); spec paths are relative to it. */
export function loadFleetFile(file: string): FleetSpec {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`cannot read fleet ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const f = data as Partial<FleetSpec> | null;
  const problems: string[] = [];
  if (!f || typeof f !== "object") throw new UserError(`${file}: expected { name, dataCenters: [{ name, spec }] }`);
  if (typeof f.name !== "string" || !f.name) problems.push("name: expected a string");
  if (!Array.isArray(f.dataCenters) || f.dataCenters.length === 0) problems.push("dataCenters: expected a list of { name, spec }");
  for (const [i, d] of (Array.isArray(f.dataCenters) ? f.dataCenters : []).entries())
    if (!d || typeof d.name !== "string" || typeof d.spec !== "string") problems.push(`dataCenters[${i}]: expected { name, spec }`);
  if (f.mesh !== undefined && (!Array.isArray(f.mesh) || f.mesh.some((m) => typeof m !== "string"))) problems.push("mesh: expected a list of data center names");
  if (f.meshCa !== undefined && (typeof f.meshCa !== "object" || f.meshCa === null || Array.isArray(f.meshCa) || Object.values(f.meshCa).some((v) => typeof v !== "string")))
    problems.push("meshCa: expected { <mesh name>: <CA certificate file> }");
  if (problems.length) throw new UserError(`${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  const dir = path.dirname(file);
  const meshCa = f.meshCa ? Object.fromEntries(Object.entries(f.meshCa).map(([m, file]) => [m, path.resolve(dir, file)])) : undefined;
  return { ...(f as FleetSpec), dataCenters: f.dataCenters!.map((d) => ({ name: d.name, spec: path.resolve(dir, d.spec) })), ...(meshCa ? { meshCa } : {}) };
}

/** Load every data center of a fleet and check them against each other. */
export function validateFleet(fleet: FleetSpec): FleetReport {
  const problems: string[] = [];
  const members: FleetMember[] = fleet.dataCenters.map((d) => {
    const m: FleetMember = { name: d.name, specFile: d.spec, problems: [] };
    try {
      m.spec = loadSpecForCli(d.spec);
      m.plan = resolve(m.spec);
    } catch (e) {
      if (e instanceof SpecError) m.problems.push(...e.problems.map((p) => `${p.path}: ${p.message} [${p.rule}]`));
      else if (e instanceof UserError) m.problems.push(e.message);
      else throw e;
    }
    for (const p of m.problems) problems.push(`${d.name}: ${p}`);
    return m;
  });
  const seen = new Map<string, string>();
  for (const m of members) {
    if (seen.has(m.name)) problems.push(`data center name ${m.name} is used twice`);
    seen.set(m.name, m.name);
  }
  for (const n of fleet.mesh ?? []) if (!seen.has(n)) problems.push(`mesh: no data center ${n} in the fleet`);
  const planNames = new Map<string, string>();
  for (const m of members) if (m.plan) {
    const other = planNames.get(m.plan.name);
    if (other) problems.push(`${m.name}: spec name ${m.plan.name} is also the name of ${other}'s spec (plans, stacks and mesh names must differ)`);
    planNames.set(m.plan.name, m.name);
  }
  // pools, ASNs and meshed clusters across data centers: the checks the DataCenter component runs on its peers
  const allocations = members.filter((m) => m.plan).map((m) => publishedAllocations(m.plan!, { dataCenter: m.name }));
  for (const p of allocationConflicts(allocations, fleet.mesh ? { meshed: fleet.mesh } : {})) if (p.rule !== "fleet-name") problems.push(p.message);
  // ClusterMesh across data centers: one CA, only data centers that may be meshed
  problems.push(...fleetMeshProblems(meshSites(members), fleet.meshCa ?? {}, fleet.mesh));
  return { ok: problems.length === 0, name: fleet.name, members, problems };
}

/** The data centers of a loaded fleet as the mesh rendering sees them (those that resolved). */
export function meshSites(members: FleetMember[]): FleetMeshSite[] {
  return members.filter((m) => m.plan && m.spec).map((m) => ({ dataCenter: m.name, plan: m.plan!, inputs: clusterInputsFromSpec(m.spec!) }));
}
