#!/usr/bin/env python3
"""chain-mininet.py FILE: build the chain of bench/chain.sh's FILE with Mininet
(hosts on direct links, no switch, no controller: no OVS), the same addresses,
forwarding and routes; print "build_us teardown_us" on stdout. Run only inside
tests/sandbox, as root, so Mininet's hosts and links are the sandbox's."""
import sys
import time

from mininet.net import Mininet
from mininet.log import setLogLevel


def parse(path):
    nodes, links, routes = [], [], []
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "node":
                nodes.append((w[1], "forward" in w[2:]))
            elif w[0] == "link":
                links.append(tuple(w[1:5]))
            elif w[0] == "route":
                routes.append((w[1], w[2], w[4]))
    return nodes, links, routes


def main():
    setLogLevel("error")
    nodes, links, routes = parse(sys.argv[1])
    t0 = time.monotonic()
    # no controller, no switch: build() makes only hosts and veth links
    net = Mininet(topo=None, controller=None, build=False, autoSetMacs=False)
    hosts = {name: net.addHost(name, ip=None) for name, _ in nodes}
    for a, b, aa, ba in links:
        # interface names as npte names them: if-<peer>
        net.addLink(hosts[a], hosts[b], intfName1="if-" + b, intfName2="if-" + a)
    net.build()
    for a, b, aa, ba in links:
        hosts[a].cmd("ip addr add %s dev if-%s" % (aa, b))
        hosts[b].cmd("ip addr add %s dev if-%s" % (ba, a))
    for name, fwd in nodes:
        if fwd:
            hosts[name].cmd("sysctl -qw net.ipv4.ip_forward=1")
    for name, dst, via in routes:
        hosts[name].cmd("ip route add %s via %s" % (dst, via))
    t1 = time.monotonic()
    # a check that the chain carries traffic end to end, inside the sandbox
    # (TTL 255: 254 routers at 256 exceed ping's default of 64)
    last = nodes[-1][0]
    dst = links[-1][3].split("/")[0]
    out = hosts[nodes[0][0]].cmd("ping -c1 -W5 -t255 %s" % dst)
    ok = " 0% packet loss" in out
    t2 = time.monotonic()
    net.stop()
    t3 = time.monotonic()
    print("%d %d %s" % ((t1 - t0) * 1e6, (t3 - t2) * 1e6, "ok" if ok else "noping:" + last))


if __name__ == "__main__":
    main()
