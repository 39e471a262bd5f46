/* Process hygiene (priv.c, cgroup.c), the caller's identity and the
 * capability drop (caps.c). */
#ifndef NPTE_PRIV_H
#define NPTE_PRIV_H

#include <sched.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "base/err.h"

struct caller {
	uid_t uid;   /* owner recorded in markers */
	gid_t gid;
	bool admin;  /* root without sudo (or sudo from root): owns everything */
	bool root;   /* the process runs with euid 0 */
};

/*
 * First thing in main: fds 0-2 open (else /dev/null), every other fd closed,
 * umask 022, cwd "/", signal dispositions and mask reset, no core dumps,
 * resource limits raised to floors (see priv.c), a positive nice value and
 * oom_score_adj back to 0 (the caller's values saved for caller_state);
 * refuse (exit 2) when LD_* or GLIBC_TUNABLES is set; read SUDO_UID and
 * SUDO_GID strictly into *who; then clear the environment.
 */
const struct caller_state *hygiene(struct caller *who);

/*
 * Drop to exactly the capabilities in caps (a -1 terminated list of CAP_*),
 * clear the bounding and ambient sets and set PR_SET_NO_NEW_PRIVS. Called
 * once with the binary's union and again with the verb's subset. A no-op for
 * the capability part when not running as root (dry-run as a plain user).
 */
void caps_keep(const int *caps);
/* No capability is left in the bounding set. */
bool caps_bounding_empty(void);

/*
 * Right after hygiene(): leave the caller's session, whose autogroup nice
 * value the caller sets (see priv.c). On behalf of a sudo caller, unless keep,
 * the rest runs in a child in a new session while this process relays signals
 * to it and exits as it did; with keep (npte-run), or for root itself, a
 * positive autogroup nice value is reset to 0 instead (saved for
 * caller_state_restore).
 */
void session_own(const struct caller *who, bool keep);

#define ENV_KEPT_MAX 16

/* What sudo handed over of the caller's own process, saved by hygiene()
 * before it normalised everything (npte-run gives it to the program). */
struct caller_state {
	mode_t umask;
	int oom_adj;             /* /proc/self/oom_score_adj */
	int nice;
	int autogroup_nice;      /* the session's, /proc/self/autogroup */
	int policy;              /* scheduling policy and its parameters */
	struct sched_param sched;
	/* the cgroup.procs of each cgroup npte left (one the caller controls) */
#define CGROUP_MAX 16
	int cgroup_fd[CGROUP_MAX];
	int ncgroup;
	bool have_limit[RLIMIT_NLIMITS];
	struct rlimit limit[RLIMIT_NLIMITS];
	/* "KEY=VALUE" for TERM, LANG and LC_* as they reached us (printable
	 * ASCII only); NULL-ended. */
	const char *env[ENV_KEPT_MAX + 1];
	char env_buf[ENV_KEPT_MAX][256];
	char cwd[4096];          /* the working directory ("" if unknown) */
};

/* Give this process the caller's umask, limits, nice and autogroup nice value, scheduling
 * policy, cgroup and oom_score_adj back (npte-run, right before the
 * caller's program). 0 or -errno. */
int caller_state_restore(const struct caller_state *st);

/*
 * True when file and every directory above it are root-owned and not
 * group/other-writable (symlinks' own modes do not count; /proc/self/exe is
 * already resolved). Otherwise false, e (exit 2) naming the first path a
 * user could change, escaped (disp), for the caller's message.
 */
bool path_trusted(const char *file, struct err *e);

/* Exit 1 unless running as root: live verbs need sudo. */
void require_root(const char *verb);

#endif
