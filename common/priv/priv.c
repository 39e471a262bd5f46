/*
 * Process hygiene. Under sudo npte runs with AT_SECURE=0 and inherits much
 * of the caller's process state (umask, fds, signal mask and dispositions,
 * rlimits, scheduling, session, cgroups: cgroup.c); normalise all of it
 * before parsing a single word, saving what npte-run gives back.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base/err.h"
#include "base/fault.h"
#include "priv/cgroup.h"
#include "priv/priv.h"
#include "base/escape.h"
#include "base/validate.h"

extern char **environ;

static void fds_sane(void)
{
	/* A closed 0-2 would let the first file we open (a marker) become stdout. */
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int nfd = open("/dev/null", O_RDWR);
		if (nfd != fd)
			_exit(EXIT_FAIL);
	}
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	}
}

static void signals_sane(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		sigaction(sig, &sa, NULL); /* EINVAL for the RT signals libc reserves */
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * sudo hands the root process the caller's resource limits, oom_score_adj and
 * nice value. Each is a lever on the root process: `ulimit -t 1` or -f 0 has
 * the kernel kill it at a point of the caller's choosing, a tiny -n or -s
 * makes any open or call fail, oom_score_adj 1000 makes it the OOM killer's
 * first pick. Saved for npte-run's program, then raised to a floor: never
 * lowered, so that giving the caller's values back is always allowed.
 */
#define MiB(n) ((rlim_t)(n) << 20)
static const struct {
	int res;
	const char *name;
	rlim_t floor; /* raised to at least this (needs CAP_SYS_RESOURCE above the hard limit) */
	rlim_t need;  /* without CAP_SYS_RESOURCE: the least hard limit npte runs with */
} limit_floor[] = {
	{RLIMIT_CPU, "RLIMIT_CPU", RLIM_INFINITY, RLIM_INFINITY},
	{RLIMIT_FSIZE, "RLIMIT_FSIZE", RLIM_INFINITY, RLIM_INFINITY},
	{RLIMIT_DATA, "RLIMIT_DATA", RLIM_INFINITY, MiB(1024)},
	{RLIMIT_STACK, "RLIMIT_STACK", MiB(8), MiB(2)},
	{RLIMIT_AS, "RLIMIT_AS", RLIM_INFINITY, MiB(1024)},
	{RLIMIT_NOFILE, "RLIMIT_NOFILE", 65536, 1024},
	{RLIMIT_NPROC, "RLIMIT_NPROC", RLIM_INFINITY, 0},
	{RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", MiB(64), 0},
	{RLIMIT_RTTIME, "RLIMIT_RTTIME", RLIM_INFINITY, 0}, /* and SCHED_OTHER below */
	{RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING", 4096, 0},
	{RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 819200, 0},
};

static struct caller_state saved;

static rlim_t at_least(rlim_t v, rlim_t floor)
{
	if (v == RLIM_INFINITY || floor == RLIM_INFINITY)
		return RLIM_INFINITY;
	return v > floor ? v : floor;
}

static bool below(rlim_t v, rlim_t need)
{
	return v != RLIM_INFINITY && (need == RLIM_INFINITY || v < need);
}

/* Save every limit, then raise each of limit_floor's to its floor. */
static void rlimits_raise(void)
{
	for (int r = 0; r < RLIMIT_NLIMITS; r++)
		saved.have_limit[r] = getrlimit(r, &saved.limit[r]) == 0;
	for (size_t i = 0; i < sizeof limit_floor / sizeof limit_floor[0]; i++) {
		const struct rlimit *was = &saved.limit[limit_floor[i].res];
		struct rlimit now = {at_least(was->rlim_cur, limit_floor[i].floor),
				     at_least(was->rlim_max, limit_floor[i].floor)};

		if (setrlimit(limit_floor[i].res, &now) == 0)
			continue;
		/* No CAP_SYS_RESOURCE (a container's root): the soft limit up to the
		 * hard one, and a hard limit too low to run safely is refused. */
		now.rlim_cur = now.rlim_max = was->rlim_max;
		setrlimit(limit_floor[i].res, &now);
		if (geteuid() == 0 && below(was->rlim_max, limit_floor[i].need))
			die(EXIT_USAGE, "refusing to run with the hard limit %s = %llu, below the %s npte needs "
				"(raise it, or give root CAP_SYS_RESOURCE)", limit_floor[i].name,
			    (unsigned long long)was->rlim_max,
			    limit_floor[i].need == RLIM_INFINITY ? "unlimited" : "minimum");
	}
}

static void core_off(void)
{
	/* No core file of a root process holding parsed caller input. The hard
	 * limit stays, so that npte-run can give the caller's soft one back. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){0, saved.limit[RLIMIT_CORE].rlim_max});
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* The caller's scheduling policy and positive nice value, saved, then the
 * defaults: a real-time or idle policy would stretch every window of a
 * transaction. */
static void sched_normal(void)
{
	struct sched_param sp = {0};

	saved.policy = sched_getscheduler(0);
	sched_getparam(0, &saved.sched);
	if (saved.policy != SCHED_OTHER)
		sched_setscheduler(0, SCHED_OTHER, &sp);
	errno = 0;
	saved.nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0 && saved.nice > 0)
		setpriority(PRIO_PROCESS, 0, 0);
}

static void oom_normal(void)
{
	char buf[16];
	int fd;
	ssize_t n;

	/* A positive oom_score_adj makes us the OOM killer's choice: back to 0
	 * where root may (CAP_SYS_RESOURCE); a kill then still undoes nothing it
	 * should not (recovery by identity). A negative one only protects us. */
	saved.oom_adj = 0;
	fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		saved.oom_adj = atoi(buf);
	}
	close(fd);
	/* Through the legacy file: a write to oom_score_adj by a process with
	 * CAP_SYS_RESOURCE also lowers the floor (oom_score_adj_min) that an
	 * administrator may have set, which npte-run's program would inherit;
	 * oom_adj sets the same value and leaves the floor alone. EACCES without
	 * CAP_SYS_RESOURCE: see above. */
	if (saved.oom_adj > 0 && (fd = open("/proc/self/oom_adj", O_WRONLY | O_CLOEXEC)) >= 0) {
		if (write(fd, "0\n", 2) != 2) {
			/* nothing better to do */
		}
		close(fd);
	}
}

/*
 * The autogroup nice value (/proc/self/autogroup) belongs to the session, not
 * the process: `echo 19 >/proc/self/autogroup` in the caller's session gives
 * npte a 15/1024 share against every other busy session while it holds the
 * lock, and any process of the caller's in that session may write it again at
 * any moment, after any reset of ours. So on behalf of a sudo caller npte does
 * its work in a session of its own (setsid: a fresh autogroup at nice 0 that
 * only root's processes are in), from a child: the parent stays where sudo put
 * it, in the caller's process group and terminal, so that ^C, ^Z, a hangup and
 * every signal sudo relays reach the work as before, and the exit status is
 * the child's. npte-run (keep) must stay in the caller's session, which its
 * program needs for the terminal and job control: there the value is reset to
 * 0 for npte's own part and given back to the program with the rest.
 */
static const char autogroup_path[] = "/proc/self/autogroup";

/* "/autogroup-123 nice 19": the nice value, or 0 when there is no autogroup. */
static int autogroup_nice(void)
{
	char buf[64];
	int fd = open(autogroup_path, O_RDONLY | O_CLOEXEC), nice = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%*s nice %d", &nice) != 1)
			nice = 0;
	}
	return nice;
}

/* Only a positive value is raised to 0, only a positive one given back: a
 * negative one (root made it so) only helps. 0 or -errno. */
static int autogroup_set(int nice)
{
	char buf[16];
	int fd = open(autogroup_path, O_WRONLY | O_CLOEXEC), len, rc = 0;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof buf, "%d\n", nice);
	if (write(fd, buf, (size_t)len) != len)
		rc = -errno;
	close(fd);
	return rc;
}

