/*
 * netem: its words (tc-netem(8), parsed as iproute2 6.1's q_netem.c parses
 * them, see shape.c), its request, its words read back from the kernel, and
 * what it can hold; registered at the end as netem_kind (qdisc.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "shape/qdisc.h"
#include "shape/lex.h"

/* The build passes it: /usr/lib/$(CC -print-multiarch)/tc, where iproute2 keeps the tables. */
#ifndef TC_LIB_DIR
#error "TC_LIB_DIR is not defined: build with the GNUmakefile (it passes -DTC_LIB_DIR)"
#endif

_Static_assert(TCA_NETEM_MAX < QATTR_N && NETEM_LOSS_MAX < QATTR_N, "netem's attributes fit struct qattrs");

const char *const netem_kw_name[NK_COUNT] = {
	"limit", "delay", "loss", "ecn", "reorder", "corrupt", "gap", "duplicate", "distribution", "rate", "slot",
};

/* --- the words ------------------------------------------------------------ */

static bool ticks_of(const char *w, double tick, uint32_t *out)
{
	unsigned us;

	if (!lex_time_us(w, &us))
		return false;
	*out = (uint32_t)(us * tick);
	return true;
}

static bool netem_delay_clause(struct netem_spec *s, struct cursor *c, double tick, const char *kw)
{
	if (!cur_next(c, kw))
		return false;
	if (!ticks_of(c->argv[c->i], tick, &s->qopt.latency))
		return cur_bad(c, "delay must be a time 0..60s (bare: us)");
	if (!cur_next_is_number(c))
		return true;
	c->i++;
	if (!ticks_of(c->argv[c->i], tick, &s->qopt.jitter))
		return cur_bad(c, "jitter must be a time 0..60s (bare: us)");
	if (!cur_next_is_number(c))
		return true;
	c->i++;
	s->has_corr = true;
	if (!lex_pct(c->argv[c->i], &s->corr.delay_corr))
		return cur_bad(c, "delay correlation must be a percentage 0..100");
	return true;
}

/* "loss [random] PERCENT [CORR]", from the percentage on. */
static bool loss_random(struct netem_spec *s, struct cursor *c, const char *w)
{
	if (!isdigit((unsigned char)w[0]) && !cur_next(c, w))
		return false;
	if (!lex_pct(c->argv[c->i], &s->qopt.loss))
		return cur_bad(c, "loss must be a percentage 0..100");
	if (!cur_next_is_number(c))
		return true;
	c->i++;
	s->has_corr = true;
	if (!lex_pct(c->argv[c->i], &s->corr.loss_corr))
		return cur_bad(c, "loss correlation must be a percentage 0..100");
	return true;
}

/* "loss state P13 [P31 [P32 [P23 [P14]]]]": tc's defaults, then whatever numbers follow. */
static bool loss_state(struct netem_spec *s, struct cursor *c, const char *w)
{
	uint32_t *more[] = {&s->gi.p31, &s->gi.p32, &s->gi.p23, &s->gi.p14};
	double f;

	if (!cur_next(c, w))
		return false;
	if (!lex_percent(c->argv[c->i], &f))
		return cur_bad(c, "loss state p13 must be a percentage 0..100");
	lex_set_pct(&s->gi.p13, f);
	lex_set_pct(&s->gi.p31, 1. - f);
	lex_set_pct(&s->gi.p32, 0);
	lex_set_pct(&s->gi.p23, 1.);
	lex_set_pct(&s->gi.p14, 0);
	s->loss_model = NETEM_LOSS_GI;
	for (size_t k = 0; k < 4 && cur_next_is_number(c); k++) {
		c->i++;
		if (!lex_pct(c->argv[c->i], more[k]))
			return cur_bad(c, "loss state probabilities must be percentages 0..100");
	}
	return true;
}

