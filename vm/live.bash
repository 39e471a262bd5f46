# Helpers of the live shaping suites (vm/*.bats), which run inside the VM
# lane on Debian 12's own kernel. One sandbox (and one lab) per file, made in
# setup_file: a lab per test costs seconds under TCG. Figures go to fd 3 as
# TAP comments, so the lane's output records what was measured.

# From setup_file: the sandbox (and a second one with FAITHFUL2=1), each with
# a lab (LIVE_LAB=FILE: that topology file up instead of the built-in lab);
# skips the whole file where the kernel has no netem.
live_setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	export TOP
	# bats 1.8 (Debian 12's) fails a setup_file that skips: the reason goes to
	# each test's setup instead (live_skip)
	[ "$(id -u)" = 0 ] || { export LIVE_SKIP="needs root (live sandbox)"; return 0; }
	local pidfile=$BATS_FILE_TMPDIR/sandbox.pid n
	for n in 1 ${FAITHFUL2:+2}; do
		unshare --mount --net --fork --propagation private sh -c \
			'mount -t tmpfs -o mode=0755 npte-sandbox /run && ip link set lo up && echo $$ >"$1" && exec sleep 3600' \
			sh "$pidfile.$n" 3>&- &
		for _ in $(seq 100); do [ -s "$pidfile.$n" ] && break; sleep 0.05; done
	done
	SB_PID=$(cat "$pidfile.1")
	export SB_PID
	[ -z "${FAITHFUL2:-}" ] || { SB2_PID=$(cat "$pidfile.2"); export SB2_PID; }
	if ! sb sh -c 'tc qdisc add dev lo root netem delay 1ms && tc qdisc del dev lo root' 2>/dev/null; then
		live_teardown_file
		export LIVE_SKIP="kernel has no sch_netem: runs in the VM lane (make vmcheck)"
		return 0
	fi
	if [ -n "${LIVE_LAB:-}" ]; then
		sb npte-lab up "$LIVE_LAB" >/dev/null
	else
		sb npte-lab create >/dev/null
	fi
	[ -z "${FAITHFUL2:-}" ] || sb2 npte-lab create >/dev/null
}

# Once only: setup_file calls it before it skips, and bats calls it again after.
live_teardown_file() {
	[ -n "${SB_PID:-}" ] || return 0
	bg_end "$BATS_FILE_TMPDIR/iperf3.bg"
	kill "$SB_PID" ${SB2_PID:+"$SB2_PID"} 2>/dev/null || true
	SB_PID='' SB2_PID=''
}

# The files that load this one share its hooks (a file may define its own
# after the load, as faithful.bats does with a second lab).
setup_file() { live_setup_file; }
teardown_file() { live_teardown_file; }
live_skip() { [ -z "${LIVE_SKIP:-}" ] || skip "$LIVE_SKIP"; }
setup() { live_skip; }

say() { echo "# $*" >&3; }

# ms D: a tc time (25ms, 1.5ms, 250us, 1s) in milliseconds
ms() { awk -v t="$1" 'BEGIN {
	v = t + 0; u = t; sub(/^[0-9.]+/, "", u)
	if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u != "ms") exit 1
	print v }'; }

# bps R: a tc rate (30mbit, 500kbit, 1gbit) in bit/s
bps() { awk -v r="$1" 'BEGIN {
	v = r + 0; u = r; sub(/^[0-9.]+/, "", u)
	m["bit"] = 1; m["kbit"] = 1e3; m["mbit"] = 1e6; m["gbit"] = 1e9
	if (!(u in m)) exit 1
	print v * m[u] }'; }

# rtts COUNT INTERVAL [DST]: the round-trip times (ms) of COUNT pings from the
# client to DST (the server by default), one a line; lost ones are absent.
rtts() {
	sb ip netns exec client ping -n -c "$1" -i "$2" -W 2 "${3:-172.16.2.2}" |
		sed -n 's/.* time=\([0-9.]*\) ms$/\1/p'
}

# stats: n, median, mean, sample standard deviation, min and max of numbers on stdin
stats() {
	sort -g | awk '{ v[NR] = $1; s += $1; q += $1 * $1 }
	END { if (!NR) { print 0, 0, 0, 0, 0, 0; exit }
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		m = s / NR; sd = NR > 1 ? sqrt((q - NR * m * m) / (NR - 1)) : 0
		if (sd != sd) sd = 0
		printf "%d %.3f %.3f %.3f %.3f %.3f\n", NR, med, m, sd, v[1], v[NR] }'
}

