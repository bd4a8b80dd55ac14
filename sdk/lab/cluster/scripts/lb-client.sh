#!/bin/sh
# Bounded requests of a lab client host to a VIP (run inside the client's network namespace):
# COUNT short TCP connections (or UDP request datagrams), one after the other, each from its own
# source port (BASE, BASE+1, ...) and each given at most TIMEOUT seconds (a UDP attempt always
# waits that long: a datagram has no end). One line per attempt:
#   <ms since the epoch at the start> <source port> <first line of the answer, or "-">
# Usage: lb-client.sh SOCAT VIP PORT COUNT BASE TIMEOUT [tcp|udp]
set -u
socat=$1 vip=$2 port=$3 count=$4 base=$5 timeout=$6 proto=${7:-tcp}
case $proto in
  tcp) peer="TCP:$vip:$port,connect-timeout=$timeout" ;;
  udp) peer="UDP:$vip:$port" ;;
  *) echo "lb-client.sh: protocol '$proto' is neither tcp nor udp" >&2; exit 2 ;;
esac
i=0
while [ "$i" -lt "$count" ]; do
  sp=$((base + i))
  t=$(date +%s%3N)
  if [ "$proto" = udp ]; then
    answer=$(printf 'q\n' | "$socat" -t"$timeout" -T"$timeout" - "$peer,sourceport=$sp,reuseaddr" 2>/dev/null | head -n 1)
  else
    answer=$("$socat" -T"$timeout" - "$peer,sourceport=$sp,reuseaddr" </dev/null 2>/dev/null | head -n 1)
  fi
  echo "$t $sp ${answer:--}"
  i=$((i + 1))
done
