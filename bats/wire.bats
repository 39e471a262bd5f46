#!/usr/bin/env bats
# Wire equality with tc 6.1. Every qdisc request npte would send (captured
# from the fault build with NPTE_FAULT_WIRE=1, which writes each
# RTM_NEWQDISC as hex instead of sending it) is byte-identical to the request
# tc sends (captured with strace; when the kernel has no sch_netem, tc's
# request reaches the kernel and is refused there, after strace has seen it).
# Only the netlink sequence number and port id are masked; on a mismatch
# tests/nlwire --decode shows both requests attribute by attribute.
#
# The word tests take tc-netem(8)/tc-tbf(8) word sets as npte-netem apply,
# tbf and change take them, and compare npte's request with tc's twice: for
# the dry-run's own tc line, and for tc given the very same words. The
# refusal tests take word sets tc refuses (checked here: tc exits non-zero
# without sending a request) and word sets tc takes but npte refuses on
# purpose (its documented bounds); npte must exit 2 with one line on stderr,
# change nothing, and its dry-run must exit 2 printing nothing.

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

# --- Word sets: npte-netem apply/tbf/change WORDS against tc WORDS ----------

# same_as_tc VERB WORDSET: npte-netem VERB a if-b WORDS (fault build, not
# sent) makes exactly one qdisc request, and it equals tc's request for the
# dry-run's tc line and tc's for the same WORDS after that line's
# `tc qdisc replace|add|change dev if-b root [handle H:] netem|tbf`.
# WORDSET is split at spaces; none of its words holds one.
same_as_tc() {
	local verb=$1 ws=$2 words=() script l line='' guard='' pre req=() t=$BATS_TEST_TMPDIR
	read -ra words <<<"$ws"
	if ! sb env NPTE_FAULT_WIRE=1 "$FAULT/npte-netem" "$verb" a if-b "${words[@]}" >/dev/null 2>"$t/npte.err"; then
		echo "[$verb $ws] npte refused it: $(grep -v '^npte-wire: ' "$t/npte.err")"
		return 1
	fi
	script=$(sb npte-netem "$verb" -n a if-b "${words[@]}" 2>&1) ||
		{ echo "[$verb $ws] the dry-run failed: $script"; return 1; }
	# (bash, not grep and sed: the VM lane runs this under an emulated CPU)
	while IFS= read -r l; do
		case $l in
		'ip netns exec a tc qdisc '[rac]*' dev if-b root '*)
			[ -z "$line" ] || { echo "[$verb $ws] more than one root tc line in the dry-run:"; echo "$script"; return 1; }
			line=$l ;;
		'if '*' npte_h='*) guard=$l ;;
		esac
	done <<<"$script"
	[[ $line =~ ^(.*\ tc\ qdisc\ (replace|add|change)\ dev\ if-b\ root(\ handle\ [^ ]*)?\ (netem|tbf))(\ .*)?$ ]] ||
		{ echo "[$verb $ws] no root netem/tbf line in the dry-run:"; echo "$script"; return 1; }
	pre=${BASH_REMATCH[1]}
	[ "${#words[@]}" = 0 ] || pre+=$(printf ' %q' "${words[@]}")
	sb strace -f -qq -e trace=sendmsg -e write=all -o "$t/tc.trace" \
		sh -c "$guard
$line
$pre" >/dev/null 2>&1 || true
	# npte's request first (its npte-wire: lines), then tc's two
	mapfile -t req < <(cat "$t/npte.err" "$t/tc.trace" | "$TOP/tests/nlwire")
	[ "${#req[@]}" = 3 ] || {
		echo "[$verb $ws] want 1 request from npte and 2 from tc, got ${#req[@]} in all; tc's lines:"
		printf '%s\n' "$line" "$pre"
		return 1
	}
	if [ "${req[1]}" != "${req[0]}" ]; then
		echo "[$verb $ws] npte's request differs from tc's for the dry-run's line (< tc, > npte):"
		echo "$line"
		differ "${req[1]}" "${req[0]}"
		return 1
	fi
	if [ "${req[2]}" != "${req[0]}" ]; then
		echo "[$verb $ws] npte's request differs from tc's for the same words (< tc, > npte):"
		echo "$pre"
		differ "${req[2]}" "${req[0]}"
		return 1
	fi
}

