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
#include "kernel/lock.h"
#include "kernel/netns.h"
#include "ops/ops.h"
#include "txn/owner.h"
#include "play/player.h"
#include "kernel/registry.h"
#include "txn/render.h"
#include "kernel/requests.h"
#include "base/escape.h"

static struct play *cur; /* the play the start's ops fill */

/* under_lock's answer when the namespace went: exit 1, and nothing to restore */
#define EXIT_GONE 1001
#define GONE_TEXT "the namespace is gone or no longer the one played on: stopping"

static bool words_spec(int argc, char **argv, struct step_spec *out, struct err *e)
{
	char why[sizeof e->msg], twhy[200];

	out->kind = QK_NETEM;
	if (netem_parse(&out->ne, argc, argv, shape_tick_in_usec(), why, sizeof why))
		return true;
	if (!tbf_parse_words(&out->tb, argc, argv, twhy, sizeof twhy))
		return err_set(e, EXIT_USAGE, "%s", why), false; /* the netem reason: schedules are netem words first */
	out->kind = QK_TBF;
	return true;
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
	static struct step_spec sp;

	(void)arg;
	return words_spec(argc, argv, &sp, why);
}

bool play_dir_kind(struct play_dir *d, struct err *e)
{
	static struct step_spec sp;

	for (size_t i = 0; i < d->s->n; i++) {
		if (!play_step_spec(d, i, &sp, e))
			return false;
		if (i == 0)
			d->kind = sp.kind;
		else if (sp.kind != d->kind)
			return err_set(e, EXIT_USAGE,
				       "step %zu (line %u) is %s words, step 1 %s words: one kind per schedule", i + 1,
				       (unsigned)d->s->step[i].line, sp.kind == QK_TBF ? "tbf" : "netem",
				       d->kind == QK_TBF ? "tbf" : "netem"),
			       false;
	}
	return true;
}

/* --- the start: snapshot op ----------------------------------------------- */

/* Under the start's lock, before the first step replaces it: the interface
 * claimed, the tree at the root as it is, and (first interface) the socket
 * the player keeps. */
static int snap_apply(struct txn *c, const struct op *op, bool undo)
{
	struct play_dir *d = &cur->d[op->u.play.dir];
	struct nshandle *h;
	struct stat st;
	int rc;

	if (undo)
		return 0;
	rc = txn_ns(c, op->ns, &h);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	d->ifindex = req_ifindex(&h->nl, d->ifname);
	if (d->ifindex < 0)
		return err_sys(&c->err, EXIT_FAIL, -d->ifindex, "%s: %s", op->ns, d->ifname);
	rc = claim_take(op->ns, d->ifname, &d->playfd);
	if (rc == 0) {
		d->claimed = true;
		rc = claim_note(d->playfd, kmem_charge_on(c, op->ns, d->ifname, &d->worst));
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s/%s", NPTE_RUN_DIR, NPTE_PLAY_DIR);
	}
	if (rc == -EBUSY)
		return err_set(&c->err, EXIT_BUSY, "%s: %s: another play is running on it", op->ns, d->ifname);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s/%s", NPTE_RUN_DIR, NPTE_PLAY_DIR);
	rc = qdisc_snapshot_take(&h->nl, d->ifindex, &d->prev);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read the qdiscs to restore later", op->ns,
			       d->ifname);
	if (cur->has_nl)
		return 0;
	if (fstat(h->fd, &st) < 0)
		return err_sys(&c->err, EXIT_FAIL, errno, "%s", op->ns);
	rc = netns_nl(h->fd, &cur->nl);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: netlink socket", op->ns);
	cur->has_nl = true;
	cur->ns_dev = st.st_dev;
	cur->ns_ino = st.st_ino;
	return 0;
}

/* The preview cannot rebuild a qdisc tree from tc's printout, so it starts
 * only over the kernel's default root (handle 0), which it can put back. */
