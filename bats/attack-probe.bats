#!/usr/bin/env bats
# Attacks on npte-probe (issue 25) through real sudo with the shipped rule:
# alice (group npte) and carol (not) control argv, rlimits, umask, the paths
# the record and plot go to, signals and what runs in their own namespaces.
# Each test judges only the processes its own probe started.

load sandbox
bats_require_minimum_version 1.5.0

setup_file() { stage_install; }

setup() {
	sudo_setup
	A=$ALICE
	G=$(id -g npte-alice)
	BGFILE=$BATS_TEST_TMPDIR/bg
	as alice npte-lab create >/dev/null
	# alice's own directory in the sandbox's /run (the host's /tmp is shared)
	sb install -d -o npte-alice -g "$G" -m 0755 /run/att
	sb sh -c 'echo root-owned >/run/rootfile; chmod 0644 /run/rootfile'
}

teardown() {
	bg_end "$BGFILE"
	sandbox_teardown
}

# as_sh USER 'SHELL TEXT': a shell of npte-USER (ulimits, umask) that ends in
# `exec sudo -n "$P"/...`; $P is the installed prefix's sbin.
as_sh() {
	sb runuser -u "npte-$1" -- sh -c "$2" sh "$P" </dev/null
}

# probe_kids TOP: the worker's children that are alice's (its measuring
# processes; a reader or writer child too, which is hers as well).
probe_kids() {
	local w c
	w=$(npte_of "$1" npte-probe) || return 0
	for c in $(cat /proc/"$w"/task/*/children 2>/dev/null); do
		[ "$(awk '$1 == "Uid:" { print $2 }' /proc/"$c"/status 2>/dev/null)" = "$A" ] &&
			echo "$c $(started_at "$c")"
	done
}

# kids_wait TOP [N]: until the echo server, bulk server and echo client run
# (in KIDS; N 2: no bulk server, for --load none).
kids_wait() {
	for _ in $(seq 300); do
		KIDS=$(probe_kids "$1")
		[ "$(grep -c . <<<"$KIDS" || true)" -ge "${2:-3}" ] && return 0
		sleep 0.05
	done
	echo "kids: $KIDS"
	return 1
}

# kids_gone SECONDS: every one of KIDS ended within SECONDS (a pid reused since is not one).
kids_gone() {
	local p t left
	for _ in $(seq $(($1 * 20))); do
		left=
		while read -r p t; do
			[ "$(started_at "$p")" = "$t" ] && left="$left $p"
		done <<<"$KIDS"
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "left:$left"
	return 1
}

# the probe's worker under TOP (the root npte-probe in a session of its own)
worker() {
	npte_of "$1" npte-probe
}

@test "probing bob's, root's unmarked and a missing namespace: one refusal, the same words; carol is stopped by sudo" {
	as bob npte-netns create bobns >/dev/null
	sb ip netns add rootns
	local n outs=()
	for n in bobns rootns nosuch; do
		run as alice npte-probe --duration 1 client "$n"
		[ "$status" -eq 2 ] || { echo "$n: $status $output"; return 1; }
		outs+=("${output//$n/NAME}")
		run as alice npte-probe --duration 1 "$n" server
		[ "$status" -eq 2 ] && [ "${output//$n/NAME}" = "${outs[0]}" ] || { echo "$n first: $output"; return 1; }
	done
	[ "${outs[0]}" = "npte-probe: probe: NAME: not found or not yours" ]
	[ "${outs[1]}" = "${outs[0]}" ] && [ "${outs[2]}" = "${outs[0]}" ]
	# the lab role words too
	run as bob npte-lab probe --duration 1
	[ "$output" = "npte-lab: probe: client: not found or not yours" ]
	run as carol npte-probe --duration 1 client server
	[ "$status" -ne 0 ] && [[ "$output" != *"rtt idle"* ]]
}

@test "hostile --duration and --load values: exit 2, the value escaped, nothing measured" {
	local v
	for v in -1 1e9 99999999999999999999 4294967297 0x10 ' 5' 5s '' 60.5 +3; do
		run as alice npte-probe --duration "$v" client server
		[ "$status" -eq 2 ] || { echo "'$v': $status $output"; return 1; }
		[[ "$output" == *"invalid --duration '$v'"* ]] || { echo "'$v': $output"; return 1; }
	done
	run as alice npte-probe --duration $'1\e]0;pwned\a' client server
	[ "$status" -eq 2 ]
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* ]] || { echo "raw control bytes: $(od -c <<<"$output")"; return 1; }
	run as alice npte-probe --load $'both\r\e[2K' client server
	[ "$status" -eq 2 ]
	[[ "$output" != *$'\e'* && "$output" != *$'\r'* ]]
	# nothing of alice's ran in the lab
	[ -z "$(sb ip netns pids server)" ] && [ -z "$(sb ip netns pids client)" ]
}

@test "--json and --plot into root's file, a symlink to it, a FIFO, a directory, bob's file: refused, nothing of theirs changed" {
	sb install -d -o npte-bob -g npte-bob -m 0755 /run/bobdir
	sb sh -c 'echo bobs >/run/bobdir/f; chown npte-bob /run/bobdir/f; chmod 0644 /run/bobdir/f'
	sb ln -s /run/rootfile /run/att/link
	sb runuser -u npte-alice -- mkfifo /run/att/fifo
	sb runuser -u npte-alice -- ln -s /run/bobdir/f /run/att/boblink
	local t
	for t in /run/rootfile /run/att/link /run/bobdir/f /run/att/boblink; do
		run as alice npte-probe --duration 1 --load none --json "$t" client server
		[ "$status" -eq 1 ] || { echo "$t: $status $output"; return 1; }
		[[ "$output" == *"--json $t: cannot write it as uid $A: Permission denied"* ]] || { echo "$output"; return 1; }
	done
	[ "$(sb cat /run/rootfile)" = root-owned ] && [ "$(sb cat /run/bobdir/f)" = bobs ]
	# a FIFO must not hang the write (nobody reads it), a directory is no file
	for t in /run/att/fifo /run/att; do
		run sb timeout 30 runuser -u npte-alice -- sudo -n "$P/npte-probe" --duration 1 --load none --json "$t" client server
		[ "$status" -eq 1 ] || { echo "$t: $status $output"; return 1; }
		[[ "$output" == *"cannot write it as uid $A: "* ]]
	done
	[ -p "$(sb readlink -f /run/att/fifo)" ] || sb test -p /run/att/fifo
	# the plot goes the same way
	sb ln -s /run/rootfile /run/att/plot.svg
	run as alice npte-probe --duration 1 --load none --plot /run/att/plot.svg client server
	[ "$status" -eq 1 ] && [[ "$output" == *"--plot /run/att/plot.svg: cannot write it as uid $A: Permission denied"* ]]
	[ "$(sb cat /run/rootfile)" = root-owned ]
}

@test "--json is written as alice, with her umask, where she may; a path's control bytes are escaped in the error" {
	as_sh alice 'umask 077; cd /run/att && exec sudo -n "$1"/npte-probe --duration 1 --load none --json rel.json client server' >/dev/null
	[ "$(sb stat -c '%u %g %a' /run/att/rel.json)" = "$A $G 600" ]
	sb jq -e '.from == "client"' /run/att/rel.json >/dev/null
	# /proc/self/fd/1: the writer's own stdout, which is alice's: she gets it, root's files are not reachable so
	run as alice npte-probe --duration 1 --load none --json /proc/self/fd/1 client server
	[ "$(sb cat /run/rootfile)" = root-owned ]
	local bad=$'/run/nosuch/\e]0;owned\a\r.json'
	run as alice npte-probe --duration 1 --load none --json "$bad" client server
	[ "$status" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == *"No such file or directory"* ]]
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* && "$output" != *$'\r'* ]] || { od -c <<<"$output"; return 1; }
}

@test "ulimit -f: a hard file-size limit npte cannot honour is refused before anything runs, nothing written" {
	# npte cannot take her hard limit back up, nor write as her past it: it says so
	run as_sh alice 'ulimit -f 2; exec sudo -n "$1"/npte-probe --duration 1 --load none --json /run/att/big.json client server'
	[ "$status" -eq 2 ] || { echo "$status $output"; return 1; }
	[[ "$output" == *"hard limit RLIMIT_FSIZE = 1024"* ]] || { echo "$output"; return 1; }
	run sb test -e /run/att/big.json
	[ "$status" -ne 0 ]
	[ -z "$(sb ip netns pids server)" ]
}

@test "the probe's processes: alice's groups, no fd of npte's (netlink, lock, journal), not readable or ptrace-able by her" {
	as alice npte-probe --duration 20 --load none client server >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$! p f tgt ino groups
	bg_note "$BGFILE" "$top"
	kids_wait "$top" 2
	groups=$(id -G npte-alice | tr ' ' '\n' | sort -n | xargs)
	while read -r p _; do
		[ "$(awk '$1 == "Groups:" { $1 = ""; print }' /proc/"$p"/status | tr ' ' '\n' | sed '/^$/d' | sort -n | xargs)" = "$groups" ] ||
			{ grep Groups /proc/"$p"/status; return 1; }
		for c in CapEff CapBnd CapAmb CapPrm; do
			[ "$(awk -v k="$c:" '$1 == k { print $2 }' /proc/"$p"/status)" = 0000000000000000 ]
		done
		[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' /proc/"$p"/status)" = 1 ]
		# 0-2 are /dev/null or alice's own stderr; npte's would be above
		for f in /proc/"$p"/fd/*; do
			[ "${f##*/}" -gt 2 ] || continue
			tgt=$(readlink "$f") || continue
			case $tgt in
			/dev/null | pipe:* | /dev/pts/* | socket:*) ;;
			*) echo "$p holds $f -> $tgt"; return 1 ;;
			esac
			[[ $tgt == socket:* ]] || continue
			ino=${tgt#socket:[}
			ino=${ino%]}
			# a netlink socket of npte's would be listed here, by inode
			! awk -v i="$ino" 'NR > 1 && $NF == i' /proc/"$p"/net/netlink | grep -q . || { echo "$p: netlink fd $f"; return 1; }
		done
		# her own uid, but not dumpable: she reads no memory, environment or fds of it
		run sb runuser -u npte-alice -- cat /proc/"$p"/environ
		[ "$status" -ne 0 ] || { echo "alice read $p's environ"; return 1; }
		run sb runuser -u npte-alice -- ls /proc/"$p"/fd
		[ "$status" -ne 0 ] || { echo "alice listed $p's fds"; return 1; }
		# PTRACE_ATTACH (16) as alice: EPERM (1), not attached
		run sb runuser -u npte-alice -- python3 -c 'import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.ptrace(16, int(sys.argv[1]), None, None)
print(r, ctypes.get_errno())' "$p"
		[ "$output" = "-1 1" ] || { echo "ptrace of $p as alice: $output"; return 1; }
	done <<<"$KIDS"
}

@test "SIGKILL of the root npte-probe mid-probe: every probe process of alice's dies with it" {
	as alice npte-probe --duration 30 --load up client server >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$! w
	bg_note "$BGFILE" "$top"
	kids_wait "$top"
	w=$(worker "$top")
	kill -KILL "$w"
	kids_gone 10
}

@test "SIGTERM to sudo mid-probe (relayed): 143, every probe process ended, nothing of alice's left in the lab" {
	as alice npte-probe --duration 30 --load down client server >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$! s rc=0
	bg_note "$BGFILE" "$top"
	kids_wait "$top"
	s=$(for p in $(tree "$top"); do [ "$(cat /proc/"$p"/comm)" = sudo ] && echo "$p" && break; done)
	[ -n "$s" ]
	kill -TERM "$s"
	wait "$top" || rc=$?
	[ "$rc" -eq 143 ] || { echo "rc $rc"; cat "$BATS_TEST_TMPDIR/out"; return 1; }
	kids_gone 10
	[ -z "$(sb ip netns pids server)" ] && [ -z "$(sb ip netns pids client)" ]
}

@test "a long probe holds no lock: bob creates and destroys while alice's 20 s probe measures" {
	as alice npte-probe --duration 20 --load up client server >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$! t0
	bg_note "$BGFILE" "$top"
	kids_wait "$top"
	t0=$(date +%s)
	run as bob npte-netns create bnet
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run as bob npte-netns destroy bnet
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# and it was not waiting out her probe: her processes still measure
	[ -n "$(probe_kids "$top")" ] || { echo "alice's probe already ended: bob waited $(($(date +%s) - t0)) s"; return 1; }
	run as alice npte-lock status
	[[ "$output" != "locked"* ]] || { echo "$output"; return 1; }
}

@test "alice answers her probe herself: fake timestamps, copies, 60 kB replies, seqs not yet sent: no misreport" {
	as alice npte-probe --duration 6 --load none --json /run/att/e.json client server >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$! p es= port sns rc=0
	bg_note "$BGFILE" "$top"
	kids_wait "$top" 2
	sns=$(sb ip netns exec server readlink /proc/self/ns/net)
	while read -r p _; do [ "$(readlink /proc/"$p"/ns/net)" = "$sns" ] && es=$p; done <<<"$KIDS"
	[ -n "$es" ]
	port=$(sb ip netns exec server ss -Hunap | awk -v p="pid=$es," '$0 ~ p { n = split($4, a, ":"); print a[n] }')
	[[ "$port" =~ ^[0-9]+$ ]] || { sb ip netns exec server ss -Hunap; return 1; }
	# the echo server is hers: she may end it and take its port
	sb runuser -u npte-alice -- kill -KILL "$es"
	sb ip netns exec server runuser -u npte-alice -- timeout 12 python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(2048)
    if len(d) < 16:
        continue
    magic, seq, t = struct.unpack("=IIq", d[:16])
    fake = struct.pack("=IIq", magic, seq, -10**12)
    for _ in range(3):
        s.sendto(fake + b"x" * 60000, a)
    for bad in (seq + 5, 0xffffffff):
        s.sendto(struct.pack("=IIq", magic, bad, 0), a)
' "$port" 3>&- &
	bg_note "$BGFILE" "$!"
	wait "$top" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
	sb cat /run/att/e.json >"$BATS_TEST_TMPDIR/e.json"
	local f=$BATS_TEST_TMPDIR/e.json
	# each probe counted once however many copies came, none before it was sent
	jq -e '.phases[0].rtt | .received <= .sent and .lost >= 0 and .lost == .sent - .received' "$f" >/dev/null ||
		{ jq .phases[0].rtt "$f"; return 1; }
	# her copies are duplicates (two a probe she answered), not receipts
	jq -e '.phases[0].rtt | .duplicated >= 2 and .duplicated <= 2 * .received' "$f" >/dev/null ||
		{ jq .phases[0].rtt "$f"; return 1; }
	# the RTT is the probe's own clock, not the reply's timestamp (1000 s ago)
	jq -e '.phases[0].rtt | .max_ms < 1000 and .min_ms >= 0' "$f" >/dev/null || { jq .phases[0].rtt "$f"; return 1; }
}

@test "the test library (npte.bash, installed): assert_verdict as alice holds on a link shaped as asked, and npte_down leaves nothing" {
	local lib=$STAGE/run/ptest/share/npte/npte.bash
	[ -f "$lib" ] || skip "npte.bash is not installed by this tree (the test library's branch)"
	sb install -m 0644 "$lib" /run/att/npte.bash
	# no root anywhere: alice's own bash, the library's sudo -n only
	run sb runuser -u npte-alice -- env -u BATS_TEST_TMPDIR NPTE_SBIN="$P" NPTE_STATE_DIR=/run/att/state NPTE_TMPDIR=/run/att \
		bash -c 'set -u
		. /run/att/npte.bash
		npte_up || exit 10
		_npte npte-netem rate "$(npte_ns router)" "$(npte_if if-server)" 20mbit || exit 11
		assert_verdict client server --duration 2 --load up; rc=$?
		grep -o "\"figure\":\"throughput up\",\"verdict\":\"[a-z]*\"" "$NPTE_VERDICT_JSON"
		npte_down || exit 12
		exit $rc' </dev/null
	# a judged verdict that is ok must pass: the library greps the summary for "off by"
	[[ "$output" == *'"verdict":"ok"'* ]] || { echo "$output"; return 1; }
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# nothing of hers is left: no namespace, no process
	[ -z "$(sb runuser -u npte-alice -- sudo -n "$P/npte-netns" list | grep -v '^\(client\|router\|server\)$' || true)" ]
}

@test "alice stops her own measuring processes (SIGSTOP): the root probe still ends, in bounded time, and reaps them" {
	as alice npte-probe --duration 5 --load none client server >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$! p t0 rc=0
	bg_note "$BGFILE" "$top"
	kids_wait "$top" 2 || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
	t0=$(date +%s)
	while read -r p _; do sb runuser -u npte-alice -- kill -STOP "$p"; done <<<"$KIDS"
	# the bound: the idle phase, then 10 s for the echo client's records
	timeout 60 tail --pid="$top" -f /dev/null || { echo "the probe still runs after 60 s"; return 1; }
	wait "$top" || rc=$?
	[ "$rc" -eq 1 ] || { echo "rc $rc"; cat "$BATS_TEST_TMPDIR/out"; return 1; }
	grep -Eq "^npte-probe: probe: the echo client in client (gave no result|did not start)$" "$BATS_TEST_TMPDIR/out" || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
	echo "# ended $(($(date +%s) - t0)) s after the stop" >&3
	# stopped, they were still killed and reaped
	kids_gone 5
}
