/* The shared shape of npte's mains (see cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "base/err.h"
#include "base/escape.h"
#include "shape/schedule.h"
#include "shape/shape.h"

static const char *usage_text = "";

/* A message's "verb: ", or nothing for a command of its own (npte-run). */
#define VERB(verb) (verb) ? (verb) : "", (verb) ? ": " : ""

void cli_usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

void cli_npos(const char *verb, const struct opts *o, int min, int max)
{
	if (o->npos < min || o->npos > max)
		die(EXIT_USAGE, "%s: wrong number of arguments\n%s", verb, usage_text);
}

const char *cli_netns(const char *verb, const char *s)
{
	struct err e = {0};

	if (!valid_netns_name(s, &e))
		die(e.code, "%s%sinvalid namespace name '%s': %s", VERB(verb), disp(s), e.msg);
	return s;
}

const char *cli_ifname(const char *verb, const char *s)
{
	struct err e = {0};

	if (!valid_ifname(s, &e))
		die(e.code, "%s%sinvalid interface name '%s': %s", VERB(verb), disp(s), e.msg);
	return s;
}

void cli_cidr(const char *verb, const char *s, struct ipaddr *a, unsigned *plen)
{
	struct err e = {0};

	if (!parse_cidr(s, a, plen, &e))
		die(e.code, "%s%sinvalid CIDR '%s': %s", VERB(verb), disp(s), e.msg);
}

void cli_ip(const char *verb, const char *s, struct ipaddr *a)
{
	struct err e = {0};

	if (!parse_ip(s, a, &e))
		die(e.code, "%s%sinvalid address '%s': %s", VERB(verb), disp(s), e.msg);
}

unsigned cli_wait(const char *verb, const struct opts *o)
{
	unsigned s = WAIT_DEFAULT_S;
	struct err e = {0};

	if (o->set[O_WAIT] && !parse_seconds(o->val[O_WAIT], &s, &e))
		die(e.code, "%s%sinvalid --wait '%s': %s", VERB(verb), disp(o->val[O_WAIT]), e.msg);
	return s;
}

int cli_main(int argc, char **argv, const struct program *pg)
{
	/* One plan per process, and large: static storage, not the stack. */
	static struct plan plan;
	static struct opts o;
	struct cli cl = {.plan = &plan};
	struct err e = {0};

	prog = pg->name;
	usage_text = pg->usage;
	cl.state = hygiene(&cl.who);
	session_own(&cl.who, pg->keep_session);
	if (pg->caps)
		caps_keep(pg->caps);
	if (pg->single) {
		/* One command: its options end where its own words begin (permute off). */
		if (!args_parse(&o, argc - 1, argv + 1, pg->spec, pg->permute, &e))
			die(e.code, "%s", e.msg);
		if (o.set[O_HELP])
			cli_usage(EXIT_OK);
		if (o.set[O_VERSION]) {
			printf("%s %s\n", prog, NPTE_VERSION);
			return EXIT_OK;
		}
		return pg->single(&cl, &o, argc, argv);
	}
	if (argc < 2)
		cli_usage(EXIT_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		cli_usage(EXIT_OK);
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", prog, NPTE_VERSION);
		return EXIT_OK;
	}
	for (const struct verb *v = pg->verbs; v->name; v++) {
		if (strcmp(argv[1], v->name) != 0)
			continue;
		if (!args_parse(&o, argc - 2, argv + 2, v->spec, true, &e))
			die(e.code, "%s: %s", v->name, e.msg);
		if (o.set[O_HELP])
			cli_usage(EXIT_OK);
		return v->fn(&cl, &o);
	}
	die(EXIT_USAGE, "unknown verb '%s'\n%s", disp(argv[1]), pg->usage);
}

/* Notes for the words of w that are rates in tc's byte units and not in
 * noted[] yet (which they join, while there is room): one note a word. */
static void bps_notes_new(const char *verb, const char *w, char (*noted)[32], size_t max, size_t *n)
{
	char buf[SHAPE_WORDS_LEN], note[256], *save = NULL;
	size_t i;

	snprintf(buf, sizeof buf, "%s", w);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		for (i = 0; i < *n && strcmp(noted[i], t) != 0; i++)
			;
		if (i < *n || !shape_bps_note(t, note, sizeof note))
			continue;
		warn_msg("%s: note: %s", verb, note);
		if (*n < max)
			snprintf(noted[(*n)++], sizeof noted[0], "%s", t);
	}
}

void cli_bps_notes(const char *verb, const char *words)
{
	char noted[8][32];
	size_t n = 0;

	bps_notes_new(verb, words, noted, 8, &n);
}

void cli_bps_notes_schedule(const char *verb, struct schedule *s)
{
	char noted[8][32], *argv[SHAPE_WORDS_MAX + 1];
	size_t n = 0;
	int argc;

	for (size_t i = 0; i < s->n && n < 8; i++) {
		argc = schedule_argv(s, i, argv, SHAPE_WORDS_MAX);
		for (int k = 0; k < argc; k++)
			bps_notes_new(verb, argv[k], noted, 8, &n);
	}
}
