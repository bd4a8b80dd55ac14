/**
 * Loading a spec for the CLI: YAML or JSON through `loadSpecFile`, or a TypeScript/JavaScript
 * module exporting the spec as `default` or `spec`. Shape and semantic rules run in `resolve()`.
 */
import { existsSync } from "fs";
import * as path from "path";
import { DataCenterSpec } from "../spec/types";
import { loadSpecFile } from "../spec/load";
import { UserError } from "./errors";

const MODULE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".cjs", ".mjs"]);

/** Load the spec named on the command line. Throws SpecError (bad content) or UserError. */
export function loadSpecForCli(file: string): DataCenterSpec {
  if (!MODULE_EXTENSIONS.has(path.extname(file).toLowerCase())) return loadSpecFile(file);
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new UserError(`cannot read spec ${file}: no such file`);
  let mod: { default?: unknown; spec?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(abs);
  } catch (e) {
    throw new UserError(`cannot load spec module ${file}: ${(e as Error).message ?? String(e)}`);
  }
  const spec = mod.default ?? mod.spec;
  if (spec === undefined || spec === null || typeof spec !== "object")
    throw new UserError(`spec module ${file} must export the spec object as \`default\` or \`spec\``);
  return spec as DataCenterSpec;
}
