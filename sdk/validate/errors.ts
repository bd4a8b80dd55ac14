/** One problem in a spec: where, which rule, what is wrong. */
export interface SpecProblem {
  /** Object path, e.g. `racks[2].nodes[5].podCIDR`. */
  path: string;
  /** Rule identifier, e.g. `overlap`, `asn-reserved`. */
  rule: string;
  /** Human message naming the offending values. */
  message: string;
}

/** Thrown by `resolve()` when the spec is invalid; carries every problem at once. */
export class SpecError extends Error {
  constructor(public readonly problems: SpecProblem[]) {
    super(formatProblems(problems));
    this.name = "SpecError";
  }
}

/** Longest quoted value in a message; the rest is cut (`…`, with the full length). */
export const QUOTE_MAX_CHARS = 80;

/**
 * A user value as it goes into a message: its JSON form (strings quoted, control characters,
 * quotes and backslashes escaped, so a value can neither split a problem line nor reach the
 * terminal as an escape sequence), cut to `QUOTE_MAX_CHARS` characters. Non-JSON values
 * (undefined, bigint, functions) are shown by their `String()` form, quoted the same way.
 */
export function quote(value: unknown, max = QUOTE_MAX_CHARS): string {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value === null || value === undefined) return String(value);
  if (typeof value === "string") {
    const cut = value.length > max ? `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)` : JSON.stringify(value);
    return neutralize(cut);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) return quote(String(value), max);
  return neutralize(json.length > max ? `${json.slice(0, max)}… (${json.length} characters)` : json);
}

/** Control characters (C0, DEL, C1), line and paragraph separators, bidi overrides. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Replace every character that could break a line or drive a terminal by its `\uXXXX` form. */
export function neutralize(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A list for a message, cut after `max` items: `a, b, c and 39,990 more`. Items are shown as
 * given (quote them first when they are user values).
 */
export function listCapped(items: readonly string[], max = 10): string {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} and ${(items.length - max).toLocaleString("en-US")} more`;
}

/** Longest path or message a problem line shows; longer ones are cut (a last line of defense). */
const LINE_MAX_CHARS = 2000;

function safeLine(text: string): string {
  const s = neutralize(String(text));
  return s.length > LINE_MAX_CHARS ? `${s.slice(0, LINE_MAX_CHARS)}… (${s.length} characters)` : s;
}

/**
 * One line per problem: `path: message [rule]`. Control characters in any part are shown
 * escaped, so a problem is always exactly one line, whatever a rule put into its message.
 * After `maxLines` problems, one line counts the rest.
 */
export function formatProblems(problems: SpecProblem[], maxLines = FORMAT_MAX_PROBLEMS): string {
  const shown = problems.length > maxLines ? problems.slice(0, maxLines) : problems;
  const lines = shown.map((p) => `  ${safeLine(p.path)}: ${safeLine(p.message)} [${safeLine(p.rule)}]`);
  if (shown.length < problems.length) lines.push(`  … and ${(problems.length - shown.length).toLocaleString("en-US")} more problems (SpecError.problems holds all)`);
  return `spec is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Most problems `formatProblems` prints (a broken 100,000-node spec can have as many problems). */
export const FORMAT_MAX_PROBLEMS = 1000;

/** Collects problems while rules run. */
export class ProblemList {
  /** Problems in the order they were found. */
  readonly items: SpecProblem[] = [];
  /** Record one problem. */
  add(path: string, rule: string, message: string): void {
    this.items.push({ path, rule, message });
  }
}
