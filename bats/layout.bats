#!/usr/bin/env bats
# The layer rule of common/ (tests/layers, run by make lint): the tree keeps
# it, README.md's list is the folders, and the check fails on each way of
# breaking either. Runs on copies in the test's own temporary directory.

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	T=$BATS_TEST_TMPDIR/tree
	mkdir -p "$T"
	cp -r "$REPO/README.md" "$REPO/common" "$T/"
}

@test "the tree keeps the layer rule, and README.md lists exactly its folders" {
	run "$REPO/tests/layers" "$REPO"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -z "$output" ]
	# the list is the folders, in a definite order
	[ "$(sed -n 's|^- `common/\([a-z_]*\)/`.*|\1|p' "$REPO/README.md" | sort | tr '\n' ' ')" = \
		"$(cd "$REPO/common" && ls -d -- */ | tr -d / | sort | tr '\n' ' ')" ]
}

@test "an include from a folder above fails, naming the file, the line and both folders" {
	sed -i '3i #include "cli/cli.h"' "$T/common/base/err.c"
	run "$REPO/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[ "$output" = 'layers: common/base/err.c:3: includes "cli/cli.h": cli/ is a layer above base/' ]
}

@test "an include of the same folder or a lower one passes" {
	sed -i '3i #include "base/err.h"' "$T/common/cli/cli.c"
	sed -i '3i #include "cli/cli.h"' "$T/common/cli/cli_run.c"
	run "$REPO/tests/layers" "$T"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "an include without its folder, or of a header common/ lacks, fails" {
	sed -i '3i #include "err.h"' "$T/common/shape/shape.c"
	sed -i '3i #include "base/nothing.h"' "$T/common/txn/txn.c"
	run "$REPO/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *'common/shape/shape.c:3: includes "err.h" without its folder'* ]]
	[[ "$output" == *'common/txn/txn.c:3: includes "base/nothing.h", which is not a file of common/'* ]]
}

@test "a folder README.md does not list, or a listed folder that is gone, fails" {
	mkdir "$T/common/extra"
	sed -i '/^- `common\/play\/`/d' "$T/README.md"
	rm -r "$T/common/play"
	mkdir -p "$T/common/play" # still a folder, but now unlisted
	run "$REPO/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *'common/extra/ is not in README.md'* ]]
	[[ "$output" == *'common/play/ is not in README.md'* ]]
	rmdir "$T/common/extra" "$T/common/play"
	sed -i 's|^- `common/cli/`|- `common/gone/` — x\n&|' "$T/README.md"
	run "$REPO/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *'README.md lists common/gone/, which does not exist'* ]]
}

@test "moving a folder's line in README.md changes the rule: the order is the list's" {
	# cli/ listed first makes every include of a lower folder from cli/ an upward one
	line=$(grep '^- `common/cli/`' "$T/README.md")
	sed -i '/^- `common\/cli\/`/d' "$T/README.md"
	awk -v l="$line" '/^- `common\/base\/`/ { print l } { print }' "$T/README.md" >"$T/r" && mv "$T/r" "$T/README.md"
	run "$REPO/tests/layers" "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *'common/cli/cli.c:'*'base/ is a layer above cli/'* ]]
}
