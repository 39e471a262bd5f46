/*
 * Shaping words. The grammar and the arithmetic are iproute2 6.1's, state for
 * state: tc's keyword prefixes (its matches()), "is the next word a number"
 * by its first character, bare units (us for times, ns for slot times, bit/s
 * for rates, bytes for sizes, percent without %), truncations where tc
 * truncates and rint where it rounds; so the request encode.c builds equals
 * tc's for the same words. What tc would take but makes no sense or pins
 * kernel memory is refused: see the ceilings in shape.h, and numbers are
 * plain decimals (no sign, exponent, hex float, inf or nan, which strtod
 * would take). No netlink here: the grammar fuzzer links this file alone.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "shape/shape.h"
#include "base/escape.h"

const char *const netem_kw_name[NK_COUNT] = {
	"limit", "delay", "loss", "ecn", "reorder", "corrupt", "gap", "duplicate", "distribution", "rate", "slot",
};

/* The tables iproute2 ships: a name is a file name under tc's directory, so
 * only these are ever looked up. */
static const char *const dists[] = {"normal", "pareto", "paretonormal", "experimental", NULL};

/* The bad word is the caller's: shown escaped, never as raw bytes. */
static bool fail(char *why, size_t n, const char *what, const char *word)
{
	snprintf(why, n, "%s%s%s", what, word ? ": " : "", word ? disp(word) : "");
	return false;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '%' || c == '/' || c == '-';
}

/* Each word checked and appended to dst with one blank between. */
static bool keep_words(char *dst, size_t cap, int argc, char *const argv[], char *why, size_t n)
{
	size_t len = 0;

	if (argc > SHAPE_WORDS_MAX)
		return fail(why, n, "too many words", NULL);
	dst[0] = '\0';
	for (int i = 0; i < argc; i++) {
		size_t wl = strlen(argv[i]);

		if (!wl)
			return fail(why, n, "empty word", NULL);
		for (const char *p = argv[i]; *p; p++)
			if (!word_char(*p))
				return fail(why, n, "only [A-Za-z0-9.%/-] may appear in a word", argv[i]);
		if (len + wl + 2 > cap)
			return fail(why, n, "words too long", NULL);
		if (len)
			dst[len++] = ' ';
		memcpy(dst + len, argv[i], wl + 1);
		len += wl;
	}
	return true;
}

int shape_split(const char *v, char *buf, size_t cap, char **w, int max, char *why, size_t n)
{
	char *save = NULL;
	int k = 0;

	if (strlen(v) >= cap)
		return fail(why, n, "value too long", NULL), -1;
	for (const char *p = v; *p; p++)
		if (!word_char(*p) && *p != ' ' && *p != '\t')
			return fail(why, n, "only [A-Za-z0-9.%/-] and blanks may appear", v), -1;
	strcpy(buf, v);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (k >= max)
			return fail(why, n, "too many words", NULL), -1;
		w[k++] = t;
	}
	return k;
}

/* tc's matches(): w is a non-empty prefix of full. */
static bool prefix_of(const char *w, const char *full)
{
	size_t l = strlen(w);

	return l && l <= strlen(full) && strncmp(w, full, l) == 0;
}

/* A plain decimal ("5", "1.5", ".5", "5."): its value and what follows. */
static bool number(const char *w, double *v, const char **rest)
{
	const char *p = w;
	bool digits = false;
	char buf[48];

	while (isdigit((unsigned char)*p))
		p++, digits = true;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits = true;
	if (!digits || (size_t)(p - w) >= sizeof buf)
		return false;
	memcpy(buf, w, (size_t)(p - w));
	buf[p - w] = '\0';
	*v = strtod(buf, NULL);
	*rest = p;
	return true;
}

struct unit {
	const char *name;
	double scale;
};

/* number followed by one of units (case-insensitive, as tc compares), or by
 * nothing (bare: scale 1). */
