# shellcheck shell=sh disable=SC2034,SC2154
# Remove the secrets overlay (when dcnet wrote it) and re-assemble the config without it.
drain_stdin
if [ ! -e "$OVERLAY" ]; then say "no secrets overlay; nothing to remove"; exit 0; fi
if ! manifest_has "$SECRETS_DIR" "$OVERLAY_FILE"; then say "leaving $OVERLAY: dcnet did not write it (not in $SECRETS_DIR/.dcnet-manifest)"; exit 0; fi
mkdir -p "$STATE_DIR"
take_lock "$STATE_DIR/lock"
if [ ! -f "$BASE" ] || [ ! -f "$CONF" ]; then remove_owned "$SECRETS_DIR" "$OVERLAY_FILE"; drop_dir "$SECRETS_DIR"; say "removed the secrets overlay"; exit 0; fi
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
assemble "$BASE" /dev/null "$NEW"
if ! same_file "$NEW" "$CONF"; then
  if [ "$DAEMON" = 1 ] && ! frr_check "$NEW"; then
    frr_words "vtysh --dryrun rejected the config without the secrets overlay; nothing was changed"
    exit 1
  fi
  cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
  copy_perms "$CONF" "$NEW"
  mv -f "$NEW" "$CONF"
  if [ "$DAEMON" = 1 ] && frr_reachable && ! frr_reload; then
    frr_words "FRR did not apply the config without the secrets overlay"
    cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"; frr_reload || true
    exit 1
  fi
fi
remove_owned "$SECRETS_DIR" "$OVERLAY_FILE"
drop_dir "$SECRETS_DIR"
say "removed the secrets overlay from $CONF"
