#!/bin/bash
# make bench: npte against the ip/tc script its dry-run prints, against the
# kernel floor (bench/floor.c), at scale, in parallel, and per binary. Runs
# inside tests/sandbox (its own /run and network namespace), as root.
# Writes bench/results.md and bench/results.png; raw samples in build/bench.
#
# Environment: ROUNDS (pairs per comparison, default 11), SCALE (the N list,
# default "10 100 1000"). BENCH=netns: only the namespace create/destroy rows
# against ip -batch (section 3 and 4), ROUNDS rounds at each N of SCALE, the
# table printed and kept in build/bench/netns.md; results.md is left alone.
# e.g. BENCH=netns SCALE="100 1000" ROUNDS=3 make bench (a few minutes).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bin
floor=$top/build/bench/floor
raw=$top/build/bench
ROUNDS=${ROUNDS:-11}
SCALE=${SCALE:-10 100 1000}
export PATH="$bin:$PATH"
mkdir -p "$raw"
cd "$raw"

# us CMD...: run CMD (quietly) and print the wall time in microseconds.
us() {
	local s=${EPOCHREALTIME/./} e
	"$@" >/dev/null
	e=${EPOCHREALTIME/./}
	echo $((e - s))
}

per() { local v=${R[$1]}; echo $((v / $2)); } # per KEY N: R[KEY] / N
msper() { ms "$(per "$1" "$2")"; }
# median: whole microseconds (an even count halves a sum), per does integer sums
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%d\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# verdict A B LIMIT: "<= LIMIT PASS" when A / B is within LIMIT, else FAIL
verdict() { awk -v a="$1" -v b="$2" -v l="$3" 'BEGIN { printf "<= %s %s", l, (a / b <= l) ? "PASS" : "FAIL" }'; }
names() { local p=$1 n=$2 i; for ((i = 0; i < n; i++)); do printf '%s%d ' "$p" "$i"; done; }

declare -A R # results, by key

note() { printf '  %-44s %s\n' "$1" "$2" >&2; }

# --- 1 and 2: npte against its own dry-run script under dash ------------------

versus_script() { # KEY "create args" "destroy args" (of BIN)
	local key=$1 b=$2 c=$3 d=$4 i
	# the scripts are what a user would paste: rendered once, from a live state
	# shellcheck disable=SC2086
	"$b" $c -n >"$key-create.sh"
	# shellcheck disable=SC2086
	"$b" $c >/dev/null
	# shellcheck disable=SC2086
	"$b" $d -n >"$key-destroy.sh"
	# shellcheck disable=SC2086
	"$b" $d >/dev/null
	: >"$key.npte"
	: >"$key.script"
	for ((i = 0; i < ROUNDS; i++)); do
		# shellcheck disable=SC2086
		echo $(($(us "$b" $c) + $(us "$b" $d))) >>"$key.npte"
		echo $(($(us dash "$key-create.sh") + $(us dash "$key-destroy.sh"))) >>"$key.script"
	done
	R[$key.npte]=$(median <"$key.npte")
	R[$key.script]=$(median <"$key.script")
	note "$key: npte / script" "$(ms "${R[$key.npte]}") / $(ms "${R[$key.script]}")"
}

# --- 3 and 4: batch create against the floor, and scale ------------------------

