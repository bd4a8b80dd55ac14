/**
 * BGP router ids are 32-bit values written as dotted quads, in BIRD and FRR alike. An IPv4
 * address is its own router id; an IPv6-only device uses the low 32 bits of its address.
 */
import { IPv4, IPv6 } from "ip-num";
import { familyOf, ParsedIPv4, parsedIPv4 } from "../net/prefix";

/** The dotted-quad router id for a device whose plan `routerId` is `address`. Throws when it would be 0.0.0.0. */
export function routerId32(address: string): string {
  const hit = routerIds.get(address);
  if (hit !== undefined) return hit;
  const id = computeRouterId32(address);
  if (routerIds.size >= 500_000) routerIds.clear();
  routerIds.set(address, id);
  return id;
}

/** Router ids already derived (ip-num parses through binary strings; every node's config asks once per render). */
const routerIds = new Map<string, string>();

function computeRouterId32(address: string): string {
  const family = familyOf(address);
  if (family === undefined) throw new Error(`router id ${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
  // an IPv4 address is its own id: ip-num's parse, kept since familyOf (validation) made it
  const id = family === "ipv4" ? (parsedIPv4(address) ?? ipv4Of(address)) : lowBits(address);
  if (id.value === 0n) throw new Error(`router id derived from ${address} is 0.0.0.0, which BGP does not allow`);
  return id.text;
}

/** `IPv4.fromString` (what is not a plain address, e.g. a prefix, throws ip-num's error). */
function ipv4Of(address: string): ParsedIPv4 {
  const id = IPv4.fromString(address);
  return { value: id.getValue(), text: id.toString() };
}

/** The low 32 bits of an IPv6 address as an IPv4 address. */
function lowBits(address: string): ParsedIPv4 {
  const id = IPv4.fromNumber(IPv6.fromString(address).getValue() & 0xffffffffn);
  return { value: id.getValue(), text: id.toString() };
}
