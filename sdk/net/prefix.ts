/**
 * Family-aware address and prefix helpers. Every computation goes through ip-num; this file
 * only adapts its API to the plan's string representation.
 */
import { collapseIPv6Number, IPv4, IPv4CidrRange, IPv6, IPv6CidrRange, Validator } from "ip-num";
import { Family } from "../plan/types";

/** A parsed prefix of either family. */
export type CidrRange = IPv4CidrRange | IPv6CidrRange;

/**
 * Memoize a pure function of a string. ip-num parses through binary strings (~15 µs a call) and a
 * data center asks about the same pools, networks and addresses thousands of times. Bounded: the
 * cache is dropped when it grows past `limit` entries.
 */
function memo<T>(fn: (text: string) => T, limit = 500_000): Memo<T> {
  const cache = new Map<string, T>();
  const get = (text: string) => {
    const hit = cache.get(text);
    if (hit !== undefined || cache.has(text)) return hit as T;
    const value = fn(text);
    if (cache.size >= limit) cache.clear();
    cache.set(text, value);
    return value;
  };
  return Object.assign(get, {
    seed(text: string, value: T) {
      if (cache.size >= limit) cache.clear();
      cache.set(text, value);
    },
  });
}

/** A memoized function, and `seed` to store a value already known (what `fn` would return). */
type Memo<T> = ((text: string) => T) & { seed(text: string, value: T): void };

/**
 * The characters an address may hold, checked before ip-num sees it: ip-num accepts an IPv6
 * zone id (`fe80::1%eth0`) as an address and crashes on one in a prefix, and a zone id (or any
 * other suffix) would be copied as it is into bird.conf and frr.conf.
 */
const IPV4_TEXT = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6_TEXT = /^[0-9A-Fa-f:.]{2,45}$/;
/** A prefix length: decimal, no sign, no leading zero. */
const LENGTH_TEXT = /^(0|[1-9]\d{0,2})$/;

/** An IPv4 address as ip-num parsed it: its value and its canonical text (ip-num's `toString()`). */
export interface ParsedIPv4 {
  value: bigint;
  text: string;
}

/**
 * ip-num's parse of a plain IPv4 address text (`IPv4.fromString`, which validates it as
 * `Validator.isValidIPv4String` does), or undefined when it is not one. Memoized, so that one
 * parse answers an address's family, value, canonical text and router id (validation and
 * resolve ask each of them for every node address: 100,000 nodes, ~4 ip-num parses each).
 */
const parsedIPv4Memo = memo((address: string): ParsedIPv4 | undefined => {
  if (typeof address !== "string" || !IPV4_TEXT.test(address)) return undefined;
  try {
    const ip = IPv4.fromString(address);
    return { value: ip.getValue(), text: ip.toString() };
  } catch {
    return undefined; // not a valid IPv4 address
  }
});
export const parsedIPv4: (address: string) => ParsedIPv4 | undefined = parsedIPv4Memo;

/** Family of an address or prefix string, or undefined if it is neither. */
const familyMemo = memo((text: string): Family | undefined => {
  if (typeof text !== "string") return undefined;
  const slash = text.indexOf("/");
  // a plain address: its parse is kept for its value and canonical text
  if (slash < 0 && IPV4_TEXT.test(text)) return parsedIPv4(text) ? "ipv4" : undefined;
  const addr = slash < 0 ? text : text.slice(0, slash);
  try {
    if (IPV4_TEXT.test(addr) && Validator.isValidIPv4String(addr)[0]) return "ipv4";
    if (IPV6_TEXT.test(addr) && addr.includes(":") && Validator.isValidIPv6String(addr)[0]) return "ipv6";
  } catch {
    // ip-num throws on some malformed input instead of answering false
  }
  return undefined;
});
export const familyOf: (text: string) => Family | undefined = familyMemo;

