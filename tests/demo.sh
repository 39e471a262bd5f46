#!/bin/sh
# The README's demo (`make demo`): run inside tests/sandbox, so the namespaces
# live in a throwaway network and mount namespace and vanish with it.
set -eu
say() { printf '\n$ %s\n' "$*"; }
run() { say "$@"; "$@"; }

run npte-netns create client router server
run npte-netns list
run ip netns list
run npte-netns show router
say npte-netns show --json client
npte-netns show --json client | jq -c .
run npte-lock status
run npte-netns destroy --dry-run client router server
say 'npte-netns destroy --dry-run client router server | dash'
npte-netns destroy --dry-run client router server | dash
run npte-netns list
run ip netns list
say 'npte-netns destroy client   # already gone: one uniform refusal, exit 2'
npte-netns destroy client || echo "exit status $?"
