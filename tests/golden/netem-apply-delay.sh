#!/bin/sh
# Dry run of: npte-netem apply router if-server --delay '25ms 5ms 25% distribution normal' --limit 1000
# Run it in a root shell (sudo sh) to do what the live command does.
set -eu
umask 022
install -d -m 0700 /run/npte /run/npte/netns
exec 9>>/run/npte/lock
flock -E 75 -w 30 9 || { echo 'npte-netem: apply: lock busy after 30s; retry later' >&2; exit 75; }
trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE
step=0
rollback() {
	if [ "$step" -ge 2 ]; then ip netns exec router tc qdisc del dev if-server root || true; fi
	:
}
finish() {
	rc=$?
	trap - EXIT
	if [ "$rc" -ne 0 ]; then rollback; fi
	exit "$rc"
}
trap finish EXIT
test -f /run/npte/netns/router && test -e /run/netns/router || { echo 'npte-netem: apply: router: not found or not yours' >&2; exit 2; }
if ip netns exec router tc qdisc show dev if-server root | grep -q ' 1: root'; then npte_h=2; else npte_h=1; fi
ip netns exec router tc qdisc replace dev if-server root handle "$npte_h": netem delay 25ms 5ms 25% distribution normal limit 1000
step=2
trap - EXIT
