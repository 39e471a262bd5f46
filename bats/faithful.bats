#!/usr/bin/env bats
# Faithful dry-run: for every verb, the live run and its dry-run script (run
# under dash in a second sandbox) leave identical state, snapshotted with
# iproute2's JSON and masked of kernel-chosen values; failing runs fail the
# same way with the same exit status and leave the same state.

load sandbox

setup() {
	sandbox_setup
	command -v jq >/dev/null || skip "needs jq"
	command -v dash >/dev/null || skip "needs dash"
	command -v shellcheck >/dev/null || skip "needs shellcheck"
}

teardown() {
	sandbox2_teardown
	sandbox_teardown
}

LAB='npte-lab create'
PAIR='npte-netns create a b && npte-veth add a b'

# the snapshot really sees what the verb made
saw() { grep -q -- "$1" <<<"$FAITHFUL_STATE" || { echo "snapshot lacks: $1"; echo "$FAITHFUL_STATE"; return 1; }; }
lacks() { ! grep -q -- "$1" <<<"$FAITHFUL_STATE" || { echo "snapshot has: $1"; echo "$FAITHFUL_STATE"; return 1; }; }

@test "faithful: npte-netns create, one and several names" {
	faithful '' npte-netns create alpha
	saw '== marker alpha: owner=0'
	# forwarding off, and the kernel's defaults: DAD on, no ping sockets
	# (veth ends skip DAD, npte-run allows ping)
	saw '^0 0 1 1 0 $'
	faithful '' npte-netns create --forward fw
	saw '^1 1 1 1 0 $'
	faithful '' npte-netns create a1 a2 a3
	saw '== netns a3'
}

@test "faithful: npte-netns create fails the same way when a name exists" {
	faithful 'ip netns add b2' npte-netns create b1 b2
	[ "$FAITHFUL_RC" = 1 ]
	lacks 'netns b1'
}

@test "faithful: npte-netns destroy, including a marker whose namespace is gone" {
	faithful 'npte-netns create d1 d2' npte-netns destroy d1
	lacks 'netns d1'
	saw 'marker d2'
	faithful 'npte-netns create g1 && ip netns del g1' npte-netns destroy g1
	lacks 'marker g1'
}

@test "faithful: npte-veth add and del" {
	faithful 'npte-netns create a b' npte-veth add a b
	# each end skips DAD, set before it is up
	saw '^-- if-b accept_dad 0$'
	saw '^-- if-a accept_dad 0$'
	faithful "$PAIR" npte-veth del a b
	lacks '"ifname":"if-b"'
	faithful 'npte-netns create a b' npte-veth add a b
	saw '"ifname":"if-b"'
	saw '"ifname":"if-a"'
}

@test "faithful: npte-addr add and del, IPv4 and IPv6" {
	faithful "$PAIR" npte-addr add a if-b 10.9.0.1/24
	saw '"local":"10.9.0.1"'
	faithful "$PAIR" npte-addr add a if-b fd00:9::1/64
	saw '"local":"fd00:9::1"'
	faithful "$PAIR && npte-addr add a if-b 10.9.0.1/24" npte-addr del a if-b 10.9.0.1/24
	lacks '10.9.0.1'
}

@test "faithful: npte-route add and del, default and CIDR, IPv4 and IPv6" {
	local s="$PAIR && npte-addr add a if-b 10.9.0.1/24 && npte-addr add a if-b fd00:9::1/64"
	faithful "$s" npte-route add a default 10.9.0.2
	saw '"gateway":"10.9.0.2"'
	faithful "$s" npte-route add a 192.168.7.0/24 10.9.0.2
	saw '"dst":"192.168.7.0/24"'
	faithful "$s" npte-route add a default fd00:9::2
	saw '"gateway":"fd00:9::2"'
	faithful "$s && npte-route add a 192.168.7.0/24 10.9.0.2" npte-route del a 192.168.7.0/24 10.9.0.2
	lacks '192.168.7.0'
}

@test "faithful: npte-netem rate and clear (tbf)" {
	faithful "$PAIR" npte-netem rate a if-b 20mbit
	saw '"kind":"tbf"'
	faithful "$PAIR && npte-netem rate a if-b 20mbit" npte-netem rate a if-b 50mbit --burst 64kb
	saw '"kind":"tbf"'
	faithful "$PAIR && npte-netem rate a if-b 20mbit" npte-netem clear a if-b
	lacks '"kind":"tbf"'
	faithful "$PAIR" npte-netem clear a if-b
}

@test "faithful: npte-lab create, destroy, and create with a prefix" {
	faithful '' npte-lab create
	saw '"local":"fd00:16:3::2"'
	saw '"gateway":"172.16.2.1"'
	faithful "$LAB" npte-lab destroy
	lacks 'netns'
	faithful '' npte-lab create --prefix u1
	saw '== netns u1router'
}

@test "faithful: npte-lab create fails the same way on a foreign namespace" {
	faithful 'ip netns add server' npte-lab create
	[ "$FAITHFUL_RC" != 0 ]
	lacks 'netns client'
	saw '== netns server'
}

@test "faithful: npte-lab destroy of a half-gone lab" {
	faithful "$LAB && npte-netns destroy router" npte-lab destroy
	lacks 'netns'
}
