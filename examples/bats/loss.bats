#!/usr/bin/env bats
# A client survives 10% loss, and a delay shows in the round trip: netem,
# which some kernels lack (these tests then skip, saying so).

load "${NPTE_BATS:-/usr/local/share/npte/npte}"

setup() {
	npte_require netem python3 curl
	npte_up
}

teardown() {
	npte_down
}

@test "a download through 10% loss each way arrives intact" {
	head -c 1000000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	npte_run_bg server python3 -m http.server --bind 172.16.2.2 --directory "$BATS_TEST_TMPDIR" 8000
	npte_wait_port server 8000
	npte_shape router if-client netem loss 10%
	npte_shape router if-server netem loss 10%
	run npte_run client curl -sS --max-time 120 -o - http://172.16.2.2:8000/blob
	[ "$status" -eq 0 ] || { echo "$output" | tail -3; npte_applied; return 1; }
	[ "$(npte_run client curl -sS --max-time 120 http://172.16.2.2:8000/blob | sha256sum)" = \
		"$(sha256sum <"$BATS_TEST_TMPDIR/blob")" ]
}

@test "20 ms each way is a 40 ms round trip" {
	npte_shape router if-client netem delay 20ms
	npte_shape router if-server netem delay 20ms
	assert_rtt client 172.16.2.2 38 80
}
