/**
 * Routing convergence after the sessions came up: every switch's BGP table selects every planned
 * route over exactly the planned next hops (routes arrive a moment after Established; a check run
 * right then would report them missing). Bounded wait; one vtysh query per switch and family.
 */
import { Family, Plan } from "../plan/types";
import { expandExpectedRoutes } from "../plan/expected-routes";
import { sleep } from "./exec";
import { frrBgpTable } from "./probe";
import { LabState } from "./state";

/** How long `labUp` waits for routing to converge after every session is Established. */
export const CONVERGE_WAIT_MS = 30000;

/** Switches whose BGP table does not yet select every planned route over the planned next hops. */
export function unconvergedSwitches(plan: Plan, state: LabState): string[] {
  const out: string[] = [];
  for (const sw of plan.switches) {
    const dev = state.devices[sw.name];
    if (!dev?.frr) continue;
    const expected = expandExpectedRoutes(plan, sw);
    const tables = new Map<Family, ReturnType<typeof frrBgpTable>["routes"]>();
    const ok = expected.every((r) => {
      if (!tables.has(r.family)) tables.set(r.family, frrBgpTable(dev, r.family).routes);
      const hops = new Set((tables.get(r.family)!.get(r.prefix) ?? []).filter((p) => p.selected).flatMap((p) => p.nextHops));
      return hops.size === r.nextHops.length && r.nextHops.every((h) => hops.has(h));
    });
    if (!ok) out.push(sw.name);
  }
  return out;
}

/** Wait until routing converged; the time it took in ms, or undefined after `timeoutMs`. */
export async function waitConverged(plan: Plan, state: LabState, timeoutMs = CONVERGE_WAIT_MS, checkAbort: () => void = () => undefined): Promise<number | undefined> {
  const t0 = Date.now();
  for (;;) {
    checkAbort();
    if (unconvergedSwitches(plan, state).length === 0) return Date.now() - t0;
    if (Date.now() - t0 >= timeoutMs) return undefined;
    await sleep(250);
  }
}
