/** Loading specs from YAML or JSON files. */
import { readFileSync } from "fs";
import { parse } from "yaml";
import { DataCenterSpec } from "./types";
import { SpecError } from "../validate/errors";
import { validateShape } from "../validate/validate";

/** Parse YAML/JSON text into an (unchecked) spec; YAML syntax errors become a SpecError. */
export function parseSpecText(text: string, source = "spec"): unknown {
  try {
    return parse(text, { prettyErrors: true });
  } catch (e) {
    throw new SpecError([{ path: source, rule: "yaml-syntax", message: (e as Error).message.split("\n")[0] }]);
  }
}

/** Read a spec file and check its shape against the JSON Schema (semantic rules run in resolve). */
export function loadSpecFile(file: string): DataCenterSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new SpecError([{ path: file, rule: "file-read", message: (e as Error).message }]);
  }
  const data = parseSpecText(text, file);
  const problems = validateShape(data);
  if (problems.length > 0) throw new SpecError(problems);
  return data as DataCenterSpec;
}
