/**
 * `bgp.nodeSessions: ipv4` / `ipv6`: one node session of that family carrying both families instead of a session per
 * family.
 *
 * - `node-sessions-dual-stack`: only a dual-stack data center has two families to carry.
 */
import { DataCenterSpec, NodeSessionFamilies } from "../spec/types";
import { ProblemList, quote } from "./errors";

/** Check `bgp.nodeSessions` against the data center (`dualStack`: it sets IPv6 fields). */
export function checkNodeSessions(dc: DataCenterSpec, dualStack: boolean, problems: ProblemList): void {
  const mode = dc.bgp?.nodeSessions;
  if (mode === undefined || mode === NodeSessionFamilies.perFamily) return;
  if (!dualStack) problems.add("bgp.nodeSessions", "node-sessions-dual-stack", `nodeSessions ${quote(mode)} carries two families over one session; this data center has IPv4 only (set the IPv6 pools, or leave nodeSessions out)`);
}
