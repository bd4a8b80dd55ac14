/**
 * Rollout order of a plan's devices, as a dependency graph the Pulumi components turn into
 * `dependsOn` (pure, so it is tested without Pulumi). Two strategies:
 *
 * `waves` (the components' default):
 * 1. Upper-tier switches (spines, cores, any switch without a rack) one at a time.
 * 2. Canary: the first rack's first switch, then its other switches one at a time, then
 *    `canaryNodes` of its nodes (default 1) one at a time.
 * 3. Waves: the remaining racks in groups of `racksPerWave` (default: all of them in one wave),
 *    the canary rack's remaining nodes in the first wave. Inside a rack its switches go one at a
 *    time (never both switches its nodes peer with at once), then its nodes with at most
 *    `maxUnavailable` in flight (node i waits for node i-m). Every rack of wave k+1 starts only
 *    after every rack of wave k has finished.
 *
 * `sequential` (the pure function's default, the components' `strategy: sequential`):
 * 1. Upper-tier switches first, all in parallel.
 * 2. A rack's switches (leaves) after the upper tier.
 * 3. Racks one after another (`rackOrder: sequential`) or all at once (`parallel`); inside a rack
 *    at most `maxInFlightPerRack` nodes at a time.
 *
 * Both: a node waits for both of its peer switches (the switch knows the neighbor before the node
 * announces, and the node's own check sees both sessions). Each step's apply is its health gate
 * (sessions Established, see the apply scripts); a failed apply fails its resource, and Pulumi
 * starts nothing that depends on it (nor, by default, anything else once a step has failed).
 *
 * Removal is the reverse: Pulumi deletes dependents before what they depend on, so when a
 * switch and its nodes are deleted together the nodes stop first.
 */
import { Plan, PlanDevice, PlanSession } from "../plan/types";

/** How racks roll out (strategy `sequential`). */
export type RackOrderMode = "sequential" | "parallel";

/** Rollout strategy. */
export type RolloutStrategy = "waves" | "sequential";

/** Options of `rolloutPlan`. */
export interface RolloutOptions {
  /** `waves` (canary, then racks in parallel waves) or `sequential` (default here: the historic order). */
  strategy?: RolloutStrategy;
  /** Strategy `sequential`: rack after rack (default) or racks at once (bounded inside each rack). */
  rackOrder?: RackOrderMode;
  /** Nodes of one rack applied at the same time (default 1); `maxUnavailable` in the waves strategy. */
  maxInFlightPerRack?: number;
  /** Waves: nodes of the canary rack applied (one at a time) before any other rack starts (default 1; 0: no canary nodes). */
  canaryNodes?: number;
  /** Waves: racks per wave after the canary (default: every rack in one wave). */
  racksPerWave?: number;
}

/** One step of the rollout. */
export interface RolloutStep {
  device: string;
  kind: "node" | "switch";
  /** Rack of the device, if any. */
  rack?: string;
  /** Devices whose apply must finish before this one starts (sorted). */
  dependsOn: string[];
  /** Waves: 0 upper tier, 1 canary, 2.. the waves after it. Sequential: 0 upper tier, then 1 + rack index (or 1 for all with `parallel`). */
  wave: number;
}

/** Per-plan lookups (one pass over devices, segments and sessions). */
interface PlanIndex {
  byName: Map<string, PlanDevice>;
  /** Node → its peer switches (node-uplink sessions), sorted. */
  nodePeers: Map<string, string[]>;
  /** Switch → its fabric peers (every non-node-uplink session). */
  fabricPeers: Map<string, string[]>;
  /** Node → its BGP protocol names (node-uplink sessions). */
  nodeProtocols: Map<string, string[]>;
  /** Device → its sessions. */
  sessionsOf: Map<string, PlanSession[]>;
}

const indexes = new WeakMap<Plan, PlanIndex>();

