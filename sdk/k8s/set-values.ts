/** Helm `--set`-style value paths (`a.b.c=value`), used for extra chart values. */
import { defineOwn, hasOwnKey, isUnsafeKey } from "./keys";

/** Split a `--set` path on unescaped dots (`\.` keeps a dot inside a key). */
export function splitValuePath(path: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === "\\" && path[i + 1] === ".") {
      cur += ".";
      i++;
    } else if (ch === ".") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Helm's scalar typing of `--set` values: booleans, integers, null, else strings. */
export function parseSetValue(text: string): unknown {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text === "null") return null;
  if (/^-?(0|[1-9][0-9]{0,14})$/.test(text)) return Number(text);
  return text;
}

/**
 * Apply `--set` pairs onto a (cloned) values tree, in key order. Every step walks own properties
 * only and defines own properties, so no path can reach or change `Object.prototype`; a path
 * with a `__proto__`, `constructor` or `prototype` segment (refused by validation, `unsafe-key`)
 * or an empty segment throws.
 */
export function applySetValues(values: Record<string, unknown>, pairs: { [path: string]: string }): Record<string, unknown> {
  const out = structuredClone(values);
  for (const path of Object.keys(pairs).sort()) {
    const keys = splitValuePath(path);
    const bad = keys.find((k) => isUnsafeKey(k) || k === "");
    if (bad !== undefined) throw new Error(`Helm value path ${JSON.stringify(path)} has the segment ${JSON.stringify(bad)}, which cannot be set`);
    let node = out as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      const next = hasOwnKey(node, k) ? node[k] : undefined;
      if (typeof next !== "object" || next === null || Array.isArray(next)) {
        const child: Record<string, unknown> = {};
        defineOwn(node, k, child);
        node = child;
      } else node = next as Record<string, unknown>;
    }
    defineOwn(node, keys[keys.length - 1], parseSetValue(pairs[path]));
  }
  return out;
}

/** True when `path` is `prefix` or below it (or above it: setting a parent replaces the child). */
export function pathsIntersect(path: string, prefix: string): boolean {
  const a = splitValuePath(path);
  const b = splitValuePath(prefix);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
