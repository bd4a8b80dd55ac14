/**
 * Prefix aggregation (sdk/net/prefix.ts) and the exact fabric filters built from it
 * (sdk/resolve/underlay.ts): both families in one call, adjacent and nested prefixes merged, gaps
 * kept, one entry group per family and length.
 */
import { strict as assert } from "assert";
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

  it("exact ranges group per family and length (IPv6 lengths apart from IPv4)", () => {
    const entries = exactRangesOf(["10.0.0.0/25", "10.0.0.128/25", "2001:db8::/64", "2001:db8:0:1::/64", "10.1.0.1/32"], (p) => familyOf(p)!);
    assert.deepEqual(
      entries.map((e) => `${e.family} ${e.prefix} ${e.ge}-${e.le}`),
      ["ipv4 10.0.0.0/24 25-25", "ipv4 10.1.0.1/32 32-32", "ipv6 2001:db8::/63 64-64"],
    );
  });
});
