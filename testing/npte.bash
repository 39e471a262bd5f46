# npte.bash: npte for a user's own bats tests (npte-testing(7)).
#
#   load "${NPTE_BATS:-/usr/local/share/npte/npte}"
#   setup()    { npte_up dumbbell; }      # or npte_up --profile 4g, or npte_up ./my.lab
#   teardown() { npte_down; }
#
# Every test gets its own lab under a prefix of its own, so tests never
# collide, also under `bats --jobs`. Everything goes through `sudo -n` and
# npte's rule: the test itself needs no privilege. npte_up first tears down
# what a run that died (SIGKILL, a crash) left of this user's tests; npte_down
# ends what the test started in the background, destroys its lab, and may be
# called any number of times. Helpers return non-zero with a message on
# stderr, which bats shows for a failing test.

# Where npte's binaries are (`make install` writes its SBINDIR here).
NPTE_SBIN=${NPTE_SBIN:-@SBINDIR@}
# How they are reached: never a password prompt in CI.
NPTE_SUDO=${NPTE_SUDO:-sudo -n}
# Length of the per-test prefix: a letter and random [a-z0-9]. Node names of a
# lab may then be 12 - NPTE_PREFIX_LEN bytes long.
NPTE_PREFIX_LEN=${NPTE_PREFIX_LEN:-5}

# _npte BIN ARGS...: an npte binary through sudo.
_npte() {
	local b=$1
	shift
	# shellcheck disable=SC2086 # NPTE_SUDO is a command and its options
	$NPTE_SUDO "$NPTE_SBIN/$b" "$@"
}

# _npte_state: this user's record folder (one file per live lab), made 0700
# and refused when it is not this user's own plain folder.
_npte_state() {
	local d=${NPTE_STATE_DIR:-${XDG_RUNTIME_DIR:-/tmp}/npte-tests-$(id -u)}
	mkdir -m 0700 "$d" 2>/dev/null || true
	if [ -L "$d" ] || [ ! -d "$d" ] || [ "$(stat -c '%u %a' "$d")" != "$(id -u) 700" ]; then
		echo "npte: $d is not a folder of mode 0700 of uid $(id -u); set NPTE_STATE_DIR" >&2
		return 1
	fi
	echo "$d"
}

# _npte_started PID: PID's start time (clock ticks since boot), empty if gone.
# A zombie is gone too: under an init that never reaps (a container's sleep,
# a stopped parent) a killed test stays a zombie, and its lab must be reaped.
_npte_started() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '$1 != "Z" { print $20 }'
}

# _npte_alive PID START: PID is still the process that started at START.
_npte_alive() {
	[ -n "$2" ] && [ "$(_npte_started "$1")" = "$2" ]
}

# npte_reap: destroy the labs of this user's tests whose test process is gone
# (a run killed before its teardown). Labs of live tests, in parallel jobs or
# other suites, are left alone: their process still runs. A record is
# "PID START PIDNS": the test's pid, its start time and its pid namespace.
npte_reap() {
	local d f pid start pidns ns
	d=$(_npte_state) || return 1
	ns=$(readlink /proc/self/ns/pid)
	for f in "$d"/*; do
		[ -f "$f" ] || continue
		read -r pid start pidns <"$f" || continue
		# a pid of another pid namespace (a container) cannot be judged from here
		[ "$pidns" = "$ns" ] || continue
		_npte_alive "$pid" "$start" && continue
		_npte npte-netns destroy --kill --prefix "${f##*/}" >/dev/null || return 1
		rm -f "$f"
	done
}

# _npte_claim: pick a fresh prefix and record it (with this test's process)
# before anything is made, so a run killed at any point is reaped later.
_npte_claim() {
	local d p i me
	d=$(_npte_state) || return 1
	me=${BASHPID:-$$}
	for i in 1 2 3 4 5 6 7 8; do
		p=t$(LC_ALL=C tr -dc 'a-z0-9' </dev/urandom | head -c "$((NPTE_PREFIX_LEN - 1))")
		# noclobber: O_EXCL, so two jobs of this user never share a prefix
		if (set -o noclobber; echo "$me $(_npte_started "$me") $(readlink /proc/self/ns/pid)" >"$d/$p") 2>/dev/null; then
			NPTE_PREFIX=$p
			NPTE_RECORD=$d/$p
			return 0
		fi
	done
	echo "npte_up: no free prefix in $d after $i tries" >&2
	return 1
}

