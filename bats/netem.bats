#!/usr/bin/env bats
# npte-netem and npte-lab netem in a sandbox: dry-run goldens for apply (the
# tc lines a user would paste), hostile and out-of-range knob values refused
# with no change, clear and "no profile" semantics. The wire test proves the
# requests; shaping.bats measures rates; live netem runs where the kernel has it.

load sandbox

# the real-sudo tests install into a staging tree once (sandbox_install each)
setup_file() { stage_install; }

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

@test "dry-run goldens for tc's words: apply with every netem keyword, tbf with every tbf keyword, change, lab directions" {
	golden netem-apply-words apply -n router if-server delay 10ms 2ms 25% distribution pareto loss state 1% 10% \
		duplicate 1% reorder 5% 50% gap 3 corrupt 0.1% ecn rate 12mbit -20 48 5 limit 1k
	golden netem-apply-flags apply -n router if-server --duplicate '1% 30%' --corrupt 0.1% \
		--delay 10ms --reorder '25% gap 5' --loss 1% --ecn
	golden netem-tbf tbf -n router if-server rate 10mbit burst 10k/8 latency 50ms peakrate 20mbit mtu 1514 \
		mpu 64 overhead 4 linklayer atm
	golden netem-change change -n router if-server delay 20ms loss 0%
	golden netem-change-tbf change -n router if-server rate 5mbit burst 5k limit 30k
	run sb npte-lab netem -n --profile 4g-bloated --up 'delay 5ms rate 1mbit'
	[ "$status" -eq 0 ]
	[[ "$output" == *"if-client root handle \"\$npte_h\": netem delay 25ms limit 2500 rate 30mbit"* ]] || { echo "$output"; return 1; }
	[[ "$output" == *"if-server root handle \"\$npte_h\": netem delay 5ms rate 1mbit"* ]] || { echo "$output"; return 1; }
	run sb npte-lab netem -n --down 'delay 5ms'
	[ "$(grep -c '^ip netns exec router tc qdisc replace ' <<<"$output")" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" != *if-server* ]]
}

@test "tc's words that tc refuses, and npte's tighter bounds: exit 2, one line naming the words, nothing changed" {
	sb npte-netem rate router if-server 20mbit
	local before args
	before=$(sb_state)
	while IFS= read -r args; do
		for verb in apply change; do
			eval "set -- $args"
			run sb npte-netem "$verb" router if-server "$@"
			[ "$status" -eq 2 ] || { echo "$verb $args: $status $output"; return 1; }
			[ "${#lines[@]}" -eq 1 ] || { echo "$verb $args: $output"; return 1; }
			[[ "$output" == "npte-netem: $verb: invalid "* ]] || { echo "$verb $args: $output"; return 1; }
			run sb npte-netem "$verb" -n router if-server "$@"
			[ "$status" -eq 2 ] && [ -z "$(sb npte-netem "$verb" -n router if-server "$@" 2>/dev/null)" ]
		done
	done <<-'EOF'
		delay
		delay 10ms 5ms 25% 30%
		ecn
		reorder 5%
		delay 1ms gap 5
		loss 1% loss 2%
		loss state 1% loss random 1%
		distribution normal
		delay 10ms 5ms distribution uniform
		help
		rate 5%
		limit 0
		delay 61s
		delay 0x10ms
		delay inf
		delay 1e3ms
		'delay 10ms;id'
		slot 20ms 10ms
		Delay 10ms
	EOF
	for args in "rate 10mbit" "rate 10mbit burst 10k" "rate 10mbit burst 10k latency 5ms limit 10k" \
		"rate 10mbit burst 10k latency 5ms peakrate 20mbit" "rate 10mbit burst 10k/3 latency 5ms" \
		"rate 400gbit burst 64m latency 60s" "rate 10mbit burst 10k latency 5ms linklayer token"; do
		# shellcheck disable=SC2086
		run sb npte-netem tbf router if-server $args
		[ "$status" -eq 2 ] || { echo "tbf $args: $status $output"; return 1; }
	done
	[ "$(sb_state)" = "$before" ]
}

@test "a word of '-' and a digit is a word (a negative overhead), never an option" {
	run sb npte-netem apply -n router if-server rate 10mbit -20 48 -5
	[ "$status" -eq 0 ]
	[[ "$output" == *"netem rate 10mbit -20 48 -5"* ]] || { echo "$output"; return 1; }
	run sb npte-netem apply -n router if-server --rate '10mbit -20'
	[ "$status" -eq 0 ]
	run sb npte-netem apply -n router if-server -x
	[ "$status" -eq 2 ]
}

# qdisc_of NS DEV: "KIND HANDLE" of the root qdisc
qdisc_of() { sb ip netns exec "$1" tc -j qdisc show dev "$2" root | jq -r '.[0] | "\(.kind) \(.handle)"'; }

@test "change: in place over tbf (same handle, new rate), refused over another kind or the default, with nothing changed" {
	sb npte-netem tbf router if-server rate 20mbit burst 20k latency 50ms
	local h
	h=$(qdisc_of router if-server)
	[[ "$h" == "tbf "* ]]
	sb npte-netem change router if-server rate 5mbit burst 5k latency 20ms
	[ "$(qdisc_of router if-server)" = "$h" ]
	[ "$(sb ip netns exec router tc -j qdisc show dev if-server root | jq '.[0].options.rate')" = 625000 ]
	local before
	before=$(sb ip netns exec router tc -j -d qdisc show dev if-server)
	run sb npte-netem change router if-server delay 5ms
	[ "$status" -eq 2 ]
	[[ "$output" == *"the root qdisc is not netem (it is tbf)"* ]] || { echo "$output"; return 1; }
	[ "$(sb ip netns exec router tc -j -d qdisc show dev if-server)" = "$before" ]
	# the dry-run's guard refuses the same way, before tc runs
	run sb sh -c 'npte-netem change -n router if-server delay 5ms | sh'
	[ "$status" -eq 2 ]
	[[ "$output" == *"the root qdisc is not netem"* ]]
	[ "$(sb ip netns exec router tc -j -d qdisc show dev if-server)" = "$before" ]
	run sb npte-netem change router if-client rate 5mbit burst 5k latency 20ms
	[ "$status" -eq 2 ]
	[[ "$output" == *"it is the default"* ]] || { echo "$output"; return 1; }
	# the dry-run of a change, run by dash, leaves what the live run left
	sb npte-netem tbf router if-client rate 20mbit burst 20k latency 50ms
	sb sh -c 'npte-netem change -n router if-client rate 5mbit burst 5k latency 20ms | dash'
	[ "$(sb ip netns exec router tc -j -d qdisc show dev if-client | jq -c '.[0].options')" = \
		"$(sb ip netns exec router tc -j -d qdisc show dev if-server | jq -c '.[0].options')" ]
}

@test "npte-lab netem --show: reads back each side's root and child as tc words, also as JSON; a lab not yours is refused" {
	sb npte-netem tbf router if-client rate 10mbit burst 10k latency 50ms
	run sb npte-lab netem --show
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "down router if-client:" ]] || { echo "$output"; return 1; }
	[[ "${lines[1]}" == "  root  1: tbf rate 10mbit burst 10240b limit 72740b" ]] || { echo "$output"; return 1; }
	[[ "${lines[2]}" == "up   router if-server: (the kernel's default)" ]] || { echo "$output"; return 1; }
	run sb npte-lab netem --show --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.down.qdiscs[0].words' <<<"$output")" = "rate 10mbit burst 10240b limit 72740b" ]
	[ "$(jq -r '.up.qdiscs | length' <<<"$output")" = 0 ]
	run sb npte-lab netem --show --prefix zz
	[ "$status" -eq 2 ]
	run sb npte-lab netem --show --profile 4g-bloated
	[ "$status" -eq 2 ]
}

