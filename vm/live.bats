#!/usr/bin/env bats
# Live link emulation on a kernel with netem, tbf and cake (the VM lane runs
# this on Debian 12's own kernel; elsewhere it skips with the reason). Every
# lab profile is measured through the lab (ping for the round trip and loss,
# an iperf3 UDP flow for the rate of each direction), then each netem knob on
# its own, tbf and cake children, npte-netem rate and clear. The figures go
# to the TAP stream as comments.

load ../bats/sandbox
load live

setup() {
	live_skip
	sb npte-lab netem >/dev/null
}

# The unshaped round trip (median of 12 pings), measured once per file.
baseline() {
	if [ ! -s "$BATS_FILE_TMPDIR/baseline" ]; then
		rtts 12 0.05 | stats | cut -d' ' -f2 >"$BATS_FILE_TMPDIR/baseline"
	fi
	cat "$BATS_FILE_TMPDIR/baseline"
}

# field PROFILE DIR KEY: from `npte-lab netem --list` (read once per file),
# the value of KEY (delay, loss, rate, limit, cake, tbf) in direction DIR
# (down, up) of PROFILE.
field() {
	[ -s "$BATS_FILE_TMPDIR/profiles" ] || sb npte-lab netem --list >"$BATS_FILE_TMPDIR/profiles"
	awk -v p="$1" -v d="$2" -v k="$3" '
		/^[^ ]/ { cur = $1; next }
		cur == p && $1 == d {
			sub(/^ *(down|up) +/, ""); n = split($0, parts, /, /)
			for (i = 1; i <= n; i++) { w = parts[i]; key = w; sub(/ .*/, "", key)
				if (key == k) { sub(/^[^ ]+ /, "", w); print w } } }' "$BATS_FILE_TMPDIR/profiles"
}

# loss_p SPEC: the per-packet loss probability of a "random P%" loss, else 0
loss_p() { awk -v s="$1" 'BEGIN { sub(/^random /, "", s); print (s == "" ? 0 : s / 100) }'; }

@test "profiles: the lab lists at least the four built-in profiles" {
	run sb npte-lab netem --list
	[ "$status" -eq 0 ]
	[ "$(grep -c '^[^ ]' <<<"$output")" -ge 4 ]
}

# check_profile P: round trip, loss and both rates of profile P.
check_profile() {
	local p=$1 base dd ud want pd pu prt n sent lost lo hi st med
	base=$(baseline)
	sb npte-lab netem --profile "$p"
	dd=$(ms "$(field "$p" down delay)") ud=$(ms "$(field "$p" up delay)")
	want=$(awk -v a="$dd" -v b="$ud" -v c="$base" 'BEGIN { print a + b + c }')
	# round trip and loss from the same pings: a lost ping is a lost request or reply
	pd=$(loss_p "$(field "$p" down loss)") pu=$(loss_p "$(field "$p" up loss)")
	prt=$(awk -v a="$pd" -v b="$pu" 'BEGIN { print 1 - (1 - a) * (1 - b) }')
	sent=100
	st=$(rtts "$sent" 0.02 | stats)
	n=${st%% *} med=$(cut -d' ' -f2 <<<"$st")
	lost=$((sent - n))
	read -r lo hi < <(binom "$sent" "$prt")
	say "$p: median RTT $med ms of $n pings (want $want = $dd + $ud + baseline $base, +-10%, 3 ms floor); lost $lost of $sent (99.99% interval $lo..$hi for p=$prt)"
	near "$med" "$want" 10 3 || { echo "$p: median RTT $med ms, want $want"; return 1; }
	[ "$lost" -ge "$lo" ] && [ "$lost" -le "$hi" ] || { echo "$p: lost $lost of $sent, want $lo..$hi"; return 1; }
	local dir spec rate exp
	for dir in down up; do
		spec=$(field "$p" "$dir" rate)
		if [ -n "$spec" ]; then
			rate=$(bps "${spec%% *}")
			# frames the far end gets: the rate less netem's per-packet overhead and cells
			exp=$(awk -v r="$rate" -v f="$FRAME" -v w="$(wire_bytes "$FRAME" "$spec")" 'BEGIN { printf "%.3f", r * f / w / 1e6 }')
		else
			spec=$(field "$p" "$dir" cake)$(field "$p" "$dir" tbf)
			rate=$(bps "$spec")
			exp=$(awk -v r="$rate" 'BEGIN { printf "%.3f", r / 1e6 }')
		fi
		rate_near "$p: $dir ($spec)" "$dir" "$rate" "$exp" || return 1
	done
}

