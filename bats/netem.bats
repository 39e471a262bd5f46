#!/usr/bin/env bats
# npte-netem and npte-lab netem in a sandbox: dry-run goldens for apply (the
# tc lines a user would paste), hostile and out-of-range knob values refused
# with no change, clear and "no profile" semantics. The wire test proves the
# requests; shaping.bats measures rates; live netem runs where the kernel has it.

load sandbox

setup() {
	sandbox_setup
	sb npte-lab create >/dev/null
}

teardown() {
	sandbox_teardown
}

# golden NAME ARGS...: the dry-run of npte-netem ARGS equals tests/golden/NAME.golden
# (NPTE_GOLDEN_UPDATE=1 rewrites it; review the diff).
golden() {
	local f=$TOP/tests/golden/$1.golden
	shift
	run sb npte-netem "$@"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	if [ -n "${NPTE_GOLDEN_UPDATE:-}" ]; then printf '%s\n' "$output" >"$f"; fi
	diff -u "$f" <(printf '%s\n' "$output")
	printf '%s\n' "$output" | shellcheck -s sh -S warning -
}

@test "dry-run goldens for apply: delay with jitter and distribution, loss models, rate with overheads, slot, children" {
	golden netem-apply-delay apply -n router if-server --delay '25ms 5ms 25% distribution normal' --limit 1000
	golden netem-apply-loss apply -n router if-client --loss 'gemodel 1% 10% 70% 0.1%' --delay 10ms
	golden netem-apply-rate apply -n router if-server --rate '12mbit 32 48 5' --delay 20ms --limit 400
	golden netem-apply-slot apply -n router if-server --slot '800us 4ms packets 42 bytes 64000'
	golden netem-apply-child apply -n router if-server --delay 25ms --child tbf --child-rate 30mbit
	golden netem-apply-cake apply -n router if-server --delay 25ms --child cake --child-rate 10gbit
	golden netem-rate rate -n router if-server 20mbit --burst 32kb --latency 20ms
	golden netem-clear clear -n router if-server
}

@test "hostile and out-of-range knob values: exit 2, one line naming the value, nothing changed" {
	sb npte-netem rate router if-server 20mbit
	local before args
	before=$(sb_state)
	while IFS= read -r args; do
		eval "set -- $args"
		run sb npte-netem apply router if-server "$@"
		[ "$status" -eq 2 ] || { echo "$args: $status $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; return 1; }
		[[ "$output" == "npte-netem: apply: "* ]] || { echo "$args: $output"; return 1; }
	done <<-'EOF'
		--delay '25ms corrupt 5%'
		--delay '25ms duplicate 1%'
		--delay '25ms; reboot'
		--delay '$(id)ms'
		--delay -1ms
		--delay 1000000s
		--delay '25ms 5ms 101%'
		--delay '25ms distribution normal'
		--delay '25ms 5ms distribution nosuch'
		--delay '25ms 5ms distribution ../../etc/passwd'
		--delay ''
		--delay "$(printf '25ms\n5ms')"
		--loss 101%
		--loss 'random -1%'
		--loss 'random 1% 2% 3%'
		--loss 'state 1% 2% 3% 4% 5% 6%'
		--loss 'gemodel 1% 2% 3% 4% 5%'
		--loss '1% corrupt 5%'
		--limit 0
		--limit 99999999999
		--limit 1e3
		--rate 7bit
		--rate 10qbit
		--rate '10mbit 32 48 5 6'
		--slot nonsense
		--slot '800us 4ms packets -1'
		--child tbf
		--child htb --child-rate 1mbit
		--child cake --child-rate fast
		--delay 25ms --child-rate 10mbit
		--delay "$(head -c 300 /dev/zero | tr '\0' 1)ms"
	EOF
	[ "$(sb_state)" = "$before" ]
	for args in "rate router if-server 0mbit" "rate router if-server 20mbit --burst 0" \
		"rate router if-server 20mbit --latency 0ms" "rate router if-server 20mbit --burst 1tb" \
		"clear router ../x" "rate router if-server"; do
		# shellcheck disable=SC2086
		run sb npte-netem $args
		[ "$status" -eq 2 ] || { echo "$args: $status $output"; return 1; }
	done
	[ "$(sb_state)" = "$before" ]
}

@test "clear: removes the root qdisc; clearing an unshaped interface succeeds and changes nothing" {
	local unshaped
	unshaped=$(sb_state)
	run sb npte-netem clear router if-server
	[ "$status" -eq 0 ]
	[ "$(sb_state)" = "$unshaped" ]
	sb npte-netem rate router if-server 20mbit
	[[ "$(sb ip netns exec router tc qdisc show dev if-server root)" == *tbf* ]]
	sb npte-netem clear router if-server
	[ "$(sb_state)" = "$unshaped" ]
}

@test "rate replaces rate: the new root carries the new rate, no stacked or stale qdisc" {
	sb npte-netem rate router if-server 20mbit
	sb npte-netem rate router if-server 50mbit --latency 10ms
	run sb ip netns exec router tc qdisc show dev if-server
	[ "$(grep -c . <<<"$output")" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == *"rate 50Mbit"* ]]
}

@test "npte-lab netem: no profile clears both router interfaces; an unknown profile is exit 2" {
	sb npte-netem rate router if-server 20mbit
	sb npte-netem rate router if-client 20mbit
	run sb npte-lab netem
	[ "$status" -eq 0 ]
	[[ "$(sb ip netns exec router tc qdisc show)" != *tbf* ]]
	run sb npte-lab netem --profile nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosuch"* ]]
	run sb npte-lab netem --list
	[ "$status" -eq 0 ]
	[ "$(grep -c '^[a-z0-9-]*$' <<<"$output")" -ge 4 ]
	[[ "$output" == *"4g-bloated"* && "$output" == *"4g-managed"* ]]
}
