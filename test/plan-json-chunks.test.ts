/**
 * plan.json in pieces (`jsonChunks`): byte for byte `JSON.stringify(value, null, 2)` however the
 * value is split: runs of small array elements stringified together at their nesting depth, large
 * members walked, and what JSON.stringify drops or nulls (undefined, functions) and `toJSON`.
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { jsonChunks } from "../sdk/cli/output";

const same = (v: unknown) => assert.equal([...jsonChunks(v)].join(""), JSON.stringify(v, null, 2) + "\n");

describe("plan.json pieces", () => {
  it("equal JSON.stringify for small values of every kind", () => {
    fc.assert(fc.property(fc.jsonValue(), same), { numRuns: 300 });
    for (const v of [[], {}, [[]], { a: [] }, [undefined, () => 1, null, "x"], { u: undefined, f: () => 1, d: new Date(0) }]) same(v);
  });

  it("equal JSON.stringify when arrays and objects over the whole-value limit are split, at every depth", () => {
    // 50,000 small elements (split into runs), a member too large for one run among small ones,
    // arrays nested three deep inside a large object, strings with newlines and quotes
    same(Array.from({ length: 50_000 }, (_, i) => ({ i, s: [i, { t: 'a\n"b' }], d: new Date(i), u: undefined, f: i % 2 ? () => i : undefined })));
    same({ big: Array.from({ length: 30_000 }, (_, i) => (i % 9_999 === 0 ? Array.from({ length: 25_000 }, (_, j) => (j % 3 ? j : [j, null])) : { i })) });
    same([Array.from({ length: 25_000 }, (_, i) => [[i], [], {}])]);
    same({ a: { b: { c: Array.from({ length: 45_000 }, (_, i) => [`${i}`]) } }, tail: [1] });
  });
});
