/* mahimahi traces into rate steps (see mahimahi.h for every decision). */
#include <stdio.h>
#include <string.h>
#include "base/kmem.h"
#include "base/escape.h"
#include "shape/mahimahi.h"

#define MM_PACKET 1500ULL /* bytes per delivery opportunity (mm-link(1)) */
/*
 * netem's queue, in packets, unless the extra words set one: its default.
 * A step too slow to drain that many full Ethernet frames (MTU 1500 and the
 * 32 bytes kmem.h allows for a header) within 60 s, the ceiling npte holds
 * every queue to, gets the most it can drain in that time instead, so that
 * a real trace's near-outages are played rather than refused.
 */
#define MM_LIMIT 1000ULL
#define MM_FRAME (MM_PACKET + KMEM_HARD_HEADER)
#define MM_DRAIN_S ((uint64_t)KMEM_DRAIN_MAX_S)

/*
 * Words already in the arena, by rate: a step's words depend on its rate
 * alone, and rates repeat (a window holds a small whole number of
 * opportunities), so steps share them and the arena holds one copy per
 * distinct rate rather than one per step. Open addressing over 16 probes;
 * when those are taken, a step simply gets its own copy.
 */
#define SEEN_SLOTS 4096
#define SEEN_PROBES 16
struct seen {
	struct { uint64_t bps; uint32_t off; uint16_t argc; bool used; } slot[SEEN_SLOTS];
};

/* The slot that holds bps (*found), else the one where it would go. */
static size_t seen_slot(const struct seen *t, uint64_t bps, bool *found)
{
	size_t h = (size_t)(bps * 0x9e3779b97f4a7c15ULL >> 52) % SEEN_SLOTS;

	*found = false;
	for (size_t probe = 0; probe < SEEN_PROBES; probe++, h = (h + 1) % SEEN_SLOTS) {
		if (!t->slot[h].used)
			break;
		if (t->slot[h].bps == bps) {
			*found = true;
			break;
		}
	}
	return h;
}

/* Remember step st's words as bps's in slot h, if it is free. */
static void seen_add(struct seen *t, size_t h, uint64_t bps, const struct sched_step *st)
{
	if (t->slot[h].used)
		return;
	t->slot[h].used = true;
	t->slot[h].bps = bps;
	t->slot[h].off = st->word_off;
	t->slot[h].argc = st->argc;
}

/*
 * The scan of the trace's lines. Lines stamped with the same millisecond
 * are gathered (pend) before they are counted: only at the end is it known
 * whether that stamp was the last, L, whose opportunities belong to the
 * next round's start.
 */
struct scan {
	bool have;               /* a timestamp was read */
	uint64_t cur;            /* the last one */
	uint64_t pend;           /* lines stamped cur, not counted yet */
	unsigned long pend_line; /* the first of them */
	uint64_t win, cnt;       /* the window being counted, and its count */
	unsigned long win_line;  /* the first line counted in it */
};

struct mm {
	struct schedule *s;
	struct sched_reader *r;
	sched_check_fn check;
	void *arg;
	uint64_t win_ms;
	char *extra[SCHED_WORDS_MAX];
	int nextra;
	bool user_limit;    /* the extra words set netem's limit */
	uint64_t last_bps;  /* rate of the last step appended (0: outage) */
	uint64_t step1_bps; /* rate of step 1, for merging step 0 at the end */
	uint64_t count0, len0; /* window 0, finished at the end (wrap fold) */
	unsigned long line0;
	/* The last two windows seen, not yet finished: the period's last window
	 * may be too short a step (see mm_end). */
	struct { uint64_t w, count; unsigned long line; } q[2];
	int nq;
	struct scan sc;
	struct seen seen;
};

/* Opportunities over len_ms in bytes/s, rounded to nearest (halves up);
 * 0 only for no opportunities (count >= 1 over at most 60 s is >= 25). */
static uint64_t mm_bps(uint64_t count, uint64_t len_ms)
{
	return (count * MM_PACKET * 1000 + len_ms / 2) / len_ms;
}

