#!/bin/sh
# Dry run of: npte-netns create client server
# Run it in a root shell (sudo sh) to do what the live command does.
set -eu
umask 022
install -d -m 0700 /run/npte /run/npte/netns
exec 9>>/run/npte/lock
flock -E 75 -w 30 9 || { echo 'npte-netns: create: lock busy after 30s; retry later' >&2; exit 75; }
trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE
step=0
rollback() {
	if [ "$step" -ge 12 ]; then rm -f /run/npte/netns/server || true; fi
	if [ "$step" -ge 7 ]; then ip netns del server || true; fi
	if [ "$step" -ge 6 ]; then rm -f /run/npte/netns/client || true; fi
	if [ "$step" -ge 1 ]; then ip netns del client || true; fi
	:
}
finish() {
	rc=$?
	trap - EXIT
	if [ "$rc" -ne 0 ]; then rollback; fi
	exit "$rc"
}
trap finish EXIT
ip netns add client
step=1
ip -n client link set lo up
ip netns exec client sysctl -q -w net.ipv4.ip_forward=1
ip netns exec client sysctl -q -w net.ipv6.conf.all.forwarding=1
ip netns exec client sysctl -q -w net.ipv6.conf.default.accept_dad=0
(umask 077 && set -C && printf 'owner=%s\n' 1000 >/run/npte/netns/client)
step=6
ip netns add server
step=7
ip -n server link set lo up
ip netns exec server sysctl -q -w net.ipv4.ip_forward=1
ip netns exec server sysctl -q -w net.ipv6.conf.all.forwarding=1
ip netns exec server sysctl -q -w net.ipv6.conf.default.accept_dad=0
(umask 077 && set -C && printf 'owner=%s\n' 1000 >/run/npte/netns/server)
step=12
trap - EXIT
