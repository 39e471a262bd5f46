#!/usr/bin/env bats
# npte-netem play on a kernel with netem (the VM lane): a rate schedule
# measured every 0.5 s at the receiver, a delay schedule measured by pings,
# and the exact restore of a netem tree (with a tbf child) on SIGTERM. The
# figures go to the TAP stream as comments.

load ../bats/sandbox
load live

setup_file() {
	live_setup_file
}

teardown_file() {
	live_teardown_file
}

setup() {
	sb npte-lab netem >/dev/null
}


@test "play: a rate schedule 5 -> 20 -> 5 Mbit/s (2 s each): every 0.5 s interval from 0.5 s after a step is within 15% of its rate" {
	local f=$BATS_TEST_TMPDIR/rate.sched
	# a short queue, so that what was queued at the old rate is gone well within 0.5 s
	printf '0 rate 5mbit limit 50\n2s rate 20mbit limit 50\n4s rate 5mbit limit 50\n6s end\n' >"$f"
	sb timeout 40 ip netns exec client iperf3 -s -1 -p 5302 >/dev/null 2>&1 3>&- &
	listening client 5302
	# 26 Mbit/s of 1400-byte datagrams offered, server -> client: the router's if-client egress
	sb timeout 40 ip netns exec server iperf3 -c 172.16.3.2 -p 5302 -u -l 1400 -b 26M -t 12 >/dev/null 2>&1 3>&- &
	sleep 1.5
	# one bash in the client namespace: the play's start, then the byte counter every 0.5 s
	# shellcheck disable=SC2016
	sb ip netns exec client bash -c '
		f=/sys/class/net/if-router/statistics/rx_bytes
		npte-netem play router if-client "$1" >/dev/null &
		t0=$EPOCHREALTIME
		read -r b0 <"$f"; p=$t0
		for i in $(seq 12); do
			sleep 0.5
			read -r b <"$f"; t=$EPOCHREALTIME
			echo "$p $t $((b - b0)) $t0"
			b0=$b; p=$t
		done
		wait' bash "$f" >"$BATS_TEST_TMPDIR/samples"
	sb pkill -x iperf3 || true
	awk '{ s = $1 - $4; e = $2 - $4; mb = $3 * 8 / ($2 - $1) / 1e6
		step = s < 2 ? 5 : s < 4 ? 20 : 5; b = s < 2 ? 0 : s < 4 ? 2 : 4
		ok = (s >= b + 0.5 && e <= b + 2.02)
		printf "# %5.2f..%5.2f s: %6.2f Mbit/s (step %d)%s\n", s, e, mb, step, ok ? "" : " (not judged)"
		if (ok) { n++; if (mb < step * 0.85 || mb > step * 1.15) bad++ } }
		END { printf "# %d intervals judged, %d off by more than 15%%\n", n, bad; exit !(n >= 5 && !bad) }' \
		"$BATS_TEST_TMPDIR/samples" >&3
}

@test "play: a delay schedule 10 -> 60 -> 10 ms: pings sent 200 ms or more after a step show its delay (median within 1.5 ms, none 3 ms early)" {
	local f=$BATS_TEST_TMPDIR/delay.sched base
	printf '0 delay 10ms\n2s delay 60ms\n4s delay 10ms\n6s end\n' >"$f"
	# the unshaped round trip
	read -r base < <(rtts 100 0.02 | stats | awk '{ print $2 }')
	# the requests (client -> server) leave through the router's if-server: delayed as they are queued
	# shellcheck disable=SC2016
	sb ip netns exec client bash -c '
		npte-netem play router if-server "$1" >/dev/null &
		t0=$EPOCHREALTIME
		ping -n -D -i 0.02 -c 280 -W 1 172.16.2.2 | sed -n "s/^\[\([0-9.]*\)\].* time=\([0-9.]*\) ms$/\1 \2 $t0/p"
		wait' bash "$f" >"$BATS_TEST_TMPDIR/pings"
	# A ping's send time is its reply's time less its round trip; the player's clock starts
	# a little after t0 (its start transaction), so steps are judged from 0.2 s after the nominal one.
	# What a wrong or late step shows: pings early by tens of ms, or a whole stretch off. What the
	# emulator shows (TCG on a busy 2-core CI machine): now and then one ping stalled several ms
	# late. So: none may be more than 3 ms early, each step's median is within 1.5 ms of its
	# delay, and at most 2% of the pings are more than 3 ms late.
	awk -v base="$base" '{ s = $1 - $2 / 1000 - $3; d = s < 2 ? 10 : s < 4 ? 60 : 10
		k = s < 2 ? 0 : s < 4 ? 1 : 2; b = 2 * k
		if (s < b + 0.2 || s > b + 1.95 || s > 5.95) next
		n++; sd = $2 - base - d; v[k, ++c[k]] = sd
		if (sd < -3) { early++; printf "# ping sent at %.3f s: %.2f ms (want %d + %.2f): early\n", s, $2, d, base }
		if (sd > 3) { late++; printf "# ping sent at %.3f s: %.2f ms (want %d + %.2f): late\n", s, $2, d, base } }
		END { bad = 0
		for (k = 0; k < 3; k++) {
			m = c[k]; for (i = 1; i <= m; i++) w[i] = v[k, i]
			for (i = 2; i <= m; i++) { x = w[i]; for (j = i - 1; j >= 1 && w[j] > x; j--) w[j + 1] = w[j]; w[j + 1] = x }
			med = m ? (m % 2 ? w[(m + 1) / 2] : (w[m / 2] + w[m / 2 + 1]) / 2) : 99
			printf "# step %d (%d ms): %d pings, median %+.2f ms from the delay\n", k + 1, k == 1 ? 60 : 10, m, med
			if (m < 40 || med < -1.5 || med > 1.5) bad++ }
		printf "# base %.2f ms; %d pings judged, %d more than 3 ms early, %d more than 3 ms late\n", base, n, early, late
		exit !(n >= 150 && !bad && !early && late <= n / 50) }' "$BATS_TEST_TMPDIR/pings" >&3
}

@test "play: SIGTERM puts back a netem root with a tbf child exactly (tc -j -d qdisc show equal), exit 143" {
	sb npte-netem apply router if-client delay 25ms 5ms loss 1% --child tbf --child-rate 30mbit
	local before pid st=0
	before=$(sb ip netns exec router tc -j -d qdisc show dev if-client)
	printf '0 delay 10ms rate 5mbit\n1s delay 50ms rate 2mbit\n30s end\n' >"$BATS_TEST_TMPDIR/s"
	sbx npte-netem play router if-client "$BATS_TEST_TMPDIR/s" >/dev/null &
	pid=$!
	sleep 2
	[ "$(sb ip netns exec router tc -j qdisc show dev if-client | jq -r '.[0].options.delay.delay')" = 0.05 ]
	kill -TERM "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 143 ]
	[ "$(sb ip netns exec router tc -j -d qdisc show dev if-client)" = "$before" ] || {
		diff <(echo "$before") <(sb ip netns exec router tc -j -d qdisc show dev if-client); return 1; }
}
