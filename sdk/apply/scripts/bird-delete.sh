# shellcheck shell=sh disable=SC2034,SC2154
# Replace the BIRD config with the node baseline ($BASELINE) and reload; keep the previous file.
drain_stdin
if [ ! -f "$CONF" ]; then say "$CONF does not exist; nothing to remove"; exit 0; fi
if [ -f "$OWNER_FILE" ] && [ "$(cat "$OWNER_FILE")" != "$OWNER" ]; then
  say "$CONF is now managed by $(cat "$OWNER_FILE"); leaving it"
  exit 0
fi
take_lock "$CONF.dcnet-lock"
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEW" "$NEW.restore"' EXIT
trap 'exit 1' HUP INT TERM
printf '%s' "$BASELINE" > "$NEW"
if same_file "$NEW" "$CONF"; then rm -f "$OWNER_FILE" "$PENDING"; say "$CONF already is the baseline; nothing to do"; exit 0; fi
# the baseline includes nothing: BIRD's words about it hold no secret
if [ "$DAEMON" = 1 ] && ! capture "$BIRD" -p -c "$NEW"; then
  err "bird -p rejected the baseline config; nothing was changed. BIRD said:"
  printf '%s\n' "$OUT" >&2
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
  bird_words "BIRD did not accept the baseline config"
  cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"
  bird_reload || true
  err "restored $CONF"
  exit 1
fi
say "replaced $CONF with the dcnet baseline (no BGP sessions, nothing announced) and reloaded BIRD; previous config kept as $PREV"
