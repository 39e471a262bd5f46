#!/usr/bin/env bats

# npte-run in a sandbox, for a real user (npte-alice, made if absent): the
# program runs in the namespace as the caller with nothing privileged left,
# a fresh environment, the namespace's own /sys and /etc/netns files, and
# npte-run's exit codes. Called as root with SUDO_UID/SUDO_GID as sudo would
# set them (bats/sudo.bats runs it through real sudo).

load sandbox
bats_require_minimum_version 1.5.0

setup_file() {
	stage_install
}

setup() {
	alice_sandbox
	nrun npte-netns create box peer
	nrun npte-veth add box peer
}

teardown() {
	sandbox_teardown
}

@test "the program runs as the caller: uid, gid and groups; empty capability sets; NoNewPrivs" {
	run nrun npte-run box cat /proc/self/status
	[ "$status" -eq 0 ]
	local want_groups
	want_groups=$(id -G npte-alice | tr ' ' '\n' | sort -n | tr '\n' ' ')
	[ "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' <<<"$output")" = "$A $A $A $A" ]
	[ "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' <<<"$output")" = "$G $G $G $G" ]
	[ "$(awk '$1 == "Groups:" { $1 = ""; print }' <<<"$output" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" = "$want_groups" ]
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(awk -v k="$c:" '$1 == k { print $2 }' <<<"$output")" = 0000000000000000 ] ||
			{ echo "$c: $output"; return 1; }
	done
	[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"$output")" = 1 ]
}

@test "it is inside the namespace: the same net namespace inode, and /sys/class/net shows its links" {
	local want
	want=$(sb ip netns exec box readlink /proc/self/ns/net)
	run nrun npte-run box readlink /proc/self/ns/net
	[ "$output" = "$want" ]
	[ "$output" != "$(sb readlink /proc/self/ns/net)" ]
	run nrun npte-run box ls /sys/class/net
	[ "$(echo $output)" = "if-peer lo" ]
}

@test "a setuid program cannot get root back (sudo inside refuses: no new privileges)" {
	command -v sudo >/dev/null || skip "needs sudo"
	run nrun npte-run box sudo -n id -u
	[ "$status" -ne 0 ]
	[[ "$output" != 0 ]]
	run nrun npte-run box sh -c 'id -u; id -ru'
	[ "$output" = "$(printf '%s\n%s' "$A" "$A")" ]
}

@test "a fresh environment: exactly PATH HOME USER LOGNAME SHELL, TERM/LANG/LC_* as passed, and -e" {
	run nrun TERM=xterm LANG=C.UTF-8 LC_TIME=C LD_LIBRARY_PATH=/x FOO=leak SUDO_USER=x \
		npte-run -e ONE=1 -e 'TWO=a b=c' -e ONE=override box env
	[ "$status" -eq 2 ] # LD_* reaching a root process is refused outright
	run nrun TERM=xterm LANG=C.UTF-8 LC_TIME=C FOO=leak SUDO_USER=x \
		npte-run -e ONE=1 -e 'TWO=a b=c' -e ONE=override box env
	[ "$status" -eq 0 ]
	[ "$(cut -d= -f1 <<<"$output" | sort | tr '\n' ' ')" = "HOME LANG LC_TIME LOGNAME ONE PATH SHELL TERM TWO USER " ]
	[[ "$output" == *"USER=npte-alice"* ]]
	[[ "$output" == *"PATH=/usr/local/bin:/usr/bin:/bin"* ]]
	[[ "$output" == *"TWO=a b=c"* ]]
	[[ "$output" == *"ONE=override"* ]]
	[[ "$output" != *"ONE=1"* ]]
}

