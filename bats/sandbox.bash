# A throwaway sandbox per test: new mount and network namespaces, private
# propagation, a fresh tmpfs on /run. Commands run inside it with `sb`.
# Tests skip (with the reason) where this cannot be had.

sandbox_setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	FAULT=$TOP/build/fault/bin
	[ "$(id -u)" = 0 ] || skip "needs root (live sandbox)"
	command -v unshare >/dev/null || skip "needs unshare(1)"
	local pidfile=$BATS_TEST_TMPDIR/sandbox.pid
	unshare --mount --net --fork --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 npte-sandbox /run && ip link set lo up && echo $$ >"$1" && exec sleep 3600' \
		sh "$pidfile" 3>&- &
	for _ in $(seq 100); do [ -s "$pidfile" ] && break; sleep 0.05; done
	[ -s "$pidfile" ] || skip "cannot start a sandbox with unshare"
	SB_PID=$(cat "$pidfile")
}

sandbox_teardown() {
	[ -n "${SB_PID:-}" ] && kill "$SB_PID" 2>/dev/null || true
}

sb() {
	nsenter -t "$SB_PID" -m -n -- env PATH="$TOP/build/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"
}

# The state that matters, in a stable text form: namespaces, and in each its
# links (name, state, kind), addresses, routes, root qdiscs; markers without
# the kernel-chosen cookie; and whether a journal is pending.
sb_state() {
	sb sh -c '
		for ns in $(ip netns list | cut -d" " -f1 | sort); do
			echo "netns $ns"
			# admin state (what npte sets), not operstate (which the kernel settles later)
			ip -n "$ns" -br link | sed "s/@[^ ]*//" |
				awk "{ up = (\$NF ~ /[<,]UP[,>]/) ? \"up\" : \"down\"; print \"  link\", \$1, up }"
			# link-local addresses are kernel-chosen (from the MAC) and appear late
			ip -n "$ns" -br addr | sed "s/@[^ ]*//; s/ fe80::[^ ]*//g" | awk "{\$2=\"\"; print \"  addr\", \$0}"
			ip -n "$ns" route | sed "s/^/  route4 /"
			ip -n "$ns" -6 route | grep -v "^fe80" | sed "s/^/  route6 /"
			ip netns exec "$ns" tc qdisc show | grep -v "noqueue\|pfifo_fast\|mq " | sed "s/^/  /" | cut -d" " -f1-6
		done
		for m in /run/npte/netns/*; do
			[ -e "$m" ] || continue
			echo "marker ${m##*/} $(grep -v ^cookie= "$m" | tr "\n" " ")"
		done
		[ ! -e /run/npte/journal ] || echo "journal pending"
	' 2>&1
}

# Registry and kernel agree: every marker has a namespace and every namespace a marker.
sb_consistent() {
	sb sh -c '
		rc=0
		for m in /run/npte/netns/*; do
			[ -e "$m" ] || continue
			n=${m##*/}
			[ -e "/run/netns/$n" ] || { echo "marker without namespace: $n"; rc=1; }
		done
		for n in $(ip netns list | cut -d" " -f1); do
			[ -e "/run/npte/netns/$n" ] || { echo "namespace without marker: $n"; rc=1; }
		done
		exit $rc'
}
