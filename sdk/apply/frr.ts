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
 * exits non-zero with FRR's own words (passwords redacted).
 * From the replace until the reload is verified (or rolled back) a `pending` marker exists: a
 * run that was killed there (connection lost, cancelled) leaves it, and the next run with the same
 * config does not report "nothing to do" but reloads and verifies again, rolling back to the
 * file from before the killed run.
 *
 * Delete: the switch baseline (`frrBaselineConfig`: hostname, no BGP), reloaded.
 */
import { assignments, byteLength, checkDeviceName, PAYLOAD_DECODER, PRELUDE, sha256Hex } from "./shell";
import { frrPaths, FrrPaths, prefixRoot } from "./paths";
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

function header(what: string, t: FrrScriptTarget, p: FrrPaths): string {
  return [
    `# dcnet: ${what} of switch ${checkDeviceName(t.device)} (generated from the plan; POSIX sh, run as root)`,
    "set -eu",
    "umask 077",
    assignments([
      ["DEVICE", t.device],
      ["DAEMON", t.root ? 0 : 1],
      ["CONF", prefixRoot(t.root, p.configFile)],
      ["STATE_DIR", prefixRoot(t.root, p.stateDir)],
      ["SECRETS_DIR", prefixRoot(t.root, p.secretsDir)],
      ["VTYSH", p.vtysh],
      ["RELOAD", p.reloadScript],
      ["VTY_SOCKET", p.vtySocketDir],
      ["PATHSPACE", p.pathspace],
      ["RUNDIR", p.runDir],
      ["OWNER", t.owner ?? `dcnet/${t.device}`],
    ]),
    'CONF_DIR=$(dirname "$CONF")',
    'PREV="$CONF.dcnet-prev"',
    'OWNER_FILE="$STATE_DIR/owner"',
    'PENDING="$STATE_DIR/pending"',
    `BASE="$STATE_DIR/${FRR_BASE_FILE}"`,
    `OVERLAY="$SECRETS_DIR/${FRR_SECRETS_FILE}"`,
    PRELUDE,
    String.raw`vty() {
  if [ -n "$VTY_SOCKET" ]; then set -- --vty_socket "$VTY_SOCKET" "$@"; fi
  if [ -n "$PATHSPACE" ]; then set -- -N "$PATHSPACE" "$@"; fi
  "$VTYSH" "$@"
}
# base ($1) + overlay ($2, optional) -> $3; overlay lines for undeclared neighbors/instances are left out
assemble() {
  cat "$1" > "$3"
  if [ -s "$2" ]; then
    printf '!\n' >> "$3"
    awk 'NR == FNR {
           if ($1 == "router" && $2 == "bgp") inst[$0] = 1
           if ($1 == "neighbor" && ($3 == "remote-as" || $3 == "peer-group" || $3 == "interface")) nb[$2] = 1
           next
         }
         /^router bgp/ { inctx = 1; ok = ($0 in inst); if (ok) print; next }
         /^exit/ { if (!inctx || ok) print; inctx = 0; next }
         $1 == "neighbor" { if ((!inctx || ok) && ($2 in nb)) print; next }
         { if (!inctx || ok) print }' "$1" "$2" >> "$3"
  fi
}
frr_check() { capture "$VTYSH" --config_dir "$CONF_DIR" --dryrun -f "$1"; }
frr_reload() {
  if [ -f "$RELOAD" ] && command -v python3 > /dev/null 2>&1; then
    set -- --reload --stdout --confdir "$CONF_DIR" --rundir "$RUNDIR"
    case "$VTYSH" in */*) set -- "$@" --bindir "$(dirname "$VTYSH")" ;; *) set -- "$@" --bindir "$(dirname "$(command -v "$VTYSH")")" ;; esac
    if [ -n "$VTY_SOCKET" ]; then set -- "$@" --vty_socket "$VTY_SOCKET"; fi
    if [ -n "$PATHSPACE" ]; then set -- "$@" --pathspace "$PATHSPACE"; fi
    RELOAD_HOW="frr-reload.py"
    capture python3 "$RELOAD" "$@" "$CONF"
  else
    RELOAD_HOW="vtysh -f (frr-reload.py unavailable: lines removed from the config stay configured)"
    capture vty -f "$CONF"
  fi
}
frr_reachable() { capture vty -c "show version"; }
# neighbor addresses in state Established, one per line
established_neighbors() {
  capture vty -c "show bgp neighbors" || true
  printf '%s\n' "$OUT" | awk '/^BGP neighbor is / { n = $4; sub(/,$/, "", n) }
    /^ *BGP state = / { s = $4; sub(/,$/, "", s); if (s == "Established") print n }'
}
`,
  ].join("\n");
}

