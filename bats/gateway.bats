#!/usr/bin/env bats
# npte-gateway (issue 28): a lab's way out through the host, NATed, with
# nothing of the host reachable. Never the host's real network: in each
# sandbox a namespace "inet" plays the internet, and the sandbox's own root
# namespace plays the host, whose default route (up0, IPv4 and IPv6) leads
# there.

load sandbox

setup() {
	sandbox_setup
	command -v nft >/dev/null || skip "needs nft (Debian nftables)"
	command -v jq >/dev/null || skip "needs jq"
	command -v perl >/dev/null || skip "needs perl"
	internet sb
}

# need_ff: the test judges the IPv6 half, which needs per-interface IPv6
# forwarding; the IPv4-only test below runs on older kernels too.
need_ff() {
	[ -e /proc/sys/net/ipv6/conf/lo/force_forwarding ] || skip "needs Linux 6.17 (IPv6 force_forwarding)"
}

teardown() {
	sandbox2_teardown
	sandbox_teardown
}

# internet SB: the "internet" namespace and the host's default routes to it.
internet() {
	$1 sh -c '
		set -e
		ip netns add inet
		ip link add up0 type veth peer name eth0 netns inet
		ip addr add 198.51.100.2/24 dev up0
		ip addr add 2001:db8:1::2/64 dev up0 nodad
		ip link set up0 up
		ip -n inet addr add 198.51.100.1/24 dev eth0
		ip -n inet addr add 2001:db8:1::1/64 dev eth0 nodad
		ip -n inet link set eth0 up
		ip -n inet link set lo up
		ip route add default via 198.51.100.1
		ip -6 route add default via 2001:db8:1::1
		# the control: the internet reaches the gateway'"'"'s host address
		ip -n inet route add 100.64.0.0/10 via 198.51.100.2'
}

# serve NS ADDR PORT OUT: a TCP server in NS that writes its one peer's
# address to OUT and says pong; returns once it listens.
serve() {
	sb ip netns exec "$1" perl -MIO::Socket::IP -e '
		my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => $ARGV[1], Listen => 1,
			ReuseAddr => 1) or die "listen: $@";
		alarm 20;
		my $c = $s->accept or die;
		open my $o, ">", $ARGV[2] or die; print $o $c->peerhost, "\n"; close $o;
		# read the ping first: a close with unread bytes resets the connection, pong lost
		my $l = <$c>; print $c "pong\n"; close $c' "$2" "$3" "$4" 3>&- &
	bg_note "$BATS_TEST_TMPDIR/bg" $!
	listening "$1" "$3"
}

# ask NS ADDR PORT: connect from NS, succeed on the server's pong.
ask() {
	sb ip netns exec "$1" sh -c 'echo ping | timeout 5 nc -N "$0" "$1"' "$2" "$3" | grep -qx pong
}

# reaches NS ADDR PORT: a connection from NS gets through within 2 s.
reaches() {
	sb ip netns exec "$1" timeout 3 nc -z -w 2 "$2" "$3"
}

# Everything a gateway may change, host and namespaces, kernel-chosen values
# masked (nft handles too): what destroy and a crash + gc must put back.
GW_JQ='walk(if type == "object" then del(.handle) else . end)'
gw_state() {
	local enter=${1:-sb}
	sb_snapshot "$enter"
	$enter sh -c '
		echo "== host"
		for what in "-d link" "addr" "-4 route" "-6 route"; do echo "-- ip $what"; ip -j $what show; done
		for f in ipv4/conf/all/forwarding ipv4/conf/up0/forwarding ipv6/conf/all/forwarding \
			ipv6/conf/up0/force_forwarding ipv6/conf/up0/forwarding; do
			echo "$f $(cat /proc/sys/net/$f)"; done
		echo "-- nft"; nft -j list ruleset
		for ns in $(ip netns list | cut -d" " -f1 | sort); do echo "-- nft $ns"; ip netns exec "$ns" nft -j list ruleset; done' 2>&1 |
		jq -R -r "if test(\"^[[{]\") then (fromjson | ($SNAP_JQ) | $GW_JQ | tojson) else . end"
}

