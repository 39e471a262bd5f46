#!/usr/bin/env bats
# npte-netns end to end in a sandbox: what create makes, list/show in text
# and JSON, one transaction for several names, iproute2 interop, ownership
# (uniform refusal), hostile names and strict arguments with no change at all.

load sandbox

setup() {
	sandbox_setup
}

teardown() {
	sandbox_teardown
}


@test "create: the namespace, lo up, forwarding off (v4 and v6), no sysctl written, and the marker owner=UID" {
	run as_uid 1234 npte-netns create alpha
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(sb ip netns list | cut -d' ' -f1)" = alpha ]
	[[ "$(sb ip -n alpha -br link show lo)" == *UP* ]]
	[ "$(sb ip netns exec alpha sysctl -n net.ipv4.ip_forward)" = 0 ]
	[ "$(sb ip netns exec alpha sysctl -n net.ipv6.conf.all.forwarding)" = 0 ]
	# nothing a namespace without links or programs needs: DAD is skipped
	# per veth end, ping sockets allowed where npte-run runs a program
	[ "$(sb ip netns exec alpha sysctl -n net.ipv6.conf.default.accept_dad)" = 1 ]
	[ "$(sb ip netns exec alpha sysctl -n net.ipv4.ping_group_range)" = "$(printf '1\t0')" ]
	run sb cat /run/npte/netns/alpha
	[[ "$output" == *"owner=1234"* ]]
	# and only inside: the sandbox's own namespace keeps its settings
	[ "$(sb sysctl -n net.ipv4.ip_forward)" = 0 ]
}

@test "create --forward: forwarding on (v4 and v6) in that namespace only, same marker" {
	run as_uid 1234 npte-netns create --forward router plain
	[ "$status" -eq 0 ]
	[ "$(sb ip netns exec router sysctl -n net.ipv4.ip_forward)" = 1 ]
	[ "$(sb ip netns exec router sysctl -n net.ipv6.conf.all.forwarding)" = 1 ]
	[[ "$(sb cat /run/npte/netns/router)" == *"owner=1234"* ]]
	run sb npte-netns create -n --forward other
	[[ "$output" == *"ip netns exec other sysctl -q -w net.ipv4.ip_forward=1"* ]]
	[[ "$output" == *"ip netns exec other sysctl -q -w net.ipv6.conf.all.forwarding=1"* ]]
	run sb npte-netns create -n other
	[[ "$output" != *forward* ]]
	[ "$(sb sysctl -n net.ipv4.ip_forward)" = 0 ]
}

@test "list and show, text and JSON; root sees every owner, a user only their own" {
	sb npte-netns create b a
	as_uid 1001 npte-netns create c
	run sb npte-netns list
	[ "$output" = "$(printf 'a 0\nb 0\nc 1001')" ]
	run sb npte-netns list --json
	[ "$(jq -c '[.[] | [.name, .owner]]' <<<"$output")" = '[["a",0],["b",0],["c",1001]]' ]
	run as_uid 1001 npte-netns list
	[ "$output" = c ]
	run as_uid 1002 npte-netns list --json
	[ "$output" = "[]" ]
	sb ip -n a addr add 10.7.0.1/24 dev lo
	run sb npte-netns show a
	[ "${lines[0]}" = "namespace a (owner 0)" ]
	[[ "$output" == *"lo inet 10.7.0.1/24"* ]]
	run sb npte-netns show --json a
	[ "$(jq -r '.links[0].name, (.addresses | map(.local) | index("10.7.0.1") != null)' <<<"$output")" = "$(printf 'lo\ntrue')" ]
	run as_uid 1001 npte-netns show a
	[ "$status" -eq 2 ]
}

@test "several names are one transaction: a taken name in the middle leaves none of the others" {
	sb npte-netns create keep
	sb ip netns add foreign
	local before
	before=$(sb_state)
	run sb npte-netns create n1 foreign n3
	[ "$status" -eq 1 ]
	[[ "$output" == *"foreign: File exists"* ]]
	[ "$(sb_state)" = "$before" ]
	run sb npte-netns create n1 keep
	[ "$status" -eq 1 ]
	[ "$(sb_state)" = "$before" ]
	# the foreign namespace is intact and still not npte's
	sb ip netns exec foreign true
	sb test ! -e /run/npte/netns/foreign
}

