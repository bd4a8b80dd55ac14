/**
 * Apply scripts for BIRD on a node, as pure text. Run them on the node (over SSH, as root) with
 * the payload on stdin: the rendered config for `renderBirdApplyScript`, the secrets payload
 * (`encodeSecretsPayload`) for `renderBirdSecretsApplyScript`. Each one is idempotent: a second
 * run with the same input changes nothing and reloads nothing.
 *
 * Config apply: check the payload against the expected SHA-256, validate it with `bird -p -c`,
 * keep the running file as `<config>.dcnet-prev`, replace the config atomically (`mv` in the same
 * folder), `birdc configure`, then wait (bounded) for every planned BGP protocol to reach
 * Established. On any failure after the replace, the previous file is restored and BIRD reloaded,
 * and the script exits non-zero with BIRD's own words. The config command is not secret: it parses
 * a copy whose secret includes point at placeholders and shows only BIRD's words about that copy;
 * words about the real secret files stay on the node (`<config>.dcnet-error`, 0600).
 * From the replace until the reload is verified (or rolled back) a `pending` marker exists: a
 * run that was killed there (connection lost, cancelled) leaves it, and the next run with the same
 * config does not report "nothing to do" but reloads and verifies again, rolling back to the
 * file from before the killed run.
 *
 * Delete: replace the config with the node baseline (`birdBaselineConfig`: router id and
 * `protocol device` only — no BGP session, nothing announced), reload, keep the previous file.
 * Secret files are removed by the secrets delete script, and only those dcnet recorded in the
 * secrets folder's manifest (`.dcnet-manifest`).
 *
 * The shell sources are `scripts/common.sh`, `scripts/bird-lib.sh` and one `scripts/bird-*.sh` per
 * script; the parameters come first as quoted assignments.
 */
import { ScriptBuilder, textScript, byteLength, checkDeviceName, checkSecretFileName, sha256Hex } from "./shell";
import { birdPaths, BirdPaths, checkRoot, prefixRoot } from "./paths";

/** Options shared by the BIRD scripts. */
export interface BirdScriptTarget {
  /** Node name (messages, owner tag). */
  device: string;
  /** Paths on the node (defaults: Debian's bird2). */
  paths?: Partial<BirdPaths>;
  /**
   * Folder mode: a local folder standing for the node's root filesystem (paths are prefixed with
   * it, nothing is validated or reloaded). Empty or absent: the real node.
   */
  root?: string;
  /** Who installed the config (`project/stack/resource`); a delete leaves a config another owner installed since. */
  owner?: string;
}

/** Options of `renderBirdApplyScript`. */
export interface BirdApplyOptions extends BirdScriptTarget {
  /** The exact config text sent on stdin. */
  config: string;
  /** BGP protocol names that must reach Established (the node's uplinks). */
  protocols: string[];
  /** Bound on the wait for Established, in seconds (default 120: BIRD waits 60 s after a BFD flap before it retries). */
  verifyTimeoutSeconds?: number;
  /** Router id for the baseline written when a failed first install has no previous file to restore. */
  routerId: string;
}

/** Options of `renderBirdSecretsApplyScript` / `renderBirdSecretsDeleteScript`. */
export interface BirdSecretsOptions extends BirdScriptTarget {
  /** Names of the secret files (inside the secrets dir) the payload carries. */
  files: string[];
}

/** Options of `renderBirdDeleteScript`. */
export interface BirdDeleteOptions extends BirdScriptTarget {
  /** Router id written into the baseline config. */
  routerId: string;
}

/** The node baseline: BIRD running with no BGP session and nothing announced. */
export function birdBaselineConfig(device: string, routerId: string): string {
  const rid = /^\d+\.\d+\.\d+\.\d+$/.test(routerId) ? routerId : "0.0.0.1";
  return [
    `# dcnet baseline for ${checkDeviceName(device)}: no BGP sessions, nothing announced.`,
    "# Written by dcnet when it removed its config; the previous file is kept as <this file>.dcnet-prev.",
    `router id ${rid};`,
    "",
    "protocol device {",
    "}",
    "",
  ].join("\n");
}

