/* Playing schedules on the kernel path (see player.h). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <linux/capability.h>
#include <linux/rtnetlink.h>
#include "ops/claim.h"
#include "ops/ops_snapshot.h"
#include "kernel/lock.h"
#include "kernel/netns.h"
#include "ops/ops.h"
#include "txn/owner.h"
#include "play/player.h"
#include "kernel/registry.h"
#include "txn/render.h"
#include "kernel/requests.h"
#include "base/escape.h"

#define GONE_TEXT "the namespace is gone or no longer the one played on: stopping"

/* A step's words are those of the first root kind that takes them; when
 * none does, the first kind's reason (schedules are netem words first). */
static bool words_spec(int argc, char **argv, struct step_spec *out, struct err *e)
{
	struct err first = {0}, other;

	for (int k = 0; k < QK_N; k++) {
		const struct qdisc_kind *kind = qkind_of((enum qkind)k);

		if (kind->child_only)
			continue;
		other = (struct err){0};
		if (kind->parse(&out->q, argc, argv, shape_tick_in_usec(), first.code ? &other : &first)) {
			out->kind = (enum qkind)k;
			return true;
		}
	}
	*e = first;
	return false;
}

bool play_step_spec(const struct play_dir *d, size_t i, struct step_spec *out, struct err *e)
{
	char *argv[SCHED_WORDS_MAX + 1];
	int argc = schedule_argv(d->s, i, argv, SCHED_WORDS_MAX + 1);

	if (argc < 0)
		return err_set(e, EXIT_USAGE, "no step %zu", i + 1), false;
	return words_spec(argc, argv, out, e);
}

bool play_words_ok(void *arg, int argc, char **argv, struct err *why)
{
	struct step_spec sp;

	(void)arg;
	return words_spec(argc, argv, &sp, why);
}

bool play_dir_kind(struct play_dir *d, struct err *e)
{
	struct step_spec sp;

	for (size_t i = 0; i < d->s->n; i++) {
		if (!play_step_spec(d, i, &sp, e))
			return false;
		if (i == 0)
			d->kind = sp.kind;
		else if (sp.kind != d->kind)
			return err_set(e, EXIT_USAGE,
				       "step %zu (line %u) is %s words, step 1 %s words: one kind per schedule", i + 1,
				       (unsigned)d->s->step[i].line, qkind_of(sp.kind)->name,
				       qkind_of(d->kind)->name),
			       false;
	}
	return true;
}

/* --- the start ------------------------------------------------------------ */

/* The worst rate, per packet, and the worst slot any step gives. */
static struct kmem_want kept_of(const struct play *pl, const struct play_dir *d)
{
	struct kmem_want kept = {0}, w, one;
	const struct qdisc_kind *kind;
	struct step_spec sp;
	struct err e = {0};

	for (size_t i = 0; i < d->s->n; i++) {
		if (!play_step_spec(d, i, &sp, &e))
			die(EXIT_USAGE, "%s: step %zu: %s", pl->verb, i + 1, e.msg);
		kind = qkind_of(sp.kind);
		if (!kind->keeps)
			continue; /* its change leaves nothing in the kernel */
		w = kind->want(&sp.q);
		one = (struct kmem_want){.pkts = 1};
		if (!(kind->keeps(&sp.q) & QK_KEEPS_RATE))
			kmem_keep_rate(&one, &w);
		if (!(kind->keeps(&sp.q) & QK_KEEPS_SLOT))
			kmem_keep_slot(&one, &w);
		kmem_max(&kept, &one);
	}
	return kept;
}

/*
 * Every step is charged as its worst: the memory check sees them all. A
 * step's change keeps the rate (with its overheads) and the slot in the
 * kernel when it gives none, so such a step drains at some earlier step's
 * (with --loop, any step's): it is judged at the slowest of them.
 */
