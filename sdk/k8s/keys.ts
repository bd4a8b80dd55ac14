/**
 * Maps keyed by user text (cluster names, label keys, Helm value paths, secret names) and the
 * Kubernetes name rules every user value that becomes a name, label or annotation must pass.
 *
 * User keys never reach a plain object's prototype chain: `__proto__`, `constructor` and
 * `prototype` are refused by validation (`unsafe-key`), maps built here have no prototype,
 * and lookups only see own properties (a plain object passed by a caller still inherits
 * `constructor`, `toString`, ...).
 */
import { quote } from "../validate/errors";

/** Keys that name, or reach, a JavaScript object's prototype. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** True for `__proto__`, `constructor` and `prototype`. */
export function isUnsafeKey(key: string): boolean {
  return UNSAFE_KEYS.has(key);
}

/** An empty map without prototype: no key of it is inherited, `__proto__` is an ordinary key. */
export function nullProtoMap<T>(): { [key: string]: T } {
  return Object.create(null) as { [key: string]: T };
}

/** `map[key]` when `key` is an own property of `map` (never an inherited `constructor` or `toString`). */
export function ownValue<T>(map: { [key: string]: T } | undefined, key: string): T | undefined {
  return map !== undefined && map !== null && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

/** True when `key` is an own property of `map`. */
export function hasOwnKey(map: object | undefined, key: string): boolean {
  return map !== undefined && map !== null && Object.prototype.hasOwnProperty.call(map, key);
}

/** Define `map[key] = value` as an own data property (never runs a setter such as `__proto__`). */
export function defineOwn(map: object, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A user value in a message (the core's `quote()`: JSON string form, control characters escaped, long values cut). */
export const q = quote;

/** Spec path of a map entry: `base.key` for plain keys, `base["key"]` otherwise. */
export function keyPath(base: string, key: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/.test(key) && key.length <= 253 ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' own rules (k8s.io/apimachinery/pkg/util/validation)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A DNS-1123 label: ≤ 63 lower-case alphanumerics or '-', alphanumeric at both ends (namespaces, most names). */
export function isDns1123Label(s: string): boolean {
  return typeof s === "string" && s.length <= 63 && DNS1123_LABEL.test(s);
}

/** A DNS-1123 subdomain: ≤ 253 characters, dot-separated DNS-1123 labels (object and Secret names). */
export function isDns1123Subdomain(s: string): boolean {
  return typeof s === "string" && s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** A DNS-1035 label: a DNS-1123 label starting with a letter (Service names). */
export function isDns1035Label(s: string): boolean {
  return typeof s === "string" && s.length <= 63 && DNS1035_LABEL.test(s);
}

/** Why `key` is not a valid label or annotation key (`[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  if (typeof key !== "string" || key.length === 0) return "is empty";
  const parts = key.split("/");
  if (parts.length > 2) return "has more than one '/' (a key is [prefix/]name)";
  const name = parts[parts.length - 1];
  if (parts.length === 2 && !isDns1123Subdomain(parts[0])) return `has prefix ${JSON.stringify(parts[0])}, which is not a DNS-1123 subdomain (lower-case alphanumerics, '-' and '.', ≤ 253 characters)`;
  if (name.length > 63) return `has a name part of ${name.length} characters (at most 63)`;
  if (!QUALIFIED_NAME.test(name)) return "must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric (optionally prefixed by a DNS subdomain and '/')";
  return undefined;
}

/** Why `value` is not a valid label value (≤ 63, alphanumerics, '-', '_', '.', alphanumeric at both ends, or empty), or undefined. */
export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "is not a string";
  if (value.length > 63) return `has ${value.length} characters (at most 63)`;
  if (!LABEL_VALUE.test(value)) return "must be empty or alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  return undefined;
}
