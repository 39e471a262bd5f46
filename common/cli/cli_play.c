/* The play verb of npte-netem and npte-lab: the player run as a verb (see cli.h).
 * A file of its own so that only the binaries that play link the player. */
#include <stdlib.h>
#include "cli/cli.h"
#include "play/player.h"
#include "shape/schedules.h"
#include "base/escape.h"

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

/* --- the shipped schedules, step by step (npte-lab play --list) -------------- */

/* One direction's steps: text as the schedule file writes them (OFFSET
 * WORDS, then `end` at the period), so a listing can be played back with
 * npte-netem play; JSON as {"period", "steps":[{"at", "at_ns", "words"}]}. */
static void list_steps(FILE *f, struct schedule *s, bool json)
{
	char at[32], words[SCHED_LINE_MAX + 1], *argv[SCHED_WORDS_MAX + 1];

	sched_time_str(s->end_ns, at, sizeof at);
	if (json)
		fprintf(f, "{\"period\":\"%s\",\"end\":%s,\"steps\":[", at, s->has_end ? "true" : "false");
	for (size_t i = 0; i < s->n; i++) {
		int argc = schedule_argv(s, i, argv, SCHED_WORDS_MAX + 1);
		size_t len = 0;

		words[0] = '\0';
		for (int k = 0; k < argc && len < sizeof words; k++)
			len += (size_t)snprintf(words + len, sizeof words - len, "%s%s", k ? " " : "", argv[k]);
		sched_time_str(s->step[i].at_ns, at, sizeof at);
		if (json) {
			fprintf(f, "%s{\"at\":\"%s\",\"at_ns\":%llu,\"words\":", i ? "," : "", at,
				(unsigned long long)s->step[i].at_ns);
			json_str(f, words);
			fputc('}', f);
		} else {
			fprintf(f, "    %-7s %s\n", at, words);
		}
	}
	sched_time_str(s->end_ns, at, sizeof at);
	if (json)
		fputs("]}", f);
	else if (s->has_end)
		fprintf(f, "    %-7s end\n", at);
}

/* One shipped schedule: its name, what it does, each direction, its sources. */
static int list_one(FILE *f, const struct shipped_schedule *p, struct schedule *s, bool json)
{
	const char *dir[2] = {p->down, p->up};

	if (json) {
		fputs("{\"name\":", f);
		json_str(f, p->name);
		fputs(",\"desc\":", f);
		json_str(f, p->desc);
		fputs(",\"source\":", f);
		json_str(f, p->source);
	} else {
		fprintf(f, "%s\n  %s\n", p->name, p->desc);
	}
	for (int i = 0; i < 2; i++) {
		struct err e = {0};
		char end[32];

		if (!schedule_parse_text(s, dir[i], p->name, play_words_ok, NULL, &e))
			die(EXIT_FAIL, "play: shipped schedule %s is invalid: %s", p->name, e.msg);
		sched_time_str(s->end_ns, end, sizeof end);
		if (json)
			fprintf(f, ",\"%s\":", i ? "up" : "down");
		else
			fprintf(f, "  %-4s %zu steps, a period of %s\n", i ? "up" : "down", s->n, end);
		list_steps(f, s, json);
	}
	if (json)
		fputc('}', f);
	else
		fprintf(f, "  source: %s\n", p->source);
	return 0;
}

int cli_play_list(FILE *f, bool json)
{
	struct schedule *s = calloc(1, sizeof *s);

	if (!s)
		die(EXIT_FAIL, "play: out of memory for a schedule");
	if (json)
		fputc('[', f);
	for (const struct shipped_schedule *p = shipped_schedules; p->name; p++) {
		if (json && p != shipped_schedules)
			fputc(',', f);
		list_one(f, p, s, json);
	}
	if (json)
		fputs("]\n", f);
	free(s);
	return fflush(f) ? EXIT_FAIL : EXIT_OK;
}
