/**
 * Shell helpers for the device-side apply scripts. Every script is POSIX `sh` (dash, bash,
 * busybox ash), runs with `set -eu`, and receives its payload (config or secrets) on stdin, so
 * the command text stays small whatever the size of the config (an `sh -c` argument is capped at
 * 128 KiB by Linux) and a secret never appears in a command line.
 */
import { createHash } from "crypto";
import { readFileSync } from "fs";
import { join } from "path";

/** Quote `text` as one single-quoted shell word. */
export function shq(text: string): string {
  if (text.includes("\0")) throw new Error("a shell word cannot contain NUL");
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `text` as one shell word: as it is when it holds only characters that are never special to `sh`, else `shq(text)`. */
export function shWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(text) ? text : shq(text);
}

/** `NAME=value`: a number as it is, a string through `quote` (default: always single-quoted). */
export function assignment(name: string, value: string | number, quote: (text: string) => string = shq): string {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`bad shell variable name ${name}`);
  return `${name}=${typeof value === "number" ? String(value) : quote(value)}`;
}

/** `NAME='value'` assignment lines (values quoted). */
export function assignments(vars: ScriptParams): string {
  return vars.map(([k, v]) => assignment(k, v)).join("\n");
}

/** Lowercase hex SHA-256 of a UTF-8 string (what `sha256sum` prints for the same bytes). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Byte length of a UTF-8 string. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Check a device name used in messages and owner tags. */
export function checkDeviceName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`device name ${JSON.stringify(name)} is not a safe name`);
  return name;
}

/** Folder of the shell sources of the scripts (`sdk/apply/scripts/*.sh`), next to this module. */
export const SCRIPTS_DIR = join(__dirname, "scripts");
const parts = new Map<string, string>();

/**
 * The text of one shell source in `scripts/`, read once, without its first line when that is
 * the `# shellcheck shell=sh ...` directive (which only serves checking the file on its own).
 */
export function scriptPart(name: string): string {
  let text = parts.get(name);
  if (text === undefined) {
    text = readFileSync(join(SCRIPTS_DIR, name), "utf8").replace(/^# shellcheck shell=sh[^\n]*\n/, "");
    parts.set(name, text);
  }
  return text;
}

/** A script's parameters as `[NAME, value]` pairs (quoted by `assignments`). */
export type ScriptParams = [string, string | number][];

/** What builds a script from its title, parameters and shell sources (`buildScript`, or `scriptParts` for the components' launchers). */
export type ScriptBuilder<T> = (title: string, params: ScriptParams, files: string[]) => T;

/**
 * A whole script: a title comment, `set -eu`, `umask 077`, the parameters as quoted assignments,
 * then the shell sources `files` in order.
 */
export function buildScript(title: string, params: ScriptParams, files: string[]): string {
  return [
    `# dcnet: ${title} (generated from the plan; POSIX sh, run as root)`,
    "# shellcheck disable=SC2034 # every script of a daemon gets the same parameters and paths; not each uses all",
    "set -eu", "umask 077", assignments(params), ...files.map(scriptPart)].join("\n");
}

/** A script kept apart: its parameters and its body (the shell sources, one string per distinct `files` list, keyed by `key`). */
export interface ScriptParts {
  title: string;
  params: ScriptParams;
  /** The shell sources' names joined: the same key, the same body. */
  key: string;
  body: string;
}

const bodies = new Map<string, string>();

/** `buildScript` as the default builder of a generic script renderer (its `T` is `string`). */
export function textScript<T>(): ScriptBuilder<T> {
  return buildScript as ScriptBuilder<unknown> as ScriptBuilder<T>;
}

/** The builder of `ScriptParts`: what `buildScript` would join, without joining the ~30 KB body into every device's script. */
export function scriptParts(title: string, params: ScriptParams, files: string[]): ScriptParts {
  const key = files.join(",");
  let body = bodies.get(key);
  if (body === undefined) bodies.set(key, (body = files.map(scriptPart).join("\n")));
  return { title, params, key, body };
}

/**
 * Functions shared by every script (`scripts/common.sh`): messages, redaction for the secrets
 * commands, capture of a command's output, a lock, hashing, literal substitution, manifests of the
 * files dcnet wrote. Expects `DEVICE` (and `ERROR_LOG` for `withhold`).
 */
export const PRELUDE = scriptPart("common.sh");

/**
 * Decoder of a secrets payload on stdin (`scripts/payload.sh`, see `encodeSecretsPayload`):
 * writes each file into directory `$1` (mode 0600) and checks the set of names against `$SECRET_FILES`.
 */
export const PAYLOAD_DECODER = scriptPart("payload.sh");

/** A secret file sent to a device: name (no directory) and content. */
export interface SecretFile {
  /** File name inside the device's secrets directory (`[A-Za-z0-9._-]`, not starting with `.`). */
  name: string;
  /** File content. */
  text: string;
}

/** Check a secret file name. */
export function checkSecretFileName(name: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) throw new Error(`secret file name ${JSON.stringify(name)} is not safe`);
  return name;
}

/**
 * Encode secret files as the stdin payload of a secrets script:
 * `dcnet-secrets 1`, one `file NAME BASE64` line per file, `end`. The payload is the only place
 * the values travel; callers mark it secret.
 */
export function encodeSecretsPayload(files: SecretFile[]): string {
  const lines = ["dcnet-secrets 1"];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    lines.push(`file ${checkSecretFileName(f.name)} ${Buffer.from(f.text, "utf8").toString("base64")}`);
  lines.push("end");
  return lines.join("\n") + "\n";
}
