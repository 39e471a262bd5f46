/*
 * The player's start as a plan (no kernel: built, not run): its ops are
 * registered op types, found by the names the journal would give them, and
 * each snapshot op fills the play it was planned for, so that two plays
 * planned in turn share nothing through hidden state.
 */
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "base/err.h"
#include "ops/ops.h"
#include "play/player.h"
#include "shape/schedule.h"
#include "txn/plan.h"

static struct plan plan_a, plan_b; /* large (PLAN_MAX ops): static */
static struct schedule sched;      /* 3.5 MiB */
static struct play pa, pb;

static const char steps[] = "0      rate 5mbit burst 10k latency 50ms\n"
			    "400ms  rate 20mbit burst 20k latency 50ms\n"
			    "1s     end\n";

static void play_of(struct play *pl, const char *ns, int nd)
{
	struct err e = {0};

	snprintf(pl->ns, sizeof pl->ns, "%s", ns);
	pl->verb = "play";
	pl->nd = nd;
	for (int i = 0; i < nd; i++) {
		snprintf(pl->d[i].ifname, sizeof pl->d[i].ifname, "if-%d", i);
		pl->d[i].label = pl->d[i].ifname;
		pl->d[i].s = &sched;
		if (!play_dir_kind(&pl->d[i], &e))
			diag("%s", e.msg);
	}
}

/* Every op of p is a registered type; the snapshot ops fill pl's own data. */
static void owns(const struct plan *p, struct play *pl, const char *name)
{
	const struct op_type *snap = op_type_find("play snapshot");
	bool registered = true, own = true;
	int n = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct op *op = &p->ops[i];

		registered &= op_type_find(op->type->name) == op->type;
		if (op->type != snap)
			continue;
		own &= op->u.play.slot == n && op->u.play.snap == &pl->d[n].snap && op->u.play.sock == &pl->sock &&
		       strcmp(op->u.play.ifname, pl->d[n].ifname) == 0 && strcmp(op->ns, pl->ns) == 0;
		n++;
	}
	ok(registered, "%s: every op of the start is found by its name", name);
	is_int(n, pl->nd, "a snapshot op an interface");
	ok(own, "%s: each snapshot op fills its own interface of its own play", name);
}

int main(void)
{
	struct err e = {0};

	prog = "npte-netem";
	ok(op_type_find("play snapshot") != NULL, "the snapshot op is registered with the other op types");
	if (!ok(schedule_parse_text(&sched, steps, "t", play_words_ok, NULL, &e), "a tbf schedule parses"))
		diag("%s", e.msg);
	play_of(&pa, "alpha", 2);
	play_of(&pb, "beta", 1);
	ok(pa.d[0].kind == QK_TBF, "its steps are tbf words");
	plan_play_start(&plan_a, &pa);
	plan_play_start(&plan_b, &pb);
	owns(&plan_a, &pa, "alpha's play, planned first");
	owns(&plan_b, &pb, "beta's play, planned after it");
	ok(pa.d[0].snap.worst.bytes > 0 && pa.d[1].snap.worst.bytes == pa.d[0].snap.worst.bytes,
	   "the worst step is noted in each interface's snapshot");
	return done_testing();
}
