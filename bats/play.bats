#!/usr/bin/env bats
# npte-netem play and npte-lab play on the host, with tbf schedules (this
# kernel has tbf, not netem; the VM lane plays netem): the sequence of qdisc
# states live and from the dry-run script run by dash, the exact restore on
# SIGTERM and SIGINT, the end when the namespace is destroyed, another user's
# namespace and unreadable or hostile files refused with nothing changed.

load sandbox

setup() {
	sandbox_setup
	sb npte-lab create >/dev/null
	SCHED=$BATS_TEST_TMPDIR/tbf.sched
	cat >"$SCHED" <<-'EOF'
		# three rates, 400 ms each
		0      rate 5mbit burst 10k latency 50ms
		400ms  rate 20mbit burst 20k latency 50ms
		800ms  rate 7mbit burst 12k latency 20ms
		1.2s   end
	EOF
	chmod 644 "$SCHED"
}

teardown() {
	sandbox_teardown
}


# qd: the root qdisc of router's if-client as tc -d reports it (handle left out)
qd() { sb ip netns exec router tc -j -d qdisc show dev if-client | jq -c '[.[] | del(.handle)]'; }
# whole: the same with the handles
whole() { sb ip netns exec router tc -j -d qdisc show dev if-client; }

# started BEFORE: wait (at most 10 s) until the qdisc is no longer BEFORE: the first
# step is in, and with it the player's claim on the interface
started() {
	local q
	for _ in $(seq 500); do
		q=$(qd)
		[ "$q" != "$1" ] && break
		sleep 0.02
	done
	printf '%s' "$q"
}

# in_step RATE: wait (at most 10 s) until the root qdisc has tbf rate RATE (bytes/s)
in_step() {
	for _ in $(seq 200); do
		[ "$(qd | jq -r '.[0].options.rate')" = "$1" ] && return 0
		sleep 0.05
	done
	qd
	return 1
}

# states CMD...: the root qdiscs of if-client from before CMD starts until it has
# ended, each distinct state once in the order they came. The sequence is judged,
# not when each state came: a loaded machine may start CMD late, and the script's
# sleeps each count from the step before, so it drifts by its own overhead. tc
# alone in a loop samples every few ms, well inside a 400 ms step.
states() {
	local flag=$BATS_TEST_TMPDIR/sampling out=$BATS_TEST_TMPDIR/samples sampler
	touch "$flag"
	: >"$out"
	# (one more sample once the flag is gone: the one after CMD ended)
	sb ip netns exec router sh -c 'while [ -e "$1" ]; do tc -j -d qdisc show dev if-client; echo; done
		tc -j -d qdisc show dev if-client' sh "$flag" >"$out" 3>&- &
	sampler=$!
	# the state before CMD is in the record first
	for _ in $(seq 500); do [ -s "$out" ] && break; sleep 0.02; done
	"$@" >/dev/null
	rm "$flag"
	wait "$sampler"
	jq -c '[.[] | del(.handle)]' "$out" | uniq
}

@test "play: each step's state in turn, live and from the dry-run run by dash; the end puts back the kernel's default" {
	local before q0 live script
	before=$(whole) q0=$(qd)
	live=$(states sb npte-netem play router if-client "$SCHED")
	[ "$(whole)" = "$before" ]
	# the default, the three steps, the default again: nothing else, nothing skipped
	[ "$(wc -l <<<"$live")" -eq 5 ] || { echo "$live"; return 1; }
	[ "$(sed -n 1p <<<"$live")" = "$q0" ] && [ "$(sed -n 5p <<<"$live")" = "$q0" ] || { echo "$live"; return 1; }
	[ "$(sed -n 2p <<<"$live" | jq -r '.[0].options.rate')" = 625000 ] || { echo "$live"; return 1; }
	[ "$(sed -n 3p <<<"$live" | jq -r '.[0].options.rate')" = 2500000 ] || { echo "$live"; return 1; }
	[ "$(sed -n 4p <<<"$live" | jq -r '.[0].options.rate')" = 875000 ] || { echo "$live"; return 1; }
	sb sh -c "npte-netem play -n router if-client '$SCHED' >'$BATS_TEST_TMPDIR/play.sh'"
	shellcheck -s sh -S warning "$BATS_TEST_TMPDIR/play.sh"
	script=$(states sb dash "$BATS_TEST_TMPDIR/play.sh")
	[ "$script" = "$live" ] || { diff <(echo "$live") <(echo "$script"); return 1; }
	[ "$(whole)" = "$before" ]
}

