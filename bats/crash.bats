#!/usr/bin/env bats
# Crash safety: a SIGKILL after any operation of any verb leaves nothing that
# the next npte run (or gc) cannot explain and repair; signals sent during a
# transaction wait until it has committed. Uses the test-only fault build
# (build/fault/bin: NPTE_FAULT_AFTER=k dies by SIGKILL right after op k,
# NPTE_FAULT_PAUSE=k sleeps 2 s there with the lock held).

load sandbox

setup() {
	sandbox_setup
	[ -x "$FAULT/npte-netns" ] || skip "fault build missing (make tests)"
}

teardown() {
	sandbox_teardown
}

# The number of ops in a verb's plan: its dry-run's op lines are the lines
# that are not bookkeeping (the subshell, the functions' indented bodies, the
# lock and its holder record, traps, steps).
nops() {
	sb "$@" -n | awk '/^(step=|trap |rollback|finish|  |:$|}|#|set |umask |install |exec 9|flock |printf .pid=|[()]$)/ {next} {n++} END {print n}'
}

# For k = 0..N+1: kill "$@" after op k, recover with gc, and require the
# registry and the kernel to agree and to equal the state before the run
# (nothing of an uncommitted transaction survives).
kill_everywhere() {
	local before after n k kills=0
	before=$(settled_state)
	n=$(nops "$@")
	[ "$n" -gt 0 ]
	for k in $(seq 0 $((n + 1))); do
		run sb env NPTE_FAULT_AFTER="$k" "$FAULT/$1" "${@:2}"
		if [ "$status" -eq 137 ]; then
			kills=$((kills + 1))
			run sb npte-netns gc
			[ "$status" -eq 0 ] || { echo "gc after kill at op $k: $output"; return 1; }
			run sb_consistent
			[ "$status" -eq 0 ] || { echo "after kill at op $k: $output"; return 1; }
			after=$(settled_state)
			[ "$after" = "$before" ] || { echo "kill at op $k left:"; diff <(echo "$before") <(echo "$after"); return 1; }
		else
			# Past the last op: the run committed; undo it for the next k.
			[ "$status" -eq 0 ] || { echo "run with k=$k: $status $output"; return 1; }
			return_to_before "$@"
		fi
	done
	echo "# $1 ${2:-}: $n ops, $kills kills" >&3
	[ "$kills" -ge "$n" ]
}

# Links come up and get link-local addresses asynchronously: wait for quiet.
settled_state() {
	local a b
	a=$(sb_state)
	for _ in $(seq 30); do
		sleep 0.1
		b=$(sb_state)
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$a"
}

return_to_before() {
	case "$1 $2" in
	"npte-netns create") sb npte-netns destroy "${@:3}" ;;
	"npte-veth add") sb npte-veth del "${@:3}" ;;
	"npte-addr add") sb npte-addr del "${@:3}" ;;
	"npte-route add") sb npte-route del "${@:3}" ;;
	"npte-lab create") sb npte-lab destroy ;;
	"npte-netem rate") sb npte-netem clear "$3" "$4" ;;
	esac
}

@test "kill after every op of npte-netns create: gc restores the state before" {
	kill_everywhere npte-netns create a b c
}

@test "kill after every op of npte-veth add, npte-addr add, npte-route add" {
	sb npte-netns create a b
	kill_everywhere npte-veth add a b
	sb npte-veth add a b
	kill_everywhere npte-addr add a if-b 10.1.0.1/24
	kill_everywhere npte-addr add a if-b fd00:1::1/64
	sb npte-addr add a if-b 10.1.0.1/24
	kill_everywhere npte-route add a 10.9.0.0/16 10.1.0.2
}

@test "kill after every op of npte-netem rate: no stale qdisc survives" {
	sb npte-lab create
	kill_everywhere npte-netem rate router if-client 20mbit
}

@test "kill after every op of npte-lab create: nothing of the lab survives" {
	kill_everywhere npte-lab create
}

