/*
 * The caller's own processes in a network namespace: found by walking /proc
 * (each /proc/PID/ns/net compared by device and inode), and ended on request
 * (destroy --kill). Both run in a child that is wholly the caller
 * (caller_run), so the walk sees and the signals reach only what the caller
 * could see and signal with kill(1); on top of that only a process whose
 * real, effective, saved and filesystem uids are all the caller's (never
 * root's) counts. Every signal goes through a pidfd opened before the
 * process was checked and found alive after, so a pid that exits and is
 * reused in between is never signalled.
 */
#ifndef NPTE_HOLDERS_H
#define NPTE_HOLDERS_H

#include <stdbool.h>
#include <sys/types.h>
#include "priv/priv.h"

/* How many /proc entries one walk looks at: it is root's work a caller
 * starts, bounded whatever the host runs. */
#define HOLDERS_WALK_MAX 65536
/* Namespaces asked about in one walk, and pids kept of each. */
#define HOLDERS_NS_MAX 64
#define HOLDERS_SHOWN 8
/* --kill: how long the caller's processes get after SIGTERM, and after SIGKILL. */
#define HOLDERS_TERM_MS 2000
#define HOLDERS_KILL_MS 1000

struct holders {
	dev_t dev;
	ino_t ino;                        /* the namespace (fstat of its nsfs file) */
	int n;                            /* the caller's processes found in it */
	pid_t pid[HOLDERS_SHOWN];
	char comm[HOLDERS_SHOWN][16];
};

struct holders_walk {
	int n;                            /* namespaces in ns[] */
	struct holders ns[HOLDERS_NS_MAX];
	bool capped;                      /* HOLDERS_WALK_MAX entries looked at, more were there */
	bool unknown;                     /* the walk did not finish (the caller stopped it, a limit) */
};

/*
 * Fill w->ns[i].n, pid and comm for each of w's namespaces: the caller's
 * processes in it now. 0, or -errno (then w->unknown is set).
 */
int holders_find(const struct caller *who, struct holders_walk *w);

/*
 * End the caller's processes in w's namespaces (each ns[].dev, ino; the
 * rest of w is not read), all in one walk: SIGTERM, up to HOLDERS_TERM_MS
 * for them to exit, SIGKILL to those left (and to any that came meanwhile),
 * up to HOLDERS_KILL_MS more. It waits: never call it under the lock. The
 * administrator's --kill ends nothing (root's processes are never
 * signalled). 0 or -errno.
 */
int holders_kill(const struct caller *who, const struct holders_walk *w);

#endif
