#!/bin/bash
# bench/syscalls.sh: the system calls a namespace costs `npte-netns create`
# and `destroy`, against `ip -batch` of `netns add` / `netns del` lines:
# (calls at 2N - calls at N) / N, from `strace -c -f`, so that start-up and
# the per-call work (the lock, the registry read) cancel out. A count, not a
# time: it does not move with the machine's load. As root:
# `bench/syscalls.sh [N] [BINDIR]` (N defaults to 100; BINDIR to this
# checkout's build/bin, e.g. another build's); each size runs in a
# tests/sandbox of its own. Counts in build/bench/syscalls.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100}
bin=${2:-$top/build/bin}
raw=$top/build/bench/syscalls
mkdir -p "$raw"

names() { local i; for ((i = 0; i < $1; i++)); do printf 'n%d\n' "$i"; done; }
# calls FILE: the total of strace -c's summary (its last line)
calls() { awk '$NF == "total" { print ($(NF - 1) ~ /^[0-9]+$/ && $(NF - 2) ~ /^[0-9]+$/) ? $(NF - 2) : $(NF - 1) }' "$1"; }
# count KEY CMD...: CMD under strace -c -f, its summary in raw/KEY
count() { local k=$1; shift; strace -c -f -o "$raw/$k" "$@" >/dev/null; }

# at M: both tools at M names, in a sandbox of its own (a fresh nsid table:
# ids that namespaces of the run before still hold would cost retries)
if [ "$n" = --at ]; then
	m=$2 bin=$3
	# shellcheck disable=SC2046 # one word a name
	count "create-$m" "$bin/npte-netns" create $(names "$m")
	# shellcheck disable=SC2046
	count "destroy-$m" "$bin/npte-netns" destroy $(names "$m")
	names "$m" | sed 's/^/netns add /' >"$raw/add-$m.batch"
	names "$m" | sed 's/^/netns del /' >"$raw/del-$m.batch"
	count "ipadd-$m" ip -batch "$raw/add-$m.batch"
	count "ipdel-$m" ip -batch "$raw/del-$m.batch"
	exit 0
fi
for m in "$n" $((2 * n)); do "$top/tests/sandbox" bash "$0" --at "$m" "$bin"; done
echo "| per namespace, N = $n..$((2 * n)) | npte-netns | ip -batch |"
echo "| --- | --- | --- |"
for v in create:ipadd destroy:ipdel; do
	a=${v%:*} b=${v#*:}
	pa=$(( ($(calls "$raw/$a-$((2 * n))") - $(calls "$raw/$a-$n")) / n ))
	pb=$(( ($(calls "$raw/$b-$((2 * n))") - $(calls "$raw/$b-$n")) / n ))
	echo "| $a: system calls | $pa | $pb |"
done
