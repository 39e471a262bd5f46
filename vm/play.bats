#!/usr/bin/env bats
# npte-netem play on a kernel with netem (the VM lane): a rate schedule
# measured at the receiver, a delay schedule measured by pings,
# and the exact restore of a netem tree (with a tbf child) on SIGTERM. The
# figures go to the TAP stream as comments.

load ../bats/sandbox
load live

setup() {
	live_skip
	sb npte-lab netem >/dev/null
}


# The player's clock starts once its first step is in, which under TCG on a
# loaded machine can be 0.1..0.3 s after it is forked: each test below finds
# that moment rather than assuming it (the rate test by watching for the
# netem root, the delay test from the pings themselves).

@test "play: a rate schedule 5 -> 20 -> 5 Mbit/s (2 s each): from 0.35 s after each step, the median of its 0.45 s intervals is within 10% of its rate" {
	local f=$BATS_TEST_TMPDIR/rate.sched
	# a short queue, so that what was queued at the old rate is gone within 0.12 s
	printf '0 rate 5mbit limit 50\n2s rate 20mbit limit 50\n4s rate 5mbit limit 50\n6s end\n' >"$f"
	sb timeout 40 ip netns exec client iperf3 -s -1 -p 5302 >/dev/null 2>&1 3>&- &
	local srv=$!
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$srv"
	listening client 5302
	# 26 Mbit/s of 1400-byte datagrams offered, server -> client: the router's if-client egress
	sb timeout 40 ip netns exec server iperf3 -c 172.16.3.2 -p 5302 -u -l 1400 -b 26M -t 12 >/dev/null 2>&1 3>&- &
	local cli=$!
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$cli"
	# One bash in the client namespace: once the flow arrives, the play; t0 when its
	# netem root is seen (the player's clock starts when it goes in: under load t0
	# was seen up to 0.27 s late); then the byte counter at 0.35, 0.8, 1.25 and 1.7 s
	# into each step, slept to those absolute times (a late read, or the forked
	# sleep's own cost, does not push the next ones).
	# shellcheck disable=SC2016
	sb ip netns exec client bash -c '
		f=/sys/class/net/if-router/statistics/rx_bytes
		read -r b0 <"$f"
		for _ in $(seq 100); do read -r b <"$f"; [ $((b - b0)) -gt 100000 ] && break; sleep 0.1; done
		npte-netem play router if-client "$1" >/dev/null &
		for _ in $(seq 500); do [[ $(tc -n router qdisc show dev if-client) = *netem* ]] && break; done
		t0=${EPOCHREALTIME/./}
		for k in 0 1 2; do
			for j in 0 1 2 3; do
				r=$((t0 + 2000000 * k + 350000 + 450000 * j - ${EPOCHREALTIME/./}))
				[ "$r" -le 0 ] || { printf -v r "%d.%06d" $((r / 1000000)) $((r % 1000000)); sleep "$r"; }
				read -r b <"$f"; t=${EPOCHREALTIME/./}
				echo "$k $b $(((t - t0) / 1000))"
			done
		done
		wait' bash "$f" >"$BATS_TEST_TMPDIR/samples"
	end_tree "$cli" "$srv"
	# An interval is judged when it lies within its step (from 0.3 s after it, before
	# the next): a stalled read may push one out. Netem's rate catches up after a stall
	# (each packet's time is set when it is queued), so a stall starves one interval and
	# may overfill the next: each step is judged by the median of its intervals, which
	# one such pair does not move; a step at the wrong rate moves them all.
	awk '$1 == k && ms > 2000 * k + 300 && $3 <= 2000 * k + 2000 {
			mb = ($2 - b) * 8 / ($3 - ms) / 1000; v[k, ++c[k]] = mb
			printf "# %5.2f..%5.2f s: %6.2f Mbit/s (step %d)\n", ms / 1000, $3 / 1000, mb, $1 + 1 }
		{ k = $1; b = $2; ms = $3 }
		END { bad = 0
		for (k = 0; k < 3; k++) {
			m = c[k]; for (i = 1; i <= m; i++) w[i] = v[k, i]
			for (i = 2; i <= m; i++) { x = w[i]; for (j = i - 1; j >= 1 && w[j] > x; j--) w[j + 1] = w[j]; w[j + 1] = x }
			want = k == 1 ? 20 : 5
			med = m ? (m % 2 ? w[(m + 1) / 2] : (w[m / 2] + w[m / 2 + 1]) / 2) : 0
			printf "# step %d (%d Mbit/s): %d intervals, median %.2f\n", k + 1, want, m, med
			if (m < 2 || med < want * 0.9 || med > want * 1.1) bad++ }
		exit !!bad }' "$BATS_TEST_TMPDIR/samples" >&3
}