/* "loss gemodel P [R [1-H [1-K]]]": tc's defaults, then whatever numbers follow. */
static bool loss_gemodel(struct netem_spec *s, struct cursor *c, const char *w)
{
	const struct { uint32_t *v; const char *bad; } more[] = {
		{&s->ge.r, "loss gemodel r must be a percentage 0..100"},
		{&s->ge.h, "loss gemodel 1-h must be a percentage 0..100"},
		{&s->ge.k1, "loss gemodel 1-k must be a percentage 0..100"},
	};
	double f;

	if (!cur_next(c, w))
		return false;
	if (!lex_percent(c->argv[c->i], &f))
		return cur_bad(c, "loss gemodel p must be a percentage 0..100");
	lex_set_pct(&s->ge.p, f);
	lex_set_pct(&s->ge.r, 1. - f);
	lex_set_pct(&s->ge.h, 0);
	lex_set_pct(&s->ge.k1, 0);
	s->loss_model = NETEM_LOSS_GE;
	for (size_t k = 0; k < 3 && cur_next_is_number(c); k++) {
		c->i++;
		if (!lex_pct(c->argv[c->i], more[k].v))
			return cur_bad(c, more[k].bad);
		if (more[k].v == &s->ge.h)
			s->ge.h = UINT32_MAX - s->ge.h; /* given as 1-h, sent as h */
	}
	return true;
}

static bool netem_loss_clause(struct netem_spec *s, struct cursor *c, const char *kw)
{
	const char *w;

	if (s->qopt.loss > 0 || s->loss_model)
		return cur_bad(c, "loss given twice");
	if (!(w = cur_next(c, kw)))
		return false;
	if (isdigit((unsigned char)w[0]) || strcmp(w, "random") == 0)
		return loss_random(s, c, w);
	if (strcmp(w, "state") == 0)
		return loss_state(s, c, w);
	if (strcmp(w, "gemodel") == 0)
		return loss_gemodel(s, c, w);
	return cur_bad(c, "loss is [random] PERCENT [CORR], state P13 [P31 [P32 [P23 [P14]]]] or gemodel P [R [1-H [1-K]]]");
}

/* PERCENT [CORRELATION] of reorder, corrupt and duplicate. */
static bool prob_clause(struct cursor *c, const char *kw, uint32_t *prob, uint32_t *corr, bool *has_corr)
{
	if (!cur_next(c, kw))
		return false;
	if (!lex_pct(c->argv[c->i], prob))
		return cur_bad(c, "must be a percentage 0..100");
	if (!cur_next_is_number(c))
		return true;
	c->i++;
	if (has_corr)
		*has_corr = true;
	if (!lex_pct(c->argv[c->i], corr))
		return cur_bad(c, "correlation must be a percentage 0..100");
	return true;
}

static bool netem_rate_clause(struct netem_spec *s, struct cursor *c, const char *kw)
{
	long long x;

	if (!cur_next(c, kw))
		return false;
	if (strchr(c->argv[c->i], '%'))
		return cur_bad(c, "a rate in percent of the link speed is not taken (give bits per second)");
	if (!lex_rate(c->argv[c->i], &s->rate64))
		return cur_bad(c, "rate must be 0 (none) or 8bit..400gbit (bare: bit/s)");
	if (cur_next_is_signed_number(c)) {
		c->i++;
		if (!lex_int0(c->argv[c->i], -SHAPE_OVERHEAD_MAX, SHAPE_OVERHEAD_MAX, &x))
			return cur_bad(c, "packet overhead must be an integer -65535..65535");
		s->rate_s.packet_overhead = (int32_t)x;
	}
	if (cur_next_is_number(c)) {
		c->i++;
		if (!lex_int0(c->argv[c->i], 0, 65535, &x))
			return cur_bad(c, "cell size must be an integer 0..65535");
		s->rate_s.cell_size = (uint32_t)x;
	}
	if (cur_next_is_signed_number(c)) {
		c->i++;
		if (!lex_int0(c->argv[c->i], -SHAPE_OVERHEAD_MAX, SHAPE_OVERHEAD_MAX, &x))
			return cur_bad(c, "cell overhead must be an integer -65535..65535");
		s->rate_s.cell_overhead = (int32_t)x;
	}
	return true;
}

