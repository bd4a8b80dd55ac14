/**
 * Loading a spec for the CLI: YAML or JSON through `loadSpecFile`, or a TypeScript/JavaScript
 * module exporting the spec as `default`, `spec` or `dataCenter` (or its only spec-like export). Shape and semantic rules run in `resolve()`.
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
  const isObject = (v: unknown): v is object => typeof v === "object" && v !== null;
  const named = [mod.default, mod.spec, (mod as { dataCenter?: unknown }).dataCenter].find(isObject);
  const specLike = Object.values(mod).filter((v) => isObject(v) && "topology" in v && "racks" in v);
  const spec = named ?? (specLike.length === 1 ? specLike[0] : undefined);
  if (spec === undefined)
    throw new UserError(`spec module ${file} must export the spec object as \`default\`, \`spec\` or \`dataCenter\``);
  return spec as DataCenterSpec;
}
