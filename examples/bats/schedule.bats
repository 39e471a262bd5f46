#!/usr/bin/env bats
# A transfer across a schedule step: the link goes from 2 to 100 Mbit/s a
# second into the schedule, in place (the queue and its packets kept), and a
# download that would take 16 s at 2 Mbit/s finishes in a few.

load "${NPTE_BATS:-/usr/local/share/npte/npte}"

setup() {
	npte_require tbf python3 curl
	npte_up
	head -c 4000000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	npte_run_bg server python3 -m http.server --bind 172.16.2.2 --directory "$BATS_TEST_TMPDIR" 8000
	npte_wait_port server 8000
	# tbf words where the kernel has no netem; every knob on every step
	cat >"$BATS_TEST_TMPDIR/step.sched" <<-'SCHED'
		0    rate 2mbit burst 32k latency 400ms
		1s   rate 100mbit burst 64k latency 400ms
		60s  end
	SCHED
}

teardown() {
	npte_down
}

@test "a 4 MB download started at 2 Mbit/s speeds up at the step and arrives whole" {
	npte_play router if-client "$BATS_TEST_TMPDIR/step.sched"
	run npte_run client curl -sS --max-time 60 -o "$BATS_TEST_TMPDIR/got" -w '%{time_total}' \
		http://172.16.2.2:8000/blob
	[ "$status" -eq 0 ] || { echo "curl: $status $output"; return 1; }
	cmp "$BATS_TEST_TMPDIR/blob" "$BATS_TEST_TMPDIR/got"
	# 32 Mbit: 16 s at 2 Mbit/s throughout; with the step, a second and a bit
	awk -v t="$output" 'BEGIN { exit !(t <= 10) }' || { echo "took $output s"; npte_applied; return 1; }
	# and the link now is the second step's
	run npte_applied
	[[ "$output" == *"tbf rate 100mbit"* ]] || { echo "$output"; return 1; }
}