static volatile sig_atomic_t worker;

static void relay(int sig)
{
	if (worker > 0)
		kill(worker, sig);
}

/* ^Z or a relayed SIGTSTP: the worker gets the same signal, which it turns
 * into a stop of its own (stop_self); then we stop, as the shell expects.
 * Never a SIGSTOP to it: that cannot be blocked, so it would stop a worker
 * that holds the global lock, and every caller would wait on it until the
 * caller chose to continue it. */
static void relay_stop(int sig)
{
	if (worker > 0)
		kill(worker, sig);
	raise(SIGSTOP);
}

/* The worker's stop, caught rather than the default (which the kernel drops
 * in an orphaned process group, as the worker's own session is): blocked
 * with every catchable signal while the lock is held, so it stops only
 * between transactions. */
static void stop_self(int sig)
{
	(void)sig;
	raise(SIGSTOP);
}

/* The signals a terminal, sudo or the caller may send the process sudo
 * started; faults and SIGCHLD are our own. */
static const int relayed[] = {SIGHUP, SIGINT, SIGQUIT, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2,
			      SIGPIPE, SIGWINCH, SIGCONT, SIGURG, SIGXCPU, SIGVTALRM, SIGPROF};
static const int stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};

static void on_signals(const int *sigs, size_t n, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
}

