"""Run by bats/testlib.bats as a user, and interrupted once the test has
written NPTE_SIGN: in the middle of a long command, with programs of the
user's in the background in two namespaces."""
import os
import pathlib


def test_interrupted_mid_test(npte_lab, npte_run):
    npte_lab.run_bg("server", "python3", "-m", "http.server", "--bind", "172.16.2.2", "8000")
    # a program that left the test's session, as a daemon does
    npte_lab.run_bg("router", "setsid", "sleep", "600")
    npte_lab.wait_port("server", 8000)
    pathlib.Path(os.environ["NPTE_SIGN"]).touch()
    npte_run("client", "sleep", "600")