# near MEASURED EXPECTED PCT FLOOR: |MEASURED - EXPECTED| <= max(PCT% of EXPECTED, FLOOR)
near() {
	awk -v m="$1" -v e="$2" -v p="$3" -v f="$4" 'BEGIN {
		d = m - e; if (d < 0) d = -d; t = e * p / 100; if (t < f) t = f; exit !(d <= t) }'
}

# A count of random events is judged against its two-sided 99.99% interval
# (each tail below 0.005%): the lane makes about a dozen such checks, and at
# 99% one CI run in ten would fail by chance alone; a wrong probability
# (half, double, none) still falls outside.
TAIL=0.00005

# binom N P: the two-sided 99.99% interval "LO HI" of a Binomial(N, P) count,
# from the exact probabilities.
binom() {
	awk -v n="$1" -v p="$2" -v t="$TAIL" 'BEGIN {
		if (p <= 0) { print 0, 0; exit } if (p >= 1) { print n, n; exit }
		f = (1 - p) ^ n; c = 0
		for (k = 0; k <= n; k++) { c += f; cdf[k] = c; f *= (n - k) / (k + 1) * p / (1 - p) }
		lo = 0; while (lo < n && cdf[lo] < t) lo++
		hi = 0; while (hi < n && 1 - cdf[hi] > t) hi++
		print lo, hi }'
}

# wire_bytes FRAME RATESPEC: what netem's rate charges for a FRAME-byte packet
# under "RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]]" (the kernel's
# packet_time_ns: overhead added, then whole cells of CELLSIZE+CELLOVERHEAD)
wire_bytes() {
	# shellcheck disable=SC2086 # the spec's words are the fields
	set -- "$1" $2
	awk -v l="$1" -v po="${3:-0}" -v cs="${4:-0}" -v co="${5:-0}" 'BEGIN {
		l += po; if (cs > 0) { c = int(l / cs); if (l > c * cs) c++; l = c * (cs + co) } print l }'
}

# UDP datagrams of 1400 bytes are 1442-byte frames on the veth (8 UDP, 20 IP, 14 Ethernet).
# shellcheck disable=SC2034 # read by the .bats files
FRAME=1442

# link_rate up|down RATE_BPS: Mbit/s of frames the far end receives while an
# iperf3 UDP sender offers 1.3x RATE_BPS through the lab (RATE_BPS tcp: an
# iperf3 TCP transfer, as fast as it goes): up is client ->
# server (the router's if-server egress), down is server -> client (if-client).
# Once the flow has run for 1 s (the shaped queue is full by then), one bash
# in the receiving namespace reads the receiver's veth byte counter (it counts
# frames) at 10 moments 0.3 s apart, to the absolute target times (a late read
# does not push the next ones), timestamping each read without a fork. Prints
# "MEDIAN MIN MAX" of the 10 slices' rates: a stalled emulator starves one
# slice (and may overfill the next, where the shaper catches up), not most.
link_rate() {
	local dir=$1 rate=$2 rx=server tx=client dst=172.16.2.2
	[ "$dir" = up ] || { rx=client; tx=server; dst=172.16.3.2; }
	sb timeout 30 ip netns exec "$rx" iperf3 -s -1 -p 5301 >/dev/null 2>&1 3>&- &
	local srv=$!
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$srv"
	listening "$rx" 5301 || { echo "iperf3 server did not start"; return 1; }
	local offer=(-u -l 1400 -b "$(awk -v r="$rate" 'BEGIN { printf "%d", r * 1.3 }')")
	[ "$rate" != tcp ] || offer=()
	sb timeout 30 ip netns exec "$tx" iperf3 -c "$dst" -p 5301 "${offer[@]}" -t 20 >/dev/null 2>&1 3>&- &
	local cli=$!
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$cli"
	# shellcheck disable=SC2016
	sb ip netns exec "$rx" bash -c '
		f=/sys/class/net/if-router/statistics/rx_bytes
		read -r b0 <"$f"
		for _ in $(seq 100); do read -r b <"$f"; [ $((b - b0)) -gt 100000 ] && break; sleep 0.1; done
		sleep 1
		read -r b <"$f"; t=${EPOCHREALTIME/./}; t0=$t
		echo "$b $t"
		for i in $(seq 10); do
			r=$((t0 + i * 300000 - ${EPOCHREALTIME/./}))
			[ "$r" -le 0 ] || { printf -v r "%d.%06d" $((r / 1000000)) $((r % 1000000)); sleep "$r"; }
			read -r b <"$f"; t=${EPOCHREALTIME/./}
			echo "$b $t"
		done' | awk 'NR > 1 { printf "%.3f\n", ($1 - b) * 8 / ($2 - t) } { b = $1; t = $2 }' | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.3f %.3f %.3f\n", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2, v[1], v[NR] }'
	end_tree "$cli" "$srv"
	wait "$cli" "$srv" 2>/dev/null || true
}

