# shellcheck shell=sh disable=SC2034,SC2154
# Remove the secret files dcnet wrote (listed in the manifest), except those the config still includes.
drain_stdin
gone=0
for f in $SECRET_FILES; do
  [ -e "$SECRETS_DIR/$f" ] || { gone=$((gone + 1)); manifest_del "$SECRETS_DIR" "$f"; continue; }
  if [ -f "$CONF" ] && grep -qF -e "\"$SECRETS_REF/$f\"" "$CONF"; then
    say "keeping $SECRETS_REF/$f: $CONF still includes it"
  elif remove_owned "$SECRETS_DIR" "$f"; then
    say "removed $SECRETS_REF/$f"
  else
    say "leaving $SECRETS_REF/$f: dcnet did not write it (not in $SECRETS_REF/.dcnet-manifest)"
  fi
done
rm -f "$SECRETS_DIR/.dcnet-reload-pending"
drop_dir "$SECRETS_DIR"
# shellcheck disable=SC2086 # names are checked words
if [ "$gone" -gt 0 ] && [ "$gone" = "$(set -- $SECRET_FILES; echo $#)" ]; then say "no secret files left; nothing to remove"; fi
