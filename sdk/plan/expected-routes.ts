/** Reading a switch's expected routes one prefix at a time. */
import { PlanExpectedRoute, PlanSwitch } from "./types";

/** Every route a switch is expected to hold, one entry per prefix, in plan order. */
export function expandExpectedRoutes(sw: PlanSwitch): PlanExpectedRoute[] {
  return sw.expectedRoutes.flatMap((g) => g.prefixes.map((prefix) => ({ family: g.family, prefix, nextHops: g.nextHops, via: g.via, ...fibOf(g) })));
}

/** The expected route of one prefix on a switch, or undefined. */
export function expectedRouteOf(sw: PlanSwitch, prefix: string): PlanExpectedRoute | undefined {
  const g = sw.expectedRoutes.find((x) => x.prefixes.includes(prefix));
  return g ? { family: g.family, prefix, nextHops: g.nextHops, via: g.via, ...fibOf(g) } : undefined;
}

function fibOf(g: PlanSwitch["expectedRoutes"][number]): { fibNextHops?: string[]; fibVia?: string[] } {
  return g.fibNextHops ? { fibNextHops: g.fibNextHops, fibVia: g.fibVia } : {};
}
