#!/usr/bin/env bats
# npte-lock status and the lock contract: who holds it (text and JSON), a
# holder that wrote no record, exit 75 naming the holder after --wait, and
# a root-only lock file. The holder is the test-only fault build paused with
# the lock held (NPTE_FAULT_PAUSE=k: 2 s after op k), stopped there with
# SIGSTOP where a check must find it still holding the lock.

load sandbox

setup() {
	sandbox_setup
}

teardown() {
	rm -f "$BATS_TEST_TMPDIR/gate" # a lingering preview's cue to end
	[ -n "${HOLD_BG:-}" ] && kill "$HOLD_BG" 2>/dev/null
	sandbox_teardown
}

# hold CMD...: start CMD in the background and wait until it holds the lock.
hold() {
	sb "$@" 3>&- &
	HOLD_BG=$!
	locked
}

@test "unlocked: text and JSON" {
	run sb npte-lock status
	[ "$status" -eq 0 ]
	[ "$output" = unlocked ]
	run sb npte-lock status --json
	[ "$output" = '{"held":false}' ]
}

@test "held by an npte verb: pid, uid, program, verb and since, in text and JSON" {
	[ -x "$FAULT/npte-netns" ] || skip "fault build missing (make tests)"
	local t0
	t0=$(date +%s)
	hold env SUDO_UID=4321 SUDO_GID=4321 NPTE_FAULT_PAUSE=1 "$FAULT/npte-netns" create slow
	local pid
	pid=$(npte_of "$HOLD_BG" npte-netns)
	run sb npte-lock status
	[[ "$output" == "locked (exclusive) by pid $pid: npte-netns create, uid 4321, since "*Z ]] ||
		{ echo "$output"; return 1; }
	run sb npte-lock status --json
	[ "$(jq -r '[.held, .mode, .pid, .uid, .prog, .verb] | map(tostring) | join(" ")' <<<"$output")" = \
		"true exclusive $pid 4321 npte-netns create" ]
	[ "$(jq '.since' <<<"$output")" -ge "$t0" ]
	wait "$HOLD_BG"
	[ "$(sb npte-lock status)" = unlocked ]
}

@test "held by something that wrote no record (flock(1)): the pid, no made-up details" {
	sb install -d -m 0700 /run/npte
	hold flock /run/npte/lock sleep 3
	run sb npte-lock status --json
	[ "$(jq -r .held <<<"$output")" = true ]
	[ "$(jq -r .uid <<<"$output")" = null ]
	[ "$(jq -r .verb <<<"$output")" = null ]
	[ "$(jq -r .since <<<"$output")" = null ]
	# the flock this test started (by its pid: other users and previews run flock too)
	[ "$(jq -r .pid <<<"$output")" = "$(npte_of "$HOLD_BG" flock)" ]
}

@test "held by a dry-run preview: status and a busy live run name it, by flock's pid as /proc/locks has it" {
	# the preview of a create, made to linger with the lock held until $gate goes
	local gate=$BATS_TEST_TMPDIR/gate
	touch "$gate"
	sb npte-netns create -n slow |
		sed "/^trap '' /a while [ -e $gate ]; do sleep 0.05; done" >"$BATS_TEST_TMPDIR/preview.sh"
	grep -q "^while \[ -e $gate" "$BATS_TEST_TMPDIR/preview.sh"
	hold sh "$BATS_TEST_TMPDIR/preview.sh"
	for _ in $(seq 100); do
		[[ "$(sb npte-lock status)" == *preview* ]] && break
		sleep 0.02
	done
	local pid id
	# /proc/locks is the whole host's: the entry for this sandbox's lock file
	id=$(sb stat -c '%Hd %Ld %i' /run/npte/lock | { read -r ma mi ino; printf '%02x:%02x:%s' "$ma" "$mi" "$ino"; })
	pid=$(sb awk -v id="$id" '$2 == "FLOCK" && $6 == id { print $5 }' /proc/locks)
	[ -n "$pid" ] || { echo "no flock on $id in /proc/locks"; return 1; }
	run sb npte-lock status
	[[ "$output" == "locked (exclusive) by pid $pid: npte-netns create (dry-run preview), uid 0, since "*Z ]] ||
		{ echo "$output"; return 1; }
	run sb npte-netns create --wait 0 quick
	[ "$status" -eq 75 ]
	[[ "$output" == *"held by pid $pid (npte-netns create (dry-run preview), uid 0, for "*"s); retry later" ]] ||
		{ echo "$output"; return 1; }
	rm "$gate"
	wait "$HOLD_BG"
	[ "$(sb ip netns list | cut -d' ' -f1)" = slow ]
	[ "$(sb npte-lock status)" = unlocked ]
}

@test "busy past --wait: exit 75 naming the holder, nothing changed; --wait 0 does not wait at all" {
	[ -x "$FAULT/npte-netns" ] || skip "fault build missing (make tests)"
	hold env NPTE_FAULT_PAUSE=1 "$FAULT/npte-netns" create slow
	# held for as long as the checks take: the 2 s pause alone left a loaded machine 0.7 s
	freeze_holder
	run sb npte-netns create --wait 0 quick
	[ "$status" -eq 75 ]
	[[ "$output" == "npte-netns: create: lock busy after 0s: held by pid $FROZEN (npte-netns create, uid 0"*"retry later" ]] ||
		{ echo "$output"; return 1; }
	run sb npte-lab create --wait 1
	[ "$status" -eq 75 ] || { echo "$status $output"; return 1; }
	thaw_holder
	wait "$HOLD_BG"
	[ "$(sb ip netns list | cut -d' ' -f1)" = slow ]
	# once free, the same command goes through
	run sb npte-netns create --wait 0 quick
	[ "$status" -eq 0 ]
}

@test "npte-lock, which keeps no capability, links no libnl-route-3 (nor libnl-3)" {
	command -v ldd >/dev/null || skip "needs ldd"
	run ldd "$TOP/build/bin/npte-lock"
	[ "$status" -eq 0 ]
	[[ "$output" == *libc.so* ]]
	[[ "$output" != *libnl-route-3* ]]
	[[ "$output" != *libnl-3* ]]
}

@test "the lock file is root's 0600 in root's 0700 directory; status needs root; strict arguments" {
	sb npte-netns create a
	[ "$(sb stat -c '%u %a' /run/npte/lock)" = "0 600" ]
	[ "$(sb stat -c '%u %a' /run/npte)" = "0 700" ]
	run sb setpriv --reuid 65534 --regid 65534 --clear-groups "$TOP/build/bin/npte-lock" status
	[ "$status" -eq 1 ]
	run sb npte-lock status extra
	[ "$status" -eq 2 ]
	run sb npte-lock stat
	[ "$status" -eq 2 ]
	run sb npte-lock status --jsonx
	[ "$status" -eq 2 ]
}
