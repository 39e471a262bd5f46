#!/usr/bin/env bats
# Wire equality with tc 6.1. Every qdisc request npte would send (captured
# from the fault build with NPTE_FAULT_WIRE=1, which writes each
# RTM_NEWQDISC as hex instead of sending it) is byte-identical to the request
# tc sends (captured with strace; when the kernel has no sch_netem, tc's
# request reaches the kernel and is refused there, after strace has seen it).
# Only the netlink sequence number and port id are masked; on a mismatch
# tests/nlwire --decode shows both requests attribute by attribute.

load sandbox

setup() {
	sandbox_setup
	command -v strace >/dev/null || skip "needs strace"
	command -v tc >/dev/null || skip "needs tc (iproute2)"
	[ -x "$FAULT/npte-netem" ] || skip "fault build missing (make tests)"
	# tc's data directory as the build chose it (make check passes it on);
	# otherwise the one iproute2 installed (the VM image has no compiler to ask)
	if [ -z "${TC_LIB_DIR:-}" ]; then
		TC_LIB_DIR=/usr/lib/$(cc -print-multiarch 2>/dev/null || true)/tc
		[ -d "$TC_LIB_DIR" ] || TC_LIB_DIR=$(dirname "$(ls /usr/lib/*/tc/normal.dist /usr/lib/tc/normal.dist 2>/dev/null | head -n 1)")
	fi
	sb sh -c 'npte-netns create a b && npte-veth add a b' >/dev/null
}

teardown() {
	sandbox_teardown
}

# traced SCRIPT: run the shell SCRIPT in the sandbox under strace and print
# the qdisc requests its tc processes sent, one per line (a refused request
# must not stop the lines after it).
traced() {
	sb strace -f -qq -e trace=sendmsg -e write=all -o "$BATS_TEST_TMPDIR/tc.trace" \
		sh -c "$1" >/dev/null 2>&1 || true
	"$TOP/tests/nlwire" <"$BATS_TEST_TMPDIR/tc.trace"
}

# differ WANT GOT: the two requests decoded, one attribute per line, diffed.
differ() {
	diff <("$TOP/tests/nlwire" --decode <<<"$1") <("$TOP/tests/nlwire" --decode <<<"$2") | head -40
}

# wire_cmd BINARY VERB [ARG]...: the qdisc requests of BINARY VERB ARGS
# (fault build, not sent) against tc's for the dry-run's own tc lines, run in
# order under strace together with the dry-run's choice of root handles.
wire_cmd() {
	local bin=$1 verb=$2 npte tc lines n
	shift 2
	npte=$(sb env NPTE_FAULT_WIRE=1 "$FAULT/$bin" "$verb" "$@" 2>&1 >/dev/null |
		"$TOP/tests/nlwire") || { echo "npte side: $npte"; return 1; }
	lines=$(sb "$bin" "$verb" -n "$@" |
		grep -e '^ip netns exec [a-z0-9]* tc qdisc \(replace\|add\|change\) ' \
			-e '^if ip netns exec [a-z0-9]* tc qdisc show dev [^ ]* root.* npte_h=')
	n=$(grep -c ' tc qdisc \(replace\|add\|change\) ' <<<"$lines") || { echo "no tc line in the dry-run of $bin $verb $*"; return 1; }
	tc=$(traced "$lines")
	[ "$(wc -l <<<"$tc")" = "$n" ] || { echo "tc sent $(wc -l <<<"$tc") qdisc requests for $n lines"; return 1; }
	[ "$(wc -l <<<"$npte")" = "$n" ] || { echo "npte sent $(wc -l <<<"$npte") qdisc requests, tc $n"; return 1; }
	if [ "$npte" != "$tc" ]; then
		echo "$bin $verb $*: requests differ (< tc, > npte)"
		echo "tc lines:"; echo "$lines"
		differ "$tc" "$npte"
		return 1
	fi
	WIRE_N=$n
}

wire() {
	local verb=$1
	shift
	wire_cmd npte-netem "$verb" a if-b "$@"
}

@test "wire: delay alone, with jitter, with correlation" {
	wire apply --delay 25ms
	wire apply --delay '25ms 5ms'
	wire apply --delay '25ms 5ms 25%'
}

@test "wire: delay values that are not whole ticks, and the ceiling" {
	wire apply --delay '1.5ms 250us'
	wire apply --delay '60s 1us'
	wire apply --delay '7us'
}