function indexOf(plan: Plan): PlanIndex {
  let ix = indexes.get(plan);
  if (ix) return ix;
  const byName = new Map(plan.devices.map((d) => [d.name, d]));
  const nodePeers = new Map<string, string[]>();
  const fabricPeers = new Map<string, string[]>();
  const nodeProtocols = new Map<string, string[]>();
  const sessionsOf = new Map<string, PlanSession[]>();
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const s of plan.sessions as PlanSession[]) {
    (sessionsOf.get(s.a.device) ?? sessionsOf.set(s.a.device, []).get(s.a.device)!).push(s);
    if (s.b.device !== s.a.device) (sessionsOf.get(s.b.device) ?? sessionsOf.set(s.b.device, []).get(s.b.device)!).push(s);
    if (s.kind === "node-uplink") {
      push(nodePeers, s.a.device, s.b.device);
      if (s.nodeProtocol) push(nodeProtocols, s.a.device, s.nodeProtocol);
    }
    else {
      push(fabricPeers, s.a.device, s.b.device);
      push(fabricPeers, s.b.device, s.a.device);
    }
  }
  for (const [k, v] of nodePeers) nodePeers.set(k, [...new Set(v)].sort());
  ix = { byName, nodePeers, fabricPeers, nodeProtocols, sessionsOf };
  indexes.set(plan, ix);
  return ix;
}

/** Racks in plan order (the order of their rack segments, i.e. by rack id). */
export function rackOrder(plan: Plan): string[] {
  const { byName } = indexOf(plan);
  const seen = new Set<string>();
  for (const s of plan.segments) if (s.kind === "rack") for (const m of s.members) {
    const d = byName.get(m.device);
    if (d?.kind === "node" && d.rack) seen.add(d.rack);
  }
  for (const d of plan.devices) if (d.kind === "node" && d.rack) seen.add(d.rack);
  return [...seen];
}

/** The switches a node peers with (its node-uplink sessions), sorted. */
export function nodePeers(plan: Plan, node: string): string[] {
  return indexOf(plan).nodePeers.get(node) ?? [];
}

