# shellcheck shell=sh disable=SC2034,SC2154
# Install the BIRD config on stdin: sha check, parse, atomic replace, reload, verify, rollback.
mkdir -p "$CONF_DIR"
take_lock "$CONF.dcnet-lock"
NEW=$(mktemp "$CONF_DIR/.dcnet-new.XXXXXX")
trap 'rm -f "$NEW" "$NEW.restore"; rm -rf "$NEW.pub"' EXIT
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
  # first with placeholder secret files (BIRD's words can be shown), then with the real ones
  if ! bird_parse_public "$NEW" "$NEW.pub"; then
    err "bird -p rejected the new config; nothing was changed. BIRD said:"
    printf '%s\n' "$OUT" >&2
    exit 1
  fi
  if ! capture "$BIRD" -p -c "$NEW"; then
    withhold "bird -p accepts the new config but not with the secret files installed in $SECRETS_REF; nothing was changed. BIRD's words"
    exit 1
  fi
  if ! bird_reachable; then
    bird_words "BIRD is not reachable on $SOCK; nothing was changed"
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

# secret files dcnet wrote (listed in the secrets folder's manifest) that the config no longer includes
prune_secrets() {
  [ -d "$SECRETS_DIR" ] || return 0
  for b in $(manifest_files "$SECRETS_DIR"); do
    if ! grep -qF -e "\"$SECRETS_REF/$b\"" "$CONF" && remove_owned "$SECRETS_DIR" "$b"; then say "removed unused secret file $SECRETS_REF/$b"; fi
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
  restore_previous
  if bird_reload; then
    err "restored the previous config ($CONF) and reloaded BIRD"
  else
    bird_words "restored the previous config ($CONF) but BIRD did not reload it"
  fi
  exit 1
}
if ! bird_reload; then
  bird_words "BIRD did not accept the new config on reload"
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
    for p in $missing; do protocol_lines "$p" >&2; done
    rollback
  fi
  sleep 1
done
rm -f "$PENDING"
printf '%s\n' "$OWNER" > "$OWNER_FILE"
prune_secrets
say "installed $CONF (sha256 $EXPECT_SHA256), BIRD reloaded, Established:$(for p in $PROTOCOLS; do printf ' %s' "$p"; done)"
