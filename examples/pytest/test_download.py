"""An HTTP download through a shaped link finishes within a bound."""
import os

import pytest

pytestmark = pytest.mark.requires("tbf", "python3", "curl")


@pytest.fixture
def blob(npte_lab, tmp_path):
    """2 MB served over HTTP by the server (172.16.2.2), as you."""
    (tmp_path / "blob").write_bytes(os.urandom(2_000_000))
    npte_lab.run_bg("server", "python3", "-m", "http.server", "--bind", "172.16.2.2",
                    "--directory", tmp_path, "8000")
    npte_lab.wait_port("server", 8000)
    return "http://172.16.2.2:8000/blob"


def fetch(npte_run, url):
    cp = npte_run("client", "curl", "-sS", "--max-time", "60", "-o", "/dev/null",
                  "-w", "%{time_total} %{size_download}", url, check=True)
    t, size = cp.stdout.split()
    return float(t), int(size)


def test_shaped_download_within_bound(npte_lab, npte_run, blob):
    npte_lab.shape("router", "if-client", "rate", "10mbit", "burst", "32k", "latency", "100ms", kind="tbf")
    t, size = fetch(npte_run, blob)
    assert size == 2_000_000
    # 16 Mbit at 10 Mbit/s is 1.6 s at best
    assert 1.2 <= t <= 10, f"took {t} s\n{npte_lab.applied()}"


def test_unshaped_download_is_faster(npte_run, blob):
    t, size = fetch(npte_run, blob)
    assert size == 2_000_000
    assert t < 1.2


@pytest.mark.requires("iperf3")
def test_uplink_throughput(npte_lab):
    npte_lab.shape("router", "if-server", "rate", "20mbit", "burst", "32k", "latency", "50ms", kind="tbf")
    npte_lab.assert_throughput("client", "server", "172.16.2.2", 12, 21)