# each_same VERB WORDSET...: same_as_tc for each; reports every word set that fails.
each_same() {
	local verb=$1 ws bad=0
	shift
	for ws in "$@"; do
		same_as_tc "$verb" "$ws" || bad=$((bad + 1))
	done
	[ "$bad" = 0 ] || { echo "$bad of $# word sets failed"; return 1; }
}

# A netem (or tbf) root on if-b in namespace a, made with npte (for change).
netem_root() {
	sb ip netns exec a tc qdisc add dev if-b root netem 2>/dev/null ||
		skip "the kernel has no sch_netem (the VM lane runs this)"
	sb ip netns exec a tc qdisc del dev if-b root
	sb npte-netem apply a if-b delay 1ms >/dev/null
}

@test "words: a bare netem, and limit in every spelling tc takes" {
	each_same apply \
		'' \
		'limit 1' \
		'limit 1000000' \
		'limit 1k' \
		'limit 2K' \
		'limit 1.5k' \
		'limit 1000b' \
		'limit 8kbit' \
		'lim 500' \
		'l 100' \
		'limit 10 limit 20'
}

@test "words: delay and latency, jitter, correlation: units, bare numbers, prefixes, rounding, repeats" {
	each_same apply \
		'delay 100' \
		'delay 100 10' \
		'delay 10MS' \
		'delay 10msec' \
		'delay 2msecs' \
		'delay 1sec' \
		'delay 2Secs' \
		'delay 0.001s' \
		'delay 7us' \
		'delay 250usecs' \
		'delay 0' \
		'delay 0.5us' \
		'delay .5ms' \
		'delay 60s 1us' \
		'delay 1.5ms 250us' \
		'delay 25ms 5ms 25%' \
		'delay 25ms 5ms 25' \
		'delay 25ms 5ms 0.5%' \
		'latency 25ms' \
		'lat 25ms 5ms' \
		'del 25ms 5ms 25%' \
		'd 10ms' \
		'delay 1ms delay 2ms' \
		'delay 10ms 5ms delay 20ms' \
		'delay 10ms 5ms 25% delay 20ms 1ms'
}

@test "words: delay distributions (8 KiB tables from tc's data directory)" {
	[ -r "$TC_LIB_DIR/normal.dist" ] || skip "tc distribution tables not installed"
	each_same apply \
		'delay 100ms 10ms distribution normal' \
		'delay 100ms 10ms 30% distribution pareto' \
		'delay 1ms 500us distribution paretonormal' \
		'delay 10ms 2ms distribution experimental' \
		'delay 10ms 2ms distr normal' \
		'delay 10ms 2ms dist pareto' \
		'distribution normal delay 10ms 2ms' \
		'delay 10ms 2ms distribution normal distribution pareto'
}

@test "words: loss (random, the old bare syntax, drop, state, gemodel) and ecn" {
	each_same apply \
		'loss 1%' \
		'loss 1' \
		'loss 0.5% 25%' \
		'loss random 1%' \
		'loss random 0.01% 25%' \
		'loss random 100%' \
		'loss random 33.333333%' \
		'loss 0 loss 1%' \
		'lo 1%' \
		'drop 5%' \
		'drop random 5% 10' \
		'dro 1%' \
		'loss state 1%' \
		'loss state 1% 10%' \
		'loss state 1% 10% 70% 0.1% 5%' \
		'loss gemodel 1%' \
		'loss gemodel 1% 10% 70% 0.1%' \
		'loss 1% ecn' \
		'ecn loss state 1%' \
		'e drop 1%'
}

