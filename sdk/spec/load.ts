/**
 * Loading specs from YAML or JSON files. Input is bounded before any parser sees it: a file size
 * limit, then a cheap nesting-depth scan (the YAML parser recurses: 20 KB of `{[` overflows its
 * stack and 10 MB exhausts the heap), then the parser with an alias limit (alias bombs).
 */
import { readFileSync, statSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { DataCenterSpec } from "./types";
import { SpecError, quote } from "../validate/errors";
import { validateShape } from "../validate/validate";

/** Largest spec file read by default (32 MiB; a 100,000-node spec is about 7 MB of JSON). */
export const DEFAULT_MAX_SPEC_BYTES = 32 * 1024 * 1024;
/** Deepest nesting accepted (flow `[`/`{` levels plus block indentation levels); a spec needs about 10. */
export const MAX_SPEC_DEPTH = 100;
/** Most YAML aliases expanded (the yaml package's own guard against alias bombs). */
export const MAX_YAML_ALIASES = 100;

/** Limits of the spec loader. */
export interface SpecLoadOptions {
  /** Largest file or text accepted, in bytes (default `DCNET_MAX_SPEC_BYTES` from the environment, else 32 MiB). */
  maxBytes?: number;
  /** Deepest nesting accepted (default 100). */
  maxDepth?: number;
}

/** The size limit in force: the option, else `DCNET_MAX_SPEC_BYTES`, else the default. */
export function maxSpecBytes(opts?: SpecLoadOptions): number {
  if (opts?.maxBytes !== undefined) return opts.maxBytes;
  const env = Number(process.env.DCNET_MAX_SPEC_BYTES);
  return Number.isInteger(env) && env > 0 ? env : DEFAULT_MAX_SPEC_BYTES;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Why `text` nests too deeply, or undefined. One pass, no allocation: flow brackets are counted
 * everywhere (also inside quoted strings, so no quote can hide them: at worst an odd string
 * counts a few levels), block levels by a stack of indentation widths.
 */
export function nestingProblem(text: string, maxDepth = MAX_SPEC_DEPTH): string | undefined {
  let flow = 0;
  const indents: number[] = [];
  let line = 1;
  let atLineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      atLineStart = true;
      indent = 0;
      continue;
    }
    if (atLineStart) {
      if (c === 32 || c === 9 || c === 45 /* "- " opens a block sequence level too */) {
        indent++;
        continue;
      }
      atLineStart = false;
      if (c !== 35 /* # comment */ && c !== 13 && flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
        indents.push(indent);
      }
    }
    if (c === 91 || c === 123) flow++;
    else if ((c === 93 || c === 125) && flow > 0) flow--;
    if (flow + indents.length > maxDepth)
      return `nests deeper than ${maxDepth} levels (line ${line}); a data center spec needs about 10`;
  }
  return undefined;
}

/**
 * Parse YAML/JSON text into an (unchecked) spec. Syntax errors, oversized text and excessive
 * nesting become a SpecError, checked before the parser runs. `source` ending in `.json` is
 * parsed with JSON.parse (about 100 times faster than the YAML parser on a large spec).
 */
export function parseSpecText(text: string, source = "spec", opts?: SpecLoadOptions): unknown {
  const limit = maxSpecBytes(opts);
  if (text.length > limit) // characters ≤ bytes: a cheap first bound
    throw new SpecError([{ path: source, rule: "spec-too-large", message: `the spec has ${text.length} characters, more than the limit of ${limit} bytes (${mib(limit)}; set DCNET_MAX_SPEC_BYTES to raise it)` }]);
  const deep = nestingProblem(text, opts?.maxDepth ?? MAX_SPEC_DEPTH);
  if (deep) throw new SpecError([{ path: source, rule: "spec-too-deep", message: `the spec ${deep}` }]);
  if (path.extname(source).toLowerCase() === ".json") {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new SpecError([{ path: source, rule: "json-syntax", message: firstLine(e) }]);
    }
    // JSON.parse keeps the last of two equal keys; the YAML parser (and every careful reader) refuses them
    const dup = duplicateJsonKey(text);
    if (dup) throw new SpecError([{ path: dup.path, rule: "duplicate-key", message: `key ${quote(dup.key)} appears twice in one object (line ${dup.line} of ${quote(source)})` }]);
    return data;
  }
  try {
    return parse(text, { prettyErrors: true, maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    throw new SpecError([{ path: source, rule: "yaml-syntax", message: firstLine(e) }]);
  }
}

interface JsonFrame {
  keys?: Set<string>; // objects only
  index: number; // arrays: the current element
  key?: string; // objects: the current key
  expectKey: boolean;
}

/**
 * The first key that appears twice in one object of valid JSON `text`, with its path (the
 * second occurrence) and line,
 * or undefined. One linear pass; key strings are decoded with JSON.parse (`"a"` equals `"\u0061"`).
 */
export function duplicateJsonKey(text: string): { key: string; path: string; line: number } | undefined {
  const stack: JsonFrame[] = [];
  let line = 1;
  const pathOf = () =>
    stack
      .map((f) => (f.keys ? (/^[A-Za-z_$][\w$-]*$/.test(f.key!) ? `.${f.key}` : `[${quote(f.key)}]`) : `[${f.index}]`))
      .join("")
      .replace(/^\./, "");
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 123 /* { */) stack.push({ keys: new Set(), index: 0, expectKey: true });
    else if (c === 91 /* [ */) stack.push({ index: 0, expectKey: false });
    else if (c === 125 || c === 93) stack.pop();
    else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.index++;
    } else if (c === 58 /* : */) {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = false;
    } else if (c === 34 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) {
          top.key = key;
          return { key, path: pathOf(), line };
        }
        top.keys.add(key);
        top.key = key;
      }
      i = j;
    }
  }
  return undefined;
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const first = message.split("\n")[0];
  return first.length > 300 ? `${first.slice(0, 300)}…` : first;
}

/** Read a spec file and check its shape against the JSON Schema (semantic rules run in resolve). */
export function loadSpecFile(file: string, opts?: SpecLoadOptions): DataCenterSpec {
  let text: string;
  try {
    const limit = maxSpecBytes(opts);
    const st = statSync(file);
    if (st.isFile() && st.size > limit)
      throw new SpecError([{ path: file, rule: "spec-too-large", message: `the file has ${st.size} bytes (${mib(st.size)}), more than the limit of ${limit} bytes (${mib(limit)}; set DCNET_MAX_SPEC_BYTES to raise it)` }]);
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof SpecError) throw e;
    throw new SpecError([{ path: file, rule: "file-read", message: (e as Error).message }]);
  }
  const data = parseSpecText(text, file, opts);
  const problems = validateShape(data);
  if (problems.length > 0) throw new SpecError(problems);
  return data as DataCenterSpec;
}
