/**
 * Gate for the lab tests: they need root, iproute2, bird2 and frr. Outside CI a missing piece
 * skips the suite with a message; in CI (`CI=true`) it FAILS, so a broken runner is never green.
 */
import * as assert from "node:assert";
import { existsSync } from "node:fs";
import { labDown, labPrerequisites, LabState, listNamespaces } from "../../sdk/lab";
import { clusterToolsMissing } from "../../sdk/lab/cluster";
import { run } from "../../sdk/lab/exec";
import { ClusterTools, clusterTools } from "../../sdk/tools/cluster-tools";

/** True when running in CI. */
export function inCI(): boolean {
  const v = (process.env.CI ?? "").toLowerCase();
  return v !== "" && v !== "0" && v !== "false";
}

/** Call from a `before()` hook: skip (locally) or fail (CI) when the lab cannot run here. */
export function requireLab(ctx: Mocha.Context, opts: { ssh?: boolean } = {}): void {
  const p = labPrerequisites(opts);
  if (p.ok) return;
  const msg = `the lab cannot run on this machine; missing:\n${p.missing.map((m) => `  - ${m}`).join("\n")}`;
  if (inCI()) throw new Error(`${msg}\n(CI=true: the lab tests must run in CI; install the missing pieces on the runner)`);
  console.warn(`      skipping lab tests: ${msg}`);
  ctx.skip();
}

/**
 * Call from a `before()` hook of a cluster-lab suite: the lab (`requireLab`), the cluster tools and
 * whatever else the suite needs (`extra(tools)`: what of it is missing) — skip locally, fail in CI.
 */
export function requireClusterLab(ctx: Mocha.Context, what: string, opts: { ssh?: boolean; extra?: (tools: ClusterTools) => string[] } = {}): void {
  requireLab(ctx, { ssh: opts.ssh });
  const tools = clusterTools();
  const missing = [...clusterToolsMissing(tools), ...(opts.extra?.(tools) ?? [])];
  if (missing.length === 0) return;
  const msg = `the lab's ${what} tests cannot run on this machine; missing:\n${missing.map((m) => `  - ${m}`).join("\n")}`;
  if (inCI()) throw new Error(`${msg}\n(CI=true: build them with scripts/build-cluster-tools.sh, install etcd-server clang-19 socat curl)`);
  console.warn(`      skipping ${what} lab tests: ${msg}`);
  ctx.skip();
}

/** What the pod/datapath suites need beyond the cluster tools: cilium-cni, cilium-dbg and nsenter. */
export function datapathToolsMissing(tools: ClusterTools): string[] {
  const missing: string[] = [];
  if (!tools.ciliumCni) missing.push(`cilium-cni (scripts/build-cluster-tools.sh cilium-cni), looked in ${tools.toolsDir}`);
  if (!tools.ciliumDbg) missing.push(`cilium-dbg (scripts/build-cluster-tools.sh cilium-dbg), looked in ${tools.toolsDir}`);
  if (!run("sh", ["-c", "command -v nsenter"], { check: false }).stdout.trim()) missing.push("nsenter (util-linux)");
  return missing;
}

/** A lab name unique to this test process. */
export function testLabName(what: string): string {
  return `test-${what}-${process.pid}-${Date.now().toString(36)}`;
}

/** Collected figures, printed at the end of each lab test file (and kept for the report). */
export const figures: string[] = [];

/** Record and print a measured figure. */
export function figure(text: string): void {
  figures.push(text);
  console.log(`      [lab figure] ${text}`);
}

/** Take a lab down and assert it left nothing: no warnings, no namespace of its prefix, no cgroup of its nodes. */
export async function downAndAssertGone(state: LabState): Promise<void> {
  const r = await labDown(state);
  assert.deepStrictEqual(r.warnings, []);
  assert.deepStrictEqual(listNamespaces().filter((n) => n.startsWith(`${state.prefix}-`)), []);
  for (const cg of state.cluster?.cgroups ?? []) assert.ok(!existsSync(cg), `cgroup ${cg} left`);
}