@test "words: corrupt and duplicate" {
	each_same apply \
		'corrupt 0.1%' \
		'corrupt 1% 25%' \
		'corr 5' \
		'c 1%' \
		'corrupt 1% corrupt 2%' \
		'duplicate 1%' \
		'duplicate 1% 50%' \
		'dup 2' \
		'du 2%' \
		'duplicate 1% duplicate 2%'
}

@test "words: reorder and gap" {
	each_same apply \
		'delay 10ms reorder 25%' \
		'delay 10ms reorder 25% 50% gap 5' \
		'reo 10% delay 1ms' \
		'delay 5ms r 10%' \
		'gap 0x10 reorder 5% delay 1ms' \
		'gap 010 reorder 5% delay 1ms' \
		'delay 1ms reorder 5% g 3' \
		'reorder 0' \
		'reorder 5% reorder 10% delay 1ms'
}

@test "words: rate, packet and cell overheads, cell sizes, RATE64 from 2^32 bytes/s" {
	each_same apply \
		'rate 30mbit' \
		'rate 20000' \
		'rate 20MBit' \
		'rate 1.5mbit' \
		'rate 1000.5' \
		'rate 1Kibit' \
		'rate 1000bps' \
		'rate 1MiBps' \
		'rate 8bit' \
		'rate 0' \
		'rate 5gbit' \
		'rate 34359738360' \
		'rate 34359738368' \
		'rate 10GBps' \
		'rate 400gbit' \
		'rate 30mbit -20' \
		'rate 30mbit -20 48 5' \
		'rate 30mbit 20 53 -5' \
		'rate 30mbit 0 -5' \
		'rate 10mbit 0 0x30' \
		'rate 10mbit 0x10 010 -0x4' \
		'ra 1mbit' \
		'rate 1mbit 20 rate 2mbit'
}

@test "words: slot, with packets and bytes, and slot distributions" {
	[ -r "$TC_LIB_DIR/normal.dist" ] || skip "tc distribution tables not installed"
	each_same apply \
		'slot 10ms' \
		'slot 10ms 20ms' \
		'slot 1000000' \
		'slot 7' \
		'slot 500us 1000000ns' \
		'slot 10NS 20nsec' \
		'slot 10ms 20ms packets 8 bytes 3000' \
		'slot 10ms bytes 1k' \
		'slot 1ms 2ms pack 4 byt 1500' \
		'slot 1ms p 4 b 1500' \
		'sl 5ms' \
		'slot 1ms slot 2ms' \
		'slot distribution pareto 5ms 1ms' \
		'slot distribution normal 10ms 2ms packets 4 bytes 64k' \
		'slot distribution paretonormal 1000000 250us'
}

@test "words: every netem keyword in one word set" {
	[ -r "$TC_LIB_DIR/normal.dist" ] || skip "tc distribution tables not installed"
	each_same apply \
		'delay 30ms 10ms 25% distribution normal loss gemodel 1% 10% 70% 0.1% limit 5000 rate 20mbit slot 1ms 2ms' \
		'limit 5000 delay 20ms 5ms 10% distribution pareto loss random 1% 25% duplicate 1% 10% corrupt 0.1% 5% reorder 10% 20% gap 3 ecn rate 100gbit -4 64 8 slot 1ms 5ms packets 16 bytes 64k'
}

@test "words: tbf rate, burst/buffer/maxburst with cells, limit or latency" {
	each_same tbf \
		'rate 10mbit burst 10kb latency 50ms' \
		'rate 10mbit burst 10240 limit 20000' \
		'rate 10mbit buffer 10k limit 30k' \
		'rate 10mbit maxburst 10k lat 10ms' \
		'rate 10mbit bur 10k/8 latency 50ms' \
		'rate 10mbit burst 10k/64 limit 100k' \
		'rate 10mbit b 10k l 100k' \
		'rate 20000 burst 1500 latency 100' \
		'rate 20MBit burst 10KB latency 10MS' \
		'rate 1.5mbit burst 1.5k latency 1.5ms' \
		'rate 10mbit burst 80kbit latency 50ms' \
		'rate 10mbit burst 10k limit 1mbit' \
		'burst 10k latency 50ms rate 10mbit' \
		'rate 8bit burst 1 limit 1' \
		'rate 100kbit burst 10k/1048576 limit 100k' \
		'rate 10mbit burst 10k latency 60s' \
		'rate 5gbit burst 1mb latency 10ms' \
		'rate 100gbit burst 64mb limit 256mb' \
		'rate 400gbit burst 1m limit 10m'
}

