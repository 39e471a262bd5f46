#!/usr/bin/env bats
# Attacks on npte-gateway (issue 28) through real sudo: alice (group npte,
# granted the gateway) and carol (outside the group) try to make root touch
# what is not theirs, reach the host from a lab, or let anything in. In each
# sandbox a namespace "net" plays the internet and the sandbox's root
# namespace plays the host (default route by up0); no traffic leaves it.

load sandbox

setup_file() { stage_install; }

setup() {
	sudo_setup
	command -v nft >/dev/null || skip "needs nft (Debian nftables)"
	command -v perl >/dev/null || skip "needs perl"
	# the rule's grant of the gateway, and the administrator's yes
	sb sed -i 's/^# \(%npte ALL=(root) NOPASSWD: NPTE_GATEWAY\)$/\1/' /etc/sudoers.d/npte
	sb sh -c 'printf "gateway = yes\n" >/etc/npte/npte.conf'
	sb sh -c '
		set -e
		ip netns add net
		ip link add up0 type veth peer name eth0 netns net
		ip addr add 198.51.100.2/24 dev up0
		ip link set up0 up
		ip -n net addr add 198.51.100.1/24 dev eth0
		ip -n net link set eth0 up
		ip -n net link set lo up
		ip route add default via 198.51.100.1
		ip -n net route add 100.64.0.0/10 via 198.51.100.2'
}

teardown() {
	sandbox_teardown
}

# What a gateway may leave behind on the host: links, addresses, routes,
# forwarding, rules (nft handles masked).
host_state() {
	sb sh -c '
		ip -d -br link show; ip -br addr show; ip route show; ip -6 route show
		cat /proc/sys/net/ipv4/conf/*/forwarding /proc/sys/net/ipv6/conf/all/forwarding
		nft list ruleset | sed "s/ # handle [0-9]*//"'
}

@test "a host interface named gw-NS that npte did not make survives alice's gateway destroy and her namespace's destroy" {
	# root's own interface, named as a gateway's host end would be
	sb sh -c 'ip link add gw-lan type bridge && ip addr add 192.0.2.1/24 dev gw-lan'
	as alice npte-netns create lan
	local before
	before=$(host_state)
	run as alice npte-gateway create lan
	[ "$status" -ne 0 ]
	[[ "$output" == *"gw-lan"* ]]
	diff <(echo "$before") <(host_state)
	run as alice npte-gateway destroy lan
	[ "$status" -eq 2 ]
	[ "$output" = "npte-gateway: destroy: lan: no gateway" ] || { echo "$output"; return 1; }
	run as alice npte-gateway destroy -n lan
	[[ "$output" != *"link del"* ]]
	diff <(echo "$before") <(host_state)
	run as alice npte-netns destroy lan
	[ "$status" -eq 0 ]
	sb ip addr show gw-lan | grep -q 192.0.2.1/24
}

@test "carol, outside group npte, gets no gateway through sudo: nothing of the host changes" {
	as alice npte-netns create anet
	local before
	before=$(host_state)
	for verb in "create anet" "destroy anet" "create -n anet" status; do
		# shellcheck disable=SC2086
		run as carol npte-gateway $verb
		[ "$status" -eq 1 ]
		[[ "$output" == *"password is required"* ]]
	done
	diff <(echo "$before") <(host_state)
}

