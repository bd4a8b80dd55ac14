/**
 * Apply scripts for FRR on a switch, as pure text. The switch's config on the device is two parts:
 * the visible main config dcnet renders (kept as `<stateDir>/frr.base.conf`) and the secrets
 * overlay (`<secretsDir>/frr-secrets.conf`, 0600: `router bgp N` + `neighbor X password P`).
 * FRR runs their concatenation, `configFile` (`frr.conf`), which therefore holds secrets and keeps
 * its owner and mode (new file: 0600).
 *
 * Both the config script and the secrets script assemble `base + "!" + overlay` the same way; an
 * overlay line for a neighbor (or `router bgp` instance) the base does not declare is left out,
 * so the two resources may be applied in either order without an invalid intermediate config.
 *
 * Config apply: check the payload hash, assemble, validate with `vtysh --dryrun -f`, record which
 * neighbors are Established, keep the running file as `<configFile>.dcnet-prev`, replace it
 * atomically, reload with `frr-reload.py --reload` (falling back to `vtysh -f`, which only adds,
 * when frr-reload.py or python3 is missing), then wait (bounded) until the required neighbors
 * (fabric peers applied before this switch) and every planned neighbor that was Established
 * before are Established. Any failure after the replace restores the previous file, reloads, and
 * exits non-zero. The config command is not secret, so it shows FRR's words only about inputs
 * without the overlay (the main config alone, `vtysh --dryrun`); words about the assembled file
 * (frr-reload.py and vtysh echo config lines, passwords included) stay on the switch in
 * `<stateDir>/last-error.log` (0600). The secrets command shows them, redacted, in its secret output.
 * From the replace until the reload is verified (or rolled back) a `pending` marker exists: a
 * run that was killed there (connection lost, cancelled) leaves it, and the next run with the same
 * config does not report "nothing to do" but reloads and verifies again, rolling back to the
 * file from before the killed run.
 *
 * Delete: the switch baseline (`frrBaselineConfig`: hostname, no BGP), reloaded. The overlay is
 * removed only when dcnet recorded it in the secrets folder's manifest (`.dcnet-manifest`).
 *
 * The shell sources are `scripts/common.sh`, `scripts/frr-lib.sh` and one `scripts/frr-*.sh` per
 * script; the parameters come first as quoted assignments.
 */
import { ScriptBuilder, textScript, byteLength, checkDeviceName, sha256Hex } from "./shell";
import { checkRoot, frrPaths, FrrPaths, prefixRoot } from "./paths";
import { familyOf } from "../net/prefix";

/** Name of the overlay file in the secrets dir. */
export const FRR_SECRETS_FILE = "frr-secrets.conf";
/** Name of the installed main (visible) config in the state dir. */
export const FRR_BASE_FILE = "frr.base.conf";

/** Options shared by the FRR scripts. */
export interface FrrScriptTarget {
  /** Switch name (messages, owner tag, baseline hostname). */
  device: string;
  /** Paths on the switch (defaults: Debian's frr). */
  paths?: Partial<FrrPaths>;
  /** Folder mode: local folder standing for the switch's root (paths prefixed; nothing validated or reloaded). */
  root?: string;
  /** Who installed the config (`project/stack/resource`). */
  owner?: string;
}

/** Options of `renderFrrApplyScript`. */
export interface FrrApplyOptions extends FrrScriptTarget {
  /** The exact main config text sent on stdin (no secrets). */
  config: string;
  /** Every neighbor address the new config declares (for the no-regression check). */
  plannedNeighbors: string[];
  /** Neighbor addresses that must reach Established (fabric peers already applied). */
  requiredNeighbors: string[];
  /** Bound on the wait for Established, in seconds (default 120: BIRD waits 60 s after a BFD flap before it retries). */
  verifyTimeoutSeconds?: number;
}

/** The switch baseline: FRR running with its hostname and no BGP. */
export function frrBaselineConfig(device: string): string {
  return [
    `! dcnet baseline for ${checkDeviceName(device)}: no BGP. Written by dcnet when it removed its config.`,
    "frr defaults datacenter",
    `hostname ${device}`,
    "log syslog informational",
    "service integrated-vtysh-config",
    "!",
    "",
  ].join("\n");
}

