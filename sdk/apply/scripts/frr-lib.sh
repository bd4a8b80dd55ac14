# shellcheck shell=sh disable=SC2034,SC2154
# FRR on a switch: paths derived from the parameters, assembly of main config + overlay, reload
# and checks.
CONF_DIR=$(dirname "$CONF")
PREV="$CONF.dcnet-prev"
OWNER_FILE="$STATE_DIR/owner"
PENDING="$STATE_DIR/pending"
ERROR_LOG="$STATE_DIR/last-error.log"
BASE="$STATE_DIR/$BASE_FILE"
OVERLAY="$SECRETS_DIR/$OVERLAY_FILE"
vty() {
  if [ -n "$VTY_SOCKET" ]; then set -- --vty_socket "$VTY_SOCKET" "$@"; fi
  if [ -n "$PATHSPACE" ]; then set -- -N "$PATHSPACE" "$@"; fi
  "$VTYSH" "$@"
}
# base ($1) + overlay ($2, optional) -> $3; overlay lines for undeclared neighbors/instances are left out
assemble() {
  cat "$1" > "$3"
  if [ -s "$2" ]; then
    printf '!\n' >> "$3"
    awk 'NR == FNR {
           if ($1 == "router" && $2 == "bgp") inst[$0] = 1
           if ($1 == "neighbor" && ($3 == "remote-as" || $3 == "peer-group" || $3 == "interface")) nb[$2] = 1
           next
         }
         /^router bgp/ { inctx = 1; ok = ($0 in inst); if (ok) print; next }
         /^exit/ { if (!inctx || ok) print; inctx = 0; next }
         $1 == "neighbor" { if ((!inctx || ok) && ($2 in nb)) print; next }
         { if (!inctx || ok) print }' "$1" "$2" >> "$3"
  fi
}
frr_check() { capture "$VTYSH" --config_dir "$CONF_DIR" --dryrun -f "$1"; }
frr_reload() {
  if [ -f "$RELOAD" ] && command -v python3 > /dev/null 2>&1; then
    set -- --reload --stdout --confdir "$CONF_DIR" --rundir "$RUNDIR"
    case "$VTYSH" in */*) set -- "$@" --bindir "$(dirname "$VTYSH")" ;; *) set -- "$@" --bindir "$(dirname "$(command -v "$VTYSH")")" ;; esac
    if [ -n "$VTY_SOCKET" ]; then set -- "$@" --vty_socket "$VTY_SOCKET"; fi
    if [ -n "$PATHSPACE" ]; then set -- "$@" --pathspace "$PATHSPACE"; fi
    RELOAD_HOW="frr-reload.py"
    capture python3 "$RELOAD" "$@" "$CONF"
  else
    RELOAD_HOW="vtysh -f (frr-reload.py unavailable: lines removed from the config stay configured)"
    capture vty -f "$CONF"
  fi
}
frr_reachable() { capture vty -c "show version"; }
# neighbor addresses in state Established, one per line
established_neighbors() {
  capture vty -c "show bgp neighbors" || true
  printf '%s\n' "$OUT" | awk '/^BGP neighbor is / { n = $4; sub(/,$/, "", n) }
    /^ *BGP state = / { s = $4; sub(/,$/, "", s); if (s == "Established") print n }'
}
# FRR's words in $OUT after a message ($1), from a run on a file that holds (or replaces one that
# held) the secrets overlay: frr-reload.py and vtysh echo config lines, passwords included. A
# non-secret command never prints them; a secrets command prints them redacted ($2 lines at most).
frr_words() {
  if [ "$PUBLIC" = 1 ]; then
    withhold "$1. FRR's words"
  else
    err "$1. FRR said:"
    printf '%s\n' "$OUT" | redact | tail -n "${2:-40}" >&2
  fi
}