static void play_kmem_worst(const struct play *pl, struct play_dir *d)
{
	const struct qdisc_kind *kind;
	struct step_spec sp;
	struct kmem_want worst = {0}, w, kept = kept_of(pl, d);
	struct err e = {0};

	for (size_t i = 0; i < d->s->n; i++) {
		if (!play_step_spec(d, i, &sp, &e))
			die(EXIT_USAGE, "%s: step %zu: %s", pl->verb, i + 1, e.msg);
		kind = qkind_of(sp.kind);
		w = kind->want(&sp.q);
		if (kind->keeps && (kind->keeps(&sp.q) & QK_KEEPS_RATE))
			kmem_keep_rate(&w, &kept);
		if (kind->keeps && (kind->keeps(&sp.q) & QK_KEEPS_SLOT))
			kmem_keep_slot(&w, &kept);
		kmem_max(&worst, &w);
	}
	d->snap.worst = worst;
	plan_kmem_worst(pl->ns, d->ifname, &worst);
}

void plan_play_start(struct plan *p, struct play *pl)
{
	struct step_spec first;
	struct err e = {0};

	plan_guard_owned(p, pl->verb, pl->ns, 0);
	for (int i = 0; i < pl->nd; i++)
		plan_play_snapshot(p, pl->ns, pl->d[i].ifname, i, &pl->d[i].snap, &pl->sock);
	for (int i = 0; i < pl->nd; i++)
		play_kmem_worst(pl, &pl->d[i]);
	for (int i = 0; i < pl->nd; i++) {
		if (!play_step_spec(&pl->d[i], 0, &first, &e))
			die(EXIT_USAGE, "%s: step 1: %s", pl->verb, e.msg);
		plan_qdisc_root(p, pl->ns, pl->d[i].ifname, first.kind, &first.q, NULL);
	}
}

/* --- the loop ------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void late_add(struct play_lateness *l, uint64_t ns)
{
	uint64_t b = ns / LATE_BUCKET_NS;

	l->hist[b < LATE_BUCKETS - 1 ? b : LATE_BUCKETS - 1]++;
	l->n++;
	if (ns > l->max)
		l->max = ns;
}

/* The upper edge of the bucket holding the q-quantile, in us. */
static double late_q(const struct play_lateness *l, double q)
{
	uint64_t want = (uint64_t)(q * (double)l->n + 0.999999), seen = 0;

	for (size_t b = 0; b < LATE_BUCKETS && l->n; b++) {
		seen += l->hist[b];
		if (seen >= want) {
			uint64_t edge = (b + 1) * LATE_BUCKET_NS;

			/* the bucket's upper edge, but never above what was seen */
			return (double)(edge < l->max ? edge : l->max) / 1000.;
		}
	}
	return 0;
}

/* The marker is still the caller's, for the namespace the socket is in. */
static int still_mine(const struct play *pl, const struct caller *who)
{
	struct marker m;
	struct stat st;
	char path[64];
	int rc = marker_read(pl->ns, &m);

	if (rc < 0)
		return rc;
	if (!who->admin && m.owner != who->uid)
		return -EPERM;
	if (m.cookie && m.cookie != pl->sock.nl.cookie)
		return -ESTALE;
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, pl->ns);
	if (stat(path, &st) < 0)
		return -errno;
	return st.st_dev == pl->sock.ns_dev && st.st_ino == pl->sock.ns_ino ? 0 : -ESTALE;
}

/* How a change (or the restore) under the lock went; e says why not. */
enum locked {
	LOCKED_DONE,
	LOCKED_FAILED, /* the lock or the kernel refused: e.code is the exit code */
	LOCKED_GONE,   /* the namespace went: exit 1, and nothing to restore */
};

/* One change (m), or the restore of direction dir (m NULL), under the lock
 * and after the checks. */
static enum locked under_lock(struct play *pl, const struct caller *who, int dir, struct nlmsghdr *m,
			      struct err *e)
{
	struct play_dir *d = &pl->d[dir];
	char ext[256] = "";
	int rc;

	if (lock_take(true, pl->wait_s, who->uid, pl->verb, e))
		return LOCKED_FAILED;
	if (still_mine(pl, who) < 0) {
		lock_release();
		err_set(e, EXIT_FAIL, "%s: " GONE_TEXT, pl->ns);
		return LOCKED_GONE;
	}
	if (m)
		rc = netlink_talk(&pl->sock.nl, m, ext, sizeof ext);
	else
		rc = qdisc_snapshot_restore(&pl->sock.nl, d->snap.ifindex, &d->snap.prev, ext, sizeof ext);
	lock_release();
	if (rc < 0) {
		err_set(e, EXIT_FAIL, "%s: %s: %s: %s%s%s", pl->ns, d->ifname,
			m ? "change the root qdisc" : "restore the qdiscs", strerror(-rc), ext[0] ? ": " : "", ext);
		return LOCKED_FAILED;
	}
	return LOCKED_DONE;
}

