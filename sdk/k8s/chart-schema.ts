/**
 * Extra Helm values (`cilium.values`, `--set` paths) checked against the real chart's
 * `values.schema.json`: every path must exist in the chart (or lie under a free-form map such as
 * `podAnnotations`), and its value, typed as `--set` types it, must match the schema (ajv).
 *
 * Where the schema comes from, first found wins:
 *   1. the `ciliumValuesSchema` option (a file; `false`: do not check);
 *   2. the environment variable `DCNET_CILIUM_VALUES_SCHEMA` (a file);
 *   3. the Go module cache, for the cluster's exact chart version:
 *      `$GOMODCACHE` (else `$GOPATH/pkg/mod`, else `~/go/pkg/mod`)
 *      `/github.com/cilium/cilium@v<version>/install/kubernetes/cilium/values.schema.json`
 *      (`go mod download github.com/cilium/cilium@v<version>` puts it there).
 * When none is found the values are not checked against a schema, and `valuesSchemaNotes()` says
 * so (the CLI prints it, `CiliumAgent` logs it as a warning): never silently.
 */
import { existsSync, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { ClusterK8sSpec } from "../spec/cluster-types";
import { ciliumOptions } from "./defaults";
import { hasOwnKey, q } from "./keys";
import { parseSetValue, splitValuePath } from "./set-values";

/** Environment variable naming a Cilium `values.schema.json` to check `cilium.values` against. */
export const CILIUM_VALUES_SCHEMA_ENV = "DCNET_CILIUM_VALUES_SCHEMA";

/** Options of the cluster-side validation. */
export interface ClusterValidationOptions {
  /** Cilium `values.schema.json` to check `cilium.values` against; `false`: do not check. Default: `$DCNET_CILIUM_VALUES_SCHEMA`, else the Go module cache. */
  ciliumValuesSchema?: string | false;
  /** Environment to read `DCNET_CILIUM_VALUES_SCHEMA`, `GOMODCACHE`, `GOPATH` from (default `process.env`). */
  env?: { [name: string]: string | undefined };
}

type Schema = { [key: string]: unknown };

/** A loaded chart values schema. */
export interface ValuesSchema {
  /** The file it was read from. */
  file: string;
  /** The parsed schema. */
  schema: Schema;
}

/** Where the schema of a chart version was looked for, and what was found. */
export type SchemaLookup = { kind: "found"; schema: ValuesSchema } | { kind: "missing"; searched: string[] } | { kind: "disabled" } | { kind: "error"; file: string; message: string };

/** `values.schema.json` of a Cilium version in the Go module cache. */
export function goModuleCacheSchemaPath(version: string, env: { [name: string]: string | undefined } = process.env): string {
  const modCache = env.GOMODCACHE || path.join((env.GOPATH || "").split(path.delimiter)[0] || path.join(os.homedir(), "go"), "pkg", "mod");
  const v = version.startsWith("v") ? version : `v${version}`;
  return path.join(modCache, "github.com", "cilium", `cilium@${v}`, "install", "kubernetes", "cilium", "values.schema.json");
}

const loaded = new Map<string, ValuesSchema | Error>();

function loadSchemaFile(file: string): ValuesSchema | Error {
  const abs = path.resolve(file);
  let hit = loaded.get(abs);
  if (!hit) {
    try {
      const schema = JSON.parse(readFileSync(abs, "utf8")) as unknown;
      if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new Error("not a JSON Schema object");
      hit = { file: abs, schema: schema as Schema };
    } catch (e) {
      hit = new Error((e as Error).message.split("\n")[0]);
    }
    loaded.set(abs, hit);
  }
  return hit;
}

/** Find the values schema of a Cilium chart version. */
export function findCiliumValuesSchema(version: string, options: ClusterValidationOptions = {}): SchemaLookup {
  if (options.ciliumValuesSchema === false) return { kind: "disabled" };
  const env = options.env ?? process.env;
  const explicit = options.ciliumValuesSchema ?? env[CILIUM_VALUES_SCHEMA_ENV];
  const candidates = explicit ? [explicit] : [goModuleCacheSchemaPath(version, env)];
  for (const file of candidates) {
    if (!explicit && !existsSync(file)) continue;
    const s = loadSchemaFile(file);
    if (s instanceof Error) return { kind: "error", file, message: s.message };
    return { kind: "found", schema: s };
  }
  return { kind: "missing", searched: candidates };
}

// ---------------------------------------------------------------------------------------------

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new WeakMap<object, ValidateFunction>();

function typesOf(s: Schema): string[] | undefined {
  if (typeof s.type === "string") return [s.type];
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === "string");
  return undefined;
}