/** Why `text` is not a canonical prefix (host bits zero), or undefined if it is one. */
export function prefixProblem(text: string): string | undefined {
  if (typeof text !== "string" || !text.includes("/")) return "is not a prefix in address/length notation";
  return prefixProblemOf(text);
}

const prefixProblemOf = memo((text: string): string | undefined => {
  const family = familyOf(text);
  if (!family) return text.includes("%") ? "is not a valid IPv4 or IPv6 prefix (no zone id)" : "is not a valid IPv4 or IPv6 prefix";
  const parts = text.split("/");
  if (parts.length !== 2 || !LENGTH_TEXT.test(parts[1])) return "is not a valid prefix";
  try {
    const [ok, messages] =
      family === "ipv4" ? Validator.isValidIPv4CidrRange(text) : Validator.isValidIPv6CidrRange(text);
    if (!ok) return messages.join("; ").includes("start of the range") ? "has host bits set" : "is not a valid prefix";
  } catch {
    return "is not a valid prefix";
  }
  return undefined;
});

/** Why `text` is not a plain address, or undefined if it is one. */
export function addressProblem(text: string): string | undefined {
  if (typeof text !== "string" || text.includes("/")) return "is not a plain address";
  if (text.includes("%")) return "is not a plain address (no zone id: a node or switch address is global)";
  return familyOf(text) ? undefined : "is not a valid IPv4 or IPv6 address";
}

/** Parse a canonical prefix (throws on invalid input; validate first). The result is shared: do not mutate it. */
export const parsePrefix: (text: string) => CidrRange = memo((text) =>
  familyOf(text) === "ipv6" ? IPv6CidrRange.fromCidr(text) : IPv4CidrRange.fromCidr(text),
);

/** First and last address values of a prefix (ip-num builds new objects on every getFirst()). */
const boundsMemo = memo((text) => {
  const range = parsePrefix(text);
  return { first: range.getFirst().getValue(), last: range.getLast().getValue() };
});
export const prefixBounds: (text: string) => { first: bigint; last: bigint } = boundsMemo;

/** Numeric value of an address (an IPv4 one from its memoized parse). */
function addressValue(address: string): bigint {
  return parsedIPv4(address)?.value ?? ipv6Value(address);
}
const ipv6Value = memo((address: string): bigint => IPv6.fromString(address).getValue());

/** The canonical text of a valid address (IPv6 lower-case and compressed): `2001:DB8:0::1` and `2001:db8::1` are one address. */
export function canonicalAddress(address: string): string {
  return parsedIPv4(address)?.text ?? canonicalIPv6(address);
}
const canonicalIPv6 = memo((address: string): string => formatAddress(`ipv6 ${ipv6Value(address)}`));

/** Prefix length of a prefix string. */
const lengthMemo = memo((text) => Number(parsePrefix(text).cidrPrefix.getValue()));
export const prefixLength: (text: string) => number = lengthMemo;

/**
 * The sort key of a prefix: family (0 IPv4, 1 IPv6), network address, length; for IPv4 also one
 * number (`first × 256 + length`) so that the common comparison is one subtraction.
 */
export interface PrefixOrderKey {
  family: 0 | 1;
  first: bigint;
  length: number;
  /** IPv4 only: `first × 256 + length` (below 2^40, exact as a double). */
  v4?: number;
}

/** The order key of a prefix (memoized; throws on an invalid prefix, like `prefixBounds`). */
export const prefixOrderKey: (text: string) => PrefixOrderKey = memo((text) => {
  const family = familyOf(text) === "ipv6" ? 1 : 0;
  const first = prefixBounds(text).first;
  const length = prefixLength(text);
  return family === 0 ? { family, first, length, v4: Number(first) * 256 + length } : { family, first, length };
});

/** Number of addresses in a prefix. */
export function sizeOf(text: string): bigint {
  return parsePrefix(text).getSize();
}

