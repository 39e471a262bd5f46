#!/usr/bin/env bats
# README's Install section, as a newcomer follows it without the package
# (bats/deb.bats builds and installs that): `make` as an ordinary user in a
# tree of theirs, then `make install` and `make uninstall` as root (into a
# DESTDIR, so the host's /usr/local is left alone).

load sandbox

setup_file() { stage_install; }

setup() {
	getent passwd npte-carol >/dev/null || skip "needs the account npte-carol (stage_install)"
	T=$(mktemp -d /tmp/npte-install.XXXXXX)
	# a copy of the sources, owned by the ordinary user who builds them
	tar -C "$BATS_TEST_DIRNAME/.." --exclude=./build --exclude=./.git -cf - . | tar -C "$T" -xf -
	chown -R npte-carol "$T"
}

teardown() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

@test "README's Install leads with the package (make deb, apt install of its .deb), then make and sudo make install" {
	local readme=$BATS_TEST_DIRNAME/../README.md block v
	v=$(sed -n 's/^#define NPTE_VERSION "\(.*\)"/\1/p' "$BATS_TEST_DIRNAME/../common/base/err.h")
	# the first sh block of the section: the package, named as make deb names it
	block=$(awk '/^## Install/{f=1; next} f && /^```sh/{g=1; next} g && /^```/{exit} g' "$readme")
	[ "$(sed -n 1p <<<"$block" | awk '{print $1, $2}')" = "make deb" ] || { echo "$block"; return 1; }
	[[ "$(sed -n 2p <<<"$block" | awk '{print $1, $2, $3, $4}')" == "sudo apt install ./build/npte_${v}_"*.deb ]] ||
		{ echo "$block"; return 1; }
	# the second: from the checkout
	block=$(awk '/^## Install/{f=1; next} f && /^```sh/{n++; if (n == 2) g=1; next} g && /^```/{exit} g' "$readme")
	[ "$(sed -n 1p <<<"$block" | awk '{print $1}')" = make ] || { echo "$block"; return 1; }
	[ "$(sed -n 2p <<<"$block" | awk '{print $1, $2, $3}')" = "sudo make install" ] || { echo "$block"; return 1; }
}

@test "make as an ordinary user that lacks a build package names it and compiles nothing" {
	run runuser -u npte-carol -- make -C "$T" BUILD_PKGS="gcc npte-no-such-pkg" all
	[ "$status" -ne 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"missing Debian packages: npte-no-such-pkg (as root, \`make deps\` installs them)"* ]] ||
		{ echo "$output"; return 1; }
	[[ "$output" != *gcc\ * && "$output" != *"  CC "* ]] || { echo "$output"; return 1; }
	[ ! -e "$T/build/common" ]
}

@test "make as an ordinary user builds every binary; install then uninstall leaves no file" {
	local d=$T/dest n
	run runuser -u npte-carol -- make -s -C "$T" -j2 all
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	n=$(find "$T/build/bin" -maxdepth 1 -name 'npte-*' -user npte-carol -type f | wc -l)
	[ "$n" -eq "$(find "$T/bin" -name "*.c" | wc -l)" ] || { ls -l "$T/build/bin"; return 1; }
	run make -s -C "$T" install DESTDIR="$d"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -x "$d/usr/local/sbin/npte-lab" ] && [ -f "$d/etc/sudoers.d/npte" ]
	[ "$(stat -c '%u %a' "$d/usr/local/sbin/npte-lab")" = "0 755" ]
	# issue 24: the topology page and the shipped lab files, root's and 0644
	[ "$(stat -c '%u %a' "$d/usr/local/share/man/man5/npte-lab.conf.5")" = "0 644" ]
	for n in default dumbbell two-path chain star; do
		[ "$(stat -c '%u %a' "$d/usr/local/share/npte/lab/$n.lab")" = "0 644" ] || { ls -l "$d/usr/local/share/npte/lab"; return 1; }
	done
	# issue 27: the bash completion, and a link to it named after each binary
	[ "$(stat -c '%u %a' "$d/usr/local/share/bash-completion/completions/npte")" = "0 644" ]
	for n in "$T"/bin/*.c; do
		n=${n##*/} n=${n%.c}
		[ "$(readlink "$d/usr/local/share/bash-completion/completions/$n")" = npte ] || { ls -l "$d/usr/local/share/bash-completion/completions"; return 1; }
	done
	grep -q "^_npte_sbin='/usr/local/sbin'" "$d/usr/local/share/bash-completion/completions/npte"
	# issue 26: the test libraries and their page, root's and 0644, naming the installed binaries
	for n in npte/npte.bash npte/python/pytest_npte.py man/man7/npte-testing.7; do
		[ "$(stat -c '%u %a' "$d/usr/local/share/$n")" = "0 644" ] || { ls -lR "$d/usr/local/share"; return 1; }
	done
	grep -qx 'NPTE_SBIN=${NPTE_SBIN:-/usr/local/sbin}' "$d/usr/local/share/npte/npte.bash"
	grep -q '"NPTE_SBIN", "/usr/local/sbin"' "$d/usr/local/share/npte/python/pytest_npte.py"
	run make -s -C "$T" uninstall DESTDIR="$d"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	run find "$d" ! -type d
	[ -z "$output" ] || { echo "left: $output"; return 1; }
}
