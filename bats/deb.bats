#!/usr/bin/env bats
# The Debian package (issue 27): `make deb` builds it once for the file (as
# npte-carol, in a copy of the tree, as README's Install says); its
# contents, lintian and its sudo rule are checked from the .deb; then it is
# installed with dpkg -i, used through real sudo and purged, in an overlay of
# the host's root filesystem: an overlayfs (lower /, upper a tmpfs) mounted
# in a mount namespace of the test's own and entered with chroot, so dpkg,
# groupadd and sudo see the host's system but every change they make lands
# in the tmpfs, which goes with the namespace: a failing run leaves the host
# as it was. The users npte-alice, npte-bob and npte-carol come from
# stage_install (the host's /etc/passwd is the overlay's lower layer).

load sandbox

setup_file() {
	stage_install
	[ "$(id -u)" = 0 ] || return 0
	command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || return 0
	local top u=root
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	# built as README says, by an ordinary user in a copy of theirs (the
	# checkout's own build/ is left alone)
	SRC=$(mktemp -d /tmp/npte-deb.XXXXXX)
	export SRC
	tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$SRC" -xf -
	getent passwd npte-carol >/dev/null && u=npte-carol && chown -R "$u" "$SRC"
	runuser -u "$u" -- make -s -C "$SRC" deb LINTIAN= >"$BATS_FILE_TMPDIR/deb.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/deb.log" >&3; return 1; }
	# the hook for files other issues install under share/npte (the test
	# libraries): what make install puts there besides the topology files,
	# from the package's own build tree (built: nothing is compiled again).
	# Name each in expected() when it lands.
	make -s -C "$SRC"/build/deb/npte-*/ install DESTDIR="$BATS_FILE_TMPDIR/inst" PREFIX=/usr >/dev/null 2>&1 ||
		{ echo "make install PREFIX=/usr failed" >&3; return 1; }
}

teardown_file() {
	[ -n "${SRC:-}" ] && rm -rf "$SRC"
}

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	[ "$(id -u)" = 0 ] || skip "needs root (dpkg-buildpackage's checks, the overlay)"
	command -v dh >/dev/null || skip "needs debhelper (make deps installs it)"
	V=$(sed -n 's/^#define NPTE_VERSION "\(.*\)"/\1/p' "$TOP/common/base/err.h")
	A=$(dpkg --print-architecture)
	DEB=${SRC:-$TOP}/build/npte_${V}_$A.deb
	[ -f "$DEB" ] || { cat "$BATS_FILE_TMPDIR/deb.log"; return 1; }
}

teardown() {
	[ -n "${OV_PID:-}" ] && kill "$OV_PID" 2>/dev/null || true
}

# expected: the package's listing as "MODE OWNER PATH" lines, from the tree:
# every binary of bin/*.c, every page of man/, every topology file, the
# completion and its link per binary, the rule, npte.conf, the two docs,
# whatever else make install puts under share/npte, and each directory.
expected() {
	local b m f
	{
		echo "-rw-r--r-- root/root ./etc/npte/npte.conf"
		echo "-r--r----- root/root ./etc/sudoers.d/npte"
		echo "-rw-r--r-- root/root ./usr/share/bash-completion/completions/npte"
		echo "-rw-r--r-- root/root ./usr/share/doc/npte/changelog.gz"
		echo "-rw-r--r-- root/root ./usr/share/doc/npte/copyright"
		for b in "$TOP"/bin/*.c; do
			b=${b##*/} b=${b%.c}
			echo "-rwxr-xr-x root/root ./usr/sbin/$b"
			echo "lrwxrwxrwx root/root ./usr/share/bash-completion/completions/$b -> npte"
		done
		for m in "$TOP"/man/*.[1-8]; do
			m=${m##*/}
			echo "-rw-r--r-- root/root ./usr/share/man/man${m##*.}/$m.gz"
		done
		(cd "$BATS_FILE_TMPDIR/inst" && find usr/share/npte ! -type d) | while read -r f; do
			echo "-rw-r--r-- root/root ./$f"
		done
	} | awk '{ print; p = $3; while (sub(/[^\/]*\/?$/, "", p) && p != "") print "drwxr-xr-x root/root " p }' |
		sort -u -k3
}

