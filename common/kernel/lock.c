/*
 * The global lock. It lives in root's 0700 /run/npte, so no user can open it,
 * let alone hold it (any user can flock the world-readable /run/netns and
 * stall `ip netns add` forever). Waits end at a deadline with exit 75; while
 * held, catchable signals are blocked so a transaction is never cut in half.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "kernel/lock.h"
#include "kernel/registry.h"

static int lock_fd = -1;
static bool lock_excl;
static sigset_t saved_mask;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void holder_text(const struct holder *h, char *buf, size_t n)
{
	int len = snprintf(buf, n, "pid %ld (%s%s%s", (long)h->pid, h->prog,
			   h->verb[0] ? " " : "", h->verb);

	if (len < 0 || (size_t)len >= n)
		return;
	if (h->uid >= 0)
		len += snprintf(buf + len, n - (size_t)len, ", uid %ld", h->uid);
	if (h->since >= 0 && (size_t)len < n)
		len += snprintf(buf + len, n - (size_t)len, ", for %llds",
				(long long)time(NULL) - h->since);
	if ((size_t)len < n)
		snprintf(buf + len, n - (size_t)len, ")");
}

static void clear_record(void)
{
	/* A stale record is harmless (status checks its pid against /proc/locks). */
	if (ftruncate(lock_fd, 0) < 0)
		return;
}

int lock_take(bool exclusive, unsigned wait_s, uid_t uid, const char *verb, struct err *e)
{
	double deadline = mono() + wait_s;
	struct err why = {0};
	unsigned nap = 5000;
	sigset_t all;

	if (rundir_open(true, e) < 0)
		return e->code ? e->code : err_set(e, EXIT_FAIL, "cannot open %s", NPTE_RUN_DIR);
	lock_fd = run_open(rundir_fd(), NPTE_LOCK_FILE, O_RDWR | O_CREAT, S_IFREG, &why);
	if (lock_fd < 0) {
		int rc = lock_fd;

		lock_fd = -1;
		if (rc == -EMEDIUMTYPE)
			return err_set(e, EXIT_FAIL, "%s/%s %s; refusing to use it as the lock", NPTE_RUN_DIR,
				       NPTE_LOCK_FILE, why.msg);
		return err_sys(e, EXIT_FAIL, -rc, "open %s/%s", NPTE_RUN_DIR, NPTE_LOCK_FILE);
	}
	while (flock(lock_fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return err_sys(e, EXIT_FAIL, errno, "flock %s/%s", NPTE_RUN_DIR, NPTE_LOCK_FILE);
		if (mono() >= deadline) {
			struct holder h;
			char who[160] = "an unknown process";
			struct err ignore = {0};

			if (lock_status(&h, &ignore) == 0 && h.held)
				holder_text(&h, who, sizeof who);
			close(lock_fd);
			lock_fd = -1;
			return err_set(e, EXIT_BUSY, "lock busy after %us: held by %s; retry later",
				       wait_s, who);
		}
		usleep(nap);
		if (nap < 100000)
			nap *= 2;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &saved_mask);
	lock_excl = exclusive;
	if (exclusive) {
		char rec[256];
		int len = snprintf(rec, sizeof rec, "pid=%ld\nuid=%u\nprog=%s\nverb=%s\nsince=%lld\n",
				   (long)getpid(), (unsigned)uid, prog, verb, (long long)time(NULL));

		/* Best effort: the record only decorates what /proc/locks says. */
		if (ftruncate(lock_fd, 0) == 0 && pwrite(lock_fd, rec, (size_t)len, 0) != len)
			clear_record();
	}
	return 0;
}

void lock_release(void)
{
	if (lock_fd < 0)
		return;
	if (lock_excl)
		clear_record();
	close(lock_fd);
	lock_fd = -1;
	sigprocmask(SIG_SETMASK, &saved_mask, NULL);
}

/* Find the flock on (dev, ino) in /proc/locks: the kernel's word on who holds it. */
static bool proc_locks(dev_t dev, ino_t ino, struct holder *h)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof line, f)) {
		char type[16], adv[16], mode[16];
		long pid;
		unsigned maj, min;
		unsigned long long inode;

		if (strstr(line, "->"))
			continue; /* a waiter, not the holder */
		if (sscanf(line, "%*d: %15s %15s %15s %ld %x:%x:%llu", type, adv, mode, &pid,
			   &maj, &min, &inode) != 7)
			continue;
		if (strcmp(type, "FLOCK") || maj != major(dev) || min != minor(dev) || inode != ino)
			continue;
		h->held = true;
		h->shared = strcmp(mode, "READ") == 0;
		h->pid = (pid_t)pid;
		found = true;
	}
	fclose(f);
	return found;
}

static void record(int fd, struct holder *h)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long pid = -1;

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "pid=%ld", &pid) == 1)
			continue;
		if (sscanf(line, "uid=%ld", &h->uid) == 1)
			continue;
		if (sscanf(line, "since=%lld", &h->since) == 1)
			continue;
		if (strncmp(line, "prog=", 5) == 0)
			snprintf(h->prog, sizeof h->prog, "%s", line + 5);
		else if (strncmp(line, "verb=", 5) == 0)
			snprintf(h->verb, sizeof h->verb, "%s", line + 5);
	}
	if (pid != h->pid) {
		/* A stale record, or a holder that writes none (a dry-run script, flock(1)). */
		h->uid = -1;
		h->since = -1;
		h->prog[0] = h->verb[0] = '\0';
	}
}

int lock_status(struct holder *h, struct err *e)
{
	struct stat st;
	struct err why = {0};
	int fd;

	memset(h, 0, sizeof *h);
	h->uid = -1;
	h->since = -1;
	if (rundir_fd() < 0)
		return 0;
	fd = run_open(rundir_fd(), NPTE_LOCK_FILE, O_RDONLY, S_IFREG, &why);
	if (fd == -EMEDIUMTYPE)
		return err_set(e, EXIT_FAIL, "%s/%s %s", NPTE_RUN_DIR, NPTE_LOCK_FILE, why.msg);
	if (fd < 0)
		return fd == -ENOENT ? 0 : err_sys(e, EXIT_FAIL, -fd, "open lock");
	if (fstat(fd, &st) == 0 && proc_locks(st.st_dev, st.st_ino, h)) {
		record(fd, h);
		if (!h->prog[0]) {
			char path[64];
			FILE *f;

			snprintf(path, sizeof path, "/proc/%ld/comm", (long)h->pid);
			if ((f = fopen(path, "re"))) {
				if (fgets(h->prog, sizeof h->prog, f))
					h->prog[strcspn(h->prog, "\n")] = '\0';
				fclose(f);
			}
		}
	}
	close(fd);
	return 0;
}