# play_golden NAME TOOL ARGS...: the dry-run of TOOL ARGS equals tests/golden/NAME.golden
# (NPTE_GOLDEN_UPDATE=1 rewrites it; review the diff)
play_golden() {
	local f=$TOP/tests/golden/$1.golden
	shift
	run sb "$@"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	if [ -n "${NPTE_GOLDEN_UPDATE:-}" ]; then printf '%s\n' "$output" >"$f"; fi
	diff -u "$f" <(printf '%s\n' "$output")
	printf '%s\n' "$output" | shellcheck -s sh -S warning -
}

@test "play: the dry-runs are their goldens: a schedule once, looped and kept, a mahimahi trace, npte-lab's two directions" {
	# the files at a path of the sandbox's own /run, so that the title comments stay the same
	sb sh -c 'mkdir -p /run/golden && cat >/run/golden/tbf.sched && chmod 644 /run/golden/tbf.sched' <"$SCHED"
	{ for _ in $(seq 12); do echo 50; done; echo 150; echo 420; } | sb sh -c 'cat >/run/golden/t.trace'
	play_golden play-tbf npte-netem play -n router if-client /run/golden/tbf.sched
	play_golden play-tbf-loop-keep npte-netem play -n --loop --keep --wait 7 router if-client /run/golden/tbf.sched
	play_golden play-trace npte-netem play -n router if-server --trace-mahimahi /run/golden/t.trace --window 100ms \
		delay 20ms
	play_golden play-lab npte-lab play -n --profile train-tunnel
	play_golden play-lab-loop npte-lab play -n --loop --profile leo-starlink
}

@test "play: SIGTERM, SIGINT, SIGUSR1 and SIGALRM mid-play put back the previous root exactly (tc -j -d qdisc show equal), exit 128 + the signal" {
	sb npte-netem tbf router if-client rate 1mbit burst 5k latency 20ms peakrate 2mbit mtu 1600
	local before pid sig want st
	before=$(whole)
	# each signal while the second step plays: it lasts 20 s here, so that the
	# signal is sure to come after one change and before the next
	cat >"$SCHED" <<-'EOF'
		0      rate 5mbit burst 10k latency 50ms
		400ms  rate 20mbit burst 20k latency 50ms
		20s    rate 7mbit burst 12k latency 20ms
		20.4s  end
	EOF
	for sig in TERM INT USR1 ALRM; do
		sbx npte-netem play router if-client "$SCHED" >"$BATS_TEST_TMPDIR/out" &
		pid=$!
		in_step 2500000
		kill -s "$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		want=$((128 + $(kill -l "$sig")))
		[ "$st" -eq "$want" ] || { echo "$sig: $st"; return 1; }
		[ "$(whole)" = "$before" ] || { echo "$sig:"; diff <(echo "$before") <(whole); return 1; }
		grep -q '^play: 1 changes; late p50 ' "$BATS_TEST_TMPDIR/out" || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
	done
	# --keep leaves the step that was playing
	sbx npte-netem play --keep router if-client "$SCHED" >/dev/null &
	pid=$!
	in_step 2500000
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 143 ]
	[ "$(qd | jq -r '.[0].options.rate')" = 2500000 ]
}

@test "play: --json reports the lateness of every change; --loop starts over at the end" {
	run sb npte-netem play --json router if-client "$SCHED"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.changes' <<<"$output")" = 2 ] || { echo "$output"; return 1; }
	[ "$(jq -r '.exit' <<<"$output")" = 0 ]
	jq -e '.late_us.p50 >= 0 and .late_us.p99 >= .late_us.p50 and .late_us.max >= 0' <<<"$output" >/dev/null
	local q0 pid st=0
	q0=$(qd)
	sbx npte-netem play --loop --json router if-client "$SCHED" >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	# 3 s from the first step: the fifth change is due at 2 s (one without --loop
	# ends at 1.2 s after 2), a second's margin for a loaded machine
	started "$q0" >/dev/null
	sleep 3
	kill -INT "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	# two rounds of 3 steps, less the first step (in with the start): at least 5 changes
	[ "$(jq -r '.changes' "$BATS_TEST_TMPDIR/out")" -ge 5 ] || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
}

