#!/usr/bin/env bats
# Topology files (issue 24): every shipped file comes up and goes down
# leaving nothing, live and as its dry-run under dash (the same state); the
# built-in file is npte-lab create's lab; two prefixes of one file side by side.

load sandbox

setup() {
	sandbox_setup
}

teardown() {
	sandbox_teardown
	sandbox2_teardown
}

# parts NAME: the number of status parts of shipped file NAME, and that all are there.
complete() {
	run sb npte-lab status --json "$@"
	[ "$status" = 0 ] || { echo "status $*: $output"; return 1; }
	[ "$(jq -r .state <<<"$output")" = complete ] || { echo "$output" | jq -c '.parts[] | select(.present | not)'; return 1; }
}

@test "issue 24: every shipped file: up live and its dry-run under dash leave the same state; status complete; down leaves nothing" {
	local f
	for f in default dumbbell two-path chain star; do
		faithful "" npte-lab up "$f" || { echo "file $f"; return 1; }
		[ "$FAITHFUL_RC" = 0 ] || { echo "up $f: exit $FAITHFUL_RC"; return 1; }
		complete "$f"
		run sb npte-lab down "$f"
		[ "$status" = 0 ] || { echo "down $f: $output"; return 1; }
		[ -z "$(sb ip netns list)" ] || { echo "left after down $f: $(sb ip netns list)"; return 1; }
		[ -z "$(sb ls /run/npte/netns)" ] || { echo "markers left after down $f"; return 1; }
	done
}

@test "issue 24: the built-in file is create's lab: create and up default leave the same state, and destroy = down" {
	sandbox2_setup
	sb npte-lab create
	sb2 npte-lab up default
	[ "$(sb_snapshot sb)" = "$(sb_snapshot sb2)" ]
	run sb npte-lab status
	[[ "${lines[0]}" == "lab client, router, server: complete (19 of 19 parts)" ]]
	sb2 npte-lab down default
	sb npte-lab destroy
	[ -z "$(sb ip netns list)$(sb2 ip netns list)" ]
	run sb npte-lab show-file default
	[ "$output" = "$(cat "$TOP/lab/default.lab")" ]
}

@test "issue 24: one file twice, side by side, under two prefixes; down of one leaves the other whole" {
	sb npte-lab up --prefix a chain
	sb npte-lab up --prefix b chain
	complete --prefix a chain
	complete --prefix b chain
	run sb npte-lab up --prefix a chain
	[ "$status" = 1 ]
	[[ "$output" == *"up already (npte-lab down FILE removes it)"* ]]
	sb npte-lab down --prefix a chain
	complete --prefix b chain
	run sb npte-lab status --json --prefix a chain
	[ "$(jq -r .state <<<"$output")" = absent ]
}

@test "issue 24: a file that fails mid-way (a route the kernel refuses) is rolled back whole: nothing of it stays" {
	local f=$BATS_TEST_TMPDIR/bad.lab
	printf 'node a\nnode b forward\nlink a b 10.9.0.1/24 10.9.0.2/24\nroute a 10.8.0.0/24 via 10.7.0.1\n' >"$f"
	run sb npte-lab up "$f"
	[ "$status" = 1 ]
	[[ "$output" == *"npte-lab: up: "* ]]
	[ -z "$(sb ip netns list)" ]
	[ -z "$(sb ls /run/npte/netns)" ]
}
