/** Lookups into a resolved plan shared by the renderers; each throws a clear Error on a miss. */
import { Plan, PlanDevice, PlanNode, PlanSession, PlanSwitch } from "../plan/types";

/** The device named `name` of the given kind. */
export function deviceOf(plan: Plan, name: string, kind: PlanDevice["kind"]): PlanDevice {
  const device = plan.devices.find((d) => d.name === name);
  if (!device) throw new Error(`plan ${plan.name} has no device named ${JSON.stringify(name)}`);
  if (device.kind !== kind) throw new Error(`device ${name} is a ${device.kind}, not a ${kind}`);
  return device;
}

/** The planned BGP state of node `name`. */
export function planNodeOf(plan: Plan, name: string): PlanNode {
  const node = plan.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`plan ${plan.name} has no node entry for ${name}`);
  return node;
}

/** The planned BGP state of switch `name`. */
export function planSwitchOf(plan: Plan, name: string): PlanSwitch {
  const sw = plan.switches.find((s) => s.name === name);
  if (!sw) throw new Error(`plan ${plan.name} has no switch entry for ${name}`);
  return sw;
}

/** Every session with `device` at either end, in plan order. */
export function sessionsOf(plan: Plan, device: string): PlanSession[] {
  return plan.sessions.filter((s) => s.a.device === device || s.b.device === device);
}

/** The local and remote ends of a session, seen from `device`. */
export function endsOf(session: PlanSession, device: string): { local: PlanSession["a"]; remote: PlanSession["a"] } {
  if (session.a.device === device) return { local: session.a, remote: session.b };
  if (session.b.device === device) return { local: session.b, remote: session.a };
  throw new Error(`session ${session.id} does not involve ${device}`);
}