@test "profile 4g-bloated: round trip, loss and both rates as listed" {
	check_profile 4g-bloated
}

@test "profile 4g-managed: round trip, loss and both rates as listed" {
	check_profile 4g-managed
}

@test "profile adsl: round trip, loss and both rates as listed" {
	check_profile adsl
}

@test "profile geo-sat: round trip, loss and both rates as listed" {
	check_profile geo-sat
}

@test "profiles: every listed profile has a test above" {
	local p
	for p in $(sb npte-lab netem --list | grep '^[^ ]'); do
		grep -q "^@test \"profile $p:" "$BATS_TEST_FILENAME" || { echo "profile $p is not measured"; return 1; }
	done
}

# --- netem knobs, one at a time, on the router's egress towards the server
# (the client's requests); replies come back unshaped.

apply() { sb npte-netem apply router if-server "$@"; }

@test "delay: the median round trip is the delay plus the unshaped one" {
	local base st med
	base=$(baseline)
	apply --delay 40ms
	st=$(rtts 20 0.05 | stats) med=$(cut -d' ' -f2 <<<"$st")
	say "delay 40ms: median RTT $med ms (baseline $base)"
	near "$med" "$(awk -v b="$base" 'BEGIN { print 40 + b }')" 10 3
}

# spread NAME DELAY JITTER_MS SD_MS LO HI: 100 round trips through
# --delay DELAY. A stall of the emulator (TCG on a busy 2-core CI machine)
# makes a ping late, never early, and now and then one by 40 ms or more,
# which says nothing of netem's distribution: so the mean and the standard
# deviation are of all samples but the highest, every sample is at least LO
# ms and all but the highest at most HI ms (the delay +- jitter, with 5 ms
# above for the unshaped round trip and the emulator's timers). The mean is
# within 4 ms of the delay, the standard deviation within 30% of SD_MS (the
# distribution's; none checked when empty). Chance failures, from 10^6
# simulated runs of the kernel's tabledist with tc's normal.dist and
# pareto.dist, 0.1 ms rounding and the unshaped round trip: the mean 9e-5 for the normal 10 ms jitter (3 ms
# failed one run in 370), its standard deviation 3e-5 (25% of all samples:
# 4.5e-4 without a stall, 0.09 with two of up to 50 ms), none for the
# uniform; with the highest sample in, one stall of 25..50 ms made the
# uniform's standard deviation fail one run in ten.
spread() {
	local name=$1 base st n mean sd lo hi hi2 f=$BATS_TEST_TMPDIR/rtts
	base=$(baseline)
	apply --delay "$2"
	rtts 100 0.03 >"$f"
	st=$(stats <"$f")
	read -r n _ _ _ lo hi <<<"$st"
	hi2=$(sort -g "$f" | tail -n 2 | head -n 1)
	read -r _ _ mean sd _ _ < <(sort -g "$f" | head -n -1 | stats)
	say "jitter $name ($2): $n RTTs, all but the highest: mean $mean ms, sd $sd (want ${4:-any} +-30%); min $lo, max $hi, next $hi2 (want within $5..$6)"
	[ "$n" -ge 95 ] || { echo "only $n replies"; return 1; }
	near "$mean" "$(awk -v b="$base" -v d="$(ms "${2%% *}")" 'BEGIN { print d + b }')" 0 4 || { echo "mean $mean"; return 1; }
	[ -z "$4" ] || near "$sd" "$4" 30 0 || { echo "sd $sd, want $4"; return 1; }
	SPREAD=$f
	awk -v a="$lo" -v b="$hi2" -v l="$5" -v h="$6" 'BEGIN { exit !(a >= l && b <= h) }' || { echo "range $lo..$hi2 (the highest: $hi)"; return 1; }
}

