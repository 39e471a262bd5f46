#!/usr/bin/env bats
# Run by bats/testlib.bats as a user: a test that fails on purpose, with a
# server in the background and a shaped link, and an assertion whose message
# must show what was measured and what was applied.

load "$NPTE_BATS"

setup() { npte_up; }
teardown() { npte_down; }

@test "fails on purpose" {
	npte_run_bg server sleep 600
	npte_shape router if-server tbf rate 10mbit burst 32k latency 50ms
	assert_rtt client 172.16.2.2 500 600
}
