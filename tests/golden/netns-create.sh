#!/bin/sh
# Dry run of: npte-netns create client server
# Read it, then paste it into a root shell, pipe it to sudo sh, or save it and
# run sudo sh FILE: it does what the live command does. It runs in a subshell,
# so a shell it is pasted into keeps its options, umask, traps and files.
(
set -eu
umask 022
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
  if [ "$rc" -ne 0 ]; then
    rollback
    echo 'npte-netns: create: dry run failed, exit status' "$rc" >&2
  fi
  exit "$rc"
}
trap finish EXIT
install -d -m 0700 /run/npte /run/npte/netns
exec 9>>/run/npte/lock
flock -E 75 -w 30 9 & wait "$!" || { echo 'npte-netns: create: lock busy after 30s; retry later' >&2; exit 75; }
printf 'pid=%s\nuid=%s\nprog=%s\nverb=%s\nsince=%s\n' "$!" 1000 npte-netns 'create (dry-run preview)' "$(date +%s)" >|/run/npte/lock
trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE
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
)
