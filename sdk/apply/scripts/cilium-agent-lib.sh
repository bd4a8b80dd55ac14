# shellcheck shell=sh disable=SC2034,SC2154
# Host-mode Cilium agent on a node: paths derived from the parameters, the service manager
# (systemctl, or the lab's hook: HOOK restart|active|logs|stop UNIT_FILE), readiness.
VERSIONS="$CONF.dcnet"
UNIT_DIR=$(dirname "$UNIT")
SERVICE=$(basename "$UNIT")
PREV_UNIT="$UNIT.dcnet-prev"
OWNER_FILE="$VERSIONS/owner"
PENDING="$VERSIONS/pending"
ERROR_LOG="$VERSIONS/error"
agent_restart() {
  if [ -n "$RESTART_HOOK" ]; then capture "$RESTART_HOOK" restart "$UNIT"; return; fi
  if [ "${UNIT_CHANGED:-0}" = 1 ]; then capture systemctl daemon-reload || return 1; fi
  capture systemctl enable "$SERVICE" && capture systemctl restart "$SERVICE"
}
agent_stop() {
  if [ -n "$RESTART_HOOK" ]; then capture "$RESTART_HOOK" stop "$UNIT"; return; fi
  capture systemctl disable --now "$SERVICE"
}
# is the agent's process there (systemd: the service active, not failed nor waiting to restart)?
agent_active() {
  if [ -n "$RESTART_HOOK" ]; then "$RESTART_HOOK" active "$UNIT" > /dev/null 2>&1; return; fi
  systemctl is-active --quiet "$SERVICE"
}
agent_logs() {
  if [ -n "$RESTART_HOOK" ]; then "$RESTART_HOOK" logs "$UNIT" 2>&1 | tail -n 15; return 0; fi
  journalctl -u "$SERVICE" -n 15 --no-pager 2>&1 || true
}
agent_ready() { capture "$CILIUM_DBG" -H "unix://$SOCK" status --brief; }
# wait (bounded by $TIMEOUT s) until the agent answers healthy; fails early when its process is
# gone three polls in a row (a refused config makes it exit at once)
wait_ready() {
  _deadline=$(( $(now) + TIMEOUT )); _gone=0; _start=$(now)
  while :; do
    if agent_ready; then READY_AFTER=$(( $(now) - _start )); return 0; fi
    if agent_active; then _gone=0; else _gone=$((_gone + 1)); fi
    if [ "$_gone" -ge 3 ]; then WHY="exited"; return 1; fi
    if [ "$(now)" -ge "$_deadline" ]; then WHY="was not ready within $TIMEOUT s"; return 1; fi
    sleep 1
  done
}
# the version folder the config dir points at (empty when it is not dcnet's link)
current_target() { if [ -L "$CONF" ]; then readlink "$CONF"; fi; }
# point the config dir at version folder $1 (atomically: a new link renamed over the old one)
point_conf() {
  rm -f "$CONF.dcnet-link"
  ln -s "$1" "$CONF.dcnet-link"
  mv -T -f "$CONF.dcnet-link" "$CONF"
}
# a folder's files as "sha256  name" lines, sorted (what the agent would read from it); one process
dir_digest() { (cd "$1" && find . -maxdepth 1 -type f ! -name '.*' -exec sha256sum {} + 2> /dev/null) | sort; }
# Decoder of the config dir payload on stdin, in one awk process: "dcnet-files 1", per file
# "file NAME LINES EOL" and its LINES lines verbatim (EOL 0: no newline after the last one), "end".
# Writes each file into folder $1 (0644) and checks the set of names against $FILES.
decode_files() {
  DCNET_DIR=$1 DCNET_FILES=$FILES awk '
    function fail(m) { print "dcnet: config dir payload: " m > "/dev/stderr"; bad = 1; exit 1 }
    BEGIN { dir = ENVIRON["DCNET_DIR"]; n = split(ENVIRON["DCNET_FILES"], want, " "); for (i = 1; i <= n; i++) wanted[want[i]] = 1 }
    NR == 1 { if ($0 != "dcnet-files 1") fail("no dcnet-files 1 header"); next }
    left > 0 { sep = (left > 1 || eol) ? "\n" : ""; printf "%s%s", $0, sep > path; left--; if (left == 0) close(path); next }
    $1 == "file" && NF == 4 {
      name = $2
      if (name !~ /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/) fail("unsafe file name")
      if (!(name in wanted)) fail("file " name " is not one the script expects")
      if (name in seen) fail("file " name " twice")
      seen[name] = 1; count++
      path = dir "/" name; left = $3 + 0; eol = $4 + 0
      printf "" > path
      if (left == 0) close(path)
      next
    }
    $0 == "end" && left == 0 { ended = 1; next }
    { fail("unexpected record at line " NR) }
    END { if (bad) exit 1; if (!ended) fail("truncated (no end record)"); if (count != n) fail("holds " count " files, the script expects " n) }
  ' && chmod 644 "$1"/*
}
