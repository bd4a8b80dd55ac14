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
 * and the script exits non-zero with BIRD's own words (password-looking text redacted).
 * From the replace until the reload is verified (or rolled back) a `pending` marker exists: a
 * run that was killed there (connection lost, cancelled) leaves it, and the next run with the same
 * config does not report "nothing to do" but reloads and verifies again, rolling back to the
 * file from before the killed run.
 *
 * Delete: replace the config with the node baseline (`birdBaselineConfig`: router id and
 * `protocol device` only — no BGP session, nothing announced), reload, keep the previous file.
 * Secret files are removed by the secrets delete script.
 */
import { assignments, byteLength, checkDeviceName, checkSecretFileName, PAYLOAD_DECODER, PRELUDE, sha256Hex } from "./shell";
import { birdPaths, BirdPaths, prefixRoot } from "./paths";

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

function header(what: string, t: BirdScriptTarget, p: BirdPaths): string {
  return [
    `# dcnet: ${what} of node ${checkDeviceName(t.device)} (generated from the plan; POSIX sh, run as root)`,
    "set -eu",
    "umask 077",
    assignments([
      ["DEVICE", t.device],
      ["DAEMON", t.root ? 0 : 1],
      ["CONF", prefixRoot(t.root, p.configFile)],
      ["SECRETS_DIR", prefixRoot(t.root, p.secretsDir)],
      ["SECRETS_REF", p.secretsDir],
      ["SOCK", p.controlSocket],
      ["BIRD", p.bird],
      ["BIRDC", p.birdc],
      ["OWNER", t.owner ?? `dcnet/${t.device}`],
    ]),
    'CONF_DIR=$(dirname "$CONF")',
    'PREV="$CONF.dcnet-prev"',
    'OWNER_FILE="$CONF.dcnet-owner"',
    'PENDING="$CONF.dcnet-pending"',
    PRELUDE,
    String.raw`bird_reload() { capture "$BIRDC" -s "$SOCK" configure "\"$CONF\"" && case "$OUT" in *Reconfigur*) return 0 ;; *) return 1 ;; esac; }
bird_reachable() { capture "$BIRDC" -s "$SOCK" show status; }
`,
  ].join("\n");
}

/**
 * The create/update script installing node `device`'s BIRD config (sent on stdin). See the module
 * comment for the steps. Exit 0: installed and sessions Established, or nothing to do.
 */