/**
 * The create/update script installing switch `device`'s main FRR config (sent on stdin). See
 * the module comment for the steps.
 */
export function renderFrrApplyScript(o: FrrApplyOptions): string {
  const p = frrPaths(o.paths);
  const timeout = o.verifyTimeoutSeconds ?? 120;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) throw new Error(`verifyTimeoutSeconds must be an integer in 1..3600`);
  return [
    header("install the FRR config", o, p),
    assignments([
      ["EXPECT_SHA256", sha256Hex(o.config)],
      ["EXPECT_BYTES", byteLength(o.config)],
      ["PLANNED", checkAddresses(o.plannedNeighbors, "plannedNeighbors")],
      ["REQUIRED", checkAddresses(o.requiredNeighbors, "requiredNeighbors")],
      ["TIMEOUT", timeout],
    ]),
    String.raw`mkdir -p "$CONF_DIR" "$STATE_DIR"
take_lock "$STATE_DIR/lock"
NEWBASE=$(mktemp "$STATE_DIR/.dcnet-base.XXXXXX")
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEWBASE" "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$NEWBASE"
if [ "$(sha_of "$NEWBASE")" != "$EXPECT_SHA256" ]; then
  err "the config on stdin ($(wc -c < "$NEWBASE") bytes) is not the planned one ($EXPECT_BYTES bytes, sha256 $EXPECT_SHA256); nothing was changed"
  exit 1
fi
chmod 600 "$NEWBASE"
assemble "$NEWBASE" "$OVERLAY" "$NEW"
# $PENDING exists while a replaced config is not yet reloaded and verified (HAD_PREV, then the
# neighbors Established before):
# an apply stopped there (connection lost, killed) is finished by the next run, not skipped
if same_file "$NEW" "$CONF"; then
  if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
    say "an earlier apply installed this config but did not finish reloading and verifying it; doing that now"
  else
    same_file "$NEWBASE" "$BASE" || mv -f "$NEWBASE" "$BASE"
    printf '%s\n' "$OWNER" > "$OWNER_FILE"
    say "$CONF already holds this config (main sha256 $EXPECT_SHA256); nothing to do"
    exit 0
  fi
fi
if [ "$DAEMON" = 1 ]; then
  if ! frr_check "$NEW"; then
    err "vtysh --dryrun rejected the new config; nothing was changed. FRR said:"
    printf '%s\n' "$OUT" | redact >&2
    exit 1
  fi
  if ! frr_reachable; then
    err "FRR is not reachable through vtysh; nothing was changed. vtysh said:"
    printf '%s\n' "$OUT" | redact >&2
    exit 1
  fi
fi
BEFORE=""
if [ "$DAEMON" = 1 ]; then BEFORE=$(established_neighbors | tr '\n' ' '); fi
HAD_PREV=0
if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
  # $CONF holds an unverified config: keep $PREV, the last config from before that apply, and
  # the neighbors that were Established before it (they must come back too)
  if [ "$(sed -n 1p "$PENDING")" = 1 ] && [ -f "$PREV" ]; then HAD_PREV=1; fi
  BEFORE="$BEFORE $(sed -n 2p "$PENDING")"
  if [ -f "$CONF" ]; then copy_perms "$CONF" "$NEW"; else chmod 600 "$NEW"; fi
elif [ -f "$CONF" ]; then
  cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
  HAD_PREV=1
  copy_perms "$CONF" "$NEW"
else
  chmod 600 "$NEW"
fi
if [ "$DAEMON" = 1 ]; then printf '%s\n%s\n' "$HAD_PREV" "$BEFORE" > "$PENDING"; fi
mv -f "$NEW" "$CONF"
if [ "$DAEMON" = 0 ]; then
  mv -f "$NEWBASE" "$BASE"
  printf '%s\n' "$OWNER" > "$OWNER_FILE"
  say "installed $CONF (folder mode: not validated, no daemon reloaded)"
  exit 0
fi
rollback() {
  if [ "$HAD_PREV" = 1 ]; then
    cp -p "$PREV" "$NEW.restore"
  else
    cat > "$NEW.restore" << 'DCNET_BASELINE'
` +
      frrBaselineConfig(o.device) +
      String.raw`DCNET_BASELINE
  fi
  mv -f "$NEW.restore" "$CONF"
  rm -f "$PENDING"
  if frr_reload; then
    err "restored the previous config ($CONF) and reloaded FRR"
  else
    err "restored the previous config ($CONF) but FRR did not take it back cleanly:"
    printf '%s\n' "$OUT" | redact | tail -n 20 >&2
  fi
  exit 1
}
if ! frr_reload; then
  err "FRR did not apply the new config ($RELOAD_HOW). FRR said:"
  printf '%s\n' "$OUT" | redact | tail -n 40 >&2
  rollback
fi
MUST="$REQUIRED"
for n in $BEFORE; do
  case " $PLANNED " in *" $n "*) case " $MUST " in *" $n "*) ;; *) MUST="$MUST $n" ;; esac ;; esac
done
deadline=$(( $(now) + TIMEOUT ))
sleep 1
while :; do
  UP=" $(established_neighbors | tr '\n' ' ') "
  missing=""
  for n in $MUST; do case "$UP" in *" $n "*) ;; *) missing="$missing $n" ;; esac; done
  [ -z "$missing" ] && break
  if [ "$(now)" -ge "$deadline" ]; then
    err "BGP neighbors not Established within $TIMEOUT s:$missing. FRR reports:"
    for n in $missing; do
      capture vty -c "show bgp neighbors $n" || true
      printf '%s\n' "$OUT" | grep -E "BGP neighbor is|BGP state|Last reset|[Nn]otification|rror" | redact >&2 || true
    done
    rollback
  fi
  sleep 1
done
rm -f "$PENDING"
mv -f "$NEWBASE" "$BASE"
printf '%s\n' "$OWNER" > "$OWNER_FILE"
say "installed $CONF (main sha256 $EXPECT_SHA256) with $RELOAD_HOW; Established:$(for n in $MUST; do printf ' %s' "$n"; done)"
`,
  ].join("\n");
}

