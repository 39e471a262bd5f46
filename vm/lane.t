#!/usr/bin/perl
# The VM lane, as one TAP producer for prove: boots Debian 12's own kernel
# (build/vm/kernel, with netem, tbf and cake as modules) under qemu with the
# initramfs vm/mkinitramfs.sh made (build/vm/initrd.cpio), with no network
# device, once; vm/init runs the suites in NPTE_VM_SUITES (bats files,
# relative to the tree) and writes their TAP to the serial console behind
# markers; this relays every inner test as one TAP line of its own, named
# "SUITE: test". The VM dying, a timeout, a module that would not load or a
# suite reporting fewer tests than its plan are failures. Where qemu or the
# image is missing, or qemu cannot start the VM at all, it is one skip with
# the reason (a kernel or /init that dies after starting is a failure). KVM
# is used only when a probe boot under it succeeds (NPTE_VM_KVM=0: no probe).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Time::HiRes qw(time);

$| = 1;
my $top = dirname(dirname(abs_path($0)));
my $vm = "$top/build/vm";
# SUITE+SUITE: side by side in the VM (see vm/init)
my @groups = split ' ', ($ENV{NPTE_VM_SUITES} // 'vm/live.bats');
my @suites = map { split /\+/ } @groups;
my $limit = $ENV{NPTE_VM_TIMEOUT} // 1500;
my $smp = $ENV{NPTE_VM_SMP} // 2;
my $n = 0;

sub skip_lane {
	print "1..1\nok 1 # skip VM lane: $_[0]\n";
	exit 0;
}

sub which {
	for my $d (split /:/, $ENV{PATH} // '') {
		return "$d/$_[0]" if -x "$d/$_[0]";
	}
	return;
}

my $qemu = which('qemu-system-x86_64') or skip_lane('qemu-system-x86_64 is not installed (make vm-deps)');
my ($kernel) = glob "$vm/kernel/boot/vmlinuz-*";
$kernel or skip_lane('no kernel in build/vm (make vm-image fetches it)');
my $initrd = "$vm/initrd.cpio";
-s $initrd or skip_lane('no initramfs build/vm/initrd.cpio (make vm-image)');

# qemu ARGS: the command line of one boot with kernel arguments ARGS.
sub qemu {
	my ($accel, $secs, $append) = @_;
	my @cpu = $accel eq 'kvm' ? qw(-accel kvm -cpu host) : qw(-accel tcg -cpu max);
	return ('timeout', '-k', '5', $secs, $qemu, @cpu, '-m', '1024', '-smp', $smp,
		'-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-nic', 'none',
		'-no-reboot', '-kernel', $kernel, '-initrd', $initrd,
		'-append', "console=ttyS0 quiet loglevel=1 panic=-1 $append");
}

# boot ACCEL SECS ARGS: a read handle on the serial console (and qemu's
# stderr) of one boot.
sub boot {
	my @cmd = qemu(@_);
	my $pid = open(my $fh, '-|') // skip_lane("cannot fork: $!");
	if (!$pid) {
		open(STDIN, '<', '/dev/null') && open(STDERR, '>&', \*STDOUT) or die "redirect: $!\n";
		exec(@cmd) or die "cannot run $cmd[4]: $!\n";
	}
	return $fh;
}

# KVM when a probe boot reaches /init under it (nested KVM may hang or
# abort). The verdict is kept in build/vm/accel (remove it to probe again).
my $accel = 'tcg';
my $why = -w '/dev/kvm' ? 'NPTE_VM_KVM=0' : 'no /dev/kvm';
if (-w '/dev/kvm' && ($ENV{NPTE_VM_KVM} // 1)) {
	if (open(my $f, '<', "$vm/accel")) {
		chomp(my $v = <$f> // '');
		($accel, $why) = split /\t/, $v, 2;
		$why = ($why // '') . ' (kept in build/vm/accel)';
	} else {
		my $t0 = time;
		my $p = boot('kvm', 8, 'npte.probe=1');
		my $out = do { local $/; <$p> // '' };
		close $p;
		if ($out =~ /\@\@npte-vm probe /) {
			($accel, $why) = ('kvm', 'the probe boot worked');
		} else {
			$why = sprintf 'KVM probe boot failed in %.0f s', time - $t0;
		}
		if (open(my $w, '>', "$vm/accel")) {
			print $w "$accel\t$why\n";
			close $w;
		}
	}
	$accel = 'tcg' unless $accel eq 'kvm';
}
print "# VM lane: $accel" . ($accel eq 'tcg' ? " ($why)" : '') . ", $smp vCPUs, suites: @suites\n";

my $t0 = time;
my $con = boot($accel, $limit, 'npte.suites=' . join(',', @groups));
my (%plan, %seen, %ended, $booted, $done, @tail, $console);
while (my $l = <$con>) {
	$l =~ s/\r//g;
	$l =~ s/\e\[[0-9;?]*[A-Za-z]//g;
	chomp $l;
	$console = 1 if $l =~ /\S/ && $l !~ /^qemu-system-x86_64: |^timeout: /;
	push @tail, $l;
	shift @tail if @tail > 15;
	if ($l =~ /\@\@npte-tap (\S+)\@\@ ?(.*)$/) {
		my ($s, $t) = ($1, $2);
		if ($t =~ /^1\.\.(\d+)/) {
			$plan{$s} = $1;
		} elsif ($t =~ /^(not ok|ok)\b\s*\d*\s*-?\s*(.*)$/) {
			$seen{$s}++;
			printf "%s %d - %s: %s\n", $1, ++$n, $s, $2;
		} elsif ($t =~ /^#/) {
			print "$t\n";
		} else {
			print "# $s: $t\n";
		}
	} elsif ($l =~ /\@\@npte-vm kernel (.*?)\@\@/) {
		$booted = 1;
		print "# VM up after " . sprintf('%.1f', time - $t0) . " s: kernel $1\n";
	} elsif ($l =~ /\@\@npte-vm insmod-failed (\S+)\@\@/) {
		printf "not ok %d - VM: insmod %s\n", ++$n, $1;
	} elsif ($l =~ /\@\@npte-vm end (\S+) (\d+) (\d+)\@\@/) {
		my ($s, $rc, $secs) = ($1, $2, $3);
		$ended{$s} = 1;
		my $got = $seen{$s} // 0;
		my $want = $plan{$s} // -1;
		print "# $s: $got tests in $secs s (bats exit $rc)\n";
		printf "not ok %d - %s: reported %d of %s tests\n", ++$n, $s, $got, $want < 0 ? 'no plan' : $want
			if $got != $want || $want <= 0;
	} elsif ($l =~ /\@\@npte-vm done\@\@/) {
		$done = 1;
	}
}
close $con;
my $rc = $? >> 8;
my $wall = time - $t0;
# qemu itself refused (no console output at all): the lane cannot run here
if (!$booted && !$n && !$console) {
	skip_lane("qemu could not start the VM ($accel, exit $rc): " . join(' | ', grep { /\S/ } @tail));
}
for my $s (@suites) {
	printf "not ok %d - %s: never finished (VM ended or timed out)\n", ++$n, $s unless $ended{$s};
}
if (!$done) {
	printf "not ok %d - VM: no end marker (qemu exit %d%s)\n", ++$n, $rc,
		$rc == 124 ? ", timed out after $limit s" : '';
	print "# $_\n" for grep { defined } @tail;
}
printf "# VM lane: %.0f s from qemu start to power-off\n", $wall;
print "1..$n\n";
