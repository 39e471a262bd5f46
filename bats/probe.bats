#!/usr/bin/env bats

# npte-probe in a sandbox, for npte-alice (through sudo's variables; the
# tests at the end go through real sudo): the built-in lab, shaped with tbf
# (this host has no netem; the VM lane has the rest). Each test judges only
# the processes its own probe started.

load sandbox
bats_require_minimum_version 1.5.0

setup_file() { stage_install; }

setup() {
	alice_sandbox
	B=$(id -u npte-bob)
	BG=$(id -g npte-bob)
	nrun npte-lab create >/dev/null
	BGFILE=$BATS_TEST_TMPDIR/bg
}

teardown() {
	bg_end "$BGFILE"
	sandbox_teardown
}

# rec FILE JQ: a field of the JSON record.
rec() {
	jq -r "$2" "$1"
}

@test "tbf 20mbit toward the server: the upload's verdict is ok within 10%, the unshaped rest has no verdict" {
	nrun npte-netem rate router if-server 20mbit
	run nrun npte-probe --duration 3 --json /tmp/p.json client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	local j
	j=$(sb cat /tmp/p.json)
	echo "$j" >"$BATS_TEST_TMPDIR/p.json"
	local f=$BATS_TEST_TMPDIR/p.json
	[ "$(rec "$f" '.verdicts[] | select(.figure == "throughput up") | .verdict')" = ok ] || { echo "$output"; return 1; }
	[ "$(rec "$f" '.verdicts[] | select(.figure == "throughput up") | .tolerance_pct')" = 10 ]
	# the applied rate is the one read back from the router's tbf
	[ "$(rec "$f" '.path.up.applied.rate_mbps')" = 20 ]
	[ "$(rec "$f" '.path.up.hops[1] | .netns + " " + .dev + " " + .qdiscs[0].kind')" = "router if-server tbf" ]
	# measured: TCP goodput under 20 Mbit/s of frames, within 10%
	awk -v m="$(rec "$f" '.phases[] | select(.name == "up") | .throughput_mbps')" \
		'BEGIN { exit !(m >= 18 && m <= 22) }'
	# nothing else is shaped: no verdict, and it says why
	for fig in rtt loss "throughput down"; do
		[ "$(rec "$f" ".verdicts[] | select(.figure == \"$fig\") | .verdict")" = none ] || { echo "$fig"; return 1; }
		[ "$(rec "$f" ".verdicts[] | select(.figure == \"$fig\") | .why")" = "nothing applied" ] ||
			{ echo "$fig: $output"; return 1; }
	done
	[[ "$output" == *"verdict throughput up   ok, within tolerance: "*"tolerance 10.0%"* ]]
}

@test "tbf toward the client: the download is judged against it, the upload (no rate on its way) is not" {
	nrun npte-netem rate router if-client 20mbit
	run nrun npte-probe --duration 2 --json /tmp/p.json client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb cat /tmp/p.json >"$BATS_TEST_TMPDIR/p.json"
	local f=$BATS_TEST_TMPDIR/p.json
	[ "$(rec "$f" '.verdicts[] | select(.figure == "throughput down") | .verdict')" = ok ]
	[ "$(rec "$f" '.verdicts[] | select(.figure == "throughput up") | .verdict')" = none ]
	[ "$(rec "$f" '.path.down.applied.rate_mbps')" = 20 ]
	[ "$(rec "$f" '.path.up.applied.rate_mbps')" = null ]
}

@test "an unshaped lab: no false verdict, every figure measured and 'nothing applied'" {
	run nrun npte-probe --duration 1 --json /tmp/p.json client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb cat /tmp/p.json >"$BATS_TEST_TMPDIR/p.json"
	local f=$BATS_TEST_TMPDIR/p.json
	[ "$(rec "$f" '[.verdicts[] | select(.verdict != "none")] | length')" = 0 ]
	[ "$(rec "$f" '.verdicts | length')" = 4 ]
	[ "$(rec "$f" '.path.up.complete and .path.down.complete')" = true ]
	# client -> router -> server, each hop's way out
	[ "$(rec "$f" '[.path.up.hops[] | .netns + ":" + .dev] | join(" ")')" = "client:if-router router:if-server" ]
	[ "$(rec "$f" '[.path.down.hops[] | .netns + ":" + .dev] | join(" ")')" = "server:if-router router:if-client" ]
	# the idle probes all came back, once each
	[ "$(rec "$f" '.phases[0].rtt.lost')" = 0 ]
	[ "$(rec "$f" '.phases[0].rtt.duplicated')" = 0 ]
	[ "$(rec "$f" '.phases[0].rtt.sent')" -ge 25 ]
}

@test "--json: the record validates against docs/probe.schema.json, and the file is the caller's" {
	python3 -c 'import jsonschema' 2>/dev/null || skip "needs python3-jsonschema"
	nrun npte-netem rate router if-server 20mbit
	run nrun npte-probe --duration 1 --load up --json /tmp/p.json client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb stat -c '%u %g' /tmp/p.json)" = "$A $G" ]
	sb cat /tmp/p.json >"$BATS_TEST_TMPDIR/p.json"
	python3 - "$TOP/docs/probe.schema.json" "$BATS_TEST_TMPDIR/p.json" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[2])), schema, cls=jsonschema.Draft202012Validator)
