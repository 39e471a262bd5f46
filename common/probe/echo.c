/* RTT by UDP echo (see probe.h): the server and the client, both run as the
 * caller, and the statistics of what the client saw. */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "priv/asuser.h"
#include "probe/probe.h"

#define ECHO_MAGIC 0x6e707465u /* "npte" */

struct echo_pkt {
	uint32_t magic, seq;
	int64_t t_ns;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A UDP socket of the family on an ephemeral port; its port in *port. */
static int udp_bound(int family, uint16_t *port)
{
	struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
	socklen_t len = sizeof ss;
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -1;
	if (family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &(int){0}, sizeof(int));
	if (bind(s, (struct sockaddr *)&ss, family == AF_INET6 ? sizeof(struct sockaddr_in6)
							      : sizeof(struct sockaddr_in)) < 0 ||
	    getsockname(s, (struct sockaddr *)&ss, &len) < 0) {
		close(s);
		return -1;
	}
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return s;
}

void echo_server(void *arg)
{
	char buf[2048];
	uint16_t port = 0;
	/* dual-stack where the namespace has IPv6, else IPv4 alone */
	int s = udp_bound(AF_INET6, &port);

	(void)arg;
	if (s < 0)
		s = udp_bound(AF_INET, &port);
	if (s < 0 || !caller_write_all(3, &port, sizeof port))
		_exit(1);
	close(3);
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t got = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);

		if (got > 0)
			sendto(s, buf, (size_t)got, 0, (struct sockaddr *)&from, flen);
	}
}

static socklen_t sockaddr_of(const struct ipaddr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET, s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->a, 4);
		return sizeof *s4;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6, s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->a, 16);
	return sizeof *s6;
}

static struct echo_run run; /* the client's records (one client a process) */

/* One answer: its probe's RTT, or a copy, or a late one. */
static void answer(const struct echo_pkt *pk, int64_t now, uint32_t *highest)
{
	struct echo_rec *r;

	if (pk->magic != ECHO_MAGIC || pk->seq >= run.n)
		return;
	r = &run.r[pk->seq];
	if (r->copies++ == 0)
		r->rtt_ns = now - r->t_ns;
	if (pk->seq < *highest)
		r->late = 1;
	else
		*highest = pk->seq;
}

static void receive(int s, int64_t t0, uint32_t *highest)
{
	struct echo_pkt pk;
	ssize_t got;

	while ((got = recv(s, &pk, sizeof pk, MSG_DONTWAIT)) == (ssize_t)sizeof pk)
		answer(&pk, now_ns() - t0, highest);
}

/* Probe until fd 4 ends, then until grace_ns more has passed. */
static void probe_loop(int s, const struct echo_client *c)
{
	int64_t next = now_ns() - c->t0_ns, stop_at = INT64_MAX;
	uint32_t highest = 0;

	for (;;) {
		int64_t now = now_ns() - c->t0_ns, until = stop_at < INT64_MAX ? stop_at : next;
		struct pollfd pf[2] = {{.fd = s, .events = POLLIN}, {.fd = 4, .events = POLLIN}};
		int ms = until > now ? (int)((until - now) / 1000000) + 1 : 0;

		if (stop_at < INT64_MAX && now >= stop_at)
			return;
		if (stop_at == INT64_MAX && now >= next && run.n < PROBE_MAX) {
			struct echo_pkt pk = {.magic = ECHO_MAGIC, .seq = run.n, .t_ns = now};

			run.r[run.n++] = (struct echo_rec){.t_ns = now, .rtt_ns = -1};
			send(s, &pk, sizeof pk, 0);
			next += PROBE_INTERVAL_MS * 1000000LL;
			continue;
		}
		if (poll(pf, stop_at < INT64_MAX ? 1 : 2, ms) < 0 && errno != EINTR)
			return;
		if (pf[0].revents & POLLIN)
			receive(s, c->t0_ns, &highest);
		/* the end: answers still on their way get two seconds */
		if (stop_at == INT64_MAX && (pf[1].revents & (POLLIN | POLLHUP)))
			stop_at = now + 2000000000LL;
	}
}

static int cmp_i64(const void *a, const void *b);

/* The median round trip of CAL_N probes to 127.0.0.1:port, PROBE_INTERVAL_MS
 * apart as the real ones are (an idle CPU's wake-up is part of what a
 * probe costs), each given a second. */
#define CAL_N 25
static int64_t calibrate(uint16_t port)
{
	struct ipaddr lo = {.family = AF_INET, .a = {127, 0, 0, 1}};
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(&lo, port, &ss);
	int64_t v[CAL_N];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), n = 0;

	if (s < 0 || connect(s, (struct sockaddr *)&ss, len) < 0)
		return 0;
	for (uint32_t i = 0; i < CAL_N; i++) {
		struct echo_pkt pk = {.magic = ECHO_MAGIC, .seq = i, .t_ns = now_ns()}, back;
		struct pollfd pf = {.fd = s, .events = POLLIN};

		send(s, &pk, sizeof pk, 0);
		while (poll(&pf, 1, 1000) > 0 && recv(s, &back, sizeof back, 0) == (ssize_t)sizeof back)
			if (back.magic == ECHO_MAGIC && back.seq == i) {
				v[n++] = now_ns() - pk.t_ns;
				break;
			}
		poll(NULL, 0, PROBE_INTERVAL_MS);
	}
	close(s);
	if (!n)
		return 0;
	qsort(v, (size_t)n, sizeof v[0], cmp_i64);
	return v[n / 2];
}

void echo_client(void *arg)
{
	const struct echo_client *c = arg;
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(&c->dst, c->port, &ss);
	int s = socket(c->dst.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&ss, len) < 0)
		_exit(1);
	if (c->cal_port)
		run.base_ns = calibrate(c->cal_port);
	/* the sign that the probes start: the idle phase is timed from it */
	if (!caller_write_all(3, &run.base_ns, sizeof run.base_ns))
		_exit(1);
	probe_loop(s, c);
	if (!caller_write_all(3, &run.n, sizeof run.n) ||
	    !caller_write_all(3, run.r, run.n * sizeof run.r[0]))
		_exit(1);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of n sorted values (nearest rank), in ms. */
static double quant(const int64_t *v, unsigned n, double q)
{
	unsigned k = (unsigned)ceil(q * n - 1e-9);

	k = k ? k - 1 : 0;
	return (double)v[k < n ? k : n - 1] / 1e6;
}

void rtt_stats(const struct echo_run *e, int64_t from_ns, int64_t to_ns, struct rtt_stats *s)
{
	static int64_t v[PROBE_MAX];

	memset(s, 0, sizeof *s);
	for (uint32_t i = 0; i < e->n; i++) {
		const struct echo_rec *r = &e->r[i];

		if (r->t_ns < from_ns || r->t_ns >= to_ns)
			continue;
		s->sent++;
		if (r->rtt_ns < 0) {
			s->lost++;
			continue;
		}
		v[s->got++] = r->rtt_ns;
		s->dups += r->copies - 1;
		s->reordered += r->late;
	}
	s->loss_pct = s->sent ? 100.0 * s->lost / s->sent : 0;
	if (!s->got)
		return;
	qsort(v, s->got, sizeof v[0], cmp_i64);
	s->min = quant(v, s->got, 0), s->median = quant(v, s->got, 0.5), s->p90 = quant(v, s->got, 0.9);
	s->p99 = quant(v, s->got, 0.99), s->max = (double)v[s->got - 1] / 1e6;
}
