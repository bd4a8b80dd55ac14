#!/bin/sh
# Bounded TCP requests of a lab client host to a VIP (run inside the client's network namespace):
# COUNT short connections, one after the other, each from its own source port (BASE, BASE+1, ...)
# and each given at most TIMEOUT seconds. One line per attempt:
#   <ms since the epoch at the start> <source port> <first line of the answer, or "-">
# Usage: lb-client.sh SOCAT VIP PORT COUNT BASE TIMEOUT
set -u
socat=$1 vip=$2 port=$3 count=$4 base=$5 timeout=$6
i=0
while [ "$i" -lt "$count" ]; do
  sp=$((base + i))
  t=$(date +%s%3N)
  answer=$("$socat" -T"$timeout" - "TCP:$vip:$port,sourceport=$sp,reuseaddr,connect-timeout=$timeout" </dev/null 2>/dev/null | head -n 1)
  echo "$t $sp ${answer:--}"
  i=$((i + 1))
done
