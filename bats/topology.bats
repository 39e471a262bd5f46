#!/usr/bin/env bats
# npte-veth, npte-addr, npte-route and npte-lab in a sandbox: real TCP and
# ICMP through the lab's router (IPv4 and IPv6), lab rollback around a
# foreign namespace, prefixes, ownership, and hostile values with no change.

load sandbox

setup() {
	sandbox_setup
}

teardown() {
	sandbox_teardown
}

# echo_reply NS ADDR [TEXT] [-6]: an echo request from NS to ADDR is answered
# (with TEXT in ping's output, if given). Up to 5 s, one request a second until
# the first reply: CI once had no IPv4 reply to a lone request within 2 s while
# IPv4 TCP and IPv6 ping worked, so one lost echo is not the verdict; what is
# missing gets printed (ping's output, the sender's ICMP counters) to say why.
echo_reply() {
	local ns=$1 addr=$2 want=${3:-} out rc=0
	out=$(sb ip netns exec "$ns" ping ${4:+"$4"} -n -c 1 -w 5 "$addr" 2>&1) || rc=$?
	[ "$rc" = 0 ] && [[ "$out" == *"$want"* ]] && return 0
	echo "ping $addr from $ns: exit $rc: $out"
	local n
	for n in $(sb ip netns list | cut -d' ' -f1); do
		echo "-- $n: addresses, neighbours, routes, counters"
		sb ip -n "$n" -br addr
		sb ip -n "$n" neigh
		sb ip -n "$n" route
		sb ip netns exec "$n" nstat -az 'Icmp*' 'Ip*' 'Ip6*Echo*' 2>&1 | grep -v ' 0 ' || true
	done
	return 1
}

# tcp_through P ADDR: a line sent from Pclient reaches a listener on ADDR in Pserver.
tcp_through() {
	local p=$1 addr=$2 got=$BATS_TEST_TMPDIR/got.$RANDOM
	sb timeout 10 ip netns exec "${p}server" nc -l -N "$addr" 7001 >"$got" 3>&- &
	local srv=$!
	listening "${p}server" 7001
	echo "through-$addr" | sb timeout 10 ip netns exec "${p}client" nc -N -w 5 "$addr" 7001
	wait "$srv"
	[ "$(cat "$got")" = "through-$addr" ]
}

@test "veth: one pair, if-RIGHT in LEFT and if-LEFT in RIGHT, both up, nothing left in the host namespace" {
	sb npte-netns create a b
	local host_before
	host_before=$(sb ip -br link)
	run sb npte-veth add a b
	[ "$status" -eq 0 ]
	[[ "$(sb ip -n a -br link show if-b)" == *UP* ]]
	[[ "$(sb ip -n b -br link show if-a)" == *UP* ]]
	[ "$(sb ip -n a -d link show if-b | grep -c 'veth')" -ge 1 ]
	[ "$(sb ip -br link)" = "$host_before" ]
	run sb npte-veth del b a
	[ "$status" -eq 0 ]
	[ -z "$(sb ip -n a -br link show type veth)" ]
	[ -z "$(sb ip -n b -br link show type veth)" ]
}

@test "addr and route: IPv4 and IPv6, usable at once (no tentative address), del undoes add" {
	sb npte-netns create a b
	sb npte-veth add a b
	sb npte-addr add a if-b 10.5.0.1/24
	sb npte-addr add b if-a 10.5.0.2/24
	sb npte-addr add a if-b fd00:5::1/64
	sb npte-addr add b if-a fd00:5::2/64
	[ -z "$(sb ip -n a -6 addr show tentative)" ]
	# a packet at once: no DAD wait (a tentative address would refuse it)
	sb ip netns exec a ping -6 -n -c 1 -W 2 fd00:5::2 >/dev/null
	echo_reply a 10.5.0.2
	run sb npte-route add a 10.9.0.0/16 10.5.0.2
	[ "$status" -eq 0 ]
	[[ "$(sb ip -n a route)" == *"10.9.0.0/16 via 10.5.0.2 dev if-b"* ]]
	sb npte-route add a fd00:9::/64 fd00:5::2
	[[ "$(sb ip -n a -6 route)" == *"fd00:9::/64 via fd00:5::2 dev if-b"* ]]
	sb npte-route add b default 10.5.0.1
	[[ "$(sb ip -n b route)" == *"default via 10.5.0.1 dev if-a"* ]]
	sb npte-route del a 10.9.0.0/16 10.5.0.2
	sb npte-route del a fd00:9::/64 fd00:5::2
	sb npte-addr del a if-b 10.5.0.1/24
	[[ "$(sb ip -n a route)" != *10.9.0.0* ]]
	[[ "$(sb ip -n a -6 route)" != *fd00:9::* ]]
	[[ "$(sb ip -n a addr)" != *10.5.0.1* ]]
}