@test "a missing interface is exit 2 for every verb that names one: one line naming it and the namespace's interfaces, nothing changed" {
	sb npte-netem rate router if-server 20mbit
	local before args want
	before=$(sb_state)
	printf '0s rate 10mbit\n1s rate 20mbit\n' >"$BATS_TEST_TMPDIR/s"
	while IFS= read -r args; do
		eval "set -- $args"
		run sb "$@"
		want="$1: ${2}: router: no interface 'if-srv' (has: lo, if-client, if-server)"
		[ "$status" -eq 2 ] || { echo "$args: $status $output"; return 1; }
		[ "$output" = "$want" ] || { echo "$args: $output"; return 1; }
	done <<-EOF2
		npte-netem rate router if-srv 20mbit
		npte-netem apply router if-srv delay 10ms
		npte-netem tbf router if-srv rate 1mbit burst 10k latency 10ms
		npte-netem change router if-srv rate 1mbit burst 10k latency 10ms
		npte-netem clear router if-srv
		npte-netem play router if-srv $BATS_TEST_TMPDIR/s
		npte-addr add router if-srv 10.9.0.1/24
		npte-addr del router if-srv 10.9.0.1/24
	EOF2
	[ "$(sb_state)" = "$before" ]
	# the dry-run refuses the same way, before its first change
	run sb sh -c 'npte-netem rate -n router if-srv 20mbit | sh'
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"npte-netem: rate: router: no interface 'if-srv'"* ]] || { echo "$output"; return 1; }
	# and a play's, before it claims the interface
	run sb sh -c "npte-netem play -n router if-srv $BATS_TEST_TMPDIR/s | sh"
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"npte-netem: play: router: no interface 'if-srv'"* ]] || { echo "$output"; return 1; }
	[ -z "$(sb ls -A /run/npte/play 2>/dev/null)" ]
	[ "$(sb_state)" = "$before" ]
	# more interfaces than a line holds: the list is cut with "...", still one line
	sb sh -c 'for i in $(seq 30); do ip -n router link add "veth-long-a-$i" type veth peer name "veth-long-b-$i"; done'
	run sb npte-netem rate router if-srv 20mbit
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == *", veth-long-"*", ...)" ]] || { echo "$output"; return 1; }
}

