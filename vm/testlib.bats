#!/usr/bin/env bats
# Issue 26 in the VM lane (a kernel with netem): testing/npte.bash's netem
# helpers, which skip on the host, do what the examples of examples/bats
# expect of them. The lane has no sudo and no python3 or curl: each test runs
# the library as the user npte-alice would get it through the rule (root in
# the sandbox with her SUDO_UID, as sandbox.bash's as_uid does) and measures
# with ping and iperf3.

load ../bats/sandbox

setup() {
	sandbox_setup
	export NPTE_SBIN=$TOP/build/bin NPTE_STATE_DIR=$BATS_TEST_TMPDIR/state
	export NPTE_SUDO="nsenter -t $SB_PID -m -n env SUDO_UID=990 SUDO_GID=990"
	# shellcheck source=../testing/npte.bash
	source "$TOP/testing/npte.bash"
	npte_up
}

teardown() {
	npte_down
	sandbox_teardown
}

@test "vm testlib: 20 ms of netem each way is a 40 ms round trip (assert_rtt), and a wrong bound fails showing measured and applied" {
	npte_shape router if-client netem delay 20ms
	npte_shape router if-server netem delay 20ms
	assert_rtt client 172.16.2.2 38 80
	run assert_rtt client 172.16.2.2 1 10
	[ "$status" -eq 1 ]
	[[ "$output" == *"measured 4"*" ms average, 5 of 5 replies, expected 1..10 ms"* ]] || { echo "$output"; return 1; }
	[[ "$output" == *"router if-${NPTE_PREFIX}client: root "*"netem"*"delay 20ms"* ]] || { echo "$output"; return 1; }
}

@test "vm testlib: a TCP transfer through 10% loss each way completes, and npte_change takes the loss away in place" {
	npte_shape router if-client netem loss 10%
	npte_shape router if-server netem loss 10%
	npte_run_bg server iperf3 -s -1 -p 5201
	npte_wait_port server 5201
	run npte_run client iperf3 -c 172.16.2.2 -p 5201 -n 256K
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	local before after
	before=$(npte_applied | grep "if-${NPTE_PREFIX}client: root")
	npte_change router if-client loss 0%
	after=$(npte_applied | grep "if-${NPTE_PREFIX}client: root")
	# the same root (handle), netem still, its loss gone
	[[ "$before" == *"root 1: netem"*"loss random 10%"* ]] || { echo "before: $before"; return 1; }
	[[ "$after" == *"root 1: netem"* && "$after" != *loss* ]] || { echo "after: $after"; return 1; }
}

@test "vm testlib: npte_play --profile starts a shipped netem schedule on both directions, and npte_down ends it" {
	npte_play --profile leo-starlink
	[[ "$(npte_applied)" == *"if-${NPTE_PREFIX}client: root "*netem* ]] || { npte_applied; return 1; }
	kill -0 "$NPTE_PLAY_PID"
	npte_down
	if kill -0 "$NPTE_PLAY_PID" 2>/dev/null; then echo "the player outlived npte_down"; return 1; fi
	[ -z "$(sb env SUDO_UID=990 SUDO_GID=990 npte-netns list)" ]
}
