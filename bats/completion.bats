#!/usr/bin/env bats
# Bash completion (completion/npte.bash, issue 27) as make install installs
# it, driven the way bash drives it (COMP_WORDS, COMP_CWORD, then the
# function) by the real users of the staged install in a sandbox: the names
# it offers come through their own sudo rule, so each sees only their own.

load sandbox

setup_file() { stage_install; }

setup() {
	sudo_setup
	COMP=/run/ptest/share/bash-completion/completions/npte
	sb test -f "$COMP" || skip "make install put no completion at $COMP"
}

teardown() {
	sandbox_teardown
}

# complete_as USER WORD...: the candidates, one a line and sorted, that
# completing the last WORD (often '') offers npte-USER (root: as root).
complete_as() {
	local u=$1
	shift
	# shellcheck disable=SC2016
	local prog='. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _npte; printf "%s\n" "${COMPREPLY[@]}"'
	if [ "$u" = root ]; then
		sb env -i PATH=/usr/bin:/bin bash -c "$prog" sh "$COMP" "$@" | sort
	else
		sb runuser -u "npte-$u" -- env -i PATH=/usr/bin:/bin bash -c "$prog" sh "$COMP" "$@" | sort
	fi
}

@test "after sourcing the file, complete -p names _npte for npte-netns and every other binary" {
	local b
	run sb bash -c '. "$1"; complete -p npte-netns' sh "$COMP"
	[ "$output" = "complete -F _npte npte-netns" ] || { echo "$output"; return 1; }
	for b in "$TOP"/bin/*.c; do
		b=${b##*/} b=${b%.c}
		run sb bash -c '. "$1"; complete -p "$2"' sh "$COMP" "$b"
		[ "$output" = "complete -F _npte $b" ] || { echo "$b: $output"; return 1; }
	done
}

@test "npte-netns destroy <TAB> offers each user their own namespaces only" {
	as alice npte-netns create alpha apple >/dev/null
	as bob npte-netns create bravo >/dev/null
	sb npte-netns create rootns >/dev/null
	run complete_as alice npte-netns destroy ''
	[ "$output" = "$(printf 'alpha\napple')" ] || { echo "alice: $output"; return 1; }
	run complete_as alice npte-netns destroy al
	[ "$output" = alpha ] || { echo "alice al: $output"; return 1; }
	run complete_as bob npte-netns destroy ''
	[ "$output" = bravo ] || { echo "bob: $output"; return 1; }
	# carol is not in group npte: nothing (and no sudo tried at each TAB)
	run complete_as carol npte-netns destroy ''
	[ -z "$output" ] || { echo "carol: $output"; return 1; }
	# root sees every namespace npte manages
	run complete_as root npte-netns destroy ''
	[ "$output" = "$(printf 'alpha\napple\nbravo\nrootns')" ] || { echo "root: $output"; return 1; }
	# create names a new namespace: nothing offered
	run complete_as alice npte-netns create ''
	[ -z "$output" ] || { echo "create: $output"; return 1; }
}

@test "interface names come from the caller's own npte-netns show --json" {
	as alice npte-netns create alpha apple >/dev/null
	as alice npte-veth add alpha apple >/dev/null
	as bob npte-netns create bravo >/dev/null
	run complete_as alice npte-netem apply alpha ''
	[ "$output" = "$(printf 'if-apple\nlo')" ] || { echo "$output"; return 1; }
	# an option before the namespace does not shift the positions
	run complete_as alice npte-addr add --wait 5 apple if-
	[ "$output" = if-alpha ] || { echo "$output"; return 1; }
	# bob's namespace, asked by alice: nothing
	run complete_as alice npte-netem apply bravo ''
	[ -z "$output" ] || { echo "$output"; return 1; }
}

@test "verbs, options and profiles come from the binaries' own --help and --list" {
	run complete_as alice npte-lab ''
	[ "$output" = "$(printf '%s\n' up down status show-file create destroy netem play probe -h --help --version | sort)" ] ||
		{ echo "$output"; return 1; }
	# the binaries that came after the completion complete from their --help too
	run complete_as alice npte-gateway ''
	[ "$output" = "$(printf '%s\n' create destroy status -h --help --version | sort)" ] || { echo "$output"; return 1; }
	run complete_as alice npte-probe --l
	[ "$output" = --load ] || { echo "$output"; return 1; }
	run complete_as alice npte-netns destroy --
	[ "$output" = "$(printf -- '--%s\n' all kill missing-ok prefix wait | sort)" ] || { echo "$output"; return 1; }
	run complete_as alice npte-netem apply alpha if-x --child ''
	[ "$output" = "$(printf 'cake\ntbf')" ] || { echo "$output"; return 1; }
	run complete_as alice npte-lab netem --profile ''
	[ "$output" = "$(sb "$P/npte-lab" netem --list | grep -v '^ ' | sort)" ] || { echo "$output"; return 1; }
	[ "${#lines[@]}" -ge 3 ]
	run complete_as alice npte-lab play --profile ''
	[ "$output" = "$(sb "$P/npte-lab" play --list | grep -v '^ ' | sort)" ] || { echo "$output"; return 1; }
	# npte-run: a namespace of hers, then a command
	as alice npte-netns create alpha >/dev/null
	run complete_as alice npte-run --wait 3 ''
	[ "$output" = alpha ] || { echo "$output"; return 1; }
	run complete_as alice npte-run alpha ech
	[[ "$output" == *echo* ]] || { echo "$output"; return 1; }
	# a verb with no positional: nothing, and no error from bash
	run complete_as alice npte-netns list ''
	[ -z "$output" ] || { echo "$output"; return 1; }
	# a shipped topology file by its word
	run complete_as alice npte-lab up dumb
	[ "$output" = dumbbell ] || { echo "$output"; return 1; }
}
