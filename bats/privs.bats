#!/usr/bin/env bats
# Process hygiene and privilege: what a root npte process keeps, observed
# from outside through /proc while it waits for the lock, in a sandbox.

load sandbox

setup() {
	sandbox_setup
}

teardown() {
	rm -f "$BATS_TEST_TMPDIR/gate" # the external holder's cue to let go
	for p in ${NPTE_PID:-} ${FLOCK_BG:-}; do kill "$p" 2>/dev/null || true; done
	sandbox_teardown
}

# Start "$@" (a command that is or execs npte-netns) in the sandbox while an
# external flock holds npte's lock until release_lock, and wait (up to 10 s)
# until it sits waiting there: npte-netns itself (not nsenter or a shell before
# their exec) with the lock file open, which it opens only after it has dropped
# its privileges. Its pid in NPTE_PID.
waiting_npte() {
	local gate=$BATS_TEST_TMPDIR/gate
	sb install -d -m 0700 /run/npte /run/npte/netns
	touch "$gate"
	sb flock /run/npte/lock sh -c 'while [ -e "$1" ]; do sleep 0.05; done' sh "$gate" 3>&- &
	FLOCK_BG=$!
	locked
	sbx "$@" 3>&- &
	NPTE_PID=$!
	for _ in $(seq 200); do
		[ "$(cat "/proc/$NPTE_PID/comm" 2>/dev/null)" = npte-netns ] &&
			sb ls -l "/proc/$NPTE_PID/fd" 2>/dev/null | grep -q ' -> /run/npte/lock$' && return 0
		sleep 0.05
	done
	echo "npte-netns never waited for the lock: $(cat "/proc/$NPTE_PID/comm" 2>/dev/null)"
	return 1
}

release_lock() {
	rm "$BATS_TEST_TMPDIR/gate"
	wait "$FLOCK_BG"
}

field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$NPTE_PID/status"; }

@test "a waiting create keeps only CAP_SYS_ADMIN and CAP_NET_ADMIN, no bounding set, NoNewPrivs" {
	waiting_npte npte-netns create --wait 20 waiting
	# bit 12 = CAP_NET_ADMIN, bit 21 = CAP_SYS_ADMIN
	[ "$(field CapEff)" = 0000000000201000 ]
	[ "$(field CapPrm)" = 0000000000201000 ]
	[ "$(field CapInh)" = 0000000000000000 ]
	[ "$(field CapBnd)" = 0000000000000000 ]
	[ "$(field CapAmb)" = 0000000000000000 ]
	[ "$(field NoNewPrivs)" = 1 ]
	# not dumpable: /proc/PID/environ is root-only and empty after clearenv
	[ "$(stat -c %U "/proc/$NPTE_PID/environ")" = root ]
	[ ! -s "/proc/$NPTE_PID/environ" ] || [ -z "$(tr -d '\0' <"/proc/$NPTE_PID/environ")" ]
	release_lock
	wait "$NPTE_PID"
}

@test "inherited umask, fds and cwd do not reach npte" {
	# umask 0777 and a blocked SIGTERM from the caller; fd 7 left open.
	waiting_npte sh -c 'umask 0777; exec 7</dev/null; exec npte-netns create --wait 20 waiting'
	[ "$(field Umask)" = 0022 ]
	# only 0, 1, 2 and its own (the lock, /run/npte dirs) remain; never fd 7's /dev/null
	run ls -l "/proc/$NPTE_PID/fd"
	[[ "$output" != *" 7 -> /dev/null"* ]]
	[ "$(readlink "/proc/$NPTE_PID/cwd")" = / ]
	release_lock
	wait "$NPTE_PID"
	# and the marker made once the lock freed is 0600 despite the caller's umask
	run sb stat -c %a /run/npte/netns/waiting
	[ "$output" = 600 ]
}

@test "LD_PRELOAD or GLIBC_TUNABLES in the environment: exit 2, nothing made" {
	run sb env LD_PRELOAD=/nonexistent.so npte-netns create a
	[ "$status" -eq 2 ]
	[[ "$output" == *"refusing to run with LD_PRELOAD"* ]]
	run sb env GLIBC_TUNABLES=glibc.malloc.check=3 npte-netns create a
	[ "$status" -eq 2 ]
	[[ "$output" == *"GLIBC_TUNABLES"* ]]
	run sb test -e /run/netns/a
	[ "$status" -ne 0 ]
	run sb test -e /run/npte
	[ "$status" -ne 0 ]
}

@test "SUDO_UID is parsed strictly: -1, 4294967295, junk and a missing SUDO_GID are refused" {
	for bad in -1 4294967295 1a ' 1' 01 ''; do
		run sb env SUDO_UID="$bad" SUDO_GID=0 npte-netns create a
		[ "$status" -eq 2 ] || { echo "SUDO_UID='$bad' gave $status"; false; }
	done
	run sb env SUDO_UID=1000 npte-netns create a
	[ "$status" -eq 2 ]
	run sb test -e /run/netns/a
	[ "$status" -ne 0 ]
}

@test "/run/npte that is not root's 0700 directory is refused" {
	sb mkdir -m 0755 /run/npte
	run sb npte-netns create a
	[ "$status" -eq 1 ]
	[[ "$output" == *"mode 0700"* ]]
	run sb test -e /run/netns/a
	[ "$status" -ne 0 ]
	sb rmdir /run/npte
	sb ln -s /tmp /run/npte
	run sb npte-netns create a
	[ "$status" -eq 1 ]
	[[ "$output" == *"/run/npte is a symlink, not a directory; refusing to use it"* ]]
}

@test "run as root from a path a user could write: every binary refuses with exit 2 and does nothing" {
	local b
	sb install -d -m 0755 /run/good /run/good/sbin
	sb install -d -m 0777 /run/open
	for b in npte-netns npte-veth npte-addr npte-route npte-netem npte-run npte-lock npte-lab npte-doctor; do
		sb install -m 0755 "$TOP/build/bin/$b" /run/open/$b
		run sb /run/open/$b --version
		[ "$status" -eq 2 ] || { echo "$b: $status $output"; return 1; }
		[[ "$output" == *"refusing to run as root: /run/open is writable by a non-root user"* ]]
		# the same file, root-owned 0755 below root-owned directories, runs
		sb install -m 0755 "$TOP/build/bin/$b" /run/good/sbin/$b
		run sb /run/good/sbin/$b --version
		[ "$status" -eq 0 ] || { echo "$b: $status $output"; return 1; }
		# a group-writable executable is refused too
		sb chmod 0775 /run/good/sbin/$b
		run sb /run/good/sbin/$b --version
		[ "$status" -eq 2 ]
		[[ "$output" == *"/run/good/sbin/$b is writable by a non-root user"* ]]
	done
	run sb /run/open/npte-netns create a
	[ "$status" -eq 2 ]
	[ -z "$(sb ip netns list)" ]
}
