#!/usr/bin/env bats
# Paste-into-shell previews (#17). A dry-run is pasted, through tmux as a
# user would, into an interactive root shell (bash, dash, busybox sh) in the
# sandbox. It must do what the live run does (the lab's snapshot equals a
# live run's in a second sandbox) and leave the shell exactly as it was:
# options, umask, traps, signal dispositions, open fds, variables and
# functions. Previews that fail (a guard's refusal, a kernel refusal with
# rollback) report their status and the shell survives unchanged, as after
# npte-run's preview (which execs) with a long argument; then a
# live verb typed in the same shell gets the lock and succeeds.

load sandbox
load paste

setup() {
	sandbox_setup
	paste_setup
	command -v jq >/dev/null || skip "needs jq"
}

teardown() {
	[ -n "${TM:-}" ] && "${TM[@]}" kill-server 2>/dev/null
	sandbox2_teardown
	sandbox_teardown
}

paste_roundtrip() {
	local live pasted_state
	shell_start "$@"
	# the user's own state, which the previews must leave alone
	typed "umask 0027; trap 'echo got usr1' USR1; set -C; mine=kept"
	record 1
	grep -qx 'umask 0027' "$D/state.1"
	grep -q 'USR1' "$D/state.1"

	# the lab, pasted, equals the lab made live in a second sandbox
	sandbox2_setup
	sb npte-lab create -n >"$D/lab.sh"
	sb2 npte-lab create
	pasted "$D/lab.sh" 1
	[ "$RC" = 0 ] || { echo "lab preview: exit $RC"; pane; return 1; }
	live=$(sb_snapshot sb2)
	pasted_state=$(sb_snapshot sb)
	[[ "$live" == *"== netns router"* ]]
	[ "$live" = "$pasted_state" ] || { diff <(echo "$live") <(echo "$pasted_state"); return 1; }
	record 2
	unchanged 2

	# npte-run's preview ends in exec: that ends the subshell, not the shell;
	# a 1500-byte argument (busybox's editor takes about 1000 a line) arrives whole
	local long
	long=$(printf 'x%.0s' $(seq 700))"'quoted'"$(printf 'z%.0s' $(seq 792))
	# shellcheck disable=SC2016 # for the sh -c
	sb npte-run -n client -- sh -c 'printf %s "$1" >"$2"' sh "$long" "$D/long.out" >"$D/run.sh"
	pasted "$D/run.sh" 5
	[ "$RC" = 0 ] || { echo "npte-run preview: exit $RC"; pane; return 1; }
	[ "$(cat "$D/long.out")" = "$long" ] || { echo "the argument did not arrive whole"; pane; return 1; }
	# it allowed ping sockets in client, as npte-run does live
	sb2 npte-run client -- true
	live=$(sb_snapshot sb2)
	[ "$(sb_snapshot sb)" = "$live" ] || { diff <(echo "$live") <(sb_snapshot sb); return 1; }
	record 6
	unchanged 6

	# a guard refuses: exit 2, said so, nothing changed, the shell lives on
	sb npte-netns destroy -n nosuch >"$D/refused.sh"
	pasted "$D/refused.sh" 2
	[ "$RC" = 2 ] || { echo "refused preview: exit $RC"; pane; return 1; }
	pane | grep -q "npte-netns: destroy: nosuch: not found or not yours"
	pane | grep -q "npte-netns: destroy: dry run failed, exit status 2"
	# the kernel refuses (server exists) after fresh was made: rolled back, exit 1
	sb npte-netns create -n fresh server >"$D/rolled.sh"
	pasted "$D/rolled.sh" 3
	[ "$RC" = 1 ] || { echo "failing preview: exit $RC"; pane; return 1; }
	pane | grep -q "npte-netns: create: dry run failed, exit status 1"
	[ "$(sb_snapshot sb)" = "$live" ] || { echo "a failed preview left a change"; diff <(echo "$live") <(sb_snapshot sb); return 1; }
	"${TM[@]}" has-session -t t
	record 3
	unchanged 3

	# the lock is free: a live verb typed in the same shell goes through
	typed "npte-netns create --wait 2 zz; echo \$? >|$D/r.tmp; mv $D/r.tmp $D/rc.4"
	await "$D/rc.4"
	[ "$(cat "$D/rc.4")" = 0 ] || { echo "live verb after the previews:"; pane; return 1; }
	sb test -e /run/npte/netns/zz
	record 5
	unchanged 5
}

@test "paste into bash -i: the lab as live, failures survived, the shell unchanged, the lock free" {
	paste_roundtrip bash --norc --noprofile -i
}

@test "paste into dash -i: the lab as live, failures survived, the shell unchanged, the lock free" {
	paste_roundtrip dash -i
}

@test "paste into busybox sh -i: the lab as live, failures survived, the shell unchanged, the lock free" {
	command -v busybox >/dev/null || skip "needs busybox"
	paste_roundtrip busybox sh -i
}
