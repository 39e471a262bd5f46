#!/usr/bin/env bats
# npte-doctor against a staged install in a sandbox: a healthy host passes,
# and each thing it checks, once broken, is a FAIL line with a fix and exit 1;
# its user mode run by npte-alice and npte-carol themselves (no sudo), --json
# and --require's 69; and the one hint every shaping verb gives on a kernel
# without sch_netem.

load sandbox

setup_file() { stage_install; }

setup() {
	sudo_setup
}

teardown() {
	sandbox_teardown
}

doctor() {
	run sb "$P/npte-doctor" "$@"
}

@test "a healthy install: every check ok (netem and cake may only warn), exit 0" {
	doctor
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"0 failed"* ]]
	[ "$(grep -c '^FAIL' <<<"$output")" = 0 ]
	[ "$(grep -c '^ok    installed: npte-' <<<"$output")" = 9 ]
	[[ "$output" == *"ok    sudo rule: visudo -c"* ]]
	[[ "$output" == *"ok    kernel: veth"* ]]
	[[ "$output" == *"ok    kernel: tbf"* ]]
}

@test "the kernel probe tells the truth about sch_netem and leaves nothing behind" {
	local before
	before=$(sb_state; sb ip -br link)
	doctor
	if sb ip netns exec "$(sb npte-netns create probe >/dev/null; echo probe)" \
		tc qdisc add dev lo root netem delay 1ms 2>/dev/null; then
		[[ "$output" == *"ok    kernel: sch_netem"* ]]
	else
		[[ "$output" == *"warn  kernel: sch_netem: not available"* ]]
	fi
	sb npte-netns destroy probe
	[ "$(sb_state; sb ip -br link)" = "$before" ]
}

@test "a group-writable binary or directory above it: FAIL naming it, with a fix" {
	sb chmod g+w "$P/npte-veth"
	doctor
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  installed: npte-veth: $P/npte-veth is not root-owned or is group/other-writable"* ]]
	[[ "$output" == *"fix: chown root:root and chmod go-w"* ]]
	sb chmod g-w "$P/npte-veth"
	sb chmod o+w /run/ptest
	# the installed doctor is below it too, so it refuses to run at all ...
	doctor
	[ "$status" -eq 2 ]
	[[ "$output" == *"refusing to run as root: /run/ptest is writable by a non-root user"* ]]
	# ... and one installed elsewhere names the directory
	run sb npte-doctor --prefix "$P"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  installed: npte-netns: /run/ptest is not root-owned"* ]]
}

@test "a rule with SETENV, without env_reset, or broken: each a FAIL" {
	sb sh -c 'sed -i "s/NOPASSWD:/NOPASSWD: SETENV:/" /etc/sudoers.d/npte'
	doctor
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  sudo rule: no SETENV: SETENV found"* ]]
	sb sh -c 'sed -i "s/SETENV: //; /^Defaults/d" /etc/sudoers.d/npte'
	doctor
	[[ "$output" == *"FAIL  sudo rule: Defaults! env_reset, !setenv"* ]]
	sb sh -c 'echo "this is not sudoers" >> /etc/sudoers.d/npte'
	doctor
	[[ "$output" == *"FAIL  sudo rule: visudo -c"* ]]
	sb rm /etc/sudoers.d/npte
	doctor
	[[ "$output" == *"FAIL  sudo rule: installed"* ]]
	[[ "$output" == *"fix: make install"* ]]
}

@test "a rule for another prefix: FAIL (the rule would not cover these binaries)" {
	sb sh -c 'sed -i "s|/run/ptest/sbin|/usr/local/sbin|g" /etc/sudoers.d/npte'
	doctor
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  sudo rule: names the installed binaries: 9 of 9 binaries of /run/ptest/sbin missing"* ]]
}

@test "registry: a marker without its namespace, a pending journal and a look-alike namespace each FAIL; gc fixes the first two" {
	sb npte-netns create a
	sb ip netns del a
	sb ip netns add server
	[ -x "$FAULT/npte-netns" ] || skip "fault build missing (make tests)"
	run sb env NPTE_FAULT_AFTER=2 "$FAULT/npte-netns" create j
	[ "$status" -eq 137 ]
	doctor
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  registry: marker without a namespace: a"* ]]
	[[ "$output" == *"fix: npte-netns gc"* ]]
	[[ "$output" == *"FAIL  registry: npte-looking namespace without a marker: server"* ]]
	[[ "$output" == *"FAIL  registry: an interrupted transaction is pending (npte-netns create, uid 0, pid "* ]]
	[[ "$output" == *"fix: npte-netns gc (npte-netns gc -n prints exactly what it will undo)"* ]]
	sb npte-netns gc
	sb ip netns del server
	doctor
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"ok    registry: 0 markers"* ]]
}