/* The words of a step of bps bytes/s into w (with room for 6 more than
 * the extra words); their count. rate and lim hold the numbers. */
static int mm_argv(const struct mm *m, uint64_t bps, char **w, char *rate, char *lim, size_t n)
{
	int argc = 0;

	snprintf(rate, n, "%llubit", (unsigned long long)(bps * 8));
	w[argc++] = "rate";
	w[argc++] = bps ? rate : "0";
	w[argc++] = "loss";
	w[argc++] = bps ? "0%" : "100%";
	if (bps && !m->user_limit && bps * MM_DRAIN_S / MM_FRAME < MM_LIMIT) {
		uint64_t l = bps * MM_DRAIN_S / MM_FRAME;

		snprintf(lim, n, "%llu", (unsigned long long)(l ? l : 1));
		w[argc++] = "limit";
		w[argc++] = lim;
	}
	for (int k = 0; k < m->nextra; k++)
		w[argc++] = m->extra[k];
	return argc;
}

/* Step i's words for bytes/s bps, checked (or shared, checked before). */
static bool mm_words(struct mm *m, size_t i, uint64_t bps, unsigned long line)
{
	struct sched_step *st = &m->s->step[i];
	char rate[32], lim[32], at[32];
	char *w[SCHED_WORDS_MAX + 6];
	struct err why = {0};
	bool found;
	size_t h = seen_slot(&m->seen, bps, &found);

	st->line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	if (found) {
		st->word_off = m->seen.slot[h].off;
		st->argc = m->seen.slot[h].argc;
		return true;
	}
	if (!sched_put_words(m->s, st, mm_argv(m, bps, w, rate, lim, sizeof rate), w))
		return sched_fail(m->r->e, m->r->name, line,
				  "converted steps over %d bytes of words: use a longer window", SCHED_ARENA_MAX);
	if (!sched_check_step(m->s, i, m->check, m->arg, &why)) {
		sched_time_str(st->at_ns, at, sizeof at);
		return sched_fail(m->r->e, m->r->name, line, "the window at %s: %s", at, why.msg);
	}
	seen_add(&m->seen, h, bps, st);
	return true;
}

/* Window w (count opportunities over len_ms) is complete. Window 0 waits
 * for the end of the trace; the others become a step or extend the last. */
static bool mm_finish(struct mm *m, uint64_t w, uint64_t count, uint64_t len_ms, unsigned long line)
{
	struct schedule *s = m->s;
	uint64_t bps;

	if (w == 0) {
		m->count0 = count;
		m->len0 = len_ms;
		m->line0 = line;
		return true;
	}
	bps = mm_bps(count, len_ms);
	if (s->n > 1 && bps == m->last_bps)
		return true;
	if (s->n == SCHED_STEPS_MAX)
		return sched_fail(m->r->e, m->r->name, line,
			    "more than %d steps: use a longer window", SCHED_STEPS_MAX);
	s->step[s->n].at_ns = w * m->win_ms * 1000000;
	s->n++;
	if (!mm_words(m, s->n - 1, bps, line))
		return false;
	if (s->n == 2)
		m->step1_bps = bps;
	m->last_bps = bps;
	return true;
}

/* Window w (or, count 0, the outage run from w on) is complete: the one
 * before it becomes a step (or extends the last). */
static bool mm_window(struct mm *m, uint64_t w, uint64_t count, unsigned long line)
{
	if (m->nq == 2) {
		if (!mm_finish(m, m->q[0].w, m->q[0].count, m->win_ms, m->q[0].line))
			return false;
		m->q[0] = m->q[1];
		m->nq = 1;
	}
	m->q[m->nq].w = w, m->q[m->nq].count = count, m->q[m->nq].line = line;
	m->nq++;
	return true;
}

/*
 * The end of the period at L ms. Its last window is rated over its own
 * length, unless that is under the step floor: then it is folded into the
 * window before it (rated over both), so no step of a trace lasts less than
 * SCHED_STEP_MIN_NS but a period shorter than that (one step).
 */