static void snap_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char msg[200], path[96];
	int fd = 8 - op->u.play.dir;

	(void)c, (void)undo;
	/* the same claim on the interface, on an fd the script keeps */
	snprintf(path, sizeof path, "%s/%s/%s:%s", NPTE_RUN_DIR, NPTE_PLAY_DIR, op->ns, op->u.play.ifname);
	snprintf(msg, sizeof msg, "%s: play: %s: %s: another play is running on it", prog, op->ns, op->u.play.ifname);
	fprintf(f, "install -d -m 0700 %s/%s\nexec %d>>", NPTE_RUN_DIR, NPTE_PLAY_DIR, fd);
	sh_quote(f, path);
	fprintf(f, "\nflock -n %d || { echo ", fd);
	sh_quote(f, msg);
	fputs(" >&2; exit 75; }\n", f);
	snprintf(msg, sizeof msg,
		 "%s: play: %s: %s: a preview restores only the kernel's default root qdisc: clear it first, "
		 "or run the live command",
		 prog, op->ns, op->u.play.ifname);
	render_cmd(f, (const char *[]){"ip", "netns", "exec", op->ns, "tc", "qdisc", "show", "dev",
				       op->u.play.ifname, "root", NULL});
	fputs(" | grep -q '^qdisc [a-z_]* 0: root' || { echo ", f);
	sh_quote(f, msg);
	fputs(" >&2; exit 2; }\n", f);
}

const struct op_type play_snap_op = {
	.name = "play snapshot", .apply = snap_apply, .render = snap_render,
};

/* The worst rate, per packet, and the worst slot any step gives. */
static struct kmem_want kept_of(const struct play *pl, const struct play_dir *d, struct step_spec *sp)
{
	struct kmem_want kept = {0}, w, one;
	struct err e = {0};