@test "kill after every op of destroy verbs: registry and kernel still agree after gc" {
	local n k
	for verb in "npte-lab destroy" "npte-lab destroy --kill" "npte-netns destroy client router server" \
		"npte-netns destroy --kill --all"; do
		# counted over a lab that exists: --all's script names what it finds
		sb npte-lab create
		n=$(nops $verb)
		sb npte-lab destroy
		for k in $(seq 0 "$n"); do
			sb npte-lab create
			run sb env NPTE_FAULT_AFTER="$k" "$FAULT/${verb%% *}" ${verb#* }
			run sb npte-netns gc
			[ "$status" -eq 0 ]
			run sb_consistent
			[ "$status" -eq 0 ] || { echo "$verb killed at $k: $output"; return 1; }
			# whatever is left can be destroyed in one go
			run sb npte-lab destroy
			[ "$status" -eq 0 ] || { echo "$verb killed at $k, then destroy: $output"; return 1; }
			[ -z "$(sb ip netns list)" ]
		done
	done
}

@test "the next verb (not only gc) recovers a dead transaction and says so" {
	run sb env NPTE_FAULT_AFTER=8 "$FAULT/npte-lab" create
	[ "$status" -eq 137 ]
	run sb test -e /run/npte/journal
	[ "$status" -eq 0 ]
	run sb npte-lab create
	[ "$status" -eq 0 ]
	[[ "$output" == *"recovered an interrupted transaction"*"npte-lab"* ]]
	run sb npte-lab status
	[[ "$output" == *"complete (19 of 19 parts)"* ]]
	run sb test -e /run/npte/journal
	[ "$status" -ne 0 ]
}

@test "gc removes markers whose namespace is gone and leaves unknown namespaces alone" {
	sb npte-netns create a b
	sb ip netns del a
	sb ip netns add foreign
	run sb npte-netns gc -n
	[ "$status" -eq 0 ]
	[[ "$output" == *"rm -f /run/npte/netns/a"* ]]
	sb test -e /run/npte/netns/a
	run sb npte-netns gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"remove marker a: its namespace is gone"* ]]
	[[ "$output" == *"left alone: foreign"* ]]
	run sb test -e /run/npte/netns/a
	[ "$status" -ne 0 ]
	sb test -e /run/netns/foreign
	sb test -e /run/npte/netns/b
	run sb npte-netns gc
	[[ "$output" == *"nothing to repair"* ]]
}

@test "gc -n after a kill: the journal's undo lines are inside the preview's subshell, and it repairs as gc would" {
	run sb env NPTE_FAULT_AFTER=3 "$FAULT/npte-netns" create a b
	[ "$status" -eq 137 ]
	sb npte-netns gc -n >"$BATS_TEST_TMPDIR/gc.sh"
	shellcheck -s sh -S warning "$BATS_TEST_TMPDIR/gc.sh"
	# the undo lines come before the subshell's end, which ends the script
	[[ "$(tail -n 4 "$BATS_TEST_TMPDIR/gc.sh")" == "# undo what an interrupted transaction left (npte-netns create, uid 0, pid "*$'\nip netns del a || true\nrm -f /run/npte/journal\n)' ]] ||
		{ tail -n 4 "$BATS_TEST_TMPDIR/gc.sh"; return 1; }
	run sb sh "$BATS_TEST_TMPDIR/gc.sh"
	[ "$status" -eq 0 ]
	[ -z "$(sb ip netns list)" ]
	run sb test -e /run/npte/journal
	[ "$status" -ne 0 ]
	run sb npte-netns gc
	[[ "$output" == *"nothing to repair"* ]]
}

