#!/bin/bash
# bench/chain-bench.sh: issue 24's chain figures. Chains of CHAINS nodes
# (bench/chain.sh) brought up and down by `npte-lab up/down FILE` as root and
# as a user of group npte through the installed sudoers rule (staged at
# /run/ptest, as bats/sandbox.bash does), against one npte call per object
# through sudo (bench/chain-calls.awk), against its own dry-run script under
# dash, and against Mininet (bench/chain-mininet.py, no controller, Debian's
# python3: /usr/bin/python3, not a pyenv shim). Runs
# inside tests/sandbox as root: `make bench BENCH=chain` or
# `tests/sandbox bash bench/chain-bench.sh`. Writes bench/chain-results.md.
# Environment: CHAINS (default "16 64 256"), CHAIN_ROUNDS (default 3; the
# dry-run, per-object and Mininet runs are measured once: minutes at 256).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
raw=$top/build/bench/chain
CHAINS=${CHAINS:-16 64 256}
ROUNDS=${CHAIN_ROUNDS:-3}
U=npte-bench # the test account, in group npte
P=/run/ptest/sbin
export PATH="$top/build/bin:$PATH"
mkdir -p "$raw"
cd "$raw"

us() { local s=${EPOCHREALTIME/./} e; "$@" >/dev/null; e=${EPOCHREALTIME/./}; echo $((e - s)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f ms", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
pass() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t) ? "PASS" : "FAIL" }'; }
note() { printf '  %-52s %s\n' "$1" "$2" >&2; }

# user_us SCRIPT: run SCRIPT with sh as $U; its wall time (us), timed in the
# user's own shell so runuser's start is not counted against either side.
user_us() {
	# shellcheck disable=SC2016
	runuser -u "$U" -- bash -c 's=${EPOCHREALTIME/./}; sh "$1" >/dev/null || exit 1; e=${EPOCHREALTIME/./}; echo $((e - s))' sh "$1" </dev/null
}

# stage: the account (on the host: sudo needs it in /etc/passwd), then the
# installed tree and its sudoers rule inside this sandbox only.
stage() {
	command -v sudo >/dev/null && command -v visudo >/dev/null || { echo "chain-bench: needs sudo and visudo" >&2; exit 1; }
	getent group npte >/dev/null || groupadd --system npte
	getent passwd "$U" >/dev/null || useradd --system -M -d /nonexistent -s /bin/sh -G npte "$U"
	[ -d /etc/npte ] || install -d -m 0755 /etc/npte
	rm -rf "$raw/stage"
	make -s -C "$top" install DESTDIR="$raw/stage" PREFIX=/run/ptest SUDOERSDIR=/etc/sudoers.d >"$raw/install.log" 2>&1
	cp -a "$raw/stage/run/ptest" /run/ptest
	mkdir -m 0755 /run/sudoers.d /run/npteconf /run/chain
	cp -a /etc/sudoers.d/. /run/sudoers.d/
	cp -a "$raw/stage/etc/sudoers.d/npte" /run/sudoers.d/npte
	mount --bind /run/sudoers.d /etc/sudoers.d
	mount --bind /run/npteconf /etc/npte
	# the default quota (32 namespaces a user) is below the 256-node chain
	printf 'max_namespaces = 1024\n' >/etc/npte/npte.conf
}

declare -A R