function checkCount(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min} (got ${v})`);
  return v;
}

/** The rollout graph, in an order where every device comes after its dependencies. */
export function rolloutPlan(plan: Plan, opts: RolloutOptions = {}): RolloutStep[] {
  const m = checkCount("maxInFlightPerRack", opts.maxInFlightPerRack ?? 1, 1);
  const ix = indexOf(plan);
  const switches = plan.devices.filter((d) => d.kind === "switch");
  const nodes = plan.devices.filter((d) => d.kind === "node");
  const racks = rackOrder(plan);
  const rackIndex = new Map(racks.map((r, i) => [r, i]));
  const upper = switches.filter((s) => !s.rack || !rackIndex.has(s.rack));
  const upperNames = new Set(upper.map((s) => s.name));
  const switchesOf = new Map<string, PlanDevice[]>();
  const nodesOf = new Map<string, PlanDevice[]>();
  for (const s of switches) if (s.rack && !upperNames.has(s.name)) (switchesOf.get(s.rack) ?? switchesOf.set(s.rack, []).get(s.rack)!).push(s);
  for (const n of nodes) if (n.rack && rackIndex.has(n.rack)) (nodesOf.get(n.rack) ?? nodesOf.set(n.rack, []).get(n.rack)!).push(n);
  const steps: RolloutStep[] = [];
  const fabricPeers = (sw: string) => ix.fabricPeers.get(sw) ?? [];
  const step = (d: PlanDevice, deps: Iterable<string>, wave: number) =>
    steps.push({ device: d.name, kind: d.kind, ...(d.rack ? { rack: d.rack } : {}), dependsOn: [...new Set(deps)].filter((x) => x !== d.name).sort(), wave });
  const loose = nodes.filter((x) => !x.rack || !rackIndex.has(x.rack));

  if ((opts.strategy ?? "sequential") === "waves") {
    const canaryNodes = checkCount("canaryNodes", opts.canaryNodes ?? 1, 0);
    const perWave = checkCount("racksPerWave", opts.racksPerWave ?? Math.max(1, racks.length - 1), 1);
    // 1. upper tier one at a time
    let prev: string | undefined;
    for (const s of upper) {
      step(s, prev ? [prev] : [], 0);
      prev = s.name;
    }
    const upperTail = prev ? [prev] : [];
    // a rack: its switches one at a time after `gate`, then its nodes (from `from`), m in flight;
    // returns the rack's last devices (what a later wave waits for)
    const rackSteps = (rack: string, gate: string[], wave: number, nodeList: PlanDevice[], withSwitches: boolean, nodeGate: string[]): string[] => {
      let last = gate;
      if (withSwitches)
        for (const s of switchesOf.get(rack) ?? []) {
          step(s, [...fabricPeers(s.name).filter((p) => upperNames.has(p)), ...upperTail, ...last], wave);
          last = [s.name];
        }
      const g = withSwitches ? last : nodeGate;
      nodeList.forEach((n, i) => step(n, [...nodePeers(plan, n.name), ...(i >= m ? [nodeList[i - m].name] : g)], wave));
      if (nodeList.length > 0) return nodeList.slice(-m).map((n) => n.name);
      return last;
    };
    if (racks.length > 0) {
      const canary = racks[0];
      const cn = nodesOf.get(canary) ?? [];
      // 2. canary: switches one at a time, then canaryNodes one at a time
      let last = upperTail;
      for (const s of switchesOf.get(canary) ?? []) {
        step(s, [...fabricPeers(s.name).filter((p) => upperNames.has(p)), ...upperTail, ...last], 1);
        last = [s.name];
      }
      const first = cn.slice(0, canaryNodes);
      for (const n of first) {
        step(n, [...nodePeers(plan, n.name), ...last], 1);
        last = [n.name];
      }
      const canaryTail = last;
      // 3. waves: the canary rack's other nodes in the first one, then the other racks
      const rest = racks.slice(1);
      let gate = canaryTail;
      for (let w = 0; w * perWave < Math.max(rest.length, 1); w++) {
        const group = rest.slice(w * perWave, (w + 1) * perWave);
        const tails: string[] = [];
        if (w === 0) tails.push(...rackSteps(canary, gate, 2, cn.slice(first.length), false, canaryTail));
        for (const r of group) tails.push(...rackSteps(r, gate, 2 + w, nodesOf.get(r) ?? [], true, []));
        gate = tails;
      }
    }
    for (const n of loose) step(n, [...nodePeers(plan, n.name), ...upperTail], 1);
    return steps;
  }

  const sequential = (opts.rackOrder ?? "sequential") === "sequential";
  for (const s of upper) step(s, [], 0);
  let tail: string[] = [];
  const seenPeers = new Set<string>(); // switches that nodes of earlier racks peer with
  racks.forEach((rack, ri) => {
    const rackSwitches = switchesOf.get(rack) ?? [];
    const rackNodes = nodesOf.get(rack) ?? [];
    const gate = sequential ? tail : [];
    const wave = sequential ? 1 + ri : 1;
    for (const s of rackSwitches) {
      const deps = fabricPeers(s.name).filter((p) => upperNames.has(p));
      step(s, seenPeers.has(s.name) ? deps : [...deps, ...gate], wave);
    }
    rackNodes.forEach((n, i) => {
      const peers = nodePeers(plan, n.name);
      peers.forEach((p) => seenPeers.add(p));
      step(n, [...peers, ...(i >= m ? [rackNodes[i - m].name] : gate)], wave);
    });
    if (rackNodes.length > 0) tail = rackNodes.slice(-m).map((n) => n.name);
    else if (rackSwitches.length > 0) tail = rackSwitches.map((s) => s.name);
  });
  // nodes without a rack (not produced by resolve, but keep the function total)
  for (const n of loose) step(n, nodePeers(plan, n.name), 1);
  return steps;
}

/** Longest dependency chain of a rollout (devices on it), and each device's level (1 = waits for nothing). */
export function rolloutDepth(steps: RolloutStep[]): { depth: number; level: Map<string, number> } {
  const level = new Map<string, number>();
  let depth = 0;
  for (const s of steps) {
    let l = 1;
    for (const d of s.dependsOn) l = Math.max(l, (level.get(d) ?? 0) + 1);
    level.set(s.device, l);
    depth = Math.max(depth, l);
  }
  return { depth, level };
}

/** What the apply script of a node verifies: its BGP protocol names. */
export function nodeProtocols(plan: Plan, node: string): string[] {
  return [...(indexOf(plan).nodeProtocols.get(node) ?? [])].sort();
}

/**
 * What the apply script of a switch verifies: every neighbor address it declares, and those that
 * must come up (fabric peers that roll out before it, per `rolloutPlan`).
 */
export function switchNeighbors(plan: Plan, sw: string, steps?: RolloutStep[]): { planned: string[]; required: string[] } {
  const mine = indexOf(plan).sessionsOf.get(sw) ?? [];
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
