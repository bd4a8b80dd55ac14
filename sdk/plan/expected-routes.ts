/**
 * Reading a switch's expected routes one prefix at a time. A group lists its prefixes itself and,
 * with `set`, refers to a list of `plan.prefixSets` shared by many switches (minus its `except`).
 */
import { Plan, PlanExpectedRoute, PlanExpectedRouteGroup, PlanSwitch } from "./types";

/** What reading a group needs of the plan: its shared prefix lists. */
export type PrefixSets = Pick<Plan, "prefixSets">;

/** The prefixes of one group, in plan order: those of its `set` but `except`, then its own. */
export function groupPrefixes(plan: PrefixSets, g: PlanExpectedRouteGroup): string[] {
  if (g.set === undefined) return g.prefixes;
  const shared = sharedPrefixes(plan, g.set);
  const except = new Set(g.except ?? []);
  const out: string[] = [];
  for (const p of shared) if (!except.has(p)) out.push(p);
  for (const p of g.prefixes) out.push(p);
  return out;
}

/** Every route a switch is expected to hold, one entry per prefix, in plan order. */
export function expandExpectedRoutes(plan: PrefixSets, sw: PlanSwitch): PlanExpectedRoute[] {
  return sw.expectedRoutes.flatMap((g) => groupPrefixes(plan, g).map((prefix) => ({ family: g.family, prefix, nextHops: g.nextHops, via: g.via, ...fibOf(g) })));
}

/** The expected route of one prefix on a switch, or undefined. */
export function expectedRouteOf(plan: PrefixSets, sw: PlanSwitch, prefix: string): PlanExpectedRoute | undefined {
  const g = sw.expectedRoutes.find((x) => groupHas(plan, x, prefix));
  return g ? { family: g.family, prefix, nextHops: g.nextHops, via: g.via, ...fibOf(g) } : undefined;
}

/** True when `prefix` is one of the group's prefixes. */
export function groupHas(plan: PrefixSets, g: PlanExpectedRouteGroup, prefix: string): boolean {
  if (g.prefixes.includes(prefix)) return true;
  return g.set !== undefined && !(g.except ?? []).includes(prefix) && memberSet(plan, g.set).has(prefix);
}

/** The prefixes of the shared list `name` (an unknown name is a broken plan: it throws). */
function sharedPrefixes(plan: PrefixSets, name: string): string[] {
  const s = (plan.prefixSets ?? []).find((x) => x.name === name);
  if (!s) throw new Error(`plan: expected routes refer to prefix set ${JSON.stringify(name)}, which plan.prefixSets does not hold`);
  return s.prefixes;
}

/** Membership of a shared list, built once per list. */
const members = new WeakMap<string[], Set<string>>();
function memberSet(plan: PrefixSets, name: string): Set<string> {
  const list = sharedPrefixes(plan, name);
  let set = members.get(list);
  if (!set) members.set(list, (set = new Set(list)));
  return set;
}

function fibOf(g: PlanSwitch["expectedRoutes"][number]): { fibNextHops?: string[]; fibVia?: string[] } {
  return g.fibNextHops ? { fibNextHops: g.fibNextHops, fibVia: g.fibVia } : {};
}