@test "a name only ip netns made, root's, bob's and none: one refusal for create and destroy, nothing changes" {
	sb ip netns add bare
	sb npte-netns create rootns
	as bob npte-netns create bobns
	as bob npte-gateway create bobns
	local before out
	before=$(host_state)
	for verb in create destroy; do
		for ns in rootns bobns nosuch bare; do
			# shellcheck disable=SC2086
			run as alice npte-gateway $verb "$ns"
			[ "$status" -eq 2 ] || { echo "$verb $ns: $output"; return 1; }
			out=${output//$ns/X}
			[ "$out" = "npte-gateway: $verb: X: not found or not yours" ] || { echo "$output"; return 1; }
		done
	done
	diff <(echo "$before") <(host_state)
}

@test "a config file alice could write is refused, not read: group-writable, hers, a symlink to hers" {
	as alice npte-netns create anet
	sb sh -c 'chmod 0664 /etc/npte/npte.conf'
	run as alice npte-gateway create anet
	[ "$status" -eq 2 ]
	[[ "$output" == *"npte.conf must be a root-owned file not writable by group or others"* ]]
	sb sh -c "chmod 0644 /etc/npte/npte.conf && chown $ALICE /etc/npte/npte.conf"
	run as alice npte-gateway create anet
	[ "$status" -eq 2 ]
	[[ "$output" == *"owned by uid $ALICE, not root"* ]]
	sb sh -c "mkdir -p /run/al && printf 'gateway = yes\n' >/run/al/c && chown -R $ALICE /run/al &&
		rm /etc/npte/npte.conf && ln -s /run/al/c /etc/npte/npte.conf"
	run as alice npte-gateway create anet
	[ "$status" -eq 2 ]
	[[ "$output" == *"npte.conf is a symlink, not a regular file"* ]] || { echo "$output"; return 1; }
	! sb ip link show gw-anet 2>/dev/null || false
	[ -z "$(sb nft list ruleset)" ]
}

@test "gateway = yes edge cases: a second line says no, a trailing comment, YES, yes!, an unknown key: never a yes" {
	as alice npte-netns create anet
	local c
	for c in 'gateway = yes\ngateway = no' 'gateway = yes # ok' 'gateway = YES' 'gateway = yes!' \
		'gateway = 1' 'gateway = yesno' 'gateway = yes\nbogus = 1' 'gateway\t=\tno'; do
		sb sh -c "printf '$c\n' >/etc/npte/npte.conf"
		run as alice npte-gateway create anet
		[ "$status" -eq 2 ] || { echo "$c: $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ]
	done
	! sb ip link show gw-anet 2>/dev/null || false
	[ -z "$(sb nft list ruleset)" ]
}

# listen_all NS PORT: a TCP listener on all of NS's IPv4 addresses
# until the test ends; returns once it listens.
listen_all() {
	sb ip netns exec "$1" perl -MIO::Socket::IP -e '
		my $s = IO::Socket::IP->new(LocalHost => "0.0.0.0", LocalPort => $ARGV[0], Listen => 8,
			ReuseAddr => 1) or die "listen: $@";
		alarm 30; while (my $c = $s->accept) { print $c "hi\n"; close $c }' "$2" 3>&- &
	bg_note "$BATS_TEST_TMPDIR/bg" $!
	listening "$1" "$2"
}

# connects NS ADDR PORT: a TCP connection from NS (sandbox root namespace
# when NS is -) gets through within 2 s.
connects() {
	if [ "$1" = - ]; then
		sb timeout 3 nc -z -w 2 "$2" "$3"
	else
		sb ip netns exec "$1" timeout 3 nc -z -w 2 "$2" "$3"
	fi
}

@test "nothing arrives unsolicited: not from the internet, not from bob's lab through the host, to alice's gateway address" {
	command -v nc >/dev/null || skip "needs nc"
	as alice npte-netns create anet
	as bob npte-netns create bnet
	as alice npte-gateway create anet
	as bob npte-gateway create bnet
	local a b
	a=$(as alice npte-gateway status | awk '{print $4}')
	b=$(as bob npte-gateway status | awk '{print $4}')
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]
	listen_all anet 8080
	listen_all bnet 8080
	listen_all net 8080
	# the control: both get out to the internet
	connects anet 198.51.100.1 8080
	connects bnet 198.51.100.1 8080
	! connects net "$a" 8080 || false
	! connects bnet "$a" 8080 || false
	! connects anet "$b" 8080 || false
	# nor by the host's end of the other's gateway
	! connects bnet "${a%.*}.$((${a##*.} - 1))" 8080 || false
	bg_end "$BATS_TEST_TMPDIR/bg"
}

@test "a router advertisement and a redirect sent from NS change nothing of the host's routes or addresses (the control: the same RA on a plain veth does)" {
	[ -e /proc/sys/net/ipv6/conf/lo/force_forwarding ] || skip "needs Linux 6.17 (a gateway with IPv6)"
	sb sh -c 'ip -6 addr add 2001:db8:1::2/64 dev up0 nodad && ip -n net -6 addr add 2001:db8:1::1/64 dev eth0 nodad &&
		ip -6 route add default via 2001:db8:1::1'
	as alice npte-netns create anet
	as alice npte-gateway create anet
	sb ip -6 addr show dev gw-anet | grep -q fd6e
	sb sh -c 'ip netns add ra && ip link add ctl0 type veth peer name ctl1 netns ra &&
		sysctl -q -w net.ipv6.conf.ctl0.accept_ra=2 net.ipv6.conf.ctl0.accept_dad=0 &&
		ip netns exec ra sysctl -q -w net.ipv6.conf.ctl1.accept_dad=0 && ip link set ctl0 up && ip -n ra link set ctl1 up'
	local before
	before=$(sb sh -c 'ip -6 route show | grep -v ctl0; ip -6 addr show dev gw-anet')
	# as root in NS (more than alice has there): an RA offering a prefix and a
	# default route, then a redirect of the internet to NS
	# shellcheck disable=SC2016
	local ra='use Socket qw(:all);
		my ($if, $kind) = @ARGV;
		socket(my $s, AF_INET6, SOCK_RAW, 58) or die "raw: $!";
		setsockopt($s, 41, 18, pack("i", 255)) or die;  # IPV6_MULTICAST_HOPS
		setsockopt($s, 41, 16, pack("i", 255)) or die;  # IPV6_UNICAST_HOPS
		my $idx = (split " ", `cat /sys/class/net/$if/ifindex`)[0];
		my $p = $kind eq "ra"
			? pack("CCnCCnNN", 134, 0, 0, 64, 0, 1800, 0, 0) .
			  pack("CCCCNNN", 3, 4, 64, 0xc0, 0xffffffff, 0xffffffff, 0) . inet_pton(AF_INET6, "2001:db8:bad::")
			: pack("CCnN", 137, 0, 0, 0) . inet_pton(AF_INET6, "fd6e:7074:6777::2") . inet_pton(AF_INET6, "2001:db8:1::1");
		my $to = pack_sockaddr_in6(0, inet_pton(AF_INET6, $kind eq "ra" ? "ff02::1" : "fe80::1"), $idx);
		for (1..3) { send($s, $p, 0, $to) or die "send: $!" }'
	# fe80::1 is no one: the redirect goes to the host side by its link-local
	local ll
	ll=$(sb ip -6 -br addr show dev gw-anet | grep -o 'fe80::[0-9a-f:]*')
	sb ip netns exec anet perl -e "${ra/fe80::1/$ll}" gw-host ra
	sb ip netns exec anet perl -e "${ra/fe80::1/$ll}" gw-host redirect
	sb ip netns exec ra perl -e "$ra" ctl1 ra
	# the control takes the prefix: the same packets would have been taken
	for _ in $(seq 100); do sb ip -6 route show | grep -q 2001:db8:bad && break; sleep 0.05; done
	sb ip -6 route show | grep -q '2001:db8:bad::/64 dev ctl0'
	sb sh -c 'ip link del ctl0'
	diff <(echo "$before") <(sb sh -c 'ip -6 route show | grep -v ctl0; ip -6 addr show dev gw-anet')
	! sb ip -6 route show | grep -q 'gw-anet.*2001:db8\|default.*gw-anet' || false
}

# tcp_in NS: the TCP segments NS has received.
tcp_in() {
	sb ip netns exec "$1" awk '/^Tcp:/ { n++ } /^Tcp:/ && n == 2 { print $11 }' /proc/net/snmp
}

@test "a source forged in NS (bob's gateway address) is not forwarded: the internet sees nothing, bob's namespace gets no replies" {
	command -v nc >/dev/null || skip "needs nc"
	as alice npte-netns create anet
	as bob npte-netns create bnet
	as alice npte-gateway create anet
	as bob npte-gateway create bnet
	local b
	b=$(as bob npte-gateway status | awk '{print $4}')
	listen_all net 8080
	# as root in NS (more than alice has there): its own NAT gone, bob's address taken
	sb ip netns exec anet nft delete table inet npte
	sb ip -n anet addr add "$b/32" dev gw-host
	# the control: alice's own address still gets out
	connects anet 198.51.100.1 8080
	local before
	before=$(tcp_in bnet)
	! sb ip netns exec anet timeout 3 nc -z -w 2 -s "$b" 198.51.100.1 8080 || false
	[ "$(tcp_in bnet)" = "$before" ]
	bg_end "$BATS_TEST_TMPDIR/bg"
}

# root_chain_refused CHAIN_SPEC WORDS: root puts chain gw-anet-fwd (CHAIN_SPEC:
# empty, or a base chain's braces) with a counter rule in inet npte; alice's
# create of anet must fail with WORDS in its message, change nothing on the
# host, and leave root's chain and rule.
root_chain_refused() {
	as alice npte-netns create anet
	sb sh -c "nft add table inet npte && nft add chain inet npte gw-anet-fwd $1 &&
		nft add rule inet npte gw-anet-fwd counter"
	local before
	before=$(host_state)
	run as alice npte-gateway create anet
	[ "$status" -ne 0 ]
	[[ "$output" == *"$2"* ]] || { echo "$output"; return 1; }
	diff <(echo "$before") <(host_state)
	sb nft list chain inet npte gw-anet-fwd | grep -q counter
}

@test "a chain root put in inet npte under a gateway's name: create refuses, and root's chain and rule survive the rollback" {
	root_chain_refused "" "nf_tables"
}

@test "a base chain root put in inet npte under a gateway's name, same hook: create refuses, root's chain survives" {
	root_chain_refused "'{ type filter hook forward priority 0; policy accept; }'" "table inet npte has chains of gw-anet already"
}

@test "no address of the host answers NS: a listener on every address by the host end's link-local, another interface's address, ping (the controls: the internet reaches them)" {
	command -v nc >/dev/null || skip "needs nc"
	[ -e /proc/sys/net/ipv6/conf/lo/force_forwarding ] || skip "needs Linux 6.17 (a gateway with IPv6)"
	sb sh -c 'ip -6 addr add 2001:db8:1::2/64 dev up0 nodad && ip -n net -6 addr add 2001:db8:1::1/64 dev eth0 nodad &&
		ip -6 route add default via 2001:db8:1::1 &&
		ip link add br-lan type bridge && ip addr add 192.0.2.1/24 dev br-lan && ip link set br-lan up &&
		ip -n net route add 192.0.2.0/24 via 198.51.100.2'
	as alice npte-netns create anet
	as alice npte-gateway create anet
	sb perl -MIO::Socket::IP -e 'my $s = IO::Socket::IP->new(LocalHost => "::", LocalPort => 9091, Listen => 8,
		ReuseAddr => 1, V6Only => 0) or die "listen: $@"; alarm 30; while (my $c = $s->accept) { close $c }' 3>&- &
	bg_note "$BATS_TEST_TMPDIR/bg" $!
	for _ in $(seq 50); do sb ss -Hltn "sport = :9091" | grep -q . && break; sleep 0.1; done
	local ll
	ll=$(sb ip -6 -br addr show dev gw-anet | grep -o 'fe80::[0-9a-f:]*')
	[ -n "$ll" ]
	# the controls
	connects net 192.0.2.1 9091
	connects net 198.51.100.2 9091
	sb ip netns exec net ping -c 1 -W 2 198.51.100.2 >/dev/null
	# from NS: none
	! connects anet 192.0.2.1 9091 || false
	! connects anet 198.51.100.2 9091 || false
	! connects anet "$ll%gw-host" 9091 || false
	! connects anet 2001:db8:1::2 9091 || false
	! sb ip netns exec anet ping -c 1 -W 1 100.64.0.1 >/dev/null || false
	! sb ip netns exec anet ping -c 1 -W 1 192.0.2.1 >/dev/null || false
	! sb ip netns exec anet ping -6 -c 1 -W 1 "$ll%gw-host" >/dev/null || false
	bg_end "$BATS_TEST_TMPDIR/bg"
}

@test "a hostile name through sudo (^U, ESC [201~, OSC 52, a quote, UTF-8): exit 2, one printable line, no script, nothing changes" {
	local before n
	before=$(host_state)
	for n in $'a\025b' $'a\e[201~' $'a\e]52;c;aWQK\a' "a'b" $'a\xc3\xa9' 'gw-x'; do
		for verb in create "create -n" destroy "destroy -n"; do
			# shellcheck disable=SC2086
			run as alice npte-gateway $verb "$n"
			[ "$status" -eq 2 ] || { echo "$verb $n: $output"; return 1; }
			[ "${#lines[@]}" -eq 1 ]
			! printf '%s' "$output" | LC_ALL=C grep -q '[^[:print:]]' || false
			[[ "$output" != *"#!/bin/sh"* ]]
		done
	done
	diff <(echo "$before") <(host_state)
}
