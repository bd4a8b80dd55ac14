# shellcheck shell=sh disable=SC2034,SC2154
# Install the BIRD secret files of the payload on stdin (0600, listed in the folder's manifest);
# re-validate and reload when the running config includes a changed one (restore on failure).
mkdir -p "$CONF_DIR"
own_dir "$SECRETS_DIR"
if made_dir "$SECRETS_DIR"; then
  chmod 700 "$SECRETS_DIR"
  if [ -e "$CONF" ]; then chown "$(stat -c %u:%g "$CONF")" "$SECRETS_DIR" 2> /dev/null || true; fi
fi
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
  for u in "$@"; do if grep -qF -e "\"$SECRETS_REF/$u\"" "$CONF"; then return 0; fi; done
  return 1
}
changed=""
for f in $SECRET_FILES; do
  same_file "$STAGE/$f" "$SECRETS_DIR/$f" || changed="$changed $f"
done
if [ -z "$changed" ]; then
  for f in $SECRET_FILES; do manifest_add "$SECRETS_DIR" "$f"; done
  # shellcheck disable=SC2086 # names are checked words
  if [ "$DAEMON" = 1 ] && [ -f "$MARK" ] && uses $SECRET_FILES; then
    say "an earlier run installed these secret files but did not finish reloading BIRD; doing that now"
    if ! capture "$BIRD" -p -c "$CONF" || ! bird_reload; then
      bird_words "BIRD did not take the secret files installed by the earlier run"
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
  if [ -e "$CONF" ]; then chown "$(stat -c %u:%g "$CONF")" "$STAGE/$f" 2> /dev/null || true; fi
  if [ -f "$SECRETS_DIR/$f" ]; then cp -p "$SECRETS_DIR/$f" "$STAGE/.prev/$f"; fi
done
used=0
# shellcheck disable=SC2086 # names are checked words
if uses $changed; then used=1; fi
if [ "$DAEMON" = 1 ] && [ "$used" = 1 ]; then : > "$MARK"; fi
# listed before they land, so a killed run leaves no file dcnet would not delete
for f in $SECRET_FILES; do manifest_add "$SECRETS_DIR" "$f"; done
for f in $changed; do mv -f "$STAGE/$f" "$SECRETS_DIR/$f"; done
restore_files() {
  for f in $changed; do
    if [ -f "$STAGE/.prev/$f" ]; then mv -f "$STAGE/.prev/$f" "$SECRETS_DIR/$f"; else remove_owned "$SECRETS_DIR" "$f" || true; fi
  done
  rm -f "$MARK"
}
if [ "$DAEMON" = 0 ] || [ "$used" = 0 ]; then
  say "installed secret files (0600):$changed"
  exit 0
fi
if ! capture "$BIRD" -p -c "$CONF"; then
  bird_words "bird -p rejects $CONF with the new secret files; restored the previous ones"
  restore_files
  exit 1
fi
if ! bird_reload; then
  bird_words "BIRD did not reload with the new secret files; restored the previous ones"
  restore_files
  bird_reload || true
  exit 1
fi
rm -f "$MARK"
say "installed secret files (0600):$changed; BIRD reloaded"