scale_at() { # N ROUNDS
	local n=$1 r=$2 i
	local ns
	ns=$(names n "$n")
	local keys="create list destroy floor_create floor_destroy floor_sysctl ipb_create ipb_destroy"
	for k in $keys; do : >"scale-$n.$k"; done
	# the targets' yardstick: what a user would type instead, one ip -batch each way
	for i in $ns; do echo "netns add $i"; done >"scale-$n.add.batch"
	for i in $ns; do echo "netns del $i"; done >"scale-$n.del.batch"
	for ((i = 0; i < r; i++)); do
		# shellcheck disable=SC2086
		us npte-netns create $ns >>"scale-$n.create"
		us npte-netns list >>"scale-$n.list"
		# shellcheck disable=SC2086
		us npte-netns destroy $ns >>"scale-$n.destroy"
		us "$floor" create f "$n" >>"scale-$n.floor_create"
		us "$floor" destroy f "$n" >>"scale-$n.floor_destroy"
		us "$floor" create-sysctl f "$n" >>"scale-$n.floor_sysctl"
		"$floor" destroy f "$n"
		us ip -batch "scale-$n.add.batch" >>"scale-$n.ipb_create"
		us ip -batch "scale-$n.del.batch" >>"scale-$n.ipb_destroy"
	done
	for k in $keys; do
		R[scale.$n.$k]=$(median <"scale-$n.$k")
	done
	note "N=$n create per ns: npte / floor / floor+sysctls" \
		"$(msper "scale.$n.create" "$n") / $(msper "scale.$n.floor_create" "$n") / $(msper "scale.$n.floor_sysctl" "$n")"
	note "N=$n per ns: create npte / ip -batch" "$(msper "scale.$n.create" "$n") / $(msper "scale.$n.ipb_create" "$n")"
	note "N=$n per ns: destroy npte / ip -batch" "$(msper "scale.$n.destroy" "$n") / $(msper "scale.$n.ipb_destroy" "$n")"
}

# ipb_rows N: the issue 24 targets, npte against ip -batch, as table rows
ipb_rows() {
	local n=$1
	echo "| create per namespace, N = $n, one call, vs ip -batch of netns add lines | $(msper "scale.$n.create" "$n") | $(msper "scale.$n.ipb_create" "$n") | $(ratio "${R[scale.$n.create]}" "${R[scale.$n.ipb_create]}") | $(verdict "${R[scale.$n.create]}" "${R[scale.$n.ipb_create]}" 1.5) |"
	echo "| destroy per namespace, N = $n, one call, vs ip -batch of netns del lines | $(msper "scale.$n.destroy" "$n") | $(msper "scale.$n.ipb_destroy" "$n") | $(ratio "${R[scale.$n.destroy]}" "${R[scale.$n.ipb_destroy]}") | $(verdict "${R[scale.$n.destroy]}" "${R[scale.$n.ipb_destroy]}" 2) |"
}

# BENCH=netns: these rows alone, quick enough to run after each change
if [ "${BENCH:-}" = netns ]; then
	for n in $SCALE; do scale_at "$n" "$ROUNDS"; done
	{
		echo "| figure | npte | ip -batch | ratio | target |"
		echo "| --- | --- | --- | --- | --- |"
		for n in $SCALE; do ipb_rows "$n"; done
	} | tee "$raw/netns.md"
	exit 0
fi

# --- 5: parallel workers ---------------------------------------------------------

worker() { # NAME ITERATIONS
	local i
	for ((i = 0; i < $2; i++)); do
		npte-netns create --wait 60 "$1" >/dev/null
		npte-netns destroy --wait 60 "$1" >/dev/null
	done
}

throughput() { # WORKERS ITERATIONS -> operations per second
	local w=$1 it=$2 s e j
	s=${EPOCHREALTIME/./}
	for ((j = 0; j < w; j++)); do worker "w$j" "$it" & done
	wait
	e=${EPOCHREALTIME/./}
	awk -v ops=$((w * it * 2)) -v us=$((e - s)) 'BEGIN { printf "%.0f", ops / (us / 1e6) }'
}

# --- 6: per binary -----------------------------------------------------------