@test "SIGINT, SIGTERM and SIGTSTP during a transaction wait for its commit" {
	local sig pid state
	for sig in INT TERM TSTP; do
		# sbx: $! is npte-lab itself (pkill -f also found other suites' npte-lab)
		sbx env NPTE_FAULT_PAUSE=10 "$FAULT/npte-lab" create 3>&- &
		pid=$!
		# in its transaction: the holder's record is written once signals are blocked
		locked "npte-lab create"
		# signal the npte process itself, as sudo would relay it
		kill -"$sig" "$pid"
		if [ "$sig" = TSTP ]; then
			# stopped once committed, or never where the kernel drops SIGTSTP (an
			# orphaned process group): a SIGCONT before that would discard the
			# pending SIGTSTP and test nothing
			for _ in $(seq 200); do
				# (gone once it has ended: an empty state, not a failed test)
				state=$(awk '$1 == "State:" { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
				[ "$state" = T ] || [ "$state" = Z ] || [ -z "$state" ] && break
				sleep 0.1
			done
			if [ "$state" = T ]; then
				run sb npte-lab status
				[[ "$output" == *"complete (19 of 19 parts)"* ]] || { echo "stopped before its commit: $output"; kill -CONT "$pid"; return 1; }
			fi
			kill -CONT "$pid" 2>/dev/null || true
		fi
		wait "$pid" || true
		run sb npte-lab status
		[[ "$output" == *"complete (19 of 19 parts)"* ]] || { echo "after SIG$sig: $output"; return 1; }
		run sb test -e /run/npte/journal
		[ "$status" -ne 0 ]
		sb npte-lab destroy
	done
}

@test "200 SIGKILLs at random moments of npte-lab create: consistent every time" {
	local i delay before committed=0 killed=0
	before=$(sb_state)
	for i in $(seq 200); do
		delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", rand() * 0.03 }')
		sb timeout -s KILL "$delay" npte-lab create >/dev/null 2>&1 && committed=$((committed + 1)) || killed=$((killed + 1))
		sb npte-netns gc >/dev/null
		run sb_consistent
		[ "$status" -eq 0 ] || { echo "run $i (after ${delay}s): $output"; return 1; }
		run sb npte-lab status
		[[ "$output" == *"complete (19 of 19"* || "$output" == *"absent (0 of 19"* ]] ||
			{ echo "run $i (after ${delay}s): half a lab: $output"; return 1; }
		sb npte-lab destroy >/dev/null
		[ "$(sb_state)" = "$before" ]
	done
	echo "# 200 runs: $killed killed, $committed committed" >&3
	[ "$killed" -gt 0 ]
}

# One worker: random verbs on a few shared names until the deadline; every
# result must be a success or one of the documented clean failures.
worker() {
	local end=$1 id=$2 out rc names=(a b c d) n1 n2 v
	while [ "$(date +%s)" -lt "$end" ]; do
		n1=${names[RANDOM % 4]}
		n2=${names[RANDOM % 4]}
		case $((RANDOM % 8)) in
		0) v="npte-netns create $n1" ;;
		1) v="npte-netns destroy $n1" ;;
		2) v="npte-veth add $n1 $n2" ;;
		3) v="npte-veth del $n1 $n2" ;;
		4) v="npte-addr add $n1 if-$n2 10.$((RANDOM % 4)).0.$id/24" ;;
		5) v="npte-route add $n1 default 10.$((RANDOM % 4)).0.99" ;;
		6) v="npte-lab create --prefix w" ;;
		7) v="npte-lab destroy --prefix w" ;;
		esac
		out=$(sb $v --wait 20 2>&1) && rc=0 || rc=$?
		case $rc in
		0) ;;
		1) [[ "$out" == *"File exists"* || "$out" == *"No such device"* || "$out" == *"exists"* ||
		      "$out" == *"Network is unreachable"* || "$out" == *"No such process"* ]] ||
			{ echo "unclean failure of '$v': $out"; return 1; } ;;
		2) [[ "$out" == *"not found or not yours"* || "$out" == *"same namespace"* ||
		      "$out" == *": no interface '"* ]] ||
			{ echo "unexpected exit 2 of '$v': $out"; return 1; } ;;
		75) ;;
		*) echo "'$v' exited $rc: $out"; return 1 ;;
		esac
		echo x >>"$BATS_TEST_TMPDIR/ops.$id"
	done
}