static bool netem_slot_clause(struct netem_spec *s, struct cursor *c, const char *kw)
{
	const char *w;
	long long x;
	unsigned b;

	if (cur_next_is_number(c)) {
		c->i++;
		if (!lex_time_ns(c->argv[c->i], &s->slot_s.min_delay))
			return cur_bad(c, "slot MIN must be a time 0..60s (bare: ns)");
		if (cur_next_is_number(c)) {
			c->i++;
			if (!lex_time_ns(c->argv[c->i], &s->slot_s.max_delay) || s->slot_s.max_delay < s->slot_s.min_delay)
				return cur_bad(c, "slot MAX must be a time MIN..60s (bare: ns)");
		} else {
			s->slot_s.max_delay = s->slot_s.min_delay;
		}
	} else {
		if (!(w = cur_next(c, kw)))
			return false;
		if (strcmp(w, "distribution") != 0)
			return cur_bad(c, "slot is MIN [MAX] or distribution D DELAY JITTER");
		if (!(w = cur_next(c, w)))
			return false;
		if (!lex_dist_ok(w))
			return cur_bad(c, "distribution must be normal, pareto, paretonormal or experimental");
		snprintf(s->slot_dist, sizeof s->slot_dist, "%s", w);
		if (!cur_next(c, w))
			return false;
		if (!lex_time_ns(c->argv[c->i], &s->slot_s.dist_delay))
			return cur_bad(c, "slot delay must be a time 0..60s (bare: ns)");
		if (!cur_next(c, "slot delay"))
			return false;
		if (!lex_time_ns(c->argv[c->i], &s->slot_s.dist_jitter) || s->slot_s.dist_jitter <= 0)
			return cur_bad(c, "slot jitter must be a time above 0, up to 60s (bare: ns)");
	}
	if (c->i + 1 < c->argc && lex_prefix_of(c->argv[c->i + 1], "packets")) {
		c->i++;
		if (!cur_next(c, "packets"))
			return false;
		if (!lex_int0(c->argv[c->i], 1, SHAPE_SLOT_PACKETS_MAX, &x))
			return cur_bad(c, "slot packets must be 1..1000000");
		s->slot_s.max_packets = (int32_t)x;
	}
	if (c->i + 1 < c->argc && lex_prefix_of(c->argv[c->i + 1], "bytes")) {
		c->i++;
		if (!cur_next(c, "bytes"))
			return false;
		if (!lex_size(c->argv[c->i], &b, SHAPE_SLOT_BYTES_MAX) || !b)
			return cur_bad(c, "slot bytes must be a size 1b..1gb");
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
		if (lex_prefix_of(w, order[k].name))
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
		return lex_fail(c->e, "not a netem keyword", w);
	s->seen |= 1U << kw;
	switch (kw) {
	case NK_LIMIT:
		if (!cur_next(c, w))
			return false;
		if (!lex_size(c->argv[c->i], &u, SHAPE_LIMIT_MAX) || !u)
			return cur_bad(c, "limit must be 1..1000000 packets");
		s->qopt.limit = u;
		return true;
	case NK_DELAY:
		return netem_delay_clause(s, c, tick, w);
	case NK_LOSS:
		return netem_loss_clause(s, c, w);
	case NK_ECN:
		return true;
	case NK_REORDER:
		return prob_clause(c, w, &s->reorder.probability, &s->reorder.correlation, &s->has_corr);
	case NK_CORRUPT:
		return prob_clause(c, w, &s->corrupt.probability, &s->corrupt.correlation, &s->has_corr);
	case NK_GAP:
		if (!cur_next(c, w))
			return false;
		if (!lex_int0(c->argv[c->i], 0, SHAPE_GAP_MAX, &x))
			return cur_bad(c, "gap must be an integer 0..1000000");
		s->qopt.gap = (uint32_t)x;
		return true;
	case NK_DUPLICATE:
		/* tc sends the duplicate correlation only when another one is sent */
		return prob_clause(c, w, &s->qopt.duplicate, &s->corr.dup_corr, NULL);
	case NK_DIST:
		if (!cur_next(c, w))
			return false;
		if (!lex_dist_ok(c->argv[c->i]))
			return cur_bad(c, "distribution must be normal, pareto, paretonormal or experimental");
		snprintf(s->dist, sizeof s->dist, "%s", c->argv[c->i]);
		return true;
	case NK_RATE:
		return netem_rate_clause(s, c, w);
	default:
		return netem_slot_clause(s, c, w);
	}
}

/* tc's checks across clauses, after the words, in its order. */
static bool netem_cross(struct netem_spec *s, struct err *e)
{
	if (s->reorder.probability) {
		if (!s->qopt.latency)
			return lex_fail(e, "reorder needs a delay", NULL);
		if (!s->qopt.gap)
			s->qopt.gap = 1;
	} else if (s->qopt.gap) {
		return lex_fail(e, "gap needs a reorder probability", NULL);
	}
	if (netem_has(s, NK_ECN) && !s->qopt.loss && !s->loss_model)
		return lex_fail(e, "ecn needs a loss", NULL);
	if (s->dist[0] && (!s->qopt.latency || !s->qopt.jitter))
		return lex_fail(e, "distribution needs a delay and a jitter above 0", NULL);
	s->rate_s.rate = s->rate64 >= (1ULL << 32) ? ~0U : (uint32_t)s->rate64;
	return true;
}

/* The words; then, when cross, the checks across clauses (an option's
 * clause alone is checked without them: its partners may be other options). */
static bool netem_words(struct netem_spec *s, int argc, char *const argv[], double tick, bool cross,
			struct err *e)
{
	struct cursor c = {.argc = argc, .argv = argv, .e = e};

	memset(s, 0, sizeof *s);
	s->qopt.limit = 1000;
	if (!lex_keep_words(s->words, sizeof s->words, argc, argv, e))
		return false;
	for (c.i = 0; c.i < argc; c.i++)
		if (!netem_clause(s, &c, tick))
			return false;
	return !cross || netem_cross(s, e);
}

bool netem_parse(struct netem_spec *s, int argc, char *const argv[], double tick, struct err *e)
{
	return netem_words(s, argc, argv, tick, true, e);
}

bool netem_parse_str(struct netem_spec *s, const char *words, double tick, struct err *e)
{
	char buf[SHAPE_WORDS_LEN], *w[SHAPE_WORDS_MAX];
	int k = shape_split(words, buf, sizeof buf, w, SHAPE_WORDS_MAX, e);

	return k >= 0 && netem_words(s, k, w, tick, true, e);
}

bool netem_flag(char *buf, size_t cap, enum netem_kw kw, const char *value, double tick,
		struct err *e)
{
	static struct netem_spec s;
	char b[SHAPE_WORDS_LEN], *w[SHAPE_WORDS_MAX];
	unsigned allowed = 1U << kw;
	size_t len = strlen(buf);
	int k;

	w[0] = (char *)netem_kw_name[kw];
	k = value ? shape_split(value, b, sizeof b, w + 1, SHAPE_WORDS_MAX - 1, e) : 0;
	if (k < 0)
		return false;
	if (kw == NK_DELAY)
		allowed |= 1U << NK_DIST; /* --delay 'T J distribution D', as the reference takes it */
	if (kw == NK_REORDER)
		allowed |= 1U << NK_GAP;
	if (!netem_words(&s, k + 1, w, tick, false, e))
		return false;
	if (s.seen & ~allowed)
		return lex_fail(e, "other keywords in the value", value);
	if (len + strlen(s.words) + 2 > cap)
		return lex_fail(e, "words too long", NULL);
	snprintf(buf + len, cap - len, "%s%s", len ? " " : "", s.words);
	return true;
}


/* --- the request ---------------------------------------------------------- */

#define DIST_MAX 16384 /* the kernel's NETEM_DIST_MAX */

static int load_dist(const char *name, int16_t *data, int max)
{
	char path[256], *line = NULL;
	size_t cap = 0;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.dist", TC_LIB_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) != -1) {
		char *p = line, *end;

		if (*line == '\n' || *line == '#')
			continue;
		for (;; p = end) {
			long x = strtol(p, &end, 0);

			if (end == p)
				break;
			if (n >= max || x < INT16_MIN || x > INT16_MAX) {
				n = -EINVAL;
				goto out;
			}
			data[n++] = (int16_t)x;
		}
	}
out:
	free(line);
	fclose(f);
	return n > 0 ? n : (n < 0 ? n : -EINVAL);
}

