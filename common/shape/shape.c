/*
 * Shaping words. The grammar and the arithmetic are iproute2 6.1's, state for
 * state: tc's keyword prefixes (its matches()), "is the next word a number"
 * by its first character, bare units (us for times, ns for slot times, bit/s
 * for rates, bytes for sizes, percent without %), truncations where tc
 * truncates and rint where it rounds; so the request each kind's file
 * (netem.c, tbf.c, cake.c) builds equals tc's for the same words. What tc
 * would take but makes no sense or pins kernel memory is refused: see the
 * ceilings in shape.h, and numbers are plain decimals (no sign, exponent, hex
 * float, inf or nan, which strtod would take). This file holds the lexical
 * units the kinds share (lex.h): words, numbers, units, percentages.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "shape/shape.h"
#include "shape/lex.h"
#include "base/escape.h"

/* The tables iproute2 ships: a name is a file name under tc's directory, so
 * only these are ever looked up. */
static const char *const dists[] = {"normal", "pareto", "paretonormal", "experimental", NULL};

/* The bad word is the caller's: shown escaped, never as raw bytes. */
bool lex_fail(struct err *e, const char *what, const char *word)
{
	err_set(e, EXIT_USAGE, "%s%s%s", what, word ? ": " : "", word ? disp(word) : "");
	return false;
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '%' || c == '/' || c == '-';
}

/* Each word checked and appended to dst with one blank between. */
bool lex_keep_words(char *dst, size_t cap, int argc, char *const argv[], struct err *e)
{
	size_t len = 0;

	if (argc > SHAPE_WORDS_MAX)
		return lex_fail(e, "too many words", NULL);
	dst[0] = '\0';
	for (int i = 0; i < argc; i++) {
		size_t wl = strlen(argv[i]);

		if (!wl)
			return lex_fail(e, "empty word", NULL);
		for (const char *p = argv[i]; *p; p++)
			if (!word_char(*p))
				return lex_fail(e, "only [A-Za-z0-9.%/-] may appear in a word", argv[i]);
		if (len + wl + 2 > cap)
			return lex_fail(e, "words too long", NULL);
		if (len)
			dst[len++] = ' ';
		memcpy(dst + len, argv[i], wl + 1);
		len += wl;
	}
	return true;
}

int shape_split(const char *v, char *buf, size_t cap, char **w, int max, struct err *e)
{
	char *save = NULL;
	int k = 0;

	if (strlen(v) >= cap)
		return lex_fail(e, "value too long", NULL), -1;
	for (const char *p = v; *p; p++)
		if (!word_char(*p) && *p != ' ' && *p != '\t')
			return lex_fail(e, "only [A-Za-z0-9.%/-] and blanks may appear", v), -1;
	strcpy(buf, v);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (k >= max)
			return lex_fail(e, "too many words", NULL), -1;
		w[k++] = t;
	}
	return k;
}

/* tc's matches(): w is a non-empty prefix of full. */
bool lex_prefix_of(const char *w, const char *full)
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

/* A property of the running kernel: read once per process. */
static double psched_tick(void)
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

double shape_tick_in_usec(void)
{
	static double tick; /* the cache of a constant, not state: the kernel's tick never changes */

	if (!tick)
		tick = psched_tick();
	return tick;
}

/* tc's get_time: microseconds, bare = us, truncated. */
bool lex_time_us(const char *w, unsigned *us)
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
bool lex_time_ns(const char *w, __s64 *ns)
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
bool lex_size(const char *w, unsigned *b, unsigned max)
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
bool lex_rate(const char *w, uint64_t *bps)
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

bool shape_rate(const char *w, uint64_t *bps, struct err *e)
{
	if (!lex_rate(w, bps) || !*bps)
		return lex_fail(e, "not a rate 8bit..400gbit (NUMBER with bit, kbit, mbit, gbit, ...; bare: bit/s)", w);
	return true;
}

