# shellcheck shell=sh disable=SC2034,SC2154
# Uninstall a host-mode Cilium agent dcnet installed: stop (and disable) it, then remove only what
# dcnet recorded — the config dir link into its version folders, the version folders, the unit and
# its kept previous version — and put back a config dir that was there before dcnet.
drain_stdin
if [ ! -d "$VERSIONS" ] || [ ! -f "$OWNER_FILE" ]; then say "no dcnet-installed cilium-agent config at $CONF; nothing to remove"; exit 0; fi
if [ "$(cat "$OWNER_FILE")" != "$OWNER" ]; then
  say "$CONF is now managed by $(cat "$OWNER_FILE"); leaving it"
  exit 0
fi
take_lock "$VERSIONS/lock"
CURRENT=$(current_target)
if [ "$DAEMON" = 1 ]; then
  if [ -f "$UNIT" ] || [ -n "$RESTART_HOOK" ]; then
    if ! agent_stop; then err "could not stop cilium-agent ($OUT); nothing was removed"; exit 1; fi
  fi
fi
case "$CURRENT" in
  "$VERSIONS"/*) rm -f "$CONF" ;;
  *) if [ -n "$CURRENT" ]; then say "$CONF links to $CURRENT, not to a dcnet version; left"; fi ;;
esac
RESTORED=""
if [ -d "$VERSIONS/before-dcnet" ] && [ ! -e "$CONF" ]; then mv "$VERSIONS/before-dcnet" "$CONF"; RESTORED=" (the config dir from before dcnet put back)"; fi
UNIT_REMOVED=0
if [ -f "$UNIT" ]; then rm -f "$UNIT"; UNIT_REMOVED=1; fi
rm -f "$PREV_UNIT" "$UNIT.dcnet-new"
rm -rf "${VERSIONS:?}"
if [ "$DAEMON" = 1 ] && [ -z "$RESTART_HOOK" ] && [ "$UNIT_REMOVED" = 1 ]; then capture systemctl daemon-reload || err "systemctl daemon-reload: $OUT"; fi
if [ "$DAEMON" = 0 ]; then say "removed $CONF and $UNIT (folder mode: no agent stopped)$RESTORED"; exit 0; fi
say "stopped cilium-agent, removed $CONF, its version folders and $UNIT$RESTORED"
