/*
 * The plan: one ordered list of operations that feeds both the executor
 * (netlink and syscalls) and the dry-run renderer (a POSIX shell script).
 * Because both read the same ops, the script cannot drift from what runs.
 */
#ifndef NPTE_PLAN_H
#define NPTE_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "capacity.h"
#include "err.h"
#include "nl.h"
#include "priv.h"
#include "validate.h"

struct ctx;
struct op;

struct op_type {
	const char *name;
	/* Do it. Returns 0, or an exit code with ctx->err set. */
	int (*exec)(struct ctx *c, const struct op *op);
	/* Undo a completed exec during rollback; NULL when nothing to undo. */
	int (*undo)(struct ctx *c, const struct op *op);
	/* The shell line(s) that do the same (each ending in a newline), and the
	 * one command, without a newline, that undoes it (NULL: nothing to undo). */
	void (*render)(FILE *f, const struct op *op, const struct ctx *c);
	void (*render_undo)(FILE *f, const struct op *op, const struct ctx *c);
};

/*
 * What the kernel confirmed an op made, recorded (and journaled) by the op
 * itself at the moment it knows it: undo and recovery act only on a match,
 * so nothing that existed before the run is ever touched.
 */
struct ident {
	bool set;
	uint64_t cookie;   /* the namespace the object lives in, or the one made */
	uint64_t dev, ino; /* netns add: the placeholder file */
	int ifindex;       /* the link (veth, address, qdisc) */
	uint32_t handle;   /* root qdisc handle */
	uint32_t owner;    /* marker: the uid written in it */
};

struct op {
	const struct op_type *type;
	struct ident made;
	char ns[NETNS_NAME_MAX + 4];
	char ns2[NETNS_NAME_MAX + 4];
	char ifname[IFNAME_MAX + 1];
	char ifname2[IFNAME_MAX + 1];
	char key[64];
	char val[64];
	struct ipaddr addr;
	struct ipaddr gw;
	unsigned plen;
	unsigned flags;
	const void *data; /* op-specific parameters in static storage (qdisc specs) */
};

struct plan {
	const char *verb;     /* "create" */
	char title[256];      /* the command line shown in the script's comment */
	bool exclusive;       /* takes the lock exclusively */
	size_t n;
	struct op ops[PLAN_MAX];
};

/* A namespace opened once per transaction: fd, netlink socket, cookie. */
struct nshandle {
	char name[NETNS_NAME_MAX + 4];
	unsigned long used; /* for least-recently-used eviction */
	int fd;
	struct knl nl;
	bool has_nl;
};

#define CTX_NS 8

struct ctx {
	struct caller who;
	unsigned wait_s;
	double deadline; /* CLOCK_MONOTONIC seconds at which waits give up */
	struct err err;
	char warn[640];  /* rollback trouble, printed after the error */
	char note[400];  /* recovery of a dead transaction, printed after the lock is released */
	struct nshandle ns[CTX_NS];
	unsigned long ns_clock;
	size_t cur;        /* index of the op running now */
	struct ident made; /* what it made so far (see ctx_made) */
};

/* Called by an op's exec as soon as the kernel confirms (part of) what it
 * made: kept for rollback and journaled at once for recovery after a kill. */
void ctx_made(struct ctx *c, const struct ident *id);

/* Append an op of type t; returns it for the caller to fill. Exits 2 when full. */
struct op *plan_add(struct plan *p, const struct op_type *t);

/*
 * Take the lock, run every op in order and, when one fails, undo the
 * completed ones in reverse order; release the lock. Returns the exit code
 * (the error is in c->err; the caller prints it).
 */
int plan_execute(struct plan *p, struct ctx *c);
/* Take the lock (exclusive or shared) for verb, waiting until c's deadline;
 * a writer first recovers a dead transaction, a reader refuses (exit 75)
 * while one is pending. Release with lock_release. */
int ctx_lock(struct ctx *c, bool exclusive, const char *verb);
/* Run the ops without the lock (tests and callers that hold it). */
int plan_run(struct plan *p, struct ctx *c);

/* Write the dry-run script for p to f. */
void plan_render(FILE *f, const struct plan *p, const struct ctx *c);
/* The same in two halves, for a caller that adds lines to the body (gc -n):
 * open writes all but the subshell's closing line, close writes that. */
void plan_render_open(FILE *f, const struct plan *p, const struct ctx *c);
void plan_render_close(FILE *f);

/* Shell fragments shared by renderers. */
void render_words(FILE *f, const char *const *words); /* NULL-terminated, each quoted, newline */
void render_cmd(FILE *f, const char *const *words);   /* same, without the newline */
/* One more word of a line now *col bytes long, after a space or a line break
 * (when the line would pass RENDER_WIDTH); a longer word goes in pieces. */
#define RENDER_WIDTH 160
void render_wrapped(FILE *f, const char *w, size_t *col);

/* Per-transaction namespace handles (closed by ctx_close). */
int ctx_ns(struct ctx *c, const char *name, struct nshandle **out);
void ctx_forget(struct ctx *c, const char *name);
void ctx_close(struct ctx *c);
void ctx_init(struct ctx *c, const struct caller *who, unsigned wait_s);

/* The uniform refusal for "missing, unmanaged or someone else's". */
int deny(struct ctx *c, const char *verb, const char *name);
#define DENY_TEXT "not found or not yours"

#endif
