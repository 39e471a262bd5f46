#!/usr/bin/env bats
# npte-probe on a kernel with netem and cake (the VM lane; elsewhere it skips
# with the reason): every lab profile's verdicts, the bufferbloat grades of
# 4g-bloated against 4g-managed, a sweep of 3 rates x 2 delays changed in
# place, and the accuracy envelope (docs/probe-accuracy.md) as TAP comments.
# The lane's CPUs are emulated (TCG) on a shared host: a TCP transfer through
# cake or a long path does not hold its rate there (docs/probe-accuracy.md),
# so the rate verdicts are recorded as comments and required only to be
# made; the RTT and loss verdicts are required ok.

load ../bats/sandbox
load live

setup() {
	live_skip
	sb npte-lab netem >/dev/null
}

# probe_json ARGS...: npte-lab probe ARGS --json, the record in $BATS_TEST_TMPDIR/p.json
probe_json() {
	run sb npte-lab probe "$@" --json /tmp/p.json
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb cat /tmp/p.json >"$BATS_TEST_TMPDIR/p.json"
	say "$(grep '^verdict' <<<"$output" | tr '\n' ';')"
}

# verdict FIGURE: ok, off or none, from the record
verdict() { jq -r --arg f "$1" '.verdicts[] | select(.figure == $f) | .verdict' "$BATS_TEST_TMPDIR/p.json"; }

# profile_ok P S: a probe of S seconds a phase under profile P judges its RTT
# (and loss, where it applies one) ok, and judges both rates (ok or off)
profile_ok() {
	sb npte-lab netem --profile "$1"
	probe_json --duration "$2"
	local fig want
	[ "$(verdict rtt)" = ok ] || { echo "$1: rtt: $output"; return 1; }
	for fig in "throughput up" "throughput down"; do
		[[ "$(verdict "$fig")" =~ ^(ok|off)$ ]] || { echo "$1: $fig: $output"; return 1; }
	done
	want=$(jq -r '.path.up.applied.loss_pct + .path.down.applied.loss_pct > 0' "$BATS_TEST_TMPDIR/p.json")
	if [ "$want" = true ]; then [ "$(verdict loss)" = ok ] || { echo "$1: loss: $output"; return 1; }; fi
}

@test "profile 4g-bloated: rtt judged ok, both rates judged" {
	profile_ok 4g-bloated 3
}

@test "profile 4g-managed (cake children): rtt judged ok, both rates judged" {
	profile_ok 4g-managed 3
}

@test "profile adsl (netem rate with ATM cells): rtt judged ok, the cell tax counted in the applied rate" {
	profile_ok adsl 4
	# 1mbit up: what a 1514-byte frame gets after 32 bytes and 5 of every 53 go to ATM
	[ "$(jq -r '.path.up.applied.rate_mbps | . * 1000 | round' "$BATS_TEST_TMPDIR/p.json")" = 866 ]
}

@test "profile geo-sat (600 ms, 0.1% loss): rtt and loss judged ok, both rates judged" {
	profile_ok geo-sat 8
}

# grade_of P: the grade of the upload phase under profile P
grade_of() {
	sb npte-lab netem --profile "$1"
	probe_json --duration 4 --load up
	jq -r '.phases[] | select(.name == "up") | .grade' "$BATS_TEST_TMPDIR/p.json"
}

@test "4g-bloated grades worse under load than 4g-managed (cake), as it should" {
	local bloated managed
	bloated=$(grade_of 4g-bloated)
	managed=$(grade_of 4g-managed)
	say "upload grade: 4g-bloated $bloated, 4g-managed $managed"
	[[ "$bloated" =~ ^[A-F]$ && "$managed" =~ ^[A-F]$ ]]
	[[ "$bloated" > "$managed" ]] || { echo "bloated $bloated, managed $managed"; return 1; }
}

@test "a sweep of 3 rates x 2 delays: every cell judged, the netem changed in place (one handle, counters kept)" {
	local r d cells=
	for d in 10ms 40ms; do
		for r in 5mbit 10mbit 20mbit; do cells="${cells}cell delay $d rate $r limit 1000\n"; done
	done
	printf "at router if-server\n$cells" | sb sh -c 'cat >/tmp/grid && chmod 644 /tmp/grid'
	run sb npte-lab probe --duration 3 --load up --sweep /tmp/grid --json /tmp/g.jsonl --plot /tmp/g.svg
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb cat /tmp/g.jsonl >"$BATS_TEST_TMPDIR/g.jsonl"
	local f=$BATS_TEST_TMPDIR/g.jsonl
	say "$(jq -r '"cell \(.cell.index): \(.cell.set[0].words): " + ([.verdicts[] | "\(.figure) \(.verdict) \(.measured)"] | join(", "))' "$f" | tr '\n' ';')"
	[ "$(grep -c . "$f")" = 6 ]
	# each cell judged against its own words: 5, 10, 20 Mbit/s; 10 then 40 ms one way
	[ "$(jq -r '.path.up.applied.rate_mbps' "$f" | tr '\n' ' ')" = "5 10 20 5 10 20 " ]
	[ "$(jq -r '.path.up.applied.delay_ms' "$f" | tr '\n' ' ')" = "10 10 10 40 40 40 " ]
	[ "$(jq -r '[.verdicts[] | select(.figure == "rtt" or .figure == "throughput up") | .verdict] | map(test("^(ok|off)$")) | all' "$f" | sort -u)" = true ] ||
		{ echo "$output"; return 1; }
	[ "$(jq -r '.path.up.hops[1].qdiscs[0].handle' "$f" | sort -u | wc -l)" = 1 ]
	local sent want
	sent=$(sb tc -s -j -n router qdisc show dev if-server root | jq '.[0].bytes')
	want=$(jq -s '[.[].phases[] | select(.name == "up") | .throughput_mbps * (.to_s - .from_s)] | add * 1e6 / 8 * 0.7 | floor' "$f")
	[ "$sent" -ge "$want" ] || { echo "sent $sent, want at least $want"; return 1; }
}

# envelope WORDS: one probe with WORDS on both of the router's sides; its figures as a TAP comment
envelope() {
	sb npte-lab netem --down "$1" --up "$1"
	probe_json --duration "${2:-3}" --load "${3:-up}"
	say "envelope [$1]: $(jq -r '"rtt median \(.phases[0].rtt.median_ms) p90 \(.phases[0].rtt.p90_ms) ms (applied \(.path.up.applied.delay_ms + .path.down.applied.delay_ms)), loss \(.phases[0].rtt.loss_pct)% (applied \(100 - (100 - .path.up.applied.loss_pct) * (1 - .path.down.applied.loss_pct / 100))), up steady \(.phases[1].steady_mbps // "-") Mbit/s (applied \(.path.up.applied.rate_mbps // "-"))"' "$BATS_TEST_TMPDIR/p.json")"
}

@test "the accuracy envelope: delay, jitter, loss and rate at 10, 100 and 1000 Mbit/s (figures as comments)" {
	envelope "delay 5ms" 3 none
	envelope "delay 50ms" 3 none
	envelope "delay 50ms 10ms" 3 none
	envelope "delay 1ms loss 5%" 6 none
	envelope "delay 1ms rate 10mbit" 3 up
	envelope "delay 1ms rate 100mbit" 3 up
	envelope "delay 1ms rate 1000mbit" 3 up
}
