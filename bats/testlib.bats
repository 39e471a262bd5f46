#!/usr/bin/env bats
# Issue 26: the test libraries for users' suites (testing/npte.bash and
# testing/pytest_npte.py, npte-testing(7)), as users get them: `make install`
# into the staging tree (sandbox.bash's stage_install), and the examples of
# examples/bats and examples/pytest run as npte-alice and npte-bob through
# real sudo and the shipped rule. Each run is in a pid namespace of its own
# whose init (root) outlives it: every process the run left is there to be
# found, and none of another suite's is.

load sandbox

setup_file() { stage_install; }

setup() {
	sudo_setup
	[ -f "$STAGE/run/ptest/share/npte/npte.bash" ] || skip "make install put no npte.bash"
	command -v setpriv >/dev/null || skip "needs setpriv(1)"
	# a folder the users can read (the checkout may be under /root), each a home
	PUB=$(mktemp -d /tmp/npte-testlib.XXXXXX)
	chmod 755 "$PUB"
	cp -r "$TOP/examples" "$TOP/bats/testlib" "$PUB/"
	local u
	for u in alice bob; do
		install -d -m 0700 -o "npte-$u" -g "npte-$u" "$PUB/home-$u" "$PUB/xdg-$u"
	done
	INITS=()
}

teardown() {
	local p
	# an init's end ends everything in its pid namespace
	for p in "${INITS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	sandbox_teardown
	rm -rf "$PUB"
}

# as_user USER: UCMD, the start of a command line that runs the rest as
# npte-USER with a clean environment that finds the staged libraries.
as_user() {
	UCMD=(setpriv --reuid="npte-$1" --regid="npte-$1" --init-groups
		env -i PATH=/usr/bin:/bin HOME="$PUB/home-$1" XDG_RUNTIME_DIR="$PUB/xdg-$1" LANG=C.UTF-8
		NPTE_BATS=/run/ptest/share/npte/npte NPTE_PYTHON=/run/ptest/share/npte/python
		PYTHONPATH=/run/ptest/share/npte/python PYTHONDONTWRITEBYTECODE=1 NPTE_SIGN="$PUB/home-$1/sign")
}

