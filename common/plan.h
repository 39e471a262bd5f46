/*
 * The plan: one ordered list of operations that feeds both the executor
 * (txn.h: netlink and syscalls) and the dry-run renderer (render.h: a POSIX
 * shell script). Because both read the same ops, the script cannot drift
 * from what runs. This header is the model only: no executor state.
 */
#ifndef NPTE_PLAN_H
#define NPTE_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "capacity.h"
#include "err.h"
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

/* Append an op of type t; returns it for the caller to fill. Exits 2 when full. */
struct op *plan_add(struct plan *p, const struct op_type *t);

/* Every op type of common/, by name (the journal names them): NULL if none. */
const struct op_type *op_type_find(const char *name);

#endif
