"""pytest_npte: npte for a user's own pytest suites (npte-testing(7)).

Load it with ``pytest -p pytest_npte`` (PYTHONPATH=/usr/local/share/npte/python)
or ``pytest_plugins = ["pytest_npte"]`` in conftest.py. It gives

- the fixture ``npte_lab``: this test's own lab, under a prefix of its own (so
  tests never collide, also under pytest-xdist), brought up from the file the
  marker ``npte_lab(FILE)`` or ``npte_lab(profile=NAME)`` names (default: the
  built-in client/router/server lab), torn down after the test whether it
  passed, failed or was interrupted; a run that died before its teardown is
  cleaned up by the next one, as npte.bash does (the same records);
- the fixture ``npte_run``: ``npte_run(NODE, *CMD)`` in that lab;
- the marker ``requires(FEATURE, ...)``: skip, with the reason, where this
  host cannot (npte-doctor --require, whose exit 69 means "cannot here", or
  a command that is not installed).

Everything goes through ``sudo -n`` and npte's rule: the test process needs
no privilege.
"""

import os
import secrets
import shutil
import string
import subprocess
import tempfile
import time

import pytest

SBIN = os.environ.get("NPTE_SBIN", "@SBINDIR@")
SUDO = os.environ.get("NPTE_SUDO", "sudo -n").split()
PREFIX_LEN = int(os.environ.get("NPTE_PREFIX_LEN", "5"))
FEATURES = ("netns", "veth", "tbf", "netem", "cake", "ipv6", "ping", "ping6")
NO_QDISC = "this kernel has no sch_"


class NpteError(AssertionError):
    """An npte command failed, or an assertion on the lab did not hold."""