@test "play: destroying the namespace mid-play ends the player within 1 s (exit 1), and nothing keeps it" {
	cat >"$SCHED" <<-'EOF'
		0    rate 5mbit burst 10k latency 50ms
		20s  rate 6mbit burst 10k latency 50ms
		30s  end
	EOF
	local q0 pid t0 t1 st=0
	q0=$(qd)
	sbx npte-netem play router if-client "$SCHED" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	# the player is past its start (a destroy before it would make it a 'not found')
	started "$q0" >/dev/null
	# from the moment the destroy is done (its own run under CI's load is not the player's time)
	sb npte-netns destroy router
	t0=$(date +%s%N)
	wait "$pid" || st=$?
	t1=$(date +%s%N)
	[ "$st" -eq 1 ]
	# it looks once a second; without that look it would run on to the step at 20 s
	[ $(((t1 - t0) / 1000000)) -le 2500 ] || { echo "took $(((t1 - t0) / 1000000)) ms"; return 1; }
	grep -q 'the namespace is gone' "$BATS_TEST_TMPDIR/err" || { cat "$BATS_TEST_TMPDIR/err"; return 1; }
	# nothing of the player holds it, so the kernel drops it and nothing stays charged as draining
	drained sb
}

@test "play: another user's namespace, and a file the caller cannot read, are refused with nothing changed" {
	local before d
	before=$(sb_state)
	d=$(mktemp -d /tmp/npte-play.XXXXXX)
	chmod 755 "$d"
	cp "$SCHED" "$d/open.sched"
	chmod 644 "$d/open.sched"
	run as_uid 4242 npte-netem play router if-client "$d/open.sched"
	[ "$status" -eq 2 ]
	[[ "$output" == *"router: not found or not yours"* ]] || { echo "$output"; return 1; }
	# readable by root only: the caller cannot read it, so npte does not either
	cp "$SCHED" "$d/secret.sched"
	chmod 600 "$d/secret.sched"
	sb npte-netns create mine >/dev/null
	sb sh -c "sed -i 's/owner=0/owner=4242/' /run/npte/netns/mine"
	run as_uid 4242 npte-netem play mine lo "$d/secret.sched"
	[ "$status" -eq 2 ]
	[[ "$output" == *"cannot read"*"as uid 4242"*"Permission denied"* ]] || { echo "$output"; return 1; }
	run as_uid 4242 npte-netem play mine lo /dev/zero
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a regular file"* ]] || { echo "$output"; return 1; }
	# relative to the caller's working directory, with the caller's rights
	run sb sh -c "cd '$d' && SUDO_UID=4242 SUDO_GID=4242 npte-netem play -n mine lo open.sched"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# the administrator (root without sudo) too
	run sb sh -c "cd '$d' && npte-netem play -n mine lo open.sched"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	rm -r "$d"
	as_uid 4242 npte-netns destroy mine
	[ "$(sb_state)" = "$before" ]
}

