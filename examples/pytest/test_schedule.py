"""A transfer across a schedule step: the link goes from 2 to 100 Mbit/s a
second into the schedule, in place, and a download that would take 16 s at
2 Mbit/s finishes in a few."""
import os

import pytest

pytestmark = pytest.mark.requires("tbf", "python3", "curl")

# tbf words, where the kernel has no netem; every knob on every step
STEPS = """\
0    rate 2mbit burst 32k latency 400ms
1s   rate 100mbit burst 64k latency 400ms
60s  end
"""


def test_download_across_a_step(npte_lab, npte_run, tmp_path):
    data = os.urandom(4_000_000)
    (tmp_path / "blob").write_bytes(data)
    (tmp_path / "step.sched").write_text(STEPS)
    npte_lab.run_bg("server", "python3", "-m", "http.server", "--bind", "172.16.2.2",
                    "--directory", tmp_path, "8000")
    npte_lab.wait_port("server", 8000)
    npte_lab.play("router", "if-client", tmp_path / "step.sched")
    cp = npte_run("client", "curl", "-sS", "--max-time", "60", "-o", tmp_path / "got",
                  "-w", "%{time_total}", "http://172.16.2.2:8000/blob", check=True)
    assert (tmp_path / "got").read_bytes() == data
    # 32 Mbit: 16 s at 2 Mbit/s throughout; with the step, a second and a bit
    assert float(cp.stdout) <= 10, f"took {cp.stdout} s\n{npte_lab.applied()}"
    assert "tbf rate 100mbit" in npte_lab.applied()