/** An address object whose toString() is canonical (IPv6 compressed). */
function addressFromValue(family: Family, value: bigint): { toString(): string } {
  if (family === "ipv4") return IPv4.fromNumber(value);
  const v6 = IPv6.fromBigInt(value);
  return { toString: () => collapseIPv6Number(v6.toString()) };
}

/** Format an address value of a family (memoized: allocations ask for the same addresses again). */
const formatAddress = memo((key: string): string => {
  const [family, value] = key.split(" ");
  return addressFromValue(family as Family, BigInt(value)).toString();
});

/**
 * Results of `nthSubnet` / `nthAddress` by parent, length (0 for an address) and index: an
 * allocation asks for the same subnet of the same pool again and again (validate, resolve), and
 * number keys are cheaper than formatting the address value. Bounded like `memo`.
 */
const nthCache = new Map<string, Map<number, Map<number, string | undefined>>>();
let nthCached = 0;

function nthTable(parent: string, length: number): Map<number, string | undefined> {
  if (nthCached >= 400_000) {
    nthCache.clear();
    nthCached = 0;
  }
  let byLength = nthCache.get(parent);
  if (byLength === undefined) nthCache.set(parent, (byLength = new Map()));
  let byIndex = byLength.get(length);
  if (byIndex === undefined) byLength.set(length, (byIndex = new Map()));
  return byIndex;
}

/** The `index`-th subnet of length `length` inside `parent` (0-based), or undefined past the end (or for a non-integer index). */
export function nthSubnet(parent: string, length: number, index: number): string | undefined {
  const table = nthTable(parent, length);
  let value = table.get(index);
  if (value === undefined && !table.has(index)) {
    table.set(index, (value = computeNthSubnet(parent, length, index)));
    nthCached++;
  }
  return value;
}

function computeNthSubnet(parent: string, length: number, index: number): string | undefined {
  const family = familyOf(parent)!;
  const bits = family === "ipv4" ? 32 : 128;
  const parentLen = prefixLength(parent);
  if (length < parentLen || length > bits || index < 0 || !Number.isInteger(index)) return undefined;
  const count = 1n << BigInt(length - parentLen);
  if (BigInt(index) >= count) return undefined;
  const step = 1n << BigInt(bits - length);
  const first = prefixBounds(parent).first + BigInt(index) * step;
  const cidr = `${formatAddress(`${family} ${first}`)}/${length}`;
  // what parsing it would give (ip-num parses a prefix in ~20–60 µs: 100,000 allocated PodCIDRs
  // are validated, swept for overlaps and resolved)
  boundsMemo.seed(cidr, { first, last: first + step - 1n });
  lengthMemo.seed(cidr, length);
  familyMemo.seed(cidr, family);
  return cidr;
}

/** How many subnets of `length` fit in `parent`. */
export function subnetCapacity(parent: string, length: number): bigint {
  const parentLen = prefixLength(parent);
  if (length < parentLen) return 0n;
  return 1n << BigInt(length - parentLen);
}

/** The `index`-th address of `parent` (0 = network address), or undefined past the end (or for a non-integer index). */
export function nthAddress(parent: string, index: number): string | undefined {
  const table = nthTable(parent, 0);
  let value = table.get(index);
  if (value === undefined && !table.has(index)) {
    table.set(index, (value = computeNthAddress(parent, index)));
    nthCached++;
  }
  return value;
}

function computeNthAddress(parent: string, index: number): string | undefined {
  const { first, last } = prefixBounds(parent);
  if (index < 0 || !Number.isInteger(index) || first + BigInt(index) > last) return undefined;
  const family = familyOf(parent)!;
  const value = first + BigInt(index);
  const text = formatAddress(`${family} ${value}`);
  // what parsing it would give (the rack peers' and fabric links' addresses are parsed again)
  if (family === "ipv4") {
    parsedIPv4Memo.seed(text, { value, text });
    familyMemo.seed(text, family);
  }
  return text;
}

