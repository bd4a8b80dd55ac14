/**
 * The lines of one BGP neighbor in `frr.conf`'s `router bgp`: its settings (remote-as,
 * description, timers, graceful restart, BFD, extended next hop) and its lines in an
 * address-family (activate, policies, limits). Rendered from a flat record of the values they
 * read, so that equal records give the same text: both leaves of a rack render the same lines
 * toward each of the rack's nodes (same address, ASN, filter name and timers), built once.
 */
import { Plan } from "../../plan/types";

/** Everything a neighbor's lines depend on (primitives only: compared value by value). */
export interface NeighborLineInputs {
  /** FRR's name of the neighbor: the remote address, or the local interface of an unnumbered session. */
  key: string;
  unnumbered: boolean;
  remoteAsn: number;
  /** The remote device's name (its description: `node r1n1`, `spine spine1`). */
  remoteDevice: string;
  /** `node`, or the remote switch's role. */
  remoteKind: string;
  /** `timers K H` differs from the instance's. */
  ownTimers: boolean;
  keepalive: number;
  hold: number;
  /** A connect retry other than the `datacenter` profile's default, else undefined. */
  connectRetry: number | undefined;
  /** Graceful restart differs from the instance's: `graceful-restart` or `graceful-restart-disable`, else undefined. */
  gracefulRestart: string | undefined;
  /** The BFD profile's name, or undefined without BFD. */
  bfdProfile: string | undefined;
  extendedNextHop: boolean;
  /** The inbound prefix-list. */
  inList: string;
  /** Outbound policy: `route-map X out` or `prefix-list X out`. */
  outPolicy: string;
  /** Inbound route-map (rack tags), else undefined. */
  inRouteMap: string | undefined;
  maxPrefix: number | undefined;
  allowasIn: number | undefined;
  allowOwnOrigin: boolean;
  nextHopSelf: boolean;
  addPathTxAll: boolean;
  routeReflectorClient: boolean;
}

/** A neighbor's rendered lines, each part joined by newlines (no final one). */
export interface NeighborLines {
  /** In `router bgp`, after the instance's settings: ` !` first. */
  settings: string;
  /** In each address-family the neighbor is activated in (the same lines in every family). */
  addressFamily: string;
}

interface Cached {
  inputs: NeighborLineInputs;
  lines: NeighborLines;
}

/** The last lines rendered per plan and remote device (a rack's second leaf finds the first one's). */
const caches = new WeakMap<Plan, Map<string, Cached>>();

function sameInputs(a: NeighborLineInputs, b: NeighborLineInputs): boolean {
  for (const k in a) if (a[k as keyof NeighborLineInputs] !== b[k as keyof NeighborLineInputs]) return false;
  return true;
}

/** The lines of a neighbor, reused when the last neighbor toward the same remote device had equal inputs. */
export function neighborLines(plan: Plan, inputs: NeighborLineInputs): NeighborLines {
  let cache = caches.get(plan);
  if (cache === undefined) caches.set(plan, (cache = new Map()));
  const hit = cache.get(inputs.remoteDevice);
  if (hit !== undefined && sameInputs(hit.inputs, inputs)) return hit.lines;
  const lines = renderNeighborLines(inputs);
  cache.set(inputs.remoteDevice, { inputs, lines });
  return lines;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** FRR text after `description` or `!`: one line, no control characters (each becomes `?`). */
export function lineText(text: string): string {
  return CONTROL.test(text) ? text.replace(/[\u0000-\u001f\u007f]/g, "?") : text;
}

function renderNeighborLines(i: NeighborLineInputs): NeighborLines {
  const a = i.key;
  let settings = ` !\n${i.unnumbered ? ` neighbor ${a} interface remote-as ${i.remoteAsn}` : ` neighbor ${a} remote-as ${i.remoteAsn}`}\n neighbor ${a} description ${lineText(`${i.remoteKind} ${i.remoteDevice}`)}`;
  if (i.ownTimers) settings += `\n neighbor ${a} timers ${i.keepalive} ${i.hold}`;
  // the `datacenter` profile's connect retry is the default; only a different one is written
  if (i.connectRetry !== undefined) settings += `\n neighbor ${a} timers connect ${i.connectRetry}`;
  if (i.gracefulRestart !== undefined) settings += `\n neighbor ${a} ${i.gracefulRestart}`;
  if (i.bfdProfile !== undefined) settings += `\n neighbor ${a} bfd\n neighbor ${a} bfd profile ${i.bfdProfile}`;
  // RFC 8950: IPv4 routes with an IPv6 next hop (FRR also enables it on interface neighbors by itself)
  if (i.extendedNextHop) settings += `\n neighbor ${a} capability extended-nexthop`;
  let af = `  neighbor ${a} activate\n  neighbor ${a} prefix-list ${i.inList} in\n  neighbor ${a} ${i.outPolicy}`;
  if (i.inRouteMap !== undefined) af += `\n  neighbor ${a} route-map ${i.inRouteMap} in`;
  if (i.maxPrefix !== undefined) af += `\n  neighbor ${a} maximum-prefix ${i.maxPrefix}`;
  if (i.allowasIn !== undefined) af += `\n  neighbor ${a} allowas-in ${i.allowasIn}`;
  if (i.allowOwnOrigin) af += `\n  neighbor ${a} allowas-in origin`;
  if (i.nextHopSelf) af += `\n  neighbor ${a} next-hop-self`;
  if (i.addPathTxAll) af += `\n  neighbor ${a} addpath-tx-all-paths`;
  if (i.routeReflectorClient) af += `\n  neighbor ${a} route-reflector-client`;
  return { settings, addressFamily: af };
}