/** The delete script: the switch baseline (`frrBaselineConfig`), reloaded; the base file removed. */
export function renderFrrDeleteScript(o: FrrScriptTarget): string {
  const p = frrPaths(o.paths);
  return [
    header("remove the dcnet FRR config", o, p),
    String.raw`drain_stdin
if [ ! -f "$CONF" ]; then say "$CONF does not exist; nothing to remove"; rm -f "$BASE" "$OWNER_FILE" "$PENDING"; exit 0; fi
if [ -f "$OWNER_FILE" ] && [ "$(cat "$OWNER_FILE")" != "$OWNER" ]; then
  say "$CONF is now managed by $(cat "$OWNER_FILE"); leaving it"
  exit 0
fi
mkdir -p "$STATE_DIR"
take_lock "$STATE_DIR/lock"
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$NEW" << 'DCNET_BASELINE'
` +
      frrBaselineConfig(o.device) +
      String.raw`DCNET_BASELINE
if same_file "$NEW" "$CONF"; then rm -f "$BASE" "$OWNER_FILE" "$PENDING"; say "$CONF already is the baseline; nothing to do"; exit 0; fi
if [ "$DAEMON" = 1 ] && ! frr_check "$NEW"; then
  err "vtysh --dryrun rejected the baseline; nothing was changed. FRR said:"
  printf '%s\n' "$OUT" | redact >&2
  exit 1
fi
cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
copy_perms "$CONF" "$NEW"
mv -f "$NEW" "$CONF"
rm -f "$BASE" "$OWNER_FILE" "$PENDING"
if [ "$DAEMON" = 0 ]; then say "replaced $CONF with the baseline (folder mode)"; exit 0; fi
if ! frr_reachable; then say "FRR is not reachable: $CONF now holds the baseline it will start with"; exit 0; fi
if ! frr_reload; then
  err "FRR did not apply the baseline ($RELOAD_HOW). FRR said:"
  printf '%s\n' "$OUT" | redact | tail -n 40 >&2
  cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"
  frr_reload || true
  err "restored $CONF"
  exit 1
fi
say "replaced $CONF with the dcnet baseline (no BGP) using $RELOAD_HOW; previous config kept as $PREV"
`,
  ].join("\n");
}

/**
 * The create/update script of switch `device`'s secrets overlay (payload on stdin, one file
 * `frr-secrets.conf`). Stores it 0600; when the main config is installed, re-assembles, validates,
 * installs and reloads (restoring on failure). Sessions are not waited for: a password change
 * drops them until the node has the new password too. Shares the config script's `pending`
 * marker, so a run killed between the replace and the reload is finished by the next one.
 */
