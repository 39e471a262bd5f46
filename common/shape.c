/*
 * Shaping values. The grammar is the reference's (tc's words); the checks are
 * tighter (percentages 0..100, ceilings, distribution only with jitter); the
 * arithmetic is iproute2 6.1's, double for double, so the options tcenc.c
 * sends equal tc's for the same line. No netlink here: the grammar fuzzer
 * links this file alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shape.h"
#include "shquote.h"

#define MAX_WORDS 16

struct words {
	char buf[256];
	char *w[MAX_WORDS];
	int n;
};

/* The bad word is the caller's: shown escaped, never as raw bytes. */
static bool fail(char *why, size_t n, const char *fmt, const char *word)
{
	snprintf(why, n, "%s%s%s", fmt, word ? ": " : "", word ? disp(word) : "");
	return false;
}

/* The dry-run script shows the kept copy: a copy cut short would show a
 * different command than the one sent, so a value that does not fit is refused. */
static bool keep(char *dst, size_t dn, const char *v, char *why, size_t n)
{
	if (strlen(v) >= dn)
		return fail(why, n, "value too long", NULL);
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

/* Split on blanks; only [a-z0-9.%-] may appear in a word. */
static bool split(struct words *ws, const char *v, char *why, size_t n)
{
	char *save = NULL;

	if (strlen(v) >= sizeof ws->buf)
		return fail(why, n, "value too long", NULL);
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '%' ||
		      *p == '-' || *p == ' ' || *p == '\t'))
			return fail(why, n, "only [a-z0-9.%-] and blanks are allowed", NULL);
	strcpy(ws->buf, v);
	ws->n = 0;
	for (char *t = strtok_r(ws->buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (ws->n >= MAX_WORDS)
			return fail(why, n, "too many words", NULL);
		ws->w[ws->n++] = t;
	}
	if (!ws->n)
		return fail(why, n, "empty value", NULL);
	return true;
}

static bool is_uint(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* \d+(\.\d+)? followed by exactly suffix-set text; returns the suffix. */
static const char *decimal(const char *s)
{
	const char *p = s;

	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
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

/* T: \d+(\.\d+)?(us|ms|s) -> microseconds (tc's get_time) and nanoseconds (get_time64). */
static bool time_word(const char *w, unsigned *us, int64_t *ns)
{
	const char *sfx = decimal(w);
	double t = strtod(w, NULL), us_scale, ns_scale;

	if (!sfx)
		return false;
	if (strcmp(sfx, "s") == 0)
		us_scale = 1e6, ns_scale = 1e9;
	else if (strcmp(sfx, "ms") == 0)
		us_scale = 1e3, ns_scale = 1e6;
	else if (strcmp(sfx, "us") == 0)
		us_scale = 1, ns_scale = 1e3;
	else
		return false;
	if (t * us_scale > (double)SHAPE_TIME_MAX_US)
		return false;
	if (us)
		*us = (unsigned)(t * us_scale);
	if (ns)
		*ns = (int64_t)(t * ns_scale);
	return true;
}

static unsigned ticks(unsigned us, double tick)
{
	return (unsigned)(us * tick);
}

/* P: \d+(\.\d+)?% (the % optional where tc's gemodel takes plain numbers), 0..100. */
static bool percent_word(const char *w, bool need_pct, double *frac)
{
	const char *sfx = decimal(w);

	if (!sfx || (strcmp(sfx, "%") != 0 && (need_pct || *sfx)))
		return false;
	*frac = strtod(w, NULL) / 100.;
	return *frac >= 0.0 && *frac <= 1.0;
}

static void set_pct(uint32_t *out, double frac)
{
	*out = (uint32_t)rint(frac * UINT32_MAX);
}

static bool pct(const char *w, uint32_t *out)
{
	double f;

	if (!percent_word(w, true, &f))
		return false;
	set_pct(out, f);
	return true;
}

bool shape_rate(const char *w, uint64_t *bps, char *why, size_t n)
{
	static const struct { const char *name; double scale; } units[] = {
		{"bit", 1.}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"tbit", 1e12},
	};
	const char *sfx = decimal(w);

	if (sfx) {
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (strcmp(sfx, units[i].name) != 0)
				continue;
			double b = strtod(w, NULL) * units[i].scale / 8;

			if (b < 1 || b > (double)SHAPE_RATE_MAX)
				return fail(why, n, "rate must be 8bit..400gbit", w);
			*bps = (uint64_t)b;
			return true;
		}
	}
	return fail(why, n, "not a rate (NUMBER followed by bit, kbit, mbit, gbit or tbit)", w);
}

