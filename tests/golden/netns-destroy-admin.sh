#!/bin/sh
# Dry run of: npte-netns destroy client server
# Run it in a root shell (sudo sh) to do what the live command does.
set -eu
umask 022
install -d -m 0700 /run/npte /run/npte/netns
exec 9>>/run/npte/lock
flock -E 75 -w 30 9 || { echo 'npte-netns: destroy: lock busy after 30s; retry later' >&2; exit 75; }
trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE
test -f /run/npte/netns/client || { echo 'npte-netns: destroy: client: not found or not yours' >&2; exit 2; }
test -f /run/npte/netns/server || { echo 'npte-netns: destroy: server: not found or not yours' >&2; exit 2; }
test '!' -e /run/netns/client || ip netns del client
rm -f /run/npte/netns/client
test '!' -e /run/netns/server || ip netns del server
rm -f /run/npte/netns/server
