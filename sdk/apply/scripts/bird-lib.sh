# shellcheck shell=sh disable=SC2034,SC2154
# BIRD on a node: paths derived from the parameters, reload and checks.
CONF_DIR=$(dirname "$CONF")
PREV="$CONF.dcnet-prev"
OWNER_FILE="$CONF.dcnet-owner"
PENDING="$CONF.dcnet-pending"
ERROR_LOG="$CONF.dcnet-error"
bird_reload() { capture "$BIRDC" -s "$SOCK" configure "\"$CONF\"" && case "$OUT" in *Reconfigur*) return 0 ;; *) return 1 ;; esac; }
bird_reachable() { capture "$BIRDC" -s "$SOCK" show status; }
# names of the secret files config $1 includes ("$SECRETS_REF/NAME"), one per line
secret_includes() {
  DCNET_REF="\"$SECRETS_REF/" awk 'BEGIN { r = ENVIRON["DCNET_REF"] }
    { s = $0; while ((i = index(s, r)) > 0) { s = substr(s, i + length(r)); j = index(s, "\""); if (j > 1) print substr(s, 1, j - 1) } }' "$1" |
    while read -r _n; do if safe_name "$_n"; then printf '%s\n' "$_n"; fi; done
}
# bird -p on a copy of config $1 whose secret files are placeholders ($2: a new folder for it):
# the input holds no secret, so BIRD's words in $OUT may be shown (paths named as on the device)
bird_parse_public() {
  mkdir "$2"
  subst "\"$SECRETS_REF/" "\"$2/" < "$1" > "$2/bird.conf"
  for _f in $(secret_includes "$1"); do printf 'password "dcnet-placeholder";\n' > "$2/$_f"; done
  if capture "$BIRD" -p -c "$2/bird.conf"; then _rc=0; else _rc=$?; fi
  OUT=$(printf '%s\n' "$OUT" | subst "$2/bird.conf" "$CONF (new)" | subst "$2/" "$SECRETS_REF/")
  rm -rf "$2"
  return "$_rc"
}
# BIRD's words in $OUT after a message ($1): shown unless they point into the secrets folder
# (a secret file's text); in a secrets command they are shown redacted
bird_words() {
  if [ "$PUBLIC" = 1 ]; then
    case "$OUT" in
      *"$SECRETS_REF"* | *"$SECRETS_DIR"*) withhold "$1. BIRD's words name a secret file" ;;
      *) err "$1. BIRD said:"; printf '%s\n' "$OUT" >&2 ;;
    esac
  else
    err "$1. BIRD said:"
    printf '%s\n' "$OUT" | redact >&2
  fi
}