@test "words: tbf peakrate and mtu/minburst, mpu, overhead, linklayer, PRATE64" {
	each_same tbf \
		'rate 10mbit burst 10k latency 50ms mtu 1514 peakrate 20mbit' \
		'rate 10mbit burst 10k latency 50ms minburst 1600/8 peak 20mbit' \
		'rate 35gbit burst 1m latency 1ms mtu 9000 peakrate 40gbit' \
		'rate 1mbit burst 10k latency 50ms mtu 64m peakrate 2mbit' \
		'rate 10mbit burst 10k limit 100k mpu 64' \
		'rate 10mbit burst 10k limit 100k overhead 24' \
		'rate 10mbit burst 10k limit 100k o 4' \
		'rate 10mbit burst 10k limit 100k linklayer atm' \
		'rate 10mbit burst 10k limit 100k linklayer adsl' \
		'rate 10mbit burst 10k limit 100k linklayer ethernet' \
		'rate 10mbit burst 10k limit 100k lin eth' \
		'rate 10mbit burst 10k limit 100k linklayer a overhead 10 mpu 96' \
		'rate 10mbit burst 10k latency 50ms linklayer atm linklayer ethernet' \
		'rate 10mbit burst 10k latency 50ms overhead 0 overhead 4' \
		'rate 10mbit burst 10k latency 50ms mpu 0 mpu 64' \
		'rate 10mbit burst 10k latency 50ms peakrate 20mbit mtu 1514/8 mpu 64 overhead 14 linklayer atm'
}

@test "words: change of a tbf root (tc qdisc change ... tbf)" {
	sb npte-netem tbf a if-b rate 1mbit burst 10k latency 50ms >/dev/null
	each_same change \
		'rate 20mbit burst 20k latency 20ms' \
		'rate 100gbit burst 1m limit 2m' \
		'rate 1mbit burst 5k/16 latency 5ms peakrate 2mbit mtu 1514' \
		'rate 10mbit buffer 10k limit 100k linklayer atm overhead 4 mpu 64'
}

@test "words: change of a netem root (tc qdisc change ... netem)" {
	netem_root
	each_same change \
		'' \
		'delay 20ms' \
		'lat 10ms 2ms 25% distribution normal' \
		'loss random 2%' \
		'loss state 1% 10% ecn' \
		'rate 100gbit 14' \
		'slot 1ms 2ms packets 4' \
		'limit 10 duplicate 1% corrupt 1%' \
		'delay 10ms reorder 5% gap 2'
}

# --- Refusals: what tc refuses npte refuses, and npte's stricter bounds -----

# The qdiscs of namespace a, as tc shows them (the "nothing changed" check).
qdiscs() {
	sb ip netns exec a tc -j -d qdisc show
}

