#!/usr/bin/env bats
# Hostile topology files (issue 24, npte-lab.conf(5)): each one is refused
# with exit 2 and one line `npte-lab: up: FILE:LINE: ...` naming the
# offending word (escaped), and nothing changes in the sandbox. Pure parse
# errors go through `up -n`; a sample also runs live to prove no change.

load sandbox

# the staged install, for the two tests through real sudo
setup_file() { stage_install; }

setup() {
	# the tests of real sudo (npte-alice, npte-bob) need the staged install
	case "$BATS_TEST_DESCRIPTION" in
	*"through sudo"*) sudo_setup ;;
	*) sandbox_setup ;;
	esac
	# a folder every user can read, so the caller's child can open the files
	D=$(mktemp -d /tmp/npte-topo.XXXXXX)
	chmod 0755 "$D"
	F=$D/t.lab
}

teardown() {
	[ -n "${D:-}" ] && rm -rf "$D"
	sandbox_teardown
}

# lab TEXT: the file F from printf's format TEXT (so \t, \r, \033 are bytes), 0644.
lab() {
	# shellcheck disable=SC2059 # the format is the point
	printf "$1" >"$F"
	chmod 0644 "$F"
}

# Three nodes and two links, to which a test appends its hostile line.
base() {
	lab "node a\nnode r forward\nnode b\nlink a r 10.9.1.2/24 10.9.1.1/24\nlink b r 10.9.2.2/24 10.9.2.1/24\n$1"
}