	for (size_t i = 0; i < d->s->n; i++) {
		if (!play_step_spec(d, i, sp, &e))
			die(EXIT_USAGE, "%s: step %zu: %s", pl->verb, i + 1, e.msg);
		if (sp->kind == QK_TBF)
			continue;
		w = kmem_of_netem_spec(&sp->ne, 0);
		one = (struct kmem_want){.pkts = 1};
		if (sp->ne.has_rate)
			kmem_keep_rate(&one, &w);
		if (sp->ne.has_slot)
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
	static struct step_spec sp;
	struct kmem_want worst = {0}, w, kept = kept_of(pl, d, &sp);
	struct err e = {0};

	for (size_t i = 0; i < d->s->n; i++) {
		if (!play_step_spec(d, i, &sp, &e))
			die(EXIT_USAGE, "%s: step %zu: %s", pl->verb, i + 1, e.msg);
		if (sp.kind == QK_TBF) {
			w = kmem_of_tbf_spec(&sp.tb);
		} else {
			w = kmem_of_netem_spec(&sp.ne, 0);
			if (!sp.ne.has_rate)
				kmem_keep_rate(&w, &kept);
			if (!sp.ne.has_slot)
				kmem_keep_slot(&w, &kept);
		}
		kmem_max(&worst, &w);
	}
	d->worst = worst;
	plan_kmem_worst(pl->ns, d->ifname, &worst);
}

void plan_play_start(struct plan *p, struct play *pl)
{
	static struct step_spec first[PLAY_DIRS];
	struct err e = {0};

	cur = pl;
	plan_guard_owned(p, pl->verb, pl->ns, 0);
	for (int i = 0; i < pl->nd; i++) {
		struct op *op = plan_add(p, &play_snap_op);

		snprintf(op->ns, sizeof op->ns, "%s", pl->ns);
		snprintf(op->u.play.ifname, sizeof op->u.play.ifname, "%s", pl->d[i].ifname);
		op->u.play.dir = i;
	}
	for (int i = 0; i < pl->nd; i++)
		play_kmem_worst(pl, &pl->d[i]);
	for (int i = 0; i < pl->nd; i++) {
		if (!play_step_spec(&pl->d[i], 0, &first[i], &e))
			die(EXIT_USAGE, "%s: step 1: %s", pl->verb, e.msg);
		if (first[i].kind == QK_TBF)
			plan_tbf(p, pl->ns, pl->d[i].ifname, &first[i].tb);
		else
			plan_netem(p, pl->ns, pl->d[i].ifname, &first[i].ne, NULL);
	}
}

/* --- the loop ------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Lateness in 10 us buckets up to 1 s, and the exact maximum. */
#define LATE_BUCKET_NS 10000ULL
#define LATE_BUCKETS 100001
static uint32_t late_hist[LATE_BUCKETS];
static uint64_t late_n, late_max;

static void late_add(uint64_t ns)
{
	uint64_t b = ns / LATE_BUCKET_NS;

	late_hist[b < LATE_BUCKETS - 1 ? b : LATE_BUCKETS - 1]++;
	late_n++;
	if (ns > late_max)
		late_max = ns;
}

/* The upper edge of the bucket holding the q-quantile, in us. */
static double late_q(double q)
{
	uint64_t want = (uint64_t)(q * (double)late_n + 0.999999), seen = 0;

	for (size_t b = 0; b < LATE_BUCKETS && late_n; b++) {
		seen += late_hist[b];
		if (seen >= want) {
			uint64_t edge = (b + 1) * LATE_BUCKET_NS;

			/* the bucket's upper edge, but never above what was seen */
			return (double)(edge < late_max ? edge : late_max) / 1000.;
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
	if (m.cookie && m.cookie != pl->nl.cookie)
		return -ESTALE;
	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, pl->ns);
	if (stat(path, &st) < 0)
		return -errno;
	return st.st_dev == pl->ns_dev && st.st_ino == pl->ns_ino ? 0 : -ESTALE;
}

/* One change (or the restore) under the lock, after the checks. */
/* The next change's request, built ahead of its deadline. */
static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} nreq;

static int under_lock(struct play *pl, const struct caller *who, int dir, struct nlmsghdr *m, char *msg,
		      size_t n)
{
	struct err e = {0};
	char ext[256] = "";
	int rc = lock_take(true, pl->wait_s, who->uid, pl->verb, &e);

	if (rc)
		return snprintf(msg, n, "%s", e.msg), rc;
	rc = still_mine(pl, who);
	if (rc < 0) {
		lock_release();
		snprintf(msg, n, "%s: " GONE_TEXT, pl->ns);
		return EXIT_GONE;
	}
	if (m) {
		rc = netlink_talk(&pl->nl, m, ext, sizeof ext);
	} else {
		rc = qdisc_snapshot_restore(&pl->nl, pl->d[dir].ifindex, &pl->d[dir].prev, ext, sizeof ext);
	}
	lock_release();
	if (rc < 0) {
		snprintf(msg, n, "%s: %s: %s: %s%s%s", pl->ns, pl->d[dir].ifname,
			 m ? "change the root qdisc" : "restore the qdiscs", strerror(-rc), ext[0] ? ": " : "", ext);
		return EXIT_FAIL;
	}
	return 0;
}

struct cursor {
	size_t next;     /* step to apply next */
	uint64_t base;   /* monotonic ns of this round's offset 0 */
	bool done;
	bool held;       /* a looped one-step schedule: its step stays, no round */
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
	if (pl->json) {
		printf("{\"changes\":%" PRIu64 ",\"late_us\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.1f},\"exit\":%d}\n",
		       late_n, late_q(0.5), late_q(0.99), (double)late_max / 1000., rc);
	} else {
		printf("%s: %" PRIu64 " changes; late p50 %.0f us, p99 %.0f us, max %.1f us\n", pl->verb, late_n,
		       late_q(0.5), late_q(0.99), (double)late_max / 1000.);
	}
	fflush(stdout);
}

/* The claims go with the player, whichever way it ends (claim.h). */
void play_unclaim(struct play *pl)
{
	for (int i = 0; i < pl->nd; i++)
		if (pl->d[i].claimed) {
			claim_drop(pl->ns, pl->d[i].ifname, pl->d[i].playfd);
			pl->d[i].claimed = false;
		}
}

int play_run(struct play *pl, const struct caller *who)
{
	static const int keep_caps[] = {
		CAP_NET_ADMIN, /* RTM_NEWQDISC over the one socket kept inside the namespace */
		-1,
	};
	struct cursor k[PLAY_DIRS] = {{0}};
	struct { int dir; size_t idx; uint64_t base; struct nlmsghdr *m; } ready = {.dir = -1};
	char msg[512] = "";
	sigset_t sigs;
	int sfd, tfd, rc = 0, stop = 0;
	bool gone = false;
	uint64_t start;

	caps_keep(keep_caps);
	/* wake at the deadline, not up to 50 us after it (the default slack) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	/* Every signal sudo relays that would end the player: each one stops it
	 * and puts the snapshot back, exit 128 + its number. */
	static const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE,
				    SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPOLL};
	sigemptyset(&sigs);
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
		sigaddset(&sigs, stops[i]);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0) {
		fprintf(stderr, "%s: %s: signalfd/timerfd: %s\n", prog, pl->verb, strerror(errno));
		play_unclaim(pl);
		return EXIT_FAIL;
	}
	/* Step 0 went in with the start; the clock starts now. */
	start = now_ns();
	/* A loop of one step would put the same step in again each round, as
	 * often as its period (a 1 ms trace: 1000 times a second): it is held
	 * instead, and the player only watches until it is stopped. */
	for (int i = 0; i < pl->nd; i++)
		k[i] = (struct cursor){.next = 1, .base = start, .held = pl->loop && pl->d[i].s->n == 1};
	for (;;) {
		uint64_t next = UINT64_MAX, t = now_ns(), check = t + 1000000000ULL;
		struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};
		int dir = -1, held = 0;

		for (int i = 0; i < pl->nd; i++) {
			catch_up(pl, &pl->d[i], &k[i], t);
			held += k[i].held;
			if (!k[i].done && !k[i].held && due(&pl->d[i], &k[i]) < next)
				next = due(&pl->d[i], &k[i]), dir = i;
		}
		if (dir < 0 && !held)
			break; /* every schedule ended */
		/* the request of the step due next, built before its deadline */
		if (dir >= 0 && k[dir].next < pl->d[dir].s->n &&
		    (ready.dir != dir || ready.idx != k[dir].next || ready.base != k[dir].base)) {
			static struct step_spec spec;
			struct err e = {0};
			int r;

			if (!play_step_spec(&pl->d[dir], k[dir].next, &spec, &e)) {
				snprintf(msg, sizeof msg, "%s: step %zu: %.299s", pl->d[dir].label, k[dir].next + 1, e.msg);
				rc = EXIT_FAIL;
				break;
			}
			r = req_qdisc_new(&pl->nl, nreq.b, sizeof nreq.b,
					   &(struct qdisc_new){.flags = 0, .ifindex = pl->d[dir].ifindex,
							       .parent = TC_H_ROOT, .kind = spec.kind, .netem = &spec.ne,
							       .tbf = &spec.tb},
					   &ready.m);
			if (r < 0) {
				snprintf(msg, sizeof msg, "%s: step %zu: build the request: %s", pl->d[dir].label,
					 k[dir].next + 1, strerror(-r));
				rc = EXIT_FAIL;
				break;
			}
			ready.dir = dir, ready.idx = k[dir].next, ready.base = k[dir].base;
		}
		if (timer_at(tfd, next < check ? next : check) < 0 || poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(msg, sizeof msg, "poll: %s", strerror(errno));
			rc = EXIT_FAIL;
			break;
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof si) == sizeof si) {
				stop = 128 + (int)si.ssi_signo;
				break;
			}
		}
		if (pf[1].revents & POLLIN) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
				continue;
		}
		if (now_ns() < next) {
			/* a liveness look: the namespace may be gone (no lock needed to read) */
			if (still_mine(pl, who) < 0) {
				snprintf(msg, sizeof msg, "%s: " GONE_TEXT, pl->ns);
				rc = EXIT_FAIL;
				gone = true;
				break;
			}
			continue;
		}
		struct play_dir *d = &pl->d[dir];
		struct cursor *c = &k[dir];

		if (c->next >= d->s->n) {
			/* the end of a round: start over, or this schedule is done */
			if (pl->loop && d->s->end_ns) {
				c->base += d->s->end_ns;
				c->next = 0;
			} else {
				c->done = true;
			}
			continue;
		}
		rc = under_lock(pl, who, dir, ready.m, msg, sizeof msg);
		ready.dir = -1;
		if (rc == EXIT_GONE)
			gone = true, rc = EXIT_FAIL;
		if (rc)
			break;
		late_add(now_ns() - next);
		c->next++;
	}
	/* Put back what was there, unless asked to keep it or the namespace is gone. */
	if (!pl->keep && !gone) {
		char rmsg[512];

		for (int i = 0; i < pl->nd; i++) {
			int r = under_lock(pl, who, i, NULL, rmsg, sizeof rmsg);

			if (r == EXIT_GONE)
				r = EXIT_FAIL;
			if (r) {
				fprintf(stderr, "%s: %s: %s\n", prog, pl->verb, rmsg);
				if (!rc)
					rc = r;
			}
		}
	}
	if (msg[0])
		fprintf(stderr, "%s: %s: %s\n", prog, pl->verb, msg);
	rc = stop ? stop : rc;
	report(pl, rc);
	close(sfd);
	close(tfd);
	netlink_close(&pl->nl);
	play_unclaim(pl);
	return rc;
}

