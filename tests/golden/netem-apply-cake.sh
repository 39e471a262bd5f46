#!/bin/sh
# Dry run of: npte-netem apply router if-server --delay 25ms --child cake --child-rate 10gbit
# Read it, then paste it into a root shell, pipe it to sudo sh, or save it and
# run sudo sh FILE: it does what the live command does. It runs in a subshell,
# so a shell it is pasted into keeps its options, umask, traps and files.
(
set -eu
umask 022
step=0
rollback() {
  if [ "$step" -ge 2 ]; then ip netns exec router tc qdisc del dev if-server root || true; fi
  :
}
finish() {
  rc=$?
  trap - EXIT
  if [ "$rc" -ne 0 ]; then
    rollback
    echo 'npte-netem: apply: dry run failed, exit status' "$rc" >&2
  fi
  exit "$rc"
}
trap finish EXIT
install -d -m 0700 /run/npte /run/npte/netns
exec 9>>/run/npte/lock
flock -E 75 -w 30 9 & wait "$!" || { echo 'npte-netem: apply: lock busy after 30s; retry later' >&2; exit 75; }
printf 'pid=%s\nuid=%s\nprog=%s\nverb=%s\nsince=%s\n' "$!" 0 npte-netem 'apply (dry-run preview)' "$(date +%s)" >|/run/npte/lock
trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE
test -f /run/npte/netns/router && test -e /run/netns/router || { echo 'npte-netem: apply: router: not found or not yours' >&2; exit 2; }
if ip netns exec router tc qdisc show dev if-server root | grep -q ' 1: root'; then npte_h=2; else npte_h=1; fi
ip netns exec router tc qdisc replace dev if-server root handle "$npte_h": netem delay 25ms
ip netns exec router tc qdisc add dev if-server parent "$npte_h": handle "$npte_h"0: cake bandwidth 10gbit
step=2
)