static bool mm_end(struct mm *m, uint64_t L)
{
	uint64_t start = m->q[m->nq - 1].w * m->win_ms, tail = L - start;
	bool fold = m->nq == 2 && tail * 1000000 < SCHED_STEP_MIN_NS;

	if (m->nq == 2 && (!fold || m->q[0].w + 1 < m->q[1].w)) {
		/* a whole window, or an outage run that keeps all but its last window */
		if (!mm_finish(m, m->q[0].w, m->q[0].count, m->win_ms, m->q[0].line))
			return false;
	}
	if (fold) {
		uint64_t w = m->q[1].w - 1, count = m->q[1].count + (m->q[0].w == w ? m->q[0].count : 0);

		return mm_finish(m, w, count, m->win_ms + tail, m->q[0].w == w ? m->q[0].line : m->q[1].line);
	}
	return mm_finish(m, m->q[m->nq - 1].w, m->q[m->nq - 1].count, tail < m->win_ms ? tail : m->win_ms,
			 m->q[m->nq - 1].line);
}

/* Split extra into m->extra (its copy in buf) and refuse what the trace owns. */
static bool mm_extra(struct mm *m, const char *extra, char *buf, size_t bufn)
{
	static const char *const owned[] = {"rate", "loss", "drop"};
	static const char *const knob[] = {"rate", "loss", "loss"}; /* drop: tc's synonym */

	m->nextra = 0;
	if (!extra)
		return true;
	if (strlen(extra) >= bufn)
		return sched_fail(m->r->e, m->r->name, 0, "extra netem words too long");
	strcpy(buf, extra);
	for (char *p = buf; *p; p++)
		if (*p == '#')
			return sched_fail(m->r->e, m->r->name, 0,
				    "extra netem words may not contain '#': %s", disp(extra));
	m->nextra = sched_split(buf, m->extra, SCHED_WORDS_MAX - 6);
	if (m->nextra > SCHED_WORDS_MAX - 6)
		return sched_fail(m->r->e, m->r->name, 0, "too many extra netem words");
	/* tc takes any prefix of a keyword (matches()), so "ra" is rate too */
	for (int k = 0; k < m->nextra; k++)
		for (size_t o = 0; o < sizeof owned / sizeof owned[0]; o++)
			if (strncmp(m->extra[k], owned[o], strlen(m->extra[k])) == 0)
				return sched_fail(m->r->e, m->r->name, 0,
					    "extra netem words may not set %s (the trace does): %s",
					    knob[o], disp(m->extra[k]));
	for (int k = 0; k < m->nextra; k++)
		if (strncmp(m->extra[k], "limit", strlen(m->extra[k])) == 0)
			m->user_limit = true;
	return true;
}

/* The window and the extra words, checked. */
static bool mm_setup(struct mm *m, uint64_t window_ns, const char *extra, char *buf, size_t bufn)
{
	char wstr[32];

	if (window_ns < SCHED_WINDOW_MIN_NS || window_ns > SCHED_WINDOW_MAX_NS || window_ns % 1000000) {
		sched_time_str(window_ns, wstr, sizeof wstr);
		return sched_fail(m->r->e, m->r->name, 0,
				  "the window must be whole milliseconds from 10ms to 60s: %s", wstr);
	}
	m->win_ms = window_ns / 1000000;
	return mm_extra(m, extra, buf, bufn);
}

/* A trace line as its timestamp. */
static bool mm_stamp(struct sched_reader *r, const char *line, uint64_t *t)
{
	const char *p = line;

	if (!*p)
		return sched_reader_fail(r, "empty line (a trace line is one millisecond timestamp)");
	for (*t = 0; *p >= '0' && *p <= '9'; p++) {
		*t = *t * 10 + (uint64_t)(*p - '0');
		if (*t > SCHED_OFFSET_MAX_NS / 1000000)
			return sched_reader_fail(r, "timestamp over 7 days: %s", disp(line));
	}
	if (*p)
		return sched_reader_fail(r, "not a millisecond timestamp (digits only): %s", disp(line));
	return true;
}