bool shape_size(const char *w, unsigned *bytes, char *why, size_t n)
{
	const char *sfx = decimal(w);
	double sz = strtod(w, NULL);

	if (!sfx)
		return fail(why, n, "not a size", w);
	if (strcmp(sfx, "kb") == 0 || strcmp(sfx, "k") == 0)
		sz *= 1024;
	else if (strcmp(sfx, "mb") == 0 || strcmp(sfx, "m") == 0)
		sz *= 1024 * 1024;
	else if (strcmp(sfx, "b") != 0 && *sfx)
		return fail(why, n, "not a size (NUMBER with b, kb or mb)", w);
	if (sz < 1 || sz > SHAPE_BURST_MAX || sz != floor(sz))
		return fail(why, n, "size must be a whole 1 b..64 mb", w);
	*bytes = (unsigned)sz;
	return true;
}

bool shape_time_us(const char *w, unsigned *us, char *why, size_t n)
{
	if (!time_word(w, us, NULL))
		return fail(why, n, "not a time (NUMBER followed by us, ms or s, at most 60s)", w);
	return true;
}

static bool dist_name(const char *w)
{
	return strcmp(w, "normal") == 0 || strcmp(w, "pareto") == 0 || strcmp(w, "paretonormal") == 0;
}

bool netem_delay(struct netem_spec *s, const char *v, char *why, size_t n, double tick)
{
	struct words ws;
	unsigned us;
	int64_t ns;
	int i = 0;

	if (!split(&ws, v, why, n))
		return false;
	if (!time_word(ws.w[i], &us, &ns))
		return fail(why, n, "delay must start with a time (e.g. 25ms), at most 60s", ws.w[i]);
	s->qopt.latency = ticks(us, tick);
	s->latency_ns = (uint64_t)ns;
	s->has_delay = true;
	i++;
	if (i < ws.n && time_word(ws.w[i], &us, &ns)) {
		s->qopt.jitter = ticks(us, tick);
		s->jitter_ns = (uint64_t)ns;
		i++;
		if (i < ws.n && strcmp(ws.w[i], "distribution") != 0) {
			if (!pct(ws.w[i], &s->corr.delay_corr))
				return fail(why, n, "delay correlation must be a percentage 0%..100%", ws.w[i]);
			s->has_corr = true;
			i++;
		}
	}
	if (i < ws.n && strcmp(ws.w[i], "distribution") == 0) {
		if (i + 2 != ws.n || !dist_name(ws.w[i + 1]))
			return fail(why, n, "distribution must be one of normal, pareto, paretonormal", NULL);
		if (!s->jitter_ns)
			return fail(why, n, "distribution needs a jitter (delay TIME JITTER distribution D)", NULL);
		if (!keep(s->dist, sizeof s->dist, ws.w[i + 1], why, n))
			return false;
		i += 2;
	}
	if (i != ws.n)
		return fail(why, n, "unexpected word in delay", ws.w[i]);
	if (!keep(s->delay, sizeof s->delay, v, why, n))
		return false;
	return true;
}