# npte_refuses VERB WORDSET [GUARDED]: npte-netem VERB a if-b WORDS exits 2
# with one npte-netem: line on stderr and leaves the qdiscs as they were
# ($QDISCS); its dry-run exits 2 and prints nothing. With GUARDED (change,
# where the root's kind decides), the dry-run may instead print a script
# whose guard exits 2 when run, changing nothing.
npte_refuses() {
	local verb=$1 ws=$2 guarded=${3:-} words=() rc=0 out now
	read -ra words <<<"$ws"
	sb npte-netem "$verb" a if-b "${words[@]}" >/dev/null 2>"$BATS_TEST_TMPDIR/npte.err" || rc=$?
	now=$(qdiscs)
	if [ "$now" != "$QDISCS" ]; then
		echo "[$verb $ws] the qdiscs changed (npte exit status $rc):"
		diff <(echo "$QDISCS") <(echo "$now")
		QDISCS=$now
		return 1
	fi
	[ "$rc" = 2 ] || { echo "[$verb $ws] npte exit status $rc, want 2: $(head -n 3 "$BATS_TEST_TMPDIR/npte.err")"; return 1; }
	# one line; an argument-count error (no words where WORDS... needs one)
	# is followed by the usage, as every npte usage error is (common/cli.c)
	if ! { [ "$(wc -l <"$BATS_TEST_TMPDIR/npte.err")" = 1 ] ||
		{ head -n 1 "$BATS_TEST_TMPDIR/npte.err" | grep -q ': wrong number of arguments$' &&
			sed -n 2p "$BATS_TEST_TMPDIR/npte.err" | grep -q '^usage: '; }; } ||
		! head -n 1 "$BATS_TEST_TMPDIR/npte.err" | grep -q '^npte-netem: .'; then
		echo "[$verb $ws] want one npte-netem: line on stderr, got:"
		cat "$BATS_TEST_TMPDIR/npte.err"
		return 1
	fi
	rc=0
	out=$(sb npte-netem "$verb" -n a if-b "${words[@]}" 2>/dev/null) || rc=$?
	[ "$rc" = 2 ] && [ -z "$out" ] && return 0
	if [ -n "$guarded" ] && [ "$rc" = 0 ] && [ -n "$out" ]; then
		printf '%s\n' "$out" >"$BATS_TEST_TMPDIR/dry.sh"
		rc=0
		sb sh "$BATS_TEST_TMPDIR/dry.sh" >/dev/null 2>&1 || rc=$?
		now=$(qdiscs)
		[ "$now" = "$QDISCS" ] || { echo "[$verb $ws] its dry-run script changed the qdiscs"; QDISCS=$now; return 1; }
		[ "$rc" = 2 ] || { echo "[$verb $ws] its dry-run script exits $rc, want 2"; return 1; }
		return 0
	fi
	echo "[$verb $ws] the dry-run exits $rc (want 2) printing: $(head -c 300 <<<"$out")"
	return 1
}

# tc_sends TCVERB KIND WORDSET: how many qdisc requests
# `tc qdisc TCVERB dev if-a root KIND WORDS` sends (namespace b), and its
# exit status after a colon.
tc_sends() {
	local words=() rc=0
	read -ra words <<<"$3"
	sb ip netns exec b strace -f -qq -e trace=sendmsg -e write=all -o "$BATS_TEST_TMPDIR/tc.trace" \
		tc qdisc "$1" dev if-a root "$2" "${words[@]}" >/dev/null 2>&1 || rc=$?
	echo "$("$TOP/tests/nlwire" <"$BATS_TEST_TMPDIR/tc.trace" | grep -c .):$rc"
}

# each_refused VERB KIND WORDSET...: tc refuses each word set (exits non-zero
# having sent nothing) and so does npte (npte_refuses).
each_refused() {
	local verb=$1 kind=$2 tcverb=add guarded='' ws r bad=0
	shift 2
	[ "$verb" != change ] || { tcverb=change; guarded=1; }
	QDISCS=$(qdiscs)
	for ws in "$@"; do
		r=$(tc_sends "$tcverb" "$kind" "$ws")
		case $r in
		0:0 | [1-9]*) echo "[$verb $ws] tc takes it (requests:exit $r): not a refusal"; bad=$((bad + 1)); continue ;;
		esac
		npte_refuses "$verb" "$ws" ${guarded:+guarded} || bad=$((bad + 1))
	done
	[ "$bad" = 0 ] || { echo "$bad of $# word sets failed"; return 1; }
}

