"""Run by bats/testlib.bats as a user: a test that fails on purpose, with a
server in the background and a shaped link; the assertion's message must
show what was measured and what was applied."""


def test_fails_on_purpose(npte_lab):
    npte_lab.run_bg("server", "sleep", "600")
    npte_lab.shape("router", "if-server", "rate", "10mbit", "burst", "32k", "latency", "50ms", kind="tbf")
    npte_lab.assert_rtt("client", "172.16.2.2", 500, 600)