@test "play: a delay schedule 10 -> 60 -> 10 ms: each change 2 s after the first step's (no earlier, at most 0.2 s late); pings sent 200 ms or more after it show its delay (median within 1.5 ms, none 3 ms early)" {
	local f=$BATS_TEST_TMPDIR/delay.sched base
	printf '0 delay 10ms\n2s delay 60ms\n4s delay 10ms\n6s end\n' >"$f"
	# the unshaped round trip
	read -r base < <(rtts 100 0.02 | stats | awk '{ print $2 }')
	# the requests (client -> server) leave through the router's if-server: delayed as they are queued
	# shellcheck disable=SC2016
	sb ip netns exec client bash -c '
		npte-netem play router if-server "$1" >/dev/null &
		ping -n -D -i 0.02 -c 330 -W 1 172.16.2.2 | sed -n "s/^\[\([0-9.]*\)\].* time=\([0-9.]*\) ms$/\1 \2/p"
		wait' bash "$f" >"$BATS_TEST_TMPDIR/pings"
	# A ping's send time is its reply's time less its round trip. The steps are found
	# from the pings, in send order: the first (10 ms) where two in a row are 5 ms
	# above the unshaped round trip (before it nothing shapes); the second (60 ms) and
	# third (10 ms) where two in a row are above, then below, 35 ms, at least 1 s after
	# the one before. The player's clock starts just after its first step is in, and a
	# change cannot come before its deadline: the first ping to show the first step is
	# sent at most a ping interval (0.02 s) and a stall after it, so change j (2, 3) is
	# no more than 0.05 s early of 2(j-1) s after it; a stalled emulator can make a
	# change late, and 0.2 s is allowed. Each step is judged from 0.2 s after its change
	# to 1.95 s after its deadline: what the emulator shows there (TCG on a busy 2-core
	# CI machine) is pings late, a few ms for a stretch of tens of them (a loaded host
	# saw 5 ms for 0.35 s), never early. So: none more than 3 ms early, each step's
	# median within 1.5 ms of its delay; late ones are counted and not judged.
	awk -v base="$base" '{ printf "%.6f %.3f\n", $1 - $2 / 1000, $2 - base }' "$BATS_TEST_TMPDIR/pings" | sort -g |
	awk -v base="$base" '{ s[NR] = $1; x[NR] = $2 } END {
		k = 0
		for (i = 1; i < NR && k < 3; i++) {
			if (k == 0 && x[i] >= 5 && x[i + 1] >= 5) sw[++k] = s[i]
			else if (k == 1 && s[i] >= sw[1] + 1 && x[i] >= 35 && x[i + 1] >= 35) sw[++k] = s[i]
			else if (k == 2 && s[i] >= sw[2] + 1 && x[i] < 35 && x[i + 1] < 35) sw[++k] = s[i] }
		bad = 0
		for (j = 2; j <= 3; j++) {
			d = k >= j ? sw[j] - sw[1] : -1
			printf "# change %d: %.3f s after the first step (want %.2f..%.2f)\n", j, d, 2 * (j - 1) - 0.05, 2 * (j - 1) + 0.2
			if (d < 2 * (j - 1) - 0.05 || d > 2 * (j - 1) + 0.2) bad++ }
		if (k < 3) { printf "# found %d of the 3 steps\n", k; exit 1 }
		for (i = 1; i <= NR; i++) {
			t = s[i] - sw[1]; j = t < 2 ? 1 : t < 4 ? 2 : 3; want = j == 2 ? 60 : 10
			if (s[i] < sw[j] + 0.2 || t > 2 * (j - 1) + 1.95) continue
			n++; v[j, ++c[j]] = x[i] - want
			if (x[i] - want < -3) { early++; printf "# ping sent at %.3f s: %.2f ms (want %d + %.2f): early\n", t, x[i] + base, want, base }
			if (x[i] - want > 3) { late++; printf "# ping sent at %.3f s: %.2f ms (want %d + %.2f): late\n", t, x[i] + base, want, base } }
		for (j = 1; j <= 3; j++) {
			m = c[j]; for (i = 1; i <= m; i++) w[i] = v[j, i]
			for (i = 2; i <= m; i++) { y = w[i]; for (l = i - 1; l >= 1 && w[l] > y; l--) w[l + 1] = w[l]; w[l + 1] = y }
			med = m ? (m % 2 ? w[(m + 1) / 2] : (w[m / 2] + w[m / 2 + 1]) / 2) : 99
			printf "# step %d (%d ms): %d pings, median %+.2f ms from the delay\n", j, j == 2 ? 60 : 10, m, med
			if (m < 40 || med < -1.5 || med > 1.5) bad++ }
		printf "# base %.2f ms; %d pings judged, %d more than 3 ms early, %d more than 3 ms late\n", base, n, early, late
		exit !(!bad && !early) }' >&3
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
