"""A client survives 10% loss, and a delay shows in the round trip: netem,
which some kernels lack (these tests then skip, saying so)."""
import hashlib
import os

import pytest

pytestmark = pytest.mark.requires("netem", "python3", "curl")


def test_download_through_loss_arrives_intact(npte_lab, npte_run, tmp_path):
    data = os.urandom(1_000_000)
    (tmp_path / "blob").write_bytes(data)
    npte_lab.run_bg("server", "python3", "-m", "http.server", "--bind", "172.16.2.2",
                    "--directory", tmp_path, "8000")
    npte_lab.wait_port("server", 8000)
    npte_lab.shape("router", "if-client", "loss", "10%")
    npte_lab.shape("router", "if-server", "loss", "10%")
    cp = npte_run("client", "sh", "-c", "curl -sS --max-time 120 http://172.16.2.2:8000/blob | sha256sum",
                  check=True)
    assert cp.stdout.split()[0] == hashlib.sha256(data).hexdigest()


def test_delay_is_the_round_trip(npte_lab):
    npte_lab.shape("router", "if-client", "delay", "20ms")
    npte_lab.shape("router", "if-server", "delay", "20ms")
    npte_lab.assert_rtt("client", "172.16.2.2", 38, 80)
