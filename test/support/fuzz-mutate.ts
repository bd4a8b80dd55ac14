/**
 * Mutations of JSON-like spec trees for the fuzzing suite and the refused-spec corpus.
 *
 * A path is a list of keys and indices (`["racks", 0, "nodes", 1, "address"]`, printed as
 * `racks[0].nodes[1].address`, the same form as SpecProblem paths). Mutations never touch the
 * base: `applyMutations` deep-copies first. Own keys named `__proto__` are created with
 * `defineProperty`, as JSON.parse and the YAML parser do, so they stay data and never change a
 * prototype.
 */
import * as fc from "fast-check";
import { HOSTILE_KEYS, HOSTILE_NUMBERS, HOSTILE_STRINGS, WRONG_TYPES } from "./fuzz-payloads";

export type Key = string | number;
export type Path = Key[];

/** One mutation, as stored in the corpus: set a value, delete a key/element, or append to a list. */
export type Mutation =
  | { op: "set"; path: Path; value: unknown }
  | { op: "delete"; path: Path }
  | { op: "push"; path: Path; value: unknown };

/** `racks[0].nodes[1].address`. */
export function formatPath(path: Path): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("") || "(root)";
}

/** Parse `racks[0].nodes[1].address` (dots inside keys are not supported; use a list path for those). */
export function parsePath(text: string): Path {
  const out: Path = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep copy keeping own `__proto__` keys as data and prototypes as they are (plain or null). */
export function deepCopy<T>(v: T, depth = 0): T {
  if (depth > 200) throw new Error("deepCopy: too deep");
  if (Array.isArray(v)) return v.map((x) => deepCopy(x, depth + 1)) as T;
  if (isObj(v)) {
    const out: Record<string, unknown> = Object.getPrototypeOf(v) === null ? Object.create(null) : {};
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: deepCopy(v[k], depth + 1), enumerable: true, writable: true, configurable: true });
    return out as T;
  }
  return v;
}

/** Every path in the tree (containers and leaves), depth-first, root excluded. */
export function allPaths(v: unknown, prefix: Path = [], out: Path[] = [], depth = 0): Path[] {
  if (depth > 40 || out.length > 20_000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...prefix, i]), allPaths(x, [...prefix, i], out, depth + 1)));
  else if (isObj(v)) for (const k of Object.keys(v)) out.push([...prefix, k]), allPaths(v[k], [...prefix, k], out, depth + 1);
  return out;
}

/** The value at `path`, or undefined. */
export function getAt(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (Array.isArray(cur) && typeof k === "number") cur = cur[k];
    else if (isObj(cur) && typeof k === "string" && Object.prototype.hasOwnProperty.call(cur, k)) cur = cur[k];
    else return undefined;
  }
  return cur;
}

/** The container holding `path`'s last key, creating objects along the way for `set`. */
function parentOf(root: unknown, path: Path, create: boolean): unknown {
  let cur: unknown = root;
  for (const [i, k] of path.slice(0, -1).entries()) {
    let next = Array.isArray(cur) && typeof k === "number" ? cur[k] : isObj(cur) && typeof k === "string" && Object.prototype.hasOwnProperty.call(cur, k) ? cur[k] : undefined;
    if (next === undefined || next === null || typeof next !== "object") {
      if (!create) return undefined;
      next = typeof path[i + 1] === "number" ? [] : {};
      setKey(cur, k, next);
    }
    cur = next;
  }
  return cur;
}

function setKey(container: unknown, k: Key, value: unknown): void {
  if (Array.isArray(container) && typeof k === "number") container[k] = value;
  else if (isObj(container)) Object.defineProperty(container, String(k), { value, enumerable: true, writable: true, configurable: true });
}

/** Apply mutations to a deep copy of `base`. A mutation whose path does not fit is skipped. */
export function applyMutations<T>(base: T, mutations: readonly Mutation[]): T {
  const root = deepCopy(base);
  for (const m of mutations) {
    if (m.path.length === 0) continue;
    const last = m.path[m.path.length - 1];
    if (m.op === "set") setKey(parentOf(root, m.path, true), last, deepCopy(m.value));
    else if (m.op === "delete") {
      const p = parentOf(root, m.path, false);
      if (Array.isArray(p) && typeof last === "number") p.splice(last, 1);
      else if (isObj(p)) delete p[String(last)];
    } else {
      const list = getAt(root, m.path);
      if (Array.isArray(list)) list.push(deepCopy(m.value));
    }
  }
  return root;
}

/** Paths worth hitting more often than a uniform pick would (names, refs, prefixes, cluster side). */
const HOT = [
  /^name$/,
  /\.name$/,
  /passwordRef$/,
  /^pools\./,
  /\.address$/,
  /nodeNetwork$/,
  /\.asn$|^asn\./,
  /\.id$/,
  /^bgp\./,
  /\.k8s\./,
  /cilium\.values/,
  /labels|serviceSelector|selector/,
  /\.host$/,
  /chartVersion/,
  /\.peers|\.announcers|\.nodes\[\d+\]$/,
];

