/*
 * tbf: its words (tc-tbf(8), parsed as iproute2 6.1's q_tbf.c parses them,
 * see shape.c), npte's short form (a rate), its request, its words read back
 * from the kernel, and what it can hold; registered at the end as tbf_kind.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "shape/qdisc.h"
#include "shape/lex.h"

_Static_assert(TCA_TBF_MAX < QATTR_N, "tbf's attributes fit struct qattrs");

/* --- the words ------------------------------------------------------------ */

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
	if (!lex_size(buf, b, max) || !*b)
		return false;
	if (!slash)
		return true;
	if (!lex_int0(slash + 1, 1, 1LL << 30, &cell) || (cell & (cell - 1)))
		return false;
	for (*cell_log = 0; (1LL << *cell_log) != cell; (*cell_log)++)
		;
	return true;
}

/* Each keyword's value, the current word of c; false with the reason. */
static bool set_limit(struct tbf_spec *t, const struct cursor *c)
{
	return (lex_size(c->argv[c->i], &t->limit, SHAPE_QUEUE_MAX) && t->limit) ||
	       cur_bad(c, "limit must be a size 1b..1gb");
}

static bool set_latency(struct tbf_spec *t, const struct cursor *c)
{
	return (lex_time_us(c->argv[c->i], &t->latency_us) && t->latency_us) ||
	       cur_bad(c, "latency must be a time above 0, up to 60s (bare: us)");
}

static bool set_burst(struct tbf_spec *t, const struct cursor *c)
{
	return size_cell(c->argv[c->i], &t->buffer, &t->rcell_log, SHAPE_BURST_MAX) ||
	       cur_bad(c, "burst must be a size 1b..64mb, optionally /CELL (a power of two)");
}

static bool set_mtu(struct tbf_spec *t, const struct cursor *c)
{
	return size_cell(c->argv[c->i], &t->mtu, &t->pcell_log, SHAPE_BURST_MAX) ||
	       cur_bad(c, "mtu must be a size 1b..64mb, optionally /CELL (a power of two)");
}

static bool set_mpu(struct tbf_spec *t, const struct cursor *c)
{
	return lex_size(c->argv[c->i], &t->mpu, 65535) || cur_bad(c, "mpu must be a size 0..65535 bytes");
}

static bool rate_of(uint64_t *r, const struct cursor *c)
{
	if (strchr(c->argv[c->i], '%'))
		return cur_bad(c, "a rate in percent of the link speed is not taken (give bits per second)");
	return lex_rate(c->argv[c->i], r) || cur_bad(c, "rate must be 8bit..400gbit (bare: bit/s)");
}

static bool set_rate(struct tbf_spec *t, const struct cursor *c)
{
	return rate_of(&t->rate64, c);
}

static bool set_peakrate(struct tbf_spec *t, const struct cursor *c)
{
	return rate_of(&t->prate64, c);
}

static bool set_overhead(struct tbf_spec *t, const struct cursor *c)
{
	const char *w = c->argv[c->i];
	long long x;

	/* tc reads it in base 10 */
	if (!isdigit((unsigned char)w[0]) || !lex_int0(w, 0, 65535, &x) || strspn(w, "0123456789") != strlen(w))
		return cur_bad(c, "overhead must be a decimal 0..65535");
	t->overhead = (uint16_t)strtoul(w, NULL, 10);
	return true;
}

static bool set_linklayer(struct tbf_spec *t, const struct cursor *c)
{
	const char *v = c->argv[c->i];

	if (lex_prefix_of(v, "ethernet"))
		t->linklayer = TC_LINKLAYER_ETHERNET;
	else if (lex_prefix_of(v, "atm") || lex_prefix_of(v, "adsl"))
		t->linklayer = TC_LINKLAYER_ATM;
	else
		return cur_bad(c, "linklayer must be ethernet, atm or adsl");
	return true;
}

/* tbf's keywords in the order tc tries them: a prefix (tc's matches()) or
 * the whole word; each records its bit in t->seen (tbf_clause), which
 * refuses one given twice as tc does. */
