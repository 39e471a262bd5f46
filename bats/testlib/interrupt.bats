#!/usr/bin/env bats
# Run by bats/testlib.bats as a user, and interrupted (SIGINT, or SIGKILL)
# once the test has written NPTE_SIGN: in the middle of a long command, with
# programs of the user's in the background in two namespaces.

load "$NPTE_BATS"

setup() { npte_up; }
teardown() { npte_down; }

@test "interrupted mid-test" {
	npte_run_bg server python3 -m http.server --bind 172.16.2.2 8000
	# a program that left the test's session, as a daemon does
	npte_run_bg router setsid sleep 600
	npte_wait_port server 8000
	touch "$NPTE_SIGN"
	npte_run client sleep 600
}