/* --- the preview ---------------------------------------------------------- */

static void fsleep(FILE *f, uint64_t ns)
{
	if (ns)
		fprintf(f, "  sleep %" PRIu64 ".%09" PRIu64 "\n", ns / UINT64_C(1000000000), ns % UINT64_C(1000000000));
}

void play_render(FILE *f, const struct play *pl, const struct txn *c)
{
	static struct op guard, change;
	char msg[200];
	struct err e = {0};
	static struct step_spec spec;
	size_t next[PLAY_DIRS] = {0};
	uint64_t t = 0;

	guard = (struct op){.type = &guard_op};
	snprintf(guard.ns, sizeof guard.ns, "%s", pl->ns);
	snprintf(guard.u.guard.verb, sizeof guard.u.guard.verb, "%s", pl->verb);
	fprintf(f, "# The first steps are in. From here on the lock is taken for each change only,\n"
		   "# and a stop (a signal that would end the script) or the end puts back the\n"
		   "# kernel's default root.\n"
		   "# sleep with a fraction of a second is a GNU coreutils and busybox extension;\n"
		   "# each sleep counts from the step before it, so the script drifts by the\n"
		   "# time each change takes (the live player keeps absolute deadlines).\n");
	fprintf(f, "step=0\nexec 9>&-\n");
	snprintf(msg, sizeof msg, "%s: %s: lock busy after %us; retry later", prog, pl->verb, c->wait_s);
	fprintf(f, "npte_lock() {\n  exec 9>>%s/lock\n  flock -E 75 -w %u 9 & wait \"$!\" || { echo ", NPTE_RUN_DIR,
		c->wait_s);
	sh_quote(f, msg);
	fprintf(f, " >&2; exit 75; }\n  ");
	guard.type->render(f, &guard, c, false);
	fprintf(f, "}\n");
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
	if (pl->loop)
		fprintf(f, "while :; do\n");
	/* the steps of every direction in time order, each round from 0 */
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
			break;
		fsleep(f, at - t);
		t = at;
		if (next[dir] == 0 && !pl->loop) {
			next[dir]++; /* the first steps are in already */
			continue;
		}
		if (!play_step_spec(&pl->d[dir], next[dir], &spec, &e)) {
			fprintf(f, "  exit 2 # step %zu: unplayable\n", next[dir] + 1);
			return;
		}
		change = (struct op){.type = &change_op};
		snprintf(change.ns, sizeof change.ns, "%s", pl->ns);
		snprintf(change.u.qdisc.ifname, sizeof change.u.qdisc.ifname, "%s", pl->d[dir].ifname);
		change.u.qdisc.kind = spec.kind;
		if (spec.kind == QK_TBF)
			change.u.qdisc.q.tbf = spec.tb;
		else
			change.u.qdisc.q.netem = spec.ne;
		fputs("  npte_lock\n", f);
		change.type->render(f, &change, c, false);
		fputs("  exec 9>&-\n", f);
		next[dir]++;
	}
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
	if (pl->loop)
		fprintf(f, "done\n");
	fprintf(f, "npte_stop 0\n");
}