@test "play: hostile schedule files (binary, huge, unsorted, negative, unknown words, mixed kinds, 10^6 lines) exit 2 and change nothing" {
	local f=$BATS_TEST_TMPDIR/bad before
	before=$(sb_state)
	printf '0 rate 5mbit burst 10k latency 5ms\n\0\1\2\n' >"$f.binary"
	head -c 2000000 /dev/zero | tr '\0' '#' >"$f.huge"
	printf '0 delay 1ms\n2s delay 2ms\n1s delay 3ms\n' >"$f.unsorted"
	printf '0 delay 1ms\n-1s delay 2ms\n' >"$f.negative"
	printf '0 delay 1ms\n1s bogus 2ms\n' >"$f.unknown"
	printf '0 delay 1ms\n1s rate 5mbit burst 10k latency 5ms\n' >"$f.mixed"
	printf '0 delay 1ms\n1s delay 2ms;reboot\n' >"$f.shell"
	printf '5s delay 1ms\n' >"$f.late"
	seq 1000000 | sed 's/^/#/' >"$f.lines"
	: >"$f.empty"
	for kind in binary huge unsorted negative unknown mixed shell late lines empty; do
		run sb npte-netem play router if-client "$f.$kind"
		[ "$status" -eq 2 ] || { echo "$kind: $status $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$kind: $output"; return 1; }
		[[ "$output" == "npte-netem: play: "* ]] || { echo "$kind: $output"; return 1; }
		run sb npte-netem play -n router if-client "$f.$kind"
		[ "$status" -eq 2 ]
	done
	[ "$(sb_state)" = "$before" ]
}

@test "play --trace-mahimahi: a trace becomes rate steps over the window, with extra words on every step" {
	# 12 opportunities in the first 100 ms, 6 in the next, and the last line
	# (200, the period) falls on the next round's 0, as in mahimahi: 13 and 6
	# in 100 ms windows, 1.56 and 0.72 Mbit/s
	{ for _ in $(seq 12); do echo 50; done; for _ in $(seq 6); do echo 150; done; echo 200; } >"$BATS_TEST_TMPDIR/trace"
	run sb npte-netem play -n router if-client --trace-mahimahi "$BATS_TEST_TMPDIR/trace" delay 10ms
	[ "$status" -eq 0 ]
	[[ "$output" == *'netem rate 1560000bit loss 0% delay 10ms'* ]] || { echo "$output"; return 1; }
	[[ "$output" == *'tc qdisc change dev if-client root netem rate 720000bit loss 0% delay 10ms'* ]] || { echo "$output"; return 1; }
	run sb npte-netem play -n router if-client --trace-mahimahi "$BATS_TEST_TMPDIR/trace" rate 5mbit
	[ "$status" -eq 2 ]
	run sb npte-netem play -n router if-client --trace-mahimahi "$BATS_TEST_TMPDIR/trace" --window 5ms
	[ "$status" -eq 2 ]
}

@test "npte-lab play: --list names at least four schedules with sources; the dry-run plays both directions" {
	run sb npte-lab play --list
	[ "$status" -eq 0 ]
	for p in leo-starlink train-tunnel lte-drive wifi-congested; do
		grep -q "^$p\$" <<<"$output" || { echo "missing $p"; return 1; }
	done
	[ "$(grep -c '^  source: ' <<<"$output")" -ge 4 ]
	run sb npte-lab play -n --profile leo-starlink
	[ "$status" -eq 0 ]
	[ "$(grep -c 'tc qdisc change dev if-client root netem' <<<"$output")" -ge 7 ] || { echo "$output"; return 1; }
	[ "$(grep -c 'tc qdisc change dev if-server root netem' <<<"$output")" -ge 7 ]
	printf '%s\n' "$output" | shellcheck -s sh -S warning -
	run sb npte-lab play --profile nosuch
	[ "$status" -eq 2 ]
}

@test "play: a kernel that refuses the first step (no sch_netem here) is exit 1 with nothing changed" {
	sb sh -c 'tc qdisc add dev lo root netem delay 1ms 2>/dev/null && tc qdisc del dev lo root' &&
		skip "this kernel has netem"
	printf '0 delay 10ms\n1s delay 20ms\n' >"$BATS_TEST_TMPDIR/n.sched"
	local before
	before=$(sb_state)
	run sb npte-netem play router if-client "$BATS_TEST_TMPDIR/n.sched"
	[ "$status" -eq 1 ]
	[[ "$output" == *"npte-netem: play: router: if-client: netem"* ]] || { echo "$output"; return 1; }
	[ "$(sb_state)" = "$before" ]
}