# rate_near LABEL up|down RATE_BPS WANT_MBITS [LOW_PCT]: link_rate's median
# slice within 10% of WANT (LOW_PCT% below it, when given), measured a second
# time when the first is off; each figure is reported, and two misses fail.
# The median holds while a stalled emulator starves a slice or two; what it
# does not survive is tbf's small bucket under a starved emulator: a tbf
# with npte's default burst (4 ms at the rate) loses every token its timer
# comes in late by more than that, and with the host loaded the median fell
# to 15.3..16.6 Mbit/s for a 20mbit tbf child (12.8 for a root), where netem's
# rate and cake, which catch up, gave 19.95..20.04 and a 64 KB burst 19.95.
rate_near() {
	local label=$1 med lo hi note='' low=${5:-10}
	for note in '' ', second measurement'; do
		# a command substitution, not < <(...): link_rate must have killed its
		# iperf3s before the next one starts (a late kill ended the next server)
		read -r med lo hi <<<"$(link_rate "$2" "$3")"
		say "$label: $med Mbit/s of frames, median of ten 0.3 s slices ($lo..$hi) (want $4 -$low%..+10%)$note"
		awk -v m="$med" -v w="$4" -v l="$low" 'BEGIN { exit !(m >= w * (1 - l / 100) && m <= w * 1.1) }' && return 0
	done
	echo "$label: $med Mbit/s, want $4"
	return 1
}

# qdiscs: the router's qdiscs as tc reports them (JSON, with details)
qdiscs() { "${1:-sb}" ip netns exec router tc -j -d qdisc show; }

# qraw [sb|sb2]: the router's qdiscs as the kernel holds them (vm/qdump:
# every byte of each TCA_OPTIONS, and netem's nanosecond delay and jitter,
# which `tc -j -d qdisc show` does not print: it shows the tick fields)
qraw() { "${1:-sb}" ip netns exec router perl "$TOP/vm/qdump"; }

# rootq: "HANDLE PACKETS DROPS QLEN" of the root qdisc on the router's if-server
rootq() {
	sb ip netns exec router tc -s -j qdisc show dev if-server |
		jq -r '.[] | select(.root) | "\(.handle) \(.packets) \(.drops) \(.qlen)"'
}

# pings COUNT INTERVAL [ARGS...]: ping's output for COUNT pings from the
# client to the server (ARGS: more ping options)
pings() { sb ip netns exec client ping -n -c "$1" -i "$2" -W 1 "${@:3}" 172.16.2.2; }

# early: from ping's output on stdin, how many replies came before the reply
# to an earlier request (each one a request that overtook the ones sent
# just before it)
early() {
	sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' | tac |
		awk 'NR == 1 || $1 < m { m = $1; next } { e++ } END { print e + 0 }'
}

# reorders N P GAP: the two-sided 99.99% interval "LO HI" of how many of N
# packets netem sends ahead of its queue under "reorder P gap GAP" (GAP 1 is
# what tc sends for a reorder without a gap). The kernel's netem_enqueue
# delays a packet while fewer than GAP-1 have been delayed since the last
# one sent ahead, and after that sends each ahead with probability P: the
# count's distribution, exactly, over (delayed since, count) as it goes.
reorders() {
	awk -v n="$1" -v p="$2" -v g="$3" -v t="$TAIL" 'BEGIN {
		f[0, 0] = 1
		for (i = 0; i < n; i++) {
			split("", h)
			for (key in f) {
				split(key, x, SUBSEP); c = x[1]; k = x[2]; v = f[key]
				if (c < g - 1) h[c + 1, k] += v
				else { h[0, k + 1] += v * p; h[c, k] += v * (1 - p) }
			}
			split("", f)
			for (key in h) if (h[key] > 1e-12) f[key] = h[key]
		}
		for (key in f) { split(key, x, SUBSEP); pk[x[2]] += f[key] }
		c = 0; for (k = 0; k <= n; k++) { c += pk[k]; cdf[k] = c }
		lo = 0; while (lo < n && cdf[lo] < t) lo++
		hi = 0; while (hi < n && 1 - cdf[hi] > t) hi++
		print lo, hi }'
}