@test "iproute2 sees npte's namespaces; npte refuses iproute2's with exit 2, for every verb" {
	sb npte-netns create mine
	[[ "$(sb ip netns list)" == *mine* ]]
	[ "$(sb ip netns exec mine cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
	sb ip netns add theirs
	local cmd
	while IFS= read -r cmd; do
		# shellcheck disable=SC2086
		run sb $cmd
		[ "$status" -eq 2 ] || { echo "$cmd: $status $output"; return 1; }
		[[ "$output" == *"theirs: not found or not yours"* ]] || { echo "$cmd: $output"; return 1; }
	done <<-'EOF'
		npte-netns destroy theirs
		npte-netns show theirs
		npte-veth add mine theirs
		npte-addr add theirs lo 10.0.0.1/8
		npte-route add theirs default 10.0.0.1
		npte-netem rate theirs lo 1mbit
		npte-run theirs true
	EOF
	sb ip netns exec theirs true
}

@test "another user's namespace: the same refusal, word for word, as a missing one" {
	as_uid 1001 npte-netns create hers
	local v theirs missing
	for v in destroy show; do
		theirs=$(as_uid 1002 npte-netns "$v" hers 2>&1; echo "rc=$?")
		missing=$(as_uid 1002 npte-netns "$v" nosuch 2>&1; echo "rc=$?")
		[ "${theirs//hers/X}" = "${missing//nosuch/X}" ] || { echo "$theirs / $missing"; return 1; }
		[[ "$theirs" == *"rc=2" ]]
	done
	[ "$(sb npte-netns list)" = "hers 1001" ]
	# root without sudo owns everything
	sb npte-netns destroy hers
	[ -z "$(sb ip netns list)" ]
}

@test "destroy: namespace then marker; a marker whose namespace is gone is destroyed too" {
	sb npte-netns create a b
	sb ip netns del b
	run sb npte-netns destroy a b
	[ "$status" -eq 0 ]
	[ -z "$(sb ip netns list)" ]
	[ -z "$(sb ls -A /run/npte/netns)" ]
}

@test "hostile names: exit 2, one line naming the value, no change" {
	sb npte-netns create keep
	local before name
	before=$(sb_state)
	for name in "" A 1a a-b a_b abcdefghijklm ../etc a/b -a "a b" $'a\nb' all default host \
		none 'a%d' $'a\x01' "$(printf 'caf\xc3\xa9')" "a;reboot" '$(id)' "'" "*" .; do
		for verb in create destroy show; do
			run sb npte-netns "$verb" -- "$name"
			[ "$status" -eq 2 ] || { echo "$verb '$name': $status $output"; return 1; }
			[ "${#lines[@]}" -eq 1 ] || { echo "$verb '$name': ${#lines[@]} lines: $output"; return 1; }
			[[ "$output" == *"npte-netns: $verb: invalid namespace name"* ]] ||
				{ echo "$verb '$name': $output"; return 1; }
		done
	done
	[ "$(sb_state)" = "$before" ]
}

@test "strict arguments: no abbreviations, unknown options, bad --wait, missing names; -- ends options" {
	local before
	before=$(sb_state)
	local args
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		run sb npte-netns $args
		[ "$status" -eq 2 ] || { echo "'$args': $status $output"; return 1; }
		[ "${#lines[@]}" -ge 1 ]
	done <<-'EOF'
		creat a
		create --dry a
		create --dry-runs a
		create --wait
		create --wait -1 a
		create --wait 1.5 a
		create --wait 86401 a
		create --bogus a
		create
		destroy
		show
		show a b
		list extra
		list --jso
		gc extra
		frobnicate
	EOF
	run sb npte-netns create -- -n
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid namespace name '-n'"* ]]
	[ "$(sb_state)" = "$before" ]
	run sb npte-netns --version
	[ "$status" -eq 0 ]
	[[ "$output" == "npte-netns "* ]]
}

@test "dry-run: a script that passes shellcheck and sh -n, touches nothing, and needs no root" {
	local before
	before=$(sb_state)
	run sb npte-netns create -n a b
	[ "$status" -eq 0 ]
	[ "$(sb_state)" = "$before" ]
	sb test ! -e /run/npte/lock
	printf '%s\n' "$output" | shellcheck -s sh -S warning -
	printf '%s\n' "$output" | dash -n
	[[ "$output" == *"ip netns add a"* ]]
	[[ "$output" == *"ip netns add b"* ]]
	# a plain user may print one (nothing to protect: it changes nothing)
	run setpriv --reuid 65534 --regid 65534 --clear-groups "$TOP/build/bin/npte-netns" create -n a
	[ "$status" -eq 0 ]
	[[ "$output" == *"ip netns add a"* ]]
}

@test "the quota: a user past max_namespaces gets exit 2 and nothing; a bad config file is refused" {
	sb sh -c 'mkdir -p /run/etc-npte && printf "max_namespaces = 2\n" > /run/etc-npte/npte.conf &&
		mkdir -p /etc/npte 2>/dev/null; mount --bind /run/etc-npte /etc/npte' ||
		skip "cannot bind a config over /etc/npte"
	as_uid 1001 npte-netns create a
	run as_uid 1001 npte-netns create b c
	[ "$status" -eq 2 ]
	[[ "$output" == *"would exceed max_namespaces = 2"* ]]
	[ "$(sb ip netns list | wc -l)" -eq 1 ]
	sb sh -c 'printf "max_namespace = 2\n" > /etc/npte/npte.conf'
	run as_uid 1001 npte-netns create b
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown key"* ]]
	sb sh -c 'printf "max_namespaces = 2\n" > /etc/npte/npte.conf; chmod 0666 /etc/npte/npte.conf'
	run as_uid 1001 npte-netns create b
	[ "$status" -eq 2 ]
	[ "$(sb ip netns list | wc -l)" -eq 1 ]
}

@test "identity: a namespace swapped in under npte's name (ip netns del + add) is refused; gc drops the stale marker only" {
	sb npte-netns create a
	sb ip netns del a
	sb ip netns add a
	sb ip -n a link set lo up
	local v
	for v in show destroy; do
		run sb npte-netns "$v" a
		[ "$status" -eq 2 ]
		[[ "$output" == *"a: not found or not yours"* ]]
	done
	run sb npte-veth add a a2
	[ "$status" -eq 2 ]
	run sb npte-netns gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"remove marker a: the namespace under that name is not the one npte made"* ]]
	sb test ! -e /run/npte/netns/a
	# the impostor is left as it was: not npte's to remove
	[[ "$(sb ip -n a -br link show lo)" == *UP* ]]
}

