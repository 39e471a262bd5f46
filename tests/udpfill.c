/*
 * Test helper: fill a queue with tiny UDP datagrams, then exit.
 *   udpfill ADDR PORT COUNT [SIZE]
 * sends COUNT datagrams of SIZE payload bytes (default 0, the smallest
 * packet an unprivileged user can send) to ADDR:PORT, from as many sockets
 * as it takes: each socket sends until its send buffer is full (EAGAIN),
 * then is closed and a new one opened, so no socket buffer bounds what a
 * qdisc ends up holding. Prints the number sent. IPv4 only.
 *
 * Give it a broadcast ADDR (127.255.255.255 on lo): a datagram to a closed
 * unicast port makes the kernel send an ICMP port unreachable, and those
 * queue behind the same slow qdisc, charged to the kernel's per-CPU ICMP
 * socket that every namespace shares; once it holds its send buffer, no
 * namespace on that CPU can send an IPv4 ICMP message (an echo reply among
 * them) until the queue drains. No error is sent for a broadcast.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char payload[65507];
	struct sockaddr_in to = {.sin_family = AF_INET};
	unsigned long count, size = 0, sent = 0, sockets = 0;

	if (argc < 4 || argc > 5 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: udpfill ADDR PORT COUNT [SIZE]\n");
		return 2;
	}
	to.sin_port = htons((unsigned short)strtoul(argv[2], NULL, 10));
	count = strtoul(argv[3], NULL, 10);
	if (argc == 5 && (size = strtoul(argv[4], NULL, 10)) > sizeof payload)
		return 2;
	while (sent < count) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

		if (fd < 0) {
			perror("udpfill: socket");
			return 1;
		}
		sockets++;
		if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &(int){1}, sizeof(int)) < 0) {
			perror("udpfill: SO_BROADCAST");
			return 1;
		}
		while (sent < count) {
			if (sendto(fd, payload, size, 0, (struct sockaddr *)&to, sizeof to) < 0) {
				if (errno == EAGAIN || errno == ENOBUFS)
					break;
				perror("udpfill: sendto");
				return 1;
			}
			sent++;
		}
		close(fd);
	}
	printf("%lu datagrams from %lu sockets\n", sent, sockets);
	return 0;
}
