#!/usr/bin/env bats
# The dumbbell (issue 24) on a kernel with netem (the VM lane): the shipped
# lab/dumbbell.lab, its tbf bottleneck replaced by netem (delay, rate and a
# limit from r1 to r2, the same delay back), carries one TCP flow from each
# sender to its own receiver at once; each must get its fair share of the
# bottleneck within 25% and Jain's index must be at least 0.95. The figures
# go to the TAP stream as comments; docs/testing.md has every measured run.

load ../bats/sandbox
load live

# The bottleneck: 10 Mbit/s, not the host's 20: under TCG an earlier try at
# 20 Mbit/s carried 13.4-19.1 Mbit/s of two flows in 5 runs, and two of them
# missed the 25%; at 10 Mbit/s every run passed (docs/testing.md). DELAY each
# way makes the round trip 20 ms, the same for both flows, as fairness
# between two flows of one congestion control assumes. LIMIT counts every
# skb netem holds, those in its delay line too, and at these rates TCP hands
# it GSO skbs of about two frames (backlog 83270 bytes in 29 skbs, measured):
# 30 is about 57 frames, 10 ms of them in the delay line and some 45 ms of
# queue (the senders' mean RTT measured 65-69 ms), two to three
# bandwidth-delay products (25 KB, 17 frames): room for both cubic flows to
# back off into without the link going idle.
RATE=10
DELAY=10
LIMIT=30
# iperf3 measures SECS after leaving out the first OMIT (slow start, the two
# flows finding each other); both flows use cubic. 60 s, not 30: 20 runs of
# 30 s all passed, but the first 30 s of ten 60 s runs (the senders' 1 s
# intervals) split as unevenly as 5.73/3.89 Mbit/s (the gap |a - b| 1.01
# Mbit/s RMS), close to the 3.75 floor, where the whole 60 s of the same runs
# gave at worst 5.29/4.31 (gap 0.52 RMS): the split evens out with time.
SECS=60
OMIT=5

setup_file() {
	local f=$BATS_FILE_TMPDIR/dumbbell.lab
	# the shipped file, its shape lines replaced: one topology for both lanes
	"$BATS_TEST_DIRNAME/../build/bin/npte-lab" show-file dumbbell | grep -v '^shape ' >"$f"
	printf '%s\n' "shape r1 if-r2 netem delay ${DELAY}ms rate ${RATE}mbit limit $LIMIT" \
		"shape r2 if-r1 netem delay ${DELAY}ms" >>"$f"
	LIVE_LAB=$f live_setup_file
}

# flow SENDER DEST OUT: an iperf3 TCP client in SENDER to DEST, its JSON report to OUT
flow() {
	sb timeout $((SECS + 60)) ip netns exec "$1" iperf3 -c "$2" -p 5201 -t "$SECS" -O "$OMIT" \
		-C cubic -J >"$3" 3>&-
}

# report JSON: "MBITS RTT_MS CC" of one iperf3 client's report
report() {
	jq -r '"\(.end.sum_received.bits_per_second / 1e6) \(.end.streams[0].sender.mean_rtt / 1e3) \(.end.sender_tcp_congestion)"' "$1"
}

@test "issue 24: the VM's dumbbell file: the shipped one with its one shape replaced by the two netem lines" {
	local f=$BATS_FILE_TMPDIR/dumbbell.lab
	[ "$("$TOP/build/bin/npte-lab" show-file dumbbell | grep -c '^shape ')" = 1 ]
	[ "$(grep -c '^shape .* netem ' "$f")" = 2 ] && [ "$(grep -c '^shape ' "$f")" = 2 ]
	[[ "$(sb tc -n r1 qdisc show dev if-r2)" == *"netem"*"limit $LIMIT delay ${DELAY}ms"*"rate ${RATE}Mbit"* ]] ||
		{ sb tc -n r1 qdisc show dev if-r2; return 1; }
}

@test "issue 24: dumbbell: two cubic flows through a netem bottleneck (10 Mbit/s, 20 ms round trip): each within 25% of 5 Mbit/s, Jain >= 0.95" {
	local t=$BATS_TEST_TMPDIR d p1 p2 rc1=0 rc2=0
	for d in d1 d2; do
		sb timeout $((SECS + 60)) ip netns exec "$d" iperf3 -s -1 -p 5201 >/dev/null 2>&1 3>&- &
		bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$!"
		listening "$d" 5201 || { echo "iperf3 server in $d did not start"; return 1; }
	done
	# both servers listen before either client starts; the clients start back to back
	flow s1 10.2.1.2 "$t/f1.json" &
	p1=$!
	flow s2 10.2.2.2 "$t/f2.json" &
	p2=$!
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$p1"
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$p2"
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	[ "$rc1" = 0 ] && [ "$rc2" = 0 ] || { echo "iperf3 clients exited $rc1 and $rc2"; return 1; }
	# received bytes (the receivers' count) after the omitted start, the
	# senders' mean smoothed RTT (ms) and congestion control
	local a b ra rb ca cb
	read -r a ra ca < <(report "$t/f1.json")
	read -r b rb cb < <(report "$t/f2.json")
	[ "$ca" = cubic ] && [ "$cb" = cubic ] || { echo "congestion control: $ca and $cb, want cubic"; return 1; }
	awk -v a="$a" -v b="$b" -v ra="$ra" -v rb="$rb" -v r="$RATE" -v d="$DELAY" 'BEGIN {
		j = (a + b) ^ 2 / (2 * (a * a + b * b)); f = r / 2
		printf "# flows: %.2f and %.2f Mbit/s (sum %.2f, want each %.2f..%.2f), jain %.3f (want >= 0.95); mean RTT %.1f and %.1f ms (want >= %d)\n",
			a, b, a + b, f * 0.75, f * 1.25, j, ra, rb, 2 * d
		ok = a >= f * 0.75 && a <= f * 1.25 && b >= f * 0.75 && b <= f * 1.25 && j >= 0.95
		# the delay is there: netem, not a bare rate, is the bottleneck
		exit !(ok && ra >= 2 * d && rb >= 2 * d) }' >&3
}
