#!/usr/bin/env bats
# The attacks of the 2026-11-23 audit (issue 12), each kept as a regression
# test. What a sudo caller controls -- rlimits, oom_score_adj, umask, timing,
# flocks on anything they can open, processes left in a namespace -- must not
# let them delete what is not theirs, stall other users, or escape the quota.
# Real sudo with the shipped rule where the attack goes through sudo; the
# fault build (build/fault/bin) where a kill must land at an exact point.

load sandbox

setup_file() { stage_install; }

setup() {
	sudo_setup
	BG=()
}

teardown() {
	local p
	# a stopped process acts on TERM only once continued
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; kill -CONT "$p" 2>/dev/null || true; done
	sandbox_teardown
}

# in_as USER 'SHELL TEXT': a shell of npte-USER (to set ulimits, umask...) that
# ends in `exec sudo ...`; $P is passed as $1.
in_as() {
	sb runuser -u "npte-$1" -- sh -c "$2" sh "$P" </dev/null
}

# The inode of a namespace: it changes when a namespace is removed and remade.
ino() {
	sb stat -L -c %i "/run/netns/$1"
}

# Wait (up to 20 s) until FILE (a background writer's output) has a line.
wait_line() {
	for _ in $(seq 400); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}

@test "a create killed while it tries a name that exists undoes nothing: bob's and root's namespaces survive, same identity, working" {
	as_uid "$BOB" npte-netns create bnet
	sb ip netns add prod
	local ib ip n
	ib=$(ino bnet)
	ip=$(ino prod)
	for n in bnet prod; do
		# killed at the start of `netns add` (op 1, after the quota check): the
		# audit's flock wait put the death exactly there
		run as_uid "$ALICE" env NPTE_FAULT_IN=1 "$FAULT/npte-netns" create "$n"
		[ "$status" -eq 137 ] || { echo "$output"; return 1; }
		# the next lock holder recovers the dead run
		run as_uid "$ALICE" npte-netns gc
		[ "$status" -eq 0 ]
		[[ "$output" == *"undid 0 operations"* ]] || { echo "$output"; return 1; }
	done
	[ "$(ino bnet)" = "$ib" ]
	[ "$(ino prod)" = "$ip" ]
	sb ip netns exec prod ip -o link show lo | grep -q LOOPBACK
	run as_uid "$BOB" npte-netns show bnet
	[ "$status" -eq 0 ]
	# root's namespace never got a marker; bob's still names bob
	[ ! -e "$(sb sh -c 'echo /run/npte/netns/prod')" ] || ! sb test -e /run/npte/netns/prod
	sb grep -qx "owner=$BOB" /run/npte/netns/bnet
}

@test "the same for links, addresses, routes and qdiscs: a duplicate killed mid-op is never undone" {
	as_uid "$ALICE" npte-netns create a1 a2
	as_uid "$ALICE" npte-veth add a1 a2
	as_uid "$ALICE" npte-addr add a1 if-a2 10.9.0.1/24
	as_uid "$ALICE" npte-route add a1 10.8.0.0/16 10.9.0.2
	as_uid "$ALICE" npte-netem rate a1 if-a2 20mbit
	local before idx
	before=$(sb_state)
	idx=$(sb ip netns exec a1 cat /sys/class/net/if-a2/ifindex)
	# op index of the mutation in each plan: after one guard (two for veth)
	run as_uid "$ALICE" env NPTE_FAULT_IN=2 "$FAULT/npte-veth" add a1 a2
	[ "$status" -eq 137 ]
	run as_uid "$ALICE" env NPTE_FAULT_IN=1 "$FAULT/npte-addr" add a1 if-a2 10.9.0.1/24
	[ "$status" -eq 137 ]
	run as_uid "$ALICE" env NPTE_FAULT_IN=1 "$FAULT/npte-route" add a1 10.8.0.0/16 10.9.0.2
	[ "$status" -eq 137 ]
	run as_uid "$ALICE" env NPTE_FAULT_IN=1 "$FAULT/npte-netem" rate a1 if-a2 20mbit
	[ "$status" -eq 137 ]
	run as_uid "$ALICE" npte-netns gc
	[ "$status" -eq 0 ]
	[ "$(sb_state)" = "$before" ]
	[ "$(sb ip netns exec a1 cat /sys/class/net/if-a2/ifindex)" = "$idx" ]
}

@test "a kill right after each identity record of a lab create: the next holder removes exactly what that run made" {
	local k rc
	for k in $(seq 1 40); do
		run sb env NPTE_FAULT_MADE="$k" "$FAULT/npte-lab" create
		rc=$status
		[ "$rc" -eq 0 ] && break
		[ "$rc" -eq 137 ] || { echo "k=$k: $output"; return 1; }
		run sb npte-netns gc
		[ "$status" -eq 0 ] || { echo "gc after k=$k: $output"; return 1; }
		[ -z "$(sb ip netns list)" ] || { echo "k=$k left: $(sb ip netns list)"; return 1; }
		[ -z "$(sb ls /run/npte/netns)" ] || { echo "k=$k left markers"; return 1; }
	done
	[ "$rc" -eq 0 ]
	echo "# lab create: $((k - 1)) identity records, each a kill point" >&3
	[ "$k" -gt 20 ]
}

@test "through sudo: ulimit -t/-f and a storm of flocks on /run/netns cannot turn a create into deleting bob's or root's namespace" {
	as bob npte-netns create bnet
	sb ip netns add prod
	local ib ip n
	ib=$(ino bnet)
	ip=$(ino prod)
	# carol, not in group npte, holds 15000 shared flocks on the world-readable /run/netns
	sb runuser -u npte-carol -- sh -c 'ulimit -n "$(ulimit -H -n)"; exec "$@"' sh perl -e 'use Fcntl qw(:DEFAULT :flock); my @h;
		for (1 .. 15000) { sysopen(my $h, "/run/netns", O_RDONLY) or die "open: $!"; flock($h, LOCK_SH) or die; push @h, $h }
		$| = 1; print "$$\n"; sleep 120' >"$BATS_TEST_TMPDIR/storm" 3>&- &
	BG+=($!)
	wait_line "$BATS_TEST_TMPDIR/storm"
	BG+=("$(cat "$BATS_TEST_TMPDIR/storm")")
	for n in bnet prod; do
		# a soft CPU limit of 1 s (raised again by npte) and a file size limit of 0
		# (the journal write would raise SIGXFSZ): the create fails on the name, alive
		run in_as alice "ulimit -S -t 1; ulimit -S -f 0; exec sudo -n \"\$1/npte-netns\" create --wait 20 $n"
		[ "$status" -eq 1 ] || { echo "$n: $status $output"; return 1; }
		[[ "$output" == *"$n: File exists"* ]]
		# a hard CPU limit npte cannot raise without CAP_SYS_RESOURCE is refused up front
		run in_as alice "ulimit -t 1; exec sudo -n \"\$1/npte-netns\" create --wait 20 $n"
		[ "$status" -eq 1 ] || [ "$status" -eq 2 ] || { echo "$n: $status $output"; return 1; }
		[[ "$output" == *"File exists"* || "$output" == *"RLIMIT_CPU"* ]]
	done
	run as alice npte-netns gc
	[ "$status" -eq 0 ]
	[ "$(ino bnet)" = "$ib" ]
	[ "$(ino prod)" = "$ip" ]
	sb ip netns exec prod ip -o link show lo | grep -q LOOPBACK
	run as bob npte-netns show bnet
	[ "$status" -eq 0 ]
}

@test "a flock on /run/netns held by a user outside group npte stalls no one: alice creates, bob adds an address" {
	as bob npte-netns create b1 b2
	as bob npte-veth add b1 b2
	# carol holds /run/netns exclusively (what iproute2 waits on), forever
	sb runuser -u npte-carol -- flock -x /run/netns sh -c 'echo $$; exec sleep 120' >"$BATS_TEST_TMPDIR/held" 3>&- &
	BG+=($!)
	wait_line "$BATS_TEST_TMPDIR/held"
	BG+=("$(cat "$BATS_TEST_TMPDIR/held")")
	# --wait 1: on the audited main both gave up after a second (exit 75)
	run as alice npte-netns create --wait 1 a1
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run as bob npte-addr add --wait 1 b1 if-b2 10.9.0.1/24
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb ip netns exec b1 ip -o addr show dev if-b2 | grep -q 10.9.0.1/24
}

# charged_until_released HOLDER_PID: with max_namespaces = 1 and a1 destroyed
# while something holds it, a1 is listed as still held and a second namespace
# is refused; once HOLDER_PID is killed, a second namespace can be made.
charged_until_released() {
	run as alice npte-netns list
	[ "$output" = "a1 (destroyed, still held)" ] || { echo "list: $output"; return 1; }
	run as alice npte-netns create a2
	[ "$status" -eq 2 ] || { echo "create while held: $status $output"; return 1; }
	[[ "$output" == *"quota: 1 namespaces of yours (destroyed ones still held by a process count until they end) + 1 new"* ]]
	sb kill "$1"
	for _ in $(seq 50); do sb kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	# the kernel frees the namespace in its own time (create waits only 200 ms for that):
	# the charge must go then, and never while held (checked above)
	drained as alice
	run as alice npte-netns create a2
	[ "$status" -eq 0 ] || { echo "create after release: $status $output"; return 1; }
	run as alice npte-netns list
	[ "$output" = a2 ] || { echo "list after: $output"; return 1; }
	as alice npte-netns destroy a2
	drained as alice
	as alice npte-netns create a1
}

@test "a destroyed namespace that something still holds stays charged to its owner, however it is held" {
	local h pid
	# alice runs it: a copy she can reach wherever the tree is (a checkout under /root is not)
	h=$(pubdir)/holdns
	cp "$TOP/build/tests/holdns" "$h"
	chmod 755 "$h"
	sb sh -c 'printf "max_namespaces = 1\n" > /etc/npte/npte.conf'
	as alice npte-netns create a1
	# her own process with an fd on it (the audit's F1: invisible to a /proc scan)
	sb runuser -u npte-alice -- sh -c 'exec 7</run/netns/a1; echo $$; exec sleep 60' >"$BATS_TEST_TMPDIR/p1" 3>&- &
	wait_line "$BATS_TEST_TMPDIR/p1"
	pid=$(cat "$BATS_TEST_TMPDIR/p1")
	BG+=("$pid")
	run as alice npte-netns destroy a1
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb test ! -e /run/netns/a1
	charged_until_released "$pid"
	# a program whose main thread has exited: a thread lives on in it (F2)
	as alice npte-run a1 "$h" thread 60 >"$BATS_TEST_TMPDIR/p2" 3>&- &
	wait_line "$BATS_TEST_TMPDIR/p2"
	pid=$(cat "$BATS_TEST_TMPDIR/p2")
	BG+=("$pid")
	as alice npte-netns destroy a1
	charged_until_released "$pid"
	# the namespace, or an unbound socket made in it, in flight in a unix socket (F3, F4)
	local what
	for what in ns udp; do
		sb runuser -u npte-alice -- "$h" recv "/tmp/holdns-$what" 60 >"$BATS_TEST_TMPDIR/r-$what" 3>&- &
		wait_line "$BATS_TEST_TMPDIR/r-$what"
		pid=$(cat "$BATS_TEST_TMPDIR/r-$what")
		BG+=("$pid")
		run as alice npte-run a1 "$h" send "/tmp/holdns-$what" "$what"
		[ "$status" -eq 0 ] || { echo "send $what: $output"; return 1; }
		[ -z "$(sb ip netns pids a1)" ]
		as alice npte-netns destroy a1
		charged_until_released "$pid"
	done
	# /proc/PID/net/dev of a process in it, held open after that process ended (F5)
	as alice npte-run a1 sh -c 'echo $$; exec sleep 60' >"$BATS_TEST_TMPDIR/p5" 3>&- &
	wait_line "$BATS_TEST_TMPDIR/p5"
	local inner
	inner=$(cat "$BATS_TEST_TMPDIR/p5")
	sb runuser -u npte-alice -- sh -c "exec 7</proc/$inner/net/dev; echo \$\$; exec sleep 60" >"$BATS_TEST_TMPDIR/p6" 3>&- &
	wait_line "$BATS_TEST_TMPDIR/p6"
	pid=$(cat "$BATS_TEST_TMPDIR/p6")
	BG+=("$inner" "$pid")
	sb kill "$inner"
	as alice npte-netns destroy a1
	charged_until_released "$pid"
	rm -r "$(dirname "$h")"
}

