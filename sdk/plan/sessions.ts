/**
 * What a planned session carries and how a BGP speaker names its neighbor. A session's `family`
 * is its transport (the ends' addresses); `families` lists what it carries when that is more or
 * other than the transport's family (an unnumbered fabric session carries IPv4 and IPv6 over
 * IPv6 link-local addresses; a node session may carry both families over one transport).
 */
import { Family, PlanSession, PlanSessionEnd } from "./types";

const ORDER: Family[] = ["ipv4", "ipv6"];

/** The address families a session carries, IPv4 first. */
export function sessionFamilies(s: Pick<PlanSession, "family" | "families">): Family[] {
  return s.families && s.families.length > 0 ? ORDER.filter((f) => s.families!.includes(f)) : [s.family];
}

/** True when the session carries routes of `family`. */
export function carries(s: Pick<PlanSession, "family" | "families">, family: Family): boolean {
  return s.families && s.families.length > 0 ? s.families.includes(family) : s.family === family;
}

/**
 * How the device at end `local` names the other end's BGP neighbor: its interface for an
 * unnumbered session (FRR `neighbor fab3 interface`, `show bgp summary` lists it as `fab3`),
 * else the remote address.
 */
export function neighborKey(s: Pick<PlanSession, "unnumbered">, local: Pick<PlanSessionEnd, "interface">, remote: Pick<PlanSessionEnd, "address">): string {
  return s.unnumbered ? local.interface : remote.address;
}

/** The link-local address the plan gives every fabric interface of switch `id` on an unnumbered fabric. */
export const UNNUMBERED_LINK_PREFIX = "fe80::/64";