struct cursor {
	size_t next;     /* step to apply next */
	uint64_t base;   /* monotonic ns of this round's offset 0 */
	bool done;
	bool held;       /* a looped one-step schedule: its step stays, no round */
};

/* A running play: where each direction is, and how it ends. */
struct run {
	struct play *pl;
	const struct caller *who;
	struct cursor k[PLAY_DIRS];
	struct { int dir; size_t idx; uint64_t base; struct nlmsghdr *m; } ready; /* pl->req holds it */
	int sfd, tfd;
	int stop;        /* 128 + the signal that stopped it, or 0 */
	bool gone;       /* the namespace went: nothing to put back */
	struct err e;    /* why it ended early */
};

static uint64_t due(const struct play_dir *d, const struct cursor *k)
{
	return k->next < d->s->n ? k->base + d->s->step[k->next].at_ns : k->base + d->s->end_ns;
}

/*
 * A player behind its schedule (stopped and continued, or long on the lock)
 * skips what it slept through: the link from now on is the step due last,
 * so that one alone goes in, never a burst of the missed ones (a loop of
 * 10 ms steps stopped for an hour would otherwise spin through 360000
 * changes). Whole rounds of a loop are skipped by arithmetic.
 */
static void catch_up(const struct play *pl, const struct play_dir *d, struct cursor *c, uint64_t now)
{
	const struct schedule *s = d->s;

	if (c->done || c->held)
		return;
	if (pl->loop && s->end_ns && now >= c->base + s->end_ns) {
		c->base += (now - c->base) / s->end_ns * s->end_ns;
		c->next = 0;
	}
	while (c->next + 1 < s->n && c->base + s->step[c->next + 1].at_ns <= now)
		c->next++;
}

static int timer_at(int tfd, uint64_t at)
{
	struct itimerspec its = {.it_value = {.tv_sec = (time_t)(at / 1000000000ULL),
					      .tv_nsec = (long)(at % 1000000000ULL)}};

	/* 0 would disarm it: a deadline already past fires at once */
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void report(const struct play *pl, int rc)
{
	const struct play_lateness *l = &pl->late;

	if (pl->json) {
		printf("{\"changes\":%" PRIu64 ",\"late_us\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.1f},\"exit\":%d}\n",
		       l->n, late_q(l, 0.5), late_q(l, 0.99), (double)l->max / 1000., rc);
	} else {
		printf("%s: %" PRIu64 " changes; late p50 %.0f us, p99 %.0f us, max %.1f us\n", pl->verb, l->n,
		       late_q(l, 0.5), late_q(l, 0.99), (double)l->max / 1000.);
	}
	fflush(stdout);
}

/* The claims go with the player, whichever way it ends (claim.h). */
void play_unclaim(struct play *pl)
{
	for (int i = 0; i < pl->nd; i++)
		if (pl->d[i].snap.claimed) {
			claim_drop(pl->ns, pl->d[i].ifname, pl->d[i].snap.playfd);
			pl->d[i].snap.claimed = false;
		}
}

/* Down to CAP_NET_ADMIN, every stopping signal on a signalfd, and the
 * timer; the clock starts (step 0 went in with the start). */
static bool run_start(struct run *r)
{
	static const int keep_caps[] = {
		CAP_NET_ADMIN, /* RTM_NEWQDISC over the one socket kept inside the namespace */
		-1,
	};
	/* Every signal sudo relays that would end the player: each one stops it
	 * and puts the snapshot back, exit 128 + its number. */
	static const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE,
				    SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPOLL};
	sigset_t sigs;
	uint64_t start;

	caps_keep(keep_caps);
	/* wake at the deadline, not up to 50 us after it (the default slack) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	sigemptyset(&sigs);
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
		sigaddset(&sigs, stops[i]);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	r->sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (r->sfd < 0 || r->tfd < 0)
		return false;
	start = now_ns();
	/* A loop of one step would put the same step in again each round, as
	 * often as its period (a 1 ms trace: 1000 times a second): it is held
	 * instead, and the player only watches until it is stopped. */
	for (int i = 0; i < r->pl->nd; i++)
		r->k[i] = (struct cursor){.next = 1, .base = start, .held = r->pl->loop && r->pl->d[i].s->n == 1};
	return true;
}

