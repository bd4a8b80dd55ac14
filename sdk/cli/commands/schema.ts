/** `dcnet schema [--path]`: print the JSON Schema of the spec (for editors: `# yaml-language-server: $schema=...`). */
import { Command } from "commander";
import { readFileSync } from "fs";
import * as path from "path";

/** Absolute path of the generated JSON Schema of `DataCenterSpec`. */
export const SCHEMA_PATH = path.resolve(__dirname, "../../../schema/datacenter.schema.json");

/** Register `dcnet schema [--path]` on `program`. */
export function registerSchemaCommand(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of the data center spec (or, with --path, where it is)")
    .option("-p, --path", "print the schema file's path instead of its content", false)
    .action((opts: { path: boolean }) => {
      if (opts.path) console.log(SCHEMA_PATH);
      else process.stdout.write(readFileSync(SCHEMA_PATH, "utf8"));
    });
}