# each_stricter VERB KIND WORDSET...: tc takes each word set (sends its
# request) but npte refuses it on purpose (npte_refuses).
each_stricter() {
	local verb=$1 kind=$2 ws r bad=0
	shift 2
	QDISCS=$(qdiscs)
	for ws in "$@"; do
		r=$(tc_sends replace "$kind" "$ws")
		case $r in
		1:*) ;;
		*) echo "[$verb $ws] tc does not take it (requests:exit $r)"; bad=$((bad + 1)); continue ;;
		esac
		npte_refuses "$verb" "$ws" || bad=$((bad + 1))
	done
	[ "$bad" = 0 ] || { echo "$bad of $# word sets failed"; return 1; }
}

@test "refused: netem values tc cannot parse" {
	each_refused apply netem \
		'delay' \
		'delay abc' \
		'delay 10m' \
		'delay 1000ns' \
		'delay 275s' \
		'delay -1ms' \
		'delay 10ms 5ms 101' \
		'limit' \
		'limit x' \
		'limit 1q' \
		'limit -1' \
		'limit 5000000000' \
		'loss' \
		'loss foo 1%' \
		'loss +1%' \
		'loss random 101%' \
		'loss random 1%%' \
		'loss random -1%' \
		'loss state' \
		'loss gemodel' \
		'corrupt' \
		'corrupt 101%' \
		'corrupt x' \
		'duplicate 1%x' \
		'delay 10ms reorder 25% gap -1' \
		'delay 10ms reorder 25% gap 1.5' \
		'delay 10ms 1ms distribution nosuch' \
		'delay 10ms 1ms distribution' \
		'rate' \
		'rate 10furlongs' \
		'rate 101%' \
		'rate 10mbit 99999999999' \
		'rate 10mbit 1x' \
		'slot' \
		'slot foo' \
		'slot 10xs' \
		'slot distribution pareto 5ms' \
		'slot distribution nosuch 5ms 1ms' \
		'slot 10ms packets' \
		'slot 10ms packets x' \
		'slot 10ms bytes 1q'
}

@test "refused: netem keywords, extra words and combinations tc refuses" {
	each_refused apply netem \
		'help' \
		'foo' \
		'Delay 10ms' \
		'delays 10ms' \
		'delay 10ms .5ms' \
		'delay 10ms 5ms 25% 7' \
		'limit 10 10' \
		'loss 1% loss 2%' \
		'loss state 1% drop 2%' \
		'loss state 1% 10% 70% 0.1% 5% 6%' \
		'ecn' \
		'ecn loss 0%' \
		'reorder 25%' \
		'delay 10ms gap 5' \
		'delay 10ms reorder 0 gap 5' \
		'delay 10ms distribution normal' \
		'distribution normal' \
		'slot 20ms 10ms' \
		'slot distribution pareto 5ms 0'
}

@test "refused: tbf words tc refuses" {
	each_refused tbf tbf \
		'' \
		'help' \
		'rate 10mbit' \
		'rate 10mbit burst 10k' \
		'burst 10k latency 50ms' \
		'rate 0 burst 10k latency 50ms' \
		'rate 4bit burst 10k latency 50ms' \
		'rate 10mbit burst 0 latency 50ms' \
		'rate 10mbit burst 10k latency -0ms' \
		'rat 10mbit burst 10k latency 50ms' \
		'Rate 10mbit burst 10k latency 50ms' \
		'rate 10mbit burst 10k limit 10k latency 50ms' \
		'rate 10mbit burst 10k latency 50ms limit 10k' \
		'rate 10mbit burst 10k latency 50ms latency 60ms' \
		'rate 10mbit burst 10k limit 10k limit 20k' \
		'rate 10mbit rate 20mbit burst 10k latency 50ms' \
		'rate 10mbit burst 10k buffer 10k latency 50ms' \
		'rate 10mbit burst 10k latency 50ms peakrate 20mbit' \
		'rate 10mbit burst 10k latency 50ms peakrate 20mbit peakrate 30mbit mtu 1514' \
		'rate 10mbit burst 10k latency 50ms mtu 1514 mtu 1600' \
		'rate 10mbit burst 10k latency 50ms mt 1514 peakrate 20mbit' \
		'rate 10mbit burst 10k latency 50ms mpu 64 mpu 96' \
		'rate 10mbit burst 10k latency 50ms overhead 4 overhead 8' \
		'rate 10mbit burst 10k/3 latency 50ms' \
		'rate 10mbit burst 10k/ latency 50ms' \
		'rate 10mbit burst latency 50ms' \
		'rate 10mbit burst 10k latency 50ms linklayer foo' \
		'rate 10mbit burst 10k latency 50ms linklayer' \
		'rate 10mbit burst 10k latency 50ms overhead -1' \
		'rate 10mbit burst 10k latency 50ms overhead 70000' \
		'rate 10mbit burst 10k latency 50ms mpu 1q' \
		'rate 10mbit burst 10k latency 50ns' \
		'rate 101% burst 10k latency 50ms' \
		'rate 10furlongs burst 10k latency 50ms' \
		'rate 10mbit burst 10k latency 50ms foo' \
		'rate 10mbit burst 10k latency'
}

