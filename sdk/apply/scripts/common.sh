# shellcheck shell=sh disable=SC2034,SC2154
# dcnet apply scripts: functions shared by every script (messages, hashing, capture of a command's
# output, a lock, manifests of the files dcnet wrote). The generated script starts with quoted
# assignments of its parameters (DEVICE, PUBLIC, ...), then this file, then its own parts.
say() { printf 'dcnet: %s: %s\n' "$DEVICE" "$*"; }
err() { printf 'dcnet: %s: %s\n' "$DEVICE" "$*" >&2; }
# hide anything that looks like a password in text a secrets command prints (daemons echo
# offending lines); the non-secret commands never print text that could hold a secret at all
redact() { sed -E 's/(password)([^[:space:]]*)([[:space:]]+)("[^"]*"|[^[:space:]]+)/\1\2\3<redacted>/g'; }
sha_of() { sha256sum < "$1" | cut -d' ' -f1; }
now() { date +%s; }
# run "$@" with all output captured in $OUT; returns its exit status
capture() { set +e; OUT=$("$@" 2>&1); rc=$?; set -e; return "$rc"; }
drain_stdin() { if [ ! -t 0 ]; then cat > /dev/null || true; fi; }
# one dcnet script at a time per device file (flock when available)
take_lock() {
  if command -v flock > /dev/null 2>&1; then
    exec 9> "$1"
    flock -w 300 9 || { err "another dcnet apply holds $1"; exit 1; }
  fi
}
same_file() { [ -f "$1" ] && [ -f "$2" ] && [ "$(sha_of "$1")" = "$(sha_of "$2")" ]; }
# copy ownership and mode of $1 onto $2 (when $1 exists)
copy_perms() {
  if [ -e "$1" ]; then
    chown "$(stat -c %u:%g "$1")" "$2" 2> /dev/null || true
    chmod "$(stat -c %a "$1")" "$2"
  fi
}
# stdin with every literal occurrence of $1 replaced by $2 (no regular expression, no escapes)
subst() {
  DCNET_FROM=$1 DCNET_TO=$2 awk 'BEGIN { f = ENVIRON["DCNET_FROM"]; t = ENVIRON["DCNET_TO"] }
    { if (f == "") { print; next }
      out = ""; rest = $0
      while ((i = index(rest, f)) > 0) { out = out substr(rest, 1, i - 1) t; rest = substr(rest, i + length(f)) }
      print out rest }'
}
# $OUT, which may hold secret text, kept on the device only: $ERROR_LOG (0600, root) and a note
withhold() {
  rm -f "$ERROR_LOG"
  (umask 077 && printf '%s\n' "$OUT" > "$ERROR_LOG") || true
  err "$1 (not shown here: it may hold secret text; it is in $ERROR_LOG on the device, readable by root only)"
}
# a file name dcnet may write or delete: one path segment of [A-Za-z0-9._-], not starting with '.'
safe_name() { case "$1" in "" | .* | */* | *[!A-Za-z0-9._-]*) return 1 ;; esac; }
# The manifest "$1/.dcnet-manifest" lists what dcnet wrote in folder $1 ("file NAME" lines; "dir"
# when dcnet made the folder): dcnet deletes only what it lists, and changes the mode or owner of
# the folder only when it made it.
manifest_files() { if [ -f "$1/.dcnet-manifest" ]; then sed -n 's/^file //p' "$1/.dcnet-manifest"; fi; }
manifest_has() { [ -f "$1/.dcnet-manifest" ] && grep -qxF -e "file $2" "$1/.dcnet-manifest"; }
manifest_add() { safe_name "$2" && { manifest_has "$1" "$2" || printf 'file %s\n' "$2" >> "$1/.dcnet-manifest"; }; }
manifest_del() {
  if [ -f "$1/.dcnet-manifest" ]; then
    grep -vxF -e "file $2" "$1/.dcnet-manifest" > "$1/.dcnet-manifest.tmp" || true
    mv -f "$1/.dcnet-manifest.tmp" "$1/.dcnet-manifest"
  fi
}
made_dir() { [ -f "$1/.dcnet-manifest" ] && grep -qx 'dir' "$1/.dcnet-manifest"; }
# create folder $1 (0700) for dcnet unless it exists
own_dir() {
  if [ ! -d "$1" ]; then
    mkdir -p "$1"
    chmod 700 "$1"
    printf 'dir\n' >> "$1/.dcnet-manifest"
  fi
}
# delete file $2 of folder $1 when dcnet wrote it (listed in the manifest); returns 1 otherwise
remove_owned() {
  safe_name "$2" || return 1
  manifest_has "$1" "$2" || return 1
  rm -f "${1:?}/$2"
  manifest_del "$1" "$2"
}
# remove folder $1 when dcnet made it and no file dcnet wrote is left in it
drop_dir() {
  made_dir "$1" || return 0
  [ -z "$(manifest_files "$1")" ] || return 0
  rm -f "$1/.dcnet-manifest"
  rmdir "$1" 2> /dev/null || true
}
# rollback's first step: the file from before this apply (or the baseline when there was none)
# back in place atomically, and the pending marker gone
restore_previous() {
  if [ "$HAD_PREV" = 1 ]; then
    cp -p "$PREV" "$NEW.restore"
  else
    printf '%s' "$BASELINE" > "$NEW.restore"
  fi
  mv -f "$NEW.restore" "$CONF"
  rm -f "$PENDING"
}