function propertiesOf(s: Schema): Schema | undefined {
  const p = s.properties;
  return typeof p === "object" && p !== null && !Array.isArray(p) ? (p as Schema) : undefined;
}

/** Up to five keys closest to `key` (shared prefix, then edit distance). */
function nearest(key: string, keys: string[]): string[] {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0];
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const t = d[j];
        d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
        prev = t;
      }
    }
    return d[b.length];
  };
  return keys
    .map((k) => ({ k, d: dist(key, k) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(key.length / 3)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, 5)
    .map((x) => x.k);
}

function describeError(e: ErrorObject): string {
  if (e.keyword === "type") return `must be ${(e.params as { type: string | string[] }).type.toString().replace(/,/g, " or ")}`;
  if (e.keyword === "enum") return `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => q(v)).join(", ")}`;
  return e.message ?? e.keyword;
}

/** The problem of one `--set` pair against a chart values schema, or undefined when it fits. */
export function valuesPathProblem(vs: ValuesSchema, chart: string, key: string, text: string): { rule: string; message: string } | undefined {
  const segments = splitValuePath(key);
  let s: Schema = vs.schema;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const here = segments.slice(0, i).join(".") || "(top level)";
    const props = propertiesOf(s);
    const types = typesOf(s);
    if (props && hasOwnKey(props, seg)) {
      s = props[seg] as Schema;
      continue;
    }
    if (!props && (types === undefined || types.includes("object"))) return undefined; // a free-form map (annotations, resources, ...): keys are the user's
    if (!props) {
      return {
        rule: "cilium-value-path",
        message: `Helm value ${q(key)} goes below ${q(here)}, which is ${types!.join(" or ")} in the ${chart} chart, not a map (${vs.file})`,
      };
    }
    const near = nearest(seg, Object.keys(props));
    return {
      rule: "cilium-value-unknown",
      message: `Helm value ${q(key)} is not a value of the ${chart} chart: ${q(seg)} is not a key of ${q(here)}${near.length ? ` (did you mean ${near.map((n) => q(n)).join(", ")}?)` : ""} (${vs.file})`,
    };
  }
  const value = parseSetValue(text);
  if (value === null) return undefined; // null removes the chart's default: any key may be null
  let validate = compiled.get(s);
  if (!validate) {
    try {
      validate = ajv.compile(s);
    } catch (e) {
      return { rule: "cilium-values-schema", message: `the schema of Helm value ${q(key)} in ${vs.file} does not compile: ${(e as Error).message.split("\n")[0]}` };
    }
    compiled.set(s, validate);
  }
  if (validate(value)) return undefined;
  const errors = (validate.errors ?? []).map(describeError);
  const kind = typeof value === "string" ? "a string" : typeof value === "boolean" ? "a boolean" : typeof value === "number" ? "an integer" : typeof value;
  return {
    rule: "cilium-value-type",
    message: `Helm value ${q(key)} = ${q(text)} is ${kind} (as --set types it: true/false, null and integers are not strings), and the ${chart} chart's schema says it ${[...new Set(errors)].join("; ")} (${vs.file})`,
  };
}

/** Notes on how each cluster's `cilium.values` were checked (one per cluster with values). */
export function valuesSchemaNotes(clusters: { path: string; k8s: ClusterK8sSpec }[], options: ClusterValidationOptions = {}): string[] {
  const notes: string[] = [];
  for (const c of clusters) {
    const values = c.k8s.cilium?.values;
    if (!values || Object.keys(values).length === 0) continue;
    const version = ciliumOptions(c.k8s).chartVersion;
    const found = findCiliumValuesSchema(version, options);
    const where = `${c.path}.cilium.values`;
    if (found.kind === "found") notes.push(`${where}: checked against ${found.schema.file}`);
    else if (found.kind === "disabled") notes.push(`${where}: not checked against the Cilium chart's values.schema.json (disabled)`);
    else if (found.kind === "error") notes.push(`${where}: not checked: ${found.file} is unreadable (${found.message})`);
    else
      notes.push(
        `${where}: not checked against the Cilium ${version} chart's values.schema.json (not found at ${found.searched.join(", ")}; set ${CILIUM_VALUES_SCHEMA_ENV}=<file> or run \`go mod download github.com/cilium/cilium@v${version.replace(/^v/, "")}\`)`,
      );
  }
  return notes;
}