export function renderBirdApplyScript(o: BirdApplyOptions): string {
  const p = birdPaths(o.paths);
  for (const proto of o.protocols) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(proto)) throw new Error(`bad BIRD protocol name ${JSON.stringify(proto)}`);
  const timeout = o.verifyTimeoutSeconds ?? 120;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) throw new Error(`verifyTimeoutSeconds must be an integer in 1..3600`);
  return [
    header("install the BIRD config", o, p),
    assignments([
      ["EXPECT_SHA256", sha256Hex(o.config)],
      ["EXPECT_BYTES", byteLength(o.config)],
      ["PROTOCOLS", [...o.protocols].sort().join(" ")],
      ["TIMEOUT", timeout],
    ]),
    String.raw`mkdir -p "$CONF_DIR"
take_lock "$CONF.dcnet-lock"
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$NEW"
if [ "$(sha_of "$NEW")" != "$EXPECT_SHA256" ]; then
  err "the config on stdin ($(wc -c < "$NEW") bytes) is not the planned one ($EXPECT_BYTES bytes, sha256 $EXPECT_SHA256); nothing was changed"
  exit 1
fi
# $PENDING exists while a replaced config is not yet reloaded and verified (it holds HAD_PREV):
# an apply stopped there (connection lost, killed) is finished by the next run, not skipped
if same_file "$NEW" "$CONF"; then
  if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
    say "an earlier apply installed this config but did not finish reloading and verifying it; doing that now"
  else
    printf '%s\n' "$OWNER" > "$OWNER_FILE"
    say "$CONF already holds this config (sha256 $EXPECT_SHA256); nothing to do"
    exit 0
  fi
fi
if [ "$DAEMON" = 1 ]; then
  if ! capture "$BIRD" -p -c "$NEW"; then
    err "bird -p rejected the new config; nothing was changed. BIRD said:"
    printf '%s\n' "$OUT" | sed "s|$NEW|$CONF (new)|g" | redact >&2
    exit 1
  fi
  if ! bird_reachable; then
    err "BIRD is not reachable on $SOCK; nothing was changed. birdc said:"
    printf '%s\n' "$OUT" | redact >&2
    exit 1
  fi
fi
HAD_PREV=0
if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
  # $CONF holds an unverified config: keep $PREV, the last config from before that apply
  if [ "$(cat "$PENDING")" = 1 ] && [ -f "$PREV" ]; then HAD_PREV=1; fi
  if [ -f "$CONF" ]; then copy_perms "$CONF" "$NEW"; else chmod 640 "$NEW"; fi
elif [ -f "$CONF" ]; then
  cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
  HAD_PREV=1
  copy_perms "$CONF" "$NEW"
else
  chmod 640 "$NEW"
fi
if [ "$DAEMON" = 1 ]; then printf '%s\n' "$HAD_PREV" > "$PENDING"; fi
mv -f "$NEW" "$CONF"

prune_secrets() {
  [ -d "$SECRETS_DIR" ] || return 0
  for f in "$SECRETS_DIR"/*.conf; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    grep -qF "\"$SECRETS_REF/$b\"" "$CONF" || { rm -f "$f"; say "removed unused secret file $SECRETS_REF/$b"; }
  done
}
if [ "$DAEMON" = 0 ]; then
  printf '%s\n' "$OWNER" > "$OWNER_FILE"
  prune_secrets
  say "installed $CONF (folder mode: not validated, no daemon reloaded)"
  exit 0
fi

protocol_lines() { printf '%s\n' "$STATUS" | awk -v p="$1" '$1 == p'; }
is_established() { printf '%s\n' "$STATUS" | awk -v p="$1" '$1 == p && /Established/ { f = 1 } END { exit f ? 0 : 1 }'; }
rollback() {
  if [ "$HAD_PREV" = 1 ]; then
    cp -p "$PREV" "$NEW.restore"
  else
    cat > "$NEW.restore" << 'DCNET_BASELINE'
` +
      birdBaselineConfig(o.device, o.routerId) +
      String.raw`DCNET_BASELINE
  fi
  mv -f "$NEW.restore" "$CONF"
  rm -f "$PENDING"
  if bird_reload; then
    err "restored the previous config ($CONF) and reloaded BIRD"
  else
    err "restored the previous config ($CONF) but BIRD did not reload it:"
    printf '%s\n' "$OUT" | redact >&2
  fi
  exit 1
}
if ! bird_reload; then
  err "BIRD did not accept the new config on reload. BIRD said:"
  printf '%s\n' "$OUT" | redact >&2
  rollback
fi
deadline=$(( $(now) + TIMEOUT ))
sleep 1
while :; do
  capture "$BIRDC" -s "$SOCK" show protocols || true
  STATUS=$OUT
  missing=""
  for p in $PROTOCOLS; do is_established "$p" || missing="$missing $p"; done
  [ -z "$missing" ] && break
  if [ "$(now)" -ge "$deadline" ]; then
    err "BGP sessions not Established within $TIMEOUT s:$missing. BIRD reports:"
    for p in $missing; do protocol_lines "$p" | redact >&2; done
    rollback
  fi
  sleep 1
done
rm -f "$PENDING"
printf '%s\n' "$OWNER" > "$OWNER_FILE"
prune_secrets
say "installed $CONF (sha256 $EXPECT_SHA256), BIRD reloaded, Established:$(for p in $PROTOCOLS; do printf ' %s' "$p"; done)"
`,
  ].join("\n");
}