@test "play: one player an interface: a second one on it is refused (exit 75, nothing changed), another interface is fine" {
	# the first player plays for 20 s (then stopped): every check below finds it there
	printf '0 rate 5mbit burst 10k latency 50ms\n20s end\n' >"$BATS_TEST_TMPDIR/long.sched"
	chmod 644 "$BATS_TEST_TMPDIR/long.sched"
	local q0 pid st=0
	q0=$(qd)
	sbx npte-netem play router if-client "$BATS_TEST_TMPDIR/long.sched" >/dev/null &
	pid=$!
	started "$q0" >/dev/null
	run sb npte-netem play router if-client "$SCHED"
	[ "$status" -eq 75 ] || { echo "$status $output"; return 1; }
	[[ "$output" == *"router: if-client: another play is running on it"* ]] || { echo "$output"; return 1; }
	run sb sh -c "npte-netem play -n router if-client '$SCHED' | dash"
	[ "$status" -eq 75 ] || { echo "$status $output"; return 1; }
	run sb npte-netem play router if-server "$SCHED"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# the first one still played all along: stopped now, not ended by itself
	kill -TERM "$pid"
	wait "$pid" || st=$?
	[ "$st" -eq 143 ]
	run sb npte-netem play router if-client "$SCHED"
	[ "$status" -eq 0 ]
}

@test "npte-lab play: an interface gone mid-plan is exit 2 naming what is there; the first side's claim is undone" {
	# the veth goes (root's doing): if-client's snapshot and claim come first,
	# then if-server is found missing, in the middle of the start's transaction
	sb ip -n router link del if-server
	local before
	before=$(sb_state)
	run sb npte-lab play --profile leo-starlink
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[ "$output" = "npte-lab: play: router: no interface 'if-server' (has: lo, if-client)" ] ||
		{ echo "$output"; return 1; }
	[ "$(sb_state)" = "$before" ]
	[ -z "$(sb ls -A /run/npte/play 2>/dev/null)" ]
}

@test "npte-lab play --list: each schedule's steps, time and words, as a schedule file writes them; --json too" {
	run sb npte-lab play --list
	[ "$status" -eq 0 ]
	# every "N steps" line is followed by N step lines (and the end line)
	awk '/^  (down|up) +[0-9]+ steps/ { if (want) exit 1; want = $2; next }
	     /^    [0-9]/ { if ($2 == "end") { if (want) exit 1; next } want-- ; if (want < 0) exit 1; next }
	     { if (want) exit 1 }
	     END { exit want ? 1 : 0 }' <<<"$output" || { echo "$output"; return 1; }
	[ "$(grep -c '^    [0-9][^ ]* *end$' <<<"$output")" -ge 8 ]
	# leo-starlink's downlink as listed is a schedule file: played by npte-netem,
	# its changes are the lab's own for that direction
	awk '/^leo-starlink$/ { on = 1; next } on && /^  down / { d = 1; next } on && d && /^    / { sub(/^    /, ""); print; next }
	     d { exit }' <<<"$output" >"$BATS_TEST_TMPDIR/leo.sched"
	chmod 644 "$BATS_TEST_TMPDIR/leo.sched"
	[ "$(grep -c . "$BATS_TEST_TMPDIR/leo.sched")" -eq 9 ] || { cat "$BATS_TEST_TMPDIR/leo.sched"; return 1; }
	run sb npte-netem play -n router if-client "$BATS_TEST_TMPDIR/leo.sched"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	local mine
	mine=$(grep 'tc qdisc change dev if-client root netem' <<<"$output")
	[ "$(grep -c . <<<"$mine")" -ge 7 ] || { echo "$output"; return 1; }
	run sb npte-lab play -n --profile leo-starlink
	[ "$(grep 'tc qdisc change dev if-client root netem' <<<"$output")" = "$mine" ]
	run sb npte-lab play --list --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].name, .[0].down.period, .[0].down.steps[1].at, .[0].down.steps[1].words, (.[0].up.steps | length)' <<<"$output")" = \
		"$(printf 'leo-starlink\n60s\n300ms\ndelay 15ms 2ms rate 180mbit loss 0%%\n8')" ] || { echo "$output" | head -c 600; return 1; }
	[ "$(jq 'length' <<<"$output")" -ge 4 ]
	run sb npte-lab play --list --loop
	[ "$status" -eq 2 ]
}