@test "/etc/netns/NS files are bound over /etc, as ip netns exec does; a user-writable one is refused" {
	sb sh -c 'mkdir -p /run/etcnetns/box && echo "nameserver 10.53.0.1" > /run/etcnetns/box/resolv.conf &&
		mkdir -p /etc/netns 2>/dev/null; mount --bind /run/etcnetns /etc/netns' ||
		skip "cannot bind over /etc/netns"
	run nrun npte-run box cat /etc/resolv.conf
	[ "$status" -eq 0 ]
	[ "$output" = "nameserver 10.53.0.1" ]
	# the rest of /etc is the host's
	[ "$(nrun npte-run box head -1 /etc/passwd)" = "$(head -1 /etc/passwd)" ]
	run nrun npte-run peer cat /etc/resolv.conf
	[ "$output" != "nameserver 10.53.0.1" ]
	sb chmod o+w /run/etcnetns/box/resolv.conf
	run nrun npte-run box cat /etc/resolv.conf
	[ "$status" -eq 1 ]
	[[ "$output" == *"resolv.conf"* ]]
}

@test "server and client as the caller across a lab: a line crosses the router" {
	nrun npte-lab create --prefix l
	nrun npte-run lserver nc -l -N 172.16.2.2 7100 >"$BATS_TEST_TMPDIR/got" 3>&- &
	local srv=$!
	listening lserver 7100
	run nrun npte-run lclient sh -c 'echo via-router | nc -N -w 5 172.16.2.2 7100'
	[ "$status" -eq 0 ]
	wait "$srv"
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = via-router ]
}

@test "the lock is not held while the program runs" {
	nrun npte-run box sleep 3 3>&- &
	local bg=$!
	sleep 0.5
	run sb npte-lock status
	[ "$output" = unlocked ]
	run sb npte-netns create --wait 0 other
	[ "$status" -eq 0 ]
	wait "$bg"
}

@test "exit codes: the program's own, 127 not found, 126 not executable, 2 for bad input or not yours" {
	run nrun npte-run box sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run -127 nrun npte-run box nosuch-program
	run -126 nrun npte-run box /etc/passwd
	run nrun npte-run box A=b
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid command 'A=b'"* ]]
	run nrun npte-run -e 1A=b box true
	[ "$status" -eq 2 ]
	run nrun npte-run -e NOEQUALS box true
	[ "$status" -eq 2 ]
	sb npte-netns create rootns
	run nrun npte-run rootns true
	[ "$status" -eq 2 ]
	[[ "$output" == *"rootns: not found or not yours"* ]]
	run nrun npte-run nosuch true
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosuch: not found or not yours"* ]]
	run nrun npte-run box
	[ "$status" -eq 2 ]
}