@test "a create rolled back while someone holds its new namespace leaves it charged to the caller (second review, F1)" {
	sb sh -c 'printf "max_namespaces = 2\n" > /etc/npte/npte.conf'
	as_uid "$BOB" npte-netns create taken
	# alice's holder opens n1 while the create pauses (lock held) before it reaches 'taken'
	sb runuser -u npte-alice -- sh -c 'until [ -e /run/netns/n1 ]; do sleep 0.02; done; sleep 0.3;
		exec 7</run/netns/n1; echo $$; exec sleep 60' >"$BATS_TEST_TMPDIR/h" 3>&- &
	BG+=($!)
	# ops: quota 0, n1: add 1, lo 2, marker 3; pause after it, then 'taken' fails
	run as_uid "$ALICE" env NPTE_FAULT_PAUSE=3 "$FAULT/npte-netns" create n1 taken
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	wait_line "$BATS_TEST_TMPDIR/h"
	BG+=("$(cat "$BATS_TEST_TMPDIR/h")")
	sb test ! -e /run/netns/n1
	run as_uid "$ALICE" npte-netns list
	[ "$output" = "n1 (destroyed, still held)" ] || { echo "list: $output"; return 1; }
	run as_uid "$ALICE" npte-netns create a1 a2
	[ "$status" -eq 2 ] || { echo "create: $status $output"; return 1; }
	sb kill "$(cat "$BATS_TEST_TMPDIR/h")"
	drained as_uid "$ALICE"
	run as_uid "$ALICE" npte-netns create a1 a2
	[ "$status" -eq 0 ] || { echo "after release: $status $output"; return 1; }
}

@test "a new namespace pinned through /proc/PID/net of npte itself, before it has a name, stays charged when the create fails (third review)" {
	command -v strace >/dev/null || skip "needs strace (to hold the bind mount back)"
	sb sh -c 'printf "max_namespaces = 1\n" > /etc/npte/npte.conf'
	# /run/netns made a shared mount first, so the create's first mount is its bind mount
	as_uid "$ALICE" npte-netns create a0
	as_uid "$ALICE" npte-netns destroy a0
	# the bind mount is held back 5 s and then fails, while npte is inside the new namespace
	sbx strace -f -qq -o /dev/null -e trace=mount -e inject=mount:error=EPERM:delay_enter=5s:when=1 \
		env SUDO_UID="$ALICE" SUDO_GID="$ALICE" npte-netns create n1 >"$BATS_TEST_TMPDIR/c" 2>&1 &
	local bg=$! pid="" home
	# npte-netns in this strace's tree (sbx: $! is strace): the sandbox shares the
	# host's pids, so a bare pgrep could pick up another test's npte-netns or strace;
	# until it is in its new namespace (then held back in the mount for the rest of the 5 s)
	home=$(readlink "/proc/$SB_PID/ns/net")
	for _ in $(seq 200); do
		pid=$(npte_of "$bg" npte-netns) && [ "$(readlink "/proc/$pid/ns/net")" != "$home" ] && break
		sleep 0.02
	done
	[ -n "$pid" ]
	[ "$(readlink "/proc/$pid/ns/net")" != "$home" ]
	# alice (no sudo at all) opens /proc/PID/net/dev of the root process: its new namespace
	sb runuser -u npte-alice -- sh -c 'exec 7</proc/$1/net/dev || exit 9; echo $$; exec sleep 60' sh "$pid" \
		>"$BATS_TEST_TMPDIR/h" 3>&- &
	BG+=($!)
	wait "$bg" || true
	[[ "$(cat "$BATS_TEST_TMPDIR/c")" == *"bind mount"* ]] || { cat "$BATS_TEST_TMPDIR/c"; return 1; }
	wait_line "$BATS_TEST_TMPDIR/h"
	BG+=("$(cat "$BATS_TEST_TMPDIR/h")")
	run as_uid "$ALICE" npte-netns list
	[ "$output" = "n1 (destroyed, still held)" ] || { echo "list: $output"; return 1; }
	run as_uid "$ALICE" npte-netns create x1
	[ "$status" -eq 2 ] || { echo "create: $status $output"; return 1; }
}

@test "gc removing the marker of a namespace root deleted while alice holds it keeps it charged (second review, F5)" {
	sb sh -c 'printf "max_namespaces = 1\n" > /etc/npte/npte.conf'
	as alice npte-netns create a1
	sb runuser -u npte-alice -- sh -c 'exec 7</run/netns/a1; echo $$; exec sleep 60' >"$BATS_TEST_TMPDIR/h" 3>&- &
	BG+=($!)
	wait_line "$BATS_TEST_TMPDIR/h"
	BG+=("$(cat "$BATS_TEST_TMPDIR/h")")
	sb ip netns del a1
	run as alice npte-netns gc
	[[ "$output" == *"remove marker a1: its namespace is gone"* ]] || { echo "$output"; return 1; }
	run as alice npte-netns create a2
	[ "$status" -eq 2 ] || { echo "$status $output"; return 1; }
	[[ "$output" == *quota* ]]
}

@test "another user's hold on alice's namespace does not block her destroy (bob, and carol outside group npte)" {
	as alice npte-netns create a1 a2
	as bob npte-netns create b1
	# bob's sudo'd program in b1 with a1 as stdin, and carol's process with a2 open
	sb runuser -u npte-bob -- sh -c "exec sudo -n $P/npte-run b1 sleep 60 </run/netns/a1" 3>&- &
	BG+=($!)
	sb runuser -u npte-carol -- sh -c 'exec 7</run/netns/a2; echo $$; exec sleep 60' >"$BATS_TEST_TMPDIR/c" 3>&- &
	wait_line "$BATS_TEST_TMPDIR/c"
	BG+=("$(cat "$BATS_TEST_TMPDIR/c")")
	# bob's program runs in b1 (up to 20 s): it is past sudo and holds a1
	for _ in $(seq 400); do [ -n "$(sb ip netns pids b1)" ] && break; sleep 0.05; done
	[ -n "$(sb ip netns pids b1)" ]
	run as alice npte-netns destroy a1 a2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb test ! -e /run/netns/a1
	sb test ! -e /run/netns/a2
	# still charged to alice while held (SECURITY.md: a known limit, shown by list and gc)
	run as alice npte-netns gc
	[[ "$output" == *"still held: a1"* && "$output" == *"still held: a2"* ]]
}

@test "show writes nothing while it holds the lock: a caller's unread pipe stalls no one" {
	as bob npte-netns create b1
	# show's stdout is a pipe already full (64 KiB) that nobody reads
	sb runuser -u npte-bob -- sh -c "{ head -c 65536 /dev/zero; exec sudo -n $P/npte-netns show b1; } | sleep 30" 3>&- &
	BG+=($!)
	sleep 1
	run as alice npte-netns create --wait 2 a1
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run sb npte-lock status
	[[ "$output" == unlocked* ]] || { echo "$output"; return 1; }
}

# descendants PID: the pids below PID, depth first.
descendants() {
	local p
	for p in $(ps -o pid= --ppid "$1"); do
		echo "$p"
		descendants "$p"
	done
}

@test "list takes no lock: a caller's unread pipe on its stdout stalls no one" {
	local bg p blocked=
	# more than stdio's buffer of lines (400 x 12 bytes), so that list
	# writes while it reads, not only at its end
	sb sh -c 'printf "max_namespaces = 400\n" > /etc/npte/npte.conf'
	as bob npte-netns create $(printf 'bobnet%05d ' $(seq 400))
	# list's stdout is a pipe already full (64 KiB) that nobody reads
	sb runuser -u npte-bob -- sh -c "{ head -c 65536 /dev/zero; exec sudo -n $P/npte-netns list; } | sleep 30" 3>&- &
	bg=$!
	BG+=("$bg")
	# until list itself is stuck writing its first line (pipe_write, or
	# anon_pipe_write in newer kernels)
	for _ in $(seq 200); do
		for p in $(descendants "$bg"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = npte-netns ] &&
				[[ "$(cat "/proc/$p/wchan" 2>/dev/null)" == *pipe_write ]] && blocked=$p
		done
		[ -n "$blocked" ] && break
		sleep 0.05
	done
	[ -n "$blocked" ] || { echo "list never blocked on its pipe"; return 1; }
	run as alice npte-netns create --wait 2 a1
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run sb npte-lock status
	[[ "$output" == unlocked* ]] || { echo "$output"; return 1; }
}

# finishes_while_frozen CGROUP FILE ON OFF NAME: a create of NAME started
# inside CGROUP (as sudo from the caller's session would; paused 2 s there
# with the lock held) still finishes while the caller writes ON to FILE.
finishes_while_frozen() {
	local cg=$1 file=$2 on=$3 off=$4 name=$5 bg rc=1
	sb sh -c 'echo $$ > "$1/cgroup.procs"; exec env SUDO_UID="$2" SUDO_GID="$2" NPTE_FAULT_PAUSE=1 "$3/npte-netns" create "$4"' \
		sh "$cg" "$ALICE" "$FAULT" "$name" 3>&- &
	bg=$!
	# it leaves the cgroup before it takes the lock: frozen from then on, it must finish
	locked "npte-netns create" || { wait "$bg"; return 1; }
	echo "$on" > "$cg/$file" 2>/dev/null || true
	for _ in $(seq 100); do sb test -e "/run/npte/netns/$name" && rc=0 && break; sleep 0.05; done
	echo "$off" > "$cg/$file" 2>/dev/null || true
	wait "$bg" || true
	return "$rc"
}

# cgroup2_dir NAME: a fresh cgroup2 directory of the test in $CG (the mount in $MNT), or skip
cgroup2_dir() {
	MNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$MNT" ] || skip "no cgroup2 mounted"
	CG=$MNT/npte-$1-$$-$BATS_TEST_NUMBER
	mkdir "$CG" 2>/dev/null || skip "cannot make a cgroup under $MNT"
}

@test "a cgroup the caller controls cannot freeze npte: it leaves it, and npte-run's program goes back into it" {
	local mnt cg
	cgroup2_dir test
	mnt=$MNT cg=$CG
	chown -R "$ALICE" "$cg"
	as_uid "$ALICE" npte-netns create a1
	# the paused create left alice's cgroup before taking the lock: it finishes
	finishes_while_frozen "$cg" cgroup.freeze 1 0 a2
	sb test -e /run/netns/a2
	# a program started from that cgroup runs in it again
	run sb sh -c 'echo $$ > "$1/cgroup.procs"; exec env SUDO_UID="$2" SUDO_GID="$2" npte-run a1 cat /proc/self/cgroup' sh "$cg" "$ALICE"
	[[ "$output" == *"0::${cg#"$mnt"}"* ]] || { echo "$output"; rmdir "$cg"; return 1; }
	rmdir "$cg"
}

@test "a root-owned cgroup whose control files were handed to alice counts as hers too (third review)" {
	local mnt cg
	cgroup2_dir files
	mnt=$MNT cg=$CG
	chown "$ALICE" "$cg/cgroup.freeze" "$cg/cgroup.procs"
	as_uid "$ALICE" npte-netns create a1
	local rc=0
	finishes_while_frozen "$cg" cgroup.freeze 1 0 a2 || rc=1
	rmdir "$cg"
	[ "$rc" = 0 ]
}

@test "a cgroup path too long for a fixed buffer, and a delegated v1 freezer: npte still leaves and comes back (second review, F2, F6)" {
	local mnt cg deep
	cgroup2_dir long
	mnt=$MNT cg=$CG
	deep=$cg/$(printf 'c%.0s' $(seq 250))/$(printf 'd%.0s' $(seq 250))/$(printf 'e%.0s' $(seq 250))
	mkdir -p "$deep"
	chown -R "$ALICE" "$cg"
	as_uid "$ALICE" npte-netns create a1
	run sb sh -c 'echo $$ > "$1/cgroup.procs"; exec env SUDO_UID="$2" SUDO_GID="$2" npte-run a1 cat /proc/self/cgroup' \
		sh "$deep" "$ALICE"
	[ "$status" -eq 0 ] || { echo "$output"; rmdir "$deep" "${deep%/*}" "${deep%/*/*}" "$cg"; return 1; }
	[[ "$output" == *"0::${deep#"$mnt"}"* ]] || { echo "$output"; rmdir "$deep" "${deep%/*}" "${deep%/*/*}" "$cg"; return 1; }
	rmdir "$deep" "${deep%/*}" "${deep%/*/*}" "$cg"
	# a v1 freezer cgroup alice controls
	local fz
	fz=$(awk '$9 == "cgroup" && $NF ~ /(^|,)freezer(,|$)/ { print $5; exit }' /proc/self/mountinfo)
	[ -n "$fz" ] || { echo "# no cgroup v1 freezer here: v1 part not run" >&3; return 0; }
	cg=$fz/npte-test-$$-$BATS_TEST_NUMBER
	mkdir "$cg" 2>/dev/null || { echo "# cannot make a v1 freezer cgroup: v1 part not run" >&3; return 0; }
	chown -R "$ALICE" "$cg"
	local rc=0
	finishes_while_frozen "$cg" freezer.state FROZEN THAWED a2 || rc=1
	rmdir "$cg"
	[ "$rc" = 0 ]
}

@test "npte-run gives the program the caller's scheduling policy, never a better one; the dry-run says chrt" {
	as_uid "$ALICE" npte-netns create a1
	run sb chrt -i 0 env SUDO_UID="$ALICE" SUDO_GID="$ALICE" npte-run a1 sh -c 'chrt -p $$'
	[ "$status" -eq 0 ]
	[[ "$output" == *SCHED_IDLE* ]] || { echo "$output"; return 1; }
	run sb chrt -i 0 env SUDO_UID="$ALICE" SUDO_GID="$ALICE" npte-run -n a1 true
	[[ "${output//$' \\\n  '/ }" == *"chrt --idle 0"* ]]
}

