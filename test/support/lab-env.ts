/**
 * Gate for the lab tests: they need root, iproute2, bird2 and frr. Outside CI a missing piece
 * skips the suite with a message; in CI (`CI=true`) it FAILS, so a broken runner is never green.
 */
import { labPrerequisites } from "../../sdk/lab";

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