@test "16 workers on overlapping names: no deadlock, clean failures, consistent end state" {
	local secs=${NPTE_SOAK_SECONDS:-10} end pids=() w total=0
	end=$(( $(date +%s) + secs ))
	for w in $(seq 16); do
		worker "$end" "$w" >"$BATS_TEST_TMPDIR/worker.$w" 2>&1 &
		pids+=($!)
	done
	for w in "${pids[@]}"; do
		# a deadlock would keep a worker past the deadline plus one lock wait
		timeout $((secs + 60)) tail --pid="$w" -f /dev/null || { echo "worker $w hung"; return 1; }
		wait "$w" || { cat "$BATS_TEST_TMPDIR"/worker.*; return 1; }
	done
	for w in $(seq 16); do total=$((total + $(wc -l <"$BATS_TEST_TMPDIR/ops.$w" 2>/dev/null || echo 0))); done
	echo "# 16 workers, ${secs}s: $total operations" >&3
	[ "$total" -gt 16 ]
	run sb npte-netns gc
	[ "$status" -eq 0 ]
	run sb_consistent
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run sb test -e /run/npte/journal
	[ "$status" -ne 0 ]
}

# --- issue 21 items 6, 8: a journal that holds what a plan holds ---

# tbf words of 508 bytes, all valid: their journal line (541 bytes) is longer
# than the 512 the reader used to take.
long_tbf() {
	local w="rate 1mbit burst 10kb limit 100kb"
	for _ in $(seq 25); do w="$w linklayer ethernet"; done
	echo "$w"
}

@test "issue 21 item 6: the longest tbf plan, killed once the kernel made its qdisc, is undone by gc" {
	sb npte-netns create a
	# shellcheck disable=SC2046 # the words, one each
	run sb env NPTE_FAULT_MADE=1 "$FAULT/npte-netem" tbf a lo $(long_tbf)
	[ "$status" -eq 137 ] || { echo "$output"; return 1; }
	sb ip netns exec a tc qdisc show dev lo | grep -q tbf
	# the op is in the journal whole, on a line the old reader could not take
	[ "$(sb awk '/^op / && length > 512 { n++ } END { print n + 0 }' /run/npte/journal)" -eq 1 ]
	run sb npte-netns gc
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"undid 1 operation"* && "$output" != *"unreadable"* && "$output" != *skipped* ]] ||
		{ echo "$output"; return 1; }
	! sb ip netns exec a tc qdisc show dev lo | grep -q tbf || false
	run sb test -e /run/npte/journal
	[ "$status" -ne 0 ]
	run sb test -e /run/npte/journal.bad
	[ "$status" -ne 0 ]
}

@test "issue 21 item 6: a journal with bad lines among good ones: gc undoes the good ops and names each line it skipped" {
	local n line
	n=$(nops npte-netns create a b c)
	run sb env NPTE_FAULT_AFTER="$n" "$FAULT/npte-netns" create a b c
	[ "$status" -eq 137 ]
	# b's namespace op gets a name no validator passes; after it, a line that is no journal's
	line=$(sb grep -n '^op [0-9]* netns add|b|' /run/npte/journal | cut -d: -f1)
	[ -n "$line" ]
	sb sed -i "${line}s/|b|/|B!|/; ${line}a\\
garbage in the middle" /run/npte/journal
	run sb npte-netns gc
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"skipped journal line $line (bad op), line $((line + 1)) (not a journal line)"* ]] ||
		{ echo "$output"; return 1; }
	[[ "$output" != *"unreadable"* ]] || { echo "$output"; return 1; }
	# a and c undone; b's namespace stays (its op was the bad line)
	run sb ip netns list
	[[ "$output" != *"a"* && "$output" != *"c"* && "$output" == *"b"* ]] || { echo "$output"; return 1; }
	# kept aside for root to read what was skipped
	sb grep -q 'garbage in the middle' /run/npte/journal.bad
	run sb test -e /run/npte/journal
	[ "$status" -ne 0 ]
}

# --- issue 22 item 5: memory that grows with the work ---
# NPTE_FAULT_ALLOC=k: the k-th allocation of a growing array (the plan's ops,
# the journal reader's entries) fails, as it would when memory runs out.

