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
	! sb ip link show gw-anet 2>/dev/null
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
	! sb ip link show gw-anet 2>/dev/null
	[ -z "$(sb nft list ruleset)" ]
}
