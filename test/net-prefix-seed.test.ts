/**
 * `nthSubnet` stores the bounds and length of the prefixes it formats (so 100,000 allocated
 * PodCIDRs are not parsed again): they must be exactly what ip-num parses.
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { IPv4CidrRange, IPv6CidrRange } from "ip-num";
import { nthSubnet, prefixBounds, prefixLength } from "../sdk/net/prefix";

describe("nthSubnet's known bounds", () => {
  it("equal ip-num's parse of the prefix, both families", () => {
    const parents: [string, number, number][] = [
      ["10.0.0.0/8", 25, 2 ** 17],
      ["172.16.0.0/12", 32, 2 ** 20],
      ["192.168.0.0/16", 16, 1],
      ["2001:db8::/32", 64, 2 ** 32],
      ["2001:db8:1000::/48", 127, 2 ** 40],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: parents.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (pi, at) => {
        const [parent, length, count] = parents[pi];
        const p = nthSubnet(parent, length, Math.min(count - 1, Math.floor(at * count)))!;
        const range = p.includes(":") ? IPv6CidrRange.fromCidr(p) : IPv4CidrRange.fromCidr(p);
        assert.deepEqual(prefixBounds(p), { first: range.getFirst().getValue(), last: range.getLast().getValue() }, p);
        assert.equal(prefixLength(p), length, p);
      }),
      { numRuns: 500 },
    );
  });
});