@test "issue 22 item 5: no memory for the plan, at its first op or as it grows: exit 1, and nothing was changed" {
	local names
	names=$(printf 'g%d ' $(seq 1 30))
	run sb env NPTE_FAULT_ALLOC=1 "$FAULT/npte-netns" create a
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[ "$output" = "npte-netns: out of memory for the plan (operation 1)" ] || { echo "$output"; return 1; }
	# 30 names are 90 ops: the first block (64) is full while the plan is built
	# shellcheck disable=SC2086 # the names, one word each
	run sb env NPTE_FAULT_ALLOC=2 "$FAULT/npte-netns" create $names
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == *"out of memory for the plan (operation 65)"* ]] || { echo "$output"; return 1; }
	[ -z "$(sb ip netns list)" ]
	[ -z "$(sb ls -A /run/npte/netns 2>/dev/null)" ]
	run sb test -e /run/npte/journal
	[ "$status" -ne 0 ]
	# and the same plan, given the memory, is built and runs
	# shellcheck disable=SC2086
	run sb "$FAULT/npte-netns" create $names
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb ip netns list | wc -l)" -eq 30 ]
}

@test "issue 22 item 5: no memory to read a dead run's journal: gc exits 1, keeps the journal, undoes nothing; readers refuse; then gc recovers" {
	run sb env NPTE_FAULT_AFTER=3 "$FAULT/npte-netns" create a
	[ "$status" -eq 137 ]
	sb test -e /run/netns/a
	run sb env NPTE_FAULT_ALLOC=1 "$FAULT/npte-netns" gc
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == *"recover an interrupted transaction: /run/npte/journal: Cannot allocate memory"* ]] ||
		{ echo "$output"; return 1; }
	[[ "$output" != *"unreadable"* && "$output" != *"moved aside"* ]] || { echo "$output"; return 1; }
	# the journal is good: it stays where the next writer finds it, nothing undone
	sb test -e /run/npte/journal
	run sb test -e /run/npte/journal.bad
	[ "$status" -ne 0 ]
	sb test -e /run/netns/a
	# a reader that cannot hold it says so (exit 1), rather than calling it
	# unreadable (its first allocation is its plan's, the second the journal's)
	run sb env NPTE_FAULT_ALLOC=2 "$FAULT/npte-netns" show a
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == *"read the journal of an interrupted transaction: /run/npte/journal: Cannot allocate memory"* ]] ||
		{ echo "$output"; return 1; }
	# the preview fails the same way, and leaves a script no shell runs
	run sb env NPTE_FAULT_ALLOC=1 "$FAULT/npte-netns" gc -n
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" != *"mv -f"* && "$output" == *"Cannot allocate memory"* ]] || { echo "$output"; return 1; }
	run sb npte-netns gc
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"recovered an interrupted transaction"*"undid "* ]] || { echo "$output"; return 1; }
	run sb test -e /run/netns/a
	[ "$status" -ne 0 ]
	run sb test -e /run/npte/journal
	[ "$status" -ne 0 ]
}

@test "issue 22 item 5: root's own soft ulimit -v and -d of 24 MiB: every binary starts, and a create of 40 names (a plan that grows) and its destroy run whole" {
	local names b
	names=$(printf 'm%d ' $(seq 1 40))
	# a whole plan's ops and a journal reader as large were 46 MiB of BSS: exec
	# died of SIGSEGV below that; now hygiene raises the limits before the plan grows.
	# (Through sudo the command never had them: sudo raises both.)
	for b in npte-netns npte-veth npte-addr npte-route npte-netem npte-run npte-lock npte-lab npte-doctor; do
		run sb sh -c "ulimit -S -v 24576; ulimit -S -d 24576; exec $b --version"
		[ "$status" -eq 0 ] || { echo "$b: $status $output"; return 1; }
	done
	run sb sh -c "ulimit -S -v 24576; ulimit -S -d 24576; exec npte-netns create $names"
	[ "$status" -eq 0 ] || { echo "$status $output"; return 1; }
	[ "$(sb ip netns list | wc -l)" -eq 40 ]
	run sb sh -c "ulimit -S -v 24576; ulimit -S -d 24576; exec npte-netns destroy $names"
	[ "$status" -eq 0 ] || { echo "$status $output"; return 1; }
	[ -z "$(sb ip netns list)" ]
}