@test "gc under fd pressure changes nothing it cannot prove: ulimit -n 12, and every open failing with EMFILE" {
	as alice npte-netns create g1 g2 g3
	local before
	before=$(sb_state)
	run in_as alice 'ulimit -S -n 12; exec sudo -n "$1/npte-netns" gc'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "${lines[1]}" = "nothing to repair" ] && [[ "${lines[0]}" == "yours, left in place: g1 g2 g3 ("* ]] ||
		{ echo "$output"; return 1; }
	# a hard limit npte cannot raise (no CAP_SYS_RESOURCE) is refused, not worked around
	run in_as alice 'ulimit -S -n 12; ulimit -H -n 12; exec sudo -n "$1/npte-netns" gc'
	[ "$status" -eq 0 ] || [ "$status" -eq 2 ]
	[ "$status" -eq 0 ] || [[ "$output" == *RLIMIT_NOFILE* ]]
	# the administrator's gc, with every namespace open failing: it stops, exit 1
	run sb env NPTE_FAULT_NSOPEN=24 "$FAULT/npte-netns" gc
	[ "$status" -eq 1 ]
	[[ "$output" == *"Too many open files"* && "$output" == *"nothing was changed"* ]]
	[ "$(sb_state)" = "$before" ]
}

@test "hostile bytes in any value come back escaped on one line, from every binary" {
	local bad=$'x\e[31m\ny' cmd w
	as_uid "$ALICE" npte-netns create n1 n2
	while IFS= read -r cmd; do
		read -r -a w <<<"$cmd"
		run sb env SUDO_UID="$ALICE" SUDO_GID="$ALICE" "${w[@]//BAD/$bad}"
		[ "$status" -eq 2 ] || { echo "$cmd: $status $output"; return 1; }
		# one error line; only a usage text may follow it
		[ "${#lines[@]}" -eq 1 ] || [[ "${lines[1]}" == usage:* ]] || { echo "$cmd: $output"; return 1; }
		! printf '%s' "$output" | grep -qP '[\x00-\x09\x0b-\x1f\x7f]' || { echo "$cmd: raw control byte"; return 1; }
		[[ "${lines[0]}" == *'\x1b[31m\x0ay'* ]] || { echo "$cmd: $output"; return 1; }
	done <<-'EOF'
		npte-netns create BAD
		npte-netem apply n1 lo --delay 1msBAD
		npte-netem apply n1 lo --loss BAD
		npte-netem apply n1 lo --rate BAD
		npte-netem rate n1 lo BAD
		npte-netem apply n1 lo --limit BAD
		npte-addr add n1 lo BAD
		npte-route add n1 BAD 10.0.0.1
		npte-veth add BAD n2
		npte-run -e BAD n1 true
		npte-lab netem --profile BAD
		npte-lock BAD
	EOF
}

@test "a transaction with more than 4096 journal entries killed near its end is rolled back whole" {
	local names
	names=$(printf 'k%d ' $(seq 2100))
	# 1 quota check + 3 ops per namespace = 6301 ops, 4200 of them undoable
	# (journaled); killed after op 6270
	# shellcheck disable=SC2086
	run sb env NPTE_FAULT_AFTER=6270 "$FAULT/npte-netns" create $names
	[ "$status" -eq 137 ]
	[ "$(sb ip netns list | wc -l)" -ge 2090 ]
	run sb npte-netns gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"recovered an interrupted transaction"* ]]
	[ -z "$(sb ip netns list)" ]
	[ -z "$(sb ls /run/npte/netns)" ]
}

@test "a registry of more than 4096 markers is read whole; a marker npte cannot read fails the quota closed" {
	as_uid "$ALICE" npte-netns create r1
	sb sh -c 'for i in $(seq 4200); do printf "owner=0\n" > /run/npte/netns/m$i; done'
	run sb npte-netns list --json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 4201 ]
	[ "$(jq '[.[] | select(.present)] | length' <<<"$output")" -eq 1 ]
	sb sh -c 'printf "garbage" > /run/npte/netns/zz'
	run as_uid "$ALICE" npte-netns create r2
	[ "$status" -eq 1 ]
	[[ "$output" == *"quota: read marker zz"* ]]
	sb test ! -e /run/netns/r2
}

@test "a namespace swapped under its name (ip netns del + add) is not present in list, refused by every verb, repaired by gc" {
	as_uid "$ALICE" npte-netns create sw
	sb ip netns del sw
	sb ip netns add sw
	run as_uid "$ALICE" npte-netns list --json
	[ "$output" = '[{"name":"sw","owner":'"$ALICE"',"present":false}]' ]
	run as_uid "$ALICE" npte-netns show sw
	[ "$status" -eq 2 ]
	run as_uid "$ALICE" npte-run sw true
	[ "$status" -eq 2 ]
	run as_uid "$ALICE" npte-netem rate sw lo 10mbit
	[ "$status" -eq 2 ]
	run as_uid "$ALICE" npte-netns gc
	[[ "$output" == *"remove marker sw: the namespace under that name is not the one npte made"* ]]
	sb test ! -e /run/npte/netns/sw
	# root's namespace is left alone
	sb test -e /run/netns/sw
}

@test "while a dead run's journal is pending, npte-run refuses (exit 75) rather than enter what recovery will remove" {
	as_uid "$ALICE" npte-netns create j0
	# killed right after the marker write of j1 (ops 0-3: quota, add, lo, marker)
	run as_uid "$ALICE" env NPTE_FAULT_AFTER=4 "$FAULT/npte-netns" create j1
	[ "$status" -eq 137 ]
	run as_uid "$ALICE" npte-run j1 true
	[ "$status" -eq 75 ]
	[[ "$output" == *"awaits recovery"* ]]
	run as_uid "$ALICE" npte-netns gc
	[ "$status" -eq 0 ]
	sb test ! -e /run/netns/j1
	run as_uid "$ALICE" npte-run j0 true
	[ "$status" -eq 0 ]
}

# --- issue 16: npte-netem play and npte-lab play (the attacker review) -------

# A directory under /tmp that every user can search, removed by the test.
pubdir() {
	local d
	d=$(mktemp -d /tmp/npte-attack.XXXXXX)
	chmod 755 "$d"
	echo "$d"
}