@test "wire: the three delay distributions (8 KiB tables from tc's data directory)" {
	[ -r "$TC_LIB_DIR/normal.dist" ] || skip "tc distribution tables not installed"
	wire apply --delay '100ms 10ms distribution normal'
	wire apply --delay '100ms 10ms 30% distribution pareto'
	wire apply --delay '50ms 20ms distribution paretonormal'
}

@test "wire: random loss, with and without correlation" {
	wire apply --loss 'random 1%'
	wire apply --loss 'random 0.01% 25%'
	wire apply --loss 'random 100%'
}

@test "wire: 4-state Markov loss, defaults filled as tc fills them" {
	wire apply --loss 'state 1%'
	wire apply --loss 'state 1% 10%'
	wire apply --loss 'state 1% 10% 70% 0.1% 5%'
}

@test "wire: Gilbert-Elliott loss, defaults filled as tc fills them" {
	wire apply --loss 'gemodel 1%'
	wire apply --loss 'gemodel 1% 10% 70% 0.1%'
}

@test "wire: queue limit" {
	wire apply --limit 1
	wire apply --limit 1000000
}

@test "wire: duplicate, corrupt, reorder and ecn flags" {
	wire apply --duplicate 1%
	wire apply --duplicate '1% 10%' --corrupt '0.1% 5%'
	wire apply --delay 10ms --reorder '10% 20% gap 3'
	wire apply --loss 'random 1%' --ecn
}

@test "wire: rates, overheads, and rates of 2^32 bytes/s and more (RATE64)" {
	wire apply --rate 30mbit
	wire apply --rate '30mbit -20 48 5'
	wire apply --rate 5gbit
	wire apply --rate 100gbit
	wire apply --rate 400gbit
}

@test "wire: slots, with packet and byte caps, and a slot distribution" {
	wire apply --slot '10ms 20ms'
	wire apply --slot '10ms 20ms packets 8 bytes 3000'
	[ -r "$TC_LIB_DIR/normal.dist" ] || skip "tc distribution tables not installed"
	wire apply --slot 'distribution pareto 5ms 1ms'
}

@test "wire: a tbf child and a cake child, at ordinary and high rates (tbf RATE64 from 2^32 bytes/s)" {
	wire apply --delay 25ms --child tbf --child-rate 10mbit
	[ "$WIRE_N" = 2 ]
	wire apply --delay 25ms --child tbf --child-rate 8gbit
	wire apply --delay 25ms --child tbf --child-rate 40gbit
	wire apply --delay 25ms --child cake --child-rate 10mbit
	wire apply --delay 25ms --child cake --child-rate 8gbit
}

@test "wire: everything at once (the 4g-bloated shape plus a loss model and a slot)" {
	wire apply --delay '30ms 10ms 25% distribution normal' --loss 'gemodel 1% 10% 70% 0.1%' \
		--limit 5000 --rate 20mbit --slot '1ms 2ms' --child tbf --child-rate 10mbit
}

@test "wire: npte-netem rate (tbf at the root), defaults, burst, latency, 64-bit rate" {
	wire rate 10mbit
	wire rate 10mbit --burst 64kb --latency 100ms
	wire rate 7gbit
	wire rate 40gbit
}

@test "wire: the comparison can fail (a different delay is a different request)" {
	local ours tcs
	ours=$(sb env NPTE_FAULT_WIRE=1 "$FAULT/npte-netem" apply a if-b --delay 25ms 2>&1 >/dev/null |
		"$TOP/tests/nlwire")
	sb sh -c "strace -f -qq -e trace=sendmsg -e write=all -o '$BATS_TEST_TMPDIR/x' ip netns exec a tc qdisc replace dev if-b root handle 1: netem delay 26ms" >/dev/null 2>&1 || true
	tcs=$("$TOP/tests/nlwire" <"$BATS_TEST_TMPDIR/x")
	[ -n "$ours" ] && [ -n "$tcs" ]
	[ "$ours" != "$tcs" ]
}

@test "wire: every npte-lab netem profile, both directions on the router" {
	sb npte-lab create >/dev/null
	local p
	for p in $(sb npte-lab netem --list | awk '!/^ / {print $1}'); do
		wire_cmd npte-lab netem --profile "$p"
		[ "$WIRE_N" -ge 2 ] || { echo "profile $p: $WIRE_N requests"; return 1; }
	done
}

