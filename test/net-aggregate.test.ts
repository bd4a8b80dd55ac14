/**
 * Prefix aggregation (sdk/net/prefix.ts) and the exact fabric filters built from it
 * (sdk/resolve/underlay.ts): both families in one call, adjacent and nested prefixes merged, gaps
 * kept, one entry group per family and length.
 */
import { strict as assert } from "assert";
import { IPv4 } from "ip-num";
import { aggregate, familyOf } from "../sdk/net/prefix";
import { exactRangesOf } from "../sdk/resolve/underlay";

describe("aggregate() and exactRangesOf()", () => {
  it("merges adjacent and nested prefixes of each family, IPv4 first, and keeps the gaps", () => {
    const input = ["2001:db8:0:1::/64", "10.0.0.128/25", "2001:db8::/64", "10.0.2.0/24", "10.0.0.0/25", "10.0.0.0/26", "2001:db8:0:3::/64"];
    assert.deepEqual(aggregate(input), ["10.0.0.0/24", "10.0.2.0/24", "2001:db8::/63", "2001:db8:0:3::/64"]);
  });

  it("cuts an unaligned merged range into the fewest CIDRs", () => {
    assert.deepEqual(aggregate(["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24"]), ["10.0.1.0/24", "10.0.2.0/23", "10.0.4.0/24"]);
  });

  it("IPv4: the fewest aligned CIDRs of any range, at the ends of the address space too (against a reference cut)", () => {
    // reference: from the range's start, the longest aligned block that stays inside, by arithmetic on numbers
    const cut = (first: number, last: number): string[] => {
      const out: string[] = [];
      for (let cur = first; cur <= last; ) {
        let len = 32;
        while (len > 0 && cur % 2 ** (33 - len) === 0 && cur + 2 ** (33 - len) - 1 <= last) len--;
        out.push(`${IPv4.fromNumber(BigInt(cur)).toString()}/${len}`);
        cur += 2 ** (32 - len);
      }
      return out;
    };
    const top = 2 ** 32 - 1;
    const ranges: [number, number][] = [[0, top], [0, 0], [top, top], [2 ** 31, top], [2 ** 31 - 1, 2 ** 31], [1, top - 1], [0, 2 ** 31 - 1]];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const first = Math.floor(random() * 2 ** 32);
      ranges.push([first, Math.min(top, first + Math.floor(random() * 2 ** Math.floor(random() * 33)))]);
    }
    for (const [first, last] of ranges) {
      const want = cut(first, last);
      // the range's own cut, merged again and cut again by aggregate(): the same blocks
      assert.deepEqual(aggregate(want), want, `${first}-${last}`);
    }
  });

  it("exact ranges group per family and length (IPv6 lengths apart from IPv4)", () => {
    const entries = exactRangesOf(["10.0.0.0/25", "10.0.0.128/25", "2001:db8::/64", "2001:db8:0:1::/64", "10.1.0.1/32"], (p) => familyOf(p)!);
    assert.deepEqual(
      entries.map((e) => `${e.family} ${e.prefix} ${e.ge}-${e.le}`),
      ["ipv4 10.0.0.0/24 25-25", "ipv4 10.1.0.1/32 32-32", "ipv6 2001:db8::/63 64-64"],
    );
  });
});
