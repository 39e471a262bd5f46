/*
 * Process hygiene and privilege. Under sudo npte runs with AT_SECURE=0 and
 * inherits much of the caller's process state (umask, fds, signal mask and
 * dispositions, rlimits); normalise all of it before parsing a single word.
 */
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "err.h"
#include "priv.h"
#include "shquote.h"
#include "validate.h"

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

static void limits_sane(void)
{
	struct rlimit zero = {0, 0};

	/* No core file of a root process holding parsed caller input. */
	setrlimit(RLIMIT_CORE, &zero);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* TERM, LANG and LC_* as sudo passed them, for npte-run's fresh environment. */
static char kept_buf[ENV_KEPT_MAX][256];
static const char *kept[ENV_KEPT_MAX + 1];
static int nkept;
static char cwd_buf[4096];

static void keep_env(const char *kv)
{
	size_t klen = strcspn(kv, "=");

	if (!kv[klen] || nkept >= ENV_KEPT_MAX || strlen(kv) >= sizeof kept_buf[0])
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
	snprintf(kept_buf[nkept], sizeof kept_buf[0], "%s", kv);
	kept[nkept] = kept_buf[nkept];
	nkept++;
}

const char *const *env_kept(void)
{
	return kept;
}

const char *orig_cwd(void)
{
	return cwd_buf;
}

static void env_read(struct caller *who)
{
	const char *su = NULL, *sg = NULL;
	char why[128];

	for (char **e = environ; e && *e; e++) {
		/* Loader variables reaching root mean sudoers lets users SETENV. */
		if (strncmp(*e, "LD_", 3) == 0 || strncmp(*e, "GLIBC_TUNABLES=", 15) == 0) {
			char key[64];

			snprintf(key, sizeof key, "%.*s", (int)strcspn(*e, "="), *e);
			die(EXIT_USAGE, "refusing to run with %s in the environment "
				"(sudoers must not allow SETENV)", disp(key));
		}
		keep_env(*e);
#ifdef NPTE_FAULT
		extern int npte_fault_after, npte_fault_pause, npte_fault_wire;
		if (strcmp(*e, "NPTE_FAULT_WIRE=1") == 0)
			npte_fault_wire = 1;
		if (strncmp(*e, "NPTE_FAULT_AFTER=", 17) == 0)
			npte_fault_after = atoi(*e + 17);
		if (strncmp(*e, "NPTE_FAULT_PAUSE=", 17) == 0)
			npte_fault_pause = atoi(*e + 17);
#endif
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

		if (!parse_uid(su, &uid, why, sizeof why))
			die(EXIT_USAGE, "bad SUDO_UID %s: %s", disp(su), why);
		if (!sg || !parse_uid(sg, &gid, why, sizeof why))
			die(EXIT_USAGE, "bad or missing SUDO_GID alongside SUDO_UID");
		who->uid = uid;
		who->gid = (gid_t)gid;
		/* sudo from a root shell is still the administrator. */
		who->admin = uid == 0;
	}
}

bool path_trusted(const char *file, char *bad, size_t n)
{
	char path[4096];

	if (strlen(file) >= sizeof path)
		return snprintf(bad, n, "%s", "(path too long)"), false;
	strcpy(path, file);
	for (;;) {
		struct stat st;
		char *slash;

		if (lstat(path[0] ? path : "/", &st) < 0 || st.st_uid != 0 ||
		    (st.st_mode & (S_IWGRP | S_IWOTH) && !S_ISLNK(st.st_mode))) {
			snprintf(bad, n, "%s", path[0] ? path : "/");
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
	char path[4096], bad[4096];
	ssize_t n;

	if (geteuid() != 0)
		return;
	n = readlink("/proc/self/exe", path, sizeof path - 1);
	if (n <= 0)
		die_errno(EXIT_FAIL, "readlink /proc/self/exe");
	path[n] = '\0';
	if (!path_trusted(path, bad, sizeof bad))
		die(EXIT_USAGE, "refusing to run as root: %s is writable by a non-root user "
			"(install npte root-owned, e.g. make install)", disp(bad));
}

void hygiene(struct caller *who)
{
	fds_sane();
	umask(022);
	if (!getcwd(cwd_buf, sizeof cwd_buf))
		cwd_buf[0] = '\0';
	if (chdir("/") < 0)
		die_errno(EXIT_FAIL, "chdir /");
	signals_sane();
	limits_sane();
	env_read(who);
	clearenv();
	exe_trusted();
}

static bool bounding_empty(void)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			return false;
	return true;
}

void caps_keep(const int *caps)
{
	if (geteuid() != 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		return;
	}
	capng_clear(CAPNG_SELECT_ALL);
	for (const int *c = caps; *c >= 0; c++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)*c);
	/*
	 * Clearing the bounding set needs CAP_SETPCAP at the moment of the call,
	 * which the first call still has; a uid-0 process would otherwise regain
	 * every bounding capability at its next execve.
	 */
	int rc = capng_apply(CAPNG_SELECT_ALL);
	/* -4: no CAP_SETPCAP left to touch the bounding set, fine if it is empty already. */
	if (rc < 0 && !(rc == -4 && bounding_empty()))
		die(EXIT_FAIL, "cannot drop capabilities (capng_apply %d)", rc);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(EXIT_FAIL, "PR_SET_NO_NEW_PRIVS");
	/* Verify rather than trust: nothing beyond the list may remain. */
	capng_get_caps_process();
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool want = false;

		for (const int *c = caps; *c >= 0; c++)
			want |= *c == cap;
		if (!want && capng_have_capability(CAPNG_EFFECTIVE, (unsigned)cap))
			die(EXIT_FAIL, "capability %d survived the drop", cap);
	}
}

void require_root(const char *verb)
{
	if (geteuid() != 0)
		die(EXIT_FAIL, "%s: must be run as root (through sudo)", verb);
}