@test "play opens its file with all of the caller's groups: a group that denies alice a file (she is in 300) denies it through npte too" {
	as alice npte-netns create a1
	local d secret
	d=$(pubdir)
	# alice in 300 more groups (past a 256-entry buffer), in the sandbox's own /etc/group
	cp /etc/group "$d/group"
	for i in $(seq 300); do echo "npteg$i:x:$((60000 + i)):npte-alice" >>"$d/group"; done
	chmod 644 "$d/group"
	sb mount --bind "$d/group" /etc/group
	# world-readable, but not to members of npteg1 (negative group permissions)
	secret="SECRET-$RANDOM$RANDOM"
	echo "$secret rate 1mbit burst 10k latency 50ms" >"$d/secret"
	sb chown root:npteg1 "$d/secret"
	chmod 0604 "$d/secret"
	run sb runuser -u npte-alice -- cat "$d/secret"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	for dry in -n ""; do
		run as alice npte-netem play $dry a1 lo "$d/secret"
		[ "$status" -eq 2 ] || { echo "$output"; rm -r "$d"; return 1; }
		[[ "$output" != *"$secret"* ]] || { echo "leaked: $output"; rm -r "$d"; return 1; }
		[[ "$output" == *"cannot read"*"Permission denied"* ]] || { echo "$output"; rm -r "$d"; return 1; }
	done
	# and a file her groups let her read is read (the many groups are all there)
	echo "0 rate 1mbit burst 10k latency 50ms" >"$d/mine"
	sb chown root:npteg300 "$d/mine"
	chmod 0640 "$d/mine"
	run as alice npte-netem play -n a1 lo "$d/mine"
	rm -r "$d"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

# bgplay USER NAME ARGS...: npte-netem play through sudo as npte-USER in the
# background; its output in $BATS_TEST_TMPDIR/NAME.out, the player's pid
# (npte-netem doing the work, under runuser and sudo: npte_of) in $PLAYER.
bgplay() {
	local u=$1 name=$2 top p
	shift 2
	rm -f "$BATS_TEST_TMPDIR/$name.pid"
	# shellcheck disable=SC2016
	sb sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$BATS_TEST_TMPDIR/$name.pid" \
		runuser -u "npte-$u" -- sudo -n "$P/npte-netem" play "$@" >"$BATS_TEST_TMPDIR/$name.out" 2>&1 </dev/null 3>&- &
	BG+=($!)
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/$name.pid" ] && break; sleep 0.05; done
	top=$(cat "$BATS_TEST_TMPDIR/$name.pid")
	PLAYER=
	for _ in $(seq 100); do
		p=$(npte_of "$top" npte-netem) && PLAYER=$p && break
		sleep 0.05
	done
	[ -n "$PLAYER" ]
	BG+=("$PLAYER")
}

@test "play reads nothing as root: shadow, /proc of root's processes and of npte's own child, devices, FIFOs, sockets, directories; no hang, nothing of them shown" {
	as alice npte-netns create a1
	local d f out
	d=$(pubdir)
	chown npte-alice "$d"
	sb runuser -u npte-alice -- mkfifo "$d/fifo"
	sb runuser -u npte-alice -- python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$d/sock"
	mkdir "$d/dir"
	for f in /etc/shadow /etc/sudoers /proc/1/environ /proc/1/maps /proc/self/environ /proc/self/maps \
		/proc/self/mem /proc/self/auxv /proc/self/stack /proc/self/syscall /proc/self/fd/3 /proc/self/fd/4 \
		/proc/self/cwd/etc/shadow /proc/self/root/etc/shadow /dev/zero /dev/stdin /dev/mem "$d/fifo" "$d/sock" "$d/dir" /root; do
		run sb timeout 10 runuser -u npte-alice -- sudo -n "$P/npte-netem" play -n a1 lo "$f"
		out=$output
		[ "$status" -eq 2 ] || { echo "$f: $status $out"; rm -r "$d"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$f: $out"; rm -r "$d"; return 1; }
		# nothing of the file: no passwd-style line, no address, no environment
		# (the name itself may hold "root:": it is the name alice gave)
		[[ "${out//"$f"/F}" != *"root:"* && "$out" != *"Defaults"* && "$out" != *"PATH="* ]] &&
			! [[ "$out" =~ [0-9a-f]{8}-[0-9a-f]{8} ]] ||
			{ echo "$f: $out"; rm -r "$d"; return 1; }
		[[ "$out" == "npte-netem: play: $f: cannot read it as uid $ALICE: "* || "$out" == "npte-netem: play: $f:1: read: "* ]] ||
			{ echo "$f: $out"; rm -r "$d"; return 1; }
	done
	# an unreadable file and a missing one: what alice's own open says, and no more
	run as alice npte-netem play -n a1 lo /root/nosuch
	[ "$output" = "npte-netem: play: /root/nosuch: cannot read it as uid $ALICE: Permission denied" ]
	run as alice npte-netem play -n a1 lo /etc/shadow
	[ "$output" = "npte-netem: play: /etc/shadow: cannot read it as uid $ALICE: Permission denied" ]
	rm -r "$d"
}

@test "a namespace destroyed and remade under its name mid-play: the player stops within 1 s and never touches the new one" {
	as alice npte-netns create a1
	local d
	d=$(pubdir)
	printf '0 rate 5mbit burst 10k latency 50ms\n1s rate 6mbit burst 10k latency 50ms\n60s end\n' >"$d/s"
	chmod 644 "$d/s"
	bgplay alice p1 --loop a1 lo "$d/s"
	# the second step (at 1 s) is in place: the player is past its start, acting on a1
	for _ in $(seq 40); do
		sb ip netns exec a1 tc qdisc show dev lo | grep -q '^qdisc tbf .*rate 6Mbit' && break
		sleep 0.1
	done
	sb ip netns exec a1 tc qdisc show dev lo | grep -q '^qdisc tbf .*rate 6Mbit'
	as alice npte-netns destroy a1
	as alice npte-netns create a1
	for _ in $(seq 30); do kill -0 "$PLAYER" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$PLAYER" 2>/dev/null || { echo "player still runs"; rm -r "$d"; return 1; }
	grep -q 'the namespace is gone or no longer the one played on' "$BATS_TEST_TMPDIR/p1.out" ||
		{ cat "$BATS_TEST_TMPDIR/p1.out"; rm -r "$d"; return 1; }
	rm -r "$d"
	# the new a1 has the kernel's default root, and nothing is left draining
	[[ "$(sb ip netns exec a1 tc qdisc show dev lo)" != *tbf* ]]
	drained as alice
}

@test "players alice stops or floods stall no one: 10 ms steps (the floor) in 4 loops, and a player stopped with SIGTSTP through sudo; the player keeps only CAP_NET_ADMIN and cannot be read" {
	as alice npte-netns create a1 a2 a3 a4 a5
	local d n t0 t1
	d=$(pubdir)
	awk 'BEGIN { print "0 rate 1mbit burst 10k latency 50ms"
		for (i = 1; i < 2000; i++) printf "%dms rate %dmbit burst 10k latency 50ms\n", i * 10, 1 + i % 2
		print "20s end" }' >"$d/churn"
	printf '0 rate 5mbit burst 10k latency 50ms\n10ms rate 6mbit burst 10k latency 50ms\n20ms end\n' >"$d/ms"
	chmod 644 "$d/churn" "$d/ms"
	for n in 1 2 3 4; do bgplay alice "c$n" --loop a$n lo "$d/churn"; done
	# the player: CAP_NET_ADMIN (bit 12) alone, no new privileges, nothing of it readable by alice.
	# It keeps CAP_SYS_ADMIN too until its start has won the lock against the three
	# others: up to 10 s for the last drop, which one that never drops does not pass
	for _ in $(seq 200); do
		grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$PLAYER/status" && break
		sleep 0.05
	done
	grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$PLAYER/status" || { grep ^Cap "/proc/$PLAYER/status"; rm -r "$d"; return 1; }
	grep -q '^CapBnd:[[:space:]]*0000000000000000$' "/proc/$PLAYER/status"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$PLAYER/status"
	for f in maps mem environ fd/0 stack; do
		! sb runuser -u npte-alice -- cat "/proc/$PLAYER/$f" >/dev/null 2>&1 || { echo "alice read $f"; rm -r "$d"; return 1; }
	done
	! sb runuser -u npte-alice -- timeout 5 strace -p "$PLAYER" -e trace=none >/dev/null 2>&1 || { echo "ptrace"; rm -r "$d"; return 1; }
	# a 10 ms loop stopped by SIGTSTP (what sudo relays when alice stops it; sent to the
	# player itself, since whether sudo relays it depends on its terminal)
	bgplay alice stopped --loop a5 lo "$d/ms"
	sleep 0.3
	kill -TSTP "$PLAYER"
	for _ in $(seq 20); do grep -q '^State:[[:space:]]*T' "/proc/$PLAYER/status" && break; sleep 0.1; done
	# The kernel discards SIGTSTP in an orphaned process group (a run without a
	# terminal, as in CI): the player then goes on playing, which stalls no one either.
	grep -q '^State:[[:space:]]*T' "/proc/$PLAYER/status" ||
		echo "# the player was not stopped (SIGTSTP discarded: orphaned process group); bob is measured anyway" >&3
	for n in 1 2 3; do
		t0=$(date +%s%N)
		run as bob npte-netns create --wait 10 b$n
		t1=$(date +%s%N)
		[ "$status" -eq 0 ] || { echo "bob: $output"; rm -r "$d"; return 1; }
		echo "# bob's create with 4 players of 10 ms steps and a stopped one: $(((t1 - t0) / 1000000)) ms" >&3
		# players at the floor are no CPU hogs; a starved bob gives up at 10 s (exit 75)
		[ $(((t1 - t0) / 1000000)) -lt 8000 ] || { rm -r "$d"; return 1; }
	done
	rm -r "$d"
}

# --- issue 21 item 1: every script npte prints is plain printable text -------
# A dry-run is viewed, piped and pasted into interactive root shells, so each
# byte of it is 0x20..0x7e or a newline; a caller's byte outside that (VKILL
# ^U, ^C, ^W, ^Z, DEL, CR, a tab, ESC [201~ that ends a bracketed paste, OSC,
# UTF-8) makes its word one "$(printf '...')" with that byte as \ooo, which the
# shell turns back into the word.
# Reproduced on 1af6347: ^U erased the quoted word's start in the tty, so
# the rest ran as root before the drop to alice.

load paste

# The root shell syntax that each nasty byte comes before: if it ever runs,
# root appends to /run/pwned in the sandbox.
PWN='$(id >>/run/pwned)'

# nasty: W, CMD words, and E, -e values, with every byte a tty, a line editor
# or a terminal acts on, and one word and one value with every byte 1..255.
nasty() {
	local all
	all=$(printf "$(printf '\\%03o' $(seq 1 255))")
	W=($'\025'"$PWN #" $'\003'"$PWN #" $'\027'"$PWN #" $'\032'"$PWN #" $'x \177\177\177'"$PWN #"
		$'a\r'"$PWN #" $'a\tb' $'\e[201~'"$PWN #" $'\e]0;pwned\a' $'\e]2;pwned\e\\' $'\e[2J\e[31mred'
		$'caf\303\251 \342\202\254' $'\004\026\022\017\023\021' "$all" $'ends in a newline\n' '')
	E=("V1="$'\025'"$PWN #" "V2="$'\e[201~'"$PWN #" "V3=$all" "V4="$'\t\r\n')
}

# The program: its own argv and environment, byte for byte, in /run/out/argv
# (alice's directory in the sandbox). /proc has them as execve got them.
# shellcheck disable=SC2016 # for the sh -c
PROG='od -An -tx1 -v /proc/$$/cmdline /proc/$$/environ >/run/out/t && mv /run/out/t /run/out/argv'

# plain FILE: every byte 0x20..0x7e or a newline, else the lines that are not.
plain() {
	LC_ALL=C grep -a -q '[^ -~]' "$1" || return 0
	echo "bytes outside 0x20..0x7e and newline in ${1##*/}:"
	LC_ALL=C grep -a -n '[^ -~]' "$1" | od -c | head -40
	return 1
}

# paste_attack SHELL...: alice's previews pasted into SHELL, an interactive
# root shell: the audit's reproducer, then W and E; nothing runs as root, the
# program gets what the live run gives, the shell is left as it was.
paste_attack() {
	local e
	local -a args=()
	paste_setup
	nasty
	as alice npte-netns create a1
	sb install -d -o npte-alice -m 0755 /run/out
	# the audit's reproducer (for readline: ESC [201~ ends the bracketed paste first)
	as alice npte-run -n a1 sh -c 'echo hello >/run/out/hello' -- ${BP:+$'\e[201~'} $'\025'"$PWN #" >"$D/repro.sh"
	for e in "${E[@]}"; do args+=(-e "$e"); done
	args+=(a1 -- sh -c "$PROG" sh "${W[@]}")
	as alice npte-run -n "${args[@]}" >"$D/run.sh"
	as alice npte-run "${args[@]}"
	sb mv /run/out/argv /run/out/live
	shell_start "$@"
	BG+=("$("${TM[@]}" display-message -p '#{pid}')")
	[ -z "${PREP:-}" ] || typed "$PREP"
	typed "umask 0027; trap 'echo got usr1' USR1; set -C; mine=kept"
	record 1
	pasted "$D/repro.sh" 1 || echo "the shell did not come back from the reproducer"
	! sb test -e /run/pwned || { echo "root ran alice's text: $(sb cat /run/pwned)"; pane; return 1; }
	[ "$RC" = 0 ] || { echo "reproducer: exit $RC"; pane; return 1; }
	sb grep -qx hello /run/out/hello || { echo "the reproducer's program did not run"; pane; return 1; }
	pasted "$D/run.sh" 2 || echo "the shell did not come back from the preview"
	! sb test -e /run/pwned || { echo "root ran alice's text: $(sb cat /run/pwned)"; pane; return 1; }
	[ "$RC" = 0 ] || { echo "preview: exit $RC"; pane; return 1; }
	sb test -e /run/out/argv || { echo "the program never ran"; pane; return 1; }
	sb cmp /run/out/live /run/out/argv || { echo "argv or environment differ from the live run's"; sb diff /run/out/live /run/out/argv; return 1; }
	record 2
	unchanged 2
	plain "$D/repro.sh"
	plain "$D/run.sh"
}

@test "issue 21: npte-run's preview pasted into dash -i runs nothing of alice's as root, gives her program the live argv" {
	paste_attack dash -i
}

@test "issue 21: npte-run's preview pasted into busybox sh -i runs nothing of alice's as root, gives her program the live argv" {
	command -v busybox >/dev/null || skip "needs busybox"
	paste_attack busybox sh -i
}

@test "issue 21: npte-run's preview pasted into bash --noediting -i runs nothing of alice's as root, gives her program the live argv" {
	paste_attack bash --norc --noprofile --noediting -i
}

@test "issue 21: npte-run's preview pasted into bash with readline and bracketed paste runs nothing of alice's as root, gives her program the live argv" {
	# on by default from bash 5.1; asked for all the same, so that tmux sends it
	BP=1 PREP="bind 'set enable-bracketed-paste on'" paste_attack bash --norc --noprofile -i
}

@test "issue 21: sh of npte-run's preview gives the program the live run's argv and environment, byte for byte" {
	nasty
	local e
	local -a args=()
	as alice npte-netns create a1
	sb install -d -o npte-alice -m 0755 /run/out
	for e in "${E[@]}"; do args+=(-e "$e"); done
	args+=(a1 -- sh -c "$PROG" sh "${W[@]}")
	as alice npte-run -n "${args[@]}" >"$BATS_TEST_TMPDIR/run.sh"
	plain "$BATS_TEST_TMPDIR/run.sh"
	as alice npte-run "${args[@]}"
	sb mv /run/out/argv /run/out/live
	for sh in dash "bash --posix" "busybox sh" posh; do
		command -v "${sh%% *}" >/dev/null || continue
		# shellcheck disable=SC2086 # the shell and its option
		sb $sh "$BATS_TEST_TMPDIR/run.sh" </dev/null || { echo "$sh: exit $?"; return 1; }
		sb cmp /run/out/live /run/out/argv || { echo "$sh: argv or environment differ"; return 1; }
		sb rm /run/out/argv
	done
	sb test ! -e /run/pwned
}

# The dry-run of every verb, with byte B (1..255) in one value a user gives:
# a name, an address, a tc word, an option's value, a file's name or a word
# in it, a CMD word, an -e key or value. @ is where B goes.
EVERY_VALUE='npte-netns create -n @
npte-netns create -n --wait @ a1
npte-netns destroy -n a@
npte-netns show @
npte-veth add -n a1 @
npte-veth del -n @ a2
npte-addr add -n a1 @ 10.9.0.1/24
npte-addr del -n a1 lo 10.9.0.@/24
npte-route add -n a1 @ 10.9.0.1
npte-route add -n a1 default 10.9.0.@
npte-netem apply -n a1 lo delay 1@ms
npte-netem apply -n a1 l@ delay 10ms
npte-netem apply -n a1 lo delay 10ms 1ms distribution norma@
npte-netem apply -n a1 lo --delay @ --loss 1%
npte-netem apply -n a1 lo --loss @
npte-netem apply -n a1 lo delay 10ms --child tbf --child-rate @
npte-netem apply -n a1 lo delay 10ms --child @ --child-rate 1mbit
npte-netem tbf -n a1 lo rate 1mbit burst @ latency 10ms
npte-netem change -n a1 lo delay @
npte-netem rate -n a1 lo @
npte-netem rate -n a1 lo 1mbit --burst 1@
npte-netem clear -n a1 @
npte-netem play -n a1 lo /run/out/f@
npte-netem play -n a1 lo /run/out/c@
npte-netem play -n a1 lo --trace-mahimahi /run/out/ft@ limit 10
npte-netem play -n a1 lo --trace-mahimahi /run/out/trace delay 1@ms
npte-netem play -n a1 lo --trace-mahimahi /run/out/trace --window @
npte-lab create -n --prefix @
npte-lab destroy -n --prefix p@
npte-lab netem -n --down @
npte-lab netem -n --up delay --profile @
npte-lab play -n --profile @
npte-lab status --prefix @
npte-run -n a1 -- @
npte-run -n a1 -- sh -c @ sh @ x@y
npte-run -n -e K=@ -e L=x@y a1 -- true
npte-run -n -e @=v a1 -- true
npte-run -n --wait @ a1 -- true'

@test "issue 21: every verb's dry-run and message, with any byte 1..255 in any value a user gives, is plain printable text" {
	as alice npte-netns create a1
	sb install -d -o npte-alice -m 0755 /run/out
	# shellcheck disable=SC2016 # the loop runs in the sandbox
	sb env SUDO_UID="$ALICE" SUDO_GID="$ALICE" EVERY_VALUE="$EVERY_VALUE" bash -c '
		set -f
		printf "0 delay 10ms\n1s delay 20ms\n" >/run/out/sched
		printf "50\n150\n200\n" >/run/out/trace
		for i in $(seq 1 255); do printf -v "B[$i]" "\\$(printf %03o "$i")"; done
		for i in $(seq 1 255); do
			b=${B[i]}
			[ "$b" = / ] && continue
			cp /run/out/sched "/run/out/f$b"
			cp /run/out/trace "/run/out/ft$b"
			printf "0 delay 10ms\n1s delay 2%sms\n" "$b" >"/run/out/c$b"
		done
		chmod -R a+r /run/out
		while IFS= read -r t; do
			for i in $(seq 1 255); do
				b=${B[i]}
				args=()
				for w in $t; do args+=("${w//@/"$b"}"); done
				echo "== $t (byte $i)"
				"${args[@]}" 2>&1
				echo "== exit $?"
			done
		done <<<"$EVERY_VALUE"
	' >"$BATS_TEST_TMPDIR/every" 2>&1
	plain "$BATS_TEST_TMPDIR/every"
	# the scripts each line printed (the others were refused, and said so)
	awk '/^== npte/ { t = $0; sub(/ \(byte [0-9]+\)$/, "", t); sub(/^== /, "", t) }
		/^#!\/bin\/sh$/ { n[t]++ } END { for (k in n) print n[k], k }' "$BATS_TEST_TMPDIR/every" |
		sort -k2 >"$BATS_TEST_TMPDIR/scripts"
	echo "# $(grep -c '^== exit' "$BATS_TEST_TMPDIR/every") runs, $(awk '{ s += $1 } END { print s }' "$BATS_TEST_TMPDIR/scripts") scripts" >&3
	# a CMD word and an -e value take any byte: a script for each
	grep -qx '255 npte-run -n a1 -- sh -c @ sh @ x@y' "$BATS_TEST_TMPDIR/scripts" || { cat "$BATS_TEST_TMPDIR/scripts"; return 1; }
	grep -qx '255 npte-run -n -e K=@ -e L=x@y a1 -- true' "$BATS_TEST_TMPDIR/scripts"
	# and a file's name (all but /, which makes it a directory): in the script's title
	grep -qx '254 npte-netem play -n a1 lo /run/out/f@' "$BATS_TEST_TMPDIR/scripts"
	grep -qx '254 npte-netem play -n a1 lo --trace-mahimahi /run/out/ft@ limit 10' "$BATS_TEST_TMPDIR/scripts"
}

@test "issue 21: npte-netns show prints a root-made interface name with ESC, BEL or UTF-8 in it as plain text" {
	as alice npte-netns create a1
	sb ip -n a1 link add name $'v\e]0;x\a' type veth peer name $'p\303\251\e[2J'
	run as alice npte-netns show a1
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/show"
	plain "$BATS_TEST_TMPDIR/show"
	[[ "$output" == *'v\x1b]0;x\x07'* ]] || { echo "$output"; return 1; }
	[[ "$output" == *'p\xc3\xa9\x1b[2J'* ]]
}

# --- issue 21 item 5: the caller's autogroup nice does not slow npte ---

# agnice PID: the nice value of PID's autogroup ("/autogroup-N nice X").
agnice() {
	awk '{ print $3 }' /proc/"$1"/autogroup
}

# procnice PID: PID's own nice value (field 19 of stat, 17 after the comm).
procnice() {
	sed 's/.*) //' /proc/"$1"/stat | awk '{ print $17 }'
}

@test "issue 21 item 5: through sudo, a session at autogroup nice 19 (set before npte starts, and again while it waits for the lock) is not npte's" {
	[ -x "$FAULT/npte-netns" ] || skip "fault build missing (make tests)"
	[ -r /proc/self/autogroup ] || skip "the kernel has no autogroups (CONFIG_SCHED_AUTOGROUP)"
	[ "$(cat /proc/sys/kernel/sched_autogroup_enabled)" = 1 ] || skip "autogroups are off (kernel.sched_autogroup_enabled)"
	sb install -d -o npte-alice -m 0755 /run/out
	# a stopped holder, so that alice's create waits for the lock where we look
	sbx env SUDO_UID=4321 SUDO_GID=4321 NPTE_FAULT_PAUSE=1 "$FAULT/npte-netns" create slow 3>&- &
	BG+=($!)
	locked
	freeze_holder
	# shellcheck disable=SC2016 # alice's shell expands these
	sbx runuser -u npte-alice -- setsid sh -c '
		echo 19 >/proc/self/autogroup || exit 9
		sudo -n "$1/npte-netns" create --wait 60 a1 </dev/null &
		echo $! >/run/out/sudo
		until [ -e /run/out/go ]; do sleep 0.05; done
		echo 19 >/proc/self/autogroup && touch /run/out/again
		wait $!' sh "$P" 3>&- &
	local alice=$! sudo= w= p
	BG+=("$alice")
	# the one process of alice's run with npte's lock open: the one that will hold it
	for _ in $(seq 200); do
		sudo=$(sb cat /run/out/sudo 2>/dev/null) || true
		if [ -n "$sudo" ]; then
			for p in $(tree "$sudo"); do
				sb sh -c 'readlink /proc/"$1"/fd/*' sh "$p" 2>/dev/null | grep -qx /run/npte/lock && w=$p
			done
		fi
		[ -n "$w" ] && break
		sleep 0.05
	done
	[ -n "$w" ] || { echo "no process of alice's opened the lock"; return 1; }
	# the attack is set: alice's sudo runs at autogroup nice 19
	[ "$(agnice "$sudo")" = 19 ]
	echo "# sudo $sudo: $(cat /proc/"$sudo"/autogroup); npte $w: $(cat /proc/"$w"/autogroup)" >&3
	[ "$(agnice "$w")" = 0 ]
	[ "$(procnice "$w")" = 0 ]
	# alice writes 19 again, in her session, while npte waits: still not npte's
	sb touch /run/out/go
	for _ in $(seq 200); do sb test -e /run/out/again && break; sleep 0.05; done
	sb test -e /run/out/again
	[ "$(agnice "$sudo")" = 19 ]
	[ "$(agnice "$w")" = 0 ]
	thaw_holder
	wait "$alice"
	sb test -e /run/netns/a1
}

# --- issue 21 item 2: what one user can pin in kernel memory is bounded ---

# SUnreclaim in KiB (host-wide: judged with a wide margin).
sunreclaim() {
	awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo
}

kmem_budget() {
	sb sh -c "printf 'max_kernel_memory = $1\n' > /etc/npte/npte.conf"
}

@test "issue 21: the audit's tbf (rate 8bit limit 1gb) is refused, exit 2, naming the drain time; root is not limited" {
	as alice npte-netns create a1
	run as alice npte-netem tbf a1 lo rate 8bit burst 10kb limit 1gb
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"a full queue takes 1073741824 s to drain, over the 60 s ceiling"* ]] || { echo "$output"; return 1; }
	[[ "$(sb ip netns exec a1 tc qdisc show dev lo)" != *tbf* ]]
	# the dry-run refuses it the same way, before a line of script
	run as alice npte-netem tbf -n a1 lo rate 8bit burst 10kb limit 1gb
	[ "$status" -eq 2 ]
	[[ "$output" == *"1073741824 s to drain"* ]] && [[ "$output" != *'#!/bin/sh'* ]]
	# a drainable queue over the default budget (1 GiB): 64 MiB x 24 > 1 GiB
	run as alice npte-netem tbf a1 lo rate 100mbit burst 100kb limit 64mb
	[ "$status" -eq 2 ]
	[[ "$output" == *"charged 1.5 GiB and your other qdiscs 0 B: over max_kernel_memory = 1 GiB"* ]] || { echo "$output"; return 1; }
	# root (no sudo) is not limited
	run sb npte-netem tbf a1 lo rate 8bit burst 10kb limit 1gb
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb ip netns exec a1 tc qdisc show dev lo | grep -q '^qdisc tbf .*rate 8bit'
}