/* The parent's whole life: relay, wait, end as the worker ended. */
_Noreturn static void wait_worker(pid_t pid, const sigset_t *mask)
{
	int status;

	worker = pid;
	on_signals(relayed, sizeof relayed / sizeof relayed[0], relay);
	on_signals(stops, sizeof stops / sizeof stops[0], relay_stop);
	sigprocmask(SIG_SETMASK, mask, NULL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(EXIT_FAIL);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	/* Killed: so are we, by the same signal, for sudo and the caller's shell. */
	signal(WTERMSIG(status), SIG_DFL);
	raise(WTERMSIG(status));
	_exit(128 + WTERMSIG(status));
}

void session_own(const struct caller *who, bool keep)
{
	sigset_t all, was;
	pid_t parent = getpid(), pid;

	saved.autogroup_nice = autogroup_nice();
	if (keep || !who->root || who->admin) {
		/* EACCES without CAP_SYS_NICE where root is confined: as for nice. */
		if (saved.autogroup_nice > 0 && who->root)
			autogroup_set(0);
		return;
	}
	/* Blocked across the fork: a signal meanwhile waits for the relay. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &was);
	pid = fork();
	if (pid < 0)
		die_errno(EXIT_FAIL, "fork");
	if (pid > 0) {
		static const int none[] = {-1};

		/* The parent reads nothing of the caller's: no capability either. */
		caps_keep(none);
		wait_worker(pid, &was);
	}
	/* A parent gone (killed by root) ends the work as a TERM to it would. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() != parent)
		raise(SIGTERM);
	if (setsid() < 0)
		die_errno(EXIT_FAIL, "setsid");
	on_signals(stops, sizeof stops / sizeof stops[0], stop_self);
	sigprocmask(SIG_SETMASK, &was, NULL);
}

int caller_state_restore(const struct caller_state *st)
{
	char buf[16];
	int fd, len;

	umask(st->umask);
	/* The caller's own cgroups again, where npte left them. */
	if ((fd = cgroup_return(st)) < 0)
		return fd;
	/* Only lowering: the floors above never went below the caller's values. */
	for (int r = 0; r < RLIMIT_NLIMITS; r++)
		if (st->have_limit[r] && setrlimit(r, &st->limit[r]) < 0)
			return -errno;
	if (st->nice > 0 && setpriority(PRIO_PROCESS, 0, st->nice) < 0)
		return -errno;
	/* Back to an idle or batch policy (allowed without privilege), or the
	 * real-time one the caller's RLIMIT_RTPRIO gave them. */
	if (st->policy != SCHED_OTHER && st->policy >= 0 &&
	    sched_setscheduler(0, st->policy, &st->sched) < 0)
		return -errno;
	if (st->autogroup_nice > 0 && (fd = autogroup_set(st->autogroup_nice)) < 0)
		return fd;
	if (st->oom_adj <= 0)
		return 0;
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof buf, "%d\n", st->oom_adj);
	if (write(fd, buf, (size_t)len) != len) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/* TERM, LANG and LC_* as sudo passed them, for npte-run's fresh environment. */
static int nkept;

