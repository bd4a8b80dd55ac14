/**
 * Deterministic orderings for rendered configs: plain code-unit string order (never locale
 * dependent) and numeric prefix order (family, network address, length) computed with ip-num.
 */
import { familyOf, prefixBounds, prefixLength } from "../net/prefix";

/** Code-unit string comparison (same result on every machine and locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders prefixes: IPv4 before IPv6, then by network address, then by prefix length. */
export function comparePrefixes(a: string, b: string): number {
  const fa = familyOf(a) === "ipv6" ? 1 : 0;
  const fb = familyOf(b) === "ipv6" ? 1 : 0;
  if (fa !== fb) return fa - fb;
  const va = prefixBounds(a).first;
  const vb = prefixBounds(b).first;
  if (va !== vb) return va < vb ? -1 : 1;
  return prefixLength(a) - prefixLength(b);
}