# npte_up [--profile NAME | FILE]: this test's lab. FILE is npte-lab.conf(5)
# (a shipped name such as dumbbell, or a path); no FILE: the built-in lab
# (client, router, server), shaped with the link profile NAME if given.
npte_up() {
	local profile='' file=default out rc try
	case ${1:-} in
	--profile) profile=${2:?npte_up: --profile needs a NAME} ;;
	'') ;;
	*) file=$1 ;;
	esac
	npte_down || return 1
	npte_reap || return 1
	export NPTE_TMPDIR=${BATS_TEST_TMPDIR:-${NPTE_TMPDIR:-$(mktemp -d)}}
	for try in 1 2 3; do
		_npte_claim || return 1
		out=$(_npte npte-lab up --prefix "$NPTE_PREFIX" "$file" 2>&1) && rc=0 || rc=$?
		# a name someone else's lab holds now: another prefix
		if [ "$rc" != 1 ] || [[ "$out" != *"File exists"* ]]; then break; fi
		rm -f "$NPTE_RECORD"
	done
	[ "$rc" = 0 ] || { echo "npte_up $file (try $try): $out" >&2; return 1; }
	export NPTE_PREFIX NPTE_RECORD
	[ -z "$profile" ] || _npte_shaping npte-lab netem --prefix "$NPTE_PREFIX" --profile "$profile"
}

# npte_down: end what the test started in the background (TERM, which sudo
# relays), destroy every namespace of the lab ending the user's processes in
# it, then wait for those background commands. Safe to call again, or without
# npte_up.
npte_down() {
	local p start rc=0
	[ -n "${NPTE_PREFIX:-}" ] || return 0
	if [ -f "$NPTE_TMPDIR/npte-bg" ]; then
		while read -r p start; do
			_npte_alive "$p" "$start" && kill -TERM "$p" 2>/dev/null
		done <"$NPTE_TMPDIR/npte-bg"
	fi
	_npte npte-netns destroy --kill --prefix "$NPTE_PREFIX" >/dev/null || rc=$?
	_npte_reap_bg
	[ "$rc" = 0 ] || { echo "npte_down: destroy --prefix $NPTE_PREFIX: exit $rc" >&2; return 1; }
	rm -f "$NPTE_RECORD"
	unset NPTE_PREFIX NPTE_RECORD
}

# _npte_reap_bg: wait (up to 5 s) for the noted background commands, then KILL
# any left (still the same process: a reused pid is never signalled).
_npte_reap_bg() {
	local f=$NPTE_TMPDIR/npte-bg p start left
	[ -f "$f" ] || return 0
	for _ in $(seq 50); do
		left=
		while read -r p start; do
			_npte_alive "$p" "$start" && left=1
		done <"$f"
		[ -n "$left" ] || break
		sleep 0.1
	done
	while read -r p start; do
		_npte_alive "$p" "$start" && kill -KILL "$p" 2>/dev/null
	done <"$f"
	rm -f "$f"
}

# npte_ns NODE: the namespace of NODE in this test's lab.
npte_ns() {
	[ -n "${NPTE_PREFIX:-}" ] || { echo "npte: no lab (npte_up first)" >&2; return 1; }
	echo "$NPTE_PREFIX$1"
}

# npte_if IFACE: an interface as the lab file writes it (if-PEER, lo) as it is
# in this test's lab (if-PREFIXPEER).
npte_if() {
	case $1 in
	if-*) echo "if-$NPTE_PREFIX${1#if-}" ;;
	*) echo "$1" ;;
	esac
}