/**
 * The delete script: replace node `device`'s config with the baseline (`birdBaselineConfig`) and
 * reload. A config that another owner installed since is left alone. Missing config: nothing to do.
 */
export function renderBirdDeleteScript(o: BirdDeleteOptions): string {
  const p = birdPaths(o.paths);
  return [
    header("remove the dcnet BIRD config", o, p),
    String.raw`drain_stdin
if [ ! -f "$CONF" ]; then say "$CONF does not exist; nothing to remove"; exit 0; fi
if [ -f "$OWNER_FILE" ] && [ "$(cat "$OWNER_FILE")" != "$OWNER" ]; then
  say "$CONF is now managed by $(cat "$OWNER_FILE"); leaving it"
  exit 0
fi
take_lock "$CONF.dcnet-lock"
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$NEW" << 'DCNET_BASELINE'
` +
      birdBaselineConfig(o.device, o.routerId) +
      String.raw`DCNET_BASELINE
if same_file "$NEW" "$CONF"; then rm -f "$OWNER_FILE" "$PENDING"; say "$CONF already is the baseline; nothing to do"; exit 0; fi
if [ "$DAEMON" = 1 ] && ! capture "$BIRD" -p -c "$NEW"; then
  err "bird -p rejected the baseline config; nothing was changed. BIRD said:"
  printf '%s\n' "$OUT" | redact >&2
  exit 1
fi
cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
copy_perms "$CONF" "$NEW"
mv -f "$NEW" "$CONF"
rm -f "$OWNER_FILE" "$PENDING"
if [ "$DAEMON" = 0 ]; then say "replaced $CONF with the baseline (folder mode)"; exit 0; fi
if ! bird_reachable; then
  say "BIRD is not running on $SOCK: $CONF now holds the baseline it will start with"
  exit 0
fi
if ! bird_reload; then
  err "BIRD did not accept the baseline config. BIRD said:"
  printf '%s\n' "$OUT" | redact >&2
  cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"
  bird_reload || true
  err "restored $CONF"
  exit 1
fi
say "replaced $CONF with the dcnet baseline (no BGP sessions, nothing announced) and reloaded BIRD; previous config kept as $PREV"
`,
  ].join("\n");
}

function checkFiles(files: string[]): string {
  return [...files].map(checkSecretFileName).sort().join(" ");
}

/**
 * The create/update script of node `device`'s secret files (the payload arrives on stdin, see
 * `encodeSecretsPayload`). Files land 0600 in the secrets dir, owned like the BIRD config so a
 * BIRD that dropped privileges can read them on reload. When the running config includes a
 * changed file, the config is re-validated and BIRD reloaded (restoring the old files on
 * failure). Sessions are not waited for: a password change drops them until the peer has it too.
 * A run killed after moving the files and before the reload leaves `.dcnet-reload-pending` in the
 * secrets dir; the next run reloads BIRD instead of reporting the files unchanged.
 */
