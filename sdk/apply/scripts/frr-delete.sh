# shellcheck shell=sh disable=SC2034,SC2154
# Replace the FRR config with the switch baseline ($BASELINE) and reload; keep the previous file.
drain_stdin
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
printf '%s' "$BASELINE" > "$NEW"
if same_file "$NEW" "$CONF"; then rm -f "$BASE" "$OWNER_FILE" "$PENDING"; say "$CONF already is the baseline; nothing to do"; exit 0; fi
# the baseline holds no secret: FRR's words about it can be shown
if [ "$DAEMON" = 1 ] && ! frr_check "$NEW"; then
  err "vtysh --dryrun rejected the baseline; nothing was changed. FRR said:"
  printf '%s\n' "$OUT" >&2
  exit 1
fi
cp -p "$CONF" "$PREV.tmp" && mv -f "$PREV.tmp" "$PREV"
copy_perms "$CONF" "$NEW"
mv -f "$NEW" "$CONF"
rm -f "$BASE" "$OWNER_FILE" "$PENDING"
if [ "$DAEMON" = 0 ]; then say "replaced $CONF with the baseline (folder mode)"; exit 0; fi
if ! frr_reachable; then say "FRR is not reachable: $CONF now holds the baseline it will start with"; exit 0; fi
# frr-reload.py compares with the running config, which holds the overlay: its words are withheld
if ! frr_reload; then
  frr_words "FRR did not apply the baseline ($RELOAD_HOW)"
  cp -p "$PREV" "$NEW.restore" && mv -f "$NEW.restore" "$CONF"
  frr_reload || true
  err "restored $CONF"
  exit 1
fi
say "replaced $CONF with the dcnet baseline (no BGP) using $RELOAD_HOW; previous config kept as $PREV"