/* The attributes after the qopt, in tc's order. */
static bool netem_attrs(struct nlmsghdr *h, size_t cap, const struct netem_spec *s)
{
	int ecn = 1;

	if ((s->has_corr && !qput(h, cap, TCA_NETEM_CORR, sizeof s->corr, &s->corr)) ||
	    (netem_has(s, NK_REORDER) && !qput(h, cap, TCA_NETEM_REORDER, sizeof s->reorder, &s->reorder)) ||
	    (netem_has(s, NK_ECN) && !qput(h, cap, TCA_NETEM_ECN, sizeof ecn, &ecn)) ||
	    (netem_has(s, NK_CORRUPT) && !qput(h, cap, TCA_NETEM_CORRUPT, sizeof s->corrupt, &s->corrupt)) ||
	    (netem_has(s, NK_SLOT) && !qput(h, cap, TCA_NETEM_SLOT, sizeof s->slot_s, &s->slot_s)))
		return false;
	if (s->loss_model) {
		struct nlattr *loss = mnl_attr_nest_start_check(h, cap, TCA_NETEM_LOSS);

		if (!loss)
			return false;
		if (s->loss_model == NETEM_LOSS_GI ? !qput(h, cap, NETEM_LOSS_GI, sizeof s->gi, &s->gi)
						   : !qput(h, cap, NETEM_LOSS_GE, sizeof s->ge, &s->ge))
			return false;
		mnl_attr_nest_end(h, loss);
	}
	if (netem_has(s, NK_RATE) &&
	    ((s->rate64 >= (1ULL << 32) && !qput(h, cap, TCA_NETEM_RATE64, 8, &s->rate64)) ||
	     !qput(h, cap, TCA_NETEM_RATE, sizeof s->rate_s, &s->rate_s)))
		return false;
	return true;
}