@test "gateway: client through router reaches the internet over IPv4 and IPv6, as the host's address" {
	need_ff
	sb npte-lab create >/dev/null
	run sb npte-gateway create router
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	serve inet 198.51.100.1 8080 "$BATS_TEST_TMPDIR/peer4"
	ask client 198.51.100.1 8080
	[ "$(cat "$BATS_TEST_TMPDIR/peer4")" = 198.51.100.2 ]
	serve inet 2001:db8:1::1 8081 "$BATS_TEST_TMPDIR/peer6"
	ask client 2001:db8:1::1 8081
	[ "$(cat "$BATS_TEST_TMPDIR/peer6")" = 2001:db8:1::2 ]
	# the router itself too
	serve inet 198.51.100.1 8082 "$BATS_TEST_TMPDIR/peer4r"
	ask router 198.51.100.1 8082
	[ "$(cat "$BATS_TEST_TMPDIR/peer4r")" = 198.51.100.2 ]
	bg_end "$BATS_TEST_TMPDIR/bg"
}

@test "gateway: nothing of the host is reachable from the namespace, by its address or any" {
	need_ff
	sb npte-lab create >/dev/null
	sb npte-gateway create router
	# listeners on the host: the gateway's host address, and every address
	sb sh -c 'for a in 100.64.0.1:9090 0.0.0.0:9091 [fd6e:7074:6777::1]:9092 [::]:9093; do
		p=${a##*:}; h=${a%:*}; h=${h#[}; h=${h%]}
		perl -MIO::Socket::IP -e "my \$s = IO::Socket::IP->new(LocalHost => \"$h\", LocalPort => $p,
			Listen => 8, ReuseAddr => 1) or die; alarm 60; while (accept(my \$c, \$s)) { close \$c }" 3>&- &
		echo $! >>"$1"; done' sh "$BATS_TEST_TMPDIR/hostl"
	for p in 9090 9091 9092 9093; do
		for _ in $(seq 50); do sb ss -Hltn "sport = :$p" | grep -q . && break; sleep 0.1; done
	done
	# the controls: from the internet, the same listeners answer
	reaches inet 100.64.0.1 9090
	reaches inet 198.51.100.2 9091
	reaches inet 2001:db8:1::2 9093
	for ns in router client; do
		! reaches "$ns" 100.64.0.1 9090 || false
		! reaches "$ns" 100.64.0.1 9091 || false
		! reaches "$ns" 198.51.100.2 9091 || false
		! reaches "$ns" fd6e:7074:6777::1 9092 || false
		! reaches "$ns" fd6e:7074:6777::1 9093 || false
		! reaches "$ns" 2001:db8:1::2 9093 || false
	done
	# nor can the internet open a connection into the namespace
	serve router 100.64.0.2 8090 "$BATS_TEST_TMPDIR/in"
	! reaches inet 100.64.0.2 8090 || false
	end_tree $(cat "$BATS_TEST_TMPDIR/hostl")
	bg_end "$BATS_TEST_TMPDIR/bg"
}

