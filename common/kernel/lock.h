/* The global lock /run/npte/lock: flock with a deadline and a holder record. */
#ifndef NPTE_LOCK_H
#define NPTE_LOCK_H

#include <stdbool.h>
#include <sys/types.h>
#include "base/err.h"

struct holder {
	bool held;
	bool shared;
	pid_t pid;        /* from /proc/locks: the kernel's word */
	long uid;         /* -1 if unknown (the holder wrote no record) */
	char prog[32];    /* "npte-netns", or the process's comm */
	char verb[32];
	long long since;  /* unix seconds, -1 if unknown */
};

/*
 * Take the lock (exclusive, or shared for read-only verbs), waiting up to
 * wait_s seconds. On success all catchable signals are blocked until
 * lock_release, and an exclusive holder records pid, uid, prog, verb and
 * time in the lock file. Returns 0, or EXIT_BUSY / EXIT_FAIL with e set
 * (naming the holder when busy).
 */
int lock_take(bool exclusive, unsigned wait_s, uid_t uid, const char *verb, struct err *e);
void lock_release(void);
/* Who holds the lock now (needs rundir_open first). */
int lock_status(struct holder *h, struct err *e);

#endif