static const struct tbf_word {
	const char *name;
	bool prefix;
	enum tbf_kw kw;
	const char *twice;  /* the refusal of a second one; NULL: the last one counts */
	unsigned excludes;  /* the keywords it may not come with */
	bool (*set)(struct tbf_spec *t, const struct cursor *c);
} tbf_words[] = {
	{"limit", true, TK_LIMIT, "limit given twice", 1U << TK_LATENCY, set_limit},
	{"latency", true, TK_LATENCY, "latency given twice", 1U << TK_LIMIT, set_latency},
	{"burst", true, TK_BURST, "burst given twice", 0, set_burst},
	{"buffer", false, TK_BURST, "burst given twice", 0, set_burst},
	{"maxburst", false, TK_BURST, "burst given twice", 0, set_burst},
	{"mtu", false, TK_MTU, "mtu given twice", 0, set_mtu},
	{"minburst", false, TK_MTU, "mtu given twice", 0, set_mtu},
	{"mpu", false, TK_MPU, "mpu given twice", 0, set_mpu},
	{"rate", false, TK_RATE, "rate given twice", 0, set_rate},
	{"peakrate", true, TK_PEAKRATE, "rate given twice", 0, set_peakrate},
	{"overhead", true, TK_OVERHEAD, "overhead given twice", 0, set_overhead},
	{"linklayer", true, TK_LINKLAYER, NULL, 0, set_linklayer},
};

static const struct tbf_word *tbf_word(const char *w)
{
	for (size_t k = 0; k < sizeof tbf_words / sizeof tbf_words[0]; k++)
		if (tbf_words[k].prefix ? lex_prefix_of(w, tbf_words[k].name) : strcmp(w, tbf_words[k].name) == 0)
			return &tbf_words[k];
	return NULL;
}

static bool tbf_clause(struct tbf_spec *t, struct cursor *c)
{
	const char *w = c->argv[c->i];
	const struct tbf_word *k = tbf_word(w);
	struct tbf_spec before;

	if (!k)
		return lex_fail(c->e, "not a tbf keyword", w);
	if (!cur_next(c, w))
		return false;
	if (k->twice && (t->seen & 1U << k->kw))
		return cur_bad(c, k->twice);
	if (t->seen & k->excludes)
		return cur_bad(c, "give limit or latency, not both");
	before = *t;
	if (!k->set(t, c))
		return false;
	/* tc's "given twice" is a value held already, not a word seen: a value
	 * that leaves the spec as it was (mpu 0, overhead 0) is not recorded,
	 * so "mpu 0 mpu 64" is taken as tc takes it. */
	if (memcmp(t, &before, sizeof before) != 0)
		t->seen |= 1U << k->kw;
	return true;
}

/* tc's computed queue: what the latency lets in at the rate (or peakrate),
 * before tbf_queue truncates it. */
static double tbf_latency_queue(const struct tbf_spec *t)
{
	double lim = (double)t->rate64 * t->latency_us / 1000000 + t->buffer;

	if (t->prate64) {
		double lim2 = (double)t->prate64 * t->latency_us / 1000000 + t->mtu;

		if (lim2 < lim)
			lim = lim2;
	}
	return lim;
}

/* tc's checks after the words. */
static bool tbf_complete(const struct tbf_spec *t, struct err *e)
{
	if (!t->rate64)
		return lex_fail(e, "tbf needs a rate", NULL);
	if (!t->buffer)
		return lex_fail(e, "tbf needs a burst", NULL);
	if (t->prate64 && !t->mtu)
		return lex_fail(e, "peakrate needs an mtu", NULL);
	if (!t->limit && !t->latency_us)
		return lex_fail(e, "tbf needs a limit or a latency", NULL);
	if (!t->limit && tbf_latency_queue(t) > SHAPE_QUEUE_MAX)
		return lex_fail(e, "the queue latency makes at this rate is above 1gb", NULL);
	return true;
}

static bool tbf_argv(struct tbf_spec *t, int argc, char *const argv[], struct err *e)
{
	struct cursor c = {.argc = argc, .argv = argv, .e = e};

	memset(t, 0, sizeof *t);
	t->rcell_log = t->pcell_log = -1;
	t->linklayer = TC_LINKLAYER_ETHERNET;
	if (!lex_keep_words(t->words, sizeof t->words, argc, argv, e))
		return false;
	for (c.i = 0; c.i < argc; c.i++)
		if (!tbf_clause(t, &c))
			return false;
	return tbf_complete(t, e);
}

uint32_t tbf_queue(const struct tbf_spec *t)
{
	/* truncated as tc truncates it */
	return t->limit ? t->limit : (uint32_t)tbf_latency_queue(t);
}

bool tbf_parse_words(struct tbf_spec *t, int argc, char *const argv[], struct err *e)
{
	return tbf_argv(t, argc, argv, e);
}

bool tbf_parse_str(struct tbf_spec *t, const char *words, struct err *e)
{
	char buf[SHAPE_WORDS_LEN], *w[SHAPE_WORDS_MAX];
	int k = shape_split(words, buf, sizeof buf, w, SHAPE_WORDS_MAX, e);

	return k >= 0 && tbf_argv(t, k, w, e);
}

