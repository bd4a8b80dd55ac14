# shellcheck shell=sh disable=SC2034,SC2154
# Install the secrets overlay of the payload on stdin (0600, listed in the folder's manifest);
# when the main config is installed, re-assemble, validate, install and reload (restore on failure).
mkdir -p "$CONF_DIR" "$STATE_DIR"
own_dir "$SECRETS_DIR"
if made_dir "$SECRETS_DIR"; then chmod 700 "$SECRETS_DIR"; fi
take_lock "$STATE_DIR/lock"
STAGE=$(mktemp -d "$SECRETS_DIR/.dcnet-new.XXXXXX")
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -rf "$STAGE"; rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
cat > "$STAGE/.payload"
decode_payload "$STAGE" < "$STAGE/.payload"
rm -f "$STAGE/.payload"
STAGED="$STAGE/$OVERLAY_FILE"
manifest_add "$SECRETS_DIR" "$OVERLAY_FILE"
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
  frr_words "vtysh --dryrun rejected the config with the new secrets overlay; nothing was changed" 1000
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
  frr_words "FRR did not apply the new secrets overlay ($RELOAD_HOW)"
  if [ "$HAD_PREV" = 1 ]; then cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"; rm -f "$PENDING"; frr_reload || true; err "restored $CONF"; fi
  exit 1
fi
rm -f "$PENDING"
mv -f "$STAGED" "$OVERLAY"
say "installed the secrets overlay (0600) into $CONF$( [ "$DAEMON" = 1 ] && printf ' and reloaded FRR' || printf ' (folder mode)')"
