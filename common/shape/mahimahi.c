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
	/* Words already in the arena, by rate: a step's words depend on its
	 * rate alone, and rates repeat (a window holds a small whole number of
	 * opportunities), so steps share them and the arena holds one copy per
	 * distinct rate rather than one per step. Open addressing; when full,
	 * steps simply get their own copy. */
	struct { uint64_t bps; uint32_t off; uint16_t argc; bool used; } seen[4096];
};

/* Opportunities over len_ms in bytes/s, rounded to nearest (halves up);
 * 0 only for no opportunities (count >= 1 over at most 60 s is >= 25). */
static uint64_t mm_bps(uint64_t count, uint64_t len_ms)
{
	return (count * MM_PACKET * 1000 + len_ms / 2) / len_ms;
}

/* Step st's words for bytes/s bps, checked. */
static bool mm_words(struct mm *m, size_t i, uint64_t bps, unsigned long line)
{
	char rate[32], lim[32], why[256], at[32];
	char *w[SCHED_WORDS_MAX + 6];
	int n = 0;

	size_t h = (size_t)(bps * 0x9e3779b97f4a7c15ULL >> 52) % (sizeof m->seen / sizeof m->seen[0]);

	for (size_t probe = 0; probe < 16; probe++, h = (h + 1) % (sizeof m->seen / sizeof m->seen[0])) {
		if (!m->seen[h].used)
			break;
		if (m->seen[h].bps == bps) {
			/* the same words, already checked */
			m->s->step[i].line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
			m->s->step[i].word_off = m->seen[h].off;
			m->s->step[i].argc = m->seen[h].argc;
			return true;
		}
	}
	snprintf(rate, sizeof rate, "%llubit", (unsigned long long)(bps * 8));
	w[n++] = "rate";
	w[n++] = bps ? rate : "0";
	w[n++] = "loss";
	w[n++] = bps ? "0%" : "100%";
	if (bps && !m->user_limit && bps * MM_DRAIN_S / MM_FRAME < MM_LIMIT) {
		uint64_t l = bps * MM_DRAIN_S / MM_FRAME;

		snprintf(lim, sizeof lim, "%llu", (unsigned long long)(l ? l : 1));
		w[n++] = "limit";
		w[n++] = lim;
	}
	for (int k = 0; k < m->nextra; k++)
		w[n++] = m->extra[k];
	m->s->step[i].line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	if (!sched_put_words(m->s, &m->s->step[i], n, w))
		return sched_fail(m->r->err, m->r->errn, m->r->name, line,
			    "converted steps over %d bytes of words: use a longer window", SCHED_ARENA_MAX);
	if (!sched_check_step(m->s, i, m->check, m->arg, why, sizeof why)) {
		sched_time_str(m->s->step[i].at_ns, at, sizeof at);
		return sched_fail(m->r->err, m->r->errn, m->r->name, line, "the window at %s: %s", at, why);
	}
	if (!m->seen[h].used) {
		m->seen[h].used = true;
		m->seen[h].bps = bps;
		m->seen[h].off = m->s->step[i].word_off;
		m->seen[h].argc = m->s->step[i].argc;
	}
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
		return sched_fail(m->r->err, m->r->errn, m->r->name, line,
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
		return sched_fail(m->r->err, m->r->errn, m->r->name, 0, "extra netem words too long");
	strcpy(buf, extra);
	for (char *p = buf; *p; p++)
		if (*p == '#')
			return sched_fail(m->r->err, m->r->errn, m->r->name, 0,
				    "extra netem words may not contain '#': %s", disp(extra));
	m->nextra = sched_split(buf, m->extra, SCHED_WORDS_MAX - 6);
	if (m->nextra > SCHED_WORDS_MAX - 6)
		return sched_fail(m->r->err, m->r->errn, m->r->name, 0, "too many extra netem words");
	/* tc takes any prefix of a keyword (matches()), so "ra" is rate too */
	for (int k = 0; k < m->nextra; k++)
		for (size_t o = 0; o < sizeof owned / sizeof owned[0]; o++)
			if (strncmp(m->extra[k], owned[o], strlen(m->extra[k])) == 0)
				return sched_fail(m->r->err, m->r->errn, m->r->name, 0,
					    "extra netem words may not set %s (the trace does): %s",
					    knob[o], disp(m->extra[k]));
	for (int k = 0; k < m->nextra; k++)
		if (strncmp(m->extra[k], "limit", strlen(m->extra[k])) == 0)
			m->user_limit = true;
	return true;
}

bool schedule_from_mahimahi(struct schedule *s, int fd, const char *name, uint64_t window_ns,
			    const char *extra, sched_check_fn check, void *arg, char *err, size_t errn)
{
	struct sched_reader r;
	char line[SCHED_LINE_MAX + 1], xbuf[SCHED_LINE_MAX + 1], wstr[32];
	struct mm m = {.s = s, .r = &r, .check = check, .arg = arg};
	uint64_t cur = 0, pend = 0, win = 0, cnt = 0, L;
	unsigned long pend_line = 0, win_line = 0;
	bool have = false;
	int got;

	sched_reader_init(&r, fd, NULL, SCHED_TRACE_MAX, name, err, errn);
	sched_reset(s);
	if (window_ns < SCHED_WINDOW_MIN_NS || window_ns > SCHED_WINDOW_MAX_NS || window_ns % 1000000) {
		sched_time_str(window_ns, wstr, sizeof wstr);
		return sched_fail(err, errn, name, 0, "the window must be whole milliseconds from 10ms to 60s: %s",
			    wstr);
	}
	m.win_ms = window_ns / 1000000;
	if (!mm_extra(&m, extra, xbuf, sizeof xbuf))
		return false;
	s->n = 1; /* step 0 is window 0, written last (see the wrap in schedule.h) */

	/*
	 * Lines stamped with the same millisecond are gathered (pend) before
	 * they are counted: only at the end is it known whether that stamp was
	 * the last, L, whose opportunities belong to the next round's start.
	 */
	while ((got = sched_reader_line(&r, line, sizeof line)) > 0) {
		uint64_t t = 0;
		const char *p = line;

		if (!*p)
			return sched_reader_fail(&r, "empty line (a trace line is one millisecond timestamp)");
		for (; *p >= '0' && *p <= '9'; p++) {
			t = t * 10 + (uint64_t)(*p - '0');
			if (t > SCHED_OFFSET_MAX_NS / 1000000)
				return sched_reader_fail(&r, "timestamp over 7 days: %s", disp(line));
		}
		if (*p)
			return sched_reader_fail(&r, "not a millisecond timestamp (digits only): %s", disp(line));
		if (have && t < cur)
			return sched_reader_fail(&r, "timestamp before the previous line's (%llu): %s",
				     (unsigned long long)cur, disp(line));
		if (have && t != cur) {
			/* commit the group at cur (< L: a later stamp exists) */
			uint64_t wt = cur / m.win_ms;

			if (wt > win) {
				if (!mm_window(&m, win, cnt, win_line))
					return false;
				/* empty windows between: all outages, one merged step */
				if (wt > win + 1 && !mm_window(&m, win + 1, 0, pend_line))
					return false;
				win = wt;
				cnt = 0;
			}
			if (cnt == 0)
				win_line = pend_line;
			cnt += pend;
			pend = 0;
		}
		if (!have || t != cur)
			pend_line = r.line;
		cur = t;
		have = true;
		pend++;
	}
	if (got < 0)
		return false;
	if (!have)
		return sched_fail(err, errn, name, r.line - 1, "no timestamps");
	L = cur;
	if (L == 0)
		return sched_fail(err, errn, name, r.line - 1,
			    "the trace lasts no time (its last timestamp is 0; mm-link refuses it too)");

	/* the window holding the last committed stamp, then the empty rest */
	uint64_t nwin = (L + m.win_ms - 1) / m.win_ms;

	if (!mm_window(&m, win, cnt, win_line ? win_line : pend_line))
		return false;
	if (nwin > win + 1 && !mm_window(&m, win + 1, 0, r.line - 1))
		return false;
	if (!mm_end(&m, L))
		return false;

	/* window 0, with the opportunities stamped L folded in */
	uint64_t bps0 = mm_bps(m.count0 + pend, m.len0);

	if (s->n > 1 && m.step1_bps == bps0) {
		/* the same rate as the step after it: that step starts at 0 */
		s->step[1].at_ns = 0;
		memmove(&s->step[0], &s->step[1], (s->n - 1) * sizeof s->step[0]);
		s->n--;
	} else {
		s->step[0].at_ns = 0;
		if (!mm_words(&m, 0, bps0, m.line0 ? m.line0 : 1))
			return false;
	}
	s->has_end = true;
	s->end_ns = L * 1000000;
	return true;
}