/** Offset of `address` inside `parent`, or undefined if outside. */
export function offsetIn(parent: string, address: string): number | undefined {
  if (!containsAddress(parent, address)) return undefined;
  return Number(addressValue(address) - prefixBounds(parent).first);
}

/** True when `address` lies in `prefix` (same family). */
export function containsAddress(prefix: string, address: string): boolean {
  if (familyOf(prefix) !== familyOf(address)) return false;
  const { first, last } = prefixBounds(prefix);
  const value = addressValue(address);
  return value >= first && value <= last;
}

/** True when `inner` lies inside (or equals) `outer`. */
export function prefixInside(inner: string, outer: string): boolean {
  if (familyOf(inner) !== familyOf(outer)) return false;
  const i = prefixBounds(inner);
  const o = prefixBounds(outer);
  return i.first >= o.first && i.last <= o.last;
}

/** True when two prefixes share at least one address. */
export function prefixesOverlap(a: string, b: string): boolean {
  if (familyOf(a) !== familyOf(b)) return false;
  const x = prefixBounds(a);
  const y = prefixBounds(b);
  return x.first <= y.last && y.first <= x.last;
}

/** Every address of a prefix as host prefixes (/32 or /128). Callers bound the size. */
export function hostPrefixes(prefix: string): string[] {
  const family = familyOf(prefix)!;
  const hostLen = family === "ipv4" ? 32 : 128;
  const out: string[] = [];
  const size = Number(sizeOf(prefix));
  for (let i = 0; i < size; i++) out.push(`${nthAddress(prefix, i)}/${hostLen}`);
  return out;
}

/** Host prefix length of a family. */
export function hostLength(family: Family): number {
  return family === "ipv4" ? 32 : 128;
}

/** Aggregate prefixes into the fewest covering CIDRs (exact cover, no extra space), IPv4 first. */
export function aggregate(prefixes: string[]): string[] {
  const out: string[] = [];
  // one pass splits the families; the bounds objects are memoized and shared: only read here
  const v4: { first: number; last: number }[] = [];
  const v6: { first: bigint; last: bigint }[] = [];
  for (const p of prefixes) {
    const family = familyOf(p);
    if (family === "ipv4") v4.push(v4Bounds(p));
    else if (family === "ipv6") v6.push(prefixBounds(p));
  }
  aggregateV4(v4, out);
  const ranges = v6.sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : 0));
  // merge overlapping or adjacent ranges, then cut each merged range into CIDRs
  let cur: { first: bigint; last: bigint } | undefined;
  for (const r of ranges) {
    if (cur && r.first <= cur.last + 1n) {
      if (r.last > cur.last) cur.last = r.last;
      continue;
    }
    if (cur) out.push(...rangeToCidrs(cur.first, cur.last, "ipv6"));
    cur = { ...r };
  }
  if (cur) out.push(...rangeToCidrs(cur.first, cur.last, "ipv6"));
  return out;
}

/**
 * IPv4 bounds as numbers (below 2^32: exact as doubles), memoized: IPv4 aggregation runs on
 * numbers instead of bigints (a data center aggregates its rack networks and loopbacks per peer).
 */
const v4Bounds = memo((text: string): { first: number; last: number } => {
  const { first, last } = prefixBounds(text);
  return { first: Number(first), last: Number(last) };
});

/**
 * `A.B.C.D/len` of an IPv4 network value and length, memoized by number (ip-num formats each
 * address once); equal prefixes are one shared string.
 */
const v4CidrCache = new Map<number, string>();
function v4Cidr(value: number, length: number): string {
  const key = value * 64 + length;
  let text = v4CidrCache.get(key);
  if (text === undefined) {
    if (v4CidrCache.size >= 500_000) v4CidrCache.clear();
    v4CidrCache.set(key, (text = `${formatAddress(`ipv4 ${value}`)}/${length}`));
  }
  return text;
}

