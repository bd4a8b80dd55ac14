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
import { overlappingPairs } from "../net/overlaps";
import { prefixProblem } from "../net/prefix";

/** The fleet file. */
export interface FleetSpec {
  name: string;
  dataCenters: { name: string; spec: string }[];
  /** Data centers whose clusters may be meshed together (default: all). */
  mesh?: string[];
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
  if (problems.length) throw new UserError(`${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  const dir = path.dirname(file);
  return { ...(f as FleetSpec), dataCenters: f.dataCenters!.map((d) => ({ name: d.name, spec: path.resolve(dir, d.spec) })) };
}

/** Every address pool of a spec, named for messages. */
function poolsOf(spec: DataCenterSpec): { prefix: string; what: string }[] {
  const out: { prefix: string; what: string }[] = [];
  const add = (prefix: unknown, what: string) => {
    if (typeof prefix === "string" && !prefixProblem(prefix)) out.push({ prefix, what });
  };
  add(spec.pools?.podCidr?.cidr, "PodCIDR pool");
  add(spec.pools?.loopbacks, "loopback pool");
  add(spec.pools?.fabricLinks, "fabric-link pool");
  for (const v of spec.pools?.vips ?? []) add(v.cidr, `VIP pool ${v.name}`);
  for (const r of spec.racks ?? []) add(r.nodeNetwork, `rack ${r.name} node network`);
  return out;
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
  // address pools across data centers
  const pools = members.flatMap((m) => (m.spec ? poolsOf(m.spec).map((p) => ({ ...p, dc: m.name })) : []));
  for (const [i, j] of overlappingPairs(pools.map((p) => p.prefix))) {
    const a = pools[i];
    const b = pools[j];
    if (a.dc !== b.dc) problems.push(`${a.dc} ${a.what} ${a.prefix} overlaps ${b.dc} ${b.what} ${b.prefix}`);
  }
  // ASNs: each used by one data center only
  const asnOwner = new Map<number, { dc: string; device: string }>();
  const reported = new Set<string>();
  for (const m of members)
    for (const d of m.plan?.devices ?? []) {
      const o = asnOwner.get(d.asn);
      if (!o) asnOwner.set(d.asn, { dc: m.name, device: d.name });
      else if (o.dc !== m.name && !reported.has(`${d.asn}/${m.name}`)) {
        reported.add(`${d.asn}/${m.name}`);
        problems.push(`AS ${d.asn} is used in ${o.dc} (${o.device}) and in ${m.name} (${d.name}): give each data center its own ASN range`);
      }
    }
  // clusters of data centers that may be meshed
  const meshed = new Set(fleet.mesh ?? members.map((m) => m.name));
  const names = new Map<string, string>();
  const ids = new Map<number, string>();
  for (const m of members.filter((x) => meshed.has(x.name)))
    for (const c of m.spec?.clusters ?? []) {
      const n = names.get(c.name);
      if (n) problems.push(`cluster name ${c.name} is used in ${n} and in ${m.name} (meshed clusters need unique names)`);
      else names.set(c.name, m.name);
      const i = ids.get(c.id);
      if (i) problems.push(`cluster id ${c.id} is used in ${i} and in ${m.name} (meshed clusters need unique ids 1–255)`);
      else ids.set(c.id, `${m.name} (${c.name})`);
    }
  return { ok: problems.length === 0, name: fleet.name, members, problems };
}