per_binary() {
	npte-lab create --prefix p >/dev/null
	local b cmd rss start i
	# what exec costs here at all: the floor under every start-up figure
	: >start.true
	for ((i = 0; i < 31; i++)); do us /bin/true >>start.true; done
	R[start.true]=$(median <start.true)
	while IFS='|' read -r b cmd; do
		# shellcheck disable=SC2086 # cmd is several words
		/usr/bin/time -f '%M' -o rss.tmp "$b" $cmd >/dev/null 2>&1 || true # the doctor exits 1 on warnings-free FAILs here
		rss=$(tail -1 rss.tmp)
		: >"start.$b"
		for ((i = 0; i < 31; i++)); do us "$b" --version >>"start.$b"; done
		start=$(median <"start.$b")
		R[bin.$b]="$(stat -c %s "$bin/$b") $rss $start"
		note "$b: size, peak RSS, start-up" "$(stat -c %s "$bin/$b") B, $rss KiB, $start us"
	done <<-'EOF'
		npte-netns|create pb1
		npte-veth|add pb1 pclient
		npte-addr|add pb1 if-pclient 10.1.0.1/24
		npte-route|add pb1 10.2.0.0/16 10.1.0.2
		npte-netem|rate prouter if-pserver 20mbit
		npte-run|pclient true
		npte-lock|status
		npte-lab|status --prefix p
		npte-doctor|
	EOF
}

echo "bench: $ROUNDS rounds per comparison, scale $SCALE" >&2
versus_script lab npte-lab create destroy
versus_script netns npte-netns "create b0" "destroy b0"
for n in $SCALE; do scale_at "$n" "$([ "$n" -ge 1000 ] && echo 3 || echo 5)"; done
R[tp.1]=$(throughput 1 40)
R[tp.8]=$(throughput 8 5)
note "throughput ops/s: 1 worker / 8 workers" "${R[tp.1]} / ${R[tp.8]}"
per_binary

# --- 7: play lateness ------------------------------------------------------------

# play_late SECONDS: a schedule changing a tbf every 10 ms for SECONDS on the
# lab's router (tbf: the host kernel has no netem), played once: the player's
# own --json report of how late each change was.
play_late() {
	local secs=$1 i f=$raw/play.sched
	{
		for ((i = 0; i < secs * 100; i++)); do
			printf '%d0ms rate %dmbit burst 20k latency 20ms\n' "$i" $((i % 2 ? 20 : 5))
		done
		printf '%ds end\n' "$secs"
	} >"$f"
	npte-lab create >/dev/null
	npte-netem play --json router if-client "$f" >"$raw/play.json"
	npte-lab destroy >/dev/null
	jq -r '"\(.changes) \(.late_us.p50) \(.late_us.p99) \(.late_us.max)"' "$raw/play.json"
}

R[play]=$(play_late "${PLAY_SECONDS:-30}")
note "play, 10 ms steps: changes p50 p99 max (us)" "${R[play]}"

