/**
 * Deterministic orderings for rendered configs: plain code-unit string order (never locale
 * dependent) and numeric prefix order (family, network address, length) computed with ip-num (memoized keys).
 */
import { PrefixOrderKey, prefixOrderKey } from "../net/prefix";

/** Code-unit string comparison (same result on every machine and locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders prefixes: IPv4 before IPv6, then by network address, then by prefix length. */
export function comparePrefixes(a: string, b: string): number {
  const ka = prefixOrderKey(a);
  const kb = prefixOrderKey(b);
  if (ka.v4 !== undefined && kb.v4 !== undefined) return ka.v4 - kb.v4;
  return compareOrderKeys(ka, kb);
}

/** `comparePrefixes` on keys from `prefixOrderKey` (for sorting many items by a prefix). */
export function compareOrderKeys(ka: PrefixOrderKey, kb: PrefixOrderKey): number {
  if (ka.v4 !== undefined && kb.v4 !== undefined) return ka.v4 - kb.v4;
  if (ka.family !== kb.family) return ka.family - kb.family;
  if (ka.first !== kb.first) return ka.first < kb.first ? -1 : 1;
  return ka.length - kb.length;
}
