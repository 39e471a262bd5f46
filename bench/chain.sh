#!/bin/sh
# chain.sh N: a topology file of a chain of N nodes (client, N-2 routers,
# server) with IPv4 addresses and routes end to end, on stdout: what
# `make bench` brings up with npte-lab up and compares.
set -eu
n=$1
if [ "$n" -lt 3 ] || [ "$n" -gt 256 ]; then echo "chain.sh: N in 3..256" >&2; exit 2; fi
last=$((n - 1))
echo "# a chain of $n nodes (bench/chain.sh)"
i=0
while [ "$i" -le "$last" ]; do
	if [ "$i" = 0 ] || [ "$i" = "$last" ]; then echo "node n$i"; else echo "node n$i forward"; fi
	i=$((i + 1))
done
# link i: n(i) .1 and n(i+1) .2 on 10.(i/256).(i%256).0/24
i=0
while [ "$i" -lt "$last" ]; do
	echo "link n$i n$((i + 1)) 10.$((i / 256)).$((i % 256)).1/24 10.$((i / 256)).$((i % 256)).2/24"
	i=$((i + 1))
done
# every node but the ends: a default route forward (to the server's side),
# and one route back to the client's subnet; the ends: a default route
i=1
while [ "$i" -lt "$last" ]; do
	echo "route n$i default via 10.$((i / 256)).$((i % 256)).2"
	[ "$i" = 1 ] || echo "route n$i 10.0.0.0/24 via 10.$(((i - 1) / 256)).$(((i - 1) % 256)).1"
	i=$((i + 1))
done
echo "route n0 default via 10.0.0.2"
echo "route n$last default via 10.$(((last - 1) / 256)).$(((last - 1) % 256)).1"