/** Append the fewest CIDRs covering exactly the union of IPv4 ranges (sorted here; `ranges` is reordered, its objects only read). */
function aggregateV4(ranges: { first: number; last: number }[], out: string[]): void {
  if (ranges.length === 0) return;
  let sorted = true;
  for (let i = 1; i < ranges.length && sorted; i++) sorted = ranges[i - 1].first <= ranges[i].first;
  if (!sorted) ranges.sort((x, y) => x.first - y.first);
  let first = ranges[0].first;
  let last = ranges[0].last;
  for (let i = 1; i < ranges.length; i++) {
    const r = ranges[i];
    if (r.first <= last + 1) {
      if (r.last > last) last = r.last;
      continue;
    }
    rangeToCidrsV4(first, last, out);
    first = r.first;
    last = r.last;
  }
  rangeToCidrsV4(first, last, out);
}

/** Cut the IPv4 range [first, last] into the fewest aligned CIDRs, appended to `out` (numbers below 2^32: exact). */
function rangeToCidrsV4(first: number, last: number, out: string[]): void {
  let cur = first;
  while (cur <= last) {
    // the largest block aligned at cur (its lowest set bit; 0 is aligned to every size), then
    // halved until it ends inside the range: integer bit operations, no floating-point modulo
    const bit = (cur & -cur) >>> 0;
    let size = bit === 0 ? 2 ** 32 : bit;
    while (cur + size - 1 > last) size /= 2;
    // size = 2^k: the prefix length is 32 - k
    const len = size === 2 ** 32 ? 0 : Math.clz32(size) + 1;
    out.push(v4Cidr(cur, len));
    cur += size;
  }
}

function rangeToCidrs(first: bigint, last: bigint, family: Family): string[] {
  const bits = family === "ipv4" ? 32 : 128;
  const out: string[] = [];
  let cur = first;
  while (cur <= last) {
    let len = bits;
    // grow the block while aligned and inside the range
    while (len > 0) {
      const size = 1n << BigInt(bits - len + 1);
      if (cur % size !== 0n || cur + size - 1n > last) break;
      len--;
    }
    out.push(`${formatAddress(`${family} ${cur}`)}/${len}`);
    cur += 1n << BigInt(bits - len);
  }
  return out;
}

/**
 * The fewest CIDRs covering `block` without `inner` (a prefix inside it), in address order: what
 * `aggregate()` gives for the addresses of `block` that are not in `inner`. Empty when they are
 * equal; `[block]` when `inner` is not inside it.
 */
export function withoutPrefix(block: string, inner: string): string[] {
  if (!prefixInside(inner, block)) return [block];
  const b = prefixBounds(block);
  const i = prefixBounds(inner);
  const out: string[] = [];
  if (familyOf(block) === "ipv4") {
    if (i.first > b.first) rangeToCidrsV4(Number(b.first), Number(i.first) - 1, out);
    if (i.last < b.last) rangeToCidrsV4(Number(i.last) + 1, Number(b.last), out);
    return out;
  }
  if (i.first > b.first) out.push(...rangeToCidrs(b.first, i.first - 1n, "ipv6"));
  if (i.last < b.last) out.push(...rangeToCidrs(i.last + 1n, b.last, "ipv6"));
  return out;
}

/** The smallest single prefix covering every given prefix (same family). */
export function coveringPrefix(prefixes: string[]): string | undefined {
  if (prefixes.length === 0) return undefined;
  const family = familyOf(prefixes[0])!;
  const candidate = prefixes[0];
  let len = prefixLength(candidate);
  const first = parsePrefix(candidate).getFirst().toString();
  while (len >= 0) {
    const widened = parsePrefix(`${first}/${len}`);
    // canonical text (ip-num writes IPv6 uncompressed: 2001:db8:1000:0:0:0:0:0)
    const text = `${addressFromValue(family, widened.getFirst().getValue()).toString()}/${len}`;
    if (prefixes.every((p) => familyOf(p) === family && prefixInside(p, text))) return text;
    len--;
  }
  return candidate;
}