/* dist tables come from tc's data directory, TC_LIB_DIR: -errno when one is bad or missing. */
static int netem_encode(struct nlmsghdr *h, size_t cap, const union qspec *q, double tick)
{
	static int16_t dist[DIST_MAX], sdist[DIST_MAX]; /* too large for the stack */
	const struct netem_spec *s = &q->netem;
	int nd = 0, ns = 0;
	struct nlattr *opts;

	(void)tick;
	if (s->dist[0] && (nd = load_dist(s->dist, dist, DIST_MAX)) < 0)
		return nd;
	if (s->slot_dist[0] && (ns = load_dist(s->slot_dist, sdist, DIST_MAX)) < 0)
		return ns;
	if (!qput(h, cap, TCA_KIND, 6, "netem"))
		return -EMSGSIZE;
	/* Not a clean nest: a struct tc_netem_qopt, then attributes, all inside
	 * TCA_OPTIONS, whose length must cover the lot (iproute2 q_netem.c). */
	opts = (struct nlattr *)mnl_nlmsg_get_payload_tail(h);
	if (!qput(h, cap, TCA_OPTIONS, sizeof s->qopt, &s->qopt) || !netem_attrs(h, cap, s))
		return -EMSGSIZE;
	if (nd && !qput(h, cap, TCA_NETEM_DELAY_DIST, (size_t)nd * 2, dist))
		return -EMSGSIZE;
	if (ns && !qput(h, cap, TCA_NETEM_SLOT_DIST, (size_t)ns * 2, sdist))
		return -EMSGSIZE;
	opts->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(h) - (char *)opts);
	return 0;
}

/* --- read back from the kernel ---------------------------------------------- */

/* A dumped netem's qopt and the attributes after it; false when too short. */
static bool netem_dumped(const struct nlattr *opts, struct tc_netem_qopt *q, struct qattrs *t)
{
	size_t len = mnl_attr_get_payload_len(opts), off = NLA_ALIGN(sizeof *q);

	memset(t, 0, sizeof *t);
	t->max = TCA_NETEM_MAX;
	if (len < sizeof *q)
		return false;
	memcpy(q, mnl_attr_get_payload(opts), sizeof *q);
	if (len > off)
		mnl_attr_parse_payload((const char *)mnl_attr_get_payload(opts) + off, len - off, qattr_cb, t);
	return true;
}

/* "KW P [CORR]": loss random, duplicate, reorder, corrupt; false (nothing) when P is 0. */
static bool prob_words(struct wbuf *b, const char *kw, uint32_t p, uint32_t corr)
{
	if (!p)
		return false;
	wbuf_add(b, "%s", kw);
	qword_pct(b, p);
	if (corr)
		qword_pct(b, corr);
	return true;
}

/* The {probability, correlation} pair of TCA_NETEM_REORDER and TCA_NETEM_CORRUPT. */
static bool pair_words(struct wbuf *b, const char *kw, const struct nlattr *a)
{
	uint32_t v[2];

	if (!a || mnl_attr_get_payload_len(a) < sizeof v)
		return false;
	memcpy(v, mnl_attr_get_payload(a), sizeof v);
	return prob_words(b, kw, v[0], v[1]);
}

