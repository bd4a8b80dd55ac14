/**
 * Data-plane probes of `lab check`: TCP connections through the kernels of the lab (a reset from
 * the owner of the address proves the path both ways), from one node per rack:
 * - node address → node address of every other rack (kubelet → API server, health checks, SNAT replies),
 * - PodCIDR → PodCIDR of every other rack (the router address on the lab's cilium_host),
 * - node address → every switch loopback (management),
 * - node address → the address behind each upstream (the way out; only when the upstream is told
 *   an aggregate covering the node's address, else the reply has no way back: reported as skipped).
 * Bounded: at most `MAX_PROBES` probes of `PROBE_TIMEOUT_MS` each.
 */
import { Family, Plan, PlanDevice } from "../plan/types";
import { containsAddress, familyOf } from "../net/prefix";
import { reach } from "./ops";
import { LabState } from "./state";
import { nodeLocalAddresses } from "./up";
import { upstreamExternalAddresses } from "./upstream";

/** Most probes one check runs. */
export const MAX_PROBES = 96;
/** Time one probe may take. */
export const PROBE_TIMEOUT_MS = 1000;

/** Kind of probe. */
export type ProbeKind = "node-node" | "pod-pod" | "node-loopback" | "node-upstream";

/** One planned probe. */
export interface DataPlaneProbe {
  kind: ProbeKind;
  /** Device the connection starts from. */
  from: string;
  source: string;
  target: string;
  /** What the target is (device or upstream name). */
  to: string;
  /** Why the probe is not run (the path cannot work by design). */
  skipped?: string;
}

/** A probe with its result. */
export interface ProbeResult extends DataPlaneProbe {
  ok: boolean;
  result: string;
}

/** The device's address of `family` on eth0 (dual-stack: one per family), else its router id. */
const addressIn = (d: PlanDevice, family: Family) => d.interfaces.find((i) => i.name === "eth0")?.addresses.find((a) => a.family === family)?.address ?? d.routerId;
const fam = (a: string): Family => familyOf(a) ?? "ipv4";

/** The probes `lab check` runs for a plan, in a stable order: every family of the rack networks (IPv4 first). */
export function plannedProbes(plan: Plan): DataPlaneProbe[] {
  const reps: PlanDevice[] = [];
  const racks = new Set<string>();
  for (const d of plan.devices)
    if (d.kind === "node" && d.rack && !racks.has(d.rack)) {
      racks.add(d.rack);
      reps.push(d);
    }
  const out: DataPlaneProbe[] = [];
  const families = new Set<Family>();
  for (const d of reps) for (const i of d.interfaces) if (i.name === "eth0") for (const a of i.addresses) families.add(a.family);
  const list: Family[] = families.size === 0 ? ["ipv4"] : (["ipv4", "ipv6"] as Family[]).filter((f) => families.has(f));
  for (const f of list) probesOf(plan, reps, f, families.size <= 1, out);
  return out.slice(0, MAX_PROBES);
}

/** The probes of one family (`any`: single-family plan, the device's first address whatever its family). */
function probesOf(plan: Plan, allReps: PlanDevice[], family: Family, any: boolean, out: DataPlaneProbe[]): void {
  // a node of an IPv6-only rack has no IPv4 address (nor an IPv4 PodCIDR): no IPv4 probe from or to it
  const reps = any ? allReps : allReps.filter((d) => d.interfaces.some((i) => i.name === "eth0" && i.addresses.some((x) => x.family === family)));
  const addressOf = (d: PlanDevice) => (any ? (d.interfaces.find((i) => i.name === "eth0")?.addresses[0]?.address ?? d.routerId) : addressIn(d, family));
  const pod = (d: PlanDevice) => {
    const all = nodeLocalAddresses(plan, d.name).map((a) => a.split("/")[0]);
    return any ? all[0] : all.find((a) => fam(a) === family);
  };
  const loopbackOf = (sw: PlanDevice) => {
    const lo = sw.interfaces.find((i) => i.name === "lo")?.addresses ?? [];
    return any ? lo[0]?.address : lo.find((a) => a.family === family)?.address;
  };
  for (const a of reps)
    for (const b of reps) {
      if (a === b || fam(addressOf(a)) !== fam(addressOf(b))) continue;
      out.push({ kind: "node-node", from: a.name, source: addressOf(a), target: addressOf(b), to: b.name });
      const pa = pod(a);
      const pb = pod(b);
      if (pa && pb && fam(pa) === fam(pb)) out.push({ kind: "pod-pod", from: a.name, source: pa, target: pb, to: b.name });
    }
  const probers = reps.length > 1 ? [reps[0], reps[reps.length - 1]] : reps;
  for (const a of probers)
    for (const sw of plan.devices.filter((d) => d.kind === "switch")) {
      const lb = loopbackOf(sw);
      if (lb && fam(lb) === fam(addressOf(a))) out.push({ kind: "node-loopback", from: a.name, source: addressOf(a), target: lb, to: sw.name });
    }
  for (const u of plan.upstreams ?? []) {
    const target = upstreamExternalAddresses(plan, u)[0]?.address;
    if (!target) continue;
    for (const a of reps) {
      if (fam(target) !== fam(addressOf(a))) continue;
      const covered = u.announce.some((e) => e.family === fam(target) && containsAddress(e.prefix, addressOf(a)));
      out.push({
        kind: "node-upstream",
        from: a.name,
        source: addressOf(a),
        target,
        to: u.name,
        ...(covered ? {} : { skipped: `upstream ${u.name} is told no aggregate covering ${addressOf(a)} (announce.nodeNetworks): replies have no way back` }),
      });
    }
  }
}

/** Run the planned probes against the lab. Never throws for a failed probe. */
export function runProbes(plan: Plan, state: LabState, problems: string[]): ProbeResult[] {
  return plannedProbes(plan).map((p) => {
    if (p.skipped) return { ...p, ok: true, result: `skipped: ${p.skipped}` };
    const r = reach(state, p.from, p.target, { source: p.source, timeoutMs: PROBE_TIMEOUT_MS });
    if (!r.ok) problems.push(`data plane ${p.kind}: ${p.from} (${p.source}) → ${p.to} (${p.target}) fails: ${r.result || "no answer"}`);
    return { ...p, ok: r.ok, result: r.result };
  });
}
