/*
 * Schedules: the file parser, the mahimahi trace converter and the step
 * storage (see schedule.h for the format and every decision).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "base/kmem.h"
#include "shape/schedule.h"
#include "base/escape.h"

/* ---- reading lines: from an fd or a string, with the byte rules ---- */

struct reader {
	int fd;
	const char *text; /* if not NULL, read this instead of fd */
	uint64_t max;     /* bytes allowed; one more is an error */
	uint64_t taken;   /* bytes read from the source so far */
	uint64_t used;    /* of which handed to next_line */
	unsigned long line; /* the line being read (1-based) */
	const char *name;
	char *err;
	size_t errn;
	size_t len, pos;  /* of buf */
	bool eof;
	char buf[16384];
};

static bool vfail(char *err, size_t errn, const char *name, unsigned long line, const char *fmt,
		  va_list ap) __attribute__((format(printf, 5, 0)));
static bool vfail(char *err, size_t errn, const char *name, unsigned long line, const char *fmt,
		  va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line)
		snprintf(err, errn, "%s:%lu: %s", disp(name), line, msg);
	else
		snprintf(err, errn, "%s: %s", disp(name), msg);
	return false;
}

/* One line "NAME:LINE: message"; always false. Values in fmt's arguments
 * are the caller's to escape (disp()). */
static bool fail(char *err, size_t errn, const char *name, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static bool fail(char *err, size_t errn, const char *name, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, errn, name, line, fmt, ap);
	va_end(ap);
	return false;
}

static bool rfail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool rfail(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(r->err, r->errn, r->name, r->line, fmt, ap);
	va_end(ap);
	return false;
}

/* Refill buf; false on a read error (reported). Never asks for more than
 * max + 1 bytes in all, so a huge file costs one read past the limit. */
static bool refill(struct reader *r)
{
	size_t want = sizeof r->buf;
	ssize_t got;

	r->pos = r->len = 0;
	if (r->taken > r->max) {
		r->eof = true;
		return true;
	}
	if (r->max + 1 - r->taken < want)
		want = (size_t)(r->max + 1 - r->taken);
	if (r->text) {
		size_t k = strnlen(r->text, want);

		memcpy(r->buf, r->text, k);
		r->text += k;
		got = (ssize_t)k;
	} else {
		do
			got = read(r->fd, r->buf, want);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return rfail(r, "read: %s", strerror(errno));
	}
	if (got == 0)
		r->eof = true;
	r->len = (size_t)got;
	r->taken += (size_t)got;
	return true;
}

/*
 * The next line into line (cap >= SCHED_LINE_MAX + 1), NUL-terminated,
 * without its LF or CRLF. 1: a line; 0: end of input; -1: error (reported).
 */
static int next_line(struct reader *r, char *line, size_t cap)
{
	size_t n = 0;
	bool cr = false, any = false;

	r->line++;
	for (;;) {
		unsigned char ch;

		if (r->pos == r->len) {
			if (!r->eof && !refill(r))
				return -1;
			if (r->pos == r->len) {
				if (cr)
					return rfail(r, "carriage return at the end of the file"), -1;
				line[n] = '\0';
				return any ? 1 : 0;
			}
		}
		if (++r->used > r->max)
			return rfail(r, "file larger than %llu bytes", (unsigned long long)r->max), -1;
		ch = (unsigned char)r->buf[r->pos++];
		any = true;
		if (ch == '\n') {
			line[n] = '\0';
			return 1;
		}
		if (cr)
			return rfail(r, "carriage return inside a line (only CRLF line ends are taken)"), -1;
		if (ch == '\r') {
			cr = true;
			continue;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return rfail(r, "control byte \\x%02x in line (binary file?)", ch), -1;
		if (n + 1 >= cap || n >= SCHED_LINE_MAX)
			return rfail(r, "line longer than %d bytes", SCHED_LINE_MAX), -1;
		line[n++] = (char)ch;
	}
}

/* Split line in place on blanks and tabs; a word starting with '#' ends
 * the line (a comment). Returns the word count, or max + 1 when there are
 * more than max. */
static int split(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return max + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* ---- times ---- */

bool sched_time(const char *w, uint64_t *ns)
{
	static const struct { const char *sfx; uint64_t scale; } units[] = {
		{"s", 1000000000ULL}, {"ms", 1000000ULL}, {"us", 1000ULL}, {"ns", 1ULL},
	};
	const char *p = w, *frac = NULL, *sfx;
	uint64_t whole = 0, scale = 0, v, f = 0;

	if (strcmp(w, "0") == 0) {
		*ns = 0;
		return true;
	}
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > SCHED_OFFSET_MAX_NS)
			return false; /* far too big already; keeps the next step from overflowing */
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		frac = ++p;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	sfx = p;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(sfx, units[i].sfx) == 0)
			scale = units[i].scale;
	if (!scale || whole > SCHED_OFFSET_MAX_NS / scale)
		return false;
	v = whole * scale;
	/* The fraction digit by digit, exactly: digit k is worth scale/10^k ns,
	 * and a non-zero digit worth less than 1 ns is refused, not rounded. */
	if (frac) {
		uint64_t unit = scale;

		for (const char *q = frac; q < sfx; q++) {
			unit /= 10;
			if (unit == 0) {
				if (*q != '0')
					return false;
				continue;
			}
			f += (uint64_t)(*q - '0') * unit;
		}
	}
	if (v + f > SCHED_OFFSET_MAX_NS)
		return false;
	*ns = v + f;
	return true;
}