function checkAddresses(list: string[], what: string): string {
  for (const a of list) if (!familyOf(a) || a.includes("/")) throw new Error(`${what}: ${JSON.stringify(a)} is not an address`);
  return [...new Set(list)].sort().join(" ");
}

/** `public`: the command's output is not secret (config scripts); secrets scripts print redacted daemon words. */
function params(t: FrrScriptTarget, p: FrrPaths, isPublic: boolean): [string, string | number][] {
  const root = t.root ? checkRoot(t.root) : undefined;
  return [
    ["DEVICE", checkDeviceName(t.device)],
    ["PUBLIC", isPublic ? 1 : 0],
    ["DAEMON", root ? 0 : 1],
    ["CONF", prefixRoot(root, p.configFile)],
    ["STATE_DIR", prefixRoot(root, p.stateDir)],
    ["SECRETS_DIR", prefixRoot(root, p.secretsDir)],
    ["VTYSH", p.vtysh],
    ["RELOAD", p.reloadScript],
    ["VTY_SOCKET", p.vtySocketDir],
    ["PATHSPACE", p.pathspace],
    ["RUNDIR", p.runDir],
    ["OWNER", t.owner ?? `dcnet/${t.device}`],
    ["BASE_FILE", FRR_BASE_FILE],
    ["OVERLAY_FILE", FRR_SECRETS_FILE],
  ];
}

const title = (what: string, t: FrrScriptTarget) => `${what} of switch ${checkDeviceName(t.device)}`;

/**
 * The create/update script installing switch `device`'s main FRR config (sent on stdin). See
 * the module comment for the steps.
 */
export function renderFrrApplyScript<T = string>(o: FrrApplyOptions, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = frrPaths(o.paths);
  const timeout = o.verifyTimeoutSeconds ?? 120;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) throw new Error(`verifyTimeoutSeconds must be an integer in 1..3600`);
  return build(
    title("install the FRR config", o),
    [
      ...params(o, p, true),
      ["EXPECT_SHA256", sha256Hex(o.config)],
      ["EXPECT_BYTES", byteLength(o.config)],
      ["PLANNED", checkAddresses(o.plannedNeighbors, "plannedNeighbors")],
      ["REQUIRED", checkAddresses(o.requiredNeighbors, "requiredNeighbors")],
      ["TIMEOUT", timeout],
      ["BASELINE", frrBaselineConfig(o.device)],
    ],
    ["common.sh", "frr-lib.sh", "frr-apply.sh"],
  );
}

/** The delete script: the switch baseline (`frrBaselineConfig`), reloaded; the base file removed. */
export function renderFrrDeleteScript<T = string>(o: FrrScriptTarget, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = frrPaths(o.paths);
  return build(
    title("remove the dcnet FRR config", o),
    [...params(o, p, true), ["BASELINE", frrBaselineConfig(o.device)]],
    ["common.sh", "frr-lib.sh", "frr-delete.sh"],
  );
}

/**
 * The create/update script of switch `device`'s secrets overlay (payload on stdin, one file
 * `frr-secrets.conf`). Stores it 0600 and records it in the secrets folder's manifest; when the
 * main config is installed, re-assembles, validates, installs and reloads (restoring on failure).
 * Sessions are not waited for: a password change drops them until the node has the new password
 * too. Shares the config script's `pending` marker, so a run killed between the replace and the
 * reload is finished by the next one.
 */
export function renderFrrSecretsApplyScript<T = string>(o: FrrScriptTarget, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = frrPaths(o.paths);
  return build(
    title("install the FRR secrets overlay", o),
    [...params(o, p, false), ["SECRET_FILES", FRR_SECRETS_FILE]],
    ["common.sh", "payload.sh", "frr-lib.sh", "frr-secrets-apply.sh"],
  );
}

/** The delete script of the secrets overlay: removes it (when dcnet wrote it) and re-assembles the config without it. */
export function renderFrrSecretsDeleteScript<T = string>(o: FrrScriptTarget, build: ScriptBuilder<T> = textScript<T>()): T {
  const p = frrPaths(o.paths);
  return build(title("remove the FRR secrets overlay", o), params(o, p, false), ["common.sh", "frr-lib.sh", "frr-secrets-delete.sh"]);
}
