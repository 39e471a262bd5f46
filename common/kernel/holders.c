/* The caller's processes in a namespace, found and ended (see holders.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "kernel/holders.h"
#include "priv/asuser.h"

/* pidfds kept to wait on after a signal; more are signalled, not waited on */
#define WAIT_FDS 1024

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0U);
}

static int pidfd_signal(int pfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0U);
}

/* The index in w of the namespace pid is in, or -1. */
static int ns_of(pid_t pid, const struct holders_walk *w)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	/* another user's process: EACCES, as for the caller's own kill(1) */
	if (stat(path, &st) < 0)
		return -1;
	for (int i = 0; i < w->n; i++)
		if (w->ns[i].dev == st.st_dev && w->ns[i].ino == st.st_ino)
			return i;
	return -1;
}

/* True when every uid of pid (real, effective, saved, fs) is uid, and not root's. */
static bool wholly(pid_t pid, uid_t uid)
{
	char path[64], buf[4096], *u;
	unsigned r, e, s, f;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	u = strstr(buf, "\nUid:");
	return uid != 0 && u && sscanf(u, "\nUid: %u %u %u %u", &r, &e, &s, &f) == 4 && r == uid && e == uid &&
	       s == uid && f == uid;
}

static void comm_of(pid_t pid, char comm[16])
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, comm, 15);
	if (fd >= 0)
		close(fd);
	comm[n > 0 ? n : 0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

struct job {
	struct holders_walk w;
	uid_t uid;
	int fds[WAIT_FDS];
	int nfds;
};

/* One pid: its pidfd first, then the checks, then sig (0: is it alive) through
 * the pidfd. Alive at the open and at the signal, it held the pid all along,
 * so the checks read it and no other. The namespace's index, or -1. */
static int one(struct job *j, pid_t pid, int sig)
{
	int pfd, at;

	/* A first look costs one stat: most processes are not the caller's or not there. */
	if (ns_of(pid, &j->w) < 0 || (pfd = pidfd_open_(pid)) < 0)
		return -1;
	at = ns_of(pid, &j->w);
	if (at < 0 || !wholly(pid, j->uid) || pidfd_signal(pfd, sig) < 0) {
		close(pfd);
		return -1;
	}
	if (sig && j->nfds < WAIT_FDS)
		j->fds[j->nfds++] = pfd;
	else
		close(pfd);
	return at;
}

/* The caller's processes in j's namespaces, each sent sig (0: none), counted. */
static void walk(struct job *j, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int seen = 0;

	for (int i = 0; i < j->w.n; i++)
		j->w.ns[i].n = 0;
	if (!d) {
		j->w.unknown = true;
		return;
	}
	while ((de = readdir(d))) {
		struct holders *h;
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int at;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end || pid == getpid())
			continue;
		if (++seen > HOLDERS_WALK_MAX) {
			j->w.capped = true;
			break;
		}
		at = one(j, (pid_t)pid, sig);
		if (at < 0)
			continue;
		h = &j->w.ns[at];
		if (h->n < HOLDERS_SHOWN) {
			h->pid[h->n] = (pid_t)pid;
			comm_of((pid_t)pid, h->comm[h->n]);
		}
		h->n++;
	}
	closedir(d);
}

/* Until every signalled process has exited (its pidfd readable) or ms pass. */
static void wait_exits(struct job *j, int ms)
{
	struct pollfd pf[WAIT_FDS];
	struct timespec t0, now;
	int left = j->nfds;

	for (int i = 0; i < j->nfds; i++)
		pf[i] = (struct pollfd){.fd = j->fds[i], .events = POLLIN};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		int spent, rc;

		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (int)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (spent >= ms)
			break;
		rc = poll(pf, (nfds_t)j->nfds, ms - spent);
		if (rc < 0 && errno != EINTR)
			break;
		for (int i = 0; rc > 0 && i < j->nfds; i++)
			if (pf[i].fd >= 0 && pf[i].revents) {
				pf[i].fd = -1; /* ended: poll skips it from now on */
				left--;
			}
	}
	for (int i = 0; i < j->nfds; i++)
		close(j->fds[i]);
	j->nfds = 0;
}

/* In the caller's child: the walk, its result down the pipe. */
static void find_job(int wfd, void *arg)
{
	struct job *j = arg;

	walk(j, 0);
	caller_write_all(wfd, &j->w, sizeof j->w);
}

/* In the caller's child: TERM, a wait, KILL (to new ones too), a wait. */
static void kill_job(int wfd, void *arg)
{
	struct job *j = arg;

	walk(j, SIGTERM);
	wait_exits(j, HOLDERS_TERM_MS);
	walk(j, SIGKILL);
	wait_exits(j, HOLDERS_KILL_MS);
	caller_write_all(wfd, &j->w, sizeof j->w);
}

static struct job job; /* large: static, and copied into the child by fork */

int holders_find(const struct caller *who, struct holders_walk *w)
{
	ssize_t got;

	memset(&job, 0, sizeof job);
	job.w = *w;
	job.uid = who->uid;
	got = caller_run(who, find_job, &job, w, sizeof *w, 2000);
	if (got != (ssize_t)sizeof *w) {
		w->unknown = true;
		return got < 0 ? (int)got : -EIO;
	}
	return 0;
}

int holders_kill(const struct caller *who, const struct holders_walk *w)
{
	static struct holders_walk out;
	ssize_t got;

	if (who->uid == 0 || w->n == 0)
		return 0;
	memset(&job, 0, sizeof job);
	job.w.n = w->n;
	for (int i = 0; i < w->n; i++) {
		job.w.ns[i].dev = w->ns[i].dev;
		job.w.ns[i].ino = w->ns[i].ino;
	}
	job.uid = who->uid;
	got = caller_run(who, kill_job, &job, &out, sizeof out, HOLDERS_TERM_MS + HOLDERS_KILL_MS + 3000);
	return got == (ssize_t)sizeof out ? 0 : got < 0 ? (int)got : -EIO;
}
