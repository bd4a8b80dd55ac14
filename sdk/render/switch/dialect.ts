/**
 * Switch configuration dialects: one implementation per configuration language (FRR today),
 * chosen by the plan device's `dialect`. Dialects are pure functions of the plan.
 */
import { Plan } from "../../plan/types";

/** A switch configuration language. */
export interface SwitchDialect {
  /** Dialect name as it appears in `PlanDevice.dialect` (e.g. `frr`). */
  name: string;
  /** File name of the rendered main configuration on the device (e.g. `frr.conf`). */
  fileName: string;
  /** The main configuration of switch `switchName`; never holds secrets; ends with a newline. */
  render(plan: Plan, switchName: string): string;
  /**
   * The secrets overlay appended to the main configuration on the device (session passwords).
   * Empty when the switch has no password-protected session. Throws when a password is missing.
   */
  renderSecrets(plan: Plan, switchName: string, passwords: Record<string, string>): string;
}

const registry = new Map<string, SwitchDialect>();

/** Register a dialect under its name. Throws when another dialect already holds the name. */
export function registerDialect(dialect: SwitchDialect): void {
  const existing = registry.get(dialect.name);
  if (existing && existing !== dialect) throw new Error(`switch dialect ${dialect.name} is already registered`);
  registry.set(dialect.name, dialect);
}

/** The dialect named `name`. Throws, listing the known ones, when there is none. */
export function getDialect(name: string): SwitchDialect {
  const dialect = registry.get(name);
  if (!dialect) throw new Error(`unknown switch dialect ${JSON.stringify(name)} (known: ${dialectNames().join(", ") || "none"})`);
  return dialect;
}

/** Names of the registered dialects, sorted. */
export function dialectNames(): string[] {
  return [...registry.keys()].sort();
}
