/* Reading a file as the caller (see asuser.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <sched.h>
#include <cap-ng.h>
#include "priv/asuser.h"

#define GROUPS_MAX 256

/*
 * A regular file, not on procfs. What a /proc file shows depends on who reads
 * it, and the reader here is a copy of npte: its own /proc/self/maps is
 * npte's memory layout, which the caller could not read otherwise. No
 * schedule or trace lives in /proc.
 */
static int open_regular(const char *path)
{
	struct stat st;
	struct statfs sf;
	/* O_NONBLOCK: a FIFO must not hang the open; the check below refuses it */
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), fl;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (fstatfs(fd, &sf) < 0 || sf.f_type == PROC_SUPER_MAGIC) {
		close(fd);
		return CALLER_FILE_PROC;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/*
 * The caller's groups as the group database has them, all of them: a list
 * cut short (or only the gid) would drop a group that denies the caller a
 * file (mode 0604, say), and let npte read what the caller cannot. So a
 * list that cannot be had whole is a refusal. A uid with no passwd entry has
 * no name the group database could list it under: its gid is all it has.
 */
static int caller_groups(const struct caller *who, gid_t **out)
{
	static gid_t small[GROUPS_MAX];
	const struct passwd *pw = getpwuid(who->uid);
	gid_t *g = small;
	int ng = GROUPS_MAX;

	if (!pw) {
		small[0] = who->gid;
		*out = small;
		return 1;
	}
	for (int tries = 0;; tries++) {
		if (getgrouplist(pw->pw_name, who->gid, g, &ng) >= 0) {
			*out = g;
			return ng;
		}
		/* ng is now the number needed; the database may grow in between */
		if (tries == 4 || ng <= 0)
			return -1;
		if (g != small)
			free(g);
		g = malloc((size_t)ng * sizeof *g);
		if (!g)
			return -1;
	}
}

/* The child becomes the caller, wholly: groups, gid, uid (which drops every
 * capability), no fd of npte's but the pipe, not dumpable (the caller could
 * otherwise ptrace a copy of npte's memory). 0 or an errno. */
static int caller_ids(const struct caller *who)
{
	gid_t *groups = NULL;
	int ng = caller_groups(who, &groups);

	if (ng < 0 || setgroups((size_t)ng, groups) < 0 || setresgid(who->gid, who->gid, who->gid) < 0 ||
	    setresuid(who->uid, who->uid, who->uid) < 0)
		return EPERM;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

static int become_caller(const struct caller *who, int keep)
{
	if (keep > 3)
		(void)syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U);
	(void)syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U);
	return caller_ids(who);
}

bool caller_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w, n -= (size_t)w;
	}
	return true;
}

/*
 * The child: an int (0 or the errno of becoming the caller or of the open),
 * then at most limit bytes of the file, read as the caller. Its exit code is
 * the errno of a failed read, else 0 (npte closing the pipe early is fine:
 * it read what it wanted).
 */
static _Noreturn void child(int wfd, const struct caller *who, const char *cwd, const char *path,
			    uint64_t limit)
{
	static char buf[65536];
	int err = become_caller(who, wfd), fd = -1;

	signal(SIGPIPE, SIG_IGN);
	if (!err && path[0] != '/' && (!cwd[0] || chdir(cwd) < 0))
		err = cwd[0] ? errno : ENOENT;
	if (!err && (fd = open_regular(path)) < 0)
		err = -fd;
	if (!caller_write_all(wfd, (const char *)&err, sizeof err) || err)
		_exit(0);
	while (limit) {
		size_t want = limit < sizeof buf ? (size_t)limit : sizeof buf;
		ssize_t got = read(fd, buf, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			_exit(errno & 0xff ? errno & 0xff : EIO);
		if (got == 0 || !caller_write_all(wfd, buf, (size_t)got))
			break;
		limit -= (uint64_t)got;
	}
	_exit(0);
}

/* The administrator's own rights; a relative name from where it was called
 * (npte itself works from /). */
static int open_as_admin(const char *cwd, const char *path)
{
	char full[8192];

	if (path[0] == '/' || !cwd[0])
		return open_regular(path);
	if ((size_t)snprintf(full, sizeof full, "%s/%s", cwd, path) >= sizeof full)
		return -ENAMETOOLONG;
	return open_regular(full);
}

static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) ? -WEXITSTATUS(status) : 0;
}

int caller_file_open(struct caller_file *cf, const struct caller *who, const char *cwd, const char *path,
		     uint64_t limit)
{
	int p[2], err = EIO;
	ssize_t got;

	cf->fd = -1, cf->pid = 0;
	if (who->admin || !who->root) {
		cf->fd = open_as_admin(cwd, path);
		return cf->fd < 0 ? cf->fd : 0;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	cf->pid = fork();
	if (cf->pid < 0) {
		err = errno;
		close(p[0]), close(p[1]);
		cf->pid = 0;
		return -err;
	}
	if (cf->pid == 0) {
		close(p[0]);
		child(p[1], who, cwd, path, limit);
	}
	close(p[1]);
	do
		got = read(p[0], &err, sizeof err);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof err)
		err = EIO;
	cf->fd = p[0];
	if (err) {
		caller_file_close(cf);
		return -err;
	}
	return 0;
}