@test "through sudo: alice's missing interface names hers; on bob's namespace she gets the refusal of a missing one, naming nothing" {
	sandbox_install
	as bob npte-netns create bnet
	as alice npte-netns create anet arem
	as alice npte-veth add anet arem
	run as alice npte-netem rate anet if-srv 20mbit
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[ "$output" = "npte-netem: rate: anet: no interface 'if-srv' (has: lo, if-arem)" ] || { echo "$output"; return 1; }
	run as alice npte-netem rate bnet if-srv 20mbit
	[ "$status" -eq 2 ]
	[ "$output" = "npte-netem: rate: bnet: not found or not yours" ] || { echo "$output"; return 1; }
	run as alice npte-netem rate nosuch if-srv 20mbit
	[ "$output" = "npte-netem: rate: nosuch: not found or not yours" ]
}

@test "npte-netem show: every qdisc as tc words, text and JSON; the words put back give the same kernel state" {
	run sb npte-netem show router if-server
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf "router if-server: (the kernel's default)\n  root  0: noqueue")" ] || { echo "$output"; return 1; }
	sb npte-netem tbf router if-server rate 10mbit burst 10k latency 50ms
	run sb npte-netem show router if-server
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "router if-server:" ] || { echo "$output"; return 1; }
	[ "${lines[1]}" = "  root  1: tbf rate 10mbit burst 10240b limit 72740b" ] || { echo "$output"; return 1; }
	[ "${#lines[@]}" -eq 2 ]
	run sb npte-netem show --json router if-server
	[ "$status" -eq 0 ]
	[ "$(jq -c '.' <<<"$output")" = '{"netns":"router","dev":"if-server","qdiscs":[{"kind":"tbf","handle":"1:","parent":"root","root":true,"words":"rate 10mbit burst 10240b limit 72740b"}]}' ] ||
		{ echo "$output"; return 1; }
	# round trip: the words shown, given back, make the kernel hold the same
	local words before
	words=$(sb npte-netem show router if-server | sed -n 's/^  root  [0-9a-f]*: tbf //p')
	before=$(sb ip netns exec router tc -j -d qdisc show dev if-server | jq -c '[.[] | del(.handle)]')
	sb npte-netem clear router if-server
	# shellcheck disable=SC2086 # the words, one argument each
	sb npte-netem tbf router if-server $words
	[ "$(sb ip netns exec router tc -j -d qdisc show dev if-server | jq -c '[.[] | del(.handle)]')" = "$before" ]
	# every qdisc: a root with a child under it, the child named as such
	sb ip netns exec router tc qdisc replace dev if-client root handle 1: tbf rate 5mbit burst 10k latency 50ms
	sb ip netns exec router tc qdisc add dev if-client parent 1: handle 10: tbf rate 2mbit burst 5k latency 20ms
	run sb npte-netem show router if-client
	[ "${lines[1]}" = "  root  1: tbf rate 5mbit burst 10240b limit 41490b" ] || { echo "$output"; return 1; }
	[ "${lines[2]}" = "  child 10: tbf rate 2mbit burst 5120b limit 10120b" ] || { echo "$output"; return 1; }
	run sb npte-netem show --json router if-client
	[ "$(jq -r '.qdiscs[1].parent' <<<"$output")" = "1:" ]
	# the words of a missing interface, a bad name, an option it does not take: exit 2
	run sb npte-netem show router if-srv
	[ "$status" -eq 2 ]
	[ "$output" = "npte-netem: show: router: no interface 'if-srv' (has: lo, if-client, if-server)" ] || { echo "$output"; return 1; }
	run sb npte-netem show router ../x
	[ "$status" -eq 2 ]
	run sb npte-netem show -n router if-server
	[ "$status" -eq 2 ]
	run sb npte-netem show nosuch if-server
	[ "$status" -eq 2 ]
	[ "$output" = "npte-netem: show: nosuch: not found or not yours" ]
}