static void delay_words(struct wbuf *b, const struct tc_netem_qopt *q, const struct qattrs *t,
			const struct tc_netem_corr *corr, double tick)
{
	uint64_t lat, jit;
	char w[32];

	lat = qattr_sized(t->a[TCA_NETEM_LATENCY64], 8) ? mnl_attr_get_u64(t->a[TCA_NETEM_LATENCY64])
							: (uint64_t)(q->latency * 1000. / tick);
	jit = qattr_sized(t->a[TCA_NETEM_JITTER64], 8) ? mnl_attr_get_u64(t->a[TCA_NETEM_JITTER64])
						       : (uint64_t)(q->jitter * 1000. / tick);
	if (!lat && !jit)
		return;
	qword_time(w, sizeof w, lat);
	wbuf_add(b, "delay %s", w);
	if (!jit)
		return;
	qword_time(w, sizeof w, jit);
	wbuf_add(b, "%s", w);
	if (corr->delay_corr)
		qword_pct(b, corr->delay_corr);
}

static void loss_words(struct wbuf *b, const struct tc_netem_qopt *q, const struct qattrs *t,
		       const struct tc_netem_corr *corr)
{
	struct qattrs l;

	if (!t->a[TCA_NETEM_LOSS]) {
		prob_words(b, "loss random", q->loss, corr->loss_corr);
		return;
	}
	qattr_nested(t->a[TCA_NETEM_LOSS], &l, NETEM_LOSS_MAX);
	if (qattr_sized(l.a[NETEM_LOSS_GI], sizeof(struct tc_netem_gimodel))) {
		struct tc_netem_gimodel g;

		memcpy(&g, mnl_attr_get_payload(l.a[NETEM_LOSS_GI]), sizeof g);
		wbuf_add(b, "loss state");
		qword_pct(b, g.p13), qword_pct(b, g.p31), qword_pct(b, g.p32), qword_pct(b, g.p23), qword_pct(b, g.p14);
	} else if (qattr_sized(l.a[NETEM_LOSS_GE], sizeof(struct tc_netem_gemodel))) {
		struct tc_netem_gemodel g;

		memcpy(&g, mnl_attr_get_payload(l.a[NETEM_LOSS_GE]), sizeof g);
		wbuf_add(b, "loss gemodel");
		qword_pct(b, g.p), qword_pct(b, g.r), qword_pct(b, UINT32_MAX - g.h), qword_pct(b, g.k1);
	}
}

static void rate_words(struct wbuf *b, const struct qattrs *t)
{
	struct tc_netem_rate r;
	uint64_t r64;
	char w[32];

	if (!qattr_sized(t->a[TCA_NETEM_RATE], sizeof r))
		return;
	memcpy(&r, mnl_attr_get_payload(t->a[TCA_NETEM_RATE]), sizeof r);
	r64 = qattr_sized(t->a[TCA_NETEM_RATE64], 8) ? mnl_attr_get_u64(t->a[TCA_NETEM_RATE64]) : r.rate;
	if (!r64)
		return;
	qword_rate(w, sizeof w, r64);
	wbuf_add(b, "rate %s", w);
	if (r.packet_overhead || r.cell_size || r.cell_overhead)
		wbuf_add(b, "%d %u %d", r.packet_overhead, r.cell_size, r.cell_overhead);
}

static void slot_words(struct wbuf *b, const struct qattrs *t)
{
	struct tc_netem_slot s;
	char w1[32], w2[32];

	if (!qattr_sized(t->a[TCA_NETEM_SLOT], sizeof s))
		return;
	memcpy(&s, mnl_attr_get_payload(t->a[TCA_NETEM_SLOT]), sizeof s);
	if (s.dist_jitter) {
		qword_time(w1, sizeof w1, (uint64_t)s.dist_delay);
		qword_time(w2, sizeof w2, (uint64_t)s.dist_jitter);
		wbuf_add(b, "slot distribution custom %s %s", w1, w2);
	} else if (s.min_delay || s.max_delay) {
		qword_time(w1, sizeof w1, (uint64_t)s.min_delay);
		qword_time(w2, sizeof w2, (uint64_t)s.max_delay);
		wbuf_add(b, "slot %s %s", w1, w2);
	} else {
		return;
	}
	if (s.max_packets && s.max_packets != INT32_MAX)
		wbuf_add(b, "packets %d", s.max_packets);
	if (s.max_bytes && s.max_bytes != INT32_MAX)
		wbuf_add(b, "bytes %d", s.max_bytes);
}

