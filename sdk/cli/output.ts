/**
 * The rendered output folder of `dcnet plan`: which files it holds, and how it is written so that
 * a failure never leaves a half-written folder and files dcnet did not write are never touched.
 *
 * Layout (every path is dcnet-owned; nothing else is ever written, never a secret):
 *   plan.json                     the resolved plan
 *   hosts/<node>/bird.conf        BIRD config of each node (includes its secrets file, never holds it)
 *   switches/<switch>/<fileName>  switch config (frr.conf)
 *   summary.md                    Markdown overview
 *   topology.svg                  diagram
 *   clusters/<cluster>/...        Kubernetes objects and chart values of the cluster side (sdk/k8s/render.ts)
 */
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync, writeSync } from "fs";
import { randomBytes } from "crypto";
import * as path from "path";
import { Plan } from "../plan/types";
import { renderBirdConfig } from "../render/bird";
import { dialectOf, renderSwitchConfig } from "../render/switch";
import { summaryLines } from "../render/summary";
import { topologySvgLines } from "../render/topology-svg";
import { UserError, isUserFsError } from "./errors";
import { BackgroundWriter } from "./background-writer";

/** Top-level entries of an output folder that dcnet owns (and replaces as a whole). */
export const OWNED_ENTRIES = ["clusters", "hosts", "plan.json", "summary.md", "switches", "topology.svg"] as const;

/** One file of the output folder, path relative to the folder with `/` separators. */
export interface OutputFile {
  /** Path inside the output folder, e.g. `hosts/r1n1/bird.conf`. */
  path: string;
  /** File contents (for plan.json computed when read: see `chunks`). */
  readonly text: string;
  /**
   * The contents in pieces, for a file that may be longer than one JavaScript string can be
   * (plan.json of a 100,000-node data center): `writeOutputDir` writes it piece by piece.
   */
  chunks?: () => Iterable<string>;
  /**
   * Produced (rendered or serialized) only when written, in seconds on a large plan
   * (plan.json, summary.md, topology.svg): `writeOutputDir` reports it (`onStep`) before.
   */
  slow?: boolean;
}

/** A device name as one path segment: refuses anything that could leave its folder. */
function segment(name: string, what: string): string {
  if (name === "" || name === "." || name === ".." || /[/\\\u0000]/.test(name))
    throw new UserError(`${what} name ${JSON.stringify(name)} cannot be used as a folder name in the output (no '/', '\\', '.' or '..')`);
  return name;
}

/** Run a renderer for `file`, reporting its refusal (a value it cannot express) as the user's problem. */
function rendered<T>(file: string, render: () => T): T {
  try {
    return render();
  } catch (e) {
    // TypeError & co. are bugs: let them through with their stack
    if (e instanceof UserError || !(e instanceof Error) || e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError) throw e;
    const err = e;
    if (process.env.DCNET_DEBUG) console.error(err.stack);
    throw new UserError(`cannot render ${file}: ${err.message ?? String(e)}`);
  }
}

/** Every file of the output folder for a plan, sorted by path. Pure: the same plan gives the same bytes. */
export function renderPlanFiles(plan: Plan, opts: RenderOptions = {}): OutputFile[] {
  return [planJsonFile(plan), ...renderConfigFiles(plan, opts)].sort(byPath);
}

/**
 * The same files as `renderPlanFiles`, sorted by path, each rendered only when its `text` is
 * read (each time it is read: nothing is kept). `writeOutputDir` reads each once and drops it,
 * so a large plan is never held rendered in memory as a whole (a 100,000-node plan's files are
 * ~1.1 GB of text) and its strings die young. Paths are known (and checked) up front; a
 * renderer's refusal is thrown when its file is read, which `writeOutputDir` turns into no
 * output at all (the files go to a fresh folder first).
 */
