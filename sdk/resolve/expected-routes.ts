/**
 * A switch's expected routes, grouped by next-hop set (`PlanSwitch.expectedRoutes`): the
 * collector `planSwitch` fills with every prefix the switch should hold and how it reaches it.
 */
import { Family, PlanAnnouncement, PlanExpectedRouteGroup } from "../plan/types";

/** One next hop of an expected route: the neighbor's address and device. */
export interface Hop {
  address: string;
  device: string;
}

/** Hops ordered by device name (then address). */
function sortHops(hops: Hop[]): Hop[] {
  return [...hops].sort((x, y) => (x.device < y.device ? -1 : x.device > y.device ? 1 : x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
}

/**
 * Hops by device name; the key, addresses and devices of an ordered hop list. Module-level
 * functions, not closures made per call: V8 keeps a closure's optimized code only while one lives.
 */
function byDevice(x: Hop, y: Hop): number {
  return x.device < y.device ? -1 : x.device > y.device ? 1 : 0;
}

function hopsKey(family: Family, ordered: Hop[]): string {
  let key = family;
  for (const h of ordered) key += ` ${h.device}@${h.address}`;
  return key;
}

function addressesOf(hops: Hop[]): string[] {
  const out: string[] = [];
  for (const h of hops) out.push(h.address);
  return out;
}

function devicesOf(hops: Hop[]): string[] {
  const out: string[] = [];
  for (const h of hops) out.push(h.device);
  return out;
}

/** `a` plus the hops of `b` it does not hold yet (by address). */
function merge(a: Hop[], b: Hop[]): Hop[] {
  const extra = b.filter((h) => !a.some((c) => c.address === h.address));
  return extra.length > 0 ? [...a, ...extra] : a;
}

/**
 * Collects a switch's expected routes grouped by next-hop set. A PodCIDR has one announcer, so it
 * goes straight into its group; a VIP may be announced by several nodes, so its next hops are
 * merged first and grouped at the end. Groups appear in order of first use.
 */
export class RouteCollector {
  private readonly byKey = new Map<string, PlanExpectedRouteGroup>();
  private readonly keyOfList = new Map<Family, Map<Hop[], string>>();
  private readonly seenPodCidrs = new Set<string>();
  private readonly vipHops = new Map<string, Hop[]>();
  /** Kernel next hops of VIPs, when some announcer is reached recursively. */
  private readonly vipFib = new Map<string, Hop[]>();

  /** The group `groupOf` gave last for a next-hop list without kernel next hops, with its list and family (consecutive nodes share their list). */
  private lastGroup?: PlanExpectedRouteGroup;
  private lastHops?: Hop[];
  private lastFamily?: Family;

  constructor(private readonly family: (prefix: string) => Family) {}

  has(a: PlanAnnouncement): boolean {
    return a.kind === "vip" ? this.vipHops.has(a.prefix) : this.seenPodCidrs.has(a.prefix);
  }

  /** Add an announcement over `hops`; `fib`: the kernel's next hops when BGP's resolve recursively. */
  add(a: PlanAnnouncement, hops: Hop[], fib?: Hop[]): void {
    if (a.kind !== "vip") {
      if (this.seenPodCidrs.has(a.prefix)) return;
      this.seenPodCidrs.add(a.prefix);
      this.groupOf(a.family, hops, fib).prefixes.push(a.prefix);
      return;
    }
    const cur = this.vipHops.get(a.prefix);
    this.vipHops.set(a.prefix, cur === undefined ? hops : merge(cur, hops));
    const curFib = this.vipFib.get(a.prefix);
    if (fib || curFib) this.vipFib.set(a.prefix, merge(curFib ?? cur ?? [], fib ?? hops));
  }

  /** Every prefix of the shared list `set` but `except` (none collected yet), over `hops`. */
  addSet(family: Family, hops: Hop[], set: string, except: string[]): void {
    const group = this.groupOf(family, hops);
    if (group.set !== undefined) throw new Error(`expected routes: two prefix sets (${group.set}, ${set}) over one next-hop set`);
    group.set = set;
    group.except = except;
  }

  /** Append PodCIDRs known to be unique and not yet collected (one announcer each). */
  addMany(family: Family, hops: Hop[], prefixes: string[]): void {
    if (prefixes.length === 0) return;
    const group = this.groupOf(family, hops);
    // callers guarantee these PodCIDRs are not collected yet and are not looked up again
    if (group.prefixes.length === 0) group.prefixes = prefixes.slice();
    else for (const p of prefixes) group.prefixes.push(p);
  }

  groups(): PlanExpectedRouteGroup[] {
    for (const [prefix, hops] of this.vipHops) this.groupOf(this.family(prefix), hops, this.vipFib.get(prefix)).prefixes.push(prefix);
    return [...this.byKey.values()];
  }

  /** The group of a next-hop list (hops ordered by device name), with kernel next hops when they differ. */
  private groupOf(family: Family, hops: Hop[], fib?: Hop[]): PlanExpectedRouteGroup {
    if (fib !== undefined && !(fib.length === hops.length && fib.every((f) => hops.some((h) => h.address === f.address)))) {
      const ordered = sortHops(hops);
      const orderedFib = sortHops(fib);
      const key = `${family} ${ordered.map((h) => `${h.device}@${h.address}`).join(" ")} fib ${orderedFib.map((h) => `${h.device}@${h.address}`).join(" ")}`;
      let g = this.byKey.get(key);
      if (!g) {
        g = { family, nextHops: ordered.map((h) => h.address), via: ordered.map((h) => h.device), prefixes: [], fibNextHops: orderedFib.map((h) => h.address), fibVia: orderedFib.map((h) => h.device) };
        this.byKey.set(key, g);
      }
      return g;
    }
    if (hops === this.lastHops && family === this.lastFamily) return this.lastGroup!;
    let keys = this.keyOfList.get(family);
    if (keys === undefined) this.keyOfList.set(family, (keys = new Map()));
    let key = keys.get(hops);
    let group: PlanExpectedRouteGroup | undefined;
    if (key === undefined) {
      // one hop (a leaf's own nodes): nothing to order
      const ordered = hops.length === 1 ? hops : [...hops].sort(byDevice);
      key = hopsKey(family, ordered);
      keys.set(hops, key);
      group = this.byKey.get(key);
      if (group === undefined) this.byKey.set(key, (group = { family, nextHops: addressesOf(ordered), via: devicesOf(ordered), prefixes: [] }));
    } else group = this.byKey.get(key)!;
    this.lastHops = hops;
    this.lastFamily = family;
    this.lastGroup = group;
    return group;
  }
}

/**
 * One collector that lives as long as the process. V8 drops a hidden class once no object has it
 * (at a full garbage collection) and throws away the optimized code built for it; no collector
 * outlives its resolve() call, so without this one the collector's methods and `planSwitch` were
 * compiled again at every call. Never used.
 */
export const ROUTE_COLLECTOR_SHAPE = new RouteCollector(() => "ipv4");
