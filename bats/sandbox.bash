# A throwaway sandbox per test: new mount and network namespaces, private
# propagation, a fresh tmpfs on /run. Commands run inside it with `sb`.
# Tests skip (with the reason) where this cannot be had.

sandbox_setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	# shellcheck disable=SC2034 # used by the .bats files
	FAULT=$TOP/build/fault/bin
	[ "$(id -u)" = 0 ] || skip "needs root (live sandbox)"
	command -v unshare >/dev/null || skip "needs unshare(1)"
	local pidfile=$BATS_TEST_TMPDIR/sandbox.pid
	rm -f "$pidfile"
	unshare --mount --net --fork --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 npte-sandbox /run && ip link set lo up && echo $$ >"$1" && exec sleep 3600' \
		sh "$pidfile" 3>&- &
	for _ in $(seq 100); do [ -s "$pidfile" ] && break; sleep 0.05; done
	[ -s "$pidfile" ] || skip "cannot start a sandbox with unshare"
	SB_PID=$(cat "$pidfile")
}

sandbox_teardown() {
	# a lock holder stopped by freeze_holder goes on, and ends, rather than stay stopped for good
	thaw_holder
	[ -n "${SB_PID:-}" ] && kill "$SB_PID" 2>/dev/null || true
}

# as_uid UID CMD...: run CMD in the sandbox as root invoked through sudo by UID.
as_uid() {
	local u=$1
	shift
	sb env SUDO_UID="$u" SUDO_GID="$u" "$@"
}