@test "lab: TCP over IPv4 and IPv6 and ICMP cross the router (ttl 63), status complete, destroy twice" {
	run sb npte-lab create
	[ "$status" -eq 0 ]
	run sb npte-lab status
	[ "${lines[0]}" = "lab client, router, server: complete (19 of 19 parts)" ]
	[ "$(sb npte-lab status --json | jq -r .state)" = complete ]
	tcp_through "" 172.16.2.2
	tcp_through "" fd00:16:2::2
	echo_reply client 172.16.2.2 ttl=63
	echo_reply client fd00:16:2::2 ttl=63 -6
	# only the router routes: the ends keep the kernel's forwarding 0
	[ "$(sb ip netns exec router sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | tr '\n' ' ')" = "1 1 " ]
	[ "$(sb ip netns exec client sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | tr '\n' ' ')" = "0 0 " ]
	[ "$(sb ip netns exec server sysctl -n net.ipv4.ip_forward)" = 0 ]
	# the client's route goes through the router, not around it
	[[ "$(sb ip netns exec client ip route get 172.16.2.2)" == *"via 172.16.3.1"* ]]
	sb npte-lab destroy
	[ -z "$(sb ip netns list)" ]
	[[ "$(sb npte-lab status)" == *"absent (0 of 19 parts)"* ]]
	run sb npte-lab destroy
	[ "$status" -eq 0 ]
}

@test "lab: a foreign namespace holding one name fails the create, leaves nothing of the lab and the foreigner intact" {
	sb ip netns add router
	sb ip -n router link add v0 type veth peer name v1
	local before
	before=$(sb_state)
	run sb npte-lab create
	[ "$status" -eq 1 ]
	[[ "$output" == *"router: File exists"* ]]
	[ "$(sb_state)" = "$before" ]
	[ "$(sb ip netns list | cut -d' ' -f1)" = router ]
	sb ip -n router link show v0 >/dev/null
	sb test ! -e /run/npte/netns/router
}

@test "lab: two prefixes side by side, each with its own traffic; too long a prefix is exit 2" {
	sb npte-lab create --prefix a
	sb npte-lab create --prefix b
	[ "$(sb ip netns list | wc -l)" -eq 6 ]
	tcp_through a 172.16.2.2
	tcp_through b 172.16.2.2
	[[ "$(sb npte-lab status --prefix b)" == *"complete (19 of 19 parts)"* ]]
	sb npte-lab destroy --prefix a
	[[ "$(sb npte-lab status --prefix b)" == *complete* ]]
	run sb npte-lab create --prefix toolong1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--prefix 'toolong1' is too long"* ]]
}

@test "ownership: another user's namespaces are refused by every verb, uniformly, and nothing changes" {
	as_uid 1001 npte-lab create
	local before cmd out
	before=$(sb_state)
	while IFS= read -r cmd; do
		# shellcheck disable=SC2086
		out=$(as_uid 1002 $cmd 2>&1; echo "rc=$?")
		[[ "$out" == *": not found or not yours"*"rc=2" ]] || { echo "$cmd: $out"; return 1; }
	done <<-'EOF'
		npte-veth del client router
		npte-veth add client server
		npte-addr add client if-router 10.1.1.1/24
		npte-addr del router if-client 172.16.3.1/24
		npte-route add client 10.2.0.0/16 172.16.3.1
		npte-route del server default 172.16.2.1
		npte-netem rate router if-server 1mbit
		npte-netem clear router if-server
		npte-lab destroy
		npte-lab netem --profile 4g-bloated
	EOF
	[ "$(sb_state)" = "$before" ]
	[[ "$(as_uid 1002 npte-lab status)" == *"absent"* ]]
}