@test "make deb builds npte_VERSION_ARCH.deb: NPTE_VERSION, this architecture, Depends on the libraries, iproute2, sudo, passwd" {
	run dpkg-deb -f "$DEB" Package Version Architecture
	[ "$output" = "Package: npte
Version: $V
Architecture: $A" ] || { echo "$output"; return 1; }
	[ "$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)" = "$V" ]
	run dpkg-deb -f "$DEB" Depends
	# exactly: iproute2 (the dry-run scripts), sudo, the libraries the
	# binaries link (shlibs) and passwd, whose groupadd and groupdel the
	# maintainer scripts run (Priority required, but not Essential)
	local deps
	deps=$(sed 's/^Depends: //; s/ ([^)]*)//g; s/, /\n/g' <<<"$output" | sort | tr '\n' ' ')
	[ "$deps" = "iproute2 libc6 libcairo2 libcap-ng0 libiperf0 libmnl0 libnftnl11 libnl-3-200 libnl-route-3-200 passwd sudo " ] || { echo "$output"; return 1; }
	[[ "$(dpkg-deb -f "$DEB" Recommends)" == *iperf3* ]]
	[ "$(dpkg-deb -I "$DEB" conffiles | sort | tr '\n' ' ')" = "/etc/npte/npte.conf /etc/sudoers.d/npte " ]
}

@test "dpkg -c: exactly the expected files, each root:root with its mode" {
	local got want
	got=$(dpkg -c "$DEB" | awk '{ $3 = $4 = $5 = ""; print }' | sed 's/   */ /' | sort -u -k3)
	want=$(expected)
	[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
	# as many binaries as the build makes, no setuid or setgid bit anywhere
	[ "$(grep -c '^-rwxr-xr-x root/root ./usr/sbin/npte-' <<<"$got")" = "$(ls "$TOP"/bin/*.c | wc -l)" ]
	! grep -q '^...[sS]\|^......[sS]' <<<"$got" || false
}

@test "lintian: exit 0 with warnings fatal, and no error or warning line" {
	command -v lintian >/dev/null || skip "needs lintian (make deps installs it)"
	run lintian --fail-on error,warning "$SRC/build/deb/npte_${V}_$A.changes"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	! grep -E '^[EW]: ' <<<"$output" || return 1
}

@test "the packaged rule passes visudo -cf, is the shipped one at /usr/sbin, and names only packaged binaries" {
	local rule=$BATS_TEST_TMPDIR/rule p
	dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./etc/sudoers.d/npte >"$rule"
	visudo -cqf "$rule"
	[ "$(cat "$rule")" = "$(sed 's|/usr/local/sbin/|/usr/sbin/|g' "$TOP/sudoers.d/npte")" ]
	! grep -v '^#' "$rule" | grep -q /usr/local || return 1
	for p in $(grep -o '/usr/sbin/npte-[a-z-]*' "$rule"); do
		dpkg -c "$DEB" | grep -q " \.$p\$" || { echo "the rule names $p, which the package lacks"; return 1; }
	done
}

@test "npte.conf: every key the parser knows, each commented out" {
	local conf=$BATS_TEST_TMPDIR/npte.conf k n=0
	dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./etc/npte/npte.conf >"$conf"
	for k in $(grep -o 'strcmp(key, "[a-z_]*")' "$TOP/common/kernel/config.c" | cut -d'"' -f2); do
		grep -q "^#$k = " "$conf" || { echo "no commented $k"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]
	# nothing but comments and blank lines
	[ -z "$(grep -v '^#' "$conf" | grep -v '^$')" ]
}

# --- An overlay of the host's root filesystem ----------------------------

# overlay_setup: the overlay root ($OV/root) in a new mount and network
# namespace with a fresh /proc, /sys, /run and /tmp, the host's /dev bound
# in; OV_PID is a process chrooted there (for `ov`). The .deb is copied in.
overlay_setup() {
	OV=$BATS_TEST_TMPDIR/ov
	local pidfile=$BATS_TEST_TMPDIR/ov.pid
	mkdir -m 0755 "$OV"
	# shellcheck disable=SC2016
	unshare --mount --net --fork --propagation private sh -c '
		set -e
		mount -t tmpfs -o mode=0755 npte-overlay "$1"
		mkdir -m 0755 "$1/upper" "$1/work" "$1/root"
		mount -t overlay npte-overlay -o "lowerdir=/,upperdir=$1/upper,workdir=$1/work" "$1/root"
		mount -t proc proc "$1/root/proc"
		mount -t sysfs sysfs "$1/root/sys"
		mount --rbind /dev "$1/root/dev"
		mount -t tmpfs -o mode=0755 npte-run "$1/root/run"
		mount -t tmpfs -o mode=1777 npte-tmp "$1/root/tmp"
		cp "$3" "$1/root/tmp/npte.deb"
		ip link set lo up
		echo $$ >"$2"
		exec chroot "$1/root" sleep 3600' sh "$OV" "$pidfile" "$DEB" 3>&- &
	for _ in $(seq 100); do [ -s "$pidfile" ] && break; sleep 0.05; done
	[ -s "$pidfile" ] || skip "cannot mount an overlay of / in a mount namespace"
	OV_PID=$(cat "$pidfile")
}

# ov CMD...: CMD as root in the overlay (its namespaces and root), with a plain environment.
ov() {
	nsenter -t "$OV_PID" -m -n -r -w -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}

# ov_as USER CMD...: CMD as npte-USER through sudo -n, in the overlay.
ov_as() {
	local u=$1
	shift
	ov runuser -u "npte-$u" -- sudo -n "$@" </dev/null
}

# npte_left: what of npte the overlay has gained: every path with npte in its
# name in the upper layer (deletions of the host's own files, whiteouts, aside).
npte_left() {
	nsenter -t "$OV_PID" -m -- find "$OV/upper" -name '*npte*' ! -type c | sed "s|^$OV/upper||"
}

@test "dpkg -i in an overlay of the host: the group made, a lab through the packaged rule, purge leaves no file or rule" {
	getent passwd npte-alice >/dev/null || skip "needs the account npte-alice (stage_install)"
	local host
	host=$(dpkg-query -W -f='${db:Status-Abbrev}' npte 2>/dev/null) || true
	overlay_setup
	# the overlay's root, not the host's, is what dpkg changes
	[ "$(ov findmnt -n -o FSTYPE /)" = overlay ]
	# no group npte before: postinst must make it
	! ov getent group npte >/dev/null || ov groupdel npte
	[ -z "$(npte_left)" ] || { npte_left; return 1; }
	run ov dpkg -i /tmp/npte.deb
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# the host's dpkg knows nothing new
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' npte 2>/dev/null)" = "$host" ]
	run ov getent group npte
	[[ "$output" == npte:x:*: ]] || { echo "$output"; return 1; }
	[ "$(ov stat -c '%U:%G %a' /etc/sudoers.d/npte /usr/sbin/npte-lab)" = "root:root 440
root:root 755" ]
	ov usermod -aG npte npte-alice
	# the administrator's and alice's npte-doctor find the packaged layout whole
	run ov /usr/sbin/npte-doctor
	[ "$status" -eq 0 ] && [[ "$output" == *"ok    sudo rule: names the installed binaries"* ]] || { echo "$output"; return 1; }
	run ov runuser -u npte-alice -- /usr/sbin/npte-doctor
	[ "$status" -eq 0 ] && [[ "$output" == *"ok    sudo -n reaches npte's rule"* ]] || { echo "$output"; return 1; }
	# alice: a lab created, used (a ping across the router) and destroyed, no password asked
	run ov_as alice /usr/sbin/npte-lab create
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run ov_as alice /usr/sbin/npte-netns list
	[ "$output" = "$(printf 'client\nrouter\nserver')" ] || { echo "$output"; return 1; }
	run ov_as alice /usr/sbin/npte-run client ping -c 1 -W 5 172.16.2.2
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run ov_as alice /usr/sbin/npte-lab destroy
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -z "$(ov ip netns list)" ]
	# carol, outside the group: the rule does not let her in
	run ov_as carol /usr/sbin/npte-netns list
	[ "$status" -ne 0 ]
	run ov dpkg --purge npte
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run npte_left
	[ -z "$output" ] || { echo "left after purge: $output"; return 1; }
	run ov dpkg-query -W -f='${db:Status-Abbrev}' npte
	[[ "$output" != ii* ]]
	run ov_as alice /usr/sbin/npte-netns list
	[ "$status" -ne 0 ]
	# alice is in the group: it stays
	run ov getent group npte
	[[ "$output" == npte:x:*:npte-alice ]] || { echo "$output"; return 1; }
	# with no member left, a purge takes it
	ov gpasswd -d npte-alice npte >/dev/null
	ov dpkg -i /tmp/npte.deb >/dev/null
	ov dpkg --purge npte >/dev/null
	run ov getent group npte
	[ "$status" -ne 0 ] || { echo "group npte stays with no member: $output"; return 1; }
}

@test "postinst refuses a rule visudo rejects: configure fails, sudo never reads it" {
	overlay_setup
	local x=$BATS_TEST_TMPDIR/x
	# the package as built, with its rule broken
	dpkg-deb -R "$DEB" "$x"
	echo "%npte ALL=(root) NOPASSWD: broken," >>"$x/etc/sudoers.d/npte"
	sed -i '/etc\/sudoers.d\/npte/d' "$x/DEBIAN/md5sums"
	dpkg-deb -b "$x" "$BATS_TEST_TMPDIR/bad.deb" >/dev/null
	nsenter -t "$OV_PID" -m -- cp "$BATS_TEST_TMPDIR/bad.deb" "$OV/root/tmp/bad.deb"
	run ov dpkg -i /tmp/bad.deb
	[ "$status" -ne 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"visudo rejects /etc/sudoers.d/npte"* ]] || { echo "$output"; return 1; }
	[ "$(ov dpkg-query -W -f='${db:Status-Abbrev}' npte)" = "iF " ]
	run ov test -e /etc/sudoers.d/npte
	[ "$status" -ne 0 ]
	# sudo still works for everyone else (a bad file in sudoers.d would stop it)
	ov sudo -n true
	ov dpkg --purge npte >/dev/null
	run npte_left
	[ -z "$output" ] || { echo "left after purge: $output"; return 1; }
}

@test "dpkg -r with a user's namespaces left: prerm says how many and how to clear them, and destroys none" {
	getent passwd npte-alice >/dev/null || skip "needs the account npte-alice (stage_install)"
	overlay_setup
	ov dpkg -i /tmp/npte.deb >/dev/null
	run ov_as alice /usr/sbin/npte-netns create keep
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run ov dpkg -r npte
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"npte: 1 namespace(s) made with npte remain (each user: sudo npte-netns destroy --all"* ]] ||
		{ echo "$output"; return 1; }
	[ "$(ov ip netns list | cut -d' ' -f1)" = keep ]
	run ov test -e /usr/sbin/npte-netns
	[ "$status" -ne 0 ]
	ov ip netns del keep
	ov dpkg --purge npte >/dev/null
}

@test "the package's completion: bash-completion loads it for each binary by name" {
	overlay_setup
	ov dpkg -i /tmp/npte.deb >/dev/null
	[ -f /usr/share/bash-completion/bash_completion ] || skip "needs bash-completion (make deps installs it)"
	local b
	for b in "$TOP"/bin/*.c; do
		b=${b##*/} b=${b%.c}
		run ov bash -c '. /usr/share/bash-completion/bash_completion; _completion_loader "$1"; complete -p "$1"' sh "$b"
		[ "$output" = "complete -F _npte $b" ] || { echo "$b: $output"; return 1; }
	done
	# and it reads the installed binary's verbs
	run ov bash -c '. /usr/share/bash-completion/completions/npte; COMP_WORDS=(npte-netns ""); COMP_CWORD=1; _npte; echo "${COMPREPLY[*]}"'
	[ "$output" = "create destroy list show gc -h --help --version" ] || { echo "$output"; return 1; }
}