static bool scaled(const char *w, const struct unit *units, double *out)
{
	const char *rest;
	double v;

	if (!number(w, &v, &rest))
		return false;
	if (!*rest) {
		*out = v;
		return true;
	}
	for (; units->name; units++)
		if (strcasecmp(rest, units->name) == 0) {
			*out = v * units->scale;
			return true;
		}
	return false;
}

double shape_tick_in_usec(void)
{
	unsigned t2us = 1000, us2t = 64, res = 1000000;
	FILE *f = fopen("/proc/net/psched", "re");

	if (f) {
		if (fscanf(f, "%08x%08x%08x", &t2us, &us2t, &res) != 3)
			t2us = 1000, us2t = 64, res = 1000000;
		fclose(f);
	}
	if (res == 1000000000)
		t2us = us2t; /* iproute2's compatibility hack, kept for equality */
	return (double)t2us / us2t * ((double)res / 1000000);
}

/* tc's get_time: microseconds, bare = us, truncated. */
static bool time_us(const char *w, unsigned *us)
{
	static const struct unit u[] = {
		{"s", 1e6}, {"sec", 1e6}, {"secs", 1e6}, {"ms", 1e3}, {"msec", 1e3}, {"msecs", 1e3},
		{"us", 1}, {"usec", 1}, {"usecs", 1}, {NULL, 0},
	};
	double t;

	if (!scaled(w, u, &t) || t > (double)SHAPE_TIME_MAX_US)
		return false;
	*us = (unsigned)t;
	return true;
}

/* tc's get_time64: nanoseconds, bare = ns, truncated. */
static bool time_ns(const char *w, __s64 *ns)
{
	static const struct unit u[] = {
		{"s", 1e9}, {"sec", 1e9}, {"secs", 1e9}, {"ms", 1e6}, {"msec", 1e6}, {"msecs", 1e6},
		{"us", 1e3}, {"usec", 1e3}, {"usecs", 1e3}, {"ns", 1}, {"nsec", 1}, {"nsecs", 1}, {NULL, 0},
	};
	double t;

	if (!scaled(w, u, &t) || t > (double)SHAPE_TIME_MAX_US * 1000)
		return false;
	*ns = (__s64)t;
	return true;
}

/* tc's get_size: bytes, bare = bytes, truncated; 0..max. */
static bool size_b(const char *w, unsigned *b, unsigned max)
{
	static const struct unit u[] = {
		{"kb", 1024.}, {"k", 1024.}, {"gb", 1073741824.}, {"g", 1073741824.}, {"gbit", 134217728.},
		{"mb", 1048576.}, {"m", 1048576.}, {"mbit", 131072.}, {"kbit", 128.}, {"b", 1.}, {NULL, 0},
	};
	double sz;

	if (!scaled(w, u, &sz) || sz > max)
		return false;
	*b = (unsigned)sz;
	return true;
}

/* tc's get_rate64: bytes/s from bits (bare = bit/s), truncated. */
static bool rate_word(const char *w, uint64_t *bps)
{
	static const struct unit u[] = {
		{"bit", 1.}, {"kibit", 1024.}, {"kbit", 1e3}, {"mibit", 1048576.}, {"mbit", 1e6},
		{"gibit", 1073741824.}, {"gbit", 1e9}, {"tibit", 1099511627776.}, {"tbit", 1e12},
		{"bps", 8.}, {"kibps", 8. * 1024}, {"kbps", 8e3}, {"mibps", 8. * 1048576}, {"mbps", 8e6},
		{"gibps", 8. * 1073741824}, {"gbps", 8e9}, {"tibps", 8. * 1099511627776.}, {"tbps", 8e12},
		{NULL, 0},
	};
	double b;

	if (!scaled(w, u, &b))
		return false;
	b /= 8;
	if (b > (double)SHAPE_RATE_MAX || (b > 0 && b < 1))
		return false;
	*bps = (uint64_t)b;
	return true;
}

bool shape_rate(const char *w, uint64_t *bps, char *why, size_t n)
{
	if (!rate_word(w, bps) || !*bps)
		return fail(why, n, "not a rate 8bit..400gbit (NUMBER with bit, kbit, mbit, gbit, ...; bare: bit/s)", w);
	return true;
}

