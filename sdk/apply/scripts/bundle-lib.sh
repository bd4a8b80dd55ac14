# shellcheck shell=sh disable=SC2034,SC2154
# dcnet script file (bundle delivery): functions the launcher of a device command uses before any
# part runs. The launcher sets the device's own parameters (DEVICE, ROUTER_ID, ...), evaluates this
# file, then calls dcnet_create or dcnet_delete (defined below it).
#
# dcnet_fill TEXT: TEXT with every @DEVICE@ replaced by $DEVICE and every @ROUTER_ID@ by
# $ROUTER_ID (literally, no pattern), printed with a trailing "x" (the caller strips it, so
# trailing newlines survive the command substitution).
dcnet_fill() {
  dcnet_t=$1
  for dcnet_pair in "@DEVICE@=${DEVICE-}" "@ROUTER_ID@=${ROUTER_ID-}"; do
    dcnet_from=${dcnet_pair%%=*}
    dcnet_to=${dcnet_pair#*=}
    dcnet_out=
    while :; do
      case $dcnet_t in
        *"$dcnet_from"*)
          dcnet_out=$dcnet_out${dcnet_t%%"$dcnet_from"*}$dcnet_to
          dcnet_t=${dcnet_t#*"$dcnet_from"}
          ;;
        *) break ;;
      esac
    done
    dcnet_t=$dcnet_out$dcnet_t
  done
  printf '%sx' "$dcnet_t"
}
# the secrets payload must have arrived (in the launcher's DCNET_S)
dcnet_need_secrets() {
  if [ -z "${DCNET_S-}" ]; then
    printf 'dcnet: %s: %s\n' "$DEVICE" "no secrets arrived: the environment variable DCNET_SECRETS is empty (over SSH the device's sshd must accept it: AcceptEnv DCNET_SECRETS)" >&2
    exit 1
  fi
}
