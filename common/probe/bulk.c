/* Bulk TCP through libiperf (see probe.h): iperf3's own client and server,
 * in the two namespaces, as the caller. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <iperf_api.h>
#include "priv/asuser.h"
#include "probe/probe.h"

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A TCP port nobody listens on now in this namespace (the kernel's pick).
 * The namespace is the caller's own test bed: a race for it is her own. */
static uint16_t free_port(void)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6};
	socklen_t len = sizeof a;
	int s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (s < 0) {
		struct sockaddr_in b = {.sin_family = AF_INET};

		len = sizeof b;
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && bind(s, (struct sockaddr *)&b, len) == 0 && getsockname(s, (struct sockaddr *)&b, &len) == 0)
			port = ntohs(b.sin_port);
	} else if (bind(s, (struct sockaddr *)&a, len) == 0 && getsockname(s, (struct sockaddr *)&a, &len) == 0) {
		port = ntohs(a.sin6_port);
	}
	if (s >= 0)
		close(s);
	return port;
}

void bulk_server(void *arg)
{
	uint16_t port = free_port();
	struct iperf_test *t;

	(void)arg;
	if (!port || !caller_write_all(3, &port, sizeof port))
		_exit(1);
	close(3);
	for (;;) {
		if (!(t = iperf_new_test()) || iperf_defaults(t) < 0)
			_exit(1);
		iperf_set_test_role(t, 's');
		iperf_set_test_server_port(t, port);
		iperf_set_test_json_output(t, 1);
		iperf_run_server(t);
		iperf_free_test(t);
	}
}

/* One attempt: 0, -1, or -2 when the server is between two tests (not
 * listening, IECONNECT, or busy ending the last one, IEACCESSDENIED). */
static int attempt(const struct bulk_client *c, const char *host, struct bulk_result *r)
{
	struct iperf_test *t = iperf_new_test();
	int rc;

	if (!t || iperf_defaults(t) < 0)
		return snprintf(r->msg, sizeof r->msg, "libiperf: out of memory"), -1;
	iperf_set_test_role(t, 'c');
	iperf_set_test_server_hostname(t, host);
	iperf_set_test_server_port(t, c->port);
	iperf_set_test_duration(t, c->seconds);
	iperf_set_test_reverse(t, c->reverse);
	iperf_set_test_reporter_interval(t, 0.5);
	iperf_set_test_stats_interval(t, 0.5);
	iperf_set_test_json_output(t, 1);
	r->start_ns = mono_ns() - c->t0_ns;
	rc = iperf_run_client(t);
	if (rc < 0)
		snprintf(r->msg, sizeof r->msg, "iperf: %s", iperf_strerror(i_errno));
	else if (iperf_get_test_json_output_string(t))
		bulk_parse(iperf_get_test_json_output_string(t), r);
	/* not listening yet, or still ending the transfer before, or a report
	 * that came back without the receiver's sum: worth another try */
	rc = rc < 0 ? (i_errno == IECONNECT || i_errno == IEACCESSDENIED ? -2 : -1) : r->ok ? 0 : -2;
	iperf_free_test(t);
	return rc;
}

void bulk_client(void *arg)
{
	static struct bulk_result r;
	const struct bulk_client *c = arg;
	char host[INET6_ADDRSTRLEN];
	int64_t give_up = mono_ns() + 5000000000LL;

	inet_ntop(c->dst.family, c->dst.a, host, sizeof host);
	/* Until the server listens (a sign: the connection), five seconds at most. */
	while (attempt(c, host, &r) == -2 && mono_ns() < give_up) {
		nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
		memset(&r, 0, sizeof r);
	}
	bulk_steady(&r);
	for (int i = 0; i < r.n; i++)
		r.iv[i].t += (double)r.start_ns / 1e9;
	if (!caller_write_all(3, &r, sizeof r))
		_exit(1);
}