/** A recipe for one mutation, drawn by fast-check; resolved against the current tree by `realize`. */
export interface MutationRecipe {
  kind: "hostile-string" | "hostile-number" | "wrong-type" | "delete" | "add-key" | "duplicate" | "swap-type" | "huge-list" | "borrow";
  hot: boolean;
  pick: number;
  payload: number;
  key: number;
}

export const mutationRecipe: fc.Arbitrary<MutationRecipe> = fc.record({
  // type-keeping mutations (hostile-string on strings, hostile-number on numbers, borrow) reach
  // the semantic rules and the renderers; the others mostly stop at the schema
  kind: fc.constantFrom<MutationRecipe["kind"]>(
    "hostile-string",
    "hostile-string",
    "hostile-string",
    "hostile-string",
    "hostile-number",
    "hostile-number",
    "borrow",
    "borrow",
    "wrong-type",
    "delete",
    "add-key",
    "duplicate",
    "swap-type",
    "huge-list",
  ),
  hot: fc.boolean(),
  pick: fc.nat(),
  payload: fc.nat(),
  key: fc.nat(),
});

/** The concrete mutation a recipe stands for on `tree`, or undefined when nothing fits. */
export function realize(tree: unknown, r: MutationRecipe): Mutation | undefined {
  const every = allPaths(tree);
  // hostile strings and numbers replace values of their own type (so the schema lets them through)
  const paths =
    r.kind === "hostile-string" ? every.filter((p) => typeof getAt(tree, p) === "string") : r.kind === "hostile-number" ? every.filter((p) => typeof getAt(tree, p) === "number") : every;
  if (paths.length === 0) return undefined;
  const hot = paths.filter((p) => HOT.some((re) => re.test(formatPath(p))));
  const pool = r.hot && hot.length ? hot : paths;
  const path = pool[r.pick % pool.length];
  const current = getAt(tree, path);
  const str = HOSTILE_STRINGS[r.payload % HOSTILE_STRINGS.length];
  const num = HOSTILE_NUMBERS[r.payload % HOSTILE_NUMBERS.length];
  switch (r.kind) {
    case "hostile-string":
      // the payload alone, or appended to the current value (so name-like prefixes stay)
      return { op: "set", path, value: r.key % 3 ? str : `${String(current)}${str}` };
    case "borrow": {
      // another value of the same type from elsewhere in the spec: duplicates, overlaps, wrong references
      const same = every.filter((p) => typeof getAt(tree, p) === typeof current && p !== path);
      if (!same.length) return undefined;
      return { op: "set", path, value: getAt(tree, same[r.payload % same.length]) };
    }
    case "hostile-number":
      return { op: "set", path, value: num };
    case "wrong-type":
      return { op: "set", path, value: WRONG_TYPES[r.payload % WRONG_TYPES.length] };
    case "delete":
      return { op: "delete", path };
    case "add-key": {
      // add a key to the nearest object at or above the path
      let target = path;
      while (target.length && !isObj(getAt(tree, target))) target = target.slice(0, -1);
      const key = HOSTILE_KEYS[r.key % HOSTILE_KEYS.length];
      const values: unknown[] = [str, num, "true", {}, [str]];
      return { op: "set", path: [...target, key], value: values[r.payload % values.length] };
    }
    case "duplicate": {
      // append a copy of a list element (duplicate names, ids, addresses)
      let target = path;
      while (target.length && typeof target[target.length - 1] !== "number") target = target.slice(0, -1);
      if (!target.length) return undefined;
      return { op: "push", path: target.slice(0, -1), value: getAt(tree, target) };
    }
    case "swap-type":
      return { op: "set", path, value: typeof current === "number" ? String(current) : typeof current === "string" && /^\d+$/.test(current) ? Number(current) : typeof current === "string" ? [current] : current === undefined ? null : String(current) };
    case "huge-list": {
      // a list grown to 20–80 more copies of one element (bounded: the suite stays fast)
      let target = path;
      while (target.length && typeof target[target.length - 1] !== "number") target = target.slice(0, -1);
      if (!target.length) return undefined;
      const list = getAt(tree, target.slice(0, -1)) as unknown[];
      const n = 20 + (r.payload % 60);
      return { op: "set", path: target.slice(0, -1), value: [...list, ...Array.from({ length: n }, () => getAt(tree, target))] };
    }
  }
}

/** Realize recipes one after another (each sees the tree the previous ones produced). */
export function realizeAll(base: unknown, recipes: readonly MutationRecipe[]): { mutations: Mutation[]; tree: unknown } {
  const mutations: Mutation[] = [];
  let tree = base;
  for (const r of recipes) {
    const m = realize(tree, r);
    if (!m) continue;
    mutations.push(m);
    tree = applyMutations(tree, [m]);
  }
  return { mutations, tree };
}

/** A short, printable description of a mutation (for failure messages and the summary). */
export function describeMutation(m: Mutation): string {
  const v = m.op === "delete" ? "" : ` ${JSON.stringify(m.value, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x))?.slice(0, 120)}`;
  return `${m.op} ${formatPath(m.path)}${v}`;
}