EOF
	# the schema is not a rubber stamp: a record with a bad verdict fails it
	jq '.verdicts[0].verdict = "fine"' "$BATS_TEST_TMPDIR/p.json" >"$BATS_TEST_TMPDIR/bad.json"
	run python3 -c 'import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)' \
		"$TOP/docs/probe.schema.json" "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -ne 0 ]
	# --load up: two phases, no download
	[ "$(rec "$BATS_TEST_TMPDIR/p.json" '[.phases[].name] | join(" ")')" = "idle up" ]
}

# png_size FILE: "WIDTH HEIGHT" from a PNG's IHDR, after checking its signature.
png_size() {
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "not a PNG: $1"; return 1; }
	[ "$(dd if="$1" bs=1 skip=12 count=4 2>/dev/null)" = IHDR ] || { echo "no IHDR: $1"; return 1; }
	echo "$((16#$(dd if="$1" bs=1 skip=16 count=4 2>/dev/null | od -An -tx1 | tr -d ' \n'))) $((16#$(dd if="$1" bs=1 skip=20 count=4 2>/dev/null | od -An -tx1 | tr -d ' \n')))"
}

@test "--plot: an SVG that xmllint accepts and rsvg-convert renders, a PNG that opens, both the caller's" {
	command -v xmllint >/dev/null || skip "needs xmllint (libxml2-utils)"
	command -v rsvg-convert >/dev/null || skip "needs rsvg-convert (librsvg2-bin)"
	nrun npte-netem rate router if-server 20mbit
	run nrun npte-probe --duration 1 --plot /tmp/p.svg client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(sb stat -c '%u %g' /tmp/p.svg)" = "$A $G" ]
	sb cat /tmp/p.svg >"$BATS_TEST_TMPDIR/p.svg"
	xmllint --noout "$BATS_TEST_TMPDIR/p.svg"
	grep -q '<svg[^>]*width="900' "$BATS_TEST_TMPDIR/p.svg"
	rsvg-convert -o "$BATS_TEST_TMPDIR/from-svg.png" "$BATS_TEST_TMPDIR/p.svg"
	[ "$(png_size "$BATS_TEST_TMPDIR/from-svg.png")" = "900 640" ]
	run nrun npte-lab probe --duration 1 --load up --plot /tmp/p.png
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb cat /tmp/p.png >"$BATS_TEST_TMPDIR/p.png"
	[ "$(png_size "$BATS_TEST_TMPDIR/p.png")" = "900 640" ]
	# the PNG opens: every chunk's CRC holds and the image data inflates to 900 x 640 RGB rows
	python3 - "$BATS_TEST_TMPDIR/p.png" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0], kind
    if kind == b"IDAT":
        idat += body
    pos += 12 + n
    if kind == b"IEND":
        break
assert pos == len(data), "bytes after IEND"
w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
channels = {2: 3, 6: 4}[colour]
assert len(zlib.decompress(idat)) == h * (1 + w * channels * depth // 8), (w, h, depth, colour)
EOF
	run nrun npte-probe --plot /tmp/p.pdf client server
	[ "$status" -eq 2 ] && [[ "$output" == *"invalid --plot '/tmp/p.pdf'"* ]]
}