/* Rates in bits a second, as a person writes them ("160 Mbit/s"). */
static void bits_str(char *b, size_t n, double bits)
{
	static const struct unit u[] = {
		{"Tbit/s", 1e12}, {"Gbit/s", 1e9}, {"Mbit/s", 1e6}, {"kbit/s", 1e3}, {"bit/s", 1.}, {NULL, 0},
	};
	const struct unit *x = u;

	while (x[1].name && bits < x->scale)
		x++;
	snprintf(b, n, "%g %s", bits / x->scale, x->name);
}

bool shape_bps_note(const char *w, char *note, size_t n)
{
	/* tc's byte units: unit, what it counts, the bit unit a user likely meant */
	static const struct { const char *unit, *bytes, *bits, *bit; } u[] = {
		{"bps", "bytes/s", "bits", "bit"}, {"kbps", "kilobytes/s", "kilobits", "kbit"},
		{"kibps", "kibibytes/s", "kibibits", "kibit"}, {"mbps", "megabytes/s", "megabits", "mbit"},
		{"mibps", "mebibytes/s", "mebibits", "mibit"}, {"gbps", "gigabytes/s", "gigabits", "gbit"},
		{"gibps", "gibibytes/s", "gibibits", "gibit"}, {"tbps", "terabytes/s", "terabits", "tbit"},
		{"tibps", "tebibytes/s", "tebibits", "tibit"},
	};
	const char *rest;
	char bits[48];
	double v;
	uint64_t bytes;

	if (!lex_rate(w, &bytes) || !number(w, &v, &rest))
		return false;
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
		if (strcasecmp(rest, u[i].unit) != 0)
			continue;
		bits_str(bits, sizeof bits, (double)bytes * 8);
		snprintf(note, n, "%s is %.*s %s (%s) as in tc; for %s write %.*s%s", disp(w), (int)(rest - w), w,
			 u[i].bytes, bits, u[i].bits, (int)(rest - w), w, u[i].bit);
		return true;
	}
	return false;
}

/* tc's parse_percent: 0..100, "%" or nothing after the number. */
bool lex_percent(const char *w, double *frac)
{
	const char *rest;
	double v;

	if (!number(w, &v, &rest) || (*rest && strcmp(rest, "%") != 0))
		return false;
	*frac = v / 100.;
	return *frac <= 1.0;
}

void lex_set_pct(uint32_t *out, double frac)
{
	*out = (uint32_t)rint(frac * UINT32_MAX);
}

bool lex_pct(const char *w, uint32_t *out)
{
	double f;

	if (!lex_percent(w, &f))
		return false;
	lex_set_pct(out, f);
	return true;
}

/* tc's get_s32/get_u32 with base 0 (decimal, 0x hex, 0 octal), within lo..hi. */
bool lex_int0(const char *w, long long lo, long long hi, long long *out)
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

bool lex_dist_ok(const char *w)
{
	for (const char *const *d = dists; *d; d++)
		if (strcmp(w, *d) == 0)
			return true;
	return false;
}

/* --- the cursor over a clause's words ------------------------------------- */

bool cur_next_is_number(const struct cursor *c)
{
	return c->i + 1 < c->argc && isdigit((unsigned char)c->argv[c->i + 1][0]);
}

bool cur_next_is_signed_number(const struct cursor *c)
{
	return c->i + 1 < c->argc &&
	       (isdigit((unsigned char)c->argv[c->i + 1][0]) || c->argv[c->i + 1][0] == '-');
}

/* tc's NEXT_ARG: the word after the current one must exist. */
const char *cur_next(struct cursor *c, const char *after)
{
	if (c->i + 1 >= c->argc) {
		lex_fail(c->e, "incomplete: a value must follow", after);
		return NULL;
	}
	return c->argv[++c->i];
}

bool cur_bad(const struct cursor *c, const char *what)
{
	return lex_fail(c->e, what, c->argv[c->i]);
}