bool tbf_parse(struct tbf_spec *t, const char *rate, const char *burst, const char *latency,
	       struct err *e)
{
	char words[SHAPE_WORDS_LEN], b[32];
	uint64_t r;
	unsigned u;

	if (!shape_rate(rate, &r, e))
		return false;
	if (!burst) {
		/* 4 ms worth at the rate, and never less than a few full frames */
		uint64_t d = r / 250;

		snprintf(b, sizeof b, "%ub", (unsigned)(d < 10240 ? 10240 : d > SHAPE_BURST_MAX ? SHAPE_BURST_MAX : d));
		burst = b;
	} else if (!lex_size(burst, &u, SHAPE_BURST_MAX) || !u) {
		return lex_fail(e, "burst must be a size 1b..64mb", burst);
	}
	if (latency && !lex_time_us(latency, &u))
		return lex_fail(e, "latency must be a time above 0, up to 60s", latency);
	if (snprintf(words, sizeof words, "rate %s burst %s latency %s", rate, burst,
		     latency ? latency : "50ms") >= (int)sizeof words)
		return lex_fail(e, "value too long", NULL);
	return tbf_parse_str(t, words, e);
}

/* --- the request ---------------------------------------------------------- */

/* tc_core_time2tick(tc_calc_xmittime()): the time to send size bytes at rate,
 * in ticks. A time past 2^32 is kept modulo 2^32, as Debian 12's tc does
 * (its double-to-unsigned conversions go through 64 bits). */
static unsigned xmittime(uint64_t rate, unsigned size, double tick)
{
	unsigned us = (unsigned)(uint64_t)(1000000 * ((double)size / (double)rate));

	return (unsigned)(uint64_t)(us * tick);
}

/* The same for a rate table entry: there Debian 12's tc (gcc vectorises its
 * loop) turns a time of 2^32 or more, in us or in ticks, into 0. */
static unsigned rtab_entry(uint64_t rate, unsigned size, double tick)
{
	double us = 1000000 * ((double)size / (double)rate), t;

	if (us >= 4294967296.0)
		return 0;
	t = (unsigned)us * tick;
	return t >= 4294967296.0 ? 0 : (unsigned)t;
}

/* tc_calc_rtable: the rate table the kernel no longer reads but still wants,
 * and the cell log, mpu and link layer it does read (ATM: 53-byte cells of 48). */
static void rtable(struct tc_ratespec *r, uint32_t *tab, int cell_log, unsigned mtu, unsigned ll, double tick)
{
	if (!mtu)
		mtu = 2047;
	if (cell_log < 0)
		for (cell_log = 0; (mtu >> cell_log) > 255; cell_log++)
			;
	for (unsigned i = 0; i < 256; i++) {
		unsigned sz = (i + 1) << cell_log;

		if (sz < r->mpu)
			sz = r->mpu;
		if (ll == TC_LINKLAYER_ATM)
			sz = (sz / 48 + (sz % 48 > 0)) * 53;
		tab[i] = rtab_entry(r->rate, sz, tick);
	}
	r->cell_align = -1;
	r->cell_log = (unsigned char)cell_log;
	r->linklayer = (unsigned char)(ll & TC_LINKLAYER_MASK);
}

static int tbf_encode(struct nlmsghdr *h, size_t cap, const union qspec *qs, double tick)
{
	const struct tbf_spec *t = &qs->tbf;
	struct tc_tbf_qopt q = {0};
	uint32_t rtab[256], ptab[256];
	struct nlattr *opts;

	q.rate.rate = t->rate64 >= (1ULL << 32) ? ~0U : (uint32_t)t->rate64;
	q.peakrate.rate = t->prate64 >= (1ULL << 32) ? ~0U : (uint32_t)t->prate64;
	q.limit = tbf_queue(t);
	q.rate.mpu = t->mpu;
	q.rate.overhead = t->overhead;
	rtable(&q.rate, rtab, t->rcell_log, t->mtu, t->linklayer, tick);
	q.buffer = xmittime(q.rate.rate, t->buffer, tick);
	if (q.peakrate.rate) {
		q.peakrate.mpu = t->mpu;
		q.peakrate.overhead = t->overhead;
		rtable(&q.peakrate, ptab, t->pcell_log, t->mtu, t->linklayer, tick);
		q.mtu = xmittime(q.peakrate.rate, t->mtu, tick);
	}
	if (!qput(h, cap, TCA_KIND, 4, "tbf") || !(opts = mnl_attr_nest_start_check(h, cap, TCA_OPTIONS)))
		return -EMSGSIZE;
	opts->nla_type = TCA_OPTIONS; /* tc sends it without NLA_F_NESTED */
	if (!qput(h, cap, TCA_TBF_PARMS, sizeof q, &q) || !qput(h, cap, TCA_TBF_BURST, 4, &t->buffer) ||
	    (t->rate64 >= (1ULL << 32) && !qput(h, cap, TCA_TBF_RATE64, 8, &t->rate64)) ||
	    !qput(h, cap, TCA_TBF_RTAB, sizeof rtab, rtab))
		return -EMSGSIZE;
	if (q.peakrate.rate &&
	    ((t->prate64 >= (1ULL << 32) && !qput(h, cap, TCA_TBF_PRATE64, 8, &t->prate64)) ||
	     !qput(h, cap, TCA_TBF_PBURST, 4, &t->mtu) || !qput(h, cap, TCA_TBF_PTAB, sizeof ptab, ptab)))
		return -EMSGSIZE;
	mnl_attr_nest_end(h, opts);
	return 0;
}

