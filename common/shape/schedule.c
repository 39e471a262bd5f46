/*
 * Schedules: the file parser, its line reader and the step storage (see
 * schedule.h for the format and every decision; mahimahi.c converts traces).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "shape/schedule.h"
#include "base/escape.h"

/* ---- reading lines: from an fd or a string, with the byte rules ---- */

static bool vfail(struct err *e, const char *name, unsigned long line, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static bool vfail(struct err *e, const char *name, unsigned long line, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line)
		err_set(e, EXIT_USAGE, "%s:%lu: %s", disp(name), line, msg);
	else
		err_set(e, EXIT_USAGE, "%s: %s", disp(name), msg);
	return false;
}

bool sched_fail(struct err *e, const char *name, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, name, line, fmt, ap);
	va_end(ap);
	return false;
}

bool sched_reader_fail(struct sched_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(r->e, r->name, r->line, fmt, ap);
	va_end(ap);
	return false;
}

/* Refill buf; false on a read error (reported). Never asks for more than
 * max + 1 bytes in all, so a huge file costs one read past the limit. */
static bool refill(struct sched_reader *r)
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
			return sched_reader_fail(r, "read: %s", strerror(errno));
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
int sched_reader_line(struct sched_reader *r, char *line, size_t cap)
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
					return sched_reader_fail(r, "carriage return at the end of the file"), -1;
				line[n] = '\0';
				return any ? 1 : 0;
			}
		}
		if (++r->used > r->max)
			return sched_reader_fail(r, "file larger than %llu bytes", (unsigned long long)r->max), -1;
		ch = (unsigned char)r->buf[r->pos++];
		any = true;
		if (ch == '\n') {
			line[n] = '\0';
			return 1;
		}
		if (cr)
			return sched_reader_fail(r, "carriage return inside a line (only CRLF line ends are taken)"), -1;
		if (ch == '\r') {
			cr = true;
			continue;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return sched_reader_fail(r, "control byte \\x%02x in line (binary file?)", ch), -1;
		if (n + 1 >= cap || n >= SCHED_LINE_MAX)
			return sched_reader_fail(r, "line longer than %d bytes", SCHED_LINE_MAX), -1;
		line[n++] = (char)ch;
	}
}

/* Split line in place on blanks and tabs; a word starting with '#' ends
 * the line (a comment). Returns the word count, or max + 1 when there are
 * more than max. */
int sched_split(char *line, char **w, int max)
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

void sched_reset(struct schedule *s)
{
	s->n = 0;
	s->end_ns = 0;
	s->has_end = false;
	s->used = 0;
}

/* Copy words into the arena; false if they do not fit. */
bool sched_put_words(struct schedule *s, struct sched_step *st, int argc, char *const *w)
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
bool sched_check_step(struct schedule *s, size_t i, sched_check_fn check, void *arg, struct err *why)
{
	char *argv[SCHED_WORDS_MAX + 8];
	int argc = schedule_argv(s, i, argv, (int)(sizeof argv / sizeof argv[0]));

	if (argc < 0)
		return err_set(why, EXIT_USAGE, "too many words"), false;
	if (check(arg, argc, argv, why))
		return true;
	if (!why->code)
		err_set(why, EXIT_USAGE, "refused");
	/* cut where a reason always was, so the line's name and number lead a
	 * message that a long word would otherwise fill */
	why->msg[SCHED_REASON_MAX] = '\0';
	return false;
}

/* ---- schedule files ---- */

/* A step within SCHED_STEP_MIN_NS of the one before (w[0] at at): refused. */
static bool too_soon(struct schedule *s, struct sched_reader *r, char **w, int argc, uint64_t at)
{
	uint64_t last = s->step[s->n - 1].at_ns;
	char prev[32], gap[32], min[32], what[32];

	sched_time_str(last, prev, sizeof prev);
	sched_time_str(at - last, gap, sizeof gap);
	sched_time_str(SCHED_STEP_MIN_NS, min, sizeof min);
	if (argc > 1 && strcmp(w[1], "end") == 0)
		snprintf(what, sizeof what, "the end");
	else
		snprintf(what, sizeof what, "step %zu", s->n + 1);
	return sched_reader_fail(r, "%s at %s is %s after step %zu (%s): a step lasts at least %s", what,
				 disp(w[0]), gap, s->n, prev, min);
}

/* The line's offset w[0] into *at, if it may follow what came before. */
static bool offset_ok(struct schedule *s, struct sched_reader *r, char **w, int argc, bool ended,
		      uint64_t *at)
{
	char prev[32];

	if (!sched_time(w[0], at))
		return sched_reader_fail(r, "not an offset (0, or DIGITS[.DIGITS] with s, ms, us or ns, "
					    "at most 7 days): %s", disp(w[0]));
	if (ended)
		return sched_reader_fail(r, "a line after the end line: %s", disp(w[0]));
	if (s->n == 0 && *at != 0)
		return sched_reader_fail(r, "the first step must be at offset 0 (what the link is when play "
					    "starts): %s", disp(w[0]));
	if (s->n > 0 && *at <= s->step[s->n - 1].at_ns) {
		sched_time_str(s->step[s->n - 1].at_ns, prev, sizeof prev);
		return sched_reader_fail(r, "offset not after the previous step's (%s): %s", prev, disp(w[0]));
	}
	if (s->n > 0 && *at - s->step[s->n - 1].at_ns < SCHED_STEP_MIN_NS)
		return too_soon(s, r, w, argc, *at);
	return true;
}