@test "issue 21: alice fills the largest tbf queue her budget allows with tiny datagrams from many sockets: SUnreclaim grows by no more than the budget" {
	kmem_budget 96m
	as alice npte-netns create a1
	# 4 MiB of queue length x 24 is the budget exactly; a byte more is refused
	run as alice npte-netem tbf a1 lo rate 1mbit burst 10kb limit 4097kb
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"over max_kernel_memory = 96 MiB"* ]] || { echo "$output"; return 1; }
	as alice npte-netem tbf a1 lo rate 1mbit burst 10kb limit 4mb
	local h s0 s1 backlog
	h=$(pubdir)/udpfill
	cp "$TOP/build/tests/udpfill" "$h"
	s0=$(sunreclaim)
	run as alice npte-run a1 "$h" 127.255.255.255 9 400000
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	s1=$(sunreclaim)
	# the queue was filled (it drains at 1 mbit/s: about 125 kB while we look)
	backlog=$(sb ip netns exec a1 tc -s -j qdisc show dev lo | jq '.[0].backlog')
	echo "# $output; backlog $backlog bytes; SUnreclaim +$(( (s1 - s0) / 1024 )) MiB" >&3
	[ "$backlog" -ge $((3 << 20)) ]
	# and everything of alice's has ended: what the kernel holds is within the budget
	[ $((s1 - s0)) -le $(((96 + 64) * 1024)) ]
	rm -rf "${h%/*}"
}

@test "issue 21: the budget is summed over all of alice's namespaces, from what the kernel holds; a request replaces what it replaces" {
	kmem_budget 96m
	as alice npte-netns create a1 a2
	as alice npte-netem tbf a1 lo rate 10mbit burst 10kb limit 3mb
	run as alice npte-netem tbf a2 lo rate 10mbit burst 10kb limit 2mb
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"this request is charged 48 MiB and your other qdiscs 72 MiB: over max_kernel_memory = 96 MiB"* ]] ||
		{ echo "$output"; return 1; }
	[[ "$(sb ip netns exec a2 tc qdisc show dev lo)" != *tbf* ]]
	run as alice npte-netem tbf -n a2 lo rate 10mbit burst 10kb limit 2mb
	[ "$status" -eq 2 ] && [[ "$output" == *"your other qdiscs 72 MiB"* ]]
	# replacing a1's queue: its old charge goes
	as alice npte-netem tbf a1 lo rate 10mbit burst 10kb limit 2mb
	as alice npte-netem tbf a2 lo rate 10mbit burst 10kb limit 2mb
	# the budget is read at each call
	kmem_budget 64m
	run as alice npte-netem change a2 lo rate 10mbit burst 10kb limit 2mb
	[ "$status" -eq 2 ] && [[ "$output" == *"over max_kernel_memory = 64 MiB"* ]] || { echo "$output"; return 1; }
	as alice npte-netem clear a1 lo
	as alice npte-netem change a2 lo rate 10mbit burst 10kb limit 2mb
	# bob is charged his own, not alice's
	as bob npte-netns create b1
	as bob npte-netem tbf b1 lo rate 10mbit burst 10kb limit 2mb
}