@test "/run/npte with the wrong mode or owner: FAIL" {
	sb npte-netns create a
	sb chmod 0755 /run/npte
	doctor
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  /run/npte: directory, uid 0, mode 0755"* ]]
}

@test "bad arguments: exit 2, one line naming the value" {
	doctor --prefix 'rel/path'
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"invalid --prefix 'rel/path'"* ]]
	doctor --prefix '/a/../b'
	[ "$status" -eq 2 ]
	doctor --sudoers "$(printf '/etc/x\ny')"
	[ "$status" -eq 2 ]
	doctor --bogus
	[ "$status" -eq 2 ]
	doctor extra
	[ "$status" -eq 2 ]
}

# has_netem: whether this kernel makes a netem (in a throwaway namespace of the sandbox)
has_netem() { sb unshare --net tc qdisc add dev lo root netem delay 1ms 2>/dev/null; }

NETEM_HINT='this kernel has no sch_netem (CONFIG_NET_SCH_NETEM); see npte-doctor'

# hint_once CMD...: as npte-alice through sudo, CMD fails with exit 1, its one
# line ends in the hint, and the sandbox is as it was before
hint_once() {
	local before
	before=$(sb_state)
	run as alice "$@"
	[ "$status" -eq 1 ] || { echo "$*: status $status: $output"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "$*: $output"; return 1; }
	[[ "${lines[0]}" == *"Specified qdisc kind is unknown"*"; $NETEM_HINT" ]] || { echo "$*: $output"; return 1; }
	[ "$(sb_state)" = "$before" ] || { echo "$*: left a change"; diff <(echo "$before") <(sb_state); return 1; }
}

@test "no sch_netem: apply, npte-netem play, npte-lab play and netem --profile each give the one hint, exit 1, change nothing" {
	has_netem && skip "this kernel has sch_netem (the VM lane's does): no hint to give"
	as alice npte-lab create >/dev/null
	sb sh -c 'printf "0 delay 10ms\n1s end\n" >/run/netem.sched; chmod 644 /run/netem.sched'
	hint_once npte-netem apply router if-client delay 10ms loss 1
	hint_once npte-netem play router if-client /run/netem.sched
	hint_once npte-lab play --profile train-tunnel
	hint_once npte-lab netem --profile adsl
	# the same from every verb: one hint, from one place
	run as alice npte-netem apply router if-server --delay 5ms
	[[ "$output" == *"; $NETEM_HINT" ]]
}

# user_doctor USER ARGS...: the installed npte-doctor run by npte-USER itself, no sudo
user_doctor() {
	local u=$1
	shift
	run sb runuser -u "npte-$u" -- "$P/npte-doctor" "$@" </dev/null
}

@test "as npte-alice without sudo: a user mode that names its findings (group, sudo -n, kernel), exit 0" {
	user_doctor alice
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" != *"must be run as root"* ]]
	[[ "$output" == *"ok    group npte: npte-alice is a member"* ]]
	[[ "$output" == *"ok    sudo -n reaches npte's rule: every binary, without a password"* ]]
	[[ "$output" == *"ok    kernel: network namespaces"* ]]
	[[ "$output" == *"ok    kernel: veth"* ]]
	[[ "$output" == *"ok    kernel: tbf"* ]]
	[[ "$output" == *"ok    kernel: IPv6"* ]]
	[[ "$output" == *"ok    kernel: ping (unprivileged ICMP echo)"* ]]
	if has_netem; then
		[[ "$output" == *"ok    kernel: sch_netem"* ]]
	else
		[[ "$output" == *"warn  kernel: sch_netem: not available"* ]]
	fi
	[ "$(grep -c '^ok    installed: npte-' <<<"$output")" = 9 ]
	[[ "$output" == *"skip  sudo rule, /run/npte and the registry: root only"* ]]
}