# _npte_argv [-e KEY=VALUE]... NODE CMD...: NPTE_ARGV, npte-run's arguments.
_npte_argv() {
	NPTE_ARGV=()
	while [ "${1:-}" = -e ]; do
		NPTE_ARGV+=(-e "$2")
		shift 2
	done
	local ns
	ns=$(npte_ns "${1:?NODE CMD...}") || return 1
	shift
	NPTE_ARGV+=("$ns" "$@")
}

# npte_run [-e KEY=VALUE]... NODE CMD...: CMD in NODE as this user (npte-run),
# its status returned.
npte_run() {
	_npte_argv "$@" || return 1
	_npte npte-run "${NPTE_ARGV[@]}"
}

# npte_run_bg [-e KEY=VALUE]... NODE CMD...: npte_run in the background, ended
# by npte_down. Its pid is NPTE_BG_PID, its output (stdout and stderr) in
# NPTE_BG_LOG.
npte_run_bg() {
	_npte_argv "$@" || return 1
	NPTE_BG_LOG=$NPTE_TMPDIR/bg.$RANDOM$RANDOM.log
	_npte_bg "$NPTE_BG_LOG" npte-run "${NPTE_ARGV[@]}"
	# shellcheck disable=SC2034 # for the test
	NPTE_BG_PID=$NPTE_LAST_BG
}

# _npte_bg LOG BIN ARGS...: an npte binary in the background, noted for
# npte_down, its pid in NPTE_LAST_BG. In a session of its own: sudo relays
# the TERM of npte_down only from outside its process group (a signal from
# inside it, sudo takes for the terminal's, which the command got too). fd 3
# closed: bats waits for whatever holds it.
_npte_bg() {
	local log=$1 b=$2
	shift 2
	# shellcheck disable=SC2086 # NPTE_SUDO is a command and its options
	setsid $NPTE_SUDO "$NPTE_SBIN/$b" "$@" </dev/null >"$log" 2>&1 3>&- &
	NPTE_LAST_BG=$!
	echo "$NPTE_LAST_BG $(_npte_started "$NPTE_LAST_BG")" >>"$NPTE_TMPDIR/npte-bg"
}

# npte_wait_port NODE PORT [TIMEOUT]: wait (default 10 s) until something in
# NODE listens on TCP PORT (IPv4 or IPv6), read from the namespace's own
# /proc/net/tcp: the sign that a server started with npte_run_bg is ready.
npte_wait_port() {
	local node=$1 port=$2 t=${3:-10} hex i
	hex=$(printf '%04X' "$port")
	for ((i = 0; i < t * 10; i++)); do
		npte_run "$node" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' &&
			return 0
		sleep 0.1
	done
	echo "npte_wait_port: nothing listens on TCP port $port in $node after ${t}s" >&2
	return 1
}

# _npte_shaping BIN ARGS...: a shaping verb; where the kernel lacks the qdisc
# (npte's one hint, "this kernel has no sch_..."), the test is skipped with
# the kernel's reason rather than failed.
_npte_shaping() {
	local out
	out=$(_npte "$@" 2>&1) && return 0
	if [[ "$out" == *"this kernel has no sch_"* ]]; then
		_npte_skip "this kernel${out##*this kernel}"
		return 3
	fi
	echo "$1 $2: $out" >&2
	return 1
}

# _npte_skip REASON: bats' skip, which ends the test; outside bats, a line
# (the caller then returns 3).
_npte_skip() {
	if declare -F skip >/dev/null; then
		skip "$1"
	fi
	echo "npte: cannot here: $1" >&2
}

# npte_shape NODE IFACE [netem|tbf] WORDS...: the root qdisc of NODE's IFACE,
# in tc's words (npte-netem apply or tbf); netem when no kind is given.
npte_shape() {
	local ns dev verb=apply
	ns=$(npte_ns "$1") || return 1
	dev=$(npte_if "$2")
	shift 2
	case ${1:-} in
	netem) shift ;;
	tbf) verb=tbf; shift ;;
	esac
	_npte_shaping npte-netem "$verb" "$ns" "$dev" "$@"
}