void sched_time_str(uint64_t ns, char *buf, size_t n)
{
	static const struct { const char *sfx; uint64_t scale; int digits; } units[] = {
		{"s", 1000000000ULL, 9}, {"ms", 1000000ULL, 6}, {"us", 1000ULL, 3}, {"ns", 1ULL, 0},
	};
	char nine[32], frac[16] = "";
	size_t i = 0;

	if (ns == 0) {
		snprintf(buf, n, "0");
		return;
	}
	/* the largest unit the value reaches; the fraction exact, zeros trimmed */
	while (ns < units[i].scale)
		i++;
	uint64_t whole = ns / units[i].scale, rest = ns % units[i].scale;

	if (rest) {
		/* rest < 10^9: nine digits, of which the unit's last ones count */
		snprintf(nine, sizeof nine, "%09llu", (unsigned long long)rest);
		frac[0] = '.';
		memcpy(frac + 1, nine + 9 - units[i].digits, (size_t)units[i].digits);
		frac[1 + units[i].digits] = '\0';
		for (size_t k = strlen(frac); k > 0 && frac[k - 1] == '0'; k--)
			frac[k - 1] = '\0';
	}
	snprintf(buf, n, "%llu%s%s", (unsigned long long)whole, frac, units[i].sfx);
}

/* ---- the step store ---- */

int schedule_argv(struct schedule *s, size_t i, char **argv, int max)
{
	char *p;

	if (i >= s->n || s->step[i].argc >= max)
		return -1;
	p = s->arena + s->step[i].word_off;
	for (int k = 0; k < s->step[i].argc; k++) {
		argv[k] = p;
		p += strlen(p) + 1;
	}
	argv[s->step[i].argc] = NULL;
	return s->step[i].argc;
}

static void reset(struct schedule *s)
{
	s->n = 0;
	s->end_ns = 0;
	s->has_end = false;
	s->used = 0;
}

/* Copy words into the arena; false if they do not fit. */
static bool put_words(struct schedule *s, struct sched_step *st, int argc, char *const *w)
{
	size_t need = 0;

	for (int k = 0; k < argc; k++)
		need += strlen(w[k]) + 1;
	if (need > SCHED_ARENA_MAX - s->used)
		return false;
	st->word_off = (uint32_t)s->used;
	st->argc = (uint16_t)argc;
	for (int k = 0; k < argc; k++) {
		size_t l = strlen(w[k]) + 1;

		memcpy(s->arena + s->used, w[k], l);
		s->used += l;
	}
	return true;
}

/* Run the caller's check over step i; why gets its reason. */
static bool check_step(struct schedule *s, size_t i, sched_check_fn check, void *arg, char *why,
		       size_t n)
{
	char *argv[SCHED_WORDS_MAX + 8];
	int argc = schedule_argv(s, i, argv, (int)(sizeof argv / sizeof argv[0]));

	if (argc < 0) {
		snprintf(why, n, "too many words");
		return false;
	}
	why[0] = '\0';
	if (!check(arg, argc, argv, why, n)) {
		if (!why[0])
			snprintf(why, n, "refused");
		return false;
	}
	return true;
}