int caller_file_close(struct caller_file *cf)
{
	int rc = 0;

	if (cf->fd >= 0)
		close(cf->fd);
	if (cf->pid > 0)
		rc = reap(cf->pid);
	cf->fd = -1, cf->pid = 0;
	return rc;
}

const char *caller_file_strerror(int rc)
{
	if (rc == -EINVAL)
		return "not a regular file";
	if (rc == CALLER_FILE_PROC)
		return "a file of /proc (what it shows depends on who reads it)";
	return strerror(-rc);
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

/* Read from fd into buf until EOF, max bytes or the deadline. */
static ssize_t read_until(int fd, char *buf, size_t max, const struct timespec *deadline)
{
	size_t n = 0;

	while (n < max) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int left = ms_left(deadline), rc = left ? poll(&pf, 1, left) : 0;
		ssize_t got;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc < 0 ? -errno : -ETIMEDOUT;
		got = read(fd, buf + n, max - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	return (ssize_t)n;
}

ssize_t caller_run(const struct caller *who, void (*fn)(int wfd, void *arg), void *arg, void *buf,
		   size_t max, int timeout_ms)
{
	struct timespec deadline;
	ssize_t got;
	pid_t pid;
	int p[2];

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000)
		deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		got = -errno;
		close(p[0]), close(p[1]);
		return got;
	}
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		if (who->root && !who->admin && become_caller(who, p[1]))
			_exit(1);
		fn(p[1], arg);
		_exit(0);
	}
	close(p[1]);
	got = read_until(p[0], buf, max, &deadline);
	close(p[0]);
	/* Ended or not, it goes now: a stopped child must not hold npte up. */
	kill(pid, SIGKILL);
	reap(pid);
	return got;
}

/* fds[0..n) onto 3, 4, ... (n <= 8), every other fd above 2 closed, 0 and 1
 * on /dev/null: the child keeps nothing of npte's but what it was given, and
 * no pipe of whoever ran npte (a test harness waits for those to close). */
static int keep_fds(const int *fds, int n)
{
	int tmp[8], null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (n > 8 || null < 0)
		return EMFILE;
	for (int i = 0; i < n; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD, 64)) < 0)
			return errno;
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], 3 + i) < 0)
			return errno;
	if (dup2(null, 0) < 0 || dup2(null, 1) < 0)
		return errno;
	(void)syscall(SYS_close_range, 3U + (unsigned)n, ~0U, 0U);
	return 0;
}

/* Nothing privileged left, checked: every capability set empty but the
 * bounding set (already empty), NO_NEW_PRIVS; and a parent that dies takes
 * the child along (set after the uid switch, which clears it). */
static int nothing_left(pid_t parent)
{
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return EPERM;
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		return EPERM;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		return ESRCH;
	return 0;
}

pid_t caller_spawn(const struct caller_spawn *sp)
{
	pid_t parent = getpid(), pid = fork();
	int err;

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_DFL), signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &(sigset_t){0}, NULL);
	/* setns and the caller's cgroup through fds that keep_fds then closes */
	err = sp->nsfd >= 0 && setns(sp->nsfd, CLONE_NEWNET) < 0 ? errno : 0;
	if (!err && sp->state && caller_state_restore(sp->state) < 0)
		err = EPERM;
	if (!err)
		err = keep_fds(sp->fds, sp->nfds);
	if (!err && sp->who->root && !sp->who->admin)
		err = caller_ids(sp->who);
	if (!err && !sp->who->admin)
		err = nothing_left(parent);
	if (err)
		_exit(100 + (err & 0x7f) % 27);
	sp->fn(sp->arg);
	_exit(0);
}

struct file_out {
	const char *cwd, *path;
	const void *buf;
	size_t len;
	mode_t umask;
};

/* In the child that is the caller: create or truncate the file, a regular
 * one only (O_NONBLOCK: a FIFO must not hang the open), write it whole; the
 * errno, or 0, back through wfd. */
static void write_out(int wfd, void *arg)
{
	const struct file_out *o = arg;
	struct stat st;
	int err = 0, fd;

	umask(o->umask);
	if (o->path[0] != '/' && (!o->cwd[0] || chdir(o->cwd) < 0))
		err = o->cwd[0] ? errno : ENOENT;
	fd = err ? -1 : open(o->path, O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0666);
	if (!err && fd < 0)
		err = errno;
	if (!err && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
		err = EINVAL;
	if (!err && (ftruncate(fd, 0) < 0 || !caller_write_all(fd, o->buf, o->len) || close(fd) < 0))
		err = errno ? errno : EIO;
	caller_write_all(wfd, &err, sizeof err);
}

int caller_file_write(const struct caller *who, const char *cwd, mode_t mask, const char *path, const void *buf,
		      size_t len)
{
	struct file_out o = {.cwd = cwd, .path = path, .buf = buf, .len = len, .umask = mask};
	int err = EIO;
	ssize_t got = caller_run(who, write_out, &o, &err, sizeof err, 30000);

	if (got < 0)
		return (int)got;
	return got == (ssize_t)sizeof err ? -err : -EIO;
}