@test "--sweep: three tbf rates, each cell judged, the qdisc changed in place (same handle, counters kept), no gap" {
	sb sh -c 'cat >/tmp/s.sweep && chmod 644 /tmp/s.sweep' <<'EOF'
# three rates toward the server
at router if-server
cell rate 50mbit burst 64k latency 50ms
cell rate 70mbit burst 64k latency 50ms
cell rate 90mbit burst 64k latency 50ms
EOF
	# a paced transfer across the whole sweep, alice's own, through the link the cells change
	nrun npte-run server iperf3 -s -1 >/dev/null 2>&1 3>&- &
	bg_note "$BGFILE" $!
	listening server 5201
	nrun npte-run client iperf3 -c 172.16.2.2 -t 60 -b 500K -l 1400 -i 0.5 -J >"$BATS_TEST_TMPDIR/bg.json" 2>&1 3>&- &
	local bg=$!
	bg_note "$BGFILE" "$bg"
	run nrun npte-probe --duration 2 --load up --sweep /tmp/s.sweep --json /tmp/s.jsonl --plot /tmp/s.svg client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb cat /tmp/s.jsonl >"$BATS_TEST_TMPDIR/s.jsonl"
	local f=$BATS_TEST_TMPDIR/s.jsonl
	[ "$(grep -c . "$f")" = 3 ]
	# each cell: its words, its verdict ok, the applied rate read back
	[ "$(jq -r '.cell.index' "$f" | tr '\n' ' ')" = "1 2 3 " ]
	[ "$(jq -r '.cell.set[0].words' "$f" | tr '\n' ,)" = "rate 50mbit burst 64k latency 50ms,rate 70mbit burst 64k latency 50ms,rate 90mbit burst 64k latency 50ms," ]
	[ "$(jq -r '.path.up.applied.rate_mbps' "$f" | tr '\n' ' ')" = "50 70 90 " ]
	[ "$(jq -r '.verdicts[] | select(.figure == "throughput up") | .verdict' "$f" | tr '\n' ' ')" = "ok ok ok " ] ||
		{ echo "$output"; return 1; }
	[[ "$output" == *"cell 3 of 3 (/tmp/s.sweep:5): router if-server tbf rate 90mbit burst 64k latency 50ms"* ]]
	# changed, not replaced: one handle in every cell, and the kernel's byte counter kept
	# every cell's transfer (a replace would hold the last cell's alone, under half of them)
	[ "$(jq -r '.path.up.hops[1].qdiscs[0].handle' "$f" | sort -u | wc -l)" = 1 ]
	local sent want
	sent=$(sb tc -s -j -n router qdisc show dev if-server root | jq '.[0].bytes')
	want=$(jq -s '[.[].phases[] | select(.name == "up") | .throughput_mbps] | add * 1e6 / 8 * 0.8 | floor' "$f")
	[ "$sent" -ge "$want" ] || { echo "sent $sent, want at least $want"; return 1; }
	# the paced transfer went on through every change: no half second without bytes
	end_tree "$bg"
	wait "$bg" || true
	jq -e '[.intervals[] | .sum.bytes] | length > 10 and all(. > 0)' "$BATS_TEST_TMPDIR/bg.json" >/dev/null ||
		{ jq -c '[.intervals[] | .sum.bytes]' "$BATS_TEST_TMPDIR/bg.json"; return 1; }
	# every line a record of the schema
	! python3 -c 'import jsonschema' 2>/dev/null || python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
for line in open(sys.argv[2]):
    jsonschema.validate(json.loads(line), schema, cls=jsonschema.Draft202012Validator)' "$TOP/docs/probe.schema.json" "$f"
	# one summary plot
	sb cat /tmp/s.svg >"$BATS_TEST_TMPDIR/s.svg"
	! command -v xmllint >/dev/null || xmllint --noout "$BATS_TEST_TMPDIR/s.svg"
}

