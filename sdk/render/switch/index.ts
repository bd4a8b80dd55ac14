/**
 * Switch rendering entry points: dispatch on the plan device's `dialect` to a registered
 * `SwitchDialect` (FRR today).
 */
import { Plan } from "../../plan/types";
import { deviceOf } from "../plan-query";
import { getDialect, registerDialect, SwitchDialect } from "./dialect";
import { frrDialect } from "./frr";

registerDialect(frrDialect);

/** Dialect used when a switch names none. */
export const DEFAULT_SWITCH_DIALECT = "frr";

/** A rendered switch configuration. */
export interface RenderedSwitchConfig {
  /** Dialect name (e.g. `frr`). */
  dialect: string;
  /** File name on the device (e.g. `frr.conf`). */
  fileName: string;
  /** The configuration text (no secrets), ending with a newline. */
  text: string;
}

/** The dialect of switch `switchName`. Throws for unknown switches or dialects. */
export function dialectOf(plan: Plan, switchName: string): SwitchDialect {
  return getDialect(deviceOf(plan, switchName, "switch").dialect ?? DEFAULT_SWITCH_DIALECT);
}

/** Render the main configuration of switch `switchName` in its dialect. */
export function renderSwitchConfig(plan: Plan, switchName: string): RenderedSwitchConfig {
  const dialect = dialectOf(plan, switchName);
  return { dialect: dialect.name, fileName: dialect.fileName, text: dialect.render(plan, switchName) };
}

/**
 * Render the secrets overlay of switch `switchName` (appended to the main configuration on the
 * device; never written to rendered folders). Empty when the switch has no password-protected
 * session. Throws when a referenced password is missing.
 */
export function renderSwitchSecrets(plan: Plan, switchName: string, passwords: Record<string, string>): string {
  return dialectOf(plan, switchName).renderSecrets(plan, switchName, passwords);
}

export { SwitchDialect, getDialect, registerDialect, dialectNames } from "./dialect";