bool netem_loss(struct netem_spec *s, const char *v, char *why, size_t n)
{
	struct words ws;
	double f[5];
	int i = 0, k;

	if (!split(&ws, v, why, n))
		return false;
	if (strcmp(ws.w[0], "state") == 0 || strcmp(ws.w[0], "gemodel") == 0) {
		bool gi = ws.w[0][0] == 's';
		int max = gi ? 5 : 4;

		if (ws.n < 2 || ws.n > 1 + max)
			return fail(why, n, gi ? "loss state takes 1 to 5 percentages"
					       : "loss gemodel takes 1 to 4 percentages", NULL);
		for (k = 0; k + 1 < ws.n; k++)
			if (!percent_word(ws.w[k + 1], gi, &f[k]))
				return fail(why, n, "loss model parameters must be percentages 0..100", ws.w[k + 1]);
		if (gi) {
			/* tc's defaults, then what was given: p13 [p31 [p32 [p23 [p14]]]] */
			set_pct(&s->gi.p13, f[0]);
			set_pct(&s->gi.p31, 1. - f[0]);
			set_pct(&s->gi.p32, 0);
			set_pct(&s->gi.p23, 1.);
			set_pct(&s->gi.p14, 0);
			if (k > 1) set_pct(&s->gi.p31, f[1]);
			if (k > 2) set_pct(&s->gi.p32, f[2]);
			if (k > 3) set_pct(&s->gi.p23, f[3]);
			if (k > 4) set_pct(&s->gi.p14, f[4]);
			s->loss_model = NETEM_LOSS_GI;
		} else {
			/* p [r [1-h [1-k]]]; the kernel wants h, tc turns 1-h around */
			set_pct(&s->ge.p, f[0]);
			set_pct(&s->ge.r, 1. - f[0]);
			set_pct(&s->ge.h, 0);
			set_pct(&s->ge.k1, 0);
			if (k > 1) set_pct(&s->ge.r, f[1]);
			if (k > 2) { set_pct(&s->ge.h, f[2]); s->ge.h = UINT32_MAX - s->ge.h; }
			if (k > 3) set_pct(&s->ge.k1, f[3]);
			s->loss_model = NETEM_LOSS_GE;
		}
	} else {
		if (strcmp(ws.w[0], "random") == 0)
			i++;
		if (i >= ws.n || !pct(ws.w[i], &s->qopt.loss))
			return fail(why, n, "loss must be [random] PERCENT [CORRELATION], state ... or gemodel ...",
				    i < ws.n ? ws.w[i] : NULL);
		i++;
		if (i < ws.n) {
			if (!pct(ws.w[i], &s->corr.loss_corr))
				return fail(why, n, "loss correlation must be a percentage 0%..100%", ws.w[i]);
			s->has_corr = true;
			i++;
		}
		if (i != ws.n)
			return fail(why, n, "unexpected word in loss", ws.w[i]);
	}
	if (!keep(s->loss, sizeof s->loss, v, why, n))
		return false;
	return true;
}

bool netem_limit(struct netem_spec *s, const char *v, char *why, size_t n)
{
	unsigned long long x;

	if (!is_uint(v) || strlen(v) > 8 || (x = strtoull(v, NULL, 10)) < 1 || x > SHAPE_LIMIT_MAX)
		return fail(why, n, "limit must be a packet count 1..1000000", v);
	s->qopt.limit = (uint32_t)x;
	if (!keep(s->limit, sizeof s->limit, v, why, n))
		return false;
	return true;
}

static bool s32_word(const char *w, int32_t lo, int32_t hi, int32_t *out)
{
	const char *d = w[0] == '-' ? w + 1 : w;
	long long x;

	if (!is_uint(d) || strlen(d) > 9)
		return false;
	x = strtoll(w, NULL, 10);
	if (x < lo || x > hi)
		return false;
	*out = (int32_t)x;
	return true;
}

bool netem_rate(struct netem_spec *s, const char *v, char *why, size_t n)
{
	struct words ws;
	int32_t x;

	if (!split(&ws, v, why, n))
		return false;
	if (ws.n > 4)
		return fail(why, n, "rate is RATE [PACKETOVERHEAD [CELLSIZE [CELLOVERHEAD]]]", NULL);
	if (!shape_rate(ws.w[0], &s->rate64, why, n))
		return false;
	if (ws.n > 1) {
		if (!s32_word(ws.w[1], -1000, 1000, &x))
			return fail(why, n, "packet overhead must be -1000..1000", ws.w[1]);
		s->rate_s.packet_overhead = x;
	}
	if (ws.n > 2) {
		if (!s32_word(ws.w[2], 0, 65535, &x) || ws.w[2][0] == '-')
			return fail(why, n, "cell size must be 0..65535", ws.w[2]);
		s->rate_s.cell_size = (uint32_t)x;
	}
	if (ws.n > 3) {
		if (!s32_word(ws.w[3], -1000, 1000, &x))
			return fail(why, n, "cell overhead must be -1000..1000", ws.w[3]);
		s->rate_s.cell_overhead = x;
	}
	s->rate_s.rate = s->rate64 >= (1ULL << 32) ? ~0U : (uint32_t)s->rate64;
	s->has_rate = true;
	if (!keep(s->rate, sizeof s->rate, v, why, n))
		return false;
	return true;
}

