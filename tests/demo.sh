#!/bin/sh
# The README's demo (`make demo`): the main job of npte, inside tests/sandbox,
# so every namespace lives in a throwaway network and mount namespace and
# vanishes with it. A client/router/server lab, a real server and client run
# with npte-run across it, the same transfer shaped to 20 Mbit/s, a link
# profile, and the lab's dry-run script doing the teardown.
set -eu
say() { printf '\n$ %s\n' "$*"; }
run() { say "$@"; "$@"; }

# iperf3 client -> server across the router; prints the receiver's line.
transfer() {
	say "npte-run server iperf3 -s -1 &  npte-run client iperf3 -c 172.16.2.2 -t 3"
	npte-run server iperf3 -s -1 >/dev/null 2>&1 &
	srv=$!
	i=0
	while [ $i -lt 50 ] && ! ip netns exec server ss -Hltn 'sport = :5201' | grep -q .; do
		sleep 0.1
		i=$((i + 1))
	done
	npte-run client iperf3 -c 172.16.2.2 -t 3 -f m | grep receiver
	wait "$srv"
}

run npte-lab create
run npte-lab status
run npte-netns list
say "ip netns exec client ping -c 2 -q fd00:16:2::2   # IPv6 too, through the router"
ip netns exec client ping -c 2 -q fd00:16:2::2 | tail -2
transfer
run npte-netem rate router if-server 20mbit
transfer
run npte-netns show router
run npte-lab netem --list
say "npte-lab netem --profile 4g-bloated"
npte-lab netem --profile 4g-bloated ||
	echo "(this kernel has no sch_netem: the request was refused and nothing changed; npte-doctor says so too)"
run npte-lock status
say 'npte-lab destroy --dry-run | dash'
npte-lab destroy --dry-run | dash
run npte-lab status
say 'npte-netns destroy client   # already gone: one uniform refusal, exit 2'
npte-netns destroy client || echo "exit status $?"
