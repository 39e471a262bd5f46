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

# same BINARY VERB ARGS...: live in sandbox 1, the dry-run under dash in sandbox 2
same() {
	local bin=$1 verb=$2 script=$BATS_TEST_TMPDIR/script.sh a b live_rc=0 script_rc=0
	shift 2
	sb2 "$bin" "$verb" -n "$@" >"$script" || { echo "dry-run failed: $bin $verb $*"; return 1; }
	sb "$bin" "$verb" "$@" >/dev/null 2>&1 || live_rc=$?
	sb2 dash "$script" >/dev/null 2>&1 || script_rc=$?
	a=$(qdiscs sb) b=$(qdiscs sb2)
	[ "$live_rc" = "$script_rc" ] || { echo "exit status: live $live_rc, script $script_rc ($bin $verb $*)"; return 1; }
	[ "$a" = "$b" ] || { echo "live and script differ ($bin $verb $*):"; diff <(echo "$a") <(echo "$b"); return 1; }
	[ "$live_rc" = 0 ] || { echo "$bin $verb $*: exit $live_rc"; return 1; }
	STEPS=$((${STEPS:-0} + 1))
}

apply() { same npte-netem apply router "$@"; }

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

@test "faithful live: npte-lab netem, every profile and none" {
	local p
	for p in $(sb npte-lab netem --list | grep '^[^ ]'); do
		same npte-lab netem --profile "$p"
	done
	same npte-lab netem
	say "$STEPS profiles and the clear equal"
}