# start NAME USER [--int|--kill] CMD...: CMD as_user USER in the sandbox, in a
# new session (so it can be sent a terminal's ^C) of a new pid namespace.
# The pid namespace has its own /proc (as in any container), so a new mount
# namespace too: check what the run made from inside it (as_in). NAME.out
# gets its output and NAME.rc its status; with --int or --kill, its init
# sends SIGINT (or SIGKILL) to the whole session once the run wrote its sign.
start() {
	local name=$1 u=$2 sig=
	shift 2
	case $1 in --int) sig=INT; shift ;; --kill) sig=KILL; shift ;; esac
	as_user "$u"
	# shellcheck disable=SC2016 # expanded by the init's sh
	sbx unshare --pid --fork --mount-proc sh -c '
		out=$1 sign=$2 sig=$3
		shift 3
		setsid env --default-signal=INT,QUIT "$@" >"$out" 2>&1 </dev/null &
		run=$!
		if [ -n "$sig" ]; then
			i=0
			while [ ! -e "$sign" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
			kill -"$sig" -"$run"
		fi
		wait "$run"
		echo $? >"$out.rc"
		exec sleep 3600' sh "$PUB/$name.out" "$PUB/home-$u/sign" "$sig" "${UCMD[@]}" "$@" 3>&- &
	local outer=$! init=
	for _ in $(seq 100); do
		init=$(cat /proc/"$outer"/task/*/children 2>/dev/null)
		[ -n "$init" ] && break
		sleep 0.05
	done
	[ -n "$init" ] || { echo "no init for $name"; return 1; }
	INITS+=("$init")
	eval "INIT_$name=$init"
}

# finish NAME: wait (up to 5 minutes) for the run NAME to end; its status in
# RC, its output in OUT.
finish() {
	for _ in $(seq 3000); do [ -s "$PUB/$1.out.rc" ] && break; sleep 0.1; done
	[ -s "$PUB/$1.out.rc" ] || { echo "$1 did not end: $(cat "$PUB/$1.out")"; return 1; }
	RC=$(cat "$PUB/$1.out.rc")
	OUT=$(cat "$PUB/$1.out")
}

# left NAME: the live processes in NAME's pid namespace but its init, as
# "PID UID COMM" lines; empty when the run left nothing.
left() {
	local init ns p st
	init=$(eval "echo \$INIT_$1")
	ns=$(readlink "/proc/$init/ns/pid")
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" != "$init" ] && [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		st=$(awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$st" ] && [ "$st" != Z ] || continue
		echo "$p $(stat -c %u "/proc/$p") $(cat "/proc/$p/comm" 2>/dev/null)"
	done
}

# as_in NAME USER CMD...: `as USER CMD...` in the mount and pid namespaces of
# run NAME (its /proc is of its pid namespace).
as_in() {
	local init u=$2 c=$3
	init=$(eval "echo \$INIT_$1")
	shift 3
	nsenter -t "$init" -m -n -p -- runuser -u "npte-$u" -- sudo -n "$P/$c" "$@" </dev/null
}

# clean NAME USER: the run left no process and USER owns no namespace, not
# even one destroyed but still held.
clean() {
	local l
	l=$(left "$1")
	[ -z "$l" ] || { echo "$1 left processes: $l"; return 1; }
	drained as_in "$1" "$2" || { echo "$2 still has namespaces draining"; return 1; }
	l=$(as_in "$1" "$2" npte-netns list)
	[ -z "$l" ] || { echo "$2 owns: $l"; return 1; }
}

BATS_CMD=(bats --tap)
PYTEST_CMD=(python3 -m pytest -p no:cacheprovider -rs)

# no_netem: this kernel has no sch_netem, as npte-doctor tells a user.
no_netem() {
	[[ "$(sb runuser -u npte-alice -- "$P/npte-doctor" --require netem 2>&1)" == *"cannot here: netem"* ]]
}

# examples_ok: OUT is the examples' run, all passed, the netem ones skipped
# with the reason (this host has no sch_netem) or passed.
examples_ok() {
	[ "$RC" = 0 ] || { echo "exit $RC: $OUT"; return 1; }
	if no_netem; then
		grep -q "netem (npte-doctor --require exits 69)" <<<"$OUT" || { echo "no netem skip: $OUT"; return 1; }
	fi
}

@test "the bats examples pass as npte-alice through the shipped rule, the netem ones skip saying why; she owns nothing after" {
	start ex alice "${BATS_CMD[@]}" "$PUB/examples/bats"
	finish ex
	examples_ok
	[ "$(grep -c "^ok " <<<"$OUT")" -ge 6 ] || { echo "$OUT"; return 1; }
	# the tbf examples ran (not skipped): download, throughput and schedule step
	grep -q "^ok [0-9]* 2 MB over a 10 Mbit/s downlink arrives whole in 1.2 to 10 seconds$" <<<"$OUT"
	grep -q "^ok [0-9]* a 4 MB download started at 2 Mbit/s speeds up at the step and arrives whole$" <<<"$OUT"
	grep -q "^ok [0-9]* the uplink shaped to 20 Mbit/s carries 12 to 21 Mbit/s (iperf3)$" <<<"$OUT"
	if no_netem; then
		grep -q "^ok [0-9]* .*10% loss.*# skip this kernel cannot do netem" <<<"$OUT" || { echo "$OUT"; return 1; }
	fi
	clean ex alice
}

@test "the pytest examples pass as npte-alice, the netem ones skip saying why; she owns nothing after" {
	command -v pytest-3 >/dev/null || python3 -c 'import pytest' 2>/dev/null || skip "needs python3-pytest"
	start ex alice "${PYTEST_CMD[@]}" "$PUB/examples/pytest"
	finish ex
	examples_ok
	grep -Eq "4 passed, 2 skipped|6 passed" <<<"$OUT" || { echo "$OUT"; return 1; }
	clean ex alice
}

@test "a test that fails on purpose fails, says what it measured and what was applied, and leaves nothing (bats and pytest)" {
	start fb alice "${BATS_CMD[@]}" "$PUB/testlib/fail.bats"
	start fp alice "${PYTEST_CMD[@]}" -p pytest_npte "$PUB/testlib/test_fail.py"
	finish fb
	[ "$RC" = 1 ] || { echo "bats: $RC $OUT"; return 1; }
	[[ "$OUT" == *"not ok 1 fails on purpose"* ]]
	[[ "$OUT" == *"assert_rtt client -> 172.16.2.2: measured "*" ms average, 5 of 5 replies, expected 500..600 ms"* ]] ||
		{ echo "$OUT"; return 1; }
	[[ "$OUT" == *"applied:"*"router if-"*"server: root 1: tbf rate 10mbit"* ]] || { echo "$OUT"; return 1; }
	clean fb alice
	finish fp
	[ "$RC" = 1 ] || { echo "pytest: $RC $OUT"; return 1; }
	[[ "$OUT" == *"assert_rtt client -> 172.16.2.2: measured "*" ms average, 5 of 5 replies, expected 500..600 ms"* ]] ||
		{ echo "$OUT"; return 1; }
	[[ "$OUT" == *"applied:"*"server: root 1: tbf rate 10mbit"* ]] || { echo "$OUT"; return 1; }
	clean fp alice
}

@test "SIGINT to bats mid-test (^C to its session): the teardown runs, nothing of alice's is left" {
	start ib alice --int "${BATS_CMD[@]}" "$PUB/testlib/interrupt.bats"
	finish ib
	[ "$RC" != 0 ] || { echo "$OUT"; return 1; }
	[[ "$OUT" == *"Received SIGINT"* ]] || { echo "$OUT"; return 1; }
	clean ib alice
}

@test "SIGINT to pytest mid-test: the fixture's teardown runs, nothing of alice's is left" {
	start ip alice --int "${PYTEST_CMD[@]}" -p pytest_npte "$PUB/testlib/test_interrupt.py"
	finish ip
	[ "$RC" != 0 ] || { echo "$OUT"; return 1; }
	[[ "$OUT" == *KeyboardInterrupt* ]] || { echo "$OUT"; return 1; }
	clean ip alice
}

@test "a run killed outright (SIGKILL to its session, no teardown) leaves a lab; the next run's npte_up reaps it and its programs" {
	start kb alice --kill "${BATS_CMD[@]}" "$PUB/testlib/interrupt.bats"
	finish kb
	# what the dead run left: her lab, and the program of hers that left the session
	local init
	init=$(eval "echo \$INIT_kb")
	[ "$(as_in kb alice npte-netns list | wc -l)" = 3 ] || { as_in kb alice npte-netns list; return 1; }
	[[ "$(left kb)" == *sleep* ]] || { left kb; return 1; }
	# the next run in the same pid namespace (a record of another one is not judged)
	as_user alice
	run nsenter -t "$init" -m -n -p -- "${UCMD[@]}" "${BATS_CMD[@]}" "$PUB/examples/bats/download.bats" </dev/null 3>&-
	[ "$status" = 0 ] || { echo "$output"; return 1; }
	clean kb alice
}

@test "alice and bob run both example suites at once: all pass, neither owns anything after" {
	command -v pytest-3 >/dev/null || python3 -c 'import pytest' 2>/dev/null || skip "needs python3-pytest"
	start ab alice "${BATS_CMD[@]}" "$PUB/examples/bats"
	start bb bob "${BATS_CMD[@]}" "$PUB/examples/bats"
	start ap alice "${PYTEST_CMD[@]}" "$PUB/examples/pytest"
	start bp bob "${PYTEST_CMD[@]}" "$PUB/examples/pytest"
	local r
	for r in ab bb ap bp; do
		finish "$r"
		examples_ok || { echo "in $r"; return 1; }
	done
	clean ab alice
	clean ap alice
	clean bb bob
	clean bp bob
}

@test "bats --jobs 2 (GNU parallel) runs the examples side by side without interfering" {
	command -v parallel >/dev/null || skip "needs GNU parallel (bats --jobs)"
	start jb alice bats --tap --jobs 2 "$PUB/examples/bats"
	finish jb
	examples_ok
	[ "$(grep -c "^ok " <<<"$OUT")" -ge 6 ] || { echo "$OUT"; return 1; }
	clean jb alice
}

@test "a record folder that is not the user's own plain 0700 folder (a planted symlink) is refused, and nothing is made" {
	# what another user could leave at /tmp/npte-tests-UID: a link to a folder of theirs
	ln -s "$PUB/home-bob" "$PUB/xdg-alice/npte-tests-$ALICE"
	start pl alice "${BATS_CMD[@]}" "$PUB/examples/bats/download.bats"
	finish pl
	[ "$RC" = 1 ] || { echo "$OUT"; return 1; }
	[[ "$OUT" == *"xdg-alice/npte-tests-$ALICE is not a folder of mode 0700 of uid $ALICE; set NPTE_STATE_DIR"* ]] ||
		{ echo "$OUT"; return 1; }
	[ -z "$(ls -A "$PUB/home-bob")" ]
	clean pl alice
}
