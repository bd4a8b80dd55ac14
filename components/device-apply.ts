/**
 * Internal: one command per device. The apply scripts of `sdk/apply` (config and secrets, create
 * and delete) are combined into one short launcher per operation; their bodies travel on stdin:
 *
 * - `stdin` = one line (the script bodies, gzip + base64) followed by the rendered config, so the
 *   config stays the visible, line-by-line part of `pulumi preview --diff` (the first line changes
 *   only when dcnet's scripts do);
 * - `create` / `delete` = the scripts' parameters (quoted assignments) and a few lines that unpack
 *   the bodies and run the parts in order, each in a subshell: the command text stays short, so a
 *   failure shows the device's own error right after it;
 * - the secrets payload (`encodeSecretsPayload`) travels in the environment variable
 *   `DCNET_SECRETS`, a secret input (over SSH the device's sshd must accept it:
 *   `AcceptEnv DCNET_SECRETS`); the launcher moves it into a shell variable and unsets it before
 *   anything else runs, so no daemon or child process inherits it.
 *
 * Every part runs with `PUBLIC=1`: the command's output is not secret, so daemon words that may
 * hold a password stay on the device (see the scripts).
 *
 * `bundleLaunchers` is the data center's default form: the bodies, the shared parameters and the
 * order of the parts go into one content-addressed script file per kind of device (installed
 * beforehand by `script-delivery.ts`), and stdin is the config alone.
 */
import { createHash } from "crypto";
import { gzipSync } from "zlib";
import { assignment, assignments, ScriptParams, ScriptParts, scriptPart, shq, shWord } from "../sdk/apply/shell";
import { prefixRoot } from "../sdk/apply/paths";

/** One part of a launcher: an apply script of sdk/apply, rendered with `scriptParts`. */
export interface LauncherPart {
  /** The script's parameters and body (`render…Script(options, scriptParts)`). */
  script: ScriptParts;
  /** The part reads the secrets payload on its stdin (instead of the command's stdin). */
  secretsOnStdin?: boolean;
}

/** A part's parameter lines, with `PUBLIC=1`: the command's output is not secret. */
function paramLines(part: ScriptParts): string {
  return assignments(part.params.map(([k, v]) => (k === "PUBLIC" ? [k, 1] : [k, v])));
}

/** The launchers and the first stdin line of one device command. */
export interface Launchers {
  create: string;
  delete: string;
  /** First line of stdin (with its newline): the bodies of every part, gzip + base64. */
  lib: string;
}

/**
 * Packed script bodies by the keys of their parts (`ScriptParts.key`): every device of a kind has
 * the same bodies, so gzip -9 of ~30 KB runs once per distinct set, not once per device.
 */
const packed = new Map<string, string>();

function packedLib(parts: ScriptParts[]): string {
  const key = parts.map((p) => p.key).join(";");
  let lib = packed.get(key);
  if (lib === undefined) {
    const text = parts.map((p, i) => `DCNET_P${i + 1}=${shq(p.body)}`).join("\n") + "\n";
    lib = gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64") + "\n";
    if (packed.size >= 64) packed.clear();
    packed.set(key, lib);
  }
  return lib;
}

/**
 * Build the launchers of a device: `createParts` run in order by `create`, `deleteParts` by
 * `delete`; `after` (optional) are extra lines run by `create` after every part succeeded.
 */
export function launchers(device: string, title: string, createParts: LauncherPart[], deleteParts: LauncherPart[], after: string[] = []): Launchers {
  const all = [...createParts, ...deleteParts].map((p) => ({ ...p, params: paramLines(p.script) }));
  const lib = packedLib(all.map((p) => p.script));
  const msg = (text: string) => `printf 'dcnet: %s: %s\\n' ${shq(device)} ${shq(text)} >&2`;
  const head = (what: string) => [
    `# dcnet: ${what} (launcher: the script bodies are the first line of stdin, gzip+base64; the config follows it)`,
    "# shellcheck disable=SC2034 # the parameters are read by the script bodies, which run through eval",
    "set -eu",
    "umask 077",
    "DCNET_S=${DCNET_SECRETS-}",
    "unset DCNET_SECRETS",
    `DCNET_LIB=$(dd bs=1 count=${lib.length} 2> /dev/null | base64 -d | gzip -dc) || { ${msg("could not unpack the scripts from stdin (needs dd, base64 and gzip)")}; exit 1; }`,
    'eval "$DCNET_LIB"',
    "unset DCNET_LIB",
  ];
  const run = (parts: typeof all, offset: number) =>
    parts.flatMap((p, i) => {
      const v = `"$DCNET_P${offset + i + 1}"`;
      return ["(", p.params, p.secretsOnStdin ? `printf '%s' "$DCNET_S" | (eval ${v})` : `eval ${v}`, ")"];
    });
  const needsSecrets = createParts.some((p) => p.secretsOnStdin);
  const create = [
    ...head(title),
    ...(needsSecrets
      ? [`if [ -z "$DCNET_S" ]; then ${msg("no secrets arrived: the environment variable DCNET_SECRETS is empty (over SSH the device's sshd must accept it: AcceptEnv DCNET_SECRETS)")}; exit 1; fi`]
      : []),
    ...run(all.slice(0, createParts.length), 0),
    ...after,
  ].join("\n") + "\n";
  const del = [...head(`${title}: remove`), "unset DCNET_S", ...run(all.slice(createParts.length), createParts.length)].join("\n") + "\n";
  return { create, delete: del, lib };
}