static void netem_describe(struct wbuf *b, const struct nlattr *opts, double tick)
{
	struct qattrs t;
	struct tc_netem_qopt q;
	struct tc_netem_corr corr = {0};

	if (!netem_dumped(opts, &q, &t))
		return;
	if (qattr_sized(t.a[TCA_NETEM_CORR], sizeof corr))
		memcpy(&corr, mnl_attr_get_payload(t.a[TCA_NETEM_CORR]), sizeof corr);
	wbuf_add(b, "limit %u", q.limit);
	delay_words(b, &q, &t, &corr, tick);
	loss_words(b, &q, &t, &corr);
	prob_words(b, "duplicate", q.duplicate, corr.dup_corr);
	if (pair_words(b, "reorder", t.a[TCA_NETEM_REORDER]))
		wbuf_add(b, "gap %u", q.gap);
	pair_words(b, "corrupt", t.a[TCA_NETEM_CORRUPT]);
	if (qattr_sized(t.a[TCA_NETEM_ECN], 4) && mnl_attr_get_u32(t.a[TCA_NETEM_ECN]))
		wbuf_add(b, "ecn");
	rate_words(b, &t);
	slot_words(b, &t);
}

/* --- kernel memory (kmem.h) -------------------------------------------------- */

static void netem_held(const struct nlattr *opts, struct kmem_want *w)
{
	struct qattrs t;
	struct tc_netem_qopt q;
	uint64_t rate = 0;
	struct tc_netem_rate r = {0};

	if (!netem_dumped(opts, &q, &t))
		return;
	if (qattr_sized(t.a[TCA_NETEM_RATE], sizeof r)) {
		memcpy(&r, mnl_attr_get_payload(t.a[TCA_NETEM_RATE]), sizeof r);
		rate = qattr_sized(t.a[TCA_NETEM_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_NETEM_RATE64]) : r.rate;
	}
	*w = kmem_of_netem(q.limit, rate);
	kmem_netem_frames(w, r.packet_overhead, r.cell_size, r.cell_overhead);
	if (qattr_sized(t.a[TCA_NETEM_SLOT], sizeof(struct tc_netem_slot))) {
		struct tc_netem_slot s;

		memcpy(&s, mnl_attr_get_payload(t.a[TCA_NETEM_SLOT]), sizeof s);
		kmem_netem_slots(w, &s);
	}
}

struct kmem_want kmem_of_netem_spec(const struct netem_spec *ne, uint64_t kept)
{
	struct kmem_want w = kmem_of_netem(ne->qopt.limit, netem_has(ne, NK_RATE) ? ne->rate64 : kept);

	if (netem_has(ne, NK_RATE))
		kmem_netem_frames(&w, ne->rate_s.packet_overhead, ne->rate_s.cell_size, ne->rate_s.cell_overhead);
	if (netem_has(ne, NK_SLOT))
		kmem_netem_slots(&w, &ne->slot_s);
	return w;
}

static struct kmem_want netem_want(const union qspec *q)
{
	return kmem_of_netem_spec(&q->netem, 0);
}

/* A change without a rate keeps the old one (with its overheads), without a slot the old slot. */
static unsigned netem_keeps(const union qspec *q)
{
	return (netem_has(&q->netem, NK_RATE) ? 0 : QK_KEEPS_RATE) | (netem_has(&q->netem, NK_SLOT) ? 0 : QK_KEEPS_SLOT);
}

static bool netem_duplicates(const union qspec *q)
{
	return q->netem.qopt.duplicate != 0;
}

static bool netem_dumped_duplicates(const struct nlattr *opts)
{
	return mnl_attr_get_payload_len(opts) >= sizeof(struct tc_netem_qopt) &&
	       ((const struct tc_netem_qopt *)mnl_attr_get_payload(opts))->duplicate;
}

static bool netem_parse_q(union qspec *q, int argc, char *const argv[], double tick, struct err *e)
{
	return netem_words(&q->netem, argc, argv, tick, true, e);
}

const struct qdisc_kind netem_kind = {
	.name = "netem",
	.parse = netem_parse_q,
	.encode = netem_encode,
	.describe = netem_describe,
	.held = netem_held,
	.want = netem_want,
	.keeps = netem_keeps,
	.duplicates = netem_duplicates,
	.dumped_duplicates = netem_dumped_duplicates,
	.probe_words = "delay 1ms",
	.module = "sch_netem",
	.config = "CONFIG_NET_SCH_NETEM",
};