/* ---- schedule files ---- */

static bool parse(struct schedule *s, struct reader *r, sched_check_fn check, void *arg)
{
	char line[SCHED_LINE_MAX + 1], why[256], prev[32];
	char *w[SCHED_WORDS_MAX + 2];
	bool ended = false;
	int got;

	reset(s);
	while ((got = next_line(r, line, sizeof line)) > 0) {
		int argc = split(line, w, SCHED_WORDS_MAX + 1);
		uint64_t at;

		if (argc == 0)
			continue;
		if (argc > SCHED_WORDS_MAX + 1) /* the offset and the words */
			return rfail(r, "more than %d netem words in one step", SCHED_WORDS_MAX);
		if (!sched_time(w[0], &at))
			return rfail(r, "not an offset (0, or DIGITS[.DIGITS] with s, ms, us or ns, "
					"at most 7 days): %s", disp(w[0]));
		if (ended)
			return rfail(r, "a line after the end line: %s", disp(w[0]));
		if (s->n == 0 && at != 0)
			return rfail(r, "the first step must be at offset 0 (what the link is when play "
					"starts): %s", disp(w[0]));
		if (s->n > 0 && at <= s->step[s->n - 1].at_ns) {
			sched_time_str(s->step[s->n - 1].at_ns, prev, sizeof prev);
			return rfail(r, "offset not after the previous step's (%s): %s", prev, disp(w[0]));
		}
		if (s->n > 0 && at - s->step[s->n - 1].at_ns < SCHED_STEP_MIN_NS) {
			char gap[32], min[32], what[32];

			sched_time_str(s->step[s->n - 1].at_ns, prev, sizeof prev);
			sched_time_str(at - s->step[s->n - 1].at_ns, gap, sizeof gap);
			sched_time_str(SCHED_STEP_MIN_NS, min, sizeof min);
			if (argc > 1 && strcmp(w[1], "end") == 0)
				snprintf(what, sizeof what, "the end");
			else
				snprintf(what, sizeof what, "step %zu", s->n + 1);
			return rfail(r, "%s at %s is %s after step %zu (%s): a step lasts at least %s", what,
				     disp(w[0]), gap, s->n, prev, min);
		}
		if (argc == 1)
			return rfail(r, "no netem words after the offset %s", disp(w[0]));
		if (strcmp(w[1], "end") == 0) {
			if (argc != 2)
				return rfail(r, "end takes no words: %s", disp(w[2]));
			if (s->n == 0)
				return rfail(r, "end before any step");
			s->end_ns = at;
			s->has_end = true;
			ended = true;
			continue;
		}
		if (s->n == SCHED_STEPS_MAX)
			return rfail(r, "more than %d steps", SCHED_STEPS_MAX);
		struct sched_step *st = &s->step[s->n];

		st->at_ns = at;
		st->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
		if (!put_words(s, st, argc - 1, w + 1))
			return rfail(r, "netem words over %d bytes in all", SCHED_ARENA_MAX);
		s->n++;
		if (!check_step(s, s->n - 1, check, arg, why, sizeof why))
			return rfail(r, "%s", why);
	}
	if (got < 0)
		return false;
	if (s->n == 0) {
		r->line--; /* the line count, not the empty one past the end */
		return rfail(r, "no steps (the first step is a line `0 WORDS...`)");
	}
	if (!s->has_end)
		s->end_ns = s->step[s->n - 1].at_ns;
	return true;
}

static void reader_init(struct reader *r, int fd, const char *text, uint64_t max, const char *name,
			char *err, size_t errn)
{
	r->fd = fd;
	r->text = text;
	r->max = max;
	r->taken = r->used = 0;
	r->line = 0;
	r->name = name;
	r->err = err;
	r->errn = errn;
	r->len = r->pos = 0;
	r->eof = false;
}

bool schedule_read(struct schedule *s, int fd, const char *name, sched_check_fn check, void *arg,
		   char *err, size_t errn)
{
	struct reader r;

	reader_init(&r, fd, NULL, SCHED_FILE_MAX, name, err, errn);
	return parse(s, &r, check, arg);
}

