# shellcheck shell=sh disable=SC2034,SC2154
# Install the main FRR config on stdin (assembled with the overlay): sha check, parse, atomic
# replace, reload, verify, rollback.
mkdir -p "$CONF_DIR" "$STATE_DIR"
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
  # the main config alone holds no secret: FRR's words about it can be shown
  if ! frr_check "$NEWBASE"; then
    err "vtysh --dryrun rejected the new config; nothing was changed. FRR said:"
    printf '%s\n' "$OUT" >&2
    exit 1
  fi
  if ! frr_check "$NEW"; then
    withhold "vtysh --dryrun accepts the new config but not with the secrets overlay; nothing was changed. FRR's words"
    exit 1
  fi
  if ! frr_reachable; then
    err "FRR is not reachable through vtysh; nothing was changed. vtysh said:"
    printf '%s\n' "$OUT" >&2
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
  restore_previous
  if frr_reload; then
    err "restored the previous config ($CONF) and reloaded FRR"
  else
    frr_words "restored the previous config ($CONF) but FRR did not take it back cleanly" 20
  fi
  exit 1
}
if ! frr_reload; then
  frr_words "FRR did not apply the new config ($RELOAD_HOW)"
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
      # state lines only (the neighbor's text could echo configured values)
      printf '%s\n' "$OUT" | grep -E "^ *(BGP neighbor is|BGP state|Last reset)" >&2 || true
    done
    rollback
  fi
  sleep 1
done
rm -f "$PENDING"
mv -f "$NEWBASE" "$BASE"
printf '%s\n' "$OWNER" > "$OWNER_FILE"
say "installed $CONF (main sha256 $EXPECT_SHA256) with $RELOAD_HOW; Established:$(for n in $MUST; do printf ' %s' "$n"; done)"