export function renderFrrSecretsApplyScript(o: FrrScriptTarget): string {
  const p = frrPaths(o.paths);
  return [
    header("install the FRR secrets overlay", o, p),
    assignments([["SECRET_FILES", FRR_SECRETS_FILE]]),
    PAYLOAD_DECODER,
    String.raw`mkdir -p "$CONF_DIR" "$STATE_DIR" "$SECRETS_DIR"
chmod 700 "$SECRETS_DIR"
take_lock "$STATE_DIR/lock"
STAGE=$(mktemp -d "$SECRETS_DIR/.dcnet-new.XXXXXX")
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -rf "$STAGE"; rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$STAGE/.payload"
decode_payload "$STAGE" < "$STAGE/.payload"
rm -f "$STAGE/.payload"
STAGED="$STAGE/$SECRET_FILES"
if [ ! -f "$BASE" ]; then
  mv -f "$STAGED" "$OVERLAY"
  say "stored the secrets overlay (0600); the config step assembles it into $CONF"
  exit 0
fi
assemble "$BASE" "$STAGED" "$NEW"
# $PENDING: as in the config script, $CONF was replaced but FRR has not taken it yet
if same_file "$NEW" "$CONF"; then
  if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
    say "an earlier run installed this config but did not finish reloading FRR; doing that now"
  else
    same_file "$STAGED" "$OVERLAY" || mv -f "$STAGED" "$OVERLAY"
    say "secrets overlay unchanged in $CONF; nothing to reload"
    exit 0
  fi
fi
if [ "$DAEMON" = 1 ] && ! frr_check "$NEW"; then
  err "vtysh --dryrun rejected the config with the new secrets overlay; nothing was changed. FRR said:"
  printf '%s\n' "$OUT" | redact >&2
  exit 1
fi
HAD_PREV=0
if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
  # $CONF holds a config FRR has not taken: keep $PREV, the last config from before it
  if [ "$(sed -n 1p "$PENDING")" = 1 ] && [ -f "$PREV" ]; then HAD_PREV=1; fi
  if [ -f "$CONF" ]; then copy_perms "$CONF" "$NEW"; fi
elif [ -f "$CONF" ]; then
  cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
  HAD_PREV=1
  copy_perms "$CONF" "$NEW"
fi
if [ "$DAEMON" = 1 ] && [ ! -f "$PENDING" ]; then printf '%s\n' "$HAD_PREV" > "$PENDING"; fi
mv -f "$NEW" "$CONF"
if [ "$DAEMON" = 1 ] && ! frr_reload; then
  err "FRR did not apply the new secrets overlay ($RELOAD_HOW). FRR said:"
  printf '%s\n' "$OUT" | redact | tail -n 40 >&2
  if [ "$HAD_PREV" = 1 ]; then cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"; rm -f "$PENDING"; frr_reload || true; err "restored $CONF"; fi
  exit 1
fi
rm -f "$PENDING"
mv -f "$STAGED" "$OVERLAY"
say "installed the secrets overlay (0600) into $CONF$( [ "$DAEMON" = 1 ] && printf ' and reloaded FRR' || printf ' (folder mode)')"
`,
  ].join("\n");
}

/** The delete script of the secrets overlay: removes it and re-assembles the config without it. */
export function renderFrrSecretsDeleteScript(o: FrrScriptTarget): string {
  const p = frrPaths(o.paths);
  return [
    header("remove the FRR secrets overlay", o, p),
    String.raw`drain_stdin
if [ ! -e "$OVERLAY" ]; then say "no secrets overlay; nothing to remove"; exit 0; fi
mkdir -p "$STATE_DIR"
take_lock "$STATE_DIR/lock"
if [ ! -f "$BASE" ] || [ ! -f "$CONF" ]; then rm -f "$OVERLAY"; rmdir "$SECRETS_DIR" 2> /dev/null || true; say "removed the secrets overlay"; exit 0; fi
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
assemble "$BASE" /dev/null "$NEW"
if ! same_file "$NEW" "$CONF"; then
  if [ "$DAEMON" = 1 ] && ! frr_check "$NEW"; then
    err "vtysh --dryrun rejected the config without the secrets overlay; nothing was changed. FRR said:"
    printf '%s\n' "$OUT" | redact >&2
    exit 1
  fi
  cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
  copy_perms "$CONF" "$NEW"
  mv -f "$NEW" "$CONF"
  if [ "$DAEMON" = 1 ] && frr_reachable && ! frr_reload; then
    err "FRR did not apply the config without the secrets overlay. FRR said:"
    printf '%s\n' "$OUT" | redact | tail -n 40 >&2
    cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"; frr_reload || true
    exit 1
  fi
fi
rm -f "$OVERLAY"
rmdir "$SECRETS_DIR" 2> /dev/null || true
say "removed the secrets overlay from $CONF"
`,
  ].join("\n");
}