# skew LO HI: the last spread's (p95 - median) / (median - min) is in LO..HI.
# Neither end moves with a stall: none comes early, and the 95th percentile
# holds unless five of 100 pings stall. In 10^6 simulated runs of netem's
# tables it was outside 0.22..1.7 for the normal (median 0.63) 3e-6 of the
# time, 2.3e-5 with two stalls of up to 50 ms, and below 1.7 for the pareto
# (median 5.2) 1.9e-5; with the maximum in place of the 95th percentile one
# stall of up to 40 ms put the normal outside 0.4..2.5 one run in 60.
skew() {
	local r
	r=$(sort -g "$SPREAD" | awk '{ v[NR] = $1 } END {
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f", (v[int(0.95 * (NR - 1) + 0.5) + 1] - med) / (med - v[1]) }')
	say "  (p95 - median) / (median - min): $r (want $1..$2)"
	awk -v r="$r" -v l="$1" -v h="$2" 'BEGIN { exit !(r >= l && r <= h) }'
}

@test "jitter: uniform by default (sd = J/sqrt(3), none below -J, all but one within +J)" {
	spread uniform '60ms 12ms' 12 6.928 47 78
}

@test "jitter: distribution normal (sd = J, symmetric) and pareto (skewed: a long tail above the delay)" {
	spread normal '60ms 10ms distribution normal' 10 10 20 100
	skew 0.22 1.7 || { echo "normal: not symmetric"; return 1; }
	spread pareto '60ms 10ms distribution pareto' 10 '' 40 200
	skew 1.7 1000 || { echo "pareto: no long upper tail"; return 1; }
}

# lossy N INTERVAL: the icmp_seq numbers (1..N) of the replies to N pings
lossy() {
	sb ip netns exec client ping -n -c "$1" -i "$2" -W 1 172.16.2.2 | sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p'
}

# runs N: "LOST BURSTS" from the received sequence numbers on stdin
runs() {
	awk -v n="$1" '{ got[$1] = 1 } END {
		for (i = 1; i <= n; i++) if (!got[i]) { lost++; if (i == 1 || got[i - 1]) b++ }
		print lost + 0, b + 0 }'
}

@test "loss random 10%: losses within the 99.99% binomial interval of 400 pings, not in bursts" {
	apply --loss 'random 10%'
	local lost bursts lo hi
	read -r lost bursts < <(lossy 400 0.01 | runs 400)
	read -r lo hi < <(binom 400 0.1)
	say "loss random 10%: $lost of 400 lost in $bursts bursts (99.99% interval $lo..$hi)"
	[ "$lost" -ge "$lo" ] && [ "$lost" -le "$hi" ]
	# independent losses: mean burst 1/(1-p) = 1.11; 2*10^7 simulated runs
	# reached 1.5 in 6.3e-6 of them (1.4: 1.9e-4, twice a count's chance)
	awk -v l="$lost" -v b="$bursts" 'BEGIN { exit !(l / b < 1.5) }' || { echo "mean burst $lost/$bursts"; return 1; }
}

# markov NAME LOSS: 1000 pings through --loss LOSS, a two-state chain that
# loses every packet in its bad state and enters it with p = 5%, leaves it
# with r = 50%: stationary loss p/(p+r) = 9.09%, mean burst 1/r = 2. The
# count lost is judged against the chain's exact 99.99% interval (chain), the
# mean burst against 1.3..3.5: 1000 pings give about 45 bursts, and a
# simulation of 10^6 runs of the chain put 2.6e-5 of them outside it (with
# 400 pings and 1.4..3 it was 2.5%: one CI run in twenty failed by chance),
# while independent losses at the same rate (mean burst 1.1) never reach 1.3.
markov() {
	apply --loss "$2"
	local lost bursts lo hi
	read -r lost bursts < <(lossy 1000 0.005 | runs 1000)
	read -r lo hi < <(chain 1000 0.05 0.5)
	say "loss $1 ($2): $lost of 1000 lost in $bursts bursts (want $lo..$hi, bursts of 2 on average: 1.3..3.5)"
	[ "$lost" -ge "$lo" ] && [ "$lost" -le "$hi" ] || { echo "$1: lost $lost"; return 1; }
	awk -v l="$lost" -v b="$bursts" 'BEGIN { exit !(b > 0 && l / b >= 1.3 && l / b <= 3.5) }' ||
		{ echo "$1: mean burst $lost/$bursts"; return 1; }
}