# npte_change NODE IFACE WORDS...: the root netem or tbf changed in place
# (its queue and packets kept).
npte_change() {
	local ns dev
	ns=$(npte_ns "$1") || return 1
	dev=$(npte_if "$2")
	shift 2
	_npte_shaping npte-netem change "$ns" "$dev" "$@"
}

# _npte_root NS DEV: the handle of DEV's root qdisc now.
_npte_root() {
	_npte npte-netem show --json "$1" "$2" 2>/dev/null |
		grep -o '"handle":"[^"]*","parent":"root"' | head -1
}

# npte_play NODE IFACE FILE [--loop] | npte_play --profile NAME [--loop]: a
# schedule file (npte-netem play, read as this user) on one interface, or a
# shipped schedule on both directions of the built-in lab (npte-lab play), in
# the background until npte_down; returns once the first step is in (the root
# qdisc replaced under a fresh handle). NPTE_PLAY_PID is the player.
npte_play() {
	local ns dev cmd before i
	if [ "$1" = --profile ]; then
		ns=$(npte_ns router) || return 1
		dev=$(npte_if if-client)
		cmd=(npte-lab play --prefix "$NPTE_PREFIX" "$@")
	else
		ns=$(npte_ns "$1") || return 1
		dev=$(npte_if "$2")
		cmd=(npte-netem play "$ns" "$dev" "${@:3}")
	fi
	before=$(_npte_root "$ns" "$dev")
	NPTE_PLAY_LOG=$NPTE_TMPDIR/play.$RANDOM$RANDOM.log
	_npte_bg "$NPTE_PLAY_LOG" "${cmd[@]}"
	# shellcheck disable=SC2034 # for the test
	NPTE_PLAY_PID=$NPTE_LAST_BG
	for ((i = 0; i < 100; i++)); do
		[ "$(_npte_root "$ns" "$dev")" != "$before" ] && return 0
		kill -0 "$NPTE_PLAY_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$NPTE_PLAY_PID" 2>/dev/null || true # its status: the log says why
	if grep -q "this kernel has no sch_" "$NPTE_PLAY_LOG"; then
		_npte_skip "this kernel$(sed -n 's/.*this kernel\(.*\)/\1/p' "$NPTE_PLAY_LOG" | head -1)"
		return 3
	fi
	echo "npte_play ${cmd[*]}: the first step did not go in: $(cat "$NPTE_PLAY_LOG")" >&2
	return 1
}

# The kernel features npte-doctor --require knows (npte-doctor(8)).
NPTE_FEATURES=" netns veth tbf netem cake ipv6 ping ping6 "

# npte_require FEATURE...: skip the test, with the reason, unless this host can
# do every FEATURE: a kernel feature (asked of npte-doctor --require, whose
# exit 69 means "cannot here") or else a command this user can run.
npte_require() {
	local f kernel=() out rc
	for f in "$@"; do
		if [[ "$NPTE_FEATURES" == *" $f "* ]]; then
			kernel+=("$f")
		elif ! command -v "$f" >/dev/null; then
			_npte_skip "needs the command $f, which is not installed"
			return 3
		fi
	done
	[ ${#kernel[@]} -gt 0 ] || return 0
	out=$("$NPTE_SBIN/npte-doctor" --require "$(IFS=,; echo "${kernel[*]}")" 2>&1) && return 0 || rc=$?
	if [ "$rc" = 69 ]; then
		f=$(sed -n 's/^cannot here: \(.*\) (--require)$/\1/p' <<<"$out")
		_npte_skip "this kernel cannot do $f (npte-doctor --require exits 69)"
		return 3
	fi
	echo "npte_require $*: npte-doctor exit $rc:" >&2
	echo "$out" >&2
	return 1
}

# npte_applied: what shapes the lab now, one line an interface with a root
# qdisc other than the default: "NS DEV: root|parent HANDLE KIND WORDS"
# (npte-netns show).
npte_applied() {
	local ns
	for ns in $(_npte npte-netns list 2>/dev/null | grep "^$NPTE_PREFIX"); do
		_npte npte-netns show "$ns" 2>/dev/null |
			awk -v ns="$ns" '/^qdiscs:/ { q = 1; next } /^[a-z]/ { q = 0 }
				q && $4 != "noqueue" { $1 = ns " " $1 ":"; print "  " $0 }'
	done
}

# _npte_fail WHAT MEASURED WANTED: the failure message of an assertion: what
# was measured, what was wanted, and what npte applied to the lab.
_npte_fail() {
	{
		echo "$1: measured $2, expected $3"
		echo "applied:"
		npte_applied | grep . || echo "  nothing (no qdisc but the default)"
	} >&2
	return 1
}

# _npte_within X MIN MAX: MIN <= X <= MAX, decimals allowed.
_npte_within() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "" && x + 0 >= lo + 0 && x + 0 <= hi + 0) }'
}