bool schedule_parse_text(struct schedule *s, const char *text, const char *name, sched_check_fn check,
			 void *arg, char *err, size_t errn)
{
	struct reader r;

	reader_init(&r, -1, text, SCHED_FILE_MAX, name, err, errn);
	return parse(s, &r, check, arg);
}

/* ---- mahimahi traces ---- */

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
	struct reader *r;
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
	if (!put_words(m->s, &m->s->step[i], n, w))
		return fail(m->r->err, m->r->errn, m->r->name, line,
			    "converted steps over %d bytes of words: use a longer window", SCHED_ARENA_MAX);
	if (!check_step(m->s, i, m->check, m->arg, why, sizeof why)) {
		sched_time_str(m->s->step[i].at_ns, at, sizeof at);
		return fail(m->r->err, m->r->errn, m->r->name, line, "the window at %s: %s", at, why);
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
		return fail(m->r->err, m->r->errn, m->r->name, line,
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
		return fail(m->r->err, m->r->errn, m->r->name, 0, "extra netem words too long");
	strcpy(buf, extra);
	for (char *p = buf; *p; p++)
		if (*p == '#')
			return fail(m->r->err, m->r->errn, m->r->name, 0,
				    "extra netem words may not contain '#': %s", disp(extra));
	m->nextra = split(buf, m->extra, SCHED_WORDS_MAX - 6);
	if (m->nextra > SCHED_WORDS_MAX - 6)
		return fail(m->r->err, m->r->errn, m->r->name, 0, "too many extra netem words");
	/* tc takes any prefix of a keyword (matches()), so "ra" is rate too */
	for (int k = 0; k < m->nextra; k++)
		for (size_t o = 0; o < sizeof owned / sizeof owned[0]; o++)
			if (strncmp(m->extra[k], owned[o], strlen(m->extra[k])) == 0)
				return fail(m->r->err, m->r->errn, m->r->name, 0,
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
	struct reader r;
	char line[SCHED_LINE_MAX + 1], xbuf[SCHED_LINE_MAX + 1], wstr[32];
	struct mm m = {.s = s, .r = &r, .check = check, .arg = arg};
	uint64_t cur = 0, pend = 0, win = 0, cnt = 0, L;
	unsigned long pend_line = 0, win_line = 0;
	bool have = false;
	int got;

	reader_init(&r, fd, NULL, SCHED_TRACE_MAX, name, err, errn);
	reset(s);
	if (window_ns < SCHED_WINDOW_MIN_NS || window_ns > SCHED_WINDOW_MAX_NS || window_ns % 1000000) {
		sched_time_str(window_ns, wstr, sizeof wstr);
		return fail(err, errn, name, 0, "the window must be whole milliseconds from 10ms to 60s: %s",
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
	while ((got = next_line(&r, line, sizeof line)) > 0) {
		uint64_t t = 0;
		const char *p = line;

		if (!*p)
			return rfail(&r, "empty line (a trace line is one millisecond timestamp)");
		for (; *p >= '0' && *p <= '9'; p++) {
			t = t * 10 + (uint64_t)(*p - '0');
			if (t > SCHED_OFFSET_MAX_NS / 1000000)
				return rfail(&r, "timestamp over 7 days: %s", disp(line));
		}
		if (*p)
			return rfail(&r, "not a millisecond timestamp (digits only): %s", disp(line));
		if (have && t < cur)
			return rfail(&r, "timestamp before the previous line's (%llu): %s",
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
		return fail(err, errn, name, r.line - 1, "no timestamps");
	L = cur;
	if (L == 0)
		return fail(err, errn, name, r.line - 1,
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

bool schedule_loop_ok(const struct schedule *s, char *why, size_t n)
{
	const struct sched_step *last = &s->step[s->n - 1];
	char at[32], gap[32], min[32];

	if (s->n < 2 || s->end_ns - last->at_ns >= SCHED_STEP_MIN_NS)
		return true;
	sched_time_str(last->at_ns, at, sizeof at);
	sched_time_str(s->end_ns - last->at_ns, gap, sizeof gap);
	sched_time_str(SCHED_STEP_MIN_NS, min, sizeof min);
	snprintf(why, n, "--loop: step %zu (line %u, at %s) lasts %s before the round starts over: a step lasts "
		 "at least %s (an `end` line gives the last step its time)", s->n, (unsigned)last->line, at, gap, min);
	return false;
}
