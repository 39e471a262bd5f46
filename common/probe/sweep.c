/* The sweep file (see probe.h and npte-probe(8), SWEEPS): where, then one
 * cell a line, each cell's words for each place, parsed whole before any
 * change, with the byte rules of a schedule file (shape/schedule.h). */
#include <string.h>
#include "base/escape.h"
#include "probe/probe.h"
#include "shape/schedule.h"

/* Blank-separated words of line into w (at most max): how many, or -1. */
static int split(char *line, char **w, int max)
{
	int n = 0;

	for (char *t = strtok(line, " \t"); t; t = strtok(NULL, " \t")) {
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

static bool at_line(struct sweep *s, struct sched_reader *r, char **w, int n)
{
	struct err e = {0};

	if (n != 3)
		return sched_reader_fail(r, "expected: at NS DEV");
	if (s->ncells)
		return sched_reader_fail(r, "an at line after the first cell");
	if (s->nat == SWEEP_AT_MAX)
		return sched_reader_fail(r, "more than %d at lines", SWEEP_AT_MAX);
	if (!valid_netns_name(w[1], &e) || !valid_ifname(w[2], &e))
		return sched_reader_fail(r, "%s", e.msg);
	snprintf(s->at[s->nat].ns, sizeof s->at[0].ns, "%s", w[1]);
	snprintf(s->at[s->nat].dev, sizeof s->at[0].dev, "%s", w[2]);
	s->nat++;
	return true;
}

/* One place's words, as netem's, else as tbf's (as npte-netem change takes them). */
static bool cell_words(struct sched_reader *r, char **w, int n, enum qkind *kind, union qspec *q)
{
	char words[SHAPE_WORDS_LEN] = "";
	size_t len = 0;
	struct err ne = {0}, te = {0};

	for (int i = 0; i < n; i++) {
		len += (size_t)snprintf(words + len, sizeof words - len, "%s%s", i ? " " : "", w[i]);
		if (len >= sizeof words)
			return sched_reader_fail(r, "words longer than %zu bytes", sizeof words - 1);
	}
	if (qkind_parse_str(&netem_kind, q, words, shape_tick_in_usec(), &ne))
		return *kind = QK_NETEM, true;
	if (qkind_parse_str(&tbf_kind, q, words, shape_tick_in_usec(), &te))
		return *kind = QK_TBF, true;
	return sched_reader_fail(r, "invalid words: as netem words: %s; as tbf words: %s", ne.msg, te.msg);
}

/* cell WORDS [| WORDS]: one group for each at line, in their order. */
static bool cell_line(struct sweep *s, struct sched_reader *r, char **w, int n)
{
	struct sweep_cell *c = &s->cell[s->ncells];
	int at = 0, from = 1;

	if (!s->nat)
		return sched_reader_fail(r, "a cell before any at line");
	if (s->ncells == SWEEP_CELLS_MAX)
		return sched_reader_fail(r, "more than %d cells", SWEEP_CELLS_MAX);
	for (int i = 1; i <= n; i++) {
		if (i < n && strcmp(w[i], "|"))
			continue;
		if (i == from)
			return sched_reader_fail(r, "a cell with no words for a place");
		if (at == s->nat)
			return sched_reader_fail(r, "more groups of words than at lines (%d)", s->nat);
		if (!cell_words(r, w + from, i - from, &c->kind[at], &c->q[at]))
			return false;
		at++, from = i + 1;
	}
	if (at != s->nat)
		return sched_reader_fail(r, "%d groups of words for %d at lines", at, s->nat);
	c->line = (unsigned)r->line;
	s->ncells++;
	return true;
}

bool sweep_read(struct sweep *s, int fd, const char *text, const char *name, struct err *e)
{
	static struct sched_reader r;
	char line[SCHED_LINE_MAX + 1], *w[SHAPE_WORDS_LEN / 2];
	int got, n;

	memset(s, 0, sizeof *s);
	sched_reader_init(&r, fd, text, SWEEP_FILE_MAX, name, e);
	while ((got = sched_reader_line(&r, line, sizeof line)) > 0) {
		if ((n = split(line, w, (int)(sizeof w / sizeof w[0]))) < 0)
			return sched_reader_fail(&r, "too many words");
		if (!n || w[0][0] == '#')
			continue;
		if (strcmp(w[0], "at") == 0 ? !at_line(s, &r, w, n)
		    : strcmp(w[0], "cell") == 0 ? !cell_line(s, &r, w, n)
						: !sched_reader_fail(&r, "unknown line '%s': at or cell", disp(w[0])))
			return false;
	}
	if (got < 0)
		return false;
	if (!s->ncells)
		return sched_fail(e, name, 0, "no cell");
	return true;
}