static void keep_env(const char *kv)
{
	size_t klen = strcspn(kv, "=");

	if (!kv[klen] || nkept >= ENV_KEPT_MAX || strlen(kv) >= sizeof saved.env_buf[0])
		return;
	if (!((klen == 4 && strncmp(kv, "TERM", 4) == 0) || (klen == 4 && strncmp(kv, "LANG", 4) == 0) ||
	      strncmp(kv, "LC_", 3) == 0))
		return;
	/* Only printable ASCII: these end up in a user's environment and the dry-run script. */
	for (const char *p = kv; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return;
	for (size_t i = 0; i < klen; i++)
		if (!((kv[i] >= 'A' && kv[i] <= 'Z') || (kv[i] >= '0' && kv[i] <= '9') || kv[i] == '_'))
			return;
	snprintf(saved.env_buf[nkept], sizeof saved.env_buf[0], "%s", kv);
	saved.env[nkept] = saved.env_buf[nkept];
	nkept++;
}

static void env_read(struct caller *who)
{
	const char *su = NULL, *sg = NULL;
	struct err bad = {0};

	for (char **e = environ; e && *e; e++) {
		/* Loader variables reaching root mean sudoers lets users SETENV. */
		if (strncmp(*e, "LD_", 3) == 0 || strncmp(*e, "GLIBC_TUNABLES=", 15) == 0) {
			char key[64];

			snprintf(key, sizeof key, "%.*s", (int)strcspn(*e, "="), *e);
			die(EXIT_USAGE, "refusing to run with %s in the environment "
				"(sudoers must not allow SETENV)", disp(key));
		}
		keep_env(*e);
		fault_env(*e);
		if (strncmp(*e, "SUDO_UID=", 9) == 0)
			su = *e + 9;
		else if (strncmp(*e, "SUDO_GID=", 9) == 0)
			sg = *e + 9;
	}
	who->root = geteuid() == 0;
	who->uid = getuid();
	who->gid = getgid();
	who->admin = who->root && getuid() == 0;
	if (who->root && su) {
		uid_t uid;
		uid_t gid;

		if (!parse_uid(su, &uid, &bad))
			die(bad.code, "bad SUDO_UID %s: %s", disp(su), bad.msg);
		if (!sg || !parse_uid(sg, &gid, NULL))
			die(EXIT_USAGE, "bad or missing SUDO_GID alongside SUDO_UID");
		who->uid = uid;
		who->gid = (gid_t)gid;
		/* sudo from a root shell is still the administrator. */
		who->admin = uid == 0;
	}
}

bool path_trusted(const char *file, struct err *e)
{
	char path[4096];

	if (strlen(file) >= sizeof path)
		return err_set(e, EXIT_USAGE, "%s", "(path too long)"), false;
	strcpy(path, file);
	for (;;) {
		struct stat st;
		char *slash;

		if (lstat(path[0] ? path : "/", &st) < 0 || st.st_uid != 0 ||
		    (st.st_mode & (S_IWGRP | S_IWOTH) && !S_ISLNK(st.st_mode))) {
			err_set(e, EXIT_USAGE, "%s", disp(path[0] ? path : "/"));
			return false;
		}
		if (!path[0])
			return true;
		slash = strrchr(path, '/');
		if (!slash)
			return true;
		*slash = '\0';
	}
}

/*
 * sudo runs us as root for users, so whoever can replace this file, or
 * rename anything on the path to it, owns root (the sudoers(5) warning).
 * Refuse to run as root from anywhere a non-root user could write.
 */
static void exe_trusted(void)
{
	char path[4096];
	struct err bad = {0};
	ssize_t n;

	if (geteuid() != 0)
		return;
	n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0)
		die_errno(EXIT_FAIL, "readlink /proc/self/exe");
	path[n] = '\0';
	if (!path_trusted(path, &bad))
		die(bad.code, "refusing to run as root: %s is writable by a non-root user "
			"(install npte root-owned, e.g. make install)", bad.msg);
}

const struct caller_state *hygiene(struct caller *who)
{
	fds_sane();
	saved.umask = umask(022);
	if (!getcwd(saved.cwd, sizeof saved.cwd))
		saved.cwd[0] = '\0';
	if (chdir("/") < 0)
		die_errno(EXIT_FAIL, "chdir /");
	signals_sane();
	rlimits_raise();
	core_off();
	sched_normal();
	oom_normal();
	cgroup_leave(&saved);
	env_read(who);
	clearenv();
	exe_trusted();
	return &saved;
}