@test "--sweep: a bad file is refused whole before any change: FILE:LINE, exit 2" {
	local bad
	for bad in 'cell rate 10mbit' 'at router if-server\ncell rate 10mbit | rate 20mbit' \
		'at router if-server\ncell sideways 10' 'at Router if-server\ncell rate 1mbit' \
		'at router if-server\ncell rate 1mbit\nat router if-client' 'at router if-server'; do
		printf "$bad\n" | sb sh -c 'cat >/tmp/bad.sweep && chmod 644 /tmp/bad.sweep'
		run nrun npte-probe --sweep /tmp/bad.sweep client server
		[ "$status" -eq 2 ] || { echo "$bad: $status $output"; return 1; }
		[[ "$output" == *"/tmp/bad.sweep"* ]] || { echo "$bad: $output"; return 1; }
	done
	# nothing was put in
	[[ "$(sb tc -n router qdisc show dev if-server root)" == *noqueue* ]]
	# a file alice cannot read is refused as hers
	sb sh -c 'printf "at router if-server\ncell rate 1mbit\n" >/tmp/root.sweep && chmod 600 /tmp/root.sweep'
	run nrun npte-probe --sweep /tmp/root.sweep client server
	[ "$status" -eq 2 ] && [[ "$output" == *"cannot read it as uid $A"* ]]
	# another user's interface: the uniform refusal at the first change, nothing changed
	sb env SUDO_UID="$B" SUDO_GID="$BG" npte-netns create bobns
	sb sh -c 'printf "at bobns lo\ncell rate 1mbit\n" >/tmp/bob.sweep && chmod 644 /tmp/bob.sweep'
	run nrun npte-probe --sweep /tmp/bob.sweep client server
	[ "$status" -eq 2 ] && [[ "$output" == *"bobns: not found or not yours"* ]]
}

@test "--json where alice may not write is refused as hers: nothing written by root" {
	sb install -d -m 0755 /tmp/rootonly
	run nrun npte-probe --duration 1 --load none --json /tmp/rootonly/p.json client server
	[ "$status" -eq 1 ]
	[[ "$output" == *"--json /tmp/rootonly/p.json: cannot write it as uid $A: Permission denied"* ]]
	run sb test -e /tmp/rootonly/p.json
	[ "$status" -ne 0 ]
}

@test "bob's namespace is refused as a missing one is: exit 2, the same words" {
	sb env SUDO_UID="$B" SUDO_GID="$BG" npte-netns create bobns
	run nrun npte-probe --duration 1 client bobns
	[ "$status" -eq 2 ]
	local theirs=$output
	run nrun npte-probe --duration 1 client nosuch
	[ "$status" -eq 2 ]
	[ "${theirs//bobns/NAME}" = "${output//nosuch/NAME}" ]
	[[ "$theirs" == *"bobns: not found or not yours"* ]]
	# either end
	run nrun npte-probe --duration 1 bobns client
	[ "$status" -eq 2 ]
	[[ "$output" == *"bobns: not found or not yours"* ]]
}

@test "bad values: exit 2 naming the value, nothing started" {
	run nrun npte-probe --duration 0 client server
	[ "$status" -eq 2 ] && [[ "$output" == *"invalid --duration '0'"* ]]
	run nrun npte-probe --duration 61 client server
	[ "$status" -eq 2 ] && [[ "$output" == *"invalid --duration '61'"* ]]
	run nrun npte-probe --load sideways client server
	[ "$status" -eq 2 ] && [[ "$output" == *"invalid --load 'sideways'"* ]]
	run nrun npte-probe client client
	[ "$status" -eq 2 ] && [[ "$output" == *"same namespace 'client'"* ]]
	run nrun npte-probe client 'Bad$(id)'
	[ "$status" -eq 2 ] && [[ "$output" == *"Bad\$(id)"* ]]
	run nrun npte-probe -n client server
	[ "$status" -eq 2 ]
}

# probe_kids TOP: the processes under TOP that are npte's and alice's (the measuring
# ones; not runuser or sudo, whose real uid is hers too), one "pid start" a line.
probe_kids() {
	local p
	for p in $(tree "$1"); do
		case $(cat /proc/"$p"/comm 2>/dev/null) in npte-probe | npte-lab) ;; *) continue ;; esac
		[ "$(awk '$1 == "Uid:" { print $2 }' /proc/"$p"/status 2>/dev/null)" = "$A" ] &&
			echo "$p $(started_at "$p")"
	done
}

# kids_wait TOP: the sign that TOP's probe is measuring: its echo server,
# bulk server and echo client, all three alice's; they are in KIDS.
kids_wait() {
	local n=0
	for _ in $(seq 200); do
		KIDS=$(probe_kids "$1")
		n=$(grep -c . <<<"$KIDS" || true)
		[ "$n" -ge 3 ] && return 0
		sleep 0.05
	done
	echo "kids: $KIDS"
	return 1
}

