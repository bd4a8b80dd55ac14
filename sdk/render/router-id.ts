/**
 * BGP router ids are 32-bit values written as dotted quads, in BIRD and FRR alike. An IPv4
 * address is its own router id; an IPv6-only device uses the low 32 bits of its address.
 */
import { IPv4, IPv6 } from "ip-num";
import { familyOf } from "../net/prefix";

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
  const id = family === "ipv4" ? IPv4.fromString(address) : IPv4.fromNumber(IPv6.fromString(address).getValue() & 0xffffffffn);
  if (id.getValue() === 0n) throw new Error(`router id derived from ${address} is 0.0.0.0, which BGP does not allow`);
  return id.toString();
}