export function renderBirdSecretsApplyScript(o: BirdSecretsOptions): string {
  const p = birdPaths(o.paths);
  return [
    header("install the BIRD secret files", o, p),
    assignments([["SECRET_FILES", checkFiles(o.files)]]),
    PAYLOAD_DECODER,
    String.raw`mkdir -p "$CONF_DIR" "$SECRETS_DIR"
chmod 700 "$SECRETS_DIR"
[ -e "$CONF" ] && chown "$(stat -c %u:%g "$CONF")" "$SECRETS_DIR" 2> /dev/null || true
take_lock "$CONF.dcnet-lock"
STAGE=$(mktemp -d "$SECRETS_DIR/.dcnet-new.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$STAGE/.payload"
decode_payload "$STAGE" < "$STAGE/.payload"
rm -f "$STAGE/.payload"
# $MARK exists from the move of changed files until BIRD has reloaded them (or they are restored):
# a run killed in between is finished by the next one instead of reporting "unchanged"
MARK="$SECRETS_DIR/.dcnet-reload-pending"
# does the config include one of the files "$@"?
uses() {
  [ -f "$CONF" ] || return 1
  for u in "$@"; do if grep -qF "\"$SECRETS_REF/$u\"" "$CONF"; then return 0; fi; done
  return 1
}
changed=""
for f in $SECRET_FILES; do same_file "$STAGE/$f" "$SECRETS_DIR/$f" || changed="$changed $f"; done
if [ -z "$changed" ]; then
  if [ "$DAEMON" = 1 ] && [ -f "$MARK" ] && uses $SECRET_FILES; then
    say "an earlier run installed these secret files but did not finish reloading BIRD; doing that now"
    if ! capture "$BIRD" -p -c "$CONF" || ! bird_reload; then
      err "BIRD did not take the secret files installed by the earlier run. BIRD said:"
      printf '%s\n' "$OUT" | redact >&2
      exit 1
    fi
    rm -f "$MARK"
    say "secret files unchanged; BIRD reloaded"
    exit 0
  fi
  rm -f "$MARK"
  say "secret files unchanged; nothing to do"
  exit 0
fi
mkdir "$STAGE/.prev"
for f in $changed; do
  [ -e "$CONF" ] && chown "$(stat -c %u:%g "$CONF")" "$STAGE/$f" 2> /dev/null || true
  if [ -f "$SECRETS_DIR/$f" ]; then cp -p "$SECRETS_DIR/$f" "$STAGE/.prev/$f"; fi
done
used=0
if uses $changed; then used=1; fi
if [ "$DAEMON" = 1 ] && [ "$used" = 1 ]; then : > "$MARK"; fi
for f in $changed; do mv -f "$STAGE/$f" "$SECRETS_DIR/$f"; done
restore_files() {
  for f in $changed; do
    if [ -f "$STAGE/.prev/$f" ]; then mv -f "$STAGE/.prev/$f" "$SECRETS_DIR/$f"; else rm -f "$SECRETS_DIR/$f"; fi
  done
  rm -f "$MARK"
}
if [ "$DAEMON" = 0 ] || [ "$used" = 0 ]; then
  say "installed secret files (0600):$changed"
  exit 0
fi
if ! capture "$BIRD" -p -c "$CONF"; then
  err "bird -p rejects $CONF with the new secret files; restored the previous ones. BIRD said:"
  printf '%s\n' "$OUT" | redact >&2
  restore_files
  exit 1
fi
if ! bird_reload; then
  err "BIRD did not reload with the new secret files; restored the previous ones. BIRD said:"
  printf '%s\n' "$OUT" | redact >&2
  restore_files
  bird_reload || true
  exit 1
fi
rm -f "$MARK"
say "installed secret files (0600):$changed; BIRD reloaded"
`,
  ].join("\n");
}

/** The delete script of the secret files: removes them, except those the config still includes (warned). */
export function renderBirdSecretsDeleteScript(o: BirdSecretsOptions): string {
  const p = birdPaths(o.paths);
  return [
    header("remove the BIRD secret files", o, p),
    assignments([["SECRET_FILES", checkFiles(o.files)]]),
    String.raw`drain_stdin
gone=0
for f in $SECRET_FILES; do
  [ -e "$SECRETS_DIR/$f" ] || { gone=$((gone + 1)); continue; }
  if [ -f "$CONF" ] && grep -qF "\"$SECRETS_REF/$f\"" "$CONF"; then
    say "keeping $SECRETS_REF/$f: $CONF still includes it"
  else
    rm -f "$SECRETS_DIR/$f"
    say "removed $SECRETS_REF/$f"
  fi
done
rm -f "$SECRETS_DIR/.dcnet-reload-pending"
rmdir "$SECRETS_DIR" 2> /dev/null || true
if [ "$gone" -gt 0 ] && [ "$gone" = "$(echo $SECRET_FILES | wc -w)" ]; then say "no secret files left; nothing to remove"; fi
`,
  ].join("\n");
}