@test "dry-run: the same checks and an ip netns exec + prlimit + setpriv line with the same environment" {
	run nrun TERM=xterm npte-run -n -e K=v box id -u
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | shellcheck -s sh -S warning -
	[[ "$output" == *"grep -qsx owner=$A /run/npte/netns/box"* ]]
	# long lines are wrapped (" \" newline, two blanks) for pasting: join them
	local joined=${output//$' \\\n  '/ }
	[[ "$joined" == *"exec ip netns exec box sh -c '"*"nosuid"*"' sh prlimit --as="*" -- setpriv --reuid $A --regid $G --init-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- env -i PATH=/usr/local/bin:/usr/bin:/bin"*"TERM=xterm K=v id -u"* ]]
	# and the script, run, gives the same answer
	[ "$(printf '%s\n' "$output" | sb sh)" = "$A" ]
}

# The caller's own process state reaches the program (sudo hands it to the
# root process, which resets it for itself): umask, soft and hard limits,
# oom_score_adj. The dry-run script gives the program the same.
@test "the program gets the caller's umask, resource limits and oom_score_adj back, live and in the dry-run" {
	local probe='umask; ulimit -S -n; ulimit -H -n; ulimit -S -t; ulimit -S -f; cat /proc/self/oom_score_adj'
	local want
	want=$(printf '%s\n' 0077 100 2000 500 4096 700)
	run sb sh -c "umask 077; ulimit -S -n 100; ulimit -H -n 2000; ulimit -S -t 500; ulimit -S -f 4096; echo 700 >/proc/self/oom_score_adj;
		exec env SUDO_UID=$A SUDO_GID=$G npte-run box sh -c '$probe'"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ] || { echo "live: $output"; return 1; }
	run sb sh -c "umask 077; ulimit -S -n 100; ulimit -H -n 2000; ulimit -S -t 500; ulimit -S -f 4096; echo 700 >/proc/self/oom_score_adj;
		exec env SUDO_UID=$A SUDO_GID=$G npte-run -n box sh -c '$probe'"
	[ "$status" -eq 0 ]
	local joined=${output//$' \\\n  '/ }
	[[ "$joined" == *"umask 0077"* && "$joined" == *"--nofile=100:2000"* && "$joined" == *"choom -n 700 --"* ]]
	# the script, run from a root shell with root's own state, gives the program the same
	[ "$(printf '%s\n' "$output" | sb sh)" = "$want" ]
}

# Issue 23 item 1: ping's unprivileged ICMP echo sockets (IPv4 and IPv6) need
# the namespace's ping_group_range to hold the caller's groups; the kernel's
# default for a new namespace, "1 0", holds none.
@test "issue 23: npte-run allows ICMP echo sockets for every gid in its namespace (ping_group_range 0 2147483647), and only there" {
	# create leaves the kernel's default: a namespace nobody runs in needs none
	[ "$(sb ip netns exec peer cat /proc/sys/net/ipv4/ping_group_range)" = "$(printf '1\t0')" ]
	run nrun npte-run box true
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb ip netns exec box cat /proc/sys/net/ipv4/ping_group_range)" = "$(printf '0\t2147483647')" ]
	[ "$(sb ip netns exec peer cat /proc/sys/net/ipv4/ping_group_range)" = "$(printf '1\t0')" ]
	# the dry-run says so, before the program
	run nrun npte-run -n peer true
	[[ "$output" == *"ip netns exec peer sysctl -q -w 'net.ipv4.ping_group_range=0 2147483647'"* ]] || { echo "$output"; return 1; }
	# the sandbox's own namespace keeps the kernel's default
	[ "$(sb cat /proc/sys/net/ipv4/ping_group_range)" = "$(printf '1\t0')" ]
}

@test "issue 23: ping and ping -6 run as the caller across a lab, and ping's process has no capability" {
	command -v ping >/dev/null || skip "needs ping"
	nrun npte-lab create --prefix l
	run nrun npte-run lclient ping -c1 -w5 172.16.2.2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"1 received"* ]]
	# the lab's links skip DAD (accept_dad 0): no address is left tentative
	[ -z "$(sb ip -n lserver -6 addr show tentative)" ]
	run nrun npte-run lclient ping -6 -c1 -w5 fd00:16:2::2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"1 received"* ]]
	# the dry-run script, run by root, and the administrator (root without sudo) too
	run sb sh -c "SUDO_UID=$A SUDO_GID=$G npte-run -n lclient ping -c1 -w5 172.16.2.2 | sh"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run sb npte-run lclient ping -6 -c1 -w5 fd00:16:2::2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# ping's own process, once it has exec'd: the caller's uid, nothing else
	run nrun npte-run lclient sh -c 'ping -q -c 50 -i 0.2 172.16.2.2 >/dev/null & p=$!
		while kill -0 $p && [ "$(readlink /proc/$p/exe)" != "$(command -v ping)" ]; do :; done
		grep -E "^(Uid|Cap(Inh|Prm|Eff|Bnd|Amb)):" /proc/$p/status; kill $p'
	[ "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' <<<"$output")" = "$A $A $A $A" ] || { echo "$output"; return 1; }
	[ "$(grep -c ':[[:space:]]*0000000000000000$' <<<"$output")" = 5 ] || { echo "$output"; return 1; }
}