@test "loss models: state and gemodel give the chain's loss rate and bursts" {
	markov state 'state 5% 50%'
	markov gemodel 'gemodel 5% 50% 100% 0%'
}

@test "rate with packet overhead: the frames through a 20mbit netem rate with 400 bytes of overhead" {
	apply --delay 1ms --rate '20mbit 400'
	# 1442-byte frames charged 1842 bytes each: without the overhead it would be 20
	rate_near "rate 20mbit 400" up 20000000 "$(awk -v f="$FRAME" 'BEGIN { printf "%.3f", 20 * f / (f + 400) }')"
}

@test "slot: a lone packet waits for the next slot (slot 30ms: every round trip ~30 ms)" {
	local base st med
	base=$(baseline)
	apply --slot '30ms 30ms'
	st=$(rtts 12 0.1 | stats) med=$(cut -d' ' -f2 <<<"$st")
	say "slot 30ms: median RTT $med ms (stats: $st)"
	near "$med" "$(awk -v b="$base" 'BEGIN { print 30 + b }')" 10 3
}

@test "limit: a burst of 50 pings into a 10-packet netem queue keeps 10; limit 1000 keeps all" {
	local got
	# a delay of 1 s: the burst is all in the queue before the first leaves it,
	# even when the emulator stalls ping for a few hundred ms while it sends
	apply --delay 1s --limit 10
	got=$(sb ip netns exec client ping -n -c 50 -l 50 -i 0.2 -W 3 -q 172.16.2.2 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	say "limit 10: $got of a 50-ping burst came back"
	[ "$got" -ge 8 ] && [ "$got" -le 10 ] || { echo "limit 10: $got"; return 1; }
	apply --delay 1s --limit 1000
	got=$(sb ip netns exec client ping -n -c 50 -l 50 -i 0.2 -W 3 -q 172.16.2.2 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	say "limit 1000: $got of 50"
	[ "$got" -eq 50 ]
}

@test "children: a tbf and a cake child under netem cap the rate; npte-netem rate alone too" {
	# A tbf with its default 4 ms bucket cannot go above its rate, but loses a
	# quarter of it while the emulator's timers run late (vm/live.bash,
	# rate_near): at least 60% of it, which a rate in the wrong unit (bytes
	# for bits, kbit for mbit) does not reach, and no more than 10% above,
	# which a child that does not shape exceeds.
	apply --delay 5ms --child tbf --child-rate 20mbit
	rate_near "netem + tbf child 20mbit" up 20000000 20 40
	apply --delay 5ms --child cake --child-rate 20mbit
	rate_near "netem + cake child 20mbit" up 20000000 20
	sb npte-netem rate router if-server 15mbit
	rate_near "npte-netem rate 15mbit" up 15000000 15 40
	# with a 64 KB bucket (35 ms at 15 Mbit/s) the timers' lateness costs nothing: within 10%
	sb npte-netem rate router if-server 15mbit --burst 64kb
	rate_near "npte-netem rate 15mbit --burst 64kb" up 15000000 15
}

@test "clear: the unshaped round trip and rate come back after a profile" {
	local base st med tput
	base=$(baseline)
	sb npte-lab netem --profile 4g-bloated
	sb npte-netem clear router if-server
	sb npte-netem clear router if-client
	st=$(rtts 12 0.05 | stats) med=$(cut -d' ' -f2 <<<"$st")
	tput=$(link_rate up tcp)
	say "after clear: median RTT $med ms (baseline $base), TCP $tput Mbit/s of frames"
	near "$med" "$base" 10 3 || { echo "RTT $med"; return 1; }
	# the profile's 10 Mbit/s uplink is gone: at least 10x that
	awk -v t="$tput" 'BEGIN { exit !(t > 100) }'
	[ -z "$(sb ip netns exec router tc qdisc show | grep 'netem\|tbf\|cake')" ]
}

@test "idempotent: the same profile twice leaves the same qdiscs (the root handle alternates 1:/2:, three times is byte-equal)" {
	local p one two three
	for p in $(sb npte-lab netem --list | grep '^[^ ]'); do
		sb npte-lab netem --profile "$p"
		one=$(qdiscs)
		sb npte-lab netem --profile "$p"
		two=$(qdiscs)
		sb npte-lab netem --profile "$p"
		three=$(qdiscs)
		[ "$one" = "$three" ] || { echo "$p: first and third differ"; diff <(echo "$one") <(echo "$three"); return 1; }
		[ "$(sed 's/"handle":"[12]:"/"handle":"H:"/g; s/"parent":"[12]:"/"parent":"H:"/g; s/"handle":"[12]0:"/"handle":"H0:"/g' <<<"$one")" = \
		  "$(sed 's/"handle":"[12]:"/"handle":"H:"/g; s/"parent":"[12]:"/"parent":"H:"/g; s/"handle":"[12]0:"/"handle":"H0:"/g' <<<"$two")" ] ||
			{ echo "$p: first and second differ beyond the handle"; diff <(echo "$one") <(echo "$two"); return 1; }
		[ "$one" != "$two" ] || { echo "$p: expected the handle to alternate"; return 1; }
	done
}

# --- tc-netem's words a tc user brings (issue 15): duplicate, reorder,
# corrupt; an in-place change; tc's tick rounding. Each on the router's
# egress towards the server (the requests), as above.

@test "duplicate 20%: DUP! replies within the 99.99% binomial interval of 300 pings; none once a change takes it out" {
	local dups lo hi
	apply duplicate 20%
	dups=$(pings 300 0.005 | grep -c 'DUP!' || true)
	read -r lo hi < <(binom 300 0.2)
	say "duplicate 20%: $dups DUP! in 300 pings (99.99% interval $lo..$hi)"
	[ "$dups" -ge "$lo" ] && [ "$dups" -le "$hi" ] || { echo "duplicate 20%: $dups DUP!"; return 1; }
	# in place: the kernel refuses a second netem beside a duplicating one
	sb npte-netem change router if-server delay 1ms
	dups=$(pings 100 0.005 | grep -c 'DUP!' || true)
	say "changed to delay 1ms: $dups DUP! in 100 pings (want 0)"
	[ "$dups" -eq 0 ]
}

# ahead LABEL N WORDS...: N pings 5 ms apart through netem WORDS (a delay of
# 100 ms: each request sent ahead overtakes the dozen or so still delayed);
# sets AHEAD (replies before the reply to an earlier request) and REQUEUES
# (netem's counter: one per packet it sent ahead, pings and whatever else
# crossed the qdisc).
ahead() {
	local label=$1 n=$2 out
	shift 2
	apply "$@"
	out=$(pings "$n" 0.005)
	AHEAD=$(early <<<"$out")
	REQUEUES=$(sb ip netns exec router tc -s -j qdisc show dev if-server | jq '.[] | select(.root) | .requeues')
	say "$label: $AHEAD of $(grep -c icmp_seq <<<"$out") replies overtook an earlier one, netem requeues $REQUEUES ($*)"
}

@test "reorder: 25% sends a quarter of the requests ahead, with gap 5 one in eight; none without reorder" {
	local lo hi
	# Without reorder netem sends nothing ahead (its counter stays 0). A reply
	# may still overtake another when a vCPU stalls while the two are on
	# different CPUs' backlogs: one such is the emulator's, more (a jitter
	# put in by mistake reorders dozens) are not.
	ahead 'no reorder' 100 delay 100ms
	[ "$REQUEUES" -eq 0 ] && [ "$AHEAD" -le 1 ] || { echo "delay alone: $AHEAD overtook, requeues $REQUEUES"; return 1; }
	# the first request has nothing to overtake: one fewer at most
	read -r lo hi < <(reorders 300 0.25 1)
	ahead "reorder 25% (99.99% interval $((lo - 1))..$hi)" 300 delay 100ms reorder 25%
	[ "$AHEAD" -ge $((lo - 1)) ] && [ "$AHEAD" -le "$hi" ] || { echo "reorder 25%: $AHEAD"; return 1; }
	# gap 5: four delayed, then each ahead with p = 25%: 1 in 4 + 4 = 8
	read -r lo hi < <(reorders 300 0.25 5)
	ahead "reorder 25% gap 5 (99.99% interval $lo..$hi)" 300 delay 100ms reorder 25% gap 5
	[ "$AHEAD" -ge "$lo" ] && [ "$AHEAD" -le "$hi" ] || { echo "reorder 25% gap 5: $AHEAD"; return 1; }
}

@test "corrupt 30%: corrupted requests are lost, within the 99.99% binomial interval of 300 pings" {
	local got lo hi p
	apply corrupt 30%
	got=$(pings 300 0.005 -s 1000 -q | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	# netem flips one random bit of the 1042-byte frame: only the 48 bits of
	# the source MAC address and the group bit of the destination pass every
	# check (the Ethernet destination, the IP header and ICMP checksums)
	p=$(awk 'BEGIN { printf "%.4f", 0.3 * (1 - 49 / (1042 * 8)) }')
	read -r lo hi < <(binom 300 "$p")
	say "corrupt 30%: $((300 - got)) of 300 pings lost (99.99% interval $lo..$hi for p=$p)"
	[ $((300 - got)) -ge "$lo" ] && [ $((300 - got)) -le "$hi" ]
}

# same_root: BEFORE and AFTER show the same root qdisc (its handle), which
# kept counting (packets went up), dropped nothing more, and had a queue
# when CMD ran
same_root() {
	local h0 p0 d0 q0 h1 p1 d1
	read -r h0 p0 d0 q0 <<<"$BEFORE"
	read -r h1 p1 d1 _ <<<"$AFTER"
	[ "$h0" = "$h1" ] || { echo "handle $h0 became $h1"; return 1; }
	[ "$p1" -gt "$p0" ] || { echo "packets $p0 then $p1: a new qdisc"; return 1; }
	[ "$d1" = "$d0" ] || { echo "drops $d0 then $d1"; return 1; }
	[ "$q0" -gt 0 ] || { echo "the queue was empty when it changed"; return 1; }
}

@test "change netem: same handle, the new delay, nothing queued is lost across a rate change (a replace loses the queue)" {
	local base st med
	base=$(baseline)
	apply delay 50ms rate 20mbit limit 10000
	st=$(rtts 10 0.02 | stats) med=$(cut -d' ' -f2 <<<"$st")
	say "delay 50ms rate 20mbit: median RTT $med ms (baseline $base)"
	near "$med" "$(awk -v b="$base" 'BEGIN { print 50 + b }')" 10 3 || { echo "RTT $med"; return 1; }
	across 8000000 sb npte-netem change router if-server delay 80ms rate 10mbit limit 10000
	say "change to delay 80ms rate 10mbit under 8 Mbit/s of UDP: root (handle packets drops qlen) $BEFORE -> $AFTER; lost $LOST of $TOTAL datagrams (and $SOCKDROP at the receiver's full socket), slowest 0.5 s $SLOWEST Mbit/s"
	same_root || return 1
	[ "$LOST" -eq 0 ] || { echo "change lost $LOST datagrams"; return 1; }
	awk -v s="$SLOWEST" 'BEGIN { exit !(s >= 4) }' || { echo "a 0.5 s interval at $SLOWEST Mbit/s"; return 1; }
	st=$(rtts 10 0.02 | stats) med=$(cut -d' ' -f2 <<<"$st")
	say "after the change: median RTT $med ms"
	near "$med" "$(awk -v b="$base" 'BEGIN { print 80 + b }')" 10 3 || { echo "RTT $med after the change"; return 1; }
	# the control: the same step as a replace (apply), which the measurement must see
	apply delay 50ms rate 20mbit limit 10000
	across 8000000 apply delay 80ms rate 10mbit limit 10000
	say "the same step by apply (a replace): root $BEFORE -> $AFTER; lost $LOST of $TOTAL datagrams (and $SOCKDROP at the receiver's full socket), slowest 0.5 s $SLOWEST Mbit/s"
	[ "${BEFORE%% *}" != "${AFTER%% *}" ] || { echo "apply kept the handle"; return 1; }
	[ "$LOST" -gt 0 ] || { echo "the replace lost nothing: the measurement cannot tell"; return 1; }
}

@test "change tbf: same handle, a 10 -> 20 Mbit/s step drains the backlog without a loss (a replace loses it); change refuses the other kind" {
	local before
	sb npte-netem tbf router if-server rate 10mbit burst 32kb latency 2s
	# netem words for a tbf root: exit 2, nothing changed
	before=$(qraw)
	run sb npte-netem change router if-server delay 10ms
	[ "$status" -eq 2 ] || { echo "netem words on a tbf root: exit $status: $output"; return 1; }
	[ "$(qraw)" = "$before" ] || { echo "the refused change changed the qdisc"; return 1; }
	# 12 Mbit/s into 10: a backlog of ~0.4 MB when the rate goes up
	across 12000000 sb npte-netem change router if-server rate 20mbit burst 32kb latency 2s
	say "tbf change 10 -> 20mbit under 12 Mbit/s of UDP: root (handle packets drops qlen) $BEFORE -> $AFTER; lost $LOST of $TOTAL datagrams (and $SOCKDROP at the receiver's full socket), slowest 0.5 s $SLOWEST Mbit/s"
	same_root || return 1
	[ "$LOST" -eq 0 ] || { echo "change lost $LOST datagrams"; return 1; }
	awk -v s="$SLOWEST" 'BEGIN { exit !(s >= 5) }' || { echo "a 0.5 s interval at $SLOWEST Mbit/s"; return 1; }
	sb npte-netem tbf router if-server rate 10mbit burst 32kb latency 2s
	across 12000000 sb npte-netem tbf router if-server rate 20mbit burst 32kb latency 2s
	say "the same step by npte-netem tbf (a replace): root $BEFORE -> $AFTER; lost $LOST of $TOTAL datagrams (and $SOCKDROP at the receiver's full socket)"
	[ "$LOST" -gt 0 ] || { echo "the replace lost nothing: the measurement cannot tell"; return 1; }
	# and tbf words for a netem root
	apply delay 10ms
	before=$(qraw)
	run sb npte-netem change router if-server rate 20mbit burst 32kb latency 2s
	[ "$status" -eq 2 ] || { echo "tbf words on a netem root: exit $status: $output"; return 1; }
	[ "$(qraw)" = "$before" ]
}

@test "tick rounding: apply delay 1ms 500us leaves the kernel tc's 499968 ns jitter, with a distribution too" {
	local words npte tc
	for words in '1ms 500us' '1ms 500us distribution paretonormal'; do
		# shellcheck disable=SC2086 # the words
		apply delay $words
		npte=$(qraw | grep '^if-server ' | cut -d' ' -f3-)
		sb ip netns exec router tc qdisc del dev if-server root
		# shellcheck disable=SC2086
		sb ip netns exec router tc qdisc add dev if-server root netem delay $words
		tc=$(qraw | grep '^if-server ' | cut -d' ' -f3-)
		say "delay $words: npte ${npte%% opts=*}; tc ${tc%% opts=*}"
		[ "$npte" = "$tc" ] || { echo "npte: $npte"; echo "tc:   $tc"; return 1; }
		grep -q ' latency64=1000000 jitter64=499968 ' <<<"$tc" || { echo "tc: $tc"; return 1; }
	done
}

# rootdelay DEV: the root netem's delay on the router's DEV, in ms, as tc prints it
rootdelay() {
	sb ip netns exec router tc -j qdisc show dev "$1" | jq -r '.[] | select(.root) | .options.delay.delay * 1000 | round'
}

@test "lab netem --down/--up: each direction its own words on its own interface, the other left as it is; --show reads them back" {
	local base st med show
	base=$(baseline)
	sb npte-lab netem --down 'delay 30ms' --up 'delay 10ms'
	st=$(rtts 10 0.02 | stats) med=$(cut -d' ' -f2 <<<"$st")
	say "--down 'delay 30ms' --up 'delay 10ms': if-client $(rootdelay if-client) ms, if-server $(rootdelay if-server) ms, median RTT $med ms (baseline $base)"
	[ "$(rootdelay if-client)" = 30 ] && [ "$(rootdelay if-server)" = 10 ] || { echo "directions swapped or lost"; return 1; }
	near "$med" "$(awk -v b="$base" 'BEGIN { print 40 + b }')" 10 3 || { echo "RTT $med"; return 1; }
	sb npte-lab netem --up 'delay 1ms 500us'
	st=$(rtts 10 0.02 | stats) med=$(cut -d' ' -f2 <<<"$st")
	show=$(sb npte-lab netem --show --json)
	say "then --up 'delay 1ms 500us': median RTT $med ms; --show: $(jq -c '[.down, .up | {dev, words: [.qdiscs[].words]}]' <<<"$show")"
	[ "$(rootdelay if-client)" = 30 ] || { echo "--up alone changed the downlink"; return 1; }
	near "$med" "$(awk -v b="$base" 'BEGIN { print 31 + b }')" 10 3 || { echo "RTT $med"; return 1; }
	[ "$(jq -r .down.dev <<<"$show") $(jq -r .up.dev <<<"$show")" = "if-client if-server" ] || return 1
	jq -r '.down.qdiscs[].words' <<<"$show" | grep -qw 30ms || { echo "--show lost the downlink's 30ms"; return 1; }
	# the jitter as the kernel holds it (vm/qdump: 499968 ns)
	jq -r '.up.qdiscs[].words' <<<"$show" | grep -q '499\.968us' || { echo "--show: not the kernel's 499.968us"; return 1; }
	qraw | grep -q '^if-server .* jitter64=499968 '
}

@test "apply replaces a netem root by a duplicating netem and back, as tc's replace does" {
	local tc
	# tc: a replace without a handle changes the root netem in place
	sb ip netns exec router tc qdisc add dev if-server root netem delay 1ms
	tc=$(sb ip netns exec router tc qdisc replace dev if-server root netem delay 1ms duplicate 10% 2>&1 &&
		sb ip netns exec router tc qdisc replace dev if-server root netem delay 1ms 2>&1 && echo ok)
	say "tc qdisc replace ... netem delay 1ms duplicate 10%, then without: $tc"
	sb npte-lab netem
	apply delay 1ms
	run apply delay 1ms duplicate 10%
	say "npte-netem apply delay 1ms, then delay 1ms duplicate 10%: exit $status $output"
	[ "$status" -eq 0 ] || return 1
	run apply delay 1ms
	say "then delay 1ms again: exit $status $output"
	[ "$status" -eq 0 ]
}

@test "doctor: on a kernel with netem and cake, --require names nothing missing (the host's test gives 69)" {
	run sb npte-doctor --json --require netns,veth,tbf,netem,cake,ipv6,ping
	say "npte-doctor --require ...: exit $status, features $(jq -c .features <<<"$output")"
	jq -e '.missing == [] and .kernel == "probed" and .features.netem and .features.cake and .features.ping' <<<"$output"
}

@test "npte-netem show: a netem root and its tbf child as tc words; the root's words given back to apply leave the same netem (vm/qdump equal)" {
	local words before show
	sb npte-netem apply router if-server delay 20ms 5ms 25% loss 1% 10% rate 20mbit limit 500 --child tbf --child-rate 30mbit
	show=$(sb npte-netem show router if-server)
	say "npte-netem show: $(tr '\n' '|' <<<"$show")"
	[ "$(sed -n 1p <<<"$show")" = "router if-server:" ] || { echo "$show"; return 1; }
	sed -n 2p <<<"$show" | grep -q '^  root  [12]: netem .*delay 20ms 5ms' || { echo "$show"; return 1; }
	sed -n 3p <<<"$show" | grep -q '^  child [12]0: tbf rate 30mbit ' || { echo "$show"; return 1; }
	[ "$(sb npte-netem show --json router if-server | jq -r '.qdiscs | map(.kind) | join(" ")')" = "netem tbf" ]
	words=$(sed -n 's/^  root  [12]: netem //p' <<<"$show")
	# the handle (field 2) alternates 1:/2:; the options are the netem's own
	before=$(qraw | awk '$1 == "if-server" && $4 == "netem" { $2 = ""; print }')
	[ -n "$before" ] || { qraw; return 1; }
	sb npte-netem clear router if-server
	# shellcheck disable=SC2086 # the words, one argument each
	sb npte-netem apply router if-server $words
	[ "$(qraw | awk '$1 == "if-server" && $4 == "netem" { $2 = ""; print }')" = "$before" ] ||
		{ echo "before: $before"; qraw; return 1; }
}
