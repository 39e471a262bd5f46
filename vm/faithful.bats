#!/usr/bin/env bats
# Faithful dry-run, live: on a kernel that has netem, tbf and cake (the VM
# lane), every shaping verb runs live in one sandbox and as its dry-run
# script under dash in a second one, from the same state; both must exit the
# same way and leave exactly the same `tc -j -d qdisc show` in the router.
# The two sandboxes stay side by side from step to step: each step starts
# from the state the previous one proved equal (and the first from two
# fresh labs, compared too), so the root handle npte alternates (1:/2:) is
# the same choice on both sides.

load ../bats/sandbox
load live

setup_file() {
	FAITHFUL2=1 live_setup_file
}

teardown_file() {
	live_teardown_file
}

# same BINARY VERB ARGS...: live in sandbox 1, the dry-run under dash in
# sandbox 2; both exit WANT (0 unless set) and leave the same qdiscs, as
# `tc -j -d qdisc show` prints them and as the kernel dumps them (vm/qdump:
# every option byte, and netem's nanosecond delays, which tc does not print)
same() {
	local bin=$1 verb=$2 script=$BATS_TEST_TMPDIR/script.sh a b live_rc=0 script_rc=0
	shift 2
	sb2 "$bin" "$verb" -n "$@" >"$script" || { echo "dry-run failed: $bin $verb $*"; return 1; }
	sb "$bin" "$verb" "$@" >/dev/null 2>"$script.live" || live_rc=$?
	sb2 dash "$script" >/dev/null 2>"$script.err" || script_rc=$?
	a=$(snap sb) b=$(snap sb2)
	[ "$live_rc" = "$script_rc" ] || {
		echo "exit status: live $live_rc, script $script_rc ($bin $verb $*)"
		echo "live: $(cat "$script.live")"; echo "script: $(cat "$script.err")"
		return 1
	}
	[ "$a" = "$b" ] || { echo "live and script differ ($bin $verb $*):"; diff <(echo "$a") <(echo "$b"); return 1; }
	[ "$live_rc" = "${WANT:-0}" ] || { echo "$bin $verb $*: exit $live_rc, want ${WANT:-0}: $(cat "$script.live")"; return 1; }
	STEPS=$((${STEPS:-0} + 1))
}

apply() { same npte-netem apply router "$@"; }

# snap sb|sb2: the router's qdiscs by tc and by vm/qdump, in one entry into the namespace
snap() { "$1" ip netns exec router sh -c 'tc -j -d qdisc show && perl "$0"' "$TOP/vm/qdump"; }

@test "faithful live: two fresh labs start equal" {
	[ "$(qdiscs sb)" = "$(qdiscs sb2)" ]
}

@test "faithful live: npte-netem apply, delay and jitter forms, each distribution" {
	apply if-server --delay 25ms
	apply if-server --delay '25ms 5ms 25%'
	apply if-server --delay '100ms 10ms distribution normal'
	apply if-client --delay '50ms 20ms 30% distribution pareto'
	apply if-client --delay '50ms 20ms distribution paretonormal' --limit 5000
	say "$STEPS knob sets equal"
}

@test "faithful live: npte-netem apply, loss models, rate with overheads, slot, limit" {
	apply if-server --loss 'random 5%'
	apply if-server --loss 'random 5% 25%' --delay 10ms
	apply if-client --loss 'state 1% 10% 70% 0.1% 0.5%'
	apply if-client --loss 'gemodel 1% 10% 70% 0.1%' --delay 10ms
	apply if-server --rate '12mbit 32 48 5' --delay 20ms --limit 400
	apply if-server --rate 50mbit
	apply if-server --slot '800us 4ms packets 42 bytes 64000'
	apply if-server --delay 10ms --loss 'random 1%' --limit 100 --rate '1gbit 20' --slot '1ms 2ms'
	say "$STEPS knob sets equal"
}

@test "faithful live: npte-netem apply with a tbf and a cake child; rate; clear" {
	apply if-server --delay 25ms --child tbf --child-rate 30mbit
	apply if-server --delay 25ms --child cake --child-rate 10gbit
	apply if-client --delay 5ms --child cake --child-rate 20mbit
	same npte-netem rate router if-server 20mbit
	same npte-netem rate router if-server 20mbit --burst 32kb --latency 20ms
	same npte-netem rate router if-client 1gbit
	same npte-netem clear router if-server
	same npte-netem clear router if-server
	same npte-netem clear router if-client
	say "$STEPS knob sets equal"
}

@test "faithful live: npte-netem apply, tc's words: duplicate, corrupt, reorder with and without gap, ecn, prefixes, bare units, tick rounding, flags, none" {
	# a duplicating netem goes on an empty root and is cleared after: the
	# kernel refuses to create a netem beside one (see live.bats)
	apply if-server delay 10ms duplicate 5% 25%
	same npte-netem clear router if-server
	apply if-server del 1ms 500us distribution paretonormal reorder 25% 50% gap 5 corrupt 0.5% 10% loss 1% ecn
	apply if-server delay 20000 5000 rate 12mbit -20 64 -4 limit 100 reorder 10%
	apply if-server slot 800000 4000000 packets 10 rate 20000
	same npte-netem clear router if-server
	apply if-server --duplicate '1% 10%' --corrupt 2% --reorder '5% gap 3' --delay 10ms --ecn --loss 'random 2%'
	same npte-netem clear router if-server
	apply if-server
	say "$STEPS steps equal"
}

tbf() { same npte-netem tbf router "$@"; }

@test "faithful live: npte-netem tbf, tc-tbf's words: burst forms, limit or latency, peakrate with mtu, mpu, overhead, linklayer, bare units, 64-bit rates" {
	tbf if-server rate 20mbit buffer 32kb/8 limit 100kb
	tbf if-server rate 10mbit maxburst 15k latency 20ms peakrate 12mbit minburst 1540 mpu 64 overhead 24 linklayer atm
	tbf if-server rate 20000 burst 10000 limit 30000
	tbf if-server rate 40gbit burst 1mb latency 1ms peakrate 50gbit mtu 9000 linklayer adsl
	say "$STEPS knob sets equal"
}

@test "faithful live: npte-netem change, on a netem root and a tbf root; refused for the other kind or no root" {
	apply if-server delay 25ms rate 20mbit
	same npte-netem change router if-server delay 1ms 500us distribution normal rate 10mbit limit 2000
	WANT=2 same npte-netem change router if-server rate 20mbit burst 32kb latency 50ms
	tbf if-server rate 20mbit burst 32kb latency 50ms
	same npte-netem change router if-server rate 10mbit burst 20kb limit 60kb peakrate 12mbit mtu 1600
	WANT=2 same npte-netem change router if-server delay 10ms
	same npte-netem clear router if-server
	WANT=2 same npte-netem change router if-server delay 10ms
	say "$STEPS steps equal"
}

@test "faithful live: npte-lab netem --down and --up, each direction its own words, over a profile, one left as it is" {
	same npte-lab netem --down 'delay 20ms rate 30mbit' --up 'delay 20ms loss 1%'
	same npte-lab netem --profile adsl --down 'delay 1ms 500us reorder 10% gap 2'
	same npte-lab netem --up 'delay 5ms 1ms distribution normal'
	say "$STEPS steps equal"
}

@test "faithful live: npte-lab netem, every profile and none" {
	local p
	for p in $(sb npte-lab netem --list | grep '^[^ ]'); do
		same npte-lab netem --profile "$p"
	done
	same npte-lab netem
	say "$STEPS profiles and the clear equal"
}
