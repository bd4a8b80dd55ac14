/**
 * The `dcnet` program: subcommands from `./commands`, and one place that turns errors into
 * messages and exit codes. A user's mistake (bad spec, missing file, YAML syntax, a folder in the
 * way) prints a message and exits 1 without a stack trace; anything else is a bug in dcnet and
 * prints its stack (exit 70).
 */
import { Command, CommanderError } from "commander";
import { SpecError, neutralize } from "../validate/errors";
import { registerCommands } from "./commands";
import { UserError, isUserFsError } from "./errors";

/** Exit code of an internal error (EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/** Build the program with every registered subcommand. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name("dcnet")
    .description("Declare a data center's network once (spec → plan → configs) and apply it.")
    .showHelpAfterError("(run with --help for usage)");
  registerCommands(program);
  return program;
}

/** Print an error the way the CLI does and return the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof SpecError) {
    const reads = e.problems.filter((p) => p.rule === "file-read");
    if (reads.length > 0 && reads.length === e.problems.length) {
      for (const p of reads) console.error(`dcnet: cannot read spec ${neutralize(p.path)}: ${neutralize(p.message)}`);
    } else console.error(e.message); // formatProblems already escaped every control character
    return 1;
  }
  // messages may carry file names and spec values: one line each, no control character reaches the terminal
  if (e instanceof UserError) {
    console.error(`dcnet: ${neutralize(e.message)}`);
    return 1;
  }
  if (isUserFsError(e)) {
    console.error(`dcnet: ${neutralize(e.message)}`);
    return 1;
  }
  if (e instanceof CommanderError) return e.exitCode;
  console.error("dcnet: internal error (a bug in dcnet; please report it with the spec that triggered it):");
  console.error((e instanceof Error ? (e.stack ?? e.message) : String(e)).split("\n").map(neutralize).join("\n"));
  return EXIT_INTERNAL;
}

/** Run the CLI on `argv` (as `process.argv`); resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    const program = buildProgram();
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}
