#!/usr/bin/env bats
# The sudo gate with real sudo and real users. `make install` (with the
# shipped rule, checked by visudo) goes into a staging tree once; each test
# copies it into its sandbox's /run/ptest (root-owned, nothing writable above
# it) and binds the rule over /etc/sudoers.d there, so the host's sudo setup
# is never touched. Users npte-alice and npte-bob (group npte) and npte-carol
# (outside it) are made on the host if absent: sudo and runuser need them in
# /etc/passwd.

load sandbox

setup_file() { stage_install; }

setup() {
	sudo_setup
}

teardown() {
	[ -n "${HOLD_BG:-}" ] && kill "$HOLD_BG" 2>/dev/null
	sandbox_teardown
}

@test "make install: root-owned binaries, not group/other-writable, a visudo-checked 0440 rule with no SETENV" {
	local f
	for f in "$STAGE"/run/ptest/sbin/*; do
		[ "$(stat -c '%u %a' "$f")" = "0 755" ] || { stat -c '%n %u %a' "$f"; return 1; }
	done
	# every binary of bin/*.c, and nothing else
	[ "$(find "$STAGE/run/ptest/sbin" -type f | wc -l)" -eq "$(ls "$BATS_TEST_DIRNAME"/../bin/*.c | wc -l)" ]
	# the admin's npte-doctor is installed, but not offered to users through sudo
	[ "$(grep -c "npte-doctor" "$STAGE/etc/sudoers.d/npte")" = 0 ]
	[ "$(stat -c '%u %a' "$STAGE/etc/sudoers.d/npte")" = "0 440" ]
	visudo -cqf "$STAGE/etc/sudoers.d/npte"
	# no SETENV outside comments
	[ "$(grep -v '^#' "$STAGE/etc/sudoers.d/npte" | grep -c SETENV)" = 0 ]
	grep -q "^Defaults!NPTE env_reset, !setenv" "$STAGE/etc/sudoers.d/npte"
	grep -q "/run/ptest/sbin/npte-lab" "$STAGE/etc/sudoers.d/npte"
}

@test "alice builds a lab, runs a program in it, shapes it and destroys it; no password asked" {
	run as alice npte-lab create
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run as alice npte-run client id -u
	[ "$status" -eq 0 ]
	[ "$output" = "$ALICE" ]
	# a real TCP exchange between two of her programs across the router
	as alice npte-run server nc -l -N 172.16.2.2 5000 >"$BATS_TEST_TMPDIR/got" 3>&- &
	local srv=$!
	listening server 5000
	run as alice npte-run client sh -c 'echo hello-from-alice | nc -N -w 5 172.16.2.2 5000'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	wait "$srv"
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = hello-from-alice ]
	run as alice npte-netem rate router if-server 20mbit
	[ "$status" -eq 0 ]
	[[ "$(sb ip netns exec router tc qdisc show dev if-server root)" == *tbf*"rate 20Mbit"* ]]
	run sb cat /run/npte/netns/client
	[[ "$output" == *"owner=$ALICE"* ]]
	run as alice npte-lab destroy
	[ "$status" -eq 0 ]
	[ -z "$(sb ip netns list)" ]
}

@test "bob: every verb on alice's namespaces fails exactly as on missing ones; list shows him none of hers; root sees both" {
	as alice npte-lab create
	as bob npte-netns create bobns
	local verb theirs missing
	while IFS= read -r verb; do
		# shellcheck disable=SC2086
		theirs=$(as bob ${verb//NS/client} 2>&1; echo "rc=$?")
		# shellcheck disable=SC2086
		missing=$(as bob ${verb//NS/nosuch} 2>&1; echo "rc=$?")
		[ "${theirs//client/X}" = "${missing//nosuch/X}" ] ||
			{ echo "$verb: theirs '$theirs' vs missing '$missing'"; return 1; }
		[[ "$theirs" == *"rc=2" ]] || { echo "$verb: $theirs"; return 1; }
	done <<-'EOF'
		npte-netns destroy NS
		npte-netns show NS
		npte-veth add NS bobns
		npte-veth del bobns NS
		npte-addr add NS if-router 10.9.9.9/24
		npte-route add NS default 172.16.3.1
		npte-netem rate NS if-router 1mbit
		npte-netem clear NS if-router
		npte-run NS id
	EOF
	run as bob npte-netns list
	[ "$output" = "bobns" ]
	run as bob npte-lab status
	[[ "$output" != *complete* ]]
	run sb npte-netns list
	[[ "$output" == *"client"*"$ALICE"* ]]
	[[ "$output" == *"bobns"*"$BOB"* ]]
	# nothing of alice's changed
	run sb npte-lab status
	[[ "$output" == *"complete (19 of 19 parts)"* ]]
}

@test "carol, outside group npte, is refused by sudo and changes nothing" {
	run as carol npte-netns create carolns
	[ "$status" -ne 0 ]
	[[ "$output" == *"password is required"* || "$output" == *"not allowed"* ]]
	[ -z "$(sb ip netns list)" ]
	[ -z "$(sb ls -A /run/npte/netns 2>/dev/null)" ]
}

@test "sudo -n /bin/sh, another program and a copy of an npte binary elsewhere are all refused" {
	run sb runuser -u npte-alice -- sudo -n /bin/sh -c id </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" != *"uid=0"* ]]
	run sb runuser -u npte-alice -- sudo -n /usr/sbin/ip netns add x </dev/null
	[ "$status" -ne 0 ]
	sb cp "$P/npte-netns" /run/npte-copy
	run sb runuser -u npte-alice -- sudo -n /run/npte-copy create x </dev/null
	[ "$status" -ne 0 ]
	# env_reset: a variable the user sets does not reach npte
	run sb runuser -u npte-alice -- sudo -n LD_PRELOAD=/x.so "$P/npte-netns" list </dev/null
	[ "$status" -ne 0 ]
	[ -z "$(sb ip netns list)" ]
}

@test "a user cannot open /run/npte/lock or plant anything under /run/npte" {
	as alice npte-netns create a
	run sb runuser -u npte-alice -- sh -c 'exec 9>>/run/npte/lock' </dev/null
	[ "$status" -ne 0 ]
	run sb runuser -u npte-alice -- sh -c 'exec 9</run/npte/lock' </dev/null
	[ "$status" -ne 0 ]
	run sb runuser -u npte-alice -- touch /run/npte/netns/b
	[ "$status" -ne 0 ]
	run sb runuser -u npte-alice -- ln -s /etc/shadow /run/npte/journal
	[ "$status" -ne 0 ]
	[ "$(sb stat -c '%u %a' /run/npte)" = "0 700" ]
	[ "$(sb ls /run/npte/netns)" = a ]
}

@test "the quota from /etc/npte/npte.conf holds through sudo; root is not limited" {
	sb sh -c 'printf "max_namespaces = 2\n" > /etc/npte/npte.conf; chmod 0644 /etc/npte/npte.conf'
	run as alice npte-netns create a b
	[ "$status" -eq 0 ]
	run as alice npte-netns create c
	[ "$status" -eq 2 ]
	[[ "$output" == *quota* ]]
	run as bob npte-netns create d e
	[ "$status" -eq 0 ]
	run sb npte-netns create r1 r2 r3
	[ "$status" -eq 0 ]
	[ "$(sb ip netns list | wc -l)" -eq 7 ]
	run sb test -e /run/netns/c
	[ "$status" -ne 0 ]
}

@test "a lock held by alice's long operation never blocks bob past --wait, and names her" {
	[ -x "$FAULT/npte-netns" ] || skip "fault build missing (make tests)"
	# alice's create, paused for 2 s with the lock held (test-only fault build,
	# run as root with alice's SUDO_UID: sudo would strip the fault variable)
	sb env SUDO_UID="$ALICE" SUDO_GID="$(id -g npte-alice)" NPTE_FAULT_PAUSE=1 "$FAULT/npte-netns" create slow 3>&- &
	HOLD_BG=$!
	locked "uid $ALICE"
	# stopped there, it holds the lock for as long as bob's try takes (runuser and
	# sudo under load took most of the 2 s pause)
	freeze_holder
	run as bob npte-netns create --wait 1 quick
	# gave up after --wait, not after the holder finished: it still holds the lock
	local still
	still=$(sb npte-lock status)
	[ "$status" -eq 75 ] || { echo "$status $output"; return 1; }
	[[ "$output" == *"uid $ALICE"* || "$output" == *"uid=$ALICE"* ]] || { echo "$output"; return 1; }
	[[ "$output" == *npte-netns* ]]
	[[ "$still" == "locked "*"uid $ALICE"* ]] || { echo "after bob: $still"; return 1; }
	thaw_holder
	wait "$HOLD_BG"
	run sb npte-netns list
	[[ "$output" == *slow* ]]
	[[ "$output" != *quick* ]]
}

# one_line STATUS PATTERN: the last `run` exited STATUS and printed exactly one line matching PATTERN
one_line() {
	[ "$status" -eq "$1" ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == $2 ]] ||
		{ echo "status $status, ${#lines[@]} lines: $output"; return 1; }
}

@test "issue 23 item 4: a taken lab or namespace name is one line (taken: --prefix; one's own: already exists), no rollback noise" {
	run as alice npte-lab create
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	local before
	before=$(sb_state)
	run as bob npte-lab create
	one_line 1 "npte-lab: create: client: File exists: the name is taken; use another prefix: npte-lab create --prefix P"
	run as alice npte-lab create
	one_line 1 "npte-lab: create: client: File exists: the lab already exists*"
	run as bob npte-netns create client
	one_line 1 "npte-netns: create: client: File exists: the name is taken; choose another name"
	run as alice npte-netns create b1 server
	one_line 1 "npte-netns: create: server: File exists: the namespace already exists and is yours*"
	[ "$(sb_state)" = "$before" ]
	# bob's lab under a prefix of his own is made beside hers
	run as bob npte-lab create --prefix b
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "issue 23 item 3: destroy --all, --prefix P and --missing-ok as alice never touch bob's; gc names what she left" {
	as bob npte-netns create ci1 cibob b1
	as alice npte-netns create ci2 ci3 left1 keep
	local bobs
	bobs=$(sb sh -c 'cat /run/npte/netns/ci1 /run/npte/netns/cibob /run/npte/netns/b1')
	# gc cannot tell what a killed CI job left from what is in use: it names hers, leaves them
	run as alice npte-netns gc
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"yours, left in place: ci2 ci3 keep left1 ("* ]] || { echo "$output"; return 1; }
	[[ "$output" != *ci1* && "$output" != *cibob* && "$output" != *b1* ]]
	# the dry-run names only hers
	run as alice npte-netns destroy -n --prefix ci
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"/run/npte/netns/ci2"* && "$output" != *ci1* && "$output" != *cibob* ]]
	run as alice npte-netns destroy --prefix ci
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb ip netns list | cut -d' ' -f1 | sort | tr '\n' ' ')" = "b1 ci1 cibob keep left1 " ]
	# all or nothing: an absent name refuses the whole request; --missing-ok destroys the rest
	run as alice npte-netns destroy left1 nothere
	[ "$status" -eq 2 ] && [[ "$output" == *"nothere: not found or not yours"* ]]
	sb test -e /run/netns/left1
	run as alice npte-netns destroy --missing-ok left1 nothere
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb test ! -e /run/netns/left1
	# bob's name is refused as a missing one is without --missing-ok, and nothing changes
	run as alice npte-netns destroy --missing-ok keep nothere ci1
	[ "$status" -eq 2 ] && [ "$output" = "npte-netns: destroy: ci1: not found or not yours" ] ||
		{ echo "$status $output"; return 1; }
	sb test -e /run/netns/keep
	run as alice npte-netns destroy --all
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb ip netns list | cut -d' ' -f1 | sort | tr '\n' ' ')" = "b1 ci1 cibob " ]
	[ "$(sb sh -c 'cat /run/npte/netns/ci1 /run/npte/netns/cibob /run/npte/netns/b1')" = "$bobs" ]
	run as alice npte-netns list
	[ -z "$output" ]
	# again: nothing of hers is left, and that is success
	run as alice npte-netns destroy --all
	[ "$status" -eq 0 ] && [ -z "$output" ]
	run as alice npte-netns destroy --all --prefix ci
	[ "$status" -eq 2 ]
	run as alice npte-netns destroy --prefix 'C;x'
	[ "$status" -eq 2 ] && [[ "$output" == *"'C;x'"* ]]
}

@test "npte-gateway through sudo: not granted by the shipped rule; granted, it needs gateway = yes; then only alice's own" {
	command -v nft >/dev/null || skip "needs nft"
	# a default route for the gateway to use (nothing answers it: no traffic is sent)
	sb sh -c 'ip link add up0 type veth peer name up1 && ip link set up1 up && ip addr add 198.51.100.2/24 dev up0 && ip link set up0 up &&
		ip route add default via 198.51.100.1'
	as alice npte-netns create alicens
	as bob npte-netns create bobns
	run as alice npte-gateway create alicens
	[ "$status" -eq 1 ]
	[[ "$output" == *"password is required"* ]]
	sb sed -i 's/^# \(%npte ALL=(root) NOPASSWD: NPTE_GATEWAY\)$/\1/' /etc/sudoers.d/npte
	run as alice npte-gateway create alicens
	[ "$status" -eq 2 ]
	[[ "$output" == *"it is the administrator's unless /etc/npte/npte.conf says 'gateway = yes'" ]]
	[ -z "$(sb nft list ruleset)" ]
	sb sh -c 'printf "gateway = yes\n" >/etc/npte/npte.conf'
	run as alice npte-gateway create bobns
	local theirs=$output
	run as alice npte-gateway create nosuch
	[ "$status" -eq 2 ]
	[ "${theirs//bobns/X}" = "${output//nosuch/X}" ]
	[ -z "$(sb nft list ruleset)" ]
	run as alice npte-gateway create alicens
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb ip link show gw-alicens >/dev/null
	run as bob npte-gateway status
	[ -z "$output" ]
	run as bob npte-gateway destroy alicens
	[ "$status" -eq 2 ]
	as alice npte-gateway destroy alicens
	[ -z "$(sb nft list ruleset)" ]
	! sb ip link show gw-alicens 2>/dev/null || false
}