@test "--json: one object that parses, for a user and for root, with the verdict it exits with" {
	user_doctor alice --json
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	jq -e '.mode == "user" and .kernel == "probed" and .features.tbf == true and .features.veth == true
		and .exit == 0 and .failed == 0 and (.checks | length) > 10' <<<"$output"
	[ "$(jq -r '.checks[] | select(.check == "group npte") | .level' <<<"$output")" = ok ]
	run sb "$P/npte-doctor" --json
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	jq -e '.mode == "root" and .features.netns == true and (.features.netem | type) == "boolean"' <<<"$output"
}

@test "--require: exit 69 when this kernel lacks a feature named (sch_netem here), 0 when it has them all" {
	user_doctor alice --require tbf,veth,netns,ipv6,ping
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	has_netem && want=0 || want=69
	user_doctor alice --require tbf,netem
	[ "$status" -eq "$want" ] || { echo "$output"; return 1; }
	if [ "$want" = 69 ]; then
		[[ "$output" == *"cannot here: netem (--require)"* ]]
		user_doctor alice --require netem --json
		[ "$status" -eq 69 ]
		jq -e '.missing == ["netem"] and .exit == 69 and .features.netem == false' <<<"$output"
	fi
	# as root too
	run sb "$P/npte-doctor" --require netem
	[ "$status" -eq "$want" ]
	# a feature npte does not know: exit 2, one line naming it
	user_doctor alice --require 'tbf,net$em'
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"invalid --require 'tbf,net\$em': unknown feature 'net\$em'"* ]]
	for bad in '' ',' 'tbf,' ',tbf' 'tbf,,veth'; do
		user_doctor alice --require "$bad"
		[ "$status" -eq 2 ] || { echo "--require '$bad': $status"; return 1; }
		[[ "${lines[0]}" == *"invalid --require '$bad': a comma-separated list of features"* ]]
	done
}

@test "a user outside group npte is told so, and sudo is not tried; a member whose session lacks it must log in again" {
	user_doctor carol
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  group npte: npte-carol is not a member"* ]]
	[[ "$output" == *"fix: an administrator: usermod -aG npte npte-carol, then log in again"* ]]
	[[ "$output" == *"skip  sudo -n reaches npte's rule: not tried"* ]]
	# alice is in /etc/group, but this process has only her own group
	run sb setpriv --reuid npte-alice --regid "$(id -g npte-alice)" --clear-groups "$P/npte-doctor"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  group npte: npte-alice is a member in /etc/group but not in this session"* ]]
	[[ "$output" == *"fix: log in again (or run newgrp npte)"* ]]
}

@test "as a user: a rule that does not cover these binaries is a FAIL naming what sudo -n said" {
	sb sh -c 'sed -i "s|/run/ptest/sbin|/usr/local/sbin|g" /etc/sudoers.d/npte'
	user_doctor alice
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  sudo -n reaches npte's rule: sudo -n -l /run/ptest/sbin/npte-netns: "* ]]
	# root's own view of the rule is not the user's to take
	user_doctor alice --sudoers /etc/sudoers.d/npte
	[ "$status" -eq 2 ]
}

@test "as a user where user namespaces are refused: the kernel lines say they guess, never FAIL, and --require counts an unknown as missing" {
	[ -x "$FAULT/npte-doctor" ] || skip "fault build missing (make tests)"
	run sb runuser -u npte-alice -- env NPTE_FAULT_NOUSERNS=1 "$FAULT/npte-doctor" --prefix "$P" --json </dev/null
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	jq -e '.kernel == "guessed" and .features.netns == true' <<<"$output"
	# every kernel line says it did not probe, and none is a failure
	[ "$(jq '[.checks[] | select(.check | startswith("kernel: ")) | select(.detail | test("no user namespace to probe in") | not)] | length' <<<"$output")" = 0 ]
	[ "$(jq '[.checks[] | select(.check | startswith("kernel: ")) | select(.level == "fail")] | length' <<<"$output")" = 0 ]
	run sb runuser -u npte-alice -- env NPTE_FAULT_NOUSERNS=1 "$FAULT/npte-doctor" --prefix "$P" --require netem </dev/null
	if [[ "$output" == *"ok    kernel: sch_netem: likely"* ]]; then
		[ "$status" -eq 0 ]
	else
		[ "$status" -eq 69 ] || { echo "$output"; return 1; }
	fi
}
