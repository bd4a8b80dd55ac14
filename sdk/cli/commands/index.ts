/**
 * The CLI's subcommands. Each lives in its own module exporting `register<Name>Command(program)`;
 * to add one, write the module and list it in `commandModules`.
 *
 * `dcnet lab` is owned by the lab: `sdk/cli/lab-command.ts` exports `registerLabCommand(program)`.
 */
import { Command } from "commander";
import { registerPlanCommand } from "./plan";
import { registerValidateCommand } from "./validate";
import { registerSchemaCommand } from "./schema";
import { registerLabCommand } from "../lab-command";
import { registerVerifyCommand } from "./verify";
import { registerScriptsCommand } from "./scripts";

/** Registers one subcommand (or a group) on the program. */
export type RegisterCommand = (program: Command) => void;

/** Every subcommand module, in the order `dcnet --help` lists them. */
export const commandModules: RegisterCommand[] = [registerPlanCommand, registerValidateCommand, registerSchemaCommand, registerLabCommand, registerVerifyCommand, registerScriptsCommand];

/** Register every subcommand on `program`. */
export function registerCommands(program: Command): void {
  for (const register of commandModules) register(program);
}
