# shellcheck shell=sh disable=SC2034,SC2154
# Install a host-mode Cilium agent's config dir (payload on stdin, one file per key) and its systemd
# unit: sha check, validation, atomic replace (the config dir is a link to a version folder), restart
# only when something changed, wait until the agent is ready, roll back on failure.
mkdir -p "$(dirname "$CONF")"
own_dir "$VERSIONS"
take_lock "$VERSIONS/lock"
NEW=$(mktemp -d "$VERSIONS/.new.XXXXXX")
trap 'rm -rf "$NEW" "$NEW.payload" "$NEW.unit" "$CONF.dcnet-link" "$UNIT.dcnet-new"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$NEW.payload"
if [ "$(sha_of "$NEW.payload")" != "$EXPECT_SHA256" ]; then
  err "the config dir on stdin ($(wc -c < "$NEW.payload") bytes) is not the planned one ($EXPECT_BYTES bytes, sha256 $EXPECT_SHA256); nothing was changed"
  exit 1
fi
decode_files "$NEW" < "$NEW.payload"
chmod 755 "$NEW"
printf '%s' "$UNIT_TEXT" > "$NEW.unit"
TARGET="$VERSIONS/$EXPECT_SHA256"
CURRENT=$(current_target)
UNIT_CHANGED=1
if same_file "$NEW.unit" "$UNIT"; then UNIT_CHANGED=0; fi
CONF_CHANGED=1
if [ "$CURRENT" = "$TARGET" ] && [ -d "$TARGET" ] && [ "$(dir_digest "$TARGET")" = "$(dir_digest "$NEW")" ]; then CONF_CHANGED=0; fi
if [ -z "$CURRENT" ] && [ ! -L "$CONF" ] && [ -d "$CONF" ] && [ "$UNIT_CHANGED" = 0 ] && [ "$(dir_digest "$CONF")" = "$(dir_digest "$NEW")" ]; then
  # the same files in a plain folder (installed by other means): taken over as this version, the agent left running
  rm -rf "$TARGET"
  mv "$CONF" "$TARGET"
  point_conf "$TARGET"
  printf '%s\n' "$OWNER" > "$OWNER_FILE"
  say "$CONF already held this config as a plain folder; made it version $EXPECT_SHA256 (a link), the agent was not restarted"
  exit 0
fi
if [ "$CONF_CHANGED" = 0 ] && [ "$UNIT_CHANGED" = 0 ]; then
  if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
    say "an earlier apply installed this config but did not finish restarting and checking the agent; doing that now"
  else
    printf '%s\n' "$OWNER" > "$OWNER_FILE"
    say "$CONF and $UNIT already hold this config (sha256 $EXPECT_SHA256); nothing to do, the agent was not restarted"
    exit 0
  fi
fi

if [ "$DAEMON" = 1 ]; then
  # validation: the unit as systemd reads it (where the node has systemd-analyze), the binaries
  if [ ! -x "$AGENT" ]; then err "$AGENT (the unit's ExecStart) is not an executable on this node; nothing was changed"; exit 1; fi
  if ! command -v "$CILIUM_DBG" > /dev/null 2>&1; then err "$CILIUM_DBG is not installed on this node (dcnet checks the agent with it); nothing was changed"; exit 1; fi
  if [ "$VERIFY_UNIT" = 1 ] && command -v systemd-analyze > /dev/null 2>&1; then
    mkdir "$NEW.d" 2> /dev/null || true
    cp "$NEW.unit" "$NEW.d/$SERVICE"
    if ! capture systemd-analyze verify "$NEW.d/$SERVICE"; then
      rm -rf "$NEW.d"
      err "systemd-analyze verify refused the new unit; nothing was changed. It said:"
      printf '%s\n' "$OUT" >&2
      exit 1
    fi
    rm -rf "$NEW.d"
  fi
fi

# keep what runs now: the version folder it points at, and the unit
if [ "$DAEMON" = 1 ] && [ -f "$PENDING" ]; then
  # an unfinished apply: its record names what ran before it
  PREV_TARGET=$(sed -n 's/^prev //p' "$PENDING")
  HAD_PREV_UNIT=$(sed -n 's/^unit //p' "$PENDING")