export function planOutputFiles(plan: Plan): OutputFile[] {
  const files: OutputFile[] = [planJsonFile(plan)];
  for (const f of configFileList(plan)) {
    const lines = f.lines;
    files.push({
      path: f.path,
      slow: f.slow,
      get text() {
        return f.render();
      },
      // a large document is written in pieces of its lines, never joined into one string
      ...(lines ? { chunks: () => joinedInPieces(lines(), "\n") } : {}),
    });
  }
  return files.sort(byPath);
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** `lines.join(sep)` in pieces of at most `per` lines (and the separators between them). */
export function* joinedInPieces(lines: string[], sep: string, per = 4096): Generator<string> {
  for (let i = 0; i < lines.length; i += per) {
    if (i > 0) yield sep;
    yield lines.slice(i, i + per).join(sep);
  }
}

/** Options of `renderConfigFiles`. */
export interface RenderOptions {
  /** Called after each device's config with how many of the plan's devices are rendered. */
  onDevice?: (done: number, total: number) => void;
  /** Called before a step that takes seconds on a large plan (summary.md and topology.svg). */
  onStep?: (what: string) => void;
}

/**
 * `plan.json`: the plan, pretty-printed, keys in the order resolve() produced them. Its `text`
 * is built only when read; `writeOutputDir` writes its `chunks`, so the size of a plan is
 * never bounded by the longest string V8 can hold (~512 MB).
 */
export function planJsonFile(plan: Plan): OutputFile {
  const chunks = () => jsonChunks(plan);
  return {
    path: "plan.json",
    chunks,
    slow: true,
    get text() {
      return [...chunks()].join("");
    },
  };
}

/**
 * A value of at most this many nested values (about 1 MB of JSON) is serialized whole by one
 * `JSON.stringify`; larger objects and arrays are split into their members.
 */
const JSON_WHOLE_LIMIT = 20_000;

/**
 * At most this many values (about 50 KB of JSON) are stringified together as a run of array
 * elements: a longer text would be allocated among V8's large objects, which only a full garbage
 * collection frees (runs of 20,000 values raised the peak RSS of a 100,000-node plan by ~0.35 GB).
 */
const JSON_RUN_LIMIT = 1_000;

/**
 * `JSON.stringify(value, null, 2) + "\n"`, byte for byte, in pieces: the top level and every
 * object or array holding more than `JSON_WHOLE_LIMIT` values are walked, smaller values are
 * stringified on their own and re-indented (JSON text has newlines only between tokens, so
 * indenting after every newline is exact).
 */
export function* jsonChunks(value: unknown): Generator<string> {
  yield* jsonPieces(value, "", 0);
  yield "\n";
}

/** `budget` minus the number of values in `v` (objects, arrays and scalars), stopping below 0. */
function remainingAfter(v: unknown, budget: number): number {
  budget--;
  if (v === null || typeof v !== "object" || typeof (v as { toJSON?: unknown }).toJSON === "function") return budget;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && budget >= 0; i++) budget = remainingAfter(v[i], budget);
    return budget;
  }
  for (const k in v) {
    if (budget < 0) break;
    budget = remainingAfter((v as Record<string, unknown>)[k], budget);
  }
  return budget;
}

