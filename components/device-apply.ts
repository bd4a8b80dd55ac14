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
 */
import { gzipSync } from "zlib";
import { assignments, ScriptParts, shq } from "../sdk/apply/shell";

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