/* --- read back from the kernel ---------------------------------------------- */

/* A dumped tbf's parameters and its rates; false when it has none. */
static bool tbf_dumped(const struct nlattr *opts, struct tc_tbf_qopt *q, uint64_t *r64, uint64_t *p64)
{
	struct qattrs t;

	qattr_nested(opts, &t, TCA_TBF_MAX);
	if (!qattr_sized(t.a[TCA_TBF_PARMS], sizeof *q))
		return false;
	memcpy(q, mnl_attr_get_payload(t.a[TCA_TBF_PARMS]), sizeof *q);
	*r64 = qattr_sized(t.a[TCA_TBF_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_TBF_RATE64]) : q->rate.rate;
	*p64 = qattr_sized(t.a[TCA_TBF_PRATE64], 8) ? mnl_attr_get_u64(t.a[TCA_TBF_PRATE64]) : q->peakrate.rate;
	return true;
}

static void tbf_describe(struct wbuf *b, const struct nlattr *opts, double tick)
{
	struct tc_tbf_qopt q;
	uint64_t r64, p64;
	char w[32];

	if (!tbf_dumped(opts, &q, &r64, &p64))
		return;
	qword_rate(w, sizeof w, r64);
	wbuf_add(b, "rate %s", w);
	/* the bucket comes back as the time it takes to send at the rate */
	wbuf_add(b, "burst %.0fb", (double)r64 * (q.buffer / tick) / 1e6);
	wbuf_add(b, "limit %ub", q.limit);
	if (p64) {
		qword_rate(w, sizeof w, p64);
		wbuf_add(b, "peakrate %s mtu %.0fb", w, (double)p64 * (q.mtu / tick) / 1e6);
	}
	if (q.rate.mpu)
		wbuf_add(b, "mpu %u", q.rate.mpu);
	if (q.rate.overhead)
		wbuf_add(b, "overhead %u", q.rate.overhead);
	if (q.rate.linklayer == TC_LINKLAYER_ATM)
		wbuf_add(b, "linklayer atm");
}

/* --- kernel memory (kmem.h) -------------------------------------------------- */

static void tbf_held(const struct nlattr *opts, struct kmem_want *w)
{
	struct tc_tbf_qopt q;
	uint64_t r64, p64;

	if (tbf_dumped(opts, &q, &r64, &p64))
		*w = kmem_of_tbf(q.limit, r64);
}

struct kmem_want kmem_of_tbf_spec(const struct tbf_spec *t)
{
	struct kmem_want w = kmem_of_tbf(tbf_queue(t), t->rate64);

	kmem_tbf_frames(&w, t->overhead, t->mpu, t->linklayer == TC_LINKLAYER_ATM);
	return w;
}

static struct kmem_want tbf_want(const union qspec *q)
{
	return kmem_of_tbf_spec(&q->tbf);
}

static bool tbf_parse_q(union qspec *q, int argc, char *const argv[], double tick, struct err *e)
{
	(void)tick;
	return tbf_argv(&q->tbf, argc, argv, e);
}

static bool tbf_from_rate(union qspec *q, const char *rate, struct err *e)
{
	return tbf_parse(&q->tbf, rate, NULL, NULL, e);
}

const struct qdisc_kind tbf_kind = {
	.name = "tbf",
	.parse = tbf_parse_q,
	.from_rate = tbf_from_rate,
	.encode = tbf_encode,
	.describe = tbf_describe,
	.held = tbf_held,
	.want = tbf_want,
	.probe_words = "rate 10mbit burst 10240b latency 50ms",
	.module = "sch_tbf",
	.config = "CONFIG_NET_SCH_TBF",
};