# Wait (up to 5 s) until something listens on TCP PORT inside namespace NS of the sandbox.
listening() {
	for _ in $(seq 50); do
		sb ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# locked [TEXT]: wait (up to 10 s) until npte-lock status in the sandbox says the
# lock is held, by a holder whose line has TEXT: the sign that a background run
# is inside its transaction, which a fixed sleep only guesses on a loaded machine.
locked() {
	local s=
	for _ in $(seq 500); do
		s=$(sb npte-lock status)
		[[ "$s" == "locked "*"${1:-}"* ]] && return 0
		sleep 0.02
	done
	echo "the lock was not taken${1:+ by $1}: $s"
	return 1
}

# tree PID: PID and its descendants, by the kernel's list of each one's children:
# the processes a test started, never another user's or suite's.
tree() {
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$c"; done
}

# end_tree PID...: TERM to each PID and everything under it, listed before any
# ends: what a test started, by pid (a pkill by name ends every user's and suite's).
end_tree() {
	local p all=()
	for p in "$@"; do
		# shellcheck disable=SC2207 # pids: one word each
		all+=($(tree "$p"))
	done
	[ ${#all[@]} -eq 0 ] || kill "${all[@]}" 2>/dev/null || true
}

# bg_note FILE PID: note PID (a test's `cmd &`) in FILE with its start time, for
# bg_end in a teardown, which a command substitution's local pids do not reach.
bg_note() {
	echo "$2 $(started_at "$2")" >>"$1"
}

# bg_end FILE: end_tree each process noted in FILE that is still the one noted
# (same start time: a pid the kernel gave to another process since is left alone).
bg_end() {
	local p t
	[ -f "$1" ] || return 0
	while read -r p t; do
		[ -n "$t" ] && [ "$(started_at "$p")" = "$t" ] && end_tree "$p"
	done <"$1"
	rm -f "$1"
}

# started_at PID: its start time in clock ticks since boot (field 22 of stat).
started_at() {
	sed 's/.*) //' /proc/"$1"/stat 2>/dev/null | awk '{ print $20 }'
}

# npte_of PID COMM: the process named COMM in PID's tree that does npte's work. On
# behalf of a sudo caller that is a child in a session of its own (priv.c,
# session_own), whose parent relays signals; else the first COMM itself.
npte_of() {
	local p c
	for p in $(tree "$1"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ] || continue
		for _ in $(seq 20); do
			c=
			for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
				[ "$(cat /proc/"$c"/comm 2>/dev/null)" = "$2" ] && break
				c=
			done
			[ -n "$c" ] || break
			# the worker once it is in its own session (a reader child of a worker never is)
			[ "$(sed 's/.*) //' /proc/"$c"/stat 2>/dev/null | awk '{ print $4 }')" = "$c" ] && { echo "$c"; return 0; }
			sleep 0.05
		done
		echo "$p"
		return 0
	done
	return 1
}

# freeze_holder: SIGSTOP the process that holds npte's lock (once `locked`), its pid
# in FROZEN. The fault build's pause holds the lock 2 s, which checks that must
# still find it held outrun on a loaded machine; a stopped holder holds it until
# thaw_holder (sandbox_teardown's too), or for 15 s at most: a waiter that ignores
# its --wait then gets the lock late and fails its test instead of hanging it.
freeze_holder() {
	FROZEN=$(sb npte-lock status --json | jq -r .pid)
	[[ "$FROZEN" =~ ^[0-9]+$ ]] || { echo "no holder: $FROZEN"; return 1; }
	kill -STOP "$FROZEN"
	# shellcheck disable=SC2016
	bash -c 'trap "kill \$s; exit" TERM; sleep 15 & s=$!; wait "$s"; kill -CONT "$1"' sh "$FROZEN" 3>&- &
	THAW_BG=$!
	# stopped inside its transaction, not just after it let go
	[ "$(sb npte-lock status --json | jq -r .pid)" = "$FROZEN" ] || { sb npte-lock status; return 1; }
}

thaw_holder() {
	[ -n "${FROZEN:-}" ] || return 0
	kill -CONT "$FROZEN" 2>/dev/null
	kill "$THAW_BG" 2>/dev/null
	FROZEN=
}

# drained LISTER...: wait (up to 15 s) until `LISTER... npte-netns list --json` shows
# no destroyed namespace still held. The kernel frees a namespace asynchronously
# (its cleanup work is batched, slower on a loaded machine and while other suites
# churn namespaces), so one that nothing holds any more stays listed a while; one
# that something still holds (or a charge never dropped) stays, and this fails.
drained() {
	local n
	for _ in $(seq 150); do
		n=$("$@" npte-netns list --json | jq '[.[] | select(.draining)] | length')
		[ "$n" = 0 ] && return 0
		sleep 0.1
	done
	"$@" npte-netns list
	return 1
}

# alice_sandbox: sandbox_setup, then A and G, npte-alice's uid and gid (a skip
# without her), and nrun ARGS...: ARGS in the sandbox as root run by sudo for her.
alice_sandbox() {
	sandbox_setup
	getent passwd npte-alice >/dev/null || skip "needs user npte-alice (stage_install makes it as root)"
	A=$(id -u npte-alice)
	G=$(id -g npte-alice)
}

nrun() {
	sb env SUDO_UID="$A" SUDO_GID="$G" "$@"
}

sb() {
	nsenter -t "$SB_PID" -m -n -- env PATH="$TOP/build/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"
}

# sbx CMD...: sb, replaced by CMD, so that `sbx ... &` makes $! CMD's own pid (to signal)
sbx() {
	exec nsenter -t "$SB_PID" -m -n -- env PATH="$TOP/build/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"
}

# The state that matters, in a stable text form: namespaces, and in each its
# links (name, state, kind), addresses, routes, root qdiscs; markers without
# the kernel-chosen cookie; and whether a journal is pending.
sb_state() {
	sb sh -c '
		for ns in $(ip netns list | cut -d" " -f1 | sort); do
			echo "netns $ns"
			# admin state (what npte sets), not operstate (which the kernel settles later)
			ip -n "$ns" -br link | sed "s/@[^ ]*//" |
				awk "{ up = (\$NF ~ /[<,]UP[,>]/) ? \"up\" : \"down\"; print \"  link\", \$1, up }"
			# link-local addresses are kernel-chosen (from the MAC) and appear late
			ip -n "$ns" -br addr | sed "s/@[^ ]*//; s/ fe80::[^ ]*//g" | awk "{\$2=\"\"; print \"  addr\", \$0}"
			ip -n "$ns" route | sed "s/^/  route4 /"
			ip -n "$ns" -6 route | grep -v "^fe80" | sed "s/^/  route6 /"
			ip netns exec "$ns" tc qdisc show | grep -v "noqueue\|pfifo_fast\|mq " | sed "s/^/  /" | cut -d" " -f1-6
		done
		for m in /run/npte/netns/*; do
			[ -e "$m" ] || continue
			echo "marker ${m##*/} $(grep -v "^cookie=\|^nsid=" "$m" | tr "\n" " ")"
		done
		[ ! -e /run/npte/journal ] || echo "journal pending"
	' 2>&1
}

# Registry and kernel agree: every marker has a namespace and every namespace a marker.
sb_consistent() {
	sb sh -c '
		rc=0
		for m in /run/npte/netns/*; do
			[ -e "$m" ] || continue
			n=${m##*/}
			[ -e "/run/netns/$n" ] || { echo "marker without namespace: $n"; rc=1; }
		done
		for n in $(ip netns list | cut -d" " -f1); do
			[ -e "/run/npte/netns/$n" ] || { echo "namespace without marker: $n"; rc=1; }
		done
		exit $rc'
}

# A second sandbox, for tests that compare two runs (the faithfulness harness).
sandbox2_setup() {
	local pidfile=$BATS_TEST_TMPDIR/sandbox2.pid
	rm -f "$pidfile"
	unshare --mount --net --fork --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 npte-sandbox /run && ip link set lo up && echo $$ >"$1" && exec sleep 3600' \
		sh "$pidfile" 3>&- &
	for _ in $(seq 100); do [ -s "$pidfile" ] && break; sleep 0.05; done
	[ -s "$pidfile" ] || skip "cannot start a second sandbox with unshare"
	SB2_PID=$(cat "$pidfile")
}

sandbox2_teardown() {
	[ -n "${SB2_PID:-}" ] && kill "$SB2_PID" 2>/dev/null || true
}

sb2() {
	nsenter -t "$SB2_PID" -m -n -- env PATH="$TOP/build/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"
}

# A full snapshot of what npte can change, from iproute2's JSON: per
# namespace `ip -j -d link/addr/route` (v4 and v6), `tc -j qdisc`, the
# sysctls npte sets, then the markers and the journal. Kernel-chosen values
# are masked: ifindex, MACs, netnsids, operational state, counters, address
# lifetimes, and the link-local addresses and routes the kernel adds later.
# One jq for the whole snapshot (text lines pass through): a jq per line
# cost minutes under the VM lane's emulated CPU.
SNAP_JQ='
def mask: walk(if type == "object" then
	del(.ifindex, .link_index, .address, .broadcast, .perm_address, .link_netnsid,
	    .operstate, .stats, .stats64, .valid_life_time, .preferred_life_time,
	    .inet6_addr_gen_mode, .parentbus, .parentdev, .linkinfo.info_data.peer?)
	| (if has("flags") and (.flags | type) == "array"
	   then .flags |= map(select(. == "UP" or . == "NOARP" or . == "LOOPBACK" or . == "POINTOPOINT")) else . end)
	| (if has("addr_info") then .addr_info |= map(select(.scope != "link" or .family != "inet6")) else . end)
	else . end);
mask
| if type == "array" then map(select((.dst // "") | test("^(fe80|ff00)") | not)) else . end'

sb_snapshot() {
	local enter=$1
	$enter sh -c '
		for ns in $(ip netns list | cut -d" " -f1 | sort); do
			echo "== netns $ns"
			for what in "-d link" "addr" "-4 route" "-6 route"; do
				echo "-- ip $what"
				ip -n "$ns" -j $what show
			done
			echo "-- tc qdisc"
			ip netns exec "$ns" tc -j qdisc show
			echo "-- sysctl"
			ip netns exec "$ns" sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding \
				net.ipv6.conf.default.accept_dad net.ipv4.ping_group_range | tr "\n\t" "  "
			echo
			for f in $(ip netns exec "$ns" sh -c "ls -d /proc/sys/net/ipv6/conf/if-* 2>/dev/null"); do
				echo "-- ${f##*/} accept_dad $(ip netns exec "$ns" cat "$f/accept_dad")"
			done
		done
		for m in /run/npte/netns/*; do
			[ -e "$m" ] || continue
			echo "== marker ${m##*/}: $(grep -v "^cookie=\|^nsid=" "$m" | tr "\n" " ")"
		done
		[ ! -e /run/npte/journal ] || echo "== journal pending"
	' 2>&1 | jq -R -r "if test(\"^[[{]\") then (fromjson | ($SNAP_JQ) | tojson) else . end"
}

# faithful SETUP BINARY VERB [ARG]...
# Runs SETUP (a shell snippet) in two fresh sandboxes, then BINARY VERB ARGS
# live in the first and its dry-run script under dash in the second; the
# exit statuses and the two snapshots must be equal. The script must also
# pass shellcheck at warning level. Prints a diff on mismatch.
faithful() {
	local setup=$1 bin=$2 verb=$3
	shift 3
	# fresh sandboxes for every comparison
	sandbox_teardown
	sandbox2_teardown
	sandbox_setup
	sandbox2_setup
	sb sh -c "$setup" || { echo "setup failed live: $setup"; return 1; }
	sb2 sh -c "$setup" || { echo "setup failed for the script: $setup"; return 1; }
	local script=$BATS_TEST_TMPDIR/script.sh live_rc=0 script_rc=0
	sb2 "$bin" "$verb" -n "$@" >"$script" || { echo "dry-run failed: $bin $verb -n $*"; return 1; }
	shellcheck -s sh -S warning "$script" || { echo "shellcheck: $bin $verb $*"; return 1; }
	sb "$bin" "$verb" "$@" >/dev/null 2>&1 || live_rc=$?
	sb2 dash "$script" >/dev/null 2>&1 || script_rc=$?
	local a b
	a=$(sb_snapshot sb)
	b=$(sb_snapshot sb2)
	sandbox2_teardown
	if [ "$live_rc" != "$script_rc" ]; then
		echo "exit status: live $live_rc, script $script_rc ($bin $verb $*)"
		return 1
	fi
	if [ "$a" != "$b" ]; then
		echo "live and script differ ($bin $verb $*):"
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$b")
		return 1
	fi
	# shellcheck disable=SC2034 # read by the .bats files
	FAITHFUL_STATE=$a
	# shellcheck disable=SC2034 # read by the .bats files
	FAITHFUL_RC=$live_rc
}

# --- An installed npte (real sudo tests, npte-doctor) -----------------------

# shellcheck disable=SC2034 # used by the .bats files
P=/run/ptest/sbin

# From setup_file: users npte-alice and npte-bob (group npte) and npte-carol
# (outside it), made on the host if absent (sudo and runuser need them in
# /etc/passwd); then `make install` (which checks the rule with visudo) into
# a staging tree for prefix /run/ptest.
stage_install() {
	[ "$(id -u)" = 0 ] || return 0
	command -v sudo >/dev/null && command -v visudo >/dev/null || return 0
	# bats files run in parallel: another may make them at the same moment
	getent group npte >/dev/null || groupadd --system npte 2>/dev/null || getent group npte >/dev/null
	# an empty mount point: each sandbox binds its own config over it
	[ -d /etc/npte ] || install -d -m 0755 /etc/npte
	for u in alice bob carol; do
		getent passwd "npte-$u" >/dev/null && continue
		if [ "$u" = carol ]; then
			useradd --system -M -d /nonexistent -s /bin/sh "npte-$u" 2>/dev/null
		else
			useradd --system -M -d /nonexistent -s /bin/sh -G npte "npte-$u" 2>/dev/null
		fi || getent passwd "npte-$u" >/dev/null
	done
	local top
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	make -s -C "$top" install DESTDIR="$BATS_FILE_TMPDIR/stage" PREFIX=/run/ptest \
		SUDOERSDIR=/etc/sudoers.d >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/install.log" >&3; return 1; }
}

# The setup of a suite that goes through the staged install and real sudo.
sudo_setup() {
	sandbox_setup
	sandbox_install
	ALICE=$(id -u npte-alice)
	BOB=$(id -u npte-bob)
	export ALICE BOB
}

# as USER CMD ARGS: CMD from the installed prefix, through sudo -n, as npte-USER.
as() {
	local u=$1 c=$2
	shift 2
	sb runuser -u "npte-$u" -- sudo -n "$P/$c" "$@" </dev/null
}

# From setup, after sandbox_setup: the staged install at /run/ptest inside the
# sandbox (root-owned, nothing writable above it), its rule bound over
# /etc/sudoers.d and an empty /etc/npte there; the host's files stay as they are.
sandbox_install() {
	command -v sudo >/dev/null || skip "needs sudo"
	STAGE=$BATS_FILE_TMPDIR/stage
	[ -x "$STAGE/run/ptest/sbin/npte-netns" ] || skip "make install into the staging tree failed"
	# shellcheck disable=SC2016
	sb sh -c '
		cp -a "$1/run/ptest" /run/ptest
		mkdir -m 0755 /run/sudoers.d
		cp -a /etc/sudoers.d/. /run/sudoers.d/
		cp -a "$1/etc/sudoers.d/npte" /run/sudoers.d/npte
		mount --bind /run/sudoers.d /etc/sudoers.d
		mkdir -m 0755 /run/npteconf
		mount --bind /run/npteconf /etc/npte
	' sh "$STAGE"
}
