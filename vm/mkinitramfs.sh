#!/bin/sh
# vm/mkinitramfs.sh KERNELDIR OUT: the VM lane's whole root file system as one
# uncompressed initramfs (the cloud kernel has no 9p or virtiofs). It holds
# the host's copies of the tools the tests run (every file of the packages
# below, less documentation, plus each ELF file's libraries as ldd lists
# them), the four modules the kernel lacks built in, the npte tree (the
# build's binaries, the fault build, bats/, vm/, tests/) at /npte, a
# passwd/group with npte-alice, and vm/init as /init. Nothing outside OUT
# and OUT.d is written.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
out=$2
root=$out.d

# Tools of the suites run inside: the shell and coreutils, bats and its
# helpers, iproute2 (ip, tc, ss, netem's distribution tables), the
# namespace tools (unshare, nsenter, mount, flock, runuser), the
# measurement tools, the dry-run's interpreter and linter, and tests/nlwire's perl.
pkgs='bash coreutils util-linux mount iproute2 procps bats bats-support bats-assert
bats-file jq dash shellcheck perl-base iputils-ping iperf3 strace grep sed mawk
findutils diffutils libc-bin busybox netcat-openbsd'
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		{ echo "mkinitramfs: package $p is not installed (make vm-deps)" >&2; exit 1; }
done

rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/tmp" "$root/root" \
	"$root/etc" "$root/var/tmp" "$root/npte"
chmod 1777 "$root/tmp" "$root/var/tmp"

# usr-merged path: /bin/x is /usr/bin/x on the host and in the image
usr() { sed -e 's#^/\(bin\|sbin\|lib\|lib64\)/#/usr/\1/#'; }

list=$out.files
for p in $pkgs; do
	dpkg -L "$p"
done | usr | grep -v -e '^/usr/share/\(doc\|man\|locale\|info\|lintian\|bash-completion\|zsh\)/' \
	-e '^/etc/' -e '^/\(bin\|sbin\|lib\|lib64\)$' | sort -u | while IFS= read -r f; do
	# files and symlinks only: directories come with them
	if [ -L "$f" ] || [ -f "$f" ]; then printf '%s\n' "$f"; fi
done >"$list"

# the libraries of every ELF file (dpkg -L lists the package's own; ldd the rest)
xargs -r -d '\n' sh -c 'for f; do
	case $f in *.so*|/usr/bin/*|/usr/sbin/*|/usr/libexec/*) ;; *) continue ;; esac
	[ -f "$f" ] && ! [ -L "$f" ] || continue
	ldd "$f" 2>/dev/null | awk "/=> \\// { print \$3 } /^\\t\\/lib/ { print \$1 }"
done' sh <"$list" >"$list.libs" || true
for f in "$top"/build/bin/* "$top"/build/fault/bin/*; do
	ldd "$f" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done >>"$list.libs"
# each library as its soname path and as the file it links to
usr <"$list.libs" | sort -u | while IFS= read -r f; do
	printf '%s\n' "$f"
	[ -L "$f" ] && readlink -f "$f" | usr
done | sort -u >>"$list"
sort -u -o "$list" "$list"
cpio --quiet -pdm "$root" <"$list"

# commands Debian names through /etc/alternatives (awk, nc, ...): link them
# straight to the file they resolve to here, when that file came along
for l in /usr/bin/* /usr/sbin/*; do
	case $(readlink "$l") in /etc/alternatives/*) ;; *) continue ;; esac
	t=$(readlink -f "$l" | usr)
	[ -e "$root$t" ] && ! [ -e "$root$l" ] && ln -s "$t" "$root$l"
done
# runuser (the dry-run of npte-run) needs PAM: root may switch without a password
mkdir -p "$root/etc/pam.d" "$root/usr/lib/x86_64-linux-gnu/security"
printf '%s\n' 'auth sufficient pam_rootok.so' 'account required pam_permit.so' \
	'session required pam_permit.so' >"$root/etc/pam.d/runuser"
cp /usr/lib/x86_64-linux-gnu/security/pam_rootok.so /usr/lib/x86_64-linux-gnu/security/pam_permit.so \
	"$root/usr/lib/x86_64-linux-gnu/security/"

# the qdiscs and veth the cloud kernel has only as modules
mkdir -p "$root/modules"
for m in drivers/net/veth net/sched/sch_netem net/sched/sch_tbf net/sched/sch_cake; do
	cp "$kdir"/lib/modules/*/kernel/"$m".ko "$root/modules/"
done

# the npte tree, as the tests find it (TOP/build/bin, TOP/build/fault/bin, TOP/bats)
mkdir -p "$root/npte/build"
cp -a "$top/build/bin" "$root/npte/build/bin"
mkdir -p "$root/npte/build/fault"
cp -a "$top/build/fault/bin" "$root/npte/build/fault/bin"
cp -a "$top/bats" "$top/vm" "$top/tests" "$top/testing" "$root/npte/"
rm -f "$root"/npte/tests/*.c "$root"/npte/tests/*.h
cp -a "$top/GNUmakefile" "$root/npte/"

# root, and npte-alice in group npte for run.bats (same names and ids as stage_install would make)
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
npte-alice:x:990:990::/nonexistent:/bin/sh
npte-bob:x:989:989::/nonexistent:/bin/sh
npte-carol:x:988:988::/nonexistent:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
npte:x:987:npte-alice,npte-bob
npte-alice:x:990:
npte-bob:x:989:
npte-carol:x:988:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
# no network: an empty resolver file, for npte-run to bind /etc/netns/NS/resolv.conf over
: >"$root/etc/resolv.conf"
mkdir -p "$root/etc/netns" "$root/etc/npte"
printf 'npte-vm\n' >"$root/etc/hostname"

install -m 0755 "$top/vm/init" "$root/init"
chmod -R go-w "$root"
chmod 1777 "$root/tmp" "$root/var/tmp"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$root" "$list" "$list.libs"