@test "a batch create right after a batch destroy: ids still held by ending namespaces are stepped over; each namespace has its own" {
	local names
	names=$(printf 'b%d ' $(seq 100))
	# shellcheck disable=SC2086
	sb npte-netns create $names >/dev/null
	# shellcheck disable=SC2086
	sb npte-netns destroy $names >/dev/null
	names=$(printf 'c%d ' $(seq 300))
	# shellcheck disable=SC2086
	run sb npte-netns create $names
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb sh -c 'cat /run/npte/netns/* | grep -c "^nsid="')" -eq 300 ]
	[ -z "$(sb sh -c 'cat /run/npte/netns/* | grep "^nsid=" | sort | uniq -d')" ]
}

@test "show: every qdisc as tc words (the words npte-netem takes back), text and JSON" {
	sb npte-lab create >/dev/null
	sb npte-netem tbf router if-server rate 10mbit burst 10k latency 50ms
	run sb npte-netns show router
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(printf 'qdiscs:\n  lo root  0: noqueue\n  if-client root  0: noqueue\n  if-server root  1: tbf rate 10mbit burst 10240b limit 72740b')" ]] ||
		{ echo "$output"; return 1; }
	run sb npte-netns show --json router
	[ "$status" -eq 0 ]
	[ "$(jq -c '.qdiscs[2]' <<<"$output")" = '{"dev":"if-server","kind":"tbf","handle":"1:","parent":"root","root":true,"words":"rate 10mbit burst 10240b limit 72740b"}' ] ||
		{ echo "$output"; return 1; }
	# the same words as npte-netem show's, from the one describer
	[ "$(sb npte-netem show router if-server | sed -n 2p)" = "  root  1: tbf rate 10mbit burst 10240b limit 72740b" ]
}

# inside_netlink STRACE: the netlink sockets made inside another namespace
# (npte's setns calls pair up: in, then back home)
inside_netlink() {
	awk '/setns\(/ { in_ns = !in_ns } /socket\(AF_NETLINK/ && in_ns { n++ } END { print n + 0 }' "$1"
}

@test "issue 24: destroy reads each marker once and opens no netlink socket inside what it removes, unless a qdisc there can queue" {
	command -v strace >/dev/null || skip "needs strace (to count the sockets destroy opens)"
	local t=$BATS_TEST_TMPDIR/st n
	sb npte-netns create d1 d2 d3 d4 d5 >/dev/null
	sb strace -f -qq -o "$t" -e trace=socket,openat,setns npte-netns destroy d1 d2 d3 d4 d5 >/dev/null
	# no netlink socket inside (made between a setns in and the setns back):
	# it would hold the namespace an RCU grace period past its close, so
	# that the namespace looked still held
	n=$(inside_netlink "$t")
	[ "$n" -eq 0 ] || { grep -E 'socket|setns' "$t"; return 1; }
	for n in d1 d2 d3 d4 d5; do
		[ "$(grep -c "openat([0-9]*, \"$n\"" "$t")" -eq 1 ] || { grep openat "$t"; return 1; }
	done
	[ -z "$(sb ip netns list)" ]
	# a tbf can hold packets: its memory is read from inside (one more socket),
	# for the draining record should something hold the namespace
	sb npte-netns create q1 q2 >/dev/null
	sb npte-netem tbf q2 lo rate 10mbit burst 10k latency 50ms
	sb strace -f -qq -o "$t" -e trace=socket,setns npte-netns destroy q1 q2 >/dev/null
	n=$(inside_netlink "$t")
	[ "$n" -eq 1 ] || { cat "$t"; return 1; }
	[ -z "$(sb ip netns list)" ]
}
