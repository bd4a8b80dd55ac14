/** Stand-in for `dcnet lab` while `sdk/cli/lab-command.ts` (owned by the lab) does not exist. */
import { Command } from "commander";
import { UserError } from "../errors";

export function registerLabPlaceholder(program: Command): void {
  program
    .command("lab")
    .description("bring the spec up in a local lab (not available in this build)")
    .argument("[args...]")
    .allowUnknownOption()
    .action(() => {
      throw new UserError("the lab command is not available in this build (sdk/cli/lab-command.ts is missing)");
    });
}
