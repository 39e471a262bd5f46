#!/usr/bin/env bats
# Topology files (issue 24): every shipped file comes up and goes down
# leaving nothing, live and as its dry-run under dash (the same state); the
# built-in file is npte-lab create's lab; two prefixes of one file side by side.

load sandbox

setup() {
	sandbox_setup
}

teardown() {
	bg_end "$BATS_TEST_TMPDIR/bg"
	sandbox_teardown
	sandbox2_teardown
}

# parts NAME: the number of status parts of shipped file NAME, and that all are there.
complete() {
	run sb npte-lab status --json "$@"
	[ "$status" = 0 ] || { echo "status $*: $output"; return 1; }
	[ "$(jq -r .state <<<"$output")" = complete ] || { echo "$output" | jq -c '.parts[] | select(.present | not)'; return 1; }
}

@test "issue 24: every shipped file: up live and its dry-run under dash leave the same state; status complete; down leaves nothing" {
	local f
	for f in default dumbbell two-path chain star; do
		faithful "" npte-lab up "$f" || { echo "file $f"; return 1; }
		[ "$FAITHFUL_RC" = 0 ] || { echo "up $f: exit $FAITHFUL_RC"; return 1; }
		complete "$f"
		run sb npte-lab down "$f"
		[ "$status" = 0 ] || { echo "down $f: $output"; return 1; }
		[ -z "$(sb ip netns list)" ] || { echo "left after down $f: $(sb ip netns list)"; return 1; }
		[ -z "$(sb ls /run/npte/netns)" ] || { echo "markers left after down $f"; return 1; }
	done
}

@test "issue 24: the built-in file is create's lab: create and up default leave the same state, and destroy = down" {
	sandbox2_setup
	sb npte-lab create
	sb2 npte-lab up default
	[ "$(sb_snapshot sb)" = "$(sb_snapshot sb2)" ]
	run sb npte-lab status
	[[ "${lines[0]}" == "lab client, router, server: complete (19 of 19 parts)" ]]
	sb2 npte-lab down default
	sb npte-lab destroy
	[ -z "$(sb ip netns list)$(sb2 ip netns list)" ]
	run sb npte-lab show-file default
	[ "$output" = "$(cat "$TOP/lab/default.lab")" ]
}

@test "issue 24: one file twice, side by side, under two prefixes; down of one leaves the other whole" {
	sb npte-lab up --prefix a chain
	sb npte-lab up --prefix b chain
	complete --prefix a chain
	complete --prefix b chain
	run sb npte-lab up --prefix a chain
	[ "$status" = 1 ]
	[[ "$output" == *"up already (npte-lab down FILE removes it)"* ]]
	sb npte-lab down --prefix a chain
	complete --prefix b chain
	run sb npte-lab status --json --prefix a chain
	[ "$(jq -r .state <<<"$output")" = absent ]
}

@test "issue 24: a file that fails mid-way (a route the kernel refuses) is rolled back whole: nothing of it stays" {
	local f=$BATS_TEST_TMPDIR/bad.lab
	printf 'node a\nnode b forward\nlink a b 10.9.0.1/24 10.9.0.2/24\nroute a 10.8.0.0/24 via 10.7.0.1\n' >"$f"
	run sb npte-lab up "$f"
	[ "$status" = 1 ]
	[[ "$output" == *"npte-lab: up: "* ]]
	[ -z "$(sb ip netns list)" ]
	[ -z "$(sb ls /run/npte/netns)" ]
}

# echo_ok NS ADDR [-6]: an echo from NS to ADDR is answered within 5 s (one request a second).
echo_ok() {
	sb ip netns exec "$1" ping ${3:+"$3"} -n -c 1 -w 5 "$2" >/dev/null || { echo "no echo reply $1 -> $2 $*"; return 1; }
}

@test "issue 24: chain: a ping crosses the whole chain both ways, IPv4 and IPv6, with one hop less of TTL per router" {
	sb npte-lab up chain
	echo_ok client 10.40.4.2
	echo_ok client fd00:40:4::2 -6
	echo_ok server 10.40.0.2
	run sb ip netns exec client ping -n -c 1 -w 5 10.40.4.2
	[[ "$output" == *"ttl=60"* ]] || { echo "$output"; return 1; } # 64 less the 4 routers
}

@test "issue 24: two-path: the client reaches the server over each path, and each path is the one its route names" {
	sb npte-lab up two-path
	echo_ok client 10.30.0.1
	echo_ok client 10.30.0.2
	echo_ok client fd00:30::1 -6
	echo_ok client fd00:30::2 -6
	run sb ip -n client route get 10.30.0.1
	[[ "$output" == *"dev if-wifi"* ]] || { echo "$output"; return 1; }
	run sb ip -n client route get 10.30.0.2
	[[ "$output" == *"dev if-lte"* ]] || { echo "$output"; return 1; }
	# the packets of each really leave by that path: the router's counter moves
	local before after
	before=$(sb ip -n lte -j -s link show if-client | jq '.[0].stats64.rx.packets')
	sb ip netns exec client ping -n -q -c 5 -i 0.2 10.30.0.2 >/dev/null
	after=$(sb ip -n lte -j -s link show if-client | jq '.[0].stats64.rx.packets')
	[ $((after - before)) -ge 5 ] || { echo "lte saw $((after - before)) packets"; return 1; }
}

