/**
 * Lookups into a resolved plan shared by the renderers; each throws a clear Error on a miss.
 * Indexes are built once per plan object (plans are not mutated after resolve()), so rendering
 * every device of a 4,000-node plan stays linear.
 */
import { Plan, PlanDevice, PlanNode, PlanSession, PlanSwitch } from "../plan/types";

interface PlanIndex {
  devices: Map<string, PlanDevice>;
  nodes: Map<string, PlanNode>;
  switches: Map<string, PlanSwitch>;
  sessions: Map<string, PlanSession[]>;
}

const indexes = new WeakMap<Plan, PlanIndex>();

/** First entry of each name wins, as a linear `find` would. */
function byName<T extends { name: string }>(items: T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) if (!map.has(item.name)) map.set(item.name, item);
  return map;
}

function indexOf(plan: Plan): PlanIndex {
  let index = indexes.get(plan);
  if (!index) {
    const sessions = new Map<string, PlanSession[]>();
    const push = (device: string, s: PlanSession) => {
      const list = sessions.get(device);
      if (list) list.push(s);
      else sessions.set(device, [s]);
    };
    for (const s of plan.sessions) {
      push(s.a.device, s);
      if (s.b.device !== s.a.device) push(s.b.device, s);
    }
    index = { devices: byName(plan.devices), nodes: byName(plan.nodes), switches: byName(plan.switches), sessions };
    indexes.set(plan, index);
  }
  return index;
}

/** The device named `name`, of any kind, or undefined. */
export function findDevice(plan: Plan, name: string): PlanDevice | undefined {
  return indexOf(plan).devices.get(name);
}

/** The device named `name` of the given kind. */
export function deviceOf(plan: Plan, name: string, kind: PlanDevice["kind"]): PlanDevice {
  const device = indexOf(plan).devices.get(name);
  if (!device) throw new Error(`plan ${plan.name} has no device named ${JSON.stringify(name)}`);
  if (device.kind !== kind) throw new Error(`device ${name} is a ${device.kind}, not a ${kind}`);
  return device;
}

/** The planned BGP state of node `name`. */
export function planNodeOf(plan: Plan, name: string): PlanNode {
  const node = indexOf(plan).nodes.get(name);
  if (!node) throw new Error(`plan ${plan.name} has no node entry for ${name}`);
  return node;
}

/** The planned BGP state of switch `name`. */
export function planSwitchOf(plan: Plan, name: string): PlanSwitch {
  const sw = indexOf(plan).switches.get(name);
  if (!sw) throw new Error(`plan ${plan.name} has no switch entry for ${name}`);
  return sw;
}

/** Every session with `device` at either end, in plan order. */
export function sessionsOf(plan: Plan, device: string): PlanSession[] {
  return [...sessionsView(plan, device)];
}

const NO_SESSIONS: readonly PlanSession[] = [];

/** `sessionsOf` without the copy: the index's own list, for a caller that only reads it. */
export function sessionsView(plan: Plan, device: string): readonly PlanSession[] {
  return indexOf(plan).sessions.get(device) ?? NO_SESSIONS;
}

/** The local and remote ends of a session, seen from `device`. */
export function endsOf(session: PlanSession, device: string): { local: PlanSession["a"]; remote: PlanSession["a"] } {
  if (session.a.device === device) return { local: session.a, remote: session.b };
  if (session.b.device === device) return { local: session.b, remote: session.a };
  throw new Error(`session ${session.id} does not involve ${device}`);
}

/** Every `passwordRef` the plan names (sessions and upstreams), sorted, once each. */
export function planPasswordRefs(plan: Plan): string[] {
  const refs = new Set<string>();
  for (const s of plan.sessions) if (s.passwordRef) refs.add(s.passwordRef);
  for (const u of plan.upstreams ?? []) if (u.passwordRef) refs.add(u.passwordRef);
  return [...refs].sort();
}

/** True when a session or upstream link of `device` is password-protected. */
export function deviceHasPasswords(plan: Plan, device: string): boolean {
  if (sessionsOf(plan, device).some((s) => s.passwordRef)) return true;
  return (plan.upstreams ?? []).some((u) => !!u.passwordRef && u.links.some((l) => l.switch === device));
}