@test "refused: change with tbf words tc refuses, and change of a root of another kind or none" {
	QDISCS=$(qdiscs)
	# no root qdisc of npte's kinds at all
	npte_refuses change 'rate 10mbit burst 10k latency 50ms' guarded
	npte_refuses change 'delay 10ms' guarded
	sb npte-netem tbf a if-b rate 1mbit burst 10k latency 50ms >/dev/null
	each_refused change tbf \
		'' \
		'help' \
		'rate 10mbit' \
		'rate 10mbit burst 10k' \
		'burst 10k latency 50ms' \
		'rate 10mbit burst 10k latency 50ms limit 10k'
	# netem words for a tbf root
	npte_refuses change 'delay 10ms' guarded
	npte_refuses change 'loss random 1%' guarded
}

@test "stricter: netem words tc takes but npte refuses (its documented bounds)" {
	local dist=() many long
	[ ! -r "$TC_LIB_DIR/normal.dist" ] || dist=('delay 10ms 1ms distribution ../tc/normal')
	# more than 64 words; more than 511 bytes of words
	many=$(printf 'limit 1 %.0s' $(seq 33))
	long=$(printf 'limit %0600d' 1)
	each_stricter apply netem \
		'limit 0' \
		'limit 1000001' \
		'delay 61s' \
		'delay 10ms 61s' \
		'delay -0ms' \
		'delay 0x1p3ms' \
		'delay 1e3us' \
		'delay infms' \
		'delay nan' \
		'rate 5%' \
		'rate 500gbit' \
		'rate 4bit' \
		'rate 1e6' \
		'rate inf' \
		'rate 10mbit 70000' \
		'rate 10mbit 0 70000' \
		'loss random nan' \
		'loss random +1%' \
		'loss random 1e1' \
		'loss random %' \
		'duplicate 0x10' \
		'slot 61s' \
		'slot 1ms 61s' \
		'slot 1ms packets 0' \
		'slot 1ms packets 1000001' \
		'slot 1ms bytes 0' \
		'slot 1ms bytes 2g' \
		'delay 10ms reorder 5% gap 1000001' \
		"$many" \
		"$long" \
		"${dist[@]}"
}

@test "stricter: tbf words tc takes but npte refuses (its documented bounds)" {
	each_stricter tbf tbf \
		'rate 10mbit burst 10k limit 0 latency 50ms' \
		'rate 500gbit burst 10k latency 50ms' \
		'rate 5% burst 10k latency 50ms' \
		'rate 1e7 burst 10k latency 50ms' \
		'rate 10mbit burst 65m latency 50ms' \
		'rate 10mbit burst 10k limit 1025m' \
		'rate 1gbit burst 10k latency 10s' \
		'rate 10mbit burst 10k latency 61s' \
		'rate 10mbit burst 10k latency 275s' \
		'rate 10mbit burst 10k latency 50ms mpu 65536' \
		'rate 10mbit burst 10k latency 50ms peakrate 500gbit mtu 1514' \
		'rate 10mbit burst 10k latency 50ms mtu 65m peakrate 20mbit'
}