# The issue asks for each flow at 10 Mbit/s within 25% (Jain >= 0.95). With tbf's
# plain FIFO and no base RTT on this host, the first, 12 s runs measured
# 5.5/14.2 and 6.2/12.9 Mbit/s (Jain 0.84, 0.89): the FIFO, not npte, decides
# the split. (Those runs named no congestion control: a new namespace takes
# the host's default, which on this host is bbr, not cubic.) So this test
# holds what a bottleneck must do (the sum near the tbf rate, neither flow
# starved) and prints Jain's index; vm/dumbbell.bats judges the issue's bound
# in the VM lane, through netem with a 20 ms round trip. docs/testing.md has
# the figures of both.
# The clients run 20 s and omit the first 5 (-O), both cubic: with no base
# RTT on the host path two flows take seconds after slow start to even out,
# and most 12 s runs (3 s omitted) ended before they had (Jain 0.84-0.93, one
# 0.996). The longer run narrows the split but does not remove it. Received
# bytes, from the receivers' report.
@test "issue 24: dumbbell: two TCP flows through the 20 Mbit/s tbf bottleneck: together at its rate, each at least 4 Mbit/s" {
	command -v iperf3 >/dev/null || skip "iperf3 is not installed (make deps installs it)"
	sb npte-lab up dumbbell
	local d t=$BATS_TEST_TMPDIR
	for d in d1 d2; do
		sb ip netns exec "$d" timeout 60 iperf3 -s -1 -p 5201 >/dev/null 2>&1 3>&- &
		echo "$! $(started_at $!)" >>"$t/bg"
		listening "$d" 5201
	done
	sb ip netns exec s1 timeout 60 iperf3 -c 10.2.1.2 -p 5201 -t 20 -O 5 -C cubic -J >"$t/f1.json" 3>&- &
	local p1=$!
	sb ip netns exec s2 timeout 60 iperf3 -c 10.2.2.2 -p 5201 -t 20 -O 5 -C cubic -J >"$t/f2.json" 3>&- &
	local p2=$!
	wait "$p1" "$p2"
	local a b ca cb
	read -r a ca < <(jq -r '"\(.end.sum_received.bits_per_second / 1e6) \(.end.sender_tcp_congestion)"' "$t/f1.json")
	read -r b cb < <(jq -r '"\(.end.sum_received.bits_per_second / 1e6) \(.end.sender_tcp_congestion)"' "$t/f2.json")
	# the flows are cubic, as said above (a namespace's default is the host's: bbr here)
	[ "$ca" = cubic ] && [ "$cb" = cubic ] || { echo "congestion control: $ca and $cb, want cubic"; return 1; }
	# Each flow at least 4 Mbit/s: the issue's 25% and Jain >= 0.95 missed
	# in 3 of 19 runs (low 6.22 Mbit/s, Jain 0.896), so a tighter judge
	# would flake on this loaded machine; see docs/testing.md.
	awk -v a="$a" -v b="$b" 'BEGIN {
		j = (a + b) ^ 2 / (2 * (a * a + b * b))
		printf "# flows: %.2f and %.2f Mbit/s, jain %.3f\n", a, b, j
		exit !(a + b >= 16 && a + b <= 21 && a >= 4 && b >= 4) }' >&3
}

@test "issue 24: play FILE plays the file's play lines (a schedule file beside it, read as the caller) and puts back what was there" {
	local d=$BATS_TEST_TMPDIR/pl
	mkdir -p "$d" && chmod 0755 "$BATS_TEST_TMPDIR" "$d"
	printf 'node a\nnode b\nlink a b 10.9.0.1/24 10.9.0.2/24\nplay a if-b steps.sched\n' >"$d/q.lab"
	printf '0s rate 10mbit burst 32k latency 50ms\n0.3s rate 5mbit burst 32k latency 50ms\n' >"$d/steps.sched"
	chmod 0644 "$d"/*
	sb npte-lab up "$d/q.lab"
	run sb npte-lab play -n "$d/q.lab"
	[ "$status" = 0 ] && [[ "$output" == *"tbf rate 10mbit"* ]] || { echo "$output"; return 1; }
	run as_uid 1234 npte-lab play "$d/q.lab"
	[ "$status" = 2 ] || { echo "another uid's play: $output"; return 1; }
	run sb npte-lab play "$d/q.lab"
	[ "$status" = 0 ] && [[ "$output" == *"play: 1 changes"* ]] || { echo "$output"; return 1; }
	[[ "$(sb tc -n a qdisc show dev if-b)" == "qdisc noqueue 0: root"* ]]
	printf 'node a\nnode b\nlink a b\nplay a if-b nothere.sched\n' >"$d/r.lab"
	chmod 0644 "$d/r.lab"
	run sb npte-lab play "$d/r.lab"
	[ "$status" = 2 ] && [[ "$output" == *"nothere.sched: cannot read it"* ]] || { echo "$output"; return 1; }
}