function* jsonPieces(value: unknown, indent: string, depth: number): Generator<string> {
  const v = value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function" ? (value as { toJSON: () => unknown }).toJSON() : value;
  if (v === null || typeof v !== "object" || (depth > 0 && remainingAfter(v, JSON_WHOLE_LIMIT) >= 0)) {
    const text = JSON.stringify(v, null, 2) ?? "null";
    yield indent ? text.replace(/\n/g, `\n${indent}`) : text;
    return;
  }
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    if (v.length === 0) return void (yield "[]");
    yield "[";
    for (let i = 0; i < v.length; ) {
      // a run of small elements (at most JSON_RUN_LIMIT values in all) is one JSON.stringify
      let j = i;
      for (let budget = JSON_RUN_LIMIT; j < v.length; j++) {
        const left = remainingAfter(v[j], budget);
        if (left < 0) break;
        budget = left;
      }
      if (j > i) {
        yield `${i === 0 ? "" : ","}\n`;
        yield nestedElements(v.slice(i, j), inner.length / 2);
        i = j;
        continue;
      }
      yield `${i === 0 ? "" : ","}\n${inner}`;
      const el = v[i++];
      yield* jsonPieces(el === undefined || typeof el === "function" || typeof el === "symbol" ? null : el, inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== "function" && typeof x !== "symbol");
  if (entries.length === 0) return void (yield "{}");
  yield "{";
  for (let i = 0; i < entries.length; i++) {
    yield `${i === 0 ? "" : ","}\n${inner}${JSON.stringify(entries[i][0])}: `;
    yield* jsonPieces(entries[i][1], inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/**
 * `elements` as JSON.stringify writes them inside an array whose elements are indented `level`
 * steps: nested in `level` arrays and cut out of them, so the indentation is JSON.stringify's own
 * (no re-indenting pass over the text). Elements separated by `,\n`, no newline around.
 */
function nestedElements(elements: unknown[], level: number): string {
  let wrapped: unknown = elements;
  for (let k = 1; k < level; k++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  // `[\n` + `  [\n` + … before, `\n  ]` + `\n]` after: 2k + 2 characters for each level k
  const cut = level * (level + 1);
  return text.slice(cut, text.length - cut);
}

/** From this many files on, `writeOutputDir` writes the small ones on a worker thread (`BackgroundWriter`). */
export const BACKGROUND_MIN_FILES = 2000;

/** Bytes of the buffer `writeChunks` encodes into (each chunk is encoded straight into it). */
const WRITE_BUFFER_BYTES = 1 << 21;

/**
 * Write `chunks` to `file`, buffered: each chunk is encoded as UTF-8 straight into one reused
 * buffer (no joined string, no new buffer per write), written when the next chunk might not fit;
 * a chunk larger than the buffer is written on its own. Loops over short writes.
 */
function writeChunks(file: string, chunks: Iterable<string>): void {
  const fd = openSync(file, "w");
  const writeAll = (bytes: Buffer, length: number) => {
    for (let off = 0; off < length; ) off += writeSync(fd, bytes, off, length - off);
  };
  try {
    const buf = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
    let used = 0;
    for (const c of chunks) {
      // UTF-8 takes at most 3 bytes per UTF-16 code unit (4 for a surrogate pair of 2)
      const most = c.length * 3;
      if (most > buf.length - used && used > 0) {
        writeAll(buf, used);
        used = 0;
      }
      if (most > buf.length) {
        const bytes = Buffer.from(c, "utf8");
        writeAll(bytes, bytes.length);
      } else used += buf.write(c, used, "utf8");
    }
    if (used > 0) writeAll(buf, used);
  } finally {
    closeSync(fd);
  }
}

/** A file of `configFileList`: its path, and how to render it. */
interface ConfigFile {
  path: string;
  /** Index in `plan.devices`, for a device's config. */
  device?: number;
  slow?: boolean;
  render: () => string;
  /** For a large document: its lines, `render()` being their join by newlines. */
  lines?: () => string[];
}

/**
 * The rendered files (BIRD and switch configs, summary, diagram) of a plan, unrendered: devices
 * in plan order, then summary.md and topology.svg. Throws when two would have one path.
 */
function configFileList(plan: Plan): ConfigFile[] {
  const files: ConfigFile[] = [];
  plan.devices.forEach((d, device) => {
    if (d.kind === "node") {
      const file = `hosts/${segment(d.name, "node")}/bird.conf`;
      files.push({ path: file, device, render: () => rendered(file, () => renderBirdConfig(plan, d.name)) });
    } else {
      const folder = `switches/${segment(d.name, "switch")}`;
      // the file name is the dialect's, known before rendering (an unknown dialect is refused here)
      const fileName = rendered(folder, () => dialectOf(plan, d.name).fileName);
      files.push({ path: `${folder}/${segment(fileName, "switch config file")}`, device, render: () => rendered(folder, () => renderSwitchConfig(plan, d.name).text) });
    }
  });
  for (const [file, lines] of [
    ["summary.md", summaryLines],
    ["topology.svg", topologySvgLines],
  ] as const) {
    const linesOf = () => rendered(file, () => lines(plan));
    files.push({ path: file, slow: true, render: () => linesOf().join("\n"), lines: linesOf });
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new UserError(`two devices would write the same output file ${f.path}`);
    seen.add(f.path);
  }
  return files;
}

/** The rendered files (BIRD and switch configs, summary, diagram), without plan.json, sorted by path. */
export function renderConfigFiles(plan: Plan, opts: RenderOptions = {}): OutputFile[] {
  const list = configFileList(plan);
  const files: OutputFile[] = [];
  let done = 0;
  for (const f of list) {
    if (f.device !== undefined) opts.onDevice?.(done++, plan.devices.length);
    else if (f.path === "summary.md") {
      opts.onDevice?.(done, plan.devices.length);
      opts.onStep?.("rendering summary.md and topology.svg");
    }
    files.push({ path: f.path, text: f.render() });
  }
  return files.sort(byPath);
}

/** What is in the way at `dir`. */
interface Existing {
  entries: string[];
  foreign: string[];
}

function inspect(dir: string): Existing | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  if (!st.isDirectory()) throw new UserError(`${dir} exists and is not a folder`);
  const entries = readdirSync(dir).sort();
  return { entries, foreign: entries.filter((e) => !(OWNED_ENTRIES as readonly string[]).includes(e)) };
}

/**
 * Write `files` to `dir`. The files are first written to a fresh folder beside `dir`, then moved
 * into place, so an error (full disk, permissions) never leaves a half-written `dir`.
 *
 * - `dir` missing: created (by a rename of the finished folder).
 * - `dir` empty, or holding only a previous dcnet output (plan.json and other owned entries):
 *   replaced as a whole.
 * - `dir` holding anything else: refused unless `force`; with `force` only the owned entries
 *   (`OWNED_ENTRIES`: plan.json, hosts/, switches/, clusters/, summary.md, topology.svg) are
 *   replaced and the rest is kept.
 */
export function writeOutputDir(
  dir: string,
  files: OutputFile[],
  opts: { force?: boolean; onFile?: (done: number, total: number) => void; onStep?: (what: string) => void } = {},
): void {
  const paths = new Set<string>();
  for (const f of files) {
    const top = f.path.split("/")[0];
    if (!(OWNED_ENTRIES as readonly string[]).includes(top) || f.path.split("/").some((s) => s === "" || s === "." || s === ".."))
      throw new Error(`internal: output path ${f.path} is not dcnet-owned`);
    // names map to paths injectively (validation refuses collisions); checked again before anything is written
    const key = f.path.toLowerCase(); // the same file on a case-insensitive file system
    if (paths.has(key)) throw new Error(`internal: two output files would be written to ${JSON.stringify(f.path)}`);
    paths.add(key);
  }
  const target = path.resolve(dir);
  try {
    const existing = inspect(target);
    const previousOutput = existing !== undefined && existing.foreign.length === 0 && (existing.entries.length === 0 || existing.entries.includes("plan.json"));
    if (existing && !previousOutput && !opts.force) {
      const shown = existing.foreign.slice(0, 5).join(", ") + (existing.foreign.length > 5 ? `, … (${existing.foreign.length} entries)` : "");
      throw new UserError(
        existing.foreign.length > 0
          ? `${dir} already holds files dcnet did not write (${shown}); choose another --out, or pass --force to replace only dcnet's entries (${OWNED_ENTRIES.join(", ")}) and keep the rest`
          : `${dir} does not look like a dcnet output folder (no plan.json); pass --force to replace its dcnet entries (${OWNED_ENTRIES.join(", ")})`,
      );
    }
    const parent = path.dirname(target);
    // the first folder made for the parent, if any: removed again if nothing is moved into place
    // (files may be rendered while written: a renderer's refusal leaves no trace)
    const madeParent = mkdirSync(parent, { recursive: true });
    const stamp = `${process.pid}-${randomBytes(4).toString("hex")}`;
    const tmp = path.join(parent, `.${path.basename(target)}.dcnet-tmp-${stamp}`);
    mkdirSync(tmp);
    let placed = false;
    try {
      // one mkdir per folder (a recursive mkdir per file costs several system calls each: 100,000 hosts)
      const made = new Set<string>([tmp]);
      let written = 0;
      // many files: their folders and files written by a worker thread while the next are rendered
      const background = files.length >= BACKGROUND_MIN_FILES ? new BackgroundWriter() : undefined;
      try {
        const makeDir = (dir: string) => {
          if (made.has(dir)) return;
          makeDir(path.dirname(dir));
          if (background) background.mkdir(dir);
          else mkdirSync(dir);
          made.add(dir);
        };
        for (const f of files) {
          const abs = path.join(tmp, ...f.path.split("/"));
          const folder = path.dirname(abs);
          makeDir(folder);
          // a file written in pieces (plan.json) or rendered when written is slow: seconds of its own
          const slow = f.chunks !== undefined || f.slow === true;
          if (slow) opts.onStep?.(`writing ${f.path}`);
          if (background && !slow) background.write(abs, f.text);
          else {
            if (background && folder !== tmp) background.drain(); // its folder is made
            if (f.chunks) writeChunks(abs, f.chunks());
            else writeFileSync(abs, f.text);
          }
          opts.onFile?.(++written, files.length);
        }
        background?.drain();
      } finally {
        background?.close();
      }
      placed = true; // from here on the target is changed, or put back as it was
      if (!existing) {
        renameSync(tmp, target);
      } else if (existing.foreign.length === 0) {
        // only dcnet's entries: swap the whole folder
        const old = path.join(parent, `.${path.basename(target)}.dcnet-old-${stamp}`);
        renameSync(target, old);
        try {
          renameSync(tmp, target);
        } catch (e) {
          renameSync(old, target);
          throw e;
        }
        rmSync(old, { recursive: true, force: true });
      } else {
        swapOwnedEntries(target, tmp, path.join(parent, `.${path.basename(target)}.dcnet-old-${stamp}`));
      }
    } finally {
      if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
      if (!placed && madeParent !== undefined) removeEmptyFolders(parent, madeParent);
    }
  } catch (e) {
    if (isUserFsError(e)) throw new UserError(`cannot write ${dir}: ${e.message}`);
    throw e;
  }
}

/** Remove `dir` and its parents up to `top` (included) while they are empty. */
function removeEmptyFolders(dir: string, top: string): void {
  for (let d = dir; d.length >= top.length; d = path.dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (or gone): leave it
    }
    if (d === top) return;
  }
}

/** Replace the owned entries of `target` by those of `fresh`, entry by entry, rolling back on error. */
function swapOwnedEntries(target: string, fresh: string, trash: string): void {
  mkdirSync(trash);
  const done: { name: string; hadOld: boolean; hasNew: boolean }[] = [];
  try {
    for (const name of OWNED_ENTRIES) {
      const cur = path.join(target, name);
      const next = path.join(fresh, name);
      const hadOld = existsSync(cur);
      const hasNew = existsSync(next);
      if (!hadOld && !hasNew) continue;
      if (hadOld) renameSync(cur, path.join(trash, name));
      done.push({ name, hadOld, hasNew: false });
      if (hasNew) {
        renameSync(next, cur);
        done[done.length - 1].hasNew = true;
      }
    }
  } catch (e) {
    for (const d of done.reverse()) {
      const cur = path.join(target, d.name);
      if (d.hasNew) rmSync(cur, { recursive: true, force: true });
      if (d.hadOld) renameSync(path.join(trash, d.name), cur);
    }
    rmSync(trash, { recursive: true, force: true });
    throw e;
  }
  rmSync(trash, { recursive: true, force: true });
}
