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
#include "base/capacity.h"
#include "base/err.h"
#include "base/kmem.h"
#include "shape/qdisc.h"
#include "base/validate.h"

struct txn;
struct op;

struct op_type {
	const char *name;
	/* Do it (undo false); or undo what it made (undo true), only while
	 * op->made still matches. 0, or an exit code with c->err set. */
	int (*apply)(struct txn *c, const struct op *op, bool undo);
	/* The shell lines that do the same (undo false: each ending in a
	 * newline), or the one command, without a newline, that undoes it. */
	void (*render)(FILE *f, const struct op *op, const struct txn *c, bool undo);
	/* Has an undo: rollback and recovery call apply(undo = true). */
	bool undoable;
	/* Its arguments as one journal field (no '|' or newline), and back,
	 * validated as strictly as the command line was: 0 or -EINVAL. Each
	 * undoable kind has both, so recovery can rebuild any of them. */
	int (*save)(const struct op *op, char *buf, size_t n);
	int (*load)(struct op *op, const char *s);
	/* A check that changes nothing: the dry-run makes it too, before it
	 * renders, and refuses as the live run would. */
	bool precheck;
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
	uint32_t owner;    /* marker, netns: the uid it is made for */
	int32_t nsid;      /* netns: its id in the host's table (0: none) */
};

/* A qdisc at the root of an interface, by value (the journal saves its words). */
struct qdisc_child {
	char kind[8];          /* a kind with a from_rate (qdisc.h): "tbf" or "cake" */
	char rate[32];         /* as given: the child's spec is its kind's from_rate of it */
	uint64_t rate64;       /* bytes/s */
};
struct qdisc_args {
	char ifname[IFNAME_MAX + 1];
	enum qkind kind;
	union qspec q;
	bool has_child;
	struct qdisc_child child;
};

/* A root a plan shapes, and the worst it asks of it (check memory). */
struct kmem_target {
	char ns[NETNS_NAME_MAX + 4];
	char ifname[IFNAME_MAX + 1];
	bool root_only;  /* a change: the root's children stay */
	bool keep_rate;  /* a netem change without a rate keeps the old one */
	bool keep_slot;  /* and without a slot, the old slot */
	struct kmem_want w;
};

struct play_snapshot;
struct play_socket;

/* Every op acts in one namespace, on arguments typed by its kind. */
struct op {
	const struct op_type *type;
	struct ident made;
	char ns[NETNS_NAME_MAX + 4];
	union {
		struct { char verb[16]; unsigned flags; } guard;          /* check owner */
		struct { char verb[16]; unsigned adding, max; } quota;    /* check quota */
		struct { char ifname[IFNAME_MAX + 1]; } link;             /* link up */
		struct { char verb[16]; char ifname[IFNAME_MAX + 1]; } dev; /* check interface */
		struct {                                                  /* play: snapshot */
			char ifname[IFNAME_MAX + 1];
			int slot;
			struct play_snapshot *snap; /* what it fills (ops/ops_snapshot.h) */
			struct play_socket *sock;
		} play;
		struct { char key[48]; char val[16]; } sysctl;            /* net.ipv4.ip_forward=1 */
		struct {                                                  /* veth add/del */
			char peer[NETNS_NAME_MAX + 4];
			char ifname[IFNAME_MAX + 1], peer_ifname[IFNAME_MAX + 1];
		} veth;
		struct { char ifname[IFNAME_MAX + 1]; struct ipaddr a; unsigned plen; } addr;
		struct { struct ipaddr dst, gw; unsigned plen; } route;   /* plen 0: default */
		struct {                                                  /* gateway (ops_gateway.c) */
			char ifname[IFNAME_MAX + 1]; /* gw-NS, the host's end */
			char uplink[IFNAME_MAX + 1]; /* the host's default route's interface */
			unsigned slot, flags;        /* the pool's slot; GW_* of ops.h */
			int link;                    /* remove: the host's end's ifindex, probed */
		} gw;
		struct qdisc_args qdisc;                                  /* root replace, clear */
		struct {                                                  /* check memory */
			char verb[16];
			uint64_t max;
			int n;
			/* allocated for the plan's life: a topology file shapes
			 * as many roots as it has links, and the op stays small */
			struct kmem_target *t;
		} kmem;
	} u;
};

struct plan {
	const char *verb;     /* "create" */
	char title[256];      /* the command line shown in the script's comment */
	bool exclusive;       /* takes the lock exclusively */
	size_t n;
	struct op *ops;       /* n of them, grown as the plan is built (plan.c) */
	size_t cap;           /* ops allocated */
};

/*
 * Append an op of type t; returns it for the caller to fill. Exits 2 when
 * full (PLAN_MAX), 1 when memory runs out: before any op of the plan runs.
 * The ops may move: a pointer into p->ops is stale after the call.
 */
struct op *plan_add(struct plan *p, const struct op_type *t);
/* Give back p's ops; p is then an empty plan. */
void plan_free(struct plan *p);

/* Every op type of common/, by name (the journal names them): NULL if none. */
const struct op_type *op_type_find(const char *name);

#endif