bool netem_slot(struct netem_spec *s, const char *v, char *why, size_t n)
{
	struct words ws;
	int64_t a, b;
	int i = 0;

	if (!split(&ws, v, why, n))
		return false;
	if (strcmp(ws.w[0], "distribution") == 0) {
		if (ws.n < 4 || !dist_name(ws.w[1]) || !time_word(ws.w[2], NULL, &a) ||
		    !time_word(ws.w[3], NULL, &b) || b <= 0)
			return fail(why, n, "slot distribution D DELAY JITTER: D one of normal, pareto, "
					    "paretonormal; times up to 60s; JITTER above 0", NULL);
		if (!keep(s->slot_dist, sizeof s->slot_dist, ws.w[1], why, n))
			return false;
		s->slot_s.dist_delay = a;
		s->slot_s.dist_jitter = b;
		i = 4;
	} else {
		if (!time_word(ws.w[0], NULL, &a))
			return fail(why, n, "slot must start with a time or 'distribution'", ws.w[0]);
		b = a;
		i = 1;
		if (i < ws.n && time_word(ws.w[i], NULL, &b)) {
			if (b < a)
				return fail(why, n, "slot MAX must not be below MIN", ws.w[i]);
			i++;
		}
		s->slot_s.min_delay = a;
		s->slot_s.max_delay = b;
	}
	if (i + 1 < ws.n && strcmp(ws.w[i], "packets") == 0) {
		int32_t x;

		if (!s32_word(ws.w[i + 1], 1, 1000000, &x))
			return fail(why, n, "slot packets must be 1..1000000", ws.w[i + 1]);
		s->slot_s.max_packets = x;
		i += 2;
	}
	if (i + 1 < ws.n && strcmp(ws.w[i], "bytes") == 0) {
		int32_t x;

		if (!s32_word(ws.w[i + 1], 1, 1000000000, &x))
			return fail(why, n, "slot bytes must be 1..1000000000", ws.w[i + 1]);
		s->slot_s.max_bytes = x;
		i += 2;
	}
	if (i != ws.n)
		return fail(why, n, "unexpected word in slot", ws.w[i]);
	s->has_slot = true;
	if (!keep(s->slot, sizeof s->slot, v, why, n))
		return false;
	return true;
}

bool netem_check(const struct netem_spec *s, char *why, size_t n)
{
	if (s->dist[0] && (!s->qopt.latency || !s->qopt.jitter))
		return fail(why, n, "distribution needs a non-zero delay and jitter", NULL);
	return true;
}

bool tbf_parse(struct tbf_spec *t, const char *rate, const char *burst, const char *latency,
	       char *why, size_t n)
{
	memset(t, 0, sizeof *t);
	if (!shape_rate(rate, &t->rate64, why, n))
		return false;
	if (!keep(t->rate, sizeof t->rate, rate, why, n))
		return false;
	if (burst) {
		if (!shape_size(burst, &t->burst_b, why, n))
			return false;
		if (!keep(t->burst, sizeof t->burst, burst, why, n))
			return false;
	} else {
		/* 4 ms worth at the rate, and never less than a few full frames. */
		uint64_t b = t->rate64 / 250;

		t->burst_b = (unsigned)(b < 10240 ? 10240 : b > SHAPE_BURST_MAX ? SHAPE_BURST_MAX : b);
		snprintf(t->burst, sizeof t->burst, "%ub", t->burst_b);
	}
	if (!shape_time_us(latency ? latency : "50ms", &t->latency_us, why, n))
		return false;
	if (!t->latency_us)
		return fail(why, n, "latency must be above 0", latency);
	if (!keep(t->latency, sizeof t->latency, latency ? latency : "50ms", why, n))
		return false;
	return true;
}
