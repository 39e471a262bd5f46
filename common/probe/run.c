/* The timeline of a probe and its children (see probe.h). */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "priv/asuser.h"
#include "probe/probe.h"

/* Every child alive: killed and reaped on every way out. */
#define KIDS_MAX 8
static pid_t kids[KIDS_MAX];
static int nkids;
static volatile sig_atomic_t stopped; /* the signal that asks us to stop */

static void on_stop(int sig)
{
	stopped = sig;
}

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < nkids; i++)
		if (kids[i] == pid)
			kids[i] = kids[--nkids];
}

static void kill_all(void)
{
	while (nkids) {
		kill(kids[nkids - 1], SIGKILL);
		reap(kids[nkids - 1]);
	}
}

/* fn in a child in nsfd's namespace as the caller, its fd 3 the write end of
 * a pipe whose read end is returned (extra: its fd 4); -errno. */
static int spawn(const struct probe *p, int nsfd, void (*fn)(void *), void *arg, int extra)
{
	int pp[2], fds[2];
	pid_t pid;

	if (nkids == KIDS_MAX || pipe2(pp, O_CLOEXEC) < 0)
		return -EMFILE;
	fds[0] = pp[1], fds[1] = extra;
	pid = caller_spawn(&(struct caller_spawn){.who = p->who, .state = p->state, .nsfd = nsfd, .fds = fds,
						  .nfds = extra >= 0 ? 2 : 1, .fn = fn, .arg = arg});
	close(pp[1]);
	if (pid < 0) {
		close(pp[0]);
		return (int)pid;
	}
	kids[nkids++] = pid;
	return pp[0];
}

/* n bytes from fd within ms (a stop signal ends the wait): bytes read, or -1. */
static ssize_t read_full(int fd, void *buf, size_t n, int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;
	size_t got = 0;

	while (got < n && !stopped) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int64_t left = (deadline - mono_ns()) / 1000000;
		ssize_t r;

		if (left <= 0 || poll(&pf, 1, (int)left) == 0)
			break;
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return stopped ? -1 : (ssize_t)got;
}

/* A server in nsfd's namespace, its port read back (the sign that it is bound). */
static int server(struct probe *p, int nsfd, void (*fn)(void *), uint16_t *port, const char *what, struct err *e)
{
	int fd = spawn(p, nsfd, fn, NULL, -1);
	ssize_t got;

	if (fd < 0)
		return err_sys(e, EXIT_FAIL, -fd, "start the %s server", what);
	got = read_full(fd, port, sizeof *port, 10000);
	close(fd);
	if (got != (ssize_t)sizeof *port && !stopped)
		return err_set(e, EXIT_FAIL, "the %s server did not start", what);
	return 0;
}

/* Until ms have passed or a stop signal came (the idle phase's length). */
static void wait_ms(int ms)
{
	int64_t deadline = mono_ns() + (int64_t)ms * 1000000;

	while (!stopped && mono_ns() < deadline) {
		int64_t left = (deadline - mono_ns()) / 1000000 + 1;

		poll(NULL, 0, (int)left);
	}
}

/* What a child of the caller's sent is taken as numbers and a string only:
 * the message ended, the count within the array, the rates finite. */
static void bulk_trust(struct bulk_result *b)
{
	b->msg[sizeof b->msg - 1] = '\0';
	if (b->n < 0 || b->n > BULK_IV_MAX)
		b->n = 0;
	for (int i = 0; i < b->n; i++)
		if (!isfinite(b->iv[i].t) || !isfinite(b->iv[i].bps))
			b->n = 0;
	if (!isfinite(b->bps) || !isfinite(b->steady_bps) || b->bps < 0 || b->steady_bps < 0) {
		b->ok = 0;
		snprintf(b->msg, sizeof b->msg, "the transfer's client gave no result");
	}
}