/**
 * The script files of a data center's bundle delivery, by name: each file's name is the SHA-256
 * of its text (content-addressed), so devices of the same kind and paths share one file and a
 * changed script is a new file beside the old one.
 */
export class ScriptFiles {
  private readonly byName = new Map<string, string>();
  private readonly byKey = new Map<string, string>();

  /** Add a file's text (once per distinct text); returns its name (the first 32 hex digits of its SHA-256). */
  add(text: string): string {
    // 128 bits of SHA-256 name a file: enough to tell script versions apart, half the launcher bytes
    const name = createHash("sha256").update(text).digest("hex").slice(0, 32);
    if (!this.byName.has(name)) this.byName.set(name, text);
    return name;
  }

  /** `add(build())` once per `key` (what determines the text): later calls with the same key return the name without building the text. */
  addOnce(key: string, build: () => string): string {
    let name = this.byKey.get(key);
    if (name === undefined) this.byKey.set(key, (name = this.add(build())));
    return name;
  }

  /** Every file as `[name, text]`, by name. */
  entries(): [string, string][] {
    return [...this.byName.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

/** Bundle delivery of a device's launchers: where the device finds its script file. */
export interface LauncherBundle {
  /** The data center's files (the device's file is added to it). */
  files: ScriptFiles;
  /** The folder on the device holding the files (root-prefixed in folder mode). */
  dir: string;
  /** Resource name of the delivery (named in the launcher's message when the file is missing). */
  deliveredBy: string;
  /** The device's router id (`@ROUTER_ID@` in shared parameter templates). */
  routerId: string;
  /** Told which file a device's launchers name. */
  use?: (device: string, file: string) => void;
}

/** What `DataCenter` gives each device command for the bundle delivery (`dir` as on the device, without the folder-mode root). */
export type BundleDelivery = Omit<LauncherBundle, "routerId">;

/** The launchers of a device: bundle delivery when `delivery` is given, else the scripts on stdin (`launchers`). */
export function deviceLaunchers(device: string, title: string, createParts: LauncherPart[], deleteParts: LauncherPart[], after: string[], delivery: BundleDelivery | undefined, routerId: string, root: string | undefined): Launchers {
  if (!delivery) return launchers(device, title, createParts, deleteParts, after);
  return bundleLaunchers(device, title, createParts, deleteParts, after, { ...delivery, dir: prefixRoot(root, delivery.dir), routerId });
}

/** A launcher's own parameters on one line (`A=x B='y z'`: a line of assignments alone sets shell variables, in order). */
function ownAssignments(vars: ScriptParams): string {
  return vars.map(([k, v]) => assignment(k, v, shWord)).join(" ");
}

/**
 * Parameters that differ between devices of one kind: set by each device's launcher. Every other
 * parameter is the same for every device with the same paths and goes into the shared file.
 */
const DEVICE_PARAMS = new Set(["DEVICE", "OWNER", "EXPECT_SHA256", "EXPECT_BYTES", "PROTOCOLS", "PLANNED", "REQUIRED", "BASELINE", "SECRET_FILES"]);
/** Device parameters that usually differ only by the device's name and router id: shared as a template when it reproduces the value exactly. */
const TEMPLATED = new Set(["OWNER", "BASELINE"]);

/** `value` with `device` and `routerId` replaced by placeholders, when filling them back gives `value` exactly. */
function templateOf(value: string, device: string, routerId: string): string | undefined {
  if (value.includes("@DEVICE@") || value.includes("@ROUTER_ID@")) return undefined;
  const t = value.split(device).join("@DEVICE@").split(routerId).join("@ROUTER_ID@");
  const filled = t.split("@ROUTER_ID@").join(routerId).split("@DEVICE@").join(device);
  return filled === value && t !== value ? t : undefined;
}

/**
 * `launchers` for the bundle delivery: the parts' bodies, their shared parameters and the order
 * they run in go into one script file shared by every device of the same kind and paths
 * (`bundle.files`, installed on the device by the data center's delivery before any device
 * command runs); the launchers hold only what is the device's own (name, router id, expected
 * config hash and size, sessions, baseline when it is not a template). The launcher checks the
 * file's SHA-256 (its first 32 hex digits, the file's name) before running it. `lib` is empty: stdin is the config alone.
 */
export function bundleLaunchers(device: string, title: string, createParts: LauncherPart[], deleteParts: LauncherPart[], after: string[], bundle: LauncherBundle): Launchers {
  const ownCreate = new Map<string, string | number>();
  const ownDelete = new Map<string, string | number>();
  // ROUTER_ID goes into a launcher only when one of its parts' templates reads it
  const needsRouterId = [false, false];
  const partBlock = (p: LauncherPart, i: number) => {
    const own = i < createParts.length ? ownCreate : ownDelete;
    const shared: [string, string | number][] = [];
    const templated: string[] = [];
    const names = new Set<string>();
    for (const [k, v] of p.script.params) {
      names.add(k);
      const tpl = TEMPLATED.has(k) && typeof v === "string" ? templateOf(v, device, bundle.routerId) : undefined;
      if (k === "PUBLIC") shared.push([k, 1]);
      else if (tpl !== undefined) {
        if (tpl.includes("@ROUTER_ID@")) needsRouterId[i < createParts.length ? 0 : 1] = true;
        templated.push(`${k}=$(dcnet_fill ${shq(tpl)}); ${k}=\${${k}%x}`);
      }
      else if (DEVICE_PARAMS.has(k)) {
        if (own.has(k) && own.get(k) !== v) throw new Error(`internal: ${device}: parameter ${k} differs between the parts of one launcher`);
        own.set(k, v);
      } else shared.push([k, v]);
    }
    const v = `"$DCNET_P${i + 1}"`;
    return { names, head: ["(", ...(shared.length ? [assignments(shared)] : []), ...templated], run: p.secretsOnStdin ? `printf '%s' "$DCNET_S" | (eval ${v})` : `eval ${v}` };
  };
  const all = [...createParts, ...deleteParts];
  const raw = all.map(partBlock);
  if (needsRouterId[0]) ownCreate.set("ROUTER_ID", bundle.routerId);
  if (needsRouterId[1]) ownDelete.set("ROUTER_ID", bundle.routerId);
  // each part sees exactly its own parameters, as in the inline form: the launcher's other ones are unset in its subshell
  const blocks = raw.map((b, i) => {
    const own = i < createParts.length ? ownCreate : ownDelete;
    const extra = [...own.keys()].filter((k) => !b.names.has(k)).sort();
    return [...b.head, ...(extra.length ? [`unset ${extra.join(" ")}`] : []), b.run, ")"];
  });
  const needsSecrets = createParts.some((p) => p.secretsOnStdin);
  const header = `# dcnet script file: ${title.replace(new RegExp(`\\b${device.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "g"), "<device>")} (its name is the first 32 hex digits of the SHA-256 of this text; installed by ${bundle.deliveredBy})`;
  const functions = [
    "dcnet_create() {",
    ...(needsSecrets ? ["dcnet_need_secrets"] : []),
    ...blocks.slice(0, createParts.length).flat(),
    ...after,
    "}",
    "dcnet_delete() {",
    ...blocks.slice(createParts.length).flat(),
    "}",
  ].join("\n");
  // the file's text (~20–40 KB) is built and hashed once per distinct file, not once per device:
  // its bodies are named by their keys, the rest is the header and the functions
  const name = bundle.files.addOnce(`${header}\n${all.map((p) => p.script.key).join(";")}\n${functions}`, () =>
    [
      header,
      "# shellcheck shell=sh disable=SC2034,SC2016 # the parameters are read by the bodies; the bodies are single-quoted on purpose (they run through eval; each is checked as a script of its own)",
      scriptPart("bundle-lib.sh"),
      ...all.map((p, i) => `DCNET_P${i + 1}=${shq(p.script.body)}`),
      functions,
    ].join("\n") + "\n",
  );
  bundle.use?.(device, name);
  // short: every device command carries its launchers twice in the state (the provider echoes its inputs)
  const missing = `echo "dcnet: $DEVICE: $DCNET_F is missing or altered:" ${shWord(bundle.deliveredBy)} "installs it" >&2; exit 1`;
  const launcher = (own: Map<string, string | number>, secrets: boolean, run: string) =>
    [
      ["set -eu", "umask 077", ...(secrets ? ["DCNET_S=${DCNET_SECRETS-}"] : []), "unset DCNET_SECRETS"].join("; "),
      ownAssignments([["DEVICE", device], ...[...own.entries()].filter(([k]) => k !== "DEVICE")]),
      `DCNET_H=${name}`,
      `DCNET_F=${shWord(bundle.dir)}/$DCNET_H.sh`,
      `if ! DCNET_L=$(cat "$DCNET_F") || [ "$(sha256sum < "$DCNET_F" | cut -c1-32)" != "$DCNET_H" ]; then ${missing}; fi`,
      `eval "$DCNET_L"; ${run}`,
    ].join("\n") + "\n";
  const create = launcher(ownCreate, true, "dcnet_create");
  const del = launcher(ownDelete, false, "dcnet_delete");
  return { create, delete: del, lib: "" };
}
