/**
 * Text safety shared by the renderers: every value from the spec is shown, never obeyed. Control
 * characters (C0, DEL, C1), line/paragraph separators and bidi overrides become visible `\uXXXX`
 * text: they would split a config or Markdown line, be illegal in XML 1.0, or drive a terminal.
 */

/** The characters `controlFree` shows escaped, as the inside of a regular expression class. */
export const CONTROL_CLASS = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069";

const UNSAFE = new RegExp(`[${CONTROL_CLASS}]`, "g");
const UNSAFE_ONE = new RegExp(`[${CONTROL_CLASS}]`);

/** `text` with every control character shown as `\uXXXX`. */
export function controlFree(text: string | number): string {
  const s = String(text);
  return UNSAFE_ONE.test(s) ? s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : s;
}