@test "hostile values for every argument of veth, addr, route and lab: exit 2, one line naming it, no change" {
	sb npte-netns create a b
	sb npte-veth add a b
	local before cmd
	before=$(sb_state)
	while IFS= read -r cmd; do
		eval "set -- $cmd"
		run sb "$@"
		[ "$status" -eq 2 ] || { echo "$cmd: $status $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$cmd: $output"; return 1; }
	done <<-'EOF'
		npte-veth add a a
		npte-veth add A b
		npte-veth add a ../b
		npte-addr add a if-b 10.0.0.1
		npte-addr add a if-b 10.0.0.1/33
		npte-addr add a if-b 10.0.0.256/24
		npte-addr add a if-b ' 10.0.0.1/24'
		npte-addr add a if-b 10.0.0.1/24x
		npte-addr add a if-b 10.0.0.1/024
		npte-addr add a if-b fe80::1%eth0/64
		npte-addr add a if-b fd00::1/129
		npte-addr add a if-b 0x0a000001/8
		npte-addr add a if-b 10.1/8
		npte-addr add a if-b '$(id)/8'
		npte-addr add a 'if b' 10.0.0.1/24
		npte-addr add a if/b 10.0.0.1/24
		npte-addr add a .. 10.0.0.1/24
		npte-addr add a -x 10.0.0.1/24
		npte-addr add a 'lo%d' 10.0.0.1/24
		npte-addr add a abcdefghijklmnop 10.0.0.1/24
		npte-addr add a $'if\nb' 10.0.0.1/24
		npte-addr add a '' 10.0.0.1/24
		npte-route add a 10.0.0.1/24 10.0.0.2
		npte-route add a 10.0.0.0/24 fd00::2
		npte-route add a fd00::/64 10.0.0.2
		npte-route add a default 10.0.0.2/32
		npte-route add a Default 10.0.0.2
		npte-route add a default ::ffff:10.0.0.2x
		npte-route add a 10.0.0.0 10.0.0.2
		npte-lab create --prefix A
		npte-lab create --prefix a-b
		npte-lab create --prefix ''
		npte-lab create --prefix toolong1
		npte-lab netem --profile nosuch
		npte-lab netem --profile '../x'
	EOF
	# wrong arity: exit 2 with the usage after the one-line error
	for cmd in "npte-veth add a" "npte-veth add a b c" "npte-addr add a if-b" "npte-route del a default" \
		"npte-lab create extra"; do
		# shellcheck disable=SC2086
		run sb $cmd
		[ "$status" -eq 2 ] || { echo "$cmd: $status $output"; return 1; }
		[[ "${lines[0]}" == "${cmd%% *}: "*"wrong number of arguments"* ||
			"${lines[0]}" == "${cmd%% *}: "*"takes no arguments"* ]] || { echo "$cmd: $output"; return 1; }
	done
	[ "$(sb_state)" = "$before" ]
}

@test "lab: an unknown profile for netem or play is one line naming it, escaped, and what there is; exit 2" {
	local verb want
	for verb in netem play; do
		run sb npte-lab "$verb" --profile $'no\x01such'
		[ "$status" -eq 2 ] || { echo "$verb: $status $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$verb: $output"; return 1; }
		want="npte-lab: $verb: unknown profile 'no\\x01such'; available: "
		[[ "$output" == "$want"* ]] || { echo "$verb: $output"; return 1; }
		# every name --list gives, in its order
		want+=$(sb npte-lab "$verb" --list | grep '^[a-z0-9-]*$' | paste -sd' ')
		[ "$output" = "$want" ] || { echo "$verb: want: $want"; echo "got:  $output"; return 1; }
	done
}