@test "gateway: destroy leaves nothing behind, one gateway or two" {
	need_ff
	sb npte-lab create >/dev/null
	sb npte-netns create other
	local before
	before=$(gw_state)
	sb npte-gateway create router
	[ "$(gw_state)" != "$before" ]
	sb npte-gateway create other
	run sb npte-gateway status
	# the second gateway takes the next slot
	[ "$(sort <<<"$output")" = "other gw-other gw-host 100.64.0.6 fd6e:7074:6777:1::2
router gw-router gw-host 100.64.0.2 fd6e:7074:6777::2" ] || { echo "$output"; return 1; }
	# the second gateway takes the next slot
	sb ip -n other -br addr show gw-host | grep -q ' 100.64.0.6/30 '
	sb npte-gateway destroy router
	# the other one still works: the uplink's forwarding stays
	[ "$(sb cat /proc/sys/net/ipv4/conf/up0/forwarding)" = 1 ]
	serve inet 198.51.100.1 8080 "$BATS_TEST_TMPDIR/peer"
	ask other 198.51.100.1 8080
	sb npte-gateway destroy other
	diff <(echo "$before") <(gw_state)
	run sb npte-gateway destroy other
	[ "$status" -eq 2 ]
	[ "$output" = "npte-gateway: destroy: other: no gateway" ]
	bg_end "$BATS_TEST_TMPDIR/bg"
}

@test "gateway: forwarding already on at the uplink is left on, and no uplink chain is made" {
	need_ff
	sb npte-netns create router
	sb sysctl -q -w net.ipv4.conf.up0.forwarding=1
	sb npte-gateway create router
	run sb nft list table inet npte
	[[ "$output" != *up4-up0* ]]
	[[ "$output" == *up6-up0* ]]
	sb npte-gateway destroy router
	[ "$(sb cat /proc/sys/net/ipv4/conf/up0/forwarding)" = 1 ]
	[ "$(sb cat /proc/sys/net/ipv6/conf/up0/force_forwarding)" = 0 ]
	run sb nft list tables
	[ -z "$output" ]
}

# router_and_gated_other: namespace router, the state in $before, then a
# namespace other with a gateway: what a removal of other must undo.
router_and_gated_other() {
	sb npte-netns create router
	before=$(gw_state)
	sb npte-netns create other
	sb npte-gateway create other
}

@test "gateway: npte-netns destroy and npte-lab destroy of a namespace with a gateway remove the gateway" {
	need_ff
	local before
	router_and_gated_other
	sb npte-netns destroy other
	diff <(echo "$before") <(gw_state)
	sb npte-netns destroy router
	before=$(gw_state)
	sb npte-lab create >/dev/null
	sb npte-gateway create router
	sb npte-lab destroy
	diff <(echo "$before") <(gw_state)
}

@test "gateway: the dry-run script leaves what the live run leaves (create, destroy, npte-netns destroy)" {
	need_ff
	command -v dash >/dev/null || skip "needs dash"
	sandbox2_setup
	internet sb2
	local setup='npte-lab create >/dev/null' script=$BATS_TEST_TMPDIR/script.sh step
	for step in "npte-gateway create" "npte-gateway destroy" "npte-netns destroy"; do
		if [ "$step" != "npte-gateway create" ]; then setup='npte-lab create >/dev/null && npte-gateway create router'; fi
		sandbox_teardown
		sandbox2_teardown
		sandbox_setup
		sandbox2_setup
		internet sb
		internet sb2
		sb sh -c "$setup"
		sb2 sh -c "$setup"
		# shellcheck disable=SC2086 # the verb's two words
		sb2 $step -n router >"$script"
		shellcheck -s sh -S warning "$script"
		# shellcheck disable=SC2086
		sb $step router
		sb2 dash "$script"
		diff <(gw_state sb) <(gw_state sb2)
	done
	gw_state sb | grep -q '"ifname":"gw-router"' && return 1
	return 0
}

# The op lines of a dry-run (as crash.bats counts them): at least the ops.
nlines() {
	sb "$@" -n | awk '/^(step=|trap |rollback|finish|  |:$|}|#|set |umask |install |exec 9|flock |printf .pid=|[()]$)/ {next} {n++} END {print n}'
}

@test "gateway: a SIGKILL after every op of create, then gc, leaves the state before" {
	need_ff
	[ -x "$FAULT/npte-gateway" ] || skip "fault build missing (make tests)"
	sb npte-lab create >/dev/null
	local before n k kills=0
	before=$(gw_state)
	n=$(nlines npte-gateway create router)
	for k in $(seq 0 "$n"); do
		run sb env NPTE_FAULT_AFTER="$k" "$FAULT/npte-gateway" create router
		if [ "$status" -eq 137 ]; then
			kills=$((kills + 1))
			run sb npte-netns gc
			[ "$status" -eq 0 ] || { echo "gc after a kill at $k: $output"; return 1; }
		else
			[ "$status" -eq 0 ] || { echo "k=$k: $status $output"; return 1; }
			sb npte-gateway destroy router
		fi
		diff <(echo "$before") <(gw_state) || { echo "killed after op $k"; return 1; }
	done
	echo "# $kills kills" >&3
	[ "$kills" -ge 10 ]
}

@test "gateway: a non-root caller needs gateway = yes, and only for their own namespace" {
	need_ff
	sb npte-netns create router
	as_uid 1000 npte-netns create alice
	as_uid 1001 npte-netns create bob
	local before
	before=$(gw_state)
	run as_uid 1000 npte-gateway create alice
	[ "$status" -eq 2 ]
	[[ "$output" == "npte-gateway: create: a gateway touches the host: it is the administrator's unless"*"gateway = yes"* ]]
	run as_uid 1000 npte-gateway create -n alice
	[ "$status" -eq 2 ]
	diff <(echo "$before") <(gw_state)
	sb sh -c 'mkdir -p /run/etc-npte && printf "gateway = yes\n" >/run/etc-npte/npte.conf &&
		mkdir -p /etc/npte && mount --bind /run/etc-npte /etc/npte'
	# another user's namespace, root's, and none at all: one refusal
	run as_uid 1000 npte-gateway create bob
	[ "$status" -eq 2 ]
	[ "$output" = "npte-gateway: create: bob: not found or not yours" ]
	run as_uid 1000 npte-gateway create router
	[ "$output" = "npte-gateway: create: router: not found or not yours" ]
	run as_uid 1000 npte-gateway create nosuch
	[ "$status" -eq 2 ]
	[ "$output" = "npte-gateway: create: nosuch: not found or not yours" ]
	diff <(echo "$before") <(gw_state)
	run as_uid 1000 npte-gateway create alice
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run as_uid 1001 npte-gateway status
	[ -z "$output" ]
	run as_uid 1000 npte-gateway status --json
	[ "$output" = '[{"namespace":"alice","host_interface":"gw-alice","interface":"gw-host","ipv4":"100.64.0.2","ipv6":"fd6e:7074:6777::2"}]' ] ||
		{ echo "$output"; return 1; }
	run as_uid 1001 npte-gateway destroy alice
	[ "$output" = "npte-gateway: destroy: alice: not found or not yours" ]
	as_uid 1000 npte-gateway destroy alice
	diff <(echo "$before") <(gw_state)
}

@test "gateway: hostile and bad arguments: exit 2, one line naming the value" {
	need_ff
	run sb npte-gateway create 'a;b'
	[ "$status" -eq 2 ]
	[[ "$output" == *"'a;b'"* ]]
	run sb npte-gateway create averyveryverylongname
	[ "$status" -eq 2 ]
	run sb npte-gateway create a b
	[ "$status" -eq 2 ]
	run sb npte-gateway status extra
	[ "$status" -eq 2 ]
}

@test "gateway: gc removes what a namespace deleted behind npte's back left of its gateway" {
	need_ff
	local before
	router_and_gated_other
	# its host end goes with it; its rules and the uplink's forwarding stay
	sb ip netns del other
	# the kernel ends the namespace (and the veth) a moment later: wait for that sign
	for _ in $(seq 100); do sb ip link show gw-other >/dev/null 2>&1 || break; sleep 0.05; done
	! sb ip link show gw-other >/dev/null 2>&1 || false
	run sb npte-netns gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"remove gateway other: its host end is gone, its rules are left"* ]]
	[[ "$output" == *"remove marker other: its namespace is gone"* ]]
	diff <(echo "$before") <(gw_state)
	run sb npte-netns gc
	[[ "$output" == *"nothing to repair" ]] || { echo "$output"; return 1; }
}

