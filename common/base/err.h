/* Errors and the exit-code contract shared by every npte binary. */
#ifndef NPTE_ERR_H
#define NPTE_ERR_H

#include <stddef.h>

/* The exit-code contract (documented in every man page). */
enum {
	EXIT_OK = 0,    /* success */
	EXIT_FAIL = 1,  /* the kernel or the system refused; the message says why */
	EXIT_USAGE = 2, /* usage, validation or ownership error; nothing was changed */
	EXIT_BUSY = 75, /* the lock was busy past the deadline (EX_TEMPFAIL) */
	EXIT_CANNOT = 69, /* npte-doctor --require: this kernel lacks a feature (EX_UNAVAILABLE) */
};

#define NPTE_VERSION "0.1.0"

/* Program name used as the prefix of every message ("npte-netns"). */
extern const char *prog;

/* One line "prog: message" on stderr, then exit(code). */
_Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with ": strerror(errno)" appended. */
_Noreturn void die_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line "prog: message" on stderr; no exit. */
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * An error being carried up to main: the exit code and the whole message
 * (without the "prog: " prefix). Printed once, after any rollback and after
 * the lock is released, so a transaction writes nothing while it runs.
 */
struct err {
	int code;
	int errnum; /* the errno behind it, when err_sys set it */
	char msg[512];
};

/* Set e (first error wins) and return code. e may be NULL where the caller
 * wants only the verdict (a parser re-checking what it wrote itself). */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, with ": strerror(errnum)" appended. */
int err_sys(struct err *e, int code, int errnum, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
