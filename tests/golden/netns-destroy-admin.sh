#!/bin/sh
# Dry run of: npte-netns destroy client server
# Read it, then paste it into a root shell, pipe it to sudo sh, or save it and
# run sudo sh FILE: it does what the live command does. It runs in a subshell,
# so a shell it is pasted into keeps its options, umask, traps and files.
(
set -eu
umask 022
finish() {
  rc=$?
  trap - EXIT
  if [ "$rc" -ne 0 ]; then
    echo 'npte-netns: destroy: dry run failed, exit status' "$rc" >&2
  fi
  exit "$rc"
}
trap finish EXIT
install -d -m 0700 /run/npte /run/npte/netns
exec 9>>/run/npte/lock
flock -E 75 -w 30 9 & wait "$!" || { echo 'npte-netns: destroy: lock busy after 30s; retry later' >&2; exit 75; }
printf 'pid=%s\nuid=%s\nprog=%s\nverb=%s\nsince=%s\n' "$!" 0 npte-netns 'destroy (dry-run preview)' "$(date +%s)" >|/run/npte/lock
trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE
test -f /run/npte/netns/client || { echo 'npte-netns: destroy: client: not found or not yours' >&2; exit 2; }
test -f /run/npte/netns/server || { echo 'npte-netns: destroy: server: not found or not yours' >&2; exit 2; }
test '!' -e /run/netns/client || ip netns del client
rm -f /run/npte/netns/client
test '!' -e /run/netns/server || ip netns del server
rm -f /run/npte/netns/server
)
