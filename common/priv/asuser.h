/*
 * Reading a file the caller names with the caller's own rights: a child
 * process takes the caller's uid, gid and groups (and working directory, for
 * a relative path), opens the file AND reads it, and passes the bytes, at
 * most a bound, to npte over a pipe. Opening as the caller is not enough:
 * some files check the reader at read(2), not at open(2) (/proc/PID/stat of a
 * root process shows its addresses to a reader as privileged as the process),
 * so a root process reading what the caller opened could still read what the
 * caller cannot. Every file a user names goes through this: the schedule, the
 * mahimahi trace (and a topology file later).
 */
#ifndef NPTE_ASUSER_H
#define NPTE_ASUSER_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "priv/priv.h"

struct caller_file {
	int fd;    /* read it to its end: the file's first `limit` bytes at most */
	pid_t pid; /* the reading child (0: the administrator reads the file itself) */
};

/* A file on procfs (see asuser.c): refused, whoever reads. */
#define CALLER_FILE_PROC (-EXDEV)

/*
 * A regular file at path, read by the caller. 0, or -errno (-EINVAL: not a
 * regular file; CALLER_FILE_PROC). The administrator reads as itself, with no bound but the
 * reader's own. limit: the most bytes passed; a parser that refuses files
 * over MAX gives MAX + 1, so that it still sees one byte too many.
 */
int caller_file_open(struct caller_file *cf, const struct caller *who, const char *cwd, const char *path,
		     uint64_t limit);

/* Close cf->fd and reap the child: 0, or -errno if the child's read failed
 * (the bytes read were then not the whole file). */
int caller_file_close(struct caller_file *cf);

/* rc of the two above as a reason for a one-line error. */
const char *caller_file_strerror(int rc);

/*
 * fn(wfd, arg) run in a child that is wholly the caller (as the reader
 * above; the administrator's child stays root), with nothing of npte's but
 * the pipe wfd; what it writes there, at most max bytes, comes back in buf.
 * The caller can stop or kill that child (it is theirs): at timeout_ms it is
 * killed and reaped, and whatever it wrote is all there is. Bytes read, or
 * -errno (-ETIMEDOUT: the deadline passed).
 */
/* All of buf to fd (a caller_run fn's pipe), across short writes and EINTR. */
bool caller_write_all(int fd, const void *buf, size_t n);
ssize_t caller_run(const struct caller *who, void (*fn)(int wfd, void *arg), void *arg, void *buf,
		   size_t max, int timeout_ms);

/*
 * A long-running piece of the caller's own work (npte-probe's measuring
 * processes), started and not waited for: a child that enters the network
 * namespace nsfd (-1: stays), takes the caller's limits, cgroup and nice
 * value back (state, unless NULL), becomes the caller (uid, gid, groups) with
 * every capability set empty and NO_NEW_PRIVS (checked; the administrator's
 * child stays root), dies with npte (PR_SET_PDEATHSIG), and keeps of npte's
 * fds only fds[0..nfds) (at most 8), renumbered 3, 4, ...; 0 and 1 are
 * /dev/null. It runs fn(arg), then exits 0; exit 100 and up: it could not
 * become the caller. The child's pid, or -errno; the spawner kills and reaps it.
 */
struct caller_spawn {
	const struct caller *who;
	const struct caller_state *state;
	int nsfd;
	const int *fds;
	int nfds;
	void (*fn)(void *arg);
	void *arg;
};
pid_t caller_spawn(const struct caller_spawn *sp);

/*
 * len bytes of buf as the file at path, created (mode 0666 less mask, the
 * caller's umask) or truncated by a child that is the caller, from cwd for
 * a relative path: only where the caller may write, and owned by her. A
 * regular file only (-EINVAL otherwise). 0 or -errno.
 */
int caller_file_write(const struct caller *who, const char *cwd, mode_t mask, const char *path, const void *buf,
		      size_t len);

#endif