/* The direction due next (-1: none) and when; false when every schedule
 * ended and none is held. */
static bool next_due(struct run *r, uint64_t now, int *dir, uint64_t *at)
{
	int held = 0;

	*dir = -1;
	*at = UINT64_MAX;
	for (int i = 0; i < r->pl->nd; i++) {
		catch_up(r->pl, &r->pl->d[i], &r->k[i], now);
		held += r->k[i].held;
		if (!r->k[i].done && !r->k[i].held && due(&r->pl->d[i], &r->k[i]) < *at)
			*at = due(&r->pl->d[i], &r->k[i]), *dir = i;
	}
	return *dir >= 0 || held;
}

/* The request of dir's next step into pl->req, built before its deadline
 * (once: it stays ready until it went in or the cursor moved). */
static bool prepare(struct run *r, int dir)
{
	struct play_dir *d = dir < 0 ? NULL : &r->pl->d[dir];
	struct cursor *k = dir < 0 ? NULL : &r->k[dir];
	struct step_spec spec;
	struct err e = {0};
	int rc;

	if (!d || k->next >= d->s->n || (r->ready.dir == dir && r->ready.idx == k->next && r->ready.base == k->base))
		return true;
	if (!play_step_spec(d, k->next, &spec, &e))
		return err_set(&r->e, EXIT_FAIL, "%s: step %zu: %s", d->label, k->next + 1, e.msg), false;
	rc = req_qdisc_new(&r->pl->sock.nl, r->pl->req.b, sizeof r->pl->req.b,
			   &(struct qdisc_new){.flags = 0, .ifindex = d->snap.ifindex, .parent = TC_H_ROOT,
					       .kind = spec.kind, .spec = &spec.q},
			   &r->ready.m);
	if (rc < 0)
		return err_set(&r->e, EXIT_FAIL, "%s: step %zu: build the request: %s", d->label, k->next + 1,
			       strerror(-rc)),
		       false;
	r->ready.dir = dir, r->ready.idx = k->next, r->ready.base = k->base;
	return true;
}

/* How a wait ended. */
enum woke { WOKE_DUE, WOKE_EARLY, WOKE_END };

/* Sleep until at, or until check (to look at the marker), or a stop. */
static enum woke wait_until(struct run *r, uint64_t at, uint64_t check)
{
	struct pollfd pf[2] = {{.fd = r->sfd, .events = POLLIN}, {.fd = r->tfd, .events = POLLIN}};
	struct signalfd_siginfo si;
	uint64_t ticks;