@test "issue 24: a topology file shaping six interfaces is charged for all six, through sudo; one over the budget changes nothing" {
	kmem_budget 96m
	local d i
	d=$(pubdir)
	{
		echo "node hub"
		for i in 1 2 3 4 5 6; do echo "node c$i"; echo "link hub c$i"; done
	} >"$d/base"
	# six queues of 0.5 MiB, 12 MiB each (x24): 72 MiB, within 96
	{ cat "$d/base"; for i in 1 2 3 4 5 6; do echo "shape hub if-c$i tbf rate 10mbit burst 10kb limit 512kb"; done; } >"$d/fits.lab"
	# six of 1 MiB: 144 MiB, over it; each alone (24 MiB) is not
	{ cat "$d/base"; for i in 1 2 3 4 5 6; do echo "shape hub if-c$i tbf rate 10mbit burst 10kb limit 1mb"; done; } >"$d/over.lab"
	chmod 0644 "$d"/*.lab
	run as alice npte-lab up "$d/over.lab"
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$status $output"; return 1; }
	[[ "$output" == *"this request is charged 144 MiB and your other qdiscs 0 B: over max_kernel_memory = 96 MiB"* ]] ||
		{ echo "$output"; return 1; }
	[ -z "$(sb ip netns list)" ] || { sb ip netns list; return 1; }
	run as alice npte-lab up -n "$d/over.lab"
	[ "$status" -eq 2 ] && [[ "$output" == *"charged 144 MiB"* ]] || { echo "$output"; return 1; }
	run as alice npte-lab up "$d/fits.lab"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb ip netns exec hub tc qdisc show | grep -c '^qdisc tbf')" -eq 6 ]
	as alice npte-lab down "$d/fits.lab"
	rm -rf "$d"
}

@test "issue 21: a namespace destroyed while alice holds it keeps its queue charged to her until it ends" {
	kmem_budget 96m
	as alice npte-netns create a1
	as alice npte-netem tbf a1 lo rate 10mbit burst 10kb limit 3mb
	# her own fd on it: destroy removes the name, the namespace and its tbf live on
	sb runuser -u npte-alice -- sh -c 'exec 7</run/netns/a1; echo $$; exec sleep 60' >"$BATS_TEST_TMPDIR/h" 3>&- &
	wait_line "$BATS_TEST_TMPDIR/h"
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/h")
	BG+=("$pid")
	as alice npte-netns destroy a1
	sb test ! -e /run/netns/a1
	# so a new namespace cannot take the same budget again (32 of them would
	# have pinned 32 budgets)
	as alice npte-netns create a2
	run as alice npte-netem tbf a2 lo rate 10mbit burst 10kb limit 2mb
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"this request is charged 48 MiB and your other qdiscs 72 MiB: over max_kernel_memory = 96 MiB"* ]] ||
		{ echo "$output"; return 1; }
	# once the namespace has ended, its charge goes with it
	kill "$pid"
	drained as alice
	as alice npte-netem tbf a2 lo rate 10mbit burst 10kb limit 2mb
}

# --- issue 21 item 4: no play claim outlives its player ---
# A claim (/run/npte/play/NS:IFACE) is flocked by its player: the player
# removes it when it ends, destroy and gc remove those nobody holds.

claims() {
	sb find /run/npte/play -mindepth 1 2>/dev/null | sort
}

@test "issue 21 item 4: 200 create/play/destroy cycles leave no claim file; a killed player's claim goes with gc or destroy, a live one's stays" {
	local d i
	d=$(pubdir)
	printf '0 rate 5mbit burst 10k latency 50ms\n10ms rate 6mbit burst 10k latency 50ms\n20ms end\n' >"$d/short"
	printf '0 rate 5mbit burst 10k latency 50ms\n1s rate 6mbit burst 10k latency 50ms\n60s end\n' >"$d/long"
	chmod 644 "$d/short" "$d/long"
	for i in $(seq 200); do
		as alice npte-netns create "c$i"
		as alice npte-netem play "c$i" lo "$d/short" >/dev/null
		as alice npte-netns destroy "c$i"
	done
	[ -z "$(claims)" ] || { claims; rm -r "$d"; return 1; }
	# a player ended by SIGTERM removes its own
	as alice npte-netns create a1 a2 a3
	bgplay alice t --loop a1 lo "$d/long"
	for _ in $(seq 100); do [ -n "$(claims)" ] && break; sleep 0.05; done
	[ "$(claims)" = /run/npte/play/a1:lo ] || { claims; rm -r "$d"; return 1; }
	kill -TERM "$PLAYER"
	for _ in $(seq 100); do kill -0 "$PLAYER" 2>/dev/null || break; sleep 0.05; done
	[ -z "$(claims)" ] || { claims; rm -r "$d"; return 1; }
	# killed players cannot: gc removes the claim of a1's, destroy a3's; a2's player lives
	local k1 k3
	bgplay alice k1 --loop a1 lo "$d/long"
	k1=$PLAYER
	bgplay alice live --loop a2 lo "$d/long"
	bgplay alice k3 --loop a3 lo "$d/long"
	k3=$PLAYER
	for _ in $(seq 100); do [ "$(claims | wc -l)" -eq 3 ] && break; sleep 0.05; done
	[ "$(claims | wc -l)" -eq 3 ] || { claims; rm -r "$d"; return 1; }
	kill -KILL "$k1" "$k3"
	for _ in $(seq 100); do kill -0 "$k1" 2>/dev/null || kill -0 "$k3" 2>/dev/null || break; sleep 0.05; done
	[ "$(claims | wc -l)" -eq 3 ]
	as alice npte-netns destroy a3
	[ "$(claims)" = "$(printf '/run/npte/play/a1:lo\n/run/npte/play/a2:lo')" ] || { claims; rm -r "$d"; return 1; }
	run as alice npte-netns gc -n
	[[ "$output" == *"flock -n"* ]] || { echo "$output"; rm -r "$d"; return 1; }
	run as alice npte-netns gc
	[[ "$output" == *"remove 1 play claim: their players have ended"* ]] || { echo "$output"; rm -r "$d"; return 1; }
	[ "$(claims)" = /run/npte/play/a2:lo ] || { claims; rm -r "$d"; return 1; }
	# the live player's claim still works: a second play on a2 is refused busy
	run as alice npte-netem play a2 lo "$d/short"
	[ "$status" -eq 75 ] || { echo "$status $output"; rm -r "$d"; return 1; }
	rm -r "$d"
}

# --- issue 21 item 3: every file a user names is read with the caller's rights ---
# /proc/PID/stat checks its reader at read(2): a root process with no more
# capabilities than npte shows npte its addresses (start_code, end_code,
# start_stack, ...) and alice zeros. The reader is a child that is alice, and
# a /proc file is refused outright (the child is a copy of npte).

@test "issue 21 item 3: /proc/PID/stat of a capability-less root process, as a schedule or a trace, gives alice nothing she cannot read herself" {
	local pid mine theirs f out k mode t m
	as alice npte-netns create a1
	sbx setpriv --bounding-set=-all --inh-caps=-all sleep 300 </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	BG+=("$pid")
	for _ in $(seq 100); do [ "$(cat /proc/$pid/comm 2>/dev/null)" = sleep ] && break; sleep 0.05; done
	grep -q '^CapPrm:	0000000000000000' /proc/$pid/status
	f=/proc/$pid/stat
	# the fields after the comm: what root reads, what alice reads herself
	theirs=$(sed 's/.*) //' "$f")
	mine=$(sb runuser -u npte-alice -- sed 's/.*) //' "$f")
	read -ra t <<<"$theirs"
	read -ra m <<<"$mine"
	# the leak exists: root sees addresses alice does not (start_code is field 26, index 23 here)
	[ "${t[23]}" != "${m[23]}" ] && [ "${#t[23]}" -ge 6 ]
	for mode in --trace-mahimahi ""; do
		run as alice npte-netem play -n a1 lo ${mode:+"$mode"} "$f"
		out=$output
		[ "$status" -eq 2 ] || { echo "$mode: $status $out"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$mode: $out"; return 1; }
		# no field alice could not read herself (an address) is in the message
		for k in "${!t[@]}"; do
			[ "${t[$k]}" = "${m[$k]}" ] || [ "${#t[$k]}" -lt 4 ] || [[ "$out" != *"${t[$k]}"* ]] ||
				{ echo "$mode: field $((k + 3)) leaked: ${t[$k]}: $out"; return 1; }
		done
		[[ "$out" == "npte-netem: play: $f: cannot read it as uid $ALICE: a file of /proc"* ]] ||
			{ echo "$mode: $out"; return 1; }
	done
}

# --- issue 21 item 7: a player costs what a player should ---
# A step lasts at least 10 ms (SCHED_STEP_MIN_NS): a player changes a qdisc
# at most 100 times a second an interface. Reproduced on 1af6347: a loop of
# 1 ns steps was a root process that spun (~12,500 changes a second).

# cpu_ticks PID: the user and system time PID has used, in clock ticks
cpu_ticks() {
	local f
	read -ra f <<<"$(sed 's/.*) //' "/proc/$1/stat")"
	echo $((f[11] + f[12]))
}

# floor_sched FILE: a loop of two tbf steps 10 ms each
floor_sched() {
	printf '0 rate 5mbit burst 10k latency 50ms\n10ms rate 6mbit burst 10k latency 50ms\n20ms end\n' >"$1"
	chmod 644 "$1"
}

@test "issue 21 item 7: a schedule of 1 ns steps through sudo is refused, exit 2, naming its line and step, and nothing changes; so is a loop whose last step gets no time" {
	as alice npte-netns create a1
	local d q0 mode
	d=$(pubdir)
	awk 'BEGIN { print "0 rate 1mbit burst 10k latency 50ms"
		for (i = 1; i < 20000; i++) printf "%dns rate %dmbit burst 10k latency 50ms\n", i, 1 + i % 2
		print "20000ns end" }' >"$d/churn"
	printf '0 rate 5mbit burst 10k latency 50ms\n10ms rate 6mbit burst 10k latency 50ms\n' >"$d/noend"
	chmod 644 "$d/churn" "$d/noend"
	q0=$(sb ip netns exec a1 tc qdisc show dev lo)
	for mode in "" --loop -n; do
		run as alice npte-netem play $mode a1 lo "$d/churn"
		[ "$status" -eq 2 ] || { echo "$mode: $status $output"; rm -r "$d"; return 1; }
		[ "$output" = "npte-netem: play: $d/churn:2: step 2 at 1ns is 1ns after step 1 (0): a step lasts at least 10ms" ] ||
			{ echo "$mode: $output"; rm -r "$d"; return 1; }
	done
	# once is fine, a loop is not: its last step would last 0 each round
	run as alice npte-netem play -n a1 lo "$d/noend"
	[ "$status" -eq 0 ] || { echo "$output"; rm -r "$d"; return 1; }
	for mode in --loop "-n --loop"; do
		run as alice npte-netem play $mode a1 lo "$d/noend"
		[ "$status" -eq 2 ] || { echo "$mode: $status $output"; rm -r "$d"; return 1; }
		[[ "$output" == "npte-netem: play: $d/noend: --loop: step 2 (line 2, at 10ms) lasts 0 before the round starts over"* ]] ||
			{ echo "$mode: $output"; rm -r "$d"; return 1; }
	done
	rm -r "$d"
	[ "$(sb ip netns exec a1 tc qdisc show dev lo)" = "$q0" ]
	[ -z "$(sb find /run/npte/play -mindepth 1 2>/dev/null)" ]
}

@test "issue 21 item 7: a loop at the floor costs under 20% of one CPU over 2 s, and a stopped player resumes without a burst of the changes it missed" {
	as alice npte-netns create a1 a2
	local d c0 c1 t0 t1 hz ticks ms changes
	d=$(pubdir)
	floor_sched "$d/s"
	hz=$(getconf CLK_TCK)
	bgplay alice cpu --loop --json a1 lo "$d/s"
	# measured once it has dropped to CAP_NET_ADMIN: past its start, playing
	for _ in $(seq 100); do
		grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$PLAYER/status" && break
		sleep 0.05
	done
	c0=$(cpu_ticks "$PLAYER")
	t0=$(date +%s%N)
	sleep 2
	c1=$(cpu_ticks "$PLAYER")
	t1=$(date +%s%N)
	ticks=$((c1 - c0))
	ms=$(((t1 - t0) / 1000000))
	kill -INT "$PLAYER"
	for _ in $(seq 100); do kill -0 "$PLAYER" 2>/dev/null || break; sleep 0.05; done
	changes=$(sb jq -r .changes "$BATS_TEST_TMPDIR/cpu.out")
	echo "# a loop of 10 ms steps: $ticks ticks of $hz/s CPU in $ms ms ($((ticks * 100000 / hz / ms))% of one CPU), $changes changes" >&3
	[ $((ticks * 1000 * 5)) -lt $((hz * ms)) ] || { rm -r "$d"; return 1; }
	# stopped for 2 s (what sudo relays on alice's ^Z, or a long wait on the
	# lock), then continued: it goes on from the step due now. Over T from
	# its start to its end, one that replays the 200 changes it missed makes
	# about T / 10 ms in all, one that skips them (T - 2 s) / 10 ms: the
	# bound is (T - 1 s) / 10 ms.
	t0=$(date +%s%N)
	bgplay alice stop --loop --json a2 lo "$d/s"
	for _ in $(seq 100); do
		grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$PLAYER/status" && break
		sleep 0.05
	done
	kill -STOP "$PLAYER"
	sleep 2
	kill -CONT "$PLAYER"
	sleep 0.5
	kill -INT "$PLAYER"
	for _ in $(seq 100); do kill -0 "$PLAYER" 2>/dev/null || break; sleep 0.05; done
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	changes=$(sb jq -r .changes "$BATS_TEST_TMPDIR/stop.out")
	echo "# stopped 2 s in $ms ms: $changes changes" >&3
	[ $((changes * 10)) -lt $((ms - 1000)) ] || { cat "$BATS_TEST_TMPDIR/stop.out"; rm -r "$d"; return 1; }
	rm -r "$d"
}


@test "issue 21 item 7: alice's ^Z (SIGTSTP to her own sudo) never stops npte while it holds the lock: bob goes on" {
	local try s w st names d stopped=0
	d=$(pubdir)
	chown npte-alice "$d"
	names=$(seq -f 'n%g' 1 30 | tr '\n' ' ')
	for try in 1 2 3 4 5 6 7 8; do
		rm -f "$d/sudo"
		# alice's own shell: her sudo in the background, a TSTP to it a moment
		# into the 30-namespace create (the tries spread over its ~80 ms)
		in_as alice "sudo -n \"\$1/npte-netns\" create $names >/dev/null 2>&1 &
			echo \$! >$d/sudo; sleep 0.0$((try + 1)); kill -TSTP \$!" || true
		s=$(cat "$d/sudo")
		BG+=("$s")
		w=$(npte_of "$s" npte-netns) || w=
		# stopped (or ended): the lock is not held then, and bob creates
		for _ in $(seq 100); do
			st=$(awk '$1 == "State:" { print $2 }' "/proc/$w/status" 2>/dev/null || true)
			[ "$st" = T ] || [ -z "$st" ] || [ "$st" = Z ] && break
			sleep 0.05
		done
		[ "$st" = T ] && stopped=$((stopped + 1))
		run as bob npte-netns create --wait 2 "b$try"
		sb runuser -u npte-alice -- kill -CONT "$s" 2>/dev/null || true
		[ "$status" -eq 0 ] || { echo "try $try (worker $st): $output"; rm -r "$d"; return 1; }
		for _ in $(seq 100); do kill -0 "$s" 2>/dev/null || break; sleep 0.05; done
		# shellcheck disable=SC2086
		as alice npte-netns destroy $names >/dev/null 2>&1 || true
	done
	rm -r "$d"
	echo "# $stopped of 8 tries stopped npte (after its unlock); bob created every time" >&3
	[ "$stopped" -ge 1 ]
}

# --- issue 21 items 6, 8: what stands under /run/npte is opened safely ---
# Root (or a crash) may leave anything where npte keeps a file. Every such
# file is opened with O_NONBLOCK|O_NOFOLLOW and checked to be root's regular
# file: a FIFO never stalls the lock holder, and recovery goes on.

# plant KIND PATH: a FIFO, a symlink, a directory or a socket at PATH, by root.
plant() {
	case "$1" in
	FIFO) sb mkfifo "$2" ;;
	symlink) sb ln -s /etc/shadow "$2" ;;
	directory) sb mkdir "$2" ;;
	socket) sb python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$2" ;;
	esac
}

# alice_within VERB ARGS: npte-netns VERB as alice through sudo, given 20 s,
# with run's status, output and lines. A call that hangs (holding the lock;
# it defers TERM while it does) is ended with everything under it, by pid,
# and status is 124: a regression fails the test instead of hanging the suite.
alice_within() {
	local pid out=$BATS_TEST_TMPDIR/within.out
	nsenter -t "$SB_PID" -m -n -- runuser -u npte-alice -- sudo -n "$P/npte-netns" "$@" \
		</dev/null >"$out" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		# shellcheck disable=SC2046 # pids: one word each
		kill -9 $(tree "$pid") 2>/dev/null || true
		wait "$pid" || true
		status=124
	else
		status=0
		wait "$pid" || status=$?
	fi
	output=$(cat "$out")
	mapfile -t lines <<<"$output"
}

# The lock is free: nobody was left holding it.
lock_free() {
	sb flock -n /run/npte/lock true
}

@test "issue 21 item 8: a FIFO, symlink, directory or socket at /run/npte/journal: the next create moves it aside, says what it was, and nothing hangs" {
	local kind
	as alice npte-netns create a1
	for kind in FIFO symlink directory socket; do
		plant "$kind" /run/npte/journal
		alice_within create a2
		[ "$status" -eq 0 ] || { echo "$kind: $status $output"; return 1; }
		[[ "$output" == *"unreadable journal left by a dead run (/run/npte/journal is a $kind, not a regular file); moved aside"* ]] ||
			{ echo "$kind: $output"; return 1; }
		run sb test -e /run/npte/journal
		[ "$status" -ne 0 ] || { echo "$kind: the journal stayed"; return 1; }
		sb test -e /run/npte/journal.bad
		lock_free
		as bob npte-netns create b1
		as bob npte-netns destroy b1
		as alice npte-netns destroy a2
	done
}

@test "issue 21 item 8: a FIFO at the journal's temporary does not stall the create that writes it" {
	as alice npte-netns create a1
	plant FIFO /run/npte/.journal.tmp
	alice_within create a2
	[ "$status" -eq 0 ] || { echo "$status $output"; return 1; }
	sb test -f /run/npte/netns/a2
	lock_free
}

@test "issue 21 item 8: a FIFO, symlink or directory at a marker path: create says what it found, destroy, gc and list go on, the lock stays free" {
	local kind v
	as alice npte-netns create a1
	for kind in FIFO symlink directory; do
		plant "$kind" /run/npte/netns/a3
		for v in "create a3" "destroy a3" gc list; do
			# shellcheck disable=SC2086 # the verb and its name
			alice_within $v
			[ "$status" -ne 124 ] || { echo "$kind: $v hung"; return 1; }
			lock_free
			case "$v" in
			create*)
				[ "$status" -eq 1 ] || { echo "$kind: $status $output"; return 1; }
				[[ "${lines[0]}" == *"/run/npte/netns/a3 is a $kind, not a regular file; refusing to use it" ]] ||
					{ echo "$kind: $output"; return 1; }
				# rolled back: no namespace without its marker
				sb test ! -e /run/netns/a3 ;;
			destroy*) [ "$status" -eq 2 ] || { echo "$kind: $status $output"; return 1; } ;;
			gc) [ "$status" -eq 0 ] || { echo "$kind: $status $output"; return 1; } ;;
			list) [ "$status" -eq 0 ] && [ "$output" = a1 ] || { echo "$kind: $status $output"; return 1; } ;;
			esac
		done
		# what root planted is root's to remove
		sb test -e /run/npte/netns/a3 || sb test -L /run/npte/netns/a3
		as bob npte-netns create b1
		as bob npte-netns destroy b1
		sb rm -rf /run/npte/netns/a3
	done
}

# --- issue 21 attacker pass ---
# A second look at what the fixes added, as alice through the shipped rule.

@test "attacker pass: a schedule step without a rate keeps the last step's rate in the kernel: its queue is judged at that rate" {
	local d
	as alice npte-netns create a1
	d=$(pubdir)
	# step 2 sets no rate: the player's change keeps step 1's 1 mbit, and 1400
	# packets of 64 KiB take 734 s at it
	printf '0 delay 1ms rate 1mbit limit 10\n1s delay 1ms limit 1400\n2s end\n' >"$d/s"
	chmod 644 "$d/s"
	# the check is the same in the dry-run (this host's kernel may have no netem)
	run as alice npte-netem play -n a1 lo "$d/s"
	rm -r "$d"
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"s to drain, over the 60 s ceiling"* ]] || { echo "$output"; return 1; }
}

@test "attacker pass: a running player's worst step stays charged while it plays a smaller one" {
	local d
	kmem_budget 96m
	as alice npte-netns create a1 a2
	d=$(pubdir)
	# the budget exactly at 30 s; a small queue until then
	printf '0 rate 10mbit burst 10kb limit 100kb\n30s rate 10mbit burst 10kb limit 4mb\n60s end\n' >"$d/s"
	chmod 644 "$d/s"
	bgplay alice p --loop a1 lo "$d/s" || { cat "$BATS_TEST_TMPDIR/p.out"; return 1; }
	for _ in $(seq 100); do sb ip netns exec a1 tc qdisc show dev lo | grep -q tbf && break; sleep 0.05; done
	sb ip netns exec a1 tc qdisc show dev lo | grep -q "tbf 1: root .*rate 10Mbit" || { sb ip netns exec a1 tc qdisc show dev lo; cat "$BATS_TEST_TMPDIR/p.out"; return 1; }
	# while it plays step 1, 72 MiB more: at 30 s she would hold 168 MiB
	run as alice npte-netem tbf a2 lo rate 10mbit burst 10kb limit 3mb
	rm -r "$d"
	[ "$status" -eq 2 ] || { echo "$status $output"; sb ip netns exec a2 tc qdisc show dev lo; return 1; }
	[[ "$output" == *"your other qdiscs 96 MiB: over max_kernel_memory = 96 MiB"* ]] || { echo "$output"; return 1; }
}

@test "attacker pass: netem cell and packet overheads and slots slow the drain: judged as the kernel sends" {
	as alice npte-netns create a1
	local w
	# each passes the plain drain rule (100 frames of 64 KiB at 1 mbit: 52 s)
	# but the kernel sends them 65536 times, 2 times, or 1 a minute slower
	for w in "rate 1mbit 0 1 65535" "rate 1mbit 65535" "rate 1mbit 0 16 65535" "slot 60s packets 1" "slot 1s 60s packets 1" "rate 1gbit slot 60s bytes 1"; do
		# shellcheck disable=SC2086 # the words split
		run as alice npte-netem apply -n a1 lo delay 1ms limit 100 $w
		[ "$status" -eq 2 ] || { echo "$w: $status ${lines[0]}"; return 1; }
		[[ "$output" == *"s to drain, over the 60 s ceiling"* ]] || { echo "$w: $output"; return 1; }
	done
	# what drains in time still goes in
	run as alice npte-netem apply -n a1 lo delay 1ms limit 100 rate 1mbit
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "attacker pass: a tbf's mpu and overhead count for each tiny packet: its queue is judged as the kernel drains it" {
	as alice npte-netns create a1
	local w
	# 4 MiB at 1 mbit drains in 34 s as bytes; as 43-byte datagrams each
	# counted 65535 bytes (mpu) or 65578 (overhead) it takes 14 hours
	for w in "mpu 65535" "overhead 65535" "linklayer atm mpu 65535"; do
		# shellcheck disable=SC2086 # the words split
		run as alice npte-netem tbf -n a1 lo rate 1mbit burst 10kb limit 4mb $w
		[ "$status" -eq 2 ] || { echo "$w: $status ${lines[0]}"; return 1; }
		[[ "$output" == *"s to drain, over the 60 s ceiling"* ]] || { echo "$w: $output"; return 1; }
	done
	run as alice npte-netem tbf -n a1 lo rate 1mbit burst 10kb limit 4mb
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "attacker pass: sh of the preview of a long CMD word of control bytes gives the program that word" {
	local w
	as alice npte-netns create a1
	# 100000 bytes of ^A: npte-run takes it, the live run gives it whole
	w=$(head -c 100000 /dev/zero | tr '\0' '\001')
	run as alice npte-run a1 -- printf %s "$w"
	[ "$status" -eq 0 ] && [ "$output" = "$w" ]
	as alice npte-run -n a1 -- printf %s "$w" >"$BATS_TEST_TMPDIR/run.sh"
	plain "$BATS_TEST_TMPDIR/run.sh"
	run sb dash "$BATS_TEST_TMPDIR/run.sh"
	[ "$status" -eq 0 ] || { echo "dash: exit $status"; return 1; }
	[ "$output" = "$w" ] || { echo "dash gave ${#output} bytes, not the ${#w} of the word"; return 1; }
}

# Issue 23 item 1, through real sudo: ping works as alice without giving her
# a capability. npte-run makes every mount nosuid, so ping's cap_net_raw=ep
# (and any other file capability or setuid bit) is ignored at exec, and the
# namespace's ping_group_range lets her ICMP echo socket through.
@test "issue 23: through sudo, alice pings across her lab (v4 and v6); a file-capability or setuid-root copy gets nothing" {
	command -v ping >/dev/null && command -v setcap >/dev/null || skip "needs ping and setcap"
	as alice npte-lab create
	run as alice npte-run client ping -c1 -w5 172.16.2.2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run as alice npte-run client ping -6 -c1 -w5 fd00:16:2::2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb sh -c 'mkdir -m 0755 /run/xbin && cp /bin/cat /run/xbin/capcat && setcap cap_net_raw,cap_sys_admin=ep /run/xbin/capcat &&
		cp /usr/bin/id /run/xbin/suid-id && chmod 4755 /run/xbin/suid-id'
	run as alice npte-run client /run/xbin/capcat /proc/self/status
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(awk '$1 ~ /^Cap(Inh|Prm|Eff|Bnd|Amb):$/ { print $2 }' <<<"$output" | sort -u)" = 0000000000000000 ] ||
		{ echo "$output"; return 1; }
	run as alice npte-run client /run/xbin/suid-id -u
	[ "$output" = "$ALICE" ]
	run as alice npte-run client /run/xbin/suid-id -ru
	[ "$output" = "$ALICE" ]
}

@test "issue 23 item 8: through sudo, npte-run client -e FOO=bar sh says options go before NS (exit 2)" {
	as alice npte-netns create client
	run as alice npte-run client -e FOO=bar sh -c 'echo ran'
	[ "$status" -eq 2 ]
	[ "$output" = "npte-run: -e after NS: options go before NS: npte-run [OPTIONS] NS [--] PROGRAM..." ]
	run as alice npte-run -e FOO=bar client sh -c 'echo $FOO'
	[ "$output" = bar ]
}

# gone PID: PID has ended (up to 2 s, for its parent to reap it)
gone() {
	for _ in $(seq 40); do sb kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

@test "issue 23 item 2: destroy names alice's own processes that hold her lab, never bob's or root's; --kill ends hers only" {
	local t=$BATS_TEST_TMPDIR mine bobs roots
	for round in plain kill; do
		as alice npte-lab create
		# her program in the server, bob's and root's processes in her router (root put them
		# there), bob's fd on her client
		# (the second time it ignores SIGTERM: --kill's SIGKILL after 2 s ends it)
		as alice npte-run server sh -c "$([ "$round" = kill ] && echo 'trap "" TERM; ')"'echo $$; exec sleep 60' \
			>"$t/a-$round" 3>&- &
		BG+=($!)
		sb ip netns exec router runuser -u npte-bob -- sh -c 'echo $$; exec sleep 60' >"$t/b-$round" 3>&- &
		BG+=($!)
		sb ip netns exec router sh -c 'echo $$; exec sleep 60' >"$t/r-$round" 3>&- &
		BG+=($!)
		sb runuser -u npte-bob -- sh -c 'exec 7</run/netns/client; echo $$; exec sleep 60' >"$t/f-$round" 3>&- &
		BG+=($!)
		for f in a b r f; do wait_line "$t/$f-$round"; BG+=("$(cat "$t/$f-$round")"); done
		mine=$(cat "$t/a-$round") bobs=$(cat "$t/b-$round") roots=$(cat "$t/r-$round")
		if [ "$round" = plain ]; then
			run as alice npte-lab destroy
			[ "$status" -eq 0 ] || { echo "$output"; return 1; }
			[[ "$output" == *"npte-lab: destroy: server: still held by your process $mine (sleep); it lives on"* ]] ||
				{ echo "$output"; return 1; }
			sb kill -0 "$mine"
		else
			# SIGTERM (bit 14 of SigIgn) is ignored by her program
			[ $((0x$(sb awk '/^SigIgn/ {print $2}' "/proc/$mine/status") & 0x4000)) -ne 0 ]
			run as alice npte-lab destroy --kill
			[ "$status" -eq 0 ] || { echo "$output"; return 1; }
			[[ "$output" != *server* ]] || { echo "$output"; return 1; }
			# hers ended (sudo, its parent, reaps it: a zombie answers kill -0 a moment)
			gone "$mine" || { echo "alice's $mine lives on"; return 1; }
		fi
		[[ "$output" == *"npte-lab: destroy: router: still held by something ("* ]] || { echo "$output"; return 1; }
		[[ "$output" == *"npte-lab: destroy: client: still held by something ("* ]] || { echo "$output"; return 1; }
		[ "${#lines[@]}" -eq "$([ "$round" = plain ] && echo 3 || echo 2)" ] || { echo "$output"; return 1; }
		[[ "$output" != *"$bobs ("* && "$output" != *"$roots ("* ]]
		# never bob's or root's
		sb kill -0 "$bobs"
		sb kill -0 "$roots"
		sb test ! -e /run/netns/server
	done
	# npte-netns: --kill with --all; nothing left to say
	as alice npte-netns create a1
	as alice npte-run a1 sh -c 'echo $$; exec sleep 60' >"$t/n" 3>&- &
	BG+=($!)
	wait_line "$t/n"
	mine=$(cat "$t/n")
	BG+=("$mine")
	run as alice npte-netns destroy --kill --all
	[ "$status" -eq 0 ] && [ -z "$output" ] || { echo "$status $output"; return 1; }
	gone "$mine" || { echo "alice's $mine lives on"; return 1; }
}

# destroy --kill ends a program (SIGTERM, its 2 s of grace) after the
# unlock: a program that ignores SIGTERM holds up only its own caller.
@test "issue 23: alice's destroy --kill of a program that ignores SIGTERM does not hold bob up" {
	local t=$BATS_TEST_TMPDIR mine
	as alice npte-netns create a1 a2
	sb mkdir -m 1777 /run/tg
	as alice npte-run a1 sh -c 'trap "echo term >>/run/tg/got" TERM; echo $$; while :; do sleep 0.05; done' >"$t/n" 3>&- &
	BG+=($!)
	wait_line "$t/n"
	mine=$(cat "$t/n")
	BG+=("$mine")
	as alice npte-netns destroy --kill --all >"$t/out" 2>&1 3>&- &
	BG+=($!)
	for _ in $(seq 400); do sb test -s /run/tg/got && break; sleep 0.05; done
	sb test -s /run/tg/got || { echo "no SIGTERM reached alice's program"; return 1; }
	# her program lives on in its grace: the lock is free for bob all the while
	sb kill -0 "$mine"
	run as bob npte-netns create b1 --wait 1
	[ "$status" -eq 0 ] || { echo "bob waited on alice's --kill: $status $output"; return 1; }
	wait "${BG[-1]}"
	gone "$mine" || { echo "alice's $mine lives on"; return 1; }
	[ ! -s "$t/out" ] || { cat "$t/out"; return 1; }
	sb test ! -e /run/netns/a1 -a ! -e /run/netns/a2 -a -e /run/netns/b1
}

# ms_since NS: milliseconds since NS (date +%s%N)
ms_since() {
	local now
	now=$(date +%s%N)
	echo $(((now - $1) / 1000000))
}

# stop_hers PID: until PID ends, alice (through runuser, so the kernel checks
# that she may) stops every process of hers under PID that is npte-netns:
# the children destroy's --kill and report run as her.
stop_hers() {
	local p
	while kill -0 "$1" 2>/dev/null; do
		for p in $(tree "$1"); do
			[ "$(cat /proc/"$p"/comm 2>/dev/null)" = npte-netns ] || continue
			[ "$(awk '/^Uid:/ { print $2 }' /proc/"$p"/status 2>/dev/null)" = "$ALICE" ] || continue
			grep -q '^State:.*T' /proc/"$p"/status 2>/dev/null && continue
			sb runuser -u npte-alice -- kill -STOP "$p" 2>/dev/null || true
		done
		sleep 0.01
	done
}

# Issue 23 attacker pass: --kill's walks run in a child that is alice, which
# she may stop (npte kills it at its deadline, 3 s for the SIGKILL's walk):
# none of them may run under the global lock, or her destroy --kill --all
# stalls every other user's verb by 3 s a namespace.
@test "issue 23 attacker pass: alice stopping the children of destroy --kill --all that are her holds the lock no longer than a destroy: bob goes on" {
	local t=$BATS_TEST_TMPDIR n pids=() start
	as alice npte-netns create a1 a2 a3
	for n in a1 a2 a3; do
		as alice npte-run "$n" sh -c 'trap "" TERM; echo $$; exec sleep 60' >"$t/$n" 3>&- &
		BG+=($!)
	done
	for n in a1 a2 a3; do wait_line "$t/$n"; pids+=("$(cat "$t/$n")"); done
	BG+=("${pids[@]}")
	as alice npte-netns destroy --kill --all >"$t/out" 2>&1 3>&- &
	BG+=($!)
	stop_hers "${BG[-1]}" 3>&- &
	BG+=($!)
	# the first name gone: two namespaces are left to destroy
	for _ in $(seq 1500); do sb test -e /run/netns/a1 || break; sleep 0.01; done
	sb test ! -e /run/netns/a1 || { for p in $(tree "${BG[-2]}"); do grep -E "^(Name|State|Uid)" /proc/$p/status | tr "\n" " "; echo; done; cat "$t/out"; sb npte-lock status; return 1; }
	start=$(date +%s%N)
	run as bob npte-netns create --wait 1 b1
	[ "$status" -eq 0 ] || { echo "bob waited $(ms_since "$start") ms: $status $output"; return 1; }
	wait "${BG[-2]}" || true
	for n in a1 a2 a3; do sb test ! -e "/run/netns/$n"; done
}

# Issue 23 attacker pass: a marker whose namespace root removed behind npte
# (ip netns del) is in root's /run/npte only; a create over it must say what
# a create over any taken name says, and its rollback of nothing nothing.
@test "issue 23 attacker pass: a create over bob's marker left without its namespace says only that the name is taken, in one line" {
	as bob npte-netns create bgone
	as alice npte-netns create agone
	sb ip netns del bgone
	sb ip netns del agone
	local before
	before=$(sb cat /run/npte/netns/bgone)
	run as alice npte-netns create bgone
	[ "$status" -eq 1 ] || { echo "$status $output"; return 1; }
	[ "$output" = "npte-netns: create: bgone: File exists: the name is taken; choose another name" ] ||
		{ echo "$output"; return 1; }
	[ "$(sb cat /run/npte/netns/bgone)" = "$before" ]
	sb test ! -e /run/netns/bgone
	# her own: where it comes from, and what removes it; one line too
	run as alice npte-netns create agone
	[ "$status" -eq 1 ] || { echo "$status $output"; return 1; }
	[ "$output" = "npte-netns: create: agone: a marker already exists (left by an earlier run; npte-netns destroy agone removes it)" ] ||
		{ echo "$output"; return 1; }
	sb test ! -e /run/netns/agone
}

# Issue 23 attacker pass: the dry-run makes every mount nosuid by name, from
# mountinfo; a mount point is any bytes (a FUSE mount of a user's, a USB
# stick's label), and a name that ends in a newline lost it to $(...).
# (/run/m got it twice, and /run/m<newline> was left as it was.)
@test "issue 23 attacker pass: npte-run's preview makes a mount nosuid whatever its name (blank, tab, backslash, trailing newline), as the live run does" {
	as alice npte-netns create a1
	sb sh -c 'for d in "/run/m
" "/run/a b" "/run/t	x" "/run/bs\\040x"; do mkdir -p "$d" && mount -t tmpfs t "$d"; done; mkdir /run/m && mount -t tmpfs t /run/m'
	# the mounts the program reaches without nosuid (field 6: the mount's own
	# options; of a mount point's stack the last, which hides those under it)
	local prog='awk '\''{ o[$5] = $6 } END { for (m in o) if (o[m] !~ /(^|,)nosuid(,|$)/) print "suid:", m }'\'' /proc/self/mountinfo; echo done'
	run as alice npte-run a1 sh -c "$prog"
	[ "$status" -eq 0 ] && [ "$output" = done ] || { echo "live: $status $output"; return 1; }
	as alice npte-run -n a1 sh -c "$prog" >"$BATS_TEST_TMPDIR/run.sh"
	run sb dash "$BATS_TEST_TMPDIR/run.sh"
	[ "$status" -eq 0 ] && [ "$output" = done ] || { echo "script: $status $output"; return 1; }
}

# Issue 23 attacker pass: what guards a mount the host adds after npte-run's
# nosuid step (it propagates in through MS_SLAVE, without nosuid) is the
# empty bounding set and NO_NEW_PRIVS, as SECURITY.md says: checked here.
@test "issue 23 attacker pass: a mount the host adds while alice's program runs gives her file-capability and setuid-root binaries nothing" {
	command -v setcap >/dev/null || skip "needs setcap"
	local t=$BATS_TEST_TMPDIR
	as alice npte-netns create a1
	sb mkdir /run/netns/late
	# shellcheck disable=SC2016 # her program's own words
	as alice npte-run a1 sh -c 'while [ ! -e /run/netns/late/go ]; do sleep 0.05; done
		/run/netns/late/capcat /proc/self/status; echo "capcat: $?"; /run/netns/late/suid-id -u' >"$t/out" 2>&1 3>&- &
	BG+=($!)
	sb sh -c 'mount -t tmpfs -o mode=0755 late /run/netns/late && cp /bin/cat /run/netns/late/capcat &&
		setcap cap_net_raw,cap_sys_admin=ep /run/netns/late/capcat && cp /usr/bin/id /run/netns/late/suid-id &&
		chmod 4755 /run/netns/late/suid-id && touch /run/netns/late/go'
	wait "${BG[-1]}" || true
	sb umount /run/netns/late
	# a binary that requires capabilities the bounding set lacks fails to run
	# (126), or (where the copy came in nosuid, as 6.18 gives it) runs with none
	if ! grep -qx 'capcat: 126' "$t/out"; then
		grep -qx 'capcat: 0' "$t/out" || { cat "$t/out"; return 1; }
		[ "$(awk '$1 ~ /^Cap(Inh|Prm|Eff|Bnd|Amb):$/ { print $2 }' "$t/out" | sort -u)" = 0000000000000000 ] ||
			{ cat "$t/out"; return 1; }
	fi
	[ "$(tail -1 "$t/out")" = "$ALICE" ] || { cat "$t/out"; return 1; }
}

@test "issue 24 attacker pass: up/status/play -n/down FILE through sudo under umask 0777, ulimit -f 0, ulimit -n 16, fds 0-2 closed and an unreadable cwd" {
	local d
	d=$(mktemp -d /tmp/npte-att.XXXXXX)
	chmod 0755 "$d"
	printf '0 delay 10ms\n' >"$d/s.sched"
	printf 'node ta\nnode tb\nlink ta tb 10.9.1.1/24 10.9.1.2/24\nplay ta if-tb s.sched\n' >"$d/t.lab"
	chmod 0644 "$d"/*
	mkdir -m 0700 "$d/cwd"
	chown "$ALICE" "$d/cwd"
	local lim v
	for lim in "umask 0777" "ulimit -S -f 0" "ulimit -S -n 16" "exec 0<&- 1>&- 2>&-" "cd \"$d/cwd\" && chmod 0 ."; do
		for v in "up" "status" "play -n" "down"; do
			run in_as alice "$lim; exec sudo -n \"\$1/npte-lab\" $v \"$d/t.lab\" >/dev/null"
			# play -n: this kernel may have no sch_netem, and a preview reads the same file
			[ "$status" -eq 0 ] || { echo "$lim: $v: $status $output"; rm -rf "$d"; return 1; }
		done
		# down took all of it, whatever the limits
		[ -z "$(sb ip netns list)" ] || { echo "$lim: left"; sb ip netns list; rm -rf "$d"; return 1; }
		[ -z "$(sb ls /run/npte/netns)" ] || { echo "$lim: markers left"; rm -rf "$d"; return 1; }
	done
	rm -rf "$d"
}

@test "issue 24 attacker pass: up FILE killed after every op: status FILE says so, down FILE recovers it, nothing of it is left, bob's lab is untouched" {
	local d k before
	d=$(mktemp -d /tmp/npte-att.XXXXXX)
	chmod 0755 "$d"
	printf 'node ka\nnode kr forward\nnode kb\nlink ka kr 10.9.1.2/24 10.9.1.1/24\nlink kb kr 10.9.2.2/24 10.9.2.1/24\nroute ka 10.9.2.0/24 via 10.9.1.1\nshape kr if-kb tbf rate 10mbit burst 16k limit 64k\n' >"$d/t.lab"
	chmod 0644 "$d/t.lab"
	as_uid "$BOB" npte-lab create --prefix b
	before=$(sb_state)
	for k in $(seq 1 200); do
		run as_uid "$ALICE" env NPTE_FAULT_AFTER="$k" "$FAULT/npte-lab" up "$d/t.lab"
		[ "$status" -eq 0 ] && break
		[ "$status" -eq 137 ] || { echo "op $k: $status $output"; rm -rf "$d"; return 1; }
		# a reader says a recovery is due and changes nothing; down recovers it whole
		run as_uid "$ALICE" npte-lab status "$d/t.lab"
		[[ "$output" == *"awaits recovery"* ]] || { echo "op $k: status: $output"; rm -rf "$d"; return 1; }
		run as_uid "$ALICE" npte-lab down "$d/t.lab"
		[ "$status" -eq 0 ] || { echo "op $k: down: $output"; rm -rf "$d"; return 1; }
		[ "$(sb_state)" = "$before" ] || { echo "op $k:"; diff <(echo "$before") <(sb_state); rm -rf "$d"; return 1; }
		sb test ! -e /run/npte/journal || { echo "op $k: journal left"; rm -rf "$d"; return 1; }
	done
	[ "$k" -gt 5 ] && [ "$k" -lt 200 ] || { echo "ran to op $k"; rm -rf "$d"; return 1; }
	run as_uid "$ALICE" npte-lab down "$d/t.lab"
	[ "$(sb_state)" = "$before" ] || { diff <(echo "$before") <(sb_state); rm -rf "$d"; return 1; }
	rm -rf "$d"
}
