/*
 * A transaction: the executor of a plan. It owns the caller, the one
 * deadline, the lock, the journal, the namespace handles and the warnings,
 * and runs lock -> recover a dead run -> journal -> ops -> rollback or
 * commit -> unlock. Binaries never sequence those steps themselves.
 */
#ifndef NPTE_TXN_H
#define NPTE_TXN_H

#include <stdbool.h>
#include "base/err.h"
#include "kernel/netlink.h"
#include "txn/plan.h"
#include "priv/priv.h"

/* A namespace opened once per transaction: fd, cookie, and netlink socket
 * (only once an op needs one: see txn_ns_id). */
struct nshandle {
	char name[NETNS_NAME_MAX + 4];
	unsigned long used; /* for least-recently-used eviction */
	int fd;
	uint64_t cookie; /* SO_NETNS_COOKIE: the namespace's identity */
	struct netlink nl;
	bool has_nl;
};

#define CTX_NS 8

struct txn {
	struct caller who;
	unsigned wait_s;
	double deadline; /* CLOCK_MONOTONIC seconds at which waits give up (computed once) */
	struct err err;
	char warn[640];  /* rollback trouble, printed after the error */
	char note[400];  /* recovery of a dead transaction, printed after the lock is released */
	struct nshandle ns[CTX_NS];
	unsigned long ns_clock;
	struct netlink host;   /* a netlink socket in the namespace npte started in */
	bool has_host;
	size_t cur;        /* index of the op running now */
	bool settle;       /* refused only for namespaces still ending: retry after a wait */
	struct ident made; /* what it made so far (see txn_made) */
	/* the qdisc charge of the namespace whose name this run removed last,
	 * for its draining record (ops_netns.c) */
	char unnamed[16];
	uint64_t unnamed_kmem;
	/* the namespace ids npte must not give (drain.c): gathered once per
	 * hold of the lock, freed by txn_close */
	struct nsid_taken *taken;
	/* what destroy's guards read of each namespace before any name goes
	 * (ops_netns.c): one allocation per hold of the lock, freed by txn_close */
	struct gone_memo *gone;
	/* what a create says to do about a taken name, in the verb's words
	 * (NULL: npte-netns's): anyone's, and the caller's own */
	const char *fix_taken, *fix_mine;
};

void txn_init(struct txn *c, const struct caller *who, unsigned wait_s);

/* Called by an op's exec as soon as the kernel confirms (part of) what it
 * made: kept for rollback and journaled at once for recovery after a kill. */
void txn_made(struct txn *c, const struct ident *id);

/* Per-transaction namespace handles (closed when the transaction ends),
 * with a netlink socket inside the namespace. */
int txn_ns(struct txn *c, const char *name, struct nshandle **out);
/* The same handle with its fd and cookie only (h->nl unset unless an
 * earlier txn_ns opened it): what identity checks need. No netlink socket
 * is opened, so a namespace whose name goes next ends at once when nothing
 * else holds it (netns_cookie says why). */
int txn_ns_id(struct txn *c, const char *name, struct nshandle **out);
void txn_forget(struct txn *c, const char *name);
/* NAME's handle from fd and nl, which the txn now owns: a namespace this
 * transaction just made, entered without a second open and check. */
void txn_ns_adopt(struct txn *c, const char *name, int fd, const struct netlink *nl);
void txn_close(struct txn *c);
/* A netlink socket in the namespace npte started in (the host's), opened once. */
int txn_host(struct txn *c, struct netlink **nl);

/*
 * A write transaction: the exclusive lock (waiting until c's deadline), the
 * recovery of a dead run, then build (if not NULL) may add ops to p from what
 * it sees under the lock; then the journal, the ops, rollback on failure, the
 * commit, the unlock. Returns the exit code (the error is in c->err).
 */
int txn_write(struct plan *p, struct txn *c, int (*build)(struct plan *, struct txn *, void *),
	      void *arg);
/*
 * A read transaction: the shared lock (refused, exit 75, while a dead run's
 * journal awaits recovery), p's ops (guards, or an op that enters a
 * namespace), then fn (if not NULL) under the lock, then the unlock.
 */
int txn_read(struct plan *p, struct txn *c, int (*fn)(struct txn *, void *), void *arg);
/* txn_write or txn_read, as p->exclusive says. */
int txn_execute(struct plan *p, struct txn *c);
/* Run the ops without the lock, with rollback (unit tests). */
int txn_run_ops(struct plan *p, struct txn *c);

#endif