	if (timer_at(r->tfd, at < check ? at : check) < 0 || poll(pf, 2, -1) < 0) {
		if (errno == EINTR)
			return WOKE_EARLY;
		err_set(&r->e, EXIT_FAIL, "poll: %s", strerror(errno));
		return WOKE_END;
	}
	if ((pf[0].revents & POLLIN) && read(r->sfd, &si, sizeof si) == sizeof si) {
		r->stop = 128 + (int)si.ssi_signo;
		return WOKE_END;
	}
	if ((pf[1].revents & POLLIN) && read(r->tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		return WOKE_EARLY;
	if (now_ns() >= at)
		return WOKE_DUE;
	/* a liveness look: the namespace may be gone (no lock needed to read) */
	if (still_mine(r->pl, r->who) < 0) {
		err_set(&r->e, EXIT_FAIL, "%s: " GONE_TEXT, r->pl->ns);
		r->gone = true;
		return WOKE_END;
	}
	return WOKE_EARLY;
}

/* dir's deadline at came: its next step goes in, or its round ends.
 * false when the play ends here. */
static bool change(struct run *r, int dir, uint64_t at)
{
	struct play_dir *d = &r->pl->d[dir];
	struct cursor *c = &r->k[dir];
	enum locked res;

	if (c->next >= d->s->n) {
		/* the end of a round: start over, or this schedule is done */
		if (r->pl->loop && d->s->end_ns) {
			c->base += d->s->end_ns;
			c->next = 0;
		} else {
			c->done = true;
		}
		return true;
	}
	res = under_lock(r->pl, r->who, dir, r->ready.m, &r->e);
	r->ready.dir = -1;
	r->gone = res == LOCKED_GONE;
	if (res != LOCKED_DONE)
		return false;
	late_add(&r->pl->late, now_ns() - at);
	c->next++;
	return true;
}

/* Every direction's steps at their times, until the end or a stop. */
static void run_loop(struct run *r)
{
	for (;;) {
		uint64_t at, now = now_ns();
		int dir;

		if (!next_due(r, now, &dir, &at) || !prepare(r, dir))
			return;
		/* a look at the marker at least once a second */
		switch (wait_until(r, at, now + 1000000000ULL)) {
		case WOKE_END:
			return;
		case WOKE_EARLY:
			continue;
		case WOKE_DUE:
			if (!change(r, dir, at))
				return;
		}
	}
}

/* Put back what was there, unless asked to keep it or the namespace is
 * gone; each failure said as it happens. The first one's exit code. */
static int restore(struct run *r)
{
	int rc = 0;

	if (r->pl->keep || r->gone)
		return 0;
	for (int i = 0; i < r->pl->nd; i++) {
		struct err e = {0};

		if (under_lock(r->pl, r->who, i, NULL, &e) == LOCKED_DONE)
			continue;
		warn_msg("%s: %s", r->pl->verb, e.msg);
		if (!rc)
			rc = e.code;
	}
	return rc;
}

int play_run(struct play *pl, const struct caller *who)
{
	struct run r = {.pl = pl, .who = who, .ready.dir = -1, .sfd = -1, .tfd = -1};
	int rc;

	if (!run_start(&r)) {
		warn_msg("%s: signalfd/timerfd: %s", pl->verb, strerror(errno));
		play_unclaim(pl);
		return EXIT_FAIL;
	}
	run_loop(&r);
	rc = restore(&r);
	if (r.e.code) {
		warn_msg("%s: %s", pl->verb, r.e.msg);
		rc = r.e.code;
	}
	rc = r.stop ? r.stop : rc;
	report(pl, rc);
	close(r.sfd);
	close(r.tfd);
	netlink_close(&pl->sock.nl);
	play_unclaim(pl);
	return rc;
}

/* --- the preview ---------------------------------------------------------- */

static void fsleep(FILE *f, uint64_t ns)
{
	if (ns)
		fprintf(f, "  sleep %" PRIu64 ".%09" PRIu64 "\n", ns / UINT64_C(1000000000), ns % UINT64_C(1000000000));
}

/* npte_lock: the lock for one change, and the owner guard under it. */
static void render_lock_fn(FILE *f, const struct play *pl, const struct txn *c)
{
	struct op guard = {.type = &guard_op};
	char msg[200];

	snprintf(guard.ns, sizeof guard.ns, "%s", pl->ns);
	snprintf(guard.u.guard.verb, sizeof guard.u.guard.verb, "%s", pl->verb);
	snprintf(msg, sizeof msg, "%s: %s: lock busy after %us; retry later", prog, pl->verb, c->wait_s);
	fprintf(f, "npte_lock() {\n  exec 9>>%s/lock\n  flock -E 75 -w %u 9 & wait \"$!\" || { echo ", NPTE_RUN_DIR,
		c->wait_s);
	sh_quote(f, msg);
	fprintf(f, " >&2; exit 75; }\n  ");
	guard.type->render(f, &guard, c, false);
	fprintf(f, "}\n");
}

/* npte_stop: the kernel's default root back (unless keep), on every stop. */
static void render_stop_fn(FILE *f, const struct play *pl)
{
	fprintf(f, "npte_stop() {\n  trap - HUP INT QUIT USR1 USR2 PIPE ALRM TERM\n");
	if (!pl->keep) {
		fprintf(f, "  npte_lock\n");
		for (int i = 0; i < pl->nd; i++) {
			fputs("  ", f);
			render_cmd(f, (const char *[]){"ip", "netns", "exec", pl->ns, "tc", "qdisc", "del", "dev",
						       pl->d[i].ifname, "root", NULL});
			fputs(" 2>/dev/null || :\n", f);
		}
		fprintf(f, "  exec 9>&-\n");
	}
	fprintf(f, "  exit \"$1\"\n}\n");
	/* the POSIX signals that end a shell, with the live player's exit codes */
	fprintf(f, "trap 'npte_stop 129' HUP\ntrap 'npte_stop 130' INT\ntrap 'npte_stop 131' QUIT\n"
		   "trap 'npte_stop 138' USR1\ntrap 'npte_stop 140' USR2\ntrap 'npte_stop 141' PIPE\n"
		   "trap 'npte_stop 142' ALRM\ntrap 'npte_stop 143' TERM\n");
}

/* Step i of dir as a change under the lock; false if it cannot be played. */
static bool render_step(FILE *f, const struct play *pl, const struct txn *c, int dir, size_t i)
{
	struct op change = {.type = &change_op};
	struct step_spec spec;
	struct err e = {0};

	if (!play_step_spec(&pl->d[dir], i, &spec, &e)) {
		fprintf(f, "  exit 2 # step %zu: unplayable\n", i + 1);
		return false;
	}
	snprintf(change.ns, sizeof change.ns, "%s", pl->ns);
	snprintf(change.u.qdisc.ifname, sizeof change.u.qdisc.ifname, "%s", pl->d[dir].ifname);
	change.u.qdisc.kind = spec.kind;
	change.u.qdisc.q = spec.q;
	fputs("  npte_lock\n", f);
	change.type->render(f, &change, c, false);
	fputs("  exec 9>&-\n", f);
	return true;
}

/* The steps of every direction in time order, each round from 0; the
 * offset of the last one into *t. false if one cannot be played. */
static bool render_steps(FILE *f, const struct play *pl, const struct txn *c, uint64_t *t)
{
	size_t next[PLAY_DIRS] = {0};

	for (;;) {
		int dir = -1;
		uint64_t at = UINT64_MAX;

		for (int i = 0; i < pl->nd; i++) {
			const struct schedule *s = pl->d[i].s;
			/* a looped one-step schedule is held, as the live player holds it */
			uint64_t a = next[i] < s->n && !(pl->loop && s->n == 1) ? s->step[next[i]].at_ns : UINT64_MAX;

			if (a < at)
				at = a, dir = i;
		}
		if (dir < 0)
			return true;
		fsleep(f, at - *t);
		*t = at;
		/* without a loop, the first steps are in already */
		if ((next[dir] > 0 || pl->loop) && !render_step(f, pl, c, dir, next[dir]))
			return false;
		next[dir]++;
	}
}

/* The wait for the end of the period, from t on. */
static void render_end(FILE *f, const struct play *pl, uint64_t t)
{
	uint64_t end = 0;
	bool all_held = pl->loop;

	for (int i = 0; i < pl->nd; i++) {
		if (pl->loop && pl->d[i].s->n == 1)
			continue; /* held: its period means nothing */
		all_held = false;
		if (pl->d[i].s->end_ns > end)
			end = pl->d[i].s->end_ns;
	}
	/* only held steps: the loop just waits to be stopped */
	fsleep(f, all_held ? 3600 * 1000000000ULL : end > t ? end - t : 0);
}

void play_render(FILE *f, const struct play *pl, const struct txn *c)
{
	uint64_t t = 0;

	fprintf(f, "# The first steps are in. From here on the lock is taken for each change only,\n"
		   "# and a stop (a signal that would end the script) or the end puts back the\n"
		   "# kernel's default root.\n"
		   "# sleep with a fraction of a second is a GNU coreutils and busybox extension;\n"
		   "# each sleep counts from the step before it, so the script drifts by the\n"
		   "# time each change takes (the live player keeps absolute deadlines).\n");
	fprintf(f, "step=0\nexec 9>&-\n");
	render_lock_fn(f, pl, c);
	render_stop_fn(f, pl);
	if (pl->loop)
		fprintf(f, "while :; do\n");
	if (!render_steps(f, pl, c, &t))
		return;
	render_end(f, pl, t);
	if (pl->loop)
		fprintf(f, "done\n");
	fprintf(f, "npte_stop 0\n");
}
