/**
 * Overlap detection over many prefixes by sort-and-sweep, instead of comparing every pair:
 * O(n log n + k) for n prefixes and k overlapping pairs. Parsing goes through ./prefix (ip-num),
 * and every candidate pair is confirmed with `prefixesOverlap`, so the answer is exactly the one
 * the nested loop gives.
 */
import { familyOf, prefixBounds, prefixesOverlap } from "./prefix";

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
    list.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.index - b.index));
    // intervals still open at the current start: each of them contains that start, so overlaps
    let active: Interval[] = [];
    for (const cur of list) {
      active = active.filter((a) => a.last >= cur.first);
      for (const a of active) {
        const [i, j] = a.index < cur.index ? [a.index, cur.index] : [cur.index, a.index];
        if (prefixesOverlap(prefixes[i], prefixes[j])) pairs.push([i, j]);
      }
      active.push(cur);
    }
  }
  return pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
}
