/* The play verb of npte-netem and npte-lab: the player run as a verb (see cli.h).
 * A file of its own so that only the binaries that play link the player. */
#include "cli/cli.h"
#include "play/player.h"

struct play_call {
	struct play *pl;
	const struct caller *who;
};

static void render_cb(FILE *f, const struct txn *c, void *arg)
{
	play_render(f, ((struct play_call *)arg)->pl, c);
}

static int then_cb(struct txn *c, void *arg)
{
	struct play_call *pc = arg;

	(void)c;
	return play_run(pc->pl, pc->who);
}

int cli_play(struct cli *cl, const char *verb, const struct opts *o, struct play *pl)
{
	struct play_call pc = {.pl = pl, .who = &cl->who};
	int rc;

	pl->wait_s = cli_wait(verb, o);
	plan_play_start(cl->plan, pl);
	rc = cli_run_then(cl, verb, o, render_cb, then_cb, &pc);
	play_unclaim(pl); /* a start that failed after its claim */
	return rc;
}
