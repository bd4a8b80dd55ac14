/**
 * Overlap detection over many prefixes by sort-and-sweep, instead of comparing every pair:
 * O(n log n + k) for n prefixes and k overlapping pairs. Parsing goes through ./prefix (ip-num),
 * and every candidate pair is confirmed with `prefixesOverlap`, so the answer is exactly the one
 * the nested loop gives.
 */
import { familyOf, prefixBounds, prefixesOverlap, prefixOrderKey } from "./prefix";

interface Interval {
  index: number;
  first: bigint;
  last: bigint;
}

/**
 * Every pair `[i, j]` (i < j) of overlapping prefixes, ordered by i then j: the same pairs, in
 * the same order, as `for i, for j > i: if prefixesOverlap(p[i], p[j])`. Prefixes must be valid.
 */
export function overlappingPairs(prefixes: string[]): [number, number][] {
  const byFamily = new Map<string, Interval[]>();
  prefixes.forEach((p, index) => {
    const family = familyOf(p) ?? "?";
    const range = prefixBounds(p);
    const list = byFamily.get(family) ?? [];
    list.push({ index, first: range.first, last: range.last });
    byFamily.set(family, list);
  });
  const pairs: [number, number][] = [];
  for (const list of byFamily.values()) {
    list.sort(byStart);
    // intervals still open at the current start: each of them contains that start, so overlaps
    const active: Interval[] = [];
    for (const cur of list) {
      // drop the intervals that ended before this start (in place, order kept)
      let kept = 0;
      for (const a of active) if (a.last >= cur.first) active[kept++] = a;
      active.length = kept;
      for (const a of active) {
        const [i, j] = a.index < cur.index ? [a.index, cur.index] : [cur.index, a.index];
        if (prefixesOverlap(prefixes[i], prefixes[j])) pairs.push([i, j]);
      }
      active.push(cur);
    }
  }
  return pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}

/** For a prefix that overlaps an earlier one: the first (lowest index) of them, and how many others overlap it. */
export interface EarlierOverlap {
  /** Index of the prefix. */
  index: number;
  /** Lowest index of an earlier prefix overlapping it. */
  first: number;
  /** How many other prefixes (earlier or later) overlap it, besides `first`. */
  others: number;
}

/**
 * Every prefix that overlaps an earlier one, with the first such prefix: one entry per prefix,
 * so the answer stays linear even when thousands of prefixes are identical (which would give
 * millions of pairs). Identical prefixes are grouped first; distinct CIDRs nest at most 129 deep,
 * so the pairs between groups are O(129 n). Ordered by index. Prefixes must be valid.
 */
export function earlierOverlaps(prefixes: string[]): EarlierOverlap[] {
  // identical prefixes: same family, network address and length (IPv4 keyed by one number)
  const v4Group = new Map<number, number>();
  const v6Group = new Map<string, number>();
  const groups: number[][] = []; // member indices, ascending
  const groupOf: number[] = [];
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i];
    const k = prefixOrderKey(p);
    let g = k.v4 !== undefined ? v4Group.get(k.v4) : v6Group.get(`${k.first} ${k.length}`);
    if (g === undefined) {
      g = groups.length;
      if (k.v4 !== undefined) v4Group.set(k.v4, g);
      else v6Group.set(`${k.first} ${k.length}`, g);
      groups.push([]);
    }
    groups[g].push(i);
    groupOf.push(g);
  }
  // per group: the lowest first member of the groups overlapping it, and their total size
  const relatedFirst = groups.map(() => Infinity);
  const relatedSize = groups.map(() => 0);
  for (const [a, b] of overlappingPairs(groups.map((g) => prefixes[g[0]]))) {
    relatedFirst[a] = Math.min(relatedFirst[a], groups[b][0]);
    relatedFirst[b] = Math.min(relatedFirst[b], groups[a][0]);
    relatedSize[a] += groups[b].length;
    relatedSize[b] += groups[a].length;
  }
  const out: EarlierOverlap[] = [];
  prefixes.forEach((_, j) => {
    const g = groupOf[j];
    const own = groups[g][0];
    const first = own < j ? Math.min(own, relatedFirst[g]) : relatedFirst[g];
    if (first < j) out.push({ index: j, first, others: groups[g].length - 1 + relatedSize[g] - 1 });
  });
  return out;
}

/** Intervals by start, then input position (a module-level function: V8 keeps a closure's optimized code only while one lives). */
function byStart(a: Interval, b: Interval): number {
  return a.first < b.first ? -1 : a.first > b.first ? 1 : a.index - b.index;
}