def npte(binary, *args, check=True, timeout=120, **kw):
    """An npte binary through sudo; its CompletedProcess (text)."""
    cp = subprocess.run(SUDO + [os.path.join(SBIN, binary), *map(str, args)],
                        capture_output=True, text=True, timeout=timeout,
                        stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
    if check and cp.returncode != 0:
        if NO_QDISC in cp.stderr:
            pytest.skip("this kernel" + cp.stderr.split("this kernel", 1)[1].strip())
        raise NpteError(f"{binary} {' '.join(map(str, args))}: exit {cp.returncode}: {cp.stderr.strip()}")
    return cp


def state_dir():
    """This user's record folder, shared with npte.bash: 0700 and its own."""
    default = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), f"npte-tests-{os.getuid()}")
    d = os.environ.get("NPTE_STATE_DIR", default)
    try:
        os.mkdir(d, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(d)
    if not os.path.isdir(d) or os.path.islink(d) or st.st_uid != os.getuid() or st.st_mode & 0o777 != 0o700:
        raise NpteError(f"{d} is not a folder of mode 0700 of uid {os.getuid()}; set NPTE_STATE_DIR")
    return d


def started(pid):
    """PID's start time in clock ticks since boot, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # a zombie has ended: an init that never reaps must not keep it alive
        return None if fields[0] == "Z" else fields[19]
    except (OSError, IndexError):
        return None


def reap():
    """Destroy the labs of this user's tests whose test process is gone; a
    record is "PID START PIDNS", as npte.bash writes it."""
    d = state_dir()
    ns = os.readlink("/proc/self/ns/pid")
    for prefix in os.listdir(d):
        path = os.path.join(d, prefix)
        try:
            with open(path) as f:
                pid, start, pidns = f.read().split()
        except (OSError, ValueError):
            continue
        # a pid of another pid namespace (a container) cannot be judged from here
        if pidns != ns or started(pid) == start:
            continue
        npte("npte-netns", "destroy", "--kill", "--prefix", prefix)
        os.unlink(path)


def claim():
    """A fresh prefix, recorded with this process before anything is made."""
    d = state_dir()
    me = os.getpid()
    alphabet = string.ascii_lowercase + string.digits
    for _ in range(8):
        prefix = "t" + "".join(secrets.choice(alphabet) for _ in range(PREFIX_LEN - 1))
        try:
            fd = os.open(os.path.join(d, prefix), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{me} {started(me)} {os.readlink('/proc/self/ns/pid')}\n")
        return prefix, os.path.join(d, prefix)
    raise NpteError(f"no free prefix in {d}")


def within(x, lo, hi):
    return x is not None and lo <= x <= hi


class Lab:
    """One test's lab: its namespaces are PREFIX + each node's name."""

    def __init__(self, tmp):
        self.prefix = None
        self.record = None
        self.tmp = tmp
        self.bg = []

    def up(self, file="default", profile=None):
        reap()
        for _ in range(3):
            self.prefix, self.record = claim()
            cp = npte("npte-lab", "up", "--prefix", self.prefix, file, check=False)
            if cp.returncode == 0:
                break
            os.unlink(self.record)
            self.prefix = self.record = None
            # a name someone else's lab holds now: another prefix
            if cp.returncode != 1 or "File exists" not in cp.stderr:
                break
        if self.prefix is None:
            raise NpteError(f"npte-lab up {file}: {cp.stderr.strip()}")
        if profile:
            npte("npte-lab", "netem", "--prefix", self.prefix, "--profile", profile)
        return self

    def down(self):
        """End the background commands, destroy the lab; safe to repeat."""
        if self.prefix is None:
            return
        for p in self.bg:
            if p.poll() is None:
                p.terminate()  # sudo relays it
        npte("npte-netns", "destroy", "--kill", "--prefix", self.prefix)
        deadline = time.monotonic() + 5
        for p in self.bg:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.bg = []
        if os.path.exists(self.record):
            os.unlink(self.record)
        self.prefix = self.record = None

    def ns(self, node):
        if self.prefix is None:
            raise NpteError("no lab: up() first")
        return self.prefix + node

    def iface(self, name):
        """An interface as the lab file writes it (if-PEER) as it is here."""
        return "if-" + self.prefix + name[3:] if name.startswith("if-") else name

    def run(self, node, *cmd, env=(), check=False, timeout=120, **kw):
        """CMD in NODE as this user (npte-run); its CompletedProcess."""
        opts = [a for kv in env for a in ("-e", kv)]
        cp = npte("npte-run", *opts, self.ns(node), *cmd, check=False, timeout=timeout, **kw)
        if check and cp.returncode != 0:
            raise NpteError(f"{node}: {' '.join(cmd)}: exit {cp.returncode}: {cp.stderr.strip()}")
        return cp

    def run_bg(self, node, *cmd):
        """CMD in NODE in the background, ended at teardown; its Popen, whose
        output (stdout and stderr) is in the file named by its .log."""
        fd, log = tempfile.mkstemp(dir=self.tmp, suffix=".log")
        try:
            p = self._bg(fd, "npte-run", self.ns(node), *cmd)
        finally:
            os.close(fd)
        p.log = log
        return p

    def _bg(self, out, binary, *args):
        """An npte binary in the background, ended at teardown. In a session
        of its own: sudo relays the TERM of teardown only from outside its
        process group (a signal from inside it, sudo takes for the
        terminal's, which the command got too)."""
        p = subprocess.Popen(SUDO + [os.path.join(SBIN, binary), *map(str, args)], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        self.bg.append(p)
        return p

    def wait_port(self, node, port, timeout=10):
        """Wait until something in NODE listens on TCP PORT."""
        hexport = f":{port:04X}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.run(node, "cat", "/proc/net/tcp", "/proc/net/tcp6").stdout
            for line in out.splitlines()[1:]:
                f = line.split()
                if len(f) > 3 and f[3] == "0A" and f[1].endswith(hexport):
                    return
            time.sleep(0.1)
        raise NpteError(f"nothing listens on TCP port {port} in {node} after {timeout}s")

    def shape(self, node, iface, *words, kind="netem"):
        npte("npte-netem", "tbf" if kind == "tbf" else "apply", self.ns(node), self.iface(iface), *words)

    def change(self, node, iface, *words):
        npte("npte-netem", "change", self.ns(node), self.iface(iface), *words)

    def _root(self, ns, dev):
        cp = npte("npte-netem", "show", "--json", ns, dev, check=False)
        return cp.stdout.split('"parent":"root"')[0].rsplit('"handle":', 1)[-1]

    def play(self, node=None, iface=None, schedule=None, profile=None, loop=False):
        """A schedule on NODE's IFACE (or a shipped profile on the built-in
        lab), in the background until teardown; returns once its first step
        is in (the root replaced under a fresh handle)."""
        if profile:
            ns, dev = self.ns("router"), self.iface("if-client")
            cmd = ["npte-lab", "play", "--prefix", self.prefix, "--profile", profile]
        else:
            ns, dev = self.ns(node), self.iface(iface)
            cmd = ["npte-netem", "play", ns, dev, str(schedule)]
        if loop:
            cmd.insert(2, "--loop")
        before = self._root(ns, dev)
        log = open(os.path.join(self.tmp, f"play-{len(self.bg)}.log"), "w+")
        p = self._bg(log, *cmd)
        for _ in range(100):
            if self._root(ns, dev) != before:
                return p
            if p.poll() is not None:
                break
            time.sleep(0.1)
        p.wait()
        log.seek(0)
        text = log.read()
        if NO_QDISC in text:
            pytest.skip("this kernel" + text.split("this kernel", 1)[1].strip())
        raise NpteError(f"{' '.join(cmd)}: the first step did not go in: {text.strip()}")

    def applied(self):
        """What shapes the lab now: one line an interface with a qdisc other
        than the default, "NS DEV: root|parent HANDLE KIND WORDS"."""
        out = []
        for ns in npte("npte-netns", "list").stdout.split():
            if not ns.startswith(self.prefix):
                continue
            q = False
            for line in npte("npte-netns", "show", ns).stdout.splitlines():
                if not line.startswith(" "):
                    q = line == "qdiscs:"
                    continue
                f = line.split()
                if q and len(f) > 3 and f[3] != "noqueue":
                    out.append(f"  {ns} {f[0]}: {' '.join(f[1:])}")
        return "\n".join(out) or "  nothing (no qdisc but the default)"

    def fail(self, what, measured, expected, detail=""):
        raise NpteError(f"{what}: measured {measured}, expected {expected}\napplied:\n{self.applied()}\n{detail}")

    def assert_rtt(self, node, addr, min_ms, max_ms, count=5):
        """The average of COUNT pings from NODE to ADDR is within the bounds,
        every one answered."""
        cp = self.run(node, "ping", "-n", "-q", "-c", count, "-i", "0.2", "-W", "5", addr)
        avg = got = None
        for line in cp.stdout.splitlines():
            if line.startswith("rtt "):
                avg = float(line.split("=")[1].split("/")[1])
            if " received" in line:
                got = int(line.split(",")[1].split()[0])
        if got != count or not within(avg, min_ms, max_ms):
            self.fail(f"assert_rtt {node} -> {addr}", f"{avg} ms average, {got} of {count} replies",
                      f"{min_ms}..{max_ms} ms, {count} of {count} replies", cp.stdout + cp.stderr)

    def assert_throughput(self, client, server, addr, min_mbit, max_mbit, seconds=3, args=(), port=5201):
        """An iperf3 transfer from CLIENT to a server in SERVER at ADDR is
        received at a rate within the bounds (Mbit/s)."""
        if shutil.which("iperf3") is None:
            pytest.skip("needs the command iperf3, which is not installed")
        self.run_bg(server, "iperf3", "-s", "-1", "-p", port)
        self.wait_port(server, port)
        cp = self.run(client, "iperf3", "-c", addr, "-p", port, "-f", "m", "-t", seconds, *args)
        rate = None
        for line in cp.stdout.splitlines():
            f = line.split()
            if f and f[-1] == "receiver" and "Mbits/sec" in f:
                rate = float(f[f.index("Mbits/sec") - 1])
        if not within(rate, min_mbit, max_mbit):
            self.fail(f"assert_throughput {client} -> {server} ({addr})", f"{rate} Mbit/s",
                      f"{min_mbit}..{max_mbit} Mbit/s", cp.stdout + cp.stderr)

    def assert_verdict(self, src, dst, *probe_args):
        """npte-probe measures SRC to DST and judges it against what npte
        applied: holds when it exits 0 and no figure is "off by"."""
        if not os.access(os.path.join(SBIN, "npte-probe"), os.X_OK):
            pytest.skip(f"needs npte-probe, not installed in {SBIN}")
        record = os.path.join(self.tmp, "verdict.json")
        cp = npte("npte-probe", "--json", record, *probe_args, self.ns(src), self.ns(dst), check=False)
        text = cp.stdout + cp.stderr
        if os.path.exists(record):
            with open(record) as f:
                text += f.read()
        if cp.returncode != 0 or "off by" in text:
            self.fail(f"assert_verdict {src} -> {dst}", f"npte-probe exit {cp.returncode}",
                      "exit 0 and every verdict ok", text)


def require(*features):
    """None when this host can do every FEATURE, else the reason it cannot."""
    kernel = [f for f in features if f in FEATURES]
    for f in features:
        if f not in FEATURES and shutil.which(f) is None:
            return f"needs the command {f}, which is not installed"
    if not kernel:
        return None
    cp = subprocess.run([os.path.join(SBIN, "npte-doctor"), "--require", ",".join(kernel)],
                        capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if cp.returncode == 0:
        return None
    if cp.returncode == 69:
        what = [line[len("cannot here: "):].removesuffix(" (--require)")
                for line in cp.stdout.splitlines() if line.startswith("cannot here: ")]
        return f"this kernel cannot do {', '.join(what)} (npte-doctor --require exits 69)"
    raise NpteError(f"npte-doctor --require {','.join(kernel)}: exit {cp.returncode}:\n{cp.stdout}{cp.stderr}")


def pytest_configure(config):
    config.addinivalue_line("markers", "requires(*features): skip unless this host can do them "
                            "(netem, cake, tbf, ipv6, ... or a command)")
    config.addinivalue_line("markers", "npte_lab(file='default', profile=None): the lab of the npte_lab fixture")


def pytest_runtest_setup(item):
    for m in item.iter_markers("requires"):
        reason = require(*m.args)
        if reason:
            pytest.skip(reason)


@pytest.fixture
def npte_lab(request, tmp_path):
    """This test's lab, up before the test and down after it, however it ends."""
    m = request.node.get_closest_marker("npte_lab")
    args, kw = (m.args, m.kwargs) if m else ((), {})
    lab = Lab(str(tmp_path))
    try:
        yield lab.up(*args, **kw)
    finally:
        lab.down()


@pytest.fixture
def npte_run(npte_lab):
    """npte_run(NODE, *CMD, check=False, env=()): CMD in NODE of this test's lab."""
    return npte_lab.run
