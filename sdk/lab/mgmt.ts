/**
 * The management network of a lab in ssh mode: one /24 per run, host side `.254`, device `i`
 * at `.i+1`. The default candidates are 198.18.255.0/24 downward to 198.18.240.0/24; a candidate
 * is skipped when it overlaps any prefix of the plan (segments, pools, VIP pools, PodCIDRs,
 * loopbacks) or an address already configured in the root namespace (another lab). Two runs
 * starting at the same time cannot take the same /24: each takes a claim file
 * (`/run/dcnet-lab/mgmt/<net>_<len>`, holding the run dir) with O_EXCL first.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { Plan } from "../plan/types";
import { nthAddress, prefixesOverlap, prefixProblem, prefixLength } from "../net/prefix";
import { LabError, run } from "./exec";
import { LabState, loadState, makeDir, saveState } from "./state";

/** Default management network (the first candidate). */
export const DEFAULT_MGMT_PREFIX = "198.18.255.0/24";

/** Folder of claim files. */
export const CLAIM_DIR = "/run/dcnet-lab/mgmt";

/** Candidate management networks, in order of preference. */
export function mgmtCandidates(): string[] {
  const out: string[] = [];
  for (let third = 255; third >= 240; third--) out.push(`198.18.${third}.0/24`);
  return out;
}

/** Every prefix a plan brings up or announces. */
export function planPrefixes(plan: Plan): string[] {
  const set = new Set<string>();
  for (const s of plan.segments) set.add(s.prefix);
  set.add(plan.pools.podCidr.prefix);
  set.add(plan.pools.loopbacks.prefix);
  if (plan.pools.fabricLinks) set.add(plan.pools.fabricLinks.prefix);
  for (const v of plan.vipPools) set.add(v.cidr);
  for (const n of plan.nodes) for (const a of n.announcements) set.add(a.prefix);
  for (const d of plan.devices) for (const i of d.interfaces) for (const a of i.addresses) set.add(a.cidr);
  return [...set];
}

/** Networks of the addresses configured in the root namespace. */
function rootAddresses(): string[] {
  const r = run("ip", ["-j", "addr", "show"], { check: false, timeoutMs: 5000 });
  if (r.code !== 0) return [];
  const out: string[] = [];
  for (const link of JSON.parse(r.stdout || "[]") as { addr_info?: { local?: string; prefixlen?: number }[] }[])
    for (const a of link.addr_info ?? []) if (a.local && a.prefixlen !== undefined) out.push(`${a.local}/${a.prefixlen}`);
  return out;
}

function overlapsAny(prefix: string, others: string[]): string | undefined {
  for (const o of others) {
    try {
      if ((o.includes(":") === prefix.includes(":")) && prefixesOverlap(prefix, o)) return o;
    } catch {
      /* not comparable */
    }
  }
  return undefined;
}

function claimFile(prefix: string): string {
  return join(CLAIM_DIR, prefix.replace("/", "_"));
}

/** Remove a claim file when it belongs to `runDir`. */
export function releaseClaim(file: string, runDir: string): void {
  try {
    const holder = JSON.parse(readFileSync(file, "utf8")) as { runDir?: string };
    if (holder.runDir === runDir) unlinkSync(file);
  } catch {
    /* gone or unreadable: nothing to release */
  }
}

/** A claim is stale when its run has no state any more or is down. */
function isStale(file: string): boolean {
  try {
    const holder = JSON.parse(readFileSync(file, "utf8")) as { runDir?: string };
    if (!holder.runDir) return true;
    const st = loadState(holder.runDir);
    return !st || st.status === "down";
  } catch {
    return false;
  }
}

/** Pick and claim the management /24 of a run (recorded in `state.claims` before the claim is made). */
export function claimMgmtPrefix(plan: Plan, state: LabState, explicit?: string): { prefix: string; hostAddress: string; addressOf(i: number): string } {
  const candidates = explicit ? [explicit] : mgmtCandidates();
  if (explicit) {
    const p = prefixProblem(explicit);
    if (p) throw new LabError(`management prefix ${explicit}: ${p}`);
    if (explicit.includes(":") || prefixLength(explicit) !== 24) throw new LabError(`management prefix ${explicit} must be an IPv4 /24`);
  }
  const planned = planPrefixes(plan);
  const inUse = rootAddresses();
  const refused: string[] = [];
  makeDir(CLAIM_DIR, 0o755);
  for (const prefix of candidates) {
    const clash = overlapsAny(prefix, planned);
    if (clash) {
      refused.push(`${prefix} overlaps ${clash} of the plan`);
      continue;
    }
    const used = overlapsAny(prefix, inUse);
    if (used) {
      refused.push(`${prefix} overlaps ${used} already configured in the root namespace`);
      continue;
    }
    const file = claimFile(prefix);
    if (existsSync(file) && isStale(file)) {
      try {
        unlinkSync(file);
      } catch {
        /* raced */
      }
    }
    state.claims.push(file);
    saveState(state);
    try {
      writeFileSync(file, JSON.stringify({ runDir: state.runDir, prefix }) + "\n", { flag: "wx", mode: 0o644 });
    } catch {
      state.claims.pop();
      saveState(state);
      refused.push(`${prefix} is claimed by another lab (${file})`);
      continue;
    }
    const net = prefix;
    return { prefix: net, hostAddress: nthAddress(net, 254)!, addressOf: (i: number) => nthAddress(net, i + 1)! };
  }
  throw new LabError(`no free management network for the lab:\n${refused.map((r) => `  - ${r}`).join("\n")}`);
}