else
  PREV_TARGET=$CURRENT
  if [ -z "$CURRENT" ] && [ -d "$CONF" ]; then
    # a config dir that is not dcnet's link: kept as a version folder of its own
    PREV_TARGET="$VERSIONS/before-dcnet"
    rm -rf "$PREV_TARGET"
    mv "$CONF" "$PREV_TARGET"
  fi
  HAD_PREV_UNIT=0
  if [ -f "$UNIT" ]; then cp -p "$UNIT" "$PREV_UNIT.tmp" && mv -f "$PREV_UNIT.tmp" "$PREV_UNIT"; HAD_PREV_UNIT=1; fi
fi
if [ ! -d "$TARGET" ] || [ "$(dir_digest "$TARGET")" != "$(dir_digest "$NEW")" ]; then
  rm -rf "$TARGET"
  mv "$NEW" "$TARGET"
fi
if [ "$DAEMON" = 1 ]; then printf 'prev %s\nunit %s\n' "$PREV_TARGET" "$HAD_PREV_UNIT" > "$PENDING"; fi
point_conf "$TARGET"
if [ "$UNIT_CHANGED" = 1 ]; then
  mkdir -p "$UNIT_DIR"
  cp "$NEW.unit" "$UNIT.dcnet-new" && chmod 644 "$UNIT.dcnet-new" && mv -f "$UNIT.dcnet-new" "$UNIT"
fi
# version folders other than the current and the previous one (and the config dir from before dcnet: the delete puts it back)
prune_versions() {
  for _v in "$VERSIONS"/*; do
    [ -d "$_v" ] || continue
    [ "$_v" = "$TARGET" ] || [ "$_v" = "$PREV_TARGET" ] || [ "$_v" = "$VERSIONS/before-dcnet" ] || rm -rf "$_v"
  done
}
if [ "$DAEMON" = 0 ]; then
  printf '%s\n' "$OWNER" > "$OWNER_FILE"
  prune_versions
  say "installed $CONF ($KEYS keys) and $UNIT (folder mode: not validated, no agent restarted)"
  exit 0
fi

rollback() {
  err "cilium-agent $WHY with the new config. Its last words:"
  agent_logs >&2
  if [ -n "$PREV_TARGET" ] && [ -d "$PREV_TARGET" ]; then point_conf "$PREV_TARGET"; else rm -f "$CONF"; fi
  if [ "$HAD_PREV_UNIT" = 1 ] && [ -f "$PREV_UNIT" ]; then cp -p "$PREV_UNIT" "$UNIT.dcnet-new" && mv -f "$UNIT.dcnet-new" "$UNIT"; else rm -f "$UNIT"; fi
  UNIT_CHANGED=1
  rm -f "$PENDING"
  if [ -z "$PREV_TARGET" ] || [ "$HAD_PREV_UNIT" != 1 ]; then
    agent_stop || true
    err "restored the state from before dcnet (no previous config to run): the agent is stopped"
    exit 1
  fi
  if ! agent_restart; then err "restored the previous config but could not restart the agent: $OUT"; exit 1; fi
  if wait_ready; then
    err "restored the previous config ($PREV_TARGET) and restarted the agent: ready again after $READY_AFTER s"
  else
    err "restored the previous config ($PREV_TARGET) and restarted the agent, but it $WHY"
  fi
  exit 1
}
RESTARTED_AT=$(now)
if ! agent_restart; then WHY="could not be restarted ($OUT)"; rollback; fi
if ! wait_ready; then rollback; fi
rm -f "$PENDING"
printf '%s\n' "$OWNER" > "$OWNER_FILE"
prune_versions
say "installed $CONF ($KEYS keys, sha256 $EXPECT_SHA256)$( [ "$UNIT_CHANGED" = 1 ] && printf ' and %s' "$UNIT"), cilium-agent restarted, ready after $(( $(now) - RESTARTED_AT )) s"
