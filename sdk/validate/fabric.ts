/**
 * The switch-to-switch fabric: numbered links need their pool, an unnumbered fabric has none.
 *
 * - `fabric-links-required`: a numbered fabric (the default) needs `pools.fabricLinks`;
 * - `unnumbered-fabric-links`: an unnumbered fabric (`fabric.unnumbered: true`) addresses its
 *   links with IPv6 link-local addresses only, so a fabric link pool would be a pool nothing
 *   uses (and space the validation would reserve for nothing): it is refused.
 *
 * Unnumbered works in both topologies (a three-tier core mesh: see `PlanSession.ownRackPreference`).
 */
import { DataCenterSpec } from "../spec/types";
import { ProblemList, quote } from "./errors";

/** Check the fabric settings; false when the rules that allocate links cannot run. */
export function checkFabric(dc: DataCenterSpec, problems: ProblemList): boolean {
  const unnumbered = dc.fabric?.unnumbered === true;
  const pool = dc.pools.fabricLinks;
  if (unnumbered && pool !== undefined) {
    problems.add("pools.fabricLinks", "unnumbered-fabric-links", `${quote(pool)} is not used: an unnumbered fabric (fabric.unnumbered) peers over IPv6 link-local addresses; remove the pool`);
    return true;
  }
  if (!unnumbered && pool === undefined) {
    problems.add("pools.fabricLinks", "fabric-links-required", "a numbered fabric needs pools.fabricLinks (a /31 per switch pair), or set fabric.unnumbered: true");
    return false;
  }
  return true;
}