chain_at() { # N
	local n=$1 i k
	local f=/run/chain/chain-$n.conf
	sh "$top/bench/chain.sh" "$n" >"$f"
	chmod 0644 "$f"
	for k in root user dry; do : >"$n.$k"; done
	# the dry-run scripts, rendered once, from the live states they start from
	npte-lab up -n "$f" >"$n-up.sh"
	npte-lab up "$f" >/dev/null
	npte-lab down -n "$f" >"$n-down.sh"
	npte-lab down "$f" >/dev/null
	printf 'sudo -n %s/npte-lab up %s\n' "$P" "$f" >"$n-lab-up.sh"
	printf 'sudo -n %s/npte-lab down %s\n' "$P" "$f" >"$n-lab-down.sh"
	awk -v BIN="sudo -n $P/" -v PREFIX= -f "$top/bench/chain-calls.awk" "$f" >"$n-calls-up.sh"
	awk -v BIN="sudo -n $P/" -v PREFIX= -v down=1 -f "$top/bench/chain-calls.awk" "$f" >"$n-calls-down.sh"
	chmod 0644 ./*.sh
	for ((i = 0; i < ROUNDS; i++)); do
		us npte-lab up "$f" >>"$n.root"
		us npte-lab down "$f" >"$n.rootdown"
		user_us "$n-lab-up.sh" >>"$n.user"
		user_us "$n-lab-down.sh" >"$n.userdown"
	done
	# the dry-run script is 20-100x slower: one run is enough for its ratio
	us dash "$n-up.sh" >>"$n.dry"
	us dash "$n-down.sh" >"$n.drydown"
	for k in root user dry; do R[$n.$k]=$(median <"$n.$k"); done
	R[$n.calls]=$(user_us "$n-calls-up.sh")
	# a check that the per-object chain is the same chain: ping end to end
	# (TTL 255: the 254 routers of 256 nodes exceed the default 64)
	R[$n.ping]=ok
	ip netns exec n0 ping -c1 -W5 -t255 "10.$(((n - 2) / 256)).$(((n - 2) % 256)).2" >/dev/null || R[$n.ping]=noping
	R[$n.callsdown]=$(user_us "$n-calls-down.sh")
	R[$n.ncalls]=$(wc -l <"$n-calls-up.sh")
	note "N=$n up: root / user via sudo / dry-run (dash)" "$(ms "${R[$n.root]}") / $(ms "${R[$n.user]}") / $(ms "${R[$n.dry]}")"
	note "N=$n up, ${R[$n.ncalls]} calls via sudo (${R[$n.ping]})" "$(ms "${R[$n.calls]}")"
	if [ -n "$MN" ]; then
		read -r R[$n.mnup] R[$n.mndown] R[$n.mnok] < <(/usr/bin/python3 "$top/bench/chain-mininet.py" "$f" 2>"$n.mininet.err" || echo "- - failed")
		note "N=$n Mininet build / teardown (${R[$n.mnok]})" "${R[$n.mnup]} / ${R[$n.mndown]} us"
	fi
}

# Mininet: Debian's package, in this sandbox (its hosts are children of the
# sandbox's namespaces); without it, the reason goes into the table.
MN=
if ! command -v mnexec >/dev/null || ! /usr/bin/python3 -c "import mininet.net" 2>/dev/null; then
	MNWHY="mininet not installed (make bench-deps installs it)"
else
	MN=1
fi

stage
echo "chain-bench: chains $CHAINS, $ROUNDS rounds (per-object and Mininet once)" >&2
for n in $CHAINS; do chain_at "$n"; done

first=${CHAINS%% *}
last=${CHAINS##* }
mid=64
{
	echo "## Chains (bench/chain-bench.sh)"
	echo
	echo "Measured $(date -u +%Y-%m-%d) by \`make bench BENCH=chain\`; median of $ROUNDS for npte-lab, one run for the dry-run script, the per-object calls and Mininet. User: $U (group npte) through \`sudo -n\` and the installed rule."
	echo
	echo "| figure | npte | comparison | ratio | target | |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for n in $CHAINS; do
		r=$(ratio "${R[$n.user]}" "${R[$n.calls]}")
		echo "| up of a $n-node chain as a user via sudo vs ${R[$n.ncalls]} npte calls via sudo (${R[$n.ping]}) | $(ms "${R[$n.user]}") | $(ms "${R[$n.calls]}") | $r | <= 0.5 | $(pass "$r" 0.5) |"
		r=$(ratio "${R[$n.root]}" "${R[$n.dry]}")
		echo "| up of a $n-node chain as root vs its dry-run script under dash | $(ms "${R[$n.root]}") | $(ms "${R[$n.dry]}") | $r | <= 0.2 | $(pass "$r" 0.2) |"
	done
	r=$(ratio "$((R[$last.root] / last))" "$((R[$first.root] / first))")
	echo "| up per node (root): N = $last vs N = $first | $(ms $((R[$last.root] / last))) | $(ms $((R[$first.root] / first))) | $r | <= 1.5 | $(pass "$r" 1.5) |"
	for n in $CHAINS; do
		echo "| down of a $n-node chain: root / via sudo / per-object calls / dry-run | $(ms "$(cat "$n.rootdown")") / $(ms "$(cat "$n.userdown")") | $(ms "${R[$n.callsdown]}") / $(ms "$(cat "$n.drydown")") | | | |"
	done
	if [ -n "$MN" ]; then
		for n in $CHAINS; do
			if [ "${R[$n.mnok]}" = failed ]; then
				echo "| Mininet, $n-node chain | | failed: $(tail -1 "$raw/$n.mininet.err") | | | |"
				continue
			fi
			echo "| Mininet build / teardown, $n-node chain (ping: ${R[$n.mnok]}) | $(ms "${R[$n.user]}") (npte up via sudo) | $(ms "${R[$n.mnup]}") / $(ms "${R[$n.mndown]}") | $(ratio "${R[$n.user]}" "${R[$n.mnup]}") | | |"
		done
		if [ -n "${R[$mid.mnup]:-}" ] && [ "${R[$mid.mnok]}" != failed ]; then
			r=$(ratio "${R[$mid.user]}" "${R[$mid.mnup]}")
			echo "| up of the $mid-node chain via sudo vs Mininet's build | $(ms "${R[$mid.user]}") | $(ms "${R[$mid.mnup]}") | $r | <= 0.1 | $(pass "$r" 0.1) |"
		fi
	else
		echo "| up of the $mid-node chain via sudo vs Mininet's build | | | | <= 0.1 | SKIP: $MNWHY |"
	fi
} >"$top/bench/chain-results.md"
cat "$top/bench/chain-results.md"