# The mechanism: every mount the program can reach is nosuid, so setuid bits
# and file capabilities are ignored at exec (with only NO_NEW_PRIVS and an
# empty bounding set, a file-capability binary fails to exec, EPERM).
@test "issue 23: every mount is nosuid for the program; a file-capability and a setuid-root binary run with nothing" {
	command -v setcap >/dev/null || skip "needs setcap"
	run nrun npte-run box cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	[ -z "$(awk '$6 !~ /(^|,)nosuid(,|$)/' <<<"$output")" ] || { echo "$output"; return 1; }
	sb sh -c 'mkdir -m 0755 /run/xbin && cp /bin/cat /run/xbin/capcat && setcap cap_net_raw=ep /run/xbin/capcat &&
		cp /usr/bin/id /run/xbin/suid-id && chmod 4755 /run/xbin/suid-id'
	[ "$(sb getcap /run/xbin/capcat)" = "/run/xbin/capcat cap_net_raw=ep" ]
	run nrun npte-run box /run/xbin/capcat /proc/self/status
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(awk -v k="$c:" '$1 == k { print $2 }' <<<"$output")" = 0000000000000000 ] ||
			{ echo "$c: $output"; return 1; }
	done
	run nrun npte-run box /run/xbin/suid-id -u
	[ "$status" -eq 0 ]
	[ "$output" = "$A" ]
	# the dry-run script does the same: nosuid remounts, then the program
	run nrun npte-run -n box sh -c '/run/xbin/capcat /proc/self/status; /run/xbin/suid-id -u'
	[ "$status" -eq 0 ]
	run sb sh <<<"$output"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(awk '$1 == "CapPrm:" || $1 == "CapEff:" { print $2 }' <<<"$output" | sort -u)" = 0000000000000000 ]
	[ "$(tail -1 <<<"$output")" = "$A" ]
}

# Issue 23 item 8: `npte-run client -e FOO=bar sh` exec'd "-e" (127, "No such
# file or directory"). npte-run's own options right after NS are a usage
# error that says where they go; after "--" such a word is a program again.
@test "issue 23: npte-run's options after NS: exit 2, one line saying options go before NS; after -- a program" {
	local w
	for w in -e --env --env=FOO=bar -n --dry-run --wait --wait=5 -h --help --version; do
		run nrun npte-run box "$w" FOO=bar sh -c 'echo ran'
		[ "$status" -eq 2 ] || { echo "$w: $status $output"; return 1; }
		[ "$output" = "npte-run: $w after NS: options go before NS: npte-run [OPTIONS] NS [--] PROGRAM..." ] ||
			{ echo "$w: $output"; return 1; }
	done
	# after "--", and for a word that is not one of npte-run's options, a program is looked for
	run -127 nrun npte-run box -- -e FOO=bar sh
	[ "$output" = "npte-run: -e: No such file or directory" ]
	run -127 nrun npte-run box -x
	run nrun npte-run -e FOO=bar box sh -c 'echo $FOO'
	[ "$output" = bar ]
}

# Issue 23 item 9: a `.BR PATH . The exit status ...` line rendered as
# "PATH.Theexitstatusistheprogram's(126ifit-": an alternating-font macro glues
# all its words. Every page, rendered as man shows it, has no word glued to a
# sentence after a full stop, and npte-run(8) says its exit status in words.
@test "issue 23: the man pages render without glued sentences; npte-run(8) states its exit status" {
	command -v man >/dev/null || skip "needs man"
	local f out
	for f in "$BATS_TEST_DIRNAME"/../man/*.[58]; do
		out=$(MANWIDTH=80 man -l "$f" 2>&1)
		! grep -E '[A-Za-z]\.[A-Z][a-z]' <<<"$out" || { echo "glued in $f"; return 1; }
	done
	out=$(MANWIDTH=80 man -l "$BATS_TEST_DIRNAME/../man/npte-run.8" 2>/dev/null | tr -s ' \n' '  ')
	[[ "$out" == *"root's PATH. The exit status is the program's (126 if it cannot be run, 127 if it is not found)"* ]]
}
