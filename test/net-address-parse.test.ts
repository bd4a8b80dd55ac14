/**
 * One ip-num parse per IPv4 address (`parsedIPv4`) answers its family, value, canonical text and
 * router id, and `nthAddress` stores what parsing its addresses would give: all of it must be
 * exactly what ip-num answers when asked directly.
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { IPv4, Validator } from "ip-num";
import { addressProblem, canonicalAddress, containsAddress, familyOf, nthAddress, offsetIn, parsedIPv4 } from "../sdk/net/prefix";
import { routerId32 } from "../sdk/render/router-id";

/** IPv4-looking texts: valid ones, leading zeros, octets past 255, too few or many parts. */
const ipv4ish = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join(".")),
  fc.array(fc.oneof(fc.nat(300).map(String), fc.constantFrom("0", "00", "01", "010", "255", "256", "")), { minLength: 3, maxLength: 5 }).map((o) => o.join(".")),
);

function ipNum(text: string): { valid: boolean; value?: bigint; text?: string } {
  let valid = false;
  try {
    valid = Validator.isValidIPv4String(text)[0];
  } catch {
    valid = false;
  }
  if (!valid) return { valid };
  const ip = IPv4.fromString(text);
  return { valid, value: ip.getValue(), text: ip.toString() };
}

describe("IPv4 addresses parsed once", () => {
  it("family, validity, value, canonical text and router id are ip-num's", () => {
    fc.assert(
      fc.property(ipv4ish, (text) => {
        const want = ipNum(text);
        assert.equal(familyOf(text), want.valid ? "ipv4" : undefined, text);
        assert.equal(addressProblem(text) === undefined, want.valid, text);
        const parsed = parsedIPv4(text);
        if (!want.valid) return assert.equal(parsed, undefined, text);
        assert.deepEqual(parsed, { value: want.value, text: want.text }, text);
        assert.equal(canonicalAddress(text), want.text, text);
        assert.equal(offsetIn("0.0.0.0/0", text), Number(want.value), text);
        if (want.value === 0n) assert.throws(() => routerId32(text), /0\.0\.0\.0/);
        else assert.equal(routerId32(text), want.text, text);
      }),
      { numRuns: 3000 },
    );
  });

  it("what nthAddress stores for its addresses is what ip-num parses from them", () => {
    const parents = ["198.18.0.0/15", "10.0.0.0/8", "172.16.0.128/25", "192.168.1.0/31"];
    fc.assert(
      fc.property(fc.constantFrom(...parents), fc.double({ min: 0, max: 1, noNaN: true }), (parent, at) => {
        const size = 2 ** (32 - Number(parent.split("/")[1]));
        const a = nthAddress(parent, Math.min(size - 1, Math.floor(at * size)))!;
        const want = ipNum(a);
        assert.ok(want.valid, a);
        assert.deepEqual(parsedIPv4(a), { value: want.value, text: want.text }, a);
        assert.equal(familyOf(a), "ipv4", a);
        assert.ok(containsAddress(parent, a), a);
      }),
      { numRuns: 1000 },
    );
  });
});