@test "through sudo: alice's npte-netem show and npte-netns show give her shaping as tc words; bob gets the refusal of a missing one" {
	sandbox_install
	as alice npte-netns create anet arem
	as alice npte-veth add anet arem
	as alice npte-netem rate anet if-arem 20mbit
	run as alice npte-netem show anet if-arem
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'anet if-arem:\n  root  1: tbf rate 20mbit burst 10240b limit 135240b')" ] || { echo "$output"; return 1; }
	run as alice npte-netns show anet
	[[ "$output" == *"  if-arem root  1: tbf rate 20mbit burst 10240b limit 135240b"* ]] || { echo "$output"; return 1; }
	run as bob npte-netem show anet if-arem
	[ "$status" -eq 2 ]
	[ "$output" = "npte-netem: show: anet: not found or not yours" ] || { echo "$output"; return 1; }
	run as bob npte-netem show --json anet if-nothere
	[ "$output" = "npte-netem: show: anet: not found or not yours" ]
}

@test "a rate in tc's byte units (20mbps) is taken as tc takes it (160 Mbit/s), with one note on stderr; bit units give none" {
	run sb sh -c 'npte-netem rate router if-server 20mbps 2>&1 >/dev/null'
	[ "$status" -eq 0 ]
	[ "$output" = "npte-netem: rate: note: 20mbps is 20 megabytes/s (160 Mbit/s) as in tc; for megabits write 20mbit" ] ||
		{ echo "$output"; return 1; }
	[ "$(sb ip netns exec router tc -j qdisc show dev if-server | jq '.[0].options.rate')" = 20000000 ]
	# the same kernel state as tc's own reading of the word
	local ours
	ours=$(sb ip netns exec router tc -j -d qdisc show dev if-server | jq -c '[.[] | del(.handle)]')
	sb ip netns exec router tc qdisc replace dev if-server root handle 1: tbf rate 20mbps burst 80000 latency 50ms
	[ "$(sb ip netns exec router tc -j -d qdisc show dev if-server | jq -c '[.[] | del(.handle)]')" = "$ours" ]
	# every verb that takes rates: one line a byte-unit word, in the words or the options
	run sb sh -c 'npte-netem tbf -n router if-server rate 2KBps burst 10k latency 5ms peakrate 3mibps mtu 1500 2>&1 >/dev/null'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' "npte-netem: tbf: note: 2KBps is 2 kilobytes/s (16 kbit/s) as in tc; for kilobits write 2kbit" \
		"npte-netem: tbf: note: 3mibps is 3 mebibytes/s (25.1658 Mbit/s) as in tc; for mebibits write 3mibit")" ] || { echo "$output"; return 1; }
	run sb sh -c 'npte-netem apply -n router if-server --delay 10ms --rate "1gbps 32" --child tbf --child-rate 1bps 2>&1 >/dev/null'
	[ "$(grep -c '^npte-netem: apply: note: ' <<<"$output")" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"1bps is 1 bytes/s (8 bit/s) as in tc; for bits write 1bit"* ]] || { echo "$output"; return 1; }
	run sb sh -c 'npte-netem rate -n router if-server 20mbit 2>&1 >/dev/null'
	[ -z "$output" ]
}

@test "the byte-unit note is the same for npte-lab netem's words and a schedule file's steps, once a word" {
	run sb sh -c 'npte-lab netem -n --down "delay 10ms rate 20mbps" --up "delay 5ms rate 2mbit" 2>&1 >/dev/null'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$output" = "npte-lab: netem: note: 20mbps is 20 megabytes/s (160 Mbit/s) as in tc; for megabits write 20mbit" ] ||
		{ echo "$output"; return 1; }
	printf '%s\n' '0 rate 2mbps limit 100' '1s rate 2mbps limit 100' '2s rate 3kbps limit 10' '3s end' >"$BATS_TEST_TMPDIR/s.sched"
	run sb sh -c "npte-netem play -n router if-server $BATS_TEST_TMPDIR/s.sched 2>&1 >/dev/null"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$output" = "$(printf '%s\n' "npte-netem: play: note: 2mbps is 2 megabytes/s (16 Mbit/s) as in tc; for megabits write 2mbit" \
		"npte-netem: play: note: 3kbps is 3 kilobytes/s (24 kbit/s) as in tc; for kilobits write 3kbit")" ] || { echo "$output"; return 1; }
}