/* Count the lines gathered at cur (< L: a later stamp exists) in cur's window. */
static bool mm_commit(struct mm *m)
{
	struct scan *c = &m->sc;
	uint64_t wt = c->cur / m->win_ms;

	if (wt > c->win) {
		if (!mm_window(m, c->win, c->cnt, c->win_line))
			return false;
		/* empty windows between: all outages, one merged step */
		if (wt > c->win + 1 && !mm_window(m, c->win + 1, 0, c->pend_line))
			return false;
		c->win = wt;
		c->cnt = 0;
	}
	if (c->cnt == 0)
		c->win_line = c->pend_line;
	c->cnt += c->pend;
	c->pend = 0;
	return true;
}

/* One more opportunity, stamped t (the line says it). */
static bool mm_opportunity(struct mm *m, uint64_t t, const char *line)
{
	struct scan *c = &m->sc;

	if (c->have && t < c->cur)
		return sched_reader_fail(m->r, "timestamp before the previous line's (%llu): %s",
					 (unsigned long long)c->cur, disp(line));
	if (c->have && t != c->cur && !mm_commit(m))
		return false;
	if (!c->have || t != c->cur)
		c->pend_line = m->r->line;
	c->cur = t;
	c->have = true;
	c->pend++;
	return true;
}

/* Every line of the trace. */
static bool mm_scan(struct mm *m)
{
	char line[SCHED_LINE_MAX + 1];
	uint64_t t = 0;
	int got;

	while ((got = sched_reader_line(m->r, line, sizeof line)) > 0)
		if (!mm_stamp(m->r, line, &t) || !mm_opportunity(m, t, line))
			return false;
	return got == 0;
}

/* The end of the trace at its last stamp L: the windows still open. */
static bool mm_close(struct mm *m)
{
	struct scan *c = &m->sc;
	unsigned long last = m->r->line - 1;
	uint64_t L = c->cur, nwin = (L + m->win_ms - 1) / m->win_ms;

	if (!c->have)
		return sched_fail(m->r->e, m->r->name, last, "no timestamps");
	if (L == 0)
		return sched_fail(m->r->e, m->r->name, last,
				  "the trace lasts no time (its last timestamp is 0; mm-link refuses it too)");
	/* the window holding the last committed stamp, then the empty rest */
	if (!mm_window(m, c->win, c->cnt, c->win_line ? c->win_line : c->pend_line))
		return false;
	if (nwin > c->win + 1 && !mm_window(m, c->win + 1, 0, last))
		return false;
	return mm_end(m, L);
}

/* Step 0: window 0, with the opportunities stamped L folded in. */
static bool mm_wrap(struct mm *m)
{
	struct schedule *s = m->s;
	uint64_t bps0 = mm_bps(m->count0 + m->sc.pend, m->len0);

	if (s->n > 1 && m->step1_bps == bps0) {
		/* the same rate as the step after it: that step starts at 0 */
		s->step[1].at_ns = 0;
		memmove(&s->step[0], &s->step[1], (s->n - 1) * sizeof s->step[0]);
		s->n--;
		return true;
	}
	s->step[0].at_ns = 0;
	return mm_words(m, 0, bps0, m->line0 ? m->line0 : 1);
}

bool schedule_from_mahimahi(struct schedule *s, int fd, const char *name, uint64_t window_ns,
			    const char *extra, sched_check_fn check, void *arg, struct err *e)
{
	struct sched_reader r;
	char xbuf[SCHED_LINE_MAX + 1];
	struct mm m = {.s = s, .r = &r, .check = check, .arg = arg};

	sched_reader_init(&r, fd, NULL, SCHED_TRACE_MAX, name, e);
	sched_reset(s);
	if (!mm_setup(&m, window_ns, extra, xbuf, sizeof xbuf))
		return false;
	s->n = 1; /* step 0 is window 0, written last (see the wrap in mahimahi.h) */
	if (!mm_scan(&m) || !mm_close(&m) || !mm_wrap(&m))
		return false;
	s->has_end = true;
	s->end_ns = m.sc.cur * 1000000;
	return true;
}