# assert_rtt NODE ADDR MIN_MS MAX_MS: the average round trip of
# NPTE_PING_COUNT (default 5) pings from NODE to ADDR is within the bounds,
# and every ping was answered.
assert_rtt() {
	local node=$1 addr=$2 lo=$3 hi=$4 n=${NPTE_PING_COUNT:-5} out avg got
	out=$(npte_run "$node" ping -n -q -c "$n" -i 0.2 -W 5 "$addr" 2>&1)
	avg=$(sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	if [ "$got" = "$n" ] && _npte_within "$avg" "$lo" "$hi"; then
		return 0
	fi
	_npte_fail "assert_rtt $node -> $addr" "${avg:-no} ms average, ${got:-0} of $n replies" \
		"$lo..$hi ms, $n of $n replies"
	echo "$out" >&2
	return 1
}

# assert_throughput CLIENT SERVER ADDR MIN_MBIT MAX_MBIT: an iperf3 transfer
# of NPTE_IPERF_SECONDS (default 3) from CLIENT to the server started in
# SERVER at ADDR is received at a rate within the bounds (Mbit/s).
# NPTE_IPERF_ARGS adds client options (-R: SERVER to CLIENT).
assert_throughput() {
	local client=$1 server=$2 addr=$3 lo=$4 hi=$5 port=${NPTE_IPERF_PORT:-5201} out rate
	npte_require iperf3 || return
	npte_run_bg "$server" iperf3 -s -1 -p "$port"
	npte_wait_port "$server" "$port" || return 1
	# shellcheck disable=SC2086 # NPTE_IPERF_ARGS is options
	out=$(npte_run "$client" iperf3 -c "$addr" -p "$port" -f m -t "${NPTE_IPERF_SECONDS:-3}" \
		${NPTE_IPERF_ARGS:-} 2>&1)
	rate=$(awk '/receiver$/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") r = $(i - 1) } END { print r }' <<<"$out")
	_npte_within "$rate" "$lo" "$hi" && return 0
	_npte_fail "assert_throughput $client -> $server ($addr)" "${rate:-no} Mbit/s" "$lo..$hi Mbit/s"
	echo "$out" >&2
	return 1
}

# assert_verdict FROM TO [NPTE-PROBE OPTION...]: npte-probe measures the path
# from FROM to TO and judges it against what npte applied; the assertion holds
# when it exits 0 and no figure is "off by". Its JSON record is kept in
# NPTE_VERDICT_JSON. Skipped where npte-probe is not installed.
assert_verdict() {
	local from to out rc=0
	[ -x "$NPTE_SBIN/npte-probe" ] || { _npte_skip "needs npte-probe, not installed in $NPTE_SBIN"; return 3; }
	from=$(npte_ns "$1") || return 1
	to=$(npte_ns "$2") || return 1
	shift 2
	NPTE_VERDICT_JSON=$NPTE_TMPDIR/verdict.$RANDOM.json
	out=$(_npte npte-probe --json "$NPTE_VERDICT_JSON" "$@" "$from" "$to" 2>&1) || rc=$?
	if [ "$rc" = 0 ] && ! { echo "$out"; cat "$NPTE_VERDICT_JSON" 2>/dev/null; } | grep -q "off by"; then
		return 0
	fi
	_npte_fail "assert_verdict $from -> $to" "npte-probe exit $rc" "exit 0 and every verdict ok"
	echo "$out" >&2
	return 1
}