@test "gateway: without the host's IPv6 default route the gateway is IPv4 only, says so, and destroy leaves nothing" {
	sb ip -6 route del default
	sb npte-lab create >/dev/null
	local before
	before=$(gw_state)
	run sb npte-gateway create router
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$output" = "npte-gateway: create: router: IPv4 only: the host has no IPv6 default route by its IPv4 uplink" ] ||
		[ "$output" = "npte-gateway: create: router: IPv4 only: this kernel has no per-interface IPv6 forwarding (force_forwarding, Linux 6.17)" ] ||
		{ echo "$output"; return 1; }
	serve inet 198.51.100.1 8080 "$BATS_TEST_TMPDIR/peer4"
	ask client 198.51.100.1 8080
	[ "$(cat "$BATS_TEST_TMPDIR/peer4")" = 198.51.100.2 ]
	# no IPv6 half: no default route, no address, nothing turned on for it
	[ -z "$(sb ip -n router -6 route show default)" ]
	[ -z "$(sb ip -n router -6 addr show dev gw-host scope global)" ]
	run sb npte-gateway status
	[ "$output" = "router gw-router gw-host 100.64.0.2 -" ] || { echo "$output"; return 1; }
	sb npte-gateway destroy router
	diff <(echo "$before") <(gw_state)
	bg_end "$BATS_TEST_TMPDIR/bg"
}
