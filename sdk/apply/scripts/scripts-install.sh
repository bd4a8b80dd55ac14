# shellcheck shell=sh disable=SC2034,SC2154
# dcnet: install the script files of the bundle delivery into $DIR (run as root on the device, or
# locally for a folder-mode device). Parameters: DEVICE, DIR, COUNT, and for i = 1..COUNT: N<i>
# (the first 32 hex digits of the file's SHA-256, also its name: $DIR/<N>.sh) and F<i> (its text, gzip + base64). A file
# already present with that content is left alone; a new one is written beside it, checked and
# renamed into place, so a device never runs a half-written file. Prints one line per file
# ("present <sha>" or "written <sha>").
set -eu
umask 022
mkdir -p "$DIR"
i=1
while [ "$i" -le "$COUNT" ]; do
  eval "n=\$N$i f=\$F$i"
  target="$DIR/$n.sh"
  if [ -f "$target" ] && [ "$(sha256sum < "$target" | cut -c1-32)" = "$n" ]; then
    echo "present $n"
  else
    tmp="$DIR/.$n.tmp.$$"
    printf '%s' "$f" | base64 -d | gzip -dc > "$tmp"
    if [ "$(sha256sum < "$tmp" | cut -c1-32)" != "$n" ]; then
      rm -f "$tmp"
      printf 'dcnet: %s: %s\n' "$DEVICE" "script file $n arrived damaged (its SHA-256 differs); nothing installed" >&2
      exit 1
    fi
    chmod 0644 "$tmp"
    mv -f "$tmp" "$target"
    echo "written $n"
  fi
  i=$((i + 1))
done
