/**
 * Rollout order of a plan's devices, as a dependency graph the Pulumi components turn into
 * `dependsOn` (pure, so it is tested without Pulumi):
 *
 * 1. Upper-tier switches (spines, cores, any switch without a rack) first, all in parallel.
 * 2. A rack's switches (leaves) after the upper tier, so their fabric sessions can be verified.
 * 3. A node after both of its peer switches: the switch knows the neighbor before the node
 *    announces anything.
 * 4. Racks one after another (`sequential`, default): the first nodes and the switches of rack
 *    k+1 wait for the last nodes of rack k, so a bad change stops at the first rack it breaks.
 * 5. Inside a rack at most `maxInFlightPerRack` nodes at a time: node i waits for node i-m
 *    (m chains through the rack).
 *
 * Removal is the reverse: Pulumi deletes dependents before what they depend on, so when a
 * switch and its nodes are deleted together the nodes stop first.
 */
import { Plan, PlanDevice } from "../plan/types";

/** How racks roll out. */
export type RackOrderMode = "sequential" | "parallel";

/** Options of `rolloutPlan`. */
export interface RolloutOptions {
  /** `sequential` (default): rack after rack; `parallel`: racks at once (bounded inside each rack). */
  rackOrder?: RackOrderMode;
  /** Nodes of one rack applied at the same time (default 1: one after another). */
  maxInFlightPerRack?: number;
}

/** One step of the rollout. */
export interface RolloutStep {
  device: string;
  kind: "node" | "switch";
  /** Rack of the device, if any. */
  rack?: string;
  /** Devices whose apply must finish before this one starts (sorted). */
  dependsOn: string[];
}

/** Racks in plan order (the order of their rack segments, i.e. by rack id). */
export function rackOrder(plan: Plan): string[] {
  const out: string[] = [];
  for (const s of plan.segments) if (s.kind === "rack") for (const m of s.members) {
    const d = plan.devices.find((x) => x.name === m.device);
    if (d?.kind === "node" && d.rack && !out.includes(d.rack)) out.push(d.rack);
  }
  for (const d of plan.devices) if (d.kind === "node" && d.rack && !out.includes(d.rack)) out.push(d.rack);
  return out;
}

/** The switches a node peers with (its node-uplink sessions), sorted. */
export function nodePeers(plan: Plan, node: string): string[] {
  return [...new Set(plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === node).map((s) => s.b.device))].sort();
}

/** The rollout graph, in an order where every device comes after its dependencies. */
export function rolloutPlan(plan: Plan, opts: RolloutOptions = {}): RolloutStep[] {
  const m = opts.maxInFlightPerRack ?? 1;
  if (!Number.isInteger(m) || m < 1) throw new Error(`maxInFlightPerRack must be an integer ≥ 1 (got ${m})`);
  const sequential = (opts.rackOrder ?? "sequential") === "sequential";
  const switches = plan.devices.filter((d) => d.kind === "switch");
  const nodes = plan.devices.filter((d) => d.kind === "node");
  const racks = rackOrder(plan);
  const rackIndex = new Map(racks.map((r, i) => [r, i]));
  const upper = switches.filter((s) => !s.rack || !rackIndex.has(s.rack));
  const upperNames = new Set(upper.map((s) => s.name));
  const steps: RolloutStep[] = [];
  const fabricPeers = (sw: string) =>
    plan.sessions
      .filter((s) => s.kind !== "node-uplink" && (s.a.device === sw || s.b.device === sw))
      .map((s) => (s.a.device === sw ? s.b.device : s.a.device));
  const step = (d: PlanDevice, deps: Iterable<string>) =>
    steps.push({ device: d.name, kind: d.kind, ...(d.rack ? { rack: d.rack } : {}), dependsOn: [...new Set(deps)].filter((x) => x !== d.name).sort() });

  for (const s of upper) step(s, []);
  let tail: string[] = [];
  const seenPeers = new Set<string>(); // switches that nodes of earlier racks peer with
  for (const rack of racks) {
    const rackSwitches = switches.filter((s) => s.rack === rack && !upperNames.has(s.name));
    const rackNodes = nodes.filter((n) => n.rack === rack);
    const gate = sequential ? tail : [];
    for (const s of rackSwitches) {
      const deps = fabricPeers(s.name).filter((p) => upperNames.has(p));
      step(s, seenPeers.has(s.name) ? deps : [...deps, ...gate]);
    }
    rackNodes.forEach((n, i) => {
      const peers = nodePeers(plan, n.name);
      peers.forEach((p) => seenPeers.add(p));
      step(n, [...peers, ...(i >= m ? [rackNodes[i - m].name] : gate)]);
    });
    if (rackNodes.length > 0) tail = rackNodes.slice(-m).map((n) => n.name);
    else if (rackSwitches.length > 0) tail = rackSwitches.map((s) => s.name);
  }
  // nodes without a rack (not produced by resolve, but keep the function total)
  for (const n of nodes.filter((x) => !x.rack || !rackIndex.has(x.rack))) step(n, nodePeers(plan, n.name));
  return steps;
}

/** What the apply script of a node verifies: its BGP protocol names. */
export function nodeProtocols(plan: Plan, node: string): string[] {
  return plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === node && s.nodeProtocol).map((s) => s.nodeProtocol!).sort();
}

/**
 * What the apply script of a switch verifies: every neighbor address it declares, and those that
 * must come up (fabric peers that roll out before it, per `rolloutPlan`).
 */
export function switchNeighbors(plan: Plan, sw: string, steps?: RolloutStep[]): { planned: string[]; required: string[] } {
  const mine = plan.sessions.filter((s) => s.a.device === sw || s.b.device === sw);
  const before = new Set((steps ?? rolloutPlan(plan)).find((s) => s.device === sw)?.dependsOn ?? []);
  const planned: string[] = [];
  const required: string[] = [];
  for (const s of mine) {
    const other = s.a.device === sw ? s.b : s.a;
    planned.push(other.address);
    if (s.kind !== "node-uplink" && before.has(other.device)) required.push(other.address);
  }
  // upstream sessions are declared too (their password lines belong in the overlay); not required:
  // the upstream is not ours to roll out
  for (const u of plan.upstreams ?? []) for (const l of u.links) if (l.switch === sw) planned.push(l.peerAddress);
  return { planned: [...new Set(planned)].sort(), required: [...new Set(required)].sort() };
}