/* `OFFSET end`: the period. */
static bool end_line(struct schedule *s, struct sched_reader *r, char **w, int argc, uint64_t at)
{
	if (argc != 2)
		return sched_reader_fail(r, "end takes no words: %s", disp(w[2]));
	if (s->n == 0)
		return sched_reader_fail(r, "end before any step");
	s->end_ns = at;
	s->has_end = true;
	return true;
}

/* `OFFSET WORDS...`: one more step, checked. */
static bool step_line(struct schedule *s, struct sched_reader *r, char **w, int argc, uint64_t at,
		      sched_check_fn check, void *arg)
{
	struct sched_step *st = &s->step[s->n];
	struct err why = {0};

	if (s->n == SCHED_STEPS_MAX)
		return sched_reader_fail(r, "more than %d steps", SCHED_STEPS_MAX);
	st->at_ns = at;
	st->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
	if (!sched_put_words(s, st, argc - 1, w + 1))
		return sched_reader_fail(r, "netem words over %d bytes in all", SCHED_ARENA_MAX);
	s->n++;
	if (!sched_check_step(s, s->n - 1, check, arg, &why))
		return sched_reader_fail(r, "%s", why.msg);
	return true;
}

/* After the last line: at least one step, and the period. */
static bool parse_end(struct schedule *s, struct sched_reader *r)
{
	if (s->n == 0) {
		r->line--; /* the line count, not the empty one past the end */
		return sched_reader_fail(r, "no steps (the first step is a line `0 WORDS...`)");
	}
	if (!s->has_end)
		s->end_ns = s->step[s->n - 1].at_ns;
	return true;
}

static bool parse(struct schedule *s, struct sched_reader *r, sched_check_fn check, void *arg)
{
	char line[SCHED_LINE_MAX + 1];
	char *w[SCHED_WORDS_MAX + 2];
	int got;

	sched_reset(s);
	while ((got = sched_reader_line(r, line, sizeof line)) > 0) {
		int argc = sched_split(line, w, SCHED_WORDS_MAX + 1);
		uint64_t at;

		if (argc == 0)
			continue;
		if (argc > SCHED_WORDS_MAX + 1) /* the offset and the words */
			return sched_reader_fail(r, "more than %d netem words in one step", SCHED_WORDS_MAX);
		if (!offset_ok(s, r, w, argc, s->has_end, &at))
			return false;
		if (argc == 1)
			return sched_reader_fail(r, "no netem words after the offset %s", disp(w[0]));
		if (strcmp(w[1], "end") == 0 ? !end_line(s, r, w, argc, at) : !step_line(s, r, w, argc, at, check, arg))
			return false;
	}
	return got == 0 && parse_end(s, r);
}

void sched_reader_init(struct sched_reader *r, int fd, const char *text, uint64_t max, const char *name,
		       struct err *e)
{
	r->fd = fd;
	r->text = text;
	r->max = max;
	r->taken = r->used = 0;
	r->line = 0;
	r->name = name;
	r->e = e;
	r->len = r->pos = 0;
	r->eof = false;
}

bool schedule_read(struct schedule *s, int fd, const char *name, sched_check_fn check, void *arg,
		   struct err *e)
{
	struct sched_reader r;

	sched_reader_init(&r, fd, NULL, SCHED_FILE_MAX, name, e);
	return parse(s, &r, check, arg);
}

bool schedule_parse_text(struct schedule *s, const char *text, const char *name, sched_check_fn check,
			 void *arg, struct err *e)
{
	struct sched_reader r;

	sched_reader_init(&r, -1, text, SCHED_FILE_MAX, name, e);
	return parse(s, &r, check, arg);
}

bool schedule_loop_ok(const struct schedule *s, struct err *e)
{
	const struct sched_step *last = &s->step[s->n - 1];
	char at[32], gap[32], min[32];

	if (s->n < 2 || s->end_ns - last->at_ns >= SCHED_STEP_MIN_NS)
		return true;
	sched_time_str(last->at_ns, at, sizeof at);
	sched_time_str(s->end_ns - last->at_ns, gap, sizeof gap);
	sched_time_str(SCHED_STEP_MIN_NS, min, sizeof min);
	err_set(e, EXIT_USAGE, "--loop: step %zu (line %u, at %s) lasts %s before the round starts over: a step lasts "
		 "at least %s (an `end` line gives the last step its time)", s->n, (unsigned)last->line, at, gap, min);
	return false;
}
