/*
 * Playing schedules (schedule.h) on the root netem of one or two interfaces
 * of a namespace: `npte-netem play` and `npte-lab play`.
 *
 * A play is three parts. The start is an ordinary transaction from the plan
 * (plan_play_start): the owner guard; per interface a snapshot of the root
 * qdisc tree that is there (qdisc_snapshot.h) and, for the first one, the one netlink
 * socket the player keeps inside the namespace; then the first step grafted
 * at the root as `npte-netem apply` grafts it. Then, with every capability
 * but CAP_NET_ADMIN dropped, each later step at its time on CLOCK_MONOTONIC
 * absolute deadlines: the global lock for the instant of the change, the
 * marker checked to be still the caller's and for the same namespace (its
 * cookie and inode), and RTM_NEWQDISC without NLM_F_CREATE (`tc qdisc
 * change`): nothing is flushed. Between steps it looks at the marker at
 * least once a second and ends (exit 1) when the namespace is gone, so it
 * never keeps a destroyed namespace alive for longer than that. The end (the
 * schedule's end, SIGINT, SIGTERM or SIGHUP) puts back the snapshot, under
 * the lock and the same checks, unless keep; then the lateness of the
 * changes is printed: count, p50, p99 and max.
 */
#ifndef NPTE_PLAYER_H
#define NPTE_PLAYER_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/netlink.h>
#include "base/kmem.h"
#include "kernel/netlink.h"
#include "kernel/qdisc_snapshot.h"
#include "ops/ops_snapshot.h"
#include "shape/schedule.h"
#include "txn/plan.h"
#include "txn/txn.h"

#define PLAY_DIRS 2

struct play_dir {
	char ifname[IFNAME_MAX + 1];
	const char *label;   /* "down", "up", or the interface */
	struct schedule *s;
	enum qkind kind;     /* every step netem words, or every step tbf words */
	struct play_snapshot snap; /* its worst step set before the start, the rest filled by it */
};

/* The lateness of the changes: 10 us buckets up to 1 s, and the exact maximum. */
#define LATE_BUCKET_NS 10000ULL
#define LATE_BUCKETS 100001
struct play_lateness {
	uint32_t hist[LATE_BUCKETS];
	uint64_t n, max;
};

struct play {
	char ns[NETNS_NAME_MAX + 4];
	const char *verb;    /* "play" */
	int nd;
	struct play_dir d[PLAY_DIRS];
	bool loop, keep, json;
	unsigned wait_s;
	struct play_socket sock; /* filled at the start: the one socket inside the namespace */
	struct play_lateness late;
	union {              /* the next change's request, built ahead of its deadline */
		struct nlmsghdr h;
		char b[NL_BUF];
	} req;
};

/* A step's words as the qdisc they say: netem words, or tbf words (which
 * always name a burst; the host kernel has tbf where it has no netem). */
struct step_spec {
	enum qkind kind;
	union qspec q;
};
bool play_step_spec(const struct play_dir *d, size_t i, struct step_spec *out, struct err *e);
/* The schedule's words checker (schedule.h's sched_check_fn): netem or tbf words. */
bool play_words_ok(void *arg, int argc, char **argv, struct err *why);
/* d->kind from its steps; false (with e set) when they mix netem and tbf. */
bool play_dir_kind(struct play_dir *d, struct err *e);

/* The start: guard, snapshots and the first steps into plan p (p->title set
 * by the caller). p stays valid while the play runs: its ops refer to pl. */
void plan_play_start(struct plan *p, struct play *pl);

/* After the start's transaction committed: play to the end. The exit code
 * (0, 1, 75, 129, 130, 143); messages go to stderr, the lateness to stdout. */
int play_run(struct play *pl, const struct caller *who);

/* The dry-run's part after the start: the steps as `tc qdisc change` lines
 * with sleeps, under the same lock and guards, and the same stop trap. */
void play_render(FILE *f, const struct play *pl, const struct txn *c);

/* Give up the interfaces' claims (a start that failed after its claim). */
void play_unclaim(struct play *pl);

#endif