static int bulk_phase(struct probe *p, int ph, uint16_t port, int64_t t0, struct err *e)
{
	struct bulk_client bc = {.dst = p->dst, .port = port, .seconds = p->seconds, .reverse = ph == PH_DOWN,
				 .t0_ns = t0};
	int fd;

	p->ph_from[ph] = mono_ns() - t0;
	fd = spawn(p, p->from_fd, bulk_client, &bc, -1);
	if (fd < 0)
		return err_sys(e, EXIT_FAIL, -fd, "start the %s transfer", probe_phase[ph]);
	if (read_full(fd, &p->bulk[ph], sizeof p->bulk[ph], (p->seconds + 20) * 1000) != (ssize_t)sizeof p->bulk[ph] &&
	    !stopped)
		snprintf(p->bulk[ph].msg, sizeof p->bulk[ph].msg, "the transfer's client gave no result");
	close(fd);
	p->ph_to[ph] = mono_ns() - t0;
	bulk_trust(&p->bulk[ph]);
	return 0;
}

/* The echo client's records, after its stop pipe closed. */
static int echo_collect(struct probe *p, int fd, struct err *e)
{
	if (read_full(fd, &p->echo->n, sizeof p->echo->n, 10000) != (ssize_t)sizeof p->echo->n ||
	    p->echo->n > PROBE_MAX ||
	    read_full(fd, p->echo->r, p->echo->n * sizeof p->echo->r[0], 10000) !=
		    (ssize_t)(p->echo->n * sizeof p->echo->r[0]))
		return stopped ? 0 : err_set(e, EXIT_FAIL, "the echo client in %s gave no result", p->from);
	return 0;
}

static int timeline(struct probe *p, struct err *e)
{
	uint16_t eport = 0, bport = 0, cport = 0;
	int stop[2], fd, rc;
	int64_t t0;

	if ((rc = server(p, p->to_fd, echo_server, &eport, "echo", e)) ||
	    (rc = server(p, p->from_fd, echo_server, &cport, "calibration echo", e)) ||
	    ((p->load[PH_UP] || p->load[PH_DOWN]) && (rc = server(p, p->to_fd, bulk_server, &bport, "bulk", e))) ||
	    stopped)
		return rc;
	if (pipe2(stop, O_CLOEXEC) < 0)
		return err_sys(e, EXIT_FAIL, errno, "pipe");
	t0 = mono_ns();
	fd = spawn(p, p->from_fd, echo_client,
		   &(struct echo_client){.dst = p->dst, .port = eport, .cal_port = cport, .t0_ns = t0}, stop[0]);
	close(stop[0]);
	if (fd < 0) {
		close(stop[1]);
		return err_sys(e, EXIT_FAIL, -fd, "start the echo client");
	}
	/* its calibration done: the idle phase starts (30 s at most: a stop ends it) */
	if (read_full(fd, &p->echo->base_ns, sizeof p->echo->base_ns, 30000) != (ssize_t)sizeof p->echo->base_ns &&
	    !stopped)
		rc = err_set(e, EXIT_FAIL, "the echo client in %s did not start", p->from);
	p->ph_from[PH_IDLE] = mono_ns() - t0;
	if (!rc)
		wait_ms(p->seconds * 1000);
	p->ph_to[PH_IDLE] = mono_ns() - t0;
	for (int ph = PH_UP; ph < PH_N && !stopped && !rc; ph++)
		if (p->load[ph])
			rc = bulk_phase(p, ph, bport, t0, e);
	close(stop[1]); /* the sign for the echo client to finish */
	if (!rc)
		rc = echo_collect(p, fd, e);
	close(fd);
	return rc;
}

int probe_run(struct probe *p, struct err *e)
{
	struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
	sigset_t set, old_mask;
	int rc;

	if (!p->echo && !(p->echo = calloc(1, sizeof *p->echo)))
		return err_set(e, EXIT_FAIL, "out of memory for the probes");
	/* no SA_RESTART: a stop interrupts the waits */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigemptyset(&set);
	sigaddset(&set, SIGINT), sigaddset(&set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &set, &old_mask);
	rc = timeline(p, e);
	kill_all();
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (stopped)
		return err_set(e, 128 + stopped, "stopped by signal %d: every probe process ended", (int)stopped);
	return rc;
}
