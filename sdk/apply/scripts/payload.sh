# shellcheck shell=sh disable=SC2034,SC2154
# Decoder of a secrets payload on stdin ("dcnet-secrets 1", one "file NAME BASE64" line per file,
# "end"): writes each file into folder $1 (0600) and checks the set of names against $SECRET_FILES.
decode_payload() {
  _dir=$1; _seen=""; _end=0; _first=1
  while IFS=' ' read -r _kind _name _data || [ -n "$_kind" ]; do
    if [ "$_first" = 1 ]; then
      [ "$_kind $_name" = "dcnet-secrets 1" ] || { err "secrets payload on stdin has no 'dcnet-secrets 1' header"; return 1; }
      _first=0; continue
    fi
    case "$_kind" in
      file)
        safe_name "$_name" || { err "secrets payload names an unsafe file"; return 1; }
        printf '%s' "$_data" | base64 -d > "$_dir/$_name" || { err "secrets payload: bad encoding for $_name"; return 1; }
        chmod 600 "$_dir/$_name"
        _seen="$_seen $_name" ;;
      end) _end=1 ;;
      *) err "secrets payload: unexpected record"; return 1 ;;
    esac
  done
  [ "$_end" = 1 ] || { err "secrets payload on stdin is truncated (no end record)"; return 1; }
  [ "$(sorted_words "$_seen")" = "$(sorted_words "$SECRET_FILES")" ] ||
    { err "secrets payload holds files [$_seen ] but the script expects [ $SECRET_FILES ]"; return 1; }
}
# the words of $1, sorted, on one line
sorted_words() { printf '%s\n' "$1" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '; }
