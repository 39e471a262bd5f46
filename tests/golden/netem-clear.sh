#!/bin/sh
# Dry run of: npte-netem clear router if-server
# Run it in a root shell (sudo sh) to do what the live command does.
set -eu
umask 022
install -d -m 0700 /run/npte /run/npte/netns
exec 9>>/run/npte/lock
flock -E 75 -w 30 9 || { echo 'npte-netem: clear: lock busy after 30s; retry later' >&2; exit 75; }
trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE
test -f /run/npte/netns/router && test -e /run/netns/router || { echo 'npte-netem: clear: router: not found or not yours' >&2; exit 2; }
ip -n router link show dev if-server >/dev/null
ip netns exec router tc qdisc del dev if-server root 2>/dev/null || :