/* tc's parse_percent: 0..100, "%" or nothing after the number. */
static bool percent(const char *w, double *frac)
{
	const char *rest;
	double v;

	if (!number(w, &v, &rest) || (*rest && strcmp(rest, "%") != 0))
		return false;
	*frac = v / 100.;
	return *frac <= 1.0;
}

static void set_pct(uint32_t *out, double frac)
{
	*out = (uint32_t)rint(frac * UINT32_MAX);
}

static bool pct(const char *w, uint32_t *out)
{
	double f;

	if (!percent(w, &f))
		return false;
	set_pct(out, f);
	return true;
}

/* tc's get_s32/get_u32 with base 0 (decimal, 0x hex, 0 octal), within lo..hi. */
static bool int0(const char *w, long long lo, long long hi, long long *out)
{
	char *end;
	long long x;

	if (!(isdigit((unsigned char)w[0]) || (w[0] == '-' && isdigit((unsigned char)w[1]))))
		return false;
	errno = 0;
	x = strtoll(w, &end, 0);
	if (errno || *end || x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

static bool dist_ok(const char *w)
{
	for (const char *const *d = dists; *d; d++)
		if (strcmp(w, *d) == 0)
			return true;
	return false;
}

/* --- netem ---------------------------------------------------------------- */

struct cursor {
	int argc, i;
	char *const *argv;
	char *why;
	size_t n;
};

static bool next_is_number(const struct cursor *c)
{
	return c->i + 1 < c->argc && isdigit((unsigned char)c->argv[c->i + 1][0]);
}

static bool next_is_signed_number(const struct cursor *c)
{
	return c->i + 1 < c->argc &&
	       (isdigit((unsigned char)c->argv[c->i + 1][0]) || c->argv[c->i + 1][0] == '-');
}

/* tc's NEXT_ARG: the word after the current one must exist. */
static const char *next(struct cursor *c, const char *after)
{
	if (c->i + 1 >= c->argc) {
		fail(c->why, c->n, "incomplete: a value must follow", after);
		return NULL;
	}
	return c->argv[++c->i];
}

static bool ticks_of(const char *w, double tick, uint32_t *out)
{
	unsigned us;

	if (!time_us(w, &us))
		return false;
	*out = (uint32_t)(us * tick);
	return true;
}

#define BAD(what) return fail(c->why, c->n, what, c->argv[c->i])

static bool netem_delay_clause(struct netem_spec *s, struct cursor *c, double tick, const char *kw)
{
	if (!next(c, kw))
		return false;
	if (!ticks_of(c->argv[c->i], tick, &s->qopt.latency))
		BAD("delay must be a time 0..60s (bare: us)");
	if (!next_is_number(c))
		return true;
	c->i++;
	if (!ticks_of(c->argv[c->i], tick, &s->qopt.jitter))
		BAD("jitter must be a time 0..60s (bare: us)");
	if (!next_is_number(c))
		return true;
	c->i++;
	s->has_corr = true;
	if (!pct(c->argv[c->i], &s->corr.delay_corr))
		BAD("delay correlation must be a percentage 0..100");
	return true;
}

static bool netem_loss_clause(struct netem_spec *s, struct cursor *c, const char *kw)
{
	const char *w;
	double f;

	if (s->qopt.loss > 0 || s->loss_model)
		BAD("loss given twice");
	if (!(w = next(c, kw)))
		return false;
	if (isdigit((unsigned char)w[0]) || strcmp(w, "random") == 0) {
		if (!isdigit((unsigned char)w[0]) && !next(c, w))
			return false;
		if (!pct(c->argv[c->i], &s->qopt.loss))
			BAD("loss must be a percentage 0..100");
		if (next_is_number(c)) {
			c->i++;
			s->has_corr = true;
			if (!pct(c->argv[c->i], &s->corr.loss_corr))
				BAD("loss correlation must be a percentage 0..100");
		}
		return true;
	}
	if (strcmp(w, "state") == 0) {
		uint32_t *more[] = {&s->gi.p31, &s->gi.p32, &s->gi.p23, &s->gi.p14};

		if (!next(c, w))
			return false;
		if (!percent(c->argv[c->i], &f))
			BAD("loss state p13 must be a percentage 0..100");
		/* tc's defaults, then whatever numbers follow */
		set_pct(&s->gi.p13, f);
		set_pct(&s->gi.p31, 1. - f);
		set_pct(&s->gi.p32, 0);
		set_pct(&s->gi.p23, 1.);
		set_pct(&s->gi.p14, 0);
		s->loss_model = NETEM_LOSS_GI;
		for (size_t k = 0; k < 4 && next_is_number(c); k++) {
			c->i++;
			if (!pct(c->argv[c->i], more[k]))
				BAD("loss state probabilities must be percentages 0..100");
		}
		return true;
	}
	if (strcmp(w, "gemodel") == 0) {
		if (!next(c, w))
			return false;
		if (!percent(c->argv[c->i], &f))
			BAD("loss gemodel p must be a percentage 0..100");
		set_pct(&s->ge.p, f);
		set_pct(&s->ge.r, 1. - f);
		set_pct(&s->ge.h, 0);
		set_pct(&s->ge.k1, 0);
		s->loss_model = NETEM_LOSS_GE;
		if (!next_is_number(c))
			return true;
		c->i++;
		if (!pct(c->argv[c->i], &s->ge.r))
			BAD("loss gemodel r must be a percentage 0..100");
		if (!next_is_number(c))
			return true;
		c->i++;
		if (!pct(c->argv[c->i], &s->ge.h))
			BAD("loss gemodel 1-h must be a percentage 0..100");
		s->ge.h = UINT32_MAX - s->ge.h; /* given as 1-h, sent as h */
		if (!next_is_number(c))
			return true;
		c->i++;
		if (!pct(c->argv[c->i], &s->ge.k1))
			BAD("loss gemodel 1-k must be a percentage 0..100");
		return true;
	}
	BAD("loss is [random] PERCENT [CORR], state P13 [P31 [P32 [P23 [P14]]]] or gemodel P [R [1-H [1-K]]]");
}

/* PERCENT [CORRELATION] of reorder, corrupt and duplicate. */
static bool prob_clause(struct cursor *c, const char *kw, uint32_t *prob, uint32_t *corr, bool *has_corr)
{
	if (!next(c, kw))
		return false;
	if (!pct(c->argv[c->i], prob))
		BAD("must be a percentage 0..100");
	if (!next_is_number(c))
		return true;
	c->i++;
	if (has_corr)
		*has_corr = true;
	if (!pct(c->argv[c->i], corr))
		BAD("correlation must be a percentage 0..100");
	return true;
}

static bool netem_rate_clause(struct netem_spec *s, struct cursor *c, const char *kw)
{
	long long x;

	s->has_rate = true;
	if (!next(c, kw))
		return false;
	if (strchr(c->argv[c->i], '%'))
		BAD("a rate in percent of the link speed is not taken (give bits per second)");
	if (!rate_word(c->argv[c->i], &s->rate64))
		BAD("rate must be 0 (none) or 8bit..400gbit (bare: bit/s)");
	if (next_is_signed_number(c)) {
		c->i++;
		if (!int0(c->argv[c->i], -SHAPE_OVERHEAD_MAX, SHAPE_OVERHEAD_MAX, &x))
			BAD("packet overhead must be an integer -65535..65535");
		s->rate_s.packet_overhead = (int32_t)x;
	}
	if (next_is_number(c)) {
		c->i++;
		if (!int0(c->argv[c->i], 0, 65535, &x))
			BAD("cell size must be an integer 0..65535");
		s->rate_s.cell_size = (uint32_t)x;
	}
	if (next_is_signed_number(c)) {
		c->i++;
		if (!int0(c->argv[c->i], -SHAPE_OVERHEAD_MAX, SHAPE_OVERHEAD_MAX, &x))
			BAD("cell overhead must be an integer -65535..65535");
		s->rate_s.cell_overhead = (int32_t)x;
	}
	return true;
}

static bool netem_slot_clause(struct netem_spec *s, struct cursor *c, const char *kw)
{
	const char *w;
	long long x;
	unsigned b;

	if (next_is_number(c)) {
		c->i++;
		s->has_slot = true;
		if (!time_ns(c->argv[c->i], &s->slot_s.min_delay))
			BAD("slot MIN must be a time 0..60s (bare: ns)");
		if (next_is_number(c)) {
			c->i++;
			if (!time_ns(c->argv[c->i], &s->slot_s.max_delay) || s->slot_s.max_delay < s->slot_s.min_delay)
				BAD("slot MAX must be a time MIN..60s (bare: ns)");
		} else {
			s->slot_s.max_delay = s->slot_s.min_delay;
		}
	} else {
		if (!(w = next(c, kw)))
			return false;
		if (strcmp(w, "distribution") != 0)
			BAD("slot is MIN [MAX] or distribution D DELAY JITTER");
		s->has_slot = true;
		if (!(w = next(c, w)))
			return false;
		if (!dist_ok(w))
			BAD("distribution must be normal, pareto, paretonormal or experimental");
		snprintf(s->slot_dist, sizeof s->slot_dist, "%s", w);
		if (!next(c, w))
			return false;
		if (!time_ns(c->argv[c->i], &s->slot_s.dist_delay))
			BAD("slot delay must be a time 0..60s (bare: ns)");
		if (!next(c, "slot delay"))
			return false;
		if (!time_ns(c->argv[c->i], &s->slot_s.dist_jitter) || s->slot_s.dist_jitter <= 0)
			BAD("slot jitter must be a time above 0, up to 60s (bare: ns)");
	}
	if (c->i + 1 < c->argc && prefix_of(c->argv[c->i + 1], "packets")) {
		c->i++;
		if (!next(c, "packets"))
			return false;
		if (!int0(c->argv[c->i], 1, SHAPE_SLOT_PACKETS_MAX, &x))
			BAD("slot packets must be 1..1000000");
		s->slot_s.max_packets = (int32_t)x;
	}
	if (c->i + 1 < c->argc && prefix_of(c->argv[c->i + 1], "bytes")) {
		c->i++;
		if (!next(c, "bytes"))
			return false;
		if (!size_b(c->argv[c->i], &b, SHAPE_SLOT_BYTES_MAX) || !b)
			BAD("slot bytes must be a size 1b..1gb");
		s->slot_s.max_bytes = (int32_t)b;
	}
	return true;
}

static int keyword(const char *w)
{
	static const struct { const char *name; int kw; } order[] = {
		{"limit", NK_LIMIT}, {"latency", NK_DELAY}, {"delay", NK_DELAY}, {"loss", NK_LOSS},
		{"drop", NK_LOSS}, {"ecn", NK_ECN}, {"reorder", NK_REORDER}, {"corrupt", NK_CORRUPT},
		{"gap", NK_GAP}, {"duplicate", NK_DUPLICATE}, {"distribution", NK_DIST}, {"rate", NK_RATE},
		{"slot", NK_SLOT},
	};

	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
		if (prefix_of(w, order[k].name))
			return order[k].kw;
	return -1;
}

static bool netem_clause(struct netem_spec *s, struct cursor *c, double tick)
{
	const char *w = c->argv[c->i];
	int kw = keyword(w);
	unsigned u;
	long long x;

	if (kw < 0)
		return fail(c->why, c->n, "not a netem keyword", w);
	s->seen |= 1U << kw;
	switch (kw) {
	case NK_LIMIT:
		if (!next(c, w))
			return false;
		if (!size_b(c->argv[c->i], &u, SHAPE_LIMIT_MAX) || !u)
			BAD("limit must be 1..1000000 packets");
		s->qopt.limit = u;
		return true;
	case NK_DELAY:
		return netem_delay_clause(s, c, tick, w);
	case NK_LOSS:
		return netem_loss_clause(s, c, w);
	case NK_ECN:
		s->ecn = true;
		return true;
	case NK_REORDER:
		s->has_reorder = true;
		return prob_clause(c, w, &s->reorder.probability, &s->reorder.correlation, &s->has_corr);
	case NK_CORRUPT:
		s->has_corrupt = true;
		return prob_clause(c, w, &s->corrupt.probability, &s->corrupt.correlation, &s->has_corr);
	case NK_GAP:
		if (!next(c, w))
			return false;
		if (!int0(c->argv[c->i], 0, SHAPE_GAP_MAX, &x))
			BAD("gap must be an integer 0..1000000");
		s->qopt.gap = (uint32_t)x;
		return true;
	case NK_DUPLICATE:
		/* tc sends the duplicate correlation only when another one is sent */
		return prob_clause(c, w, &s->qopt.duplicate, &s->corr.dup_corr, NULL);
	case NK_DIST:
		if (!next(c, w))
			return false;
		if (!dist_ok(c->argv[c->i]))
			BAD("distribution must be normal, pareto, paretonormal or experimental");
		snprintf(s->dist, sizeof s->dist, "%s", c->argv[c->i]);
		return true;
	case NK_RATE:
		return netem_rate_clause(s, c, w);
	default:
		return netem_slot_clause(s, c, w);
	}
}

/* The words; then, when cross, tc's checks across clauses (an option's
 * clause alone is checked without them: its partners may be other options). */
static bool netem_words(struct netem_spec *s, int argc, char *const argv[], double tick, bool cross, char *why,
			size_t n)
{
	struct cursor c = {.argc = argc, .argv = argv, .why = why, .n = n};

	memset(s, 0, sizeof *s);
	s->qopt.limit = 1000;
	if (!keep_words(s->words, sizeof s->words, argc, argv, why, n))
		return false;
	for (c.i = 0; c.i < argc; c.i++)
		if (!netem_clause(s, &c, tick))
			return false;
	if (!cross)
		return true;
	/* tc's checks after the words, in its order */
	if (s->reorder.probability) {
		if (!s->qopt.latency)
			return fail(why, n, "reorder needs a delay", NULL);
		if (!s->qopt.gap)
			s->qopt.gap = 1;
	} else if (s->qopt.gap) {
		return fail(why, n, "gap needs a reorder probability", NULL);
	}
	if (s->ecn && !s->qopt.loss && !s->loss_model)
		return fail(why, n, "ecn needs a loss", NULL);
	if (s->dist[0] && (!s->qopt.latency || !s->qopt.jitter))
		return fail(why, n, "distribution needs a delay and a jitter above 0", NULL);
	s->rate_s.rate = s->rate64 >= (1ULL << 32) ? ~0U : (uint32_t)s->rate64;
	return true;
}

bool netem_parse(struct netem_spec *s, int argc, char *const argv[], double tick, char *why, size_t n)
{
	return netem_words(s, argc, argv, tick, true, why, n);
}

bool netem_parse_str(struct netem_spec *s, const char *words, double tick, char *why, size_t n)
{
	char buf[SHAPE_WORDS_LEN], *w[SHAPE_WORDS_MAX];
	int k = shape_split(words, buf, sizeof buf, w, SHAPE_WORDS_MAX, why, n);

	return k >= 0 && netem_parse(s, k, w, tick, why, n);
}

bool netem_flag(char *buf, size_t cap, enum netem_kw kw, const char *value, double tick, char *why,
		size_t n)
{
	static struct netem_spec s;
	char b[SHAPE_WORDS_LEN], *w[SHAPE_WORDS_MAX];
	unsigned allowed = 1U << kw;
	size_t len = strlen(buf);
	int k;

	w[0] = (char *)netem_kw_name[kw];
	k = value ? shape_split(value, b, sizeof b, w + 1, SHAPE_WORDS_MAX - 1, why, n) : 0;
	if (k < 0)
		return false;
	if (kw == NK_DELAY)
		allowed |= 1U << NK_DIST; /* --delay 'T J distribution D', as the reference takes it */
	if (kw == NK_REORDER)
		allowed |= 1U << NK_GAP;
	if (!netem_words(&s, k + 1, w, tick, false, why, n))
		return false;
	if (s.seen & ~allowed)
		return fail(why, n, "other keywords in the value", value);
	if (len + strlen(s.words) + 2 > cap)
		return fail(why, n, "words too long", NULL);
	snprintf(buf + len, cap - len, "%s%s", len ? " " : "", s.words);
	return true;
}

/* --- tbf ------------------------------------------------------------------ */

/* tc's get_size_and_cell: SIZE[/CELL], CELL a power of two. */
static bool size_cell(const char *w, unsigned *b, int *cell_log, unsigned max)
{
	char buf[48], *slash;
	long long cell;

	if (strlen(w) >= sizeof buf)
		return false;
	strcpy(buf, w);
	if ((slash = strchr(buf, '/')))
		*slash = '\0';
	if (!size_b(buf, b, max) || !*b)
		return false;
	if (!slash)
		return true;
	if (!int0(slash + 1, 1, 1LL << 30, &cell) || (cell & (cell - 1)))
		return false;
	for (*cell_log = 0; (1LL << *cell_log) != cell; (*cell_log)++)
		;
	return true;
}

bool tbf_parse_words(struct tbf_spec *t, int argc, char *const argv[], char *why, size_t n)
{
	struct cursor cc = {.argc = argc, .argv = argv, .why = why, .n = n}, *c = &cc;
	long long x;

	memset(t, 0, sizeof *t);
	t->rcell_log = t->pcell_log = -1;
	t->linklayer = TC_LINKLAYER_ETHERNET;
	if (!keep_words(t->words, sizeof t->words, argc, argv, why, n))
		return false;
	for (c->i = 0; c->i < argc; c->i++) {
		const char *w = argv[c->i];

		if (prefix_of(w, "limit")) {
			if (!next(c, w))
				return false;
			if (t->limit)
				BAD("limit given twice");
			if (t->latency_us)
				BAD("give limit or latency, not both");
			if (!size_b(argv[c->i], &t->limit, SHAPE_QUEUE_MAX) || !t->limit)
				BAD("limit must be a size 1b..1gb");
		} else if (prefix_of(w, "latency")) {
			if (!next(c, w))
				return false;
			if (t->latency_us)
				BAD("latency given twice");
			if (t->limit)
				BAD("give limit or latency, not both");
			if (!time_us(argv[c->i], &t->latency_us) || !t->latency_us)
				BAD("latency must be a time above 0, up to 60s (bare: us)");
		} else if (prefix_of(w, "burst") || strcmp(w, "buffer") == 0 || strcmp(w, "maxburst") == 0) {
			if (!next(c, w))
				return false;
			if (t->buffer)
				BAD("burst given twice");
			if (!size_cell(argv[c->i], &t->buffer, &t->rcell_log, SHAPE_BURST_MAX))
				BAD("burst must be a size 1b..64mb, optionally /CELL (a power of two)");
		} else if (strcmp(w, "mtu") == 0 || strcmp(w, "minburst") == 0) {
			if (!next(c, w))
				return false;
			if (t->mtu)
				BAD("mtu given twice");
			if (!size_cell(argv[c->i], &t->mtu, &t->pcell_log, SHAPE_BURST_MAX))
				BAD("mtu must be a size 1b..64mb, optionally /CELL (a power of two)");
		} else if (strcmp(w, "mpu") == 0) {
			if (!next(c, w))
				return false;
			if (t->mpu)
				BAD("mpu given twice");
			if (!size_b(argv[c->i], &t->mpu, 65535))
				BAD("mpu must be a size 0..65535 bytes");
		} else if (strcmp(w, "rate") == 0 || prefix_of(w, "peakrate")) {
			uint64_t *r = w[0] == 'r' ? &t->rate64 : &t->prate64;

			if (!next(c, w))
				return false;
			if (*r)
				BAD("rate given twice");
			if (strchr(argv[c->i], '%'))
				BAD("a rate in percent of the link speed is not taken (give bits per second)");
			if (!rate_word(argv[c->i], r))
				BAD("rate must be 8bit..400gbit (bare: bit/s)");
		} else if (prefix_of(w, "overhead")) {
			if (!next(c, w))
				return false;
			if (t->overhead)
				BAD("overhead given twice");
			/* tc reads it in base 10 */
			if (!isdigit((unsigned char)argv[c->i][0]) || !int0(argv[c->i], 0, 65535, &x) ||
			    strspn(argv[c->i], "0123456789") != strlen(argv[c->i]))
				BAD("overhead must be a decimal 0..65535");
			t->overhead = (uint16_t)strtoul(argv[c->i], NULL, 10);
		} else if (prefix_of(w, "linklayer")) {
			const char *v;

			if (!(v = next(c, w)))
				return false;
			if (prefix_of(v, "ethernet"))
				t->linklayer = TC_LINKLAYER_ETHERNET;
			else if (prefix_of(v, "atm") || prefix_of(v, "adsl"))
				t->linklayer = TC_LINKLAYER_ATM;
			else
				BAD("linklayer must be ethernet, atm or adsl");
		} else {
			return fail(why, n, "not a tbf keyword", w);
		}
	}
	if (!t->rate64)
		return fail(why, n, "tbf needs a rate", NULL);
	if (!t->buffer)
		return fail(why, n, "tbf needs a burst", NULL);
	if (t->prate64 && !t->mtu)
		return fail(why, n, "peakrate needs an mtu", NULL);
	if (!t->limit && !t->latency_us)
		return fail(why, n, "tbf needs a limit or a latency", NULL);
	if (!t->limit && tbf_latency_queue(t) > SHAPE_QUEUE_MAX)
		return fail(why, n, "the queue latency makes at this rate is above 1gb", NULL);
	return true;
}

/* tc's computed queue: what the latency lets in at the rate (or peakrate). */
double tbf_latency_queue(const struct tbf_spec *t)
{
	double lim = (double)t->rate64 * t->latency_us / 1000000 + t->buffer;

	if (t->prate64) {
		double lim2 = (double)t->prate64 * t->latency_us / 1000000 + t->mtu;

		if (lim2 < lim)
			lim = lim2;
	}
	return lim;
}

uint32_t tbf_queue(const struct tbf_spec *t)
{
	/* truncated as tc truncates it */
	return t->limit ? t->limit : (uint32_t)tbf_latency_queue(t);
}

bool tbf_parse_str(struct tbf_spec *t, const char *words, char *why, size_t n)
{
	char buf[SHAPE_WORDS_LEN], *w[SHAPE_WORDS_MAX];
	int k = shape_split(words, buf, sizeof buf, w, SHAPE_WORDS_MAX, why, n);

	return k >= 0 && tbf_parse_words(t, k, w, why, n);
}

bool tbf_parse(struct tbf_spec *t, const char *rate, const char *burst, const char *latency,
	       char *why, size_t n)
{
	char words[SHAPE_WORDS_LEN], b[32];
	uint64_t r;
	unsigned u;

	if (!shape_rate(rate, &r, why, n))
		return false;
	if (!burst) {
		/* 4 ms worth at the rate, and never less than a few full frames */
		uint64_t d = r / 250;

		snprintf(b, sizeof b, "%ub", (unsigned)(d < 10240 ? 10240 : d > SHAPE_BURST_MAX ? SHAPE_BURST_MAX : d));
		burst = b;
	} else if (!size_b(burst, &u, SHAPE_BURST_MAX) || !u) {
		return fail(why, n, "burst must be a size 1b..64mb", burst);
	}
	if (latency && !time_us(latency, &u))
		return fail(why, n, "latency must be a time above 0, up to 60s", latency);
	if (snprintf(words, sizeof words, "rate %s burst %s latency %s", rate, burst,
		     latency ? latency : "50ms") >= (int)sizeof words)
		return fail(why, n, "value too long", NULL);
	return tbf_parse_str(t, words, why, n);
}