# kids_nothing_left: each of KIDS is alice wholly (uid, gid), with every capability set
# empty and NoNewPrivs, in the client's or the server's namespace.
kids_nothing_left() {
	local cns sns p st c ns
	cns=$(sb ip netns exec client readlink /proc/self/ns/net)
	sns=$(sb ip netns exec server readlink /proc/self/ns/net)
	while read -r p _; do
		st=$(cat /proc/"$p"/status)
		[ "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' <<<"$st")" = "$A $A $A $A" ]
		[ "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' <<<"$st")" = "$G $G $G $G" ]
		for c in CapInh CapPrm CapEff CapBnd CapAmb; do
			[ "$(awk -v k="$c:" '$1 == k { print $2 }' <<<"$st")" = 0000000000000000 ] || { echo "$p $c"; return 1; }
		done
		[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"$st")" = 1 ]
		ns=$(readlink /proc/"$p"/ns/net)
		[ "$ns" = "$cns" ] || [ "$ns" = "$sns" ] || { echo "$p in $ns"; return 1; }
	done <<<"$KIDS"
}

# sigint_ends_all TOP COMM OUT: SIGINT to the first COMM under TOP, as a
# terminal's ^C reaches it; TOP ends 130 saying so (in OUT), and every one of
# KIDS is gone (a pid the kernel gave to another process since is not one).
sigint_ends_all() {
	local p t np rc=0
	np=$(for p in $(tree "$1"); do [ "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2" ] && echo "$p" && break; done)
	kill -INT "$np"
	wait "$1" || rc=$?
	[ "$rc" -eq 130 ] || { echo "rc $rc"; cat "$3"; return 1; }
	grep -q "stopped by signal 2: every probe process ended" "$3"
	while read -r p t; do
		[ "$(started_at "$p")" != "$t" ] || { echo "left: $p"; cat /proc/"$p"/status; return 1; }
	done <<<"$KIDS"
}

@test "the probe's processes are alice's with nothing privileged, in the two namespaces, and gone after SIGINT" {
	nrun npte-probe --duration 20 --load up client server >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$!
	bg_note "$BGFILE" "$top"
	kids_wait "$top"
	kids_nothing_left
	sigint_ends_all "$top" npte-probe "$BATS_TEST_TMPDIR/out"
}

@test "through real sudo: alice's npte-lab probe runs as her, nothing privileged, all gone after SIGINT" {
	sandbox_install
	as alice npte-lab probe --duration 20 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local top=$!
	bg_note "$BGFILE" "$top"
	kids_wait "$top"
	kids_nothing_left
	sigint_ends_all "$top" npte-lab "$BATS_TEST_TMPDIR/out"
}

@test "through real sudo: bob's probe of alice's lab is refused as a missing namespace is" {
	sandbox_install
	run as bob npte-probe --duration 1 client server
	[ "$status" -eq 2 ]
	[[ "$output" == "npte-probe: probe: client: not found or not yours" ]] || { echo "$output"; return 1; }
	run as bob npte-lab probe --duration 1
	[ "$status" -eq 2 ]
	[[ "$output" == "npte-lab: probe: client: not found or not yours" ]] || { echo "$output"; return 1; }
	run as bob npte-probe --duration 1 nosuch server
	[ "$output" = "npte-probe: probe: nosuch: not found or not yours" ]
	# and alice's own, through the same rule, measures
	run as alice npte-probe --duration 1 --load none client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"rtt idle min "* ]]
}

@test "npte-lab probe under --prefix probes that lab's client and server" {
	nrun npte-lab create --prefix t >/dev/null
	nrun npte-netem rate trouter if-tserver 20mbit
	run nrun npte-lab probe --prefix t --duration 2 --load up --json /tmp/p.json
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	sb cat /tmp/p.json >"$BATS_TEST_TMPDIR/p.json"
	local f=$BATS_TEST_TMPDIR/p.json
	[ "$(rec "$f" '.from + " " + .to')" = "tclient tserver" ]
	[ "$(rec "$f" '[.path.up.hops[] | .netns] | join(" ")')" = "tclient trouter" ]
	[ "$(rec "$f" '.verdicts[] | select(.figure == "throughput up") | .verdict')" = ok ]
}

@test "the probe's processes are gone after a run that ends normally, and none is left in the namespaces" {
	run nrun npte-probe --duration 1 --load down client server
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# nothing of alice's left in the lab's namespaces (the sandbox's own: no other suite's)
	local cns p
	for n in client server; do
		cns=$(sb ip netns exec "$n" readlink /proc/self/ns/net)
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/net" 2>/dev/null)" != "$cns" ] && continue
			[ "$(awk '$1 == "Uid:" { print $2 }' "$p/status" 2>/dev/null)" != "$A" ] || { echo "left: $p"; return 1; }
		done
	done
}