# --- results ---------------------------------------------------------------------

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
first=${SCALE%% *}
last=${SCALE##* }
{
	echo "# npte benchmarks"
	echo
	echo "Measured $(date -u +%Y-%m-%d) by \`make bench\` on: $cpu, $(nproc) CPUs, Linux $(uname -r)."
	echo "Times are medians of wall-clock samples (bash \$EPOCHREALTIME around each command, exec included);"
	echo "$ROUNDS interleaved pairs for the script comparisons. Raw samples: build/bench/."
	echo
	echo "| figure | npte | comparison | ratio | target |"
	echo "| --- | --- | --- | --- | --- |"
	echo "| npte-lab create + destroy vs its dry-run scripts under dash | $(ms "${R[lab.npte]}") | $(ms "${R[lab.script]}") | $(ratio "${R[lab.npte]}" "${R[lab.script]}") | <= 0.25 |"
	echo "| npte-netns create + destroy (1 namespace) vs dry-run scripts | $(ms "${R[netns.npte]}") | $(ms "${R[netns.script]}") | $(ratio "${R[netns.npte]}" "${R[netns.script]}") | |"
	for n in $SCALE; do
		echo "| create per namespace, N = $n, one call, vs kernel floor (bench/floor.c) | $(msper "scale.$n.create" "$n") | $(msper "scale.$n.floor_create" "$n") | $(ratio "${R[scale.$n.create]}" "${R[scale.$n.floor_create]}") | <= 1.5 |"
	done
	for n in $SCALE; do
		ipb_rows "$n"
	done
	for n in $SCALE; do
		echo "| create per namespace, N = $n, vs the floor plus the same 3 sysctl writes | $(msper "scale.$n.create" "$n") | $(msper "scale.$n.floor_sysctl" "$n") | $(ratio "${R[scale.$n.create]}" "${R[scale.$n.floor_sysctl]}") | |"
	done
	for n in $SCALE; do
		echo "| destroy per namespace, N = $n, vs floor | $(msper "scale.$n.destroy" "$n") | $(msper "scale.$n.floor_destroy" "$n") | $(ratio "${R[scale.$n.destroy]}" "${R[scale.$n.floor_destroy]}") | |"
	done
	for n in $SCALE; do
		echo "| list, N = $n | $(ms "${R[scale.$n.list]}") | | | |"
	done
	echo "| create per namespace: N = $last vs N = $first (npte; floor's own growth in comparison) | $(ratio "$(per "scale.$last.create" "$last")" "$(per "scale.$first.create" "$first")") | $(ratio "$(per "scale.$last.floor_create" "$last")" "$(per "scale.$first.floor_create" "$first")") | | <= 1.5 or the floor's |"
	echo "| throughput, create+destroy ops/s: 8 workers vs 1 | ${R[tp.8]} | ${R[tp.1]} | $(ratio "${R[tp.8]}" "${R[tp.1]}") | |"
	read -r pn p50 p99 pmax <<<"${R[play]}"
	echo "| npte-netem play, a change every 10 ms for ${PLAY_SECONDS:-30} s ($pn changes): lateness p50 / p99 / max | $p50 / $p99 / $pmax us | | | p99 <= 2000 us |"
	echo
	echo "Start-up below is \`BIN --version\` (hygiene, capability drop and the executable-path check included), median of 31; \`/bin/true\` takes $(ms "${R[start.true]}") on this machine."
	echo
	echo "| binary | size (bytes) | peak RSS (KiB, /usr/bin/time) | start-up (\`--version\`, median of 31) |"
	echo "| --- | --- | --- | --- |"
	for b in npte-netns npte-veth npte-addr npte-route npte-netem npte-run npte-lock npte-lab npte-doctor; do
		read -r size rss start <<<"${R[bin.$b]}"
		echo "| $b | $size | $rss | $(ms "$start") |"
	done
	echo
	echo "Peak RSS target: < 4096 KiB per binary."
	echo
	echo "![per-namespace cost](results.png)"
} >"$top/bench/results.md"

for n in $SCALE; do
	echo "$n $(per "scale.$n.create" "$n") $(per "scale.$n.destroy" "$n") $(per "scale.$n.floor_create" "$n") $(per "scale.$n.floor_destroy" "$n") $(per "scale.$n.floor_sysctl" "$n")"
done >scale.dat
printf '"lab" %s %s\n"netns" %s %s\n' "${R[lab.npte]}" "${R[lab.script]}" "${R[netns.npte]}" "${R[netns.script]}" >vs.dat
if command -v gnuplot >/dev/null; then
	gnuplot <<-EOF
		set terminal pngcairo size 1100,450 noenhanced
		set output "$top/bench/results.png"
		set multiplot layout 1,2 title "npte, $(date -u +%Y-%m-%d), $cpu"
		set title "per namespace (one call of N names)"
		set logscale x
		set xlabel "N"
		set ylabel "microseconds per namespace"
		set key top left
		plot "scale.dat" using 1:2 with linespoints title "npte-netns create", \
		     "scale.dat" using 1:4 with linespoints title "floor create", \
		     "scale.dat" using 1:6 with linespoints title "floor create + 3 sysctls", \
		     "scale.dat" using 1:3 with linespoints title "npte-netns destroy", \
		     "scale.dat" using 1:5 with linespoints title "floor destroy"
		unset logscale x
		set title "create + destroy: npte vs its dry-run script (dash)"
		set xlabel ""
		set ylabel "milliseconds"
		set style data histograms
		set style fill solid 0.6
		set key top right
		set yrange [0:*]
		plot "vs.dat" using (\$2/1000):xtic(1) title "npte", "" using (\$3/1000) title "ip/tc script"
		unset multiplot
	EOF
fi
cat "$top/bench/results.md"