# refused LINE WORD [MODE]: up (-n unless MODE is live) of F as uid 1234 exits 2
# with one line naming F:LINE and WORD, and the sandbox has no namespace.
refused() {
	local line=$1 word=$2 mode=${3:-}
	local n=-n
	[ "$mode" = live ] && n=
	# shellcheck disable=SC2086 # n is empty or one word
	run as_uid 1234 npte-lab up $n "${PFX[@]}" "$F"
	[ "$status" -eq 2 ] || { echo "status $status: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "not one line: $output"; return 1; }
	[[ "$output" == "npte-lab: up: $F:$line: "* ]] || { echo "no $F:$line: $output"; return 1; }
	[[ "$output" == *"$word"* ]] || { echo "no word '$word': $output"; return 1; }
	[ -z "$(sb ip netns list)" ] || { sb ip netns list; return 1; }
	[ -z "$(sb ip link show type veth)" ] || return 1
}

# not_a_file FILE: up -n of FILE as uid 1234 exits 2 in one line naming it, within 10 s.
not_a_file() {
	run timeout 10 nsenter -t "$SB_PID" -m -n -- env PATH="$TOP/build/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		SUDO_UID=1234 SUDO_GID=1234 npte-lab up -n "$1"
	[ "$status" -eq 2 ] || { echo "status $status (124: it hung): $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == "npte-lab: up: $1"* ]] || { echo "$output"; return 1; }
	[ -z "$(sb ip netns list)" ]
}

# same FILE L: status and output of the last run, with FILE and the node names
# La, Lb made neutral; the random draws of a schedule's preview left out.
same() {
	local o=${output//"$1"/FILE}
	o=${o//"$2"a/NA}
	echo "$status ${o//"$2"b/NB}" | grep -v 'netem delay'
}

PFX=()

@test "the shipped files parse: up -n of each succeeds" {
	local f
	for f in "$BATS_TEST_DIRNAME"/../lab/*.lab; do
		run as_uid 1234 npte-lab up -n "$f"
		[ "$status" -eq 0 ] || { echo "$f: $output"; return 1; }
	done
}

@test "unknown keyword" {
	base "nodes c\n"
	refused 6 nodes
}

@test "unknown keyword, live: nothing changed" {
	base "bridge a b\n"
	refused 6 bridge live
}

@test "unknown word after a node name" {
	lab "node a forwarding\n"
	refused 1 forwarding
}

@test "duplicate node" {
	lab "node a\nnode b\nnode a\n"
	refused 3 a
}

@test "duplicate node, live: nothing changed" {
	lab "node a\nnode b\nnode a\n"
	refused 3 a live
}

@test "link to an undeclared node" {
	base "link a zed\n"
	refused 6 zed
}

@test "node used before it is declared" {
	lab "node a\nlink a b\nnode b\n"
	refused 2 b
}

@test "link to itself" {
	base "link a a\n"
	refused 6 a
}

@test "duplicate link, same order" {
	base "link a r\n"
	refused 6 r
}

@test "duplicate link, other order" {
	base "link r a\n"
	refused 6 a
}

@test "addr on an interface that does not exist (no link a-b)" {
	base "addr a if-b 10.9.3.1/24\n"
	refused 6 if-b
}

@test "addr on an interface named with no if- form" {
	base "addr a eth0 10.9.3.1/24\n"
	refused 6 eth0
}

@test "bad CIDR: missing prefix length" {
	base "addr a lo 10.9.3.1\n"
	refused 6 10.9.3.1
}

@test "bad CIDR: a zone" {
	base "addr a lo fe80::1%%if-r/64\n"
	refused 6 'fe80::1%if-r/64'
}

@test "bad CIDR: 300.1.1.1/24" {
	base "addr a lo 300.1.1.1/24\n"
	refused 6 300.1.1.1/24
}

@test "bad CIDR: /33 on IPv4" {
	base "addr a lo 10.9.3.1/33\n"
	refused 6 10.9.3.1/33
}

@test "bad CIDR: /129 on IPv6" {
	base "addr a lo fd00::1/129\n"
	refused 6 fd00::1/129
}

@test "bad CIDR: families mixed in a link's pair" {
	base "node c\nlink a c 10.9.4.1/24 fd00:9:4::2/64\n"
	refused 7 fd00:9:4::2/64
}

@test "bad CIDR: an odd address on a link (no pair)" {
	base "node c\nlink a c 10.9.4.1/24\n"
	refused 7 10.9.4.1/24
}

@test "address clash: the same address twice, other prefix length" {
	base "addr b lo 10.9.1.2/32\n"
	refused 6 10.9.1.2
}

@test "address clash, live: nothing changed" {
	base "addr r lo 10.9.2.2/24\n"
	refused 6 10.9.2.2 live
}

@test "route with host bits in the destination" {
	base "route a 10.8.0.1/16 via 10.9.1.1\n"
	refused 6 10.8.0.1/16
}

@test "route family mismatch" {
	base "route a default via fd00::1\nroute a 10.8.0.0/16 via fd00::1\n"
	# default may take either family; a v4 dest with a v6 gateway may not
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 2 ] || { echo "$output"; return 1; }
	[[ "$output" == *"fd00::1"* ]] || { echo "$output"; return 1; }
	[[ "$output" == "npte-lab: up: $F:"[67]": "* ]] || { echo "$output"; return 1; }
	[ -z "$(sb ip netns list)" ]
}

@test "route without via" {
	base "route a default 10.9.1.1\n"
	refused 6 10.9.1.1
}

@test "duplicate route" {
	base "route a default via 10.9.1.1\nroute a default via 10.9.1.1\n"
	refused 7 default
}

@test "shape on an unknown interface" {
	base "shape a if-b tbf rate 1mbit burst 10k latency 50ms\n"
	refused 6 if-b
}

@test "shape with bad words" {
	base "shape a if-r tbf rate fast burst 10k latency 50ms\n"
	refused 6 fast
}

@test "shape of an unknown kind" {
	base "shape a if-r fq_codel limit 100\n"
	refused 6 fq_codel
}

@test "shape twice on one interface" {
	base "shape a if-r tbf rate 1mbit burst 10k latency 50ms\nshape a if-r tbf rate 2mbit burst 10k latency 50ms\n"
	refused 7 if-r
}

@test "shape twice, live: nothing changed" {
	base "shape a if-r tbf rate 1mbit burst 10k latency 50ms\nshape a if-r tbf rate 2mbit burst 10k latency 50ms\n"
	refused 7 if-r live
}

@test "unknown profile" {
	base "shape a if-r profile carrier-pigeon down\n"
	refused 6 carrier-pigeon
}

@test "profile without down|up" {
	base "shape a if-r profile wifi\n"
	refused 6 wifi
}

@test "profile with a direction other than down|up" {
	base "shape a if-r profile wifi sideways\n"
	refused 6 sideways
}

@test "unknown schedule" {
	base "play a if-r no-such-schedule down\n"
	refused 6 no-such-schedule
}

@test "node name of 13 bytes" {
	lab "node abcdefghijklm\n"
	refused 1 abcdefghijklm
}

@test "node name with an upper-case letter" {
	lab "node Client\n"
	refused 1 Client
}

@test "node name starting with a digit" {
	lab "node 1a\n"
	refused 1 1a
}

@test "prefix and name over 12 bytes" {
	lab "node a\nnode abcdefgh\n"
	PFX=(--prefix lab01)
	refused 2 abcdefgh
}

@test "257 nodes" {
	{ for i in $(seq 1 257); do echo "node n$i"; done; } >"$F"
	chmod 0644 "$F"
	refused 257 n257
}

@test "1025 links" {
	# 47 nodes give 1081 pairs; the 1025th link is the one refused
	local i j k=0
	{
		for i in $(seq 1 47); do echo "node n$i"; done
		for i in $(seq 1 47); do for j in $(seq $((i + 1)) 47); do
			k=$((k + 1))
			echo "link n$i n$j"
			[ "$k" -eq 1025 ] && break 2
		done; done
	} >"$F"
	chmod 0644 "$F"
	refused 1072 "$(tail -1 "$F" | cut -d' ' -f3)"
}

@test "a line of 1025 bytes (the limit is 1024, as for schedules)" {
	{ echo "node a"; printf 'node b #%01017d\n' 0; } >"$F"
	chmod 0644 "$F"
	[ "$(sed -n 2p "$F" | tr -d '\n' | wc -c)" -eq 1025 ]
	refused 2 1024
}

@test "a line of exactly 1024 bytes is fine" {
	{ echo "node a"; printf 'node b #%01016d\n' 0; } >"$F"
	chmod 0644 "$F"
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "a file of 1 MiB + 1 byte" {
	{ echo "node a"; head -c $((1048576 + 1 - 7 - 1)) /dev/zero | tr '\0' '#'; echo; } >"$F"
	chmod 0644 "$F"
	[ "$(stat -c %s "$F")" -eq 1048577 ]
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 2 ] || { echo "$status: ${output:0:300}"; return 1; }
	[ "${#lines[@]}" -eq 1 ] && [[ "$output" == "npte-lab: up: $F"* ]] || { echo "${output:0:300}"; return 1; }
	[ -z "$(sb ip netns list)" ]
}

@test "10^6 lines" {
	{ echo "node a"; yes '#' | head -n 999999; } >"$F"
	chmod 0644 "$F"
	refused 65537 65536
}

@test "a NUL byte" {
	lab "node a\nnode b\000c\n"
	refused 2 '\x00'
}

@test "CRLF line ends are taken (as in schedule files); a lone CR byte is refused" {
	lab "node a\r\nnode b\r\n"
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	lab "node a\r\nnode b\rc\n"
	refused 2 'carriage return'
}

@test "an ESC byte is named as \\x1b and never printed raw" {
	lab "node a\nnode b\033[31m\n"
	refused 2 '\x1b'
	[[ "$output" != *$'\033'* ]] || { echo "raw ESC in: $(cat -v <<<"$output")"; return 1; }
}

@test "a tab between words is a blank, a vertical tab is refused" {
	lab "node\ta\nnode\vb\n"
	refused 2 '\x0b'
}

@test "non-ASCII outside a comment" {
	lab "node a\nnode caf\303\251\n"
	refused 2 '\xc3'
}

@test "non-ASCII inside a comment is fine" {
	lab "# café, naïve: UTF-8 in a comment\nnode a # ünïcode\n"
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "an empty file: no node" {
	: >"$F"
	chmod 0644 "$F"
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == "npte-lab: up: $F"*"no node"* ]] || { echo "$output"; return 1; }
	[ -z "$(sb ip netns list)" ]
}

@test "a file of only comments: no node" {
	lab "# nothing\n\n   # here\n"
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 2 ] && [[ "$output" == "npte-lab: up: $F"*"no node"* ]] || { echo "$output"; return 1; }
}

@test "a FIFO is refused without hanging" {
	mkfifo -m 0644 "$D/fifo.lab"
	not_a_file "$D/fifo.lab"
}

@test "a directory is refused" {
	mkdir -m 0755 "$D/dir.lab"
	not_a_file "$D/dir.lab"
}

@test "a /proc file is refused" {
	not_a_file /proc/self/status
}

@test "a device is refused" {
	not_a_file /dev/zero
}

@test "a file the caller cannot read is refused as unreadable" {
	lab "node a\n"
	chmod 0600 "$F"
	run as_uid 1234 npte-lab up -n "$F"
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
	[[ "$output" == "npte-lab: up: $F"* ]] || { echo "$output"; return 1; }
	[ -z "$(sb ip netns list)" ]
}

@test "a symlink to a root-only file, through sudo as npte-alice, is refused as unreadable by her" {
	printf 'node a\n' >"$D/secret.lab"
	chmod 0600 "$D/secret.lab"
	ln -s "$D/secret.lab" "$D/link.lab"
	ln -s /etc/shadow "$D/shadow.lab"
	local f
	for f in "$D/link.lab" "$D/shadow.lab"; do
		run as alice npte-lab up -n "$f"
		[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$f: $status $output"; return 1; }
		[[ "$output" == "npte-lab: up: $f"* ]] || { echo "$output"; return 1; }
		# not one byte of the file's text comes back
		[[ "$output" != *"node a"* && "$output" != *root:* ]] || { echo "leaked: $output"; return 1; }
	done
	[ -z "$(sb ip netns list)" ]
}

# bob's lab: namespaces xa and xb, which alice's files then name. Makes
# every *.lab in $D world-readable, so write alice's files first.
bob_lab() {
	printf 'node a\nnode b\nlink a b 10.9.1.1/24 10.9.1.2/24\n' >"$D/ab.lab"
	chmod 0644 "$D"/*.lab
	run as bob npte-lab up --prefix x "$D/ab.lab"
	[ "$status" -eq 0 ] || { echo "bob: $output"; return 1; }
}

@test "a file naming bob's namespaces, up by alice through sudo, gets the uniform taken-name refusal" {
	printf 'node xa\nnode xc\n' >"$D/xa.lab"
	printf 'node ya\nnode yc\n' >"$D/ya.lab"
	bob_lab
	local before
	before=$(sb_state)
	# root's namespace ya: taken by someone who is not alice either
	sb npte-netns create ya
	run as alice npte-lab up "$D/xa.lab"
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$status $output"; return 1; }
	local xa=$output
	[[ "$xa" == *"xa: File exists: the name is taken; use another prefix: npte-lab up --prefix P FILE"* ]] || { echo "$xa"; return 1; }
	[[ "$xa" != *bob* && "$xa" != *"$BOB"* ]] || { echo "names the owner: $xa"; return 1; }
	run as alice npte-lab up "$D/ya.lab"
	# the same words for root's name as for bob's: nothing tells them apart
	[ "${output//ya/NAME}" = "${xa//xa/NAME}" ] || { echo "bob's: $xa"; echo "root's: $output"; return 1; }
	sb npte-netns destroy ya
	# alice made nothing (no xc, no yc) and bob's lab is as it was
	[ "$(sb_state)" = "$before" ] || { diff <(echo "$before") <(sb_state); return 1; }
}

@test "down, status, status --json and play of a file whose nodes are bob's, by alice through sudo, read like root's names (taken, never whose)" {
	printf 'node xa\nnode xb\nlink xa xb 10.9.1.1/24 10.9.1.2/24\nplay xa if-xb leo-starlink down\n' >"$D/x.lab"
	printf 'node za\nnode zb\nlink za zb 10.9.1.1/24 10.9.1.2/24\nplay za if-zb leo-starlink down\n' >"$D/z.lab"
	bob_lab
	# up already tells a taken name from a free one (it cannot make it);
	# what must not show is whose: bob's names read like root's
	sb npte-netns create za
	sb npte-netns create zb
	local before v x
	before=$(sb_state)
	for v in "down" "status" "status --json" "play -n" "play"; do
		# shellcheck disable=SC2086 # v is a verb and its options
		run as alice npte-lab $v "$D/x.lab"
		x=$(same "$D/x.lab" x)
		# shellcheck disable=SC2086
		run as alice npte-lab $v "$D/z.lab"
		[ "$x" = "$(same "$D/z.lab" z)" ] || { diff <(echo "$x") <(same "$D/z.lab" z); echo "$v: bob's vs root's"; return 1; }
		[[ "$x" != *bob* && "$x" != *"$BOB"* ]] || { echo "names the owner: $x"; return 1; }
	done
	# bob's lab and root's namespaces are as they were
	[ "$(sb_state)" = "$before" ] || { diff <(echo "$before") <(sb_state); return 1; }
	sb npte-netns destroy za
	sb npte-netns destroy zb
}

@test "play FILE through sudo as npte-alice: schedule paths by .., absolute, symlink and /proc/self/root are read as her, nothing shown" {
	printf '0 delay 10ms\n' >"$D/secret.sched"
	chmod 0600 "$D/secret.sched"
	ln -s "$D/secret.sched" "$D/link.sched"
	mkdir -m 0755 "$D/sub"
	local p n=0
	for p in ../../../../../../etc/shadow /etc/shadow ./link.sched link.sched sub/../secret.sched \
		/proc/self/root/etc/shadow /proc/1/root/etc/shadow; do
		n=$((n + 1))
		printf 'node a\nnode b\nlink a b 10.9.1.1/24 10.9.1.2/24\nplay a if-b %s\n' "$p" >"$D/p$n.lab"
		chmod 0644 "$D/p$n.lab"
		for v in "play -n" "play"; do
			# shellcheck disable=SC2086 # v is a verb and its option
			run as alice npte-lab $v "$D/p$n.lab"
			[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] || { echo "$p: $v: $status $output"; return 1; }
			[[ "$output" == "npte-lab: play: "*"cannot read it as uid $ALICE: "* ]] || { echo "$p: $output"; return 1; }
			[[ "$output" != *root:* && "$output" != *delay* ]] || { echo "leaked: $output"; return 1; }
		done
	done
	[ -z "$(sb ip netns list)" ]
}

@test "a file path with ESC, BEL, CR and a newline, through sudo as npte-alice: no raw control byte reaches the terminal from up, down, status, status --json, play" {
	local f g v
	f=$(printf '%s/e\033]0;pwn\007\r\n;id;.lab' "$D")
	g=$(printf '%s/u\033[2J\n.lab' "$D")
	printf 'node a\nnode b\nlink a b 10.9.1.1/24 10.9.1.2/24\n' >"$f"
	printf 'node a\n' >"$g"
	chmod 0644 "$f"
	chmod 0600 "$g"
	for v in "up -n" "up" "status" "status --json" "play" "down -n" "down"; do
		for x in "$f" "$g"; do
			# shellcheck disable=SC2086 # v is a verb and its option
			run as alice npte-lab $v "$x"
			if printf '%s' "$output" | LC_ALL=C grep -q '[[:cntrl:]]'; then
				[ "$v" = "up -n" ] || [ "$v" = "down -n" ] || { echo "$v: raw control byte: $(printf '%s' "$output" | od -c | head)"; return 1; }
			fi
			[[ "$output" != *$'\033'* && "$output" != *$'\007'* && "$output" != *$'\r'* ]] || { echo "$v: $output" | od -c | head; return 1; }
			# the name's newline never starts a line of a dry-run script (it would run)
			[[ "$output" != *$'\n;id;'* ]] || { echo "$v: $output"; return 1; }
		done
	done
	[ -z "$(sb ip netns list)" ]
}

@test "quota through sudo as npte-alice: a file of exactly max_namespaces nodes is up, one more is refused whole, and her other namespace counts" {
	sb sh -c 'printf "max_namespaces = 3\n" > /etc/npte/npte.conf'
	printf 'node a\nnode b\nnode c\nlink a b 10.9.1.1/24 10.9.1.2/24\nlink b c 10.9.2.1/24 10.9.2.2/24\n' >"$D/three.lab"
	printf 'node a\nnode b\nnode c\nnode d\nlink a b 10.9.1.1/24 10.9.1.2/24\nlink c d 10.9.2.1/24 10.9.2.2/24\n' >"$D/four.lab"
	chmod 0644 "$D"/*.lab
	run as alice npte-lab up "$D/three.lab"
	[ "$status" -eq 0 ] || { echo "at the limit: $output"; return 1; }
	[ "$(sb ip netns list | wc -l)" -eq 3 ]
	run as alice npte-lab down "$D/three.lab"
	[ "$status" -eq 0 ] && [ -z "$(sb ip netns list)" ] || { echo "down: $output"; return 1; }
	run as alice npte-lab up "$D/four.lab"
	[ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *quota* ]] || { echo "one over: $status $output"; return 1; }
	[ -z "$(sb ip netns list)" ] || { sb ip netns list; return 1; }
	# one of hers already: the three-node file is one over
	run as alice npte-netns create q1
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run as alice npte-lab up --prefix p "$D/three.lab"
	[ "$status" -ne 0 ] && [[ "$output" == *quota* ]] || { echo "with q1: $status $output"; return 1; }
	[ "$(sb ip netns list | cut -d' ' -f1)" = q1 ] || { sb ip netns list; return 1; }
	run as alice npte-netns destroy q1
}

@test "kernel memory through sudo as npte-alice: a file's shapes are charged together, so four tbf queues over the budget are refused whole" {
	local s4 s3
	s3='shape a if-r tbf rate 1gbit burst 64k limit 12mb\nshape r if-a tbf rate 1gbit burst 64k limit 12mb\nshape r if-b tbf rate 1gbit burst 64k limit 12mb\n'
	s4="${s3}shape b if-r tbf rate 1gbit burst 64k limit 12mb\n"
	base "$s4"
	run as alice npte-lab up "$F"
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"kernel memory"* || "$output" == *max_kernel_memory* ]] ||
		{ echo "four: $status $output"; return 1; }
	[ -z "$(sb ip netns list)" ] || { sb ip netns list; return 1; }
	# the dry-run refuses the same
	run as alice npte-lab up -n "$F"
	[ "$status" -eq 2 ] || { echo "four, -n: $status ${output:0:300}"; return 1; }
	# three fit the default 1 GiB: the charge is the file's, not a guess
	base "$s3"
	run as alice npte-lab up "$F"
	[ "$status" -eq 0 ] || { echo "three: $output"; return 1; }
	run as alice npte-lab down "$F"
	[ "$status" -eq 0 ] && [ -z "$(sb ip netns list)" ]
}
