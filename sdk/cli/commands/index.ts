/**
 * The CLI's subcommands. Each lives in its own module exporting `register<Name>Command(program)`;
 * to add one, write the module and list it in `commandModules`.
 *
 * `dcnet lab` is owned by the lab: `sdk/cli/lab-command.ts` exports `registerLabCommand(program)`.
 * It is picked up automatically when present; until then a placeholder explains it is missing.
 */
import { Command } from "commander";
import { existsSync } from "fs";
import * as path from "path";
import { registerPlanCommand } from "./plan";
import { registerValidateCommand } from "./validate";
import { registerSchemaCommand } from "./schema";
import { registerLabPlaceholder } from "./lab-placeholder";

/** Registers one subcommand (or a group) on the program. */
export type RegisterCommand = (program: Command) => void;

/** `registerLabCommand` from `sdk/cli/lab-command.ts` when that module exists, else the placeholder. */
function labCommand(): RegisterCommand {
  const base = path.join(__dirname, "..", "lab-command");
  if (![".ts", ".js"].some((ext) => existsSync(base + ext))) return registerLabPlaceholder;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(base) as { registerLabCommand?: RegisterCommand };
  if (typeof mod.registerLabCommand !== "function") throw new Error(`${base} does not export registerLabCommand(program)`);
  return mod.registerLabCommand;
}

/** Every subcommand module, in the order `dcnet --help` lists them. */
export function commandModules(): RegisterCommand[] {
  return [registerPlanCommand, registerValidateCommand, registerSchemaCommand, labCommand()];
}

/** Register every subcommand on `program`. */
export function registerCommands(program: Command): void {
  for (const register of commandModules()) register(program);
}
