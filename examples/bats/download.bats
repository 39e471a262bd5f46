#!/usr/bin/env bats
# An HTTP download through a shaped link finishes within a bound.
# Copy it, then: bats download.bats (as a member of group npte).

load "${NPTE_BATS:-/usr/local/share/npte/npte}"

setup() {
	npte_require tbf python3 curl
	npte_up # the built-in lab: client -- router -- server (172.16.2.2)
	head -c 2000000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	# your server, as you, in the server's namespace
	npte_run_bg server python3 -m http.server --bind 172.16.2.2 --directory "$BATS_TEST_TMPDIR" 8000
	npte_wait_port server 8000
}

teardown() {
	npte_down
}

# fetch: curl's time and size for the blob, fetched by the client
fetch() {
	npte_run client curl -sS --max-time 60 -o /dev/null -w '%{time_total} %{size_download}\n' \
		http://172.16.2.2:8000/blob
}

@test "2 MB over a 10 Mbit/s downlink arrives whole in 1.2 to 10 seconds" {
	# the router's end towards the client: the downlink
	npte_shape router if-client tbf rate 10mbit burst 32k latency 100ms
	run fetch
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	read -r t size <<<"$output"
	[ "$size" -eq 2000000 ] || { echo "got $size bytes"; return 1; }
	# 16 Mbit at 10 Mbit/s is 1.6 s at best
	awk -v t="$t" 'BEGIN { exit !(t >= 1.2 && t <= 10) }' || { echo "took $t s"; npte_applied; return 1; }
}

@test "the same download unshaped is faster than the shaped link allows" {
	run fetch
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	read -r t size <<<"$output"
	[ "$size" -eq 2000000 ]
	awk -v t="$t" 'BEGIN { exit !(t < 1.2) }' || { echo "took $t s unshaped"; return 1; }
}

@test "the uplink shaped to 20 Mbit/s carries 12 to 21 Mbit/s (iperf3)" {
	npte_require iperf3
	# the router's end towards the server: the uplink
	npte_shape router if-server tbf rate 20mbit burst 32k latency 50ms
	assert_throughput client server 172.16.2.2 12 21
}