/** `public`: the command's output is not secret (config scripts); secrets scripts print redacted daemon words. */
function params(t: BirdScriptTarget, p: BirdPaths, isPublic: boolean): [string, string | number][] {
  const root = t.root ? checkRoot(t.root) : undefined;
  return [
    ["DEVICE", checkDeviceName(t.device)],
    ["PUBLIC", isPublic ? 1 : 0],
    ["DAEMON", root ? 0 : 1],
    ["CONF", prefixRoot(root, p.configFile)],
    ["SECRETS_DIR", prefixRoot(root, p.secretsDir)],
    ["SECRETS_REF", p.secretsDir],
    ["SOCK", p.controlSocket],
    ["BIRD", p.bird],
    ["BIRDC", p.birdc],
    ["OWNER", t.owner ?? `dcnet/${t.device}`],
  ];
}

const title = (what: string, t: BirdScriptTarget) => `${what} of node ${checkDeviceName(t.device)}`;

/**
 * The create/update script installing node `device`'s BIRD config (sent on stdin). See the module
 * comment for the steps. Exit 0: installed and sessions Established, or nothing to do.
 */
export function renderBirdApplyScript<T = string>(o: BirdApplyOptions, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = birdPaths(o.paths);
  for (const proto of o.protocols) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(proto)) throw new Error(`bad BIRD protocol name ${JSON.stringify(proto)}`);
  const timeout = o.verifyTimeoutSeconds ?? 120;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) throw new Error(`verifyTimeoutSeconds must be an integer in 1..3600`);
  return build(
    title("install the BIRD config", o),
    [
      ...params(o, p, true),
      ["EXPECT_SHA256", sha256Hex(o.config)],
      ["EXPECT_BYTES", byteLength(o.config)],
      ["PROTOCOLS", [...o.protocols].sort().join(" ")],
      ["TIMEOUT", timeout],
      ["BASELINE", birdBaselineConfig(o.device, o.routerId)],
    ],
    ["common.sh", "bird-lib.sh", "bird-apply.sh"],
  );
}

/**
 * The delete script: replace node `device`'s config with the baseline (`birdBaselineConfig`) and
 * reload. A config that another owner installed since is left alone. Missing config: nothing to do.
 */
export function renderBirdDeleteScript<T = string>(o: BirdDeleteOptions, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = birdPaths(o.paths);
  return build(
    title("remove the dcnet BIRD config", o),
    [...params(o, p, true), ["BASELINE", birdBaselineConfig(o.device, o.routerId)]],
    ["common.sh", "bird-lib.sh", "bird-delete.sh"],
  );
}

function checkFiles(files: string[]): string {
  return [...files].map(checkSecretFileName).sort().join(" ");
}

/**
 * The create/update script of node `device`'s secret files (the payload arrives on stdin, see
 * `encodeSecretsPayload`). Files land 0600 in the secrets dir, owned like the BIRD config so a
 * BIRD that dropped privileges can read them on reload, and are listed in the folder's manifest.
 * When the running config includes a changed file, the config is re-validated and BIRD reloaded
 * (restoring the old files on failure). Sessions are not waited for: a password change drops them
 * until the peer has it too. A run killed after moving the files and before the reload leaves
 * `.dcnet-reload-pending` in the secrets dir; the next run reloads BIRD instead of reporting the
 * files unchanged.
 */
export function renderBirdSecretsApplyScript<T = string>(o: BirdSecretsOptions, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = birdPaths(o.paths);
  return build(
    title("install the BIRD secret files", o),
    [...params(o, p, false), ["SECRET_FILES", checkFiles(o.files)]],
    ["common.sh", "payload.sh", "bird-lib.sh", "bird-secrets-apply.sh"],
  );
}

/** The delete script of the secret files: removes those dcnet wrote, except those the config still includes (warned). */
export function renderBirdSecretsDeleteScript<T = string>(o: BirdSecretsOptions, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = birdPaths(o.paths);
  return build(
    title("remove the BIRD secret files", o),
    [...params(o, p, false), ["SECRET_FILES", checkFiles(o.files)]],
    ["common.sh", "bird-lib.sh", "bird-secrets-delete.sh"],
  );
}