# chain N P R: the two-sided 99.99% interval "LO HI" of how many of N packets
# a two-state loss chain loses, starting in its good state: from good it
# moves to bad (and loses the packet) with probability P, from bad back to
# good (the packet passes) with R. That is netem's "state P R" exactly, and
# its "gemodel P R 100% 0%" one packet later. The count's distribution,
# exactly, over (state, count) as it goes.
chain() {
	awk -v n="$1" -v p="$2" -v r="$3" -v t="$TAIL" 'BEGIN {
		g[0] = 1
		for (i = 0; i < n; i++) {
			for (k = 0; k <= i + 1; k++) {
				ng[k] = (g[k] + 0) * (1 - p) + (b[k] + 0) * r
				nb[k] = k ? ((g[k - 1] + 0) * p + (b[k - 1] + 0) * (1 - r)) : 0
			}
			for (k = 0; k <= i + 1; k++) { g[k] = ng[k]; b[k] = nb[k] }
		}
		c = 0; for (k = 0; k <= n; k++) { c += g[k] + b[k]; cdf[k] = c }
		lo = 0; while (lo < n && cdf[lo] < t) lo++
		hi = 0; while (hi < n && 1 - cdf[hi] > t) hi++
		print lo, hi }'
}

# rcvbuf_errors: datagrams the server namespace's UDP sockets dropped for a
# full receive buffer (its Udp RcvbufErrors)
rcvbuf_errors() {
	sb ip netns exec server awk '$1 == "Udp:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i }
		else { print $c; exit } }' /proc/net/snmp
}

# across OFFER CMD...: an iperf3 UDP flow of 1400-byte datagrams at OFFER
# bit/s from the client to the server for 4 s, with CMD run 0.5 s after the
# router's queue towards the server is seen holding packets (waited for: a
# loaded machine may start iperf3 late, and a replace among the flow's last
# datagrams would lose none that iperf3 can count). Sets BEFORE and AFTER (rootq just before CMD
# and once the flow is over), LOST and TOTAL (datagrams, by iperf3's sequence
# numbers: a packet taken out of a queue is lost for good, where TCP would
# send it again; less SOCKDROP, those the server's socket dropped when the
# emulator starved iperf3 for long enough to fill its receive buffer, which
# no qdisc is to blame for) and SLOWEST (Mbit/s, the least of the server's
# 0.5 s intervals, a trailing stub under 0.25 s left out).
across() {
	local load=$1 f=$BATS_TEST_TMPDIR/udp.json srv cli rc=0 e0 e1 lost
	shift
	sb timeout 30 ip netns exec server iperf3 -s -1 -p 5302 -J -i 0.5 >"$f" 2>/dev/null 3>&- &
	srv=$!
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$srv"
	listening server 5302 || { echo "iperf3 server did not start"; return 1; }
	e0=$(rcvbuf_errors)
	sb timeout 30 ip netns exec client iperf3 -c 172.16.2.2 -p 5302 -u -b "$load" -l 1400 -t 4 >/dev/null 2>&1 3>&- &
	cli=$!
	bg_note "$BATS_FILE_TMPDIR/iperf3.bg" "$cli"
	# shellcheck disable=SC2016
	sb ip netns exec router bash -c 'for _ in $(seq 200); do
		[[ $(tc -s qdisc show dev if-server) =~ backlog\ [0-9]+b\ [1-9] ]] && exit; sleep 0.02; done; exit 1' ||
		{ echo "no queue towards the server"; return 1; }
	sleep 0.5
	# shellcheck disable=SC2034 # BEFORE and AFTER are read by the .bats files
	BEFORE=$(rootq)
	"$@" || rc=$?
	wait "$cli" "$srv" || true
	# shellcheck disable=SC2034
	AFTER=$(rootq)
	e1=$(rcvbuf_errors)
	[ "$rc" = 0 ] || { echo "exit $rc: $*"; return 1; }
	# shellcheck disable=SC2034 # read by the .bats files
	read -r lost TOTAL SLOWEST < <(jq -r '[.end.sum.lost_packets, .end.sum.packets,
		([.intervals[].sum | select(.seconds >= 0.25) | .bits_per_second] | min / 1e6 * 100 | floor / 100)] | @tsv' "$f")
	# (a socket drop among the last datagrams is no gap iperf3 sees: never below 0)
	# shellcheck disable=SC2034
	SOCKDROP=$((e1 - e0)) LOST=$((lost > e1 - e0 ? lost - e1 + e0 : 0))
}
