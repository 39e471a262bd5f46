/* Reading the shaping of an interface back as tc words (see qdisc_describe.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "kernel/qdisc_describe.h"
#include "kernel/requests.h"

struct wbuf {
	char *s;
	size_t cap, len;
};

static void add(struct wbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct wbuf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->len >= b->cap)
		return;
	if (b->len)
		b->s[b->len++] = ' ';
	va_start(ap, fmt);
	w = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len = w < 0 ? b->len : b->len + (size_t)w < b->cap ? b->len + (size_t)w : b->cap - 1;
	b->s[b->len] = '\0';
}

/* A time tc reads back to the same value: ms or us when whole, else us with decimals. */
static void time_word(char *out, size_t n, uint64_t ns)
{
	if (ns % 1000000 == 0)
		snprintf(out, n, "%" PRIu64 "ms", ns / 1000000);
	else if (ns % 1000 == 0)
		snprintf(out, n, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(out, n, "%" PRIu64 ".%03" PRIu64 "us", ns / 1000, ns % 1000);
}

static void rate_word(char *out, size_t n, uint64_t bytes)
{
	uint64_t bits = bytes * 8;

	if (bits && bits % 1000000000 == 0)
		snprintf(out, n, "%" PRIu64 "gbit", bits / 1000000000);
	else if (bits && bits % 1000000 == 0)
		snprintf(out, n, "%" PRIu64 "mbit", bits / 1000000);
	else if (bits && bits % 1000 == 0)
		snprintf(out, n, "%" PRIu64 "kbit", bits / 1000);
	else
		snprintf(out, n, "%" PRIu64 "bit", bits);
}

static void pct(struct wbuf *b, uint32_t v)
{
	add(b, "%g%%", 100. * v / UINT32_MAX);
}

/* "KW P [CORR]": loss random, duplicate, reorder, corrupt; false (nothing) when P is 0. */
static bool prob_words(struct wbuf *b, const char *kw, uint32_t p, uint32_t corr)
{
	if (!p)
		return false;
	add(b, "%s", kw);
	pct(b, p);
	if (corr)
		pct(b, corr);
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

struct attrs {
	const struct nlattr *a[TCA_NETEM_MAX + TCA_TBF_MAX + TCA_CAKE_MAX + 1];
	int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	int type = mnl_attr_get_type(a);

	if (type >= 0 && type <= t->max)
		t->a[type] = a;
	return MNL_CB_OK;
}

static bool sized(const struct nlattr *a, size_t n)
{
	return a && mnl_attr_get_payload_len(a) >= n;
}

static void netem_words(struct wbuf *b, const struct nlattr *opts, double tick)
{
	struct attrs t = {.max = TCA_NETEM_MAX};
	struct tc_netem_qopt q;
	size_t len = mnl_attr_get_payload_len(opts), off = NLA_ALIGN(sizeof q);
	uint64_t lat, jit;
	char w1[32], w2[32];
	struct tc_netem_corr corr = {0};

	if (len < sizeof q)
		return;
	memcpy(&q, mnl_attr_get_payload(opts), sizeof q);
	if (len > off)
		mnl_attr_parse_payload((const char *)mnl_attr_get_payload(opts) + off, len - off, attr_cb, &t);
	if (sized(t.a[TCA_NETEM_CORR], sizeof corr))
		memcpy(&corr, mnl_attr_get_payload(t.a[TCA_NETEM_CORR]), sizeof corr);
	add(b, "limit %u", q.limit);
	lat = sized(t.a[TCA_NETEM_LATENCY64], 8) ? mnl_attr_get_u64(t.a[TCA_NETEM_LATENCY64])
						  : (uint64_t)(q.latency * 1000. / tick);
	jit = sized(t.a[TCA_NETEM_JITTER64], 8) ? mnl_attr_get_u64(t.a[TCA_NETEM_JITTER64])
						 : (uint64_t)(q.jitter * 1000. / tick);
	if (lat || jit) {
		time_word(w1, sizeof w1, lat);
		add(b, "delay %s", w1);
		if (jit) {
			time_word(w2, sizeof w2, jit);
			add(b, "%s", w2);
			if (corr.delay_corr)
				pct(b, corr.delay_corr);
		}
	}
	if (t.a[TCA_NETEM_LOSS]) {
		struct attrs l = {.max = NETEM_LOSS_MAX};

		mnl_attr_parse_nested(t.a[TCA_NETEM_LOSS], attr_cb, &l);
		if (sized(l.a[NETEM_LOSS_GI], sizeof(struct tc_netem_gimodel))) {
			struct tc_netem_gimodel g;

			memcpy(&g, mnl_attr_get_payload(l.a[NETEM_LOSS_GI]), sizeof g);
			add(b, "loss state");
			pct(b, g.p13), pct(b, g.p31), pct(b, g.p32), pct(b, g.p23), pct(b, g.p14);
		} else if (sized(l.a[NETEM_LOSS_GE], sizeof(struct tc_netem_gemodel))) {
			struct tc_netem_gemodel g;

			memcpy(&g, mnl_attr_get_payload(l.a[NETEM_LOSS_GE]), sizeof g);
			add(b, "loss gemodel");
			pct(b, g.p), pct(b, g.r), pct(b, UINT32_MAX - g.h), pct(b, g.k1);
		}
	} else {
		prob_words(b, "loss random", q.loss, corr.loss_corr);
	}
	prob_words(b, "duplicate", q.duplicate, corr.dup_corr);
	if (pair_words(b, "reorder", t.a[TCA_NETEM_REORDER]))
		add(b, "gap %u", q.gap);
	pair_words(b, "corrupt", t.a[TCA_NETEM_CORRUPT]);
	if (sized(t.a[TCA_NETEM_ECN], 4) && mnl_attr_get_u32(t.a[TCA_NETEM_ECN]))
		add(b, "ecn");
	if (sized(t.a[TCA_NETEM_RATE], sizeof(struct tc_netem_rate))) {
		struct tc_netem_rate r;
		uint64_t r64;

		memcpy(&r, mnl_attr_get_payload(t.a[TCA_NETEM_RATE]), sizeof r);
		r64 = sized(t.a[TCA_NETEM_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_NETEM_RATE64]) : r.rate;
		if (r64) {
			rate_word(w1, sizeof w1, r64);
			add(b, "rate %s", w1);
			if (r.packet_overhead || r.cell_size || r.cell_overhead)
				add(b, "%d %u %d", r.packet_overhead, r.cell_size, r.cell_overhead);
		}
	}
	if (sized(t.a[TCA_NETEM_SLOT], sizeof(struct tc_netem_slot))) {
		struct tc_netem_slot s;

		memcpy(&s, mnl_attr_get_payload(t.a[TCA_NETEM_SLOT]), sizeof s);
		if (s.dist_jitter) {
			time_word(w1, sizeof w1, (uint64_t)s.dist_delay);
			time_word(w2, sizeof w2, (uint64_t)s.dist_jitter);
			add(b, "slot distribution custom %s %s", w1, w2);
		} else if (s.min_delay || s.max_delay) {
			time_word(w1, sizeof w1, (uint64_t)s.min_delay);
			time_word(w2, sizeof w2, (uint64_t)s.max_delay);
			add(b, "slot %s %s", w1, w2);
		}
		if ((s.dist_jitter || s.min_delay || s.max_delay) && s.max_packets && s.max_packets != INT32_MAX)
			add(b, "packets %d", s.max_packets);
		if ((s.dist_jitter || s.min_delay || s.max_delay) && s.max_bytes && s.max_bytes != INT32_MAX)
			add(b, "bytes %d", s.max_bytes);
	}
}

static void tbf_words(struct wbuf *b, const struct nlattr *opts, double tick)
{
	struct attrs t = {.max = TCA_TBF_MAX};
	struct tc_tbf_qopt q;
	uint64_t r64, p64;
	char w[32];

	mnl_attr_parse_nested(opts, attr_cb, &t);
	if (!sized(t.a[TCA_TBF_PARMS], sizeof q))
		return;
	memcpy(&q, mnl_attr_get_payload(t.a[TCA_TBF_PARMS]), sizeof q);
	r64 = sized(t.a[TCA_TBF_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_TBF_RATE64]) : q.rate.rate;
	p64 = sized(t.a[TCA_TBF_PRATE64], 8) ? mnl_attr_get_u64(t.a[TCA_TBF_PRATE64]) : q.peakrate.rate;
	rate_word(w, sizeof w, r64);
	add(b, "rate %s", w);
	/* the bucket comes back as the time it takes to send at the rate */
	add(b, "burst %.0fb", (double)r64 * (q.buffer / tick) / 1e6);
	add(b, "limit %ub", q.limit);
	if (p64) {
		rate_word(w, sizeof w, p64);
		add(b, "peakrate %s mtu %.0fb", w, (double)p64 * (q.mtu / tick) / 1e6);
	}
	if (q.rate.mpu)
		add(b, "mpu %u", q.rate.mpu);
	if (q.rate.overhead)
		add(b, "overhead %u", q.rate.overhead);
	if (q.rate.linklayer == TC_LINKLAYER_ATM)
		add(b, "linklayer atm");
}

static void cake_words(struct wbuf *b, const struct nlattr *opts)
{
	struct attrs t = {.max = TCA_CAKE_MAX};
	char w[32];

	mnl_attr_parse_nested(opts, attr_cb, &t);
	if (sized(t.a[TCA_CAKE_BASE_RATE64], 8) && mnl_attr_get_u64(t.a[TCA_CAKE_BASE_RATE64])) {
		rate_word(w, sizeof w, mnl_attr_get_u64(t.a[TCA_CAKE_BASE_RATE64]));
		add(b, "bandwidth %s", w);
	} else {
		add(b, "unlimited");
	}
}

void qdisc_words(const struct nlmsghdr *h, struct qdisc_desc *d, double tick)
{
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a, *opts = NULL;
	struct wbuf b = {.s = d->words, .cap = sizeof d->words};

	memset(d, 0, sizeof *d);
	d->handle = tm->tcm_handle;
	d->parent = tm->tcm_parent;
	mnl_attr_for_each(a, h, sizeof *tm) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(d->kind, sizeof d->kind, "%s", mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == TCA_OPTIONS)
			opts = a;
	}
	if (!opts)
		return;
	if (strcmp(d->kind, "netem") == 0)
		netem_words(&b, opts, tick);
	else if (strcmp(d->kind, "tbf") == 0)
		tbf_words(&b, opts, tick);
	else if (strcmp(d->kind, "cake") == 0)
		cake_words(&b, opts);
}

struct scan {
	int ifindex;
	double tick;
	struct qdisc_desc *out;
	int n;
	struct qdisc_desc all[8];
	int nall;
};

static int scan_cb(const struct nlmsghdr *h, void *data)
{
	struct scan *s = data;
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);

	if (h->nlmsg_type != RTM_NEWQDISC || tm->tcm_ifindex != s->ifindex || s->nall >= 8)
		return MNL_CB_OK;
	qdisc_words(h, &s->all[s->nall++], s->tick);
	return MNL_CB_OK;
}

int qdisc_describe(struct netlink *nl, int ifindex, struct qdisc_desc out[2], int *n, double tick)
{
	static union {
		struct nlmsghdr h;
		char b[NL_BUF];
	} req;
	static struct scan s;
	int rc;

	memset(&s, 0, sizeof s);
	s.ifindex = ifindex;
	s.tick = tick;
	rc = netlink_request(nl, req_qdisc_dump(nl, req.b), scan_cb, &s, NULL, 0);
	*n = 0;
	if (rc < 0)
		return rc;
	for (int i = 0; i < s.nall; i++)
		if (s.all[i].parent == TC_H_ROOT && s.all[i].handle)
			out[(*n)++] = s.all[i];
	if (!*n)
		return 0;
	for (int i = 0; i < s.nall; i++)
		if (s.all[i].parent && TC_H_MAJ(s.all[i].parent) == out[0].handle) {
			out[(*n)++] = s.all[i];
			break;
		}
	return 0;
}

/* --- what a qdisc in the kernel can hold (kmem.h) -------------------------- */

static void netem_kmem(const struct nlattr *opts, struct kmem_want *w)
{
	struct attrs t = {.max = TCA_NETEM_MAX};
	struct tc_netem_qopt q;
	size_t len = mnl_attr_get_payload_len(opts), off = NLA_ALIGN(sizeof q);
	uint64_t rate = 0;
	struct tc_netem_rate r = {0};

	if (len < sizeof q)
		return;
	memcpy(&q, mnl_attr_get_payload(opts), sizeof q);
	if (len > off)
		mnl_attr_parse_payload((const char *)mnl_attr_get_payload(opts) + off, len - off, attr_cb, &t);
	if (sized(t.a[TCA_NETEM_RATE], sizeof r)) {
		memcpy(&r, mnl_attr_get_payload(t.a[TCA_NETEM_RATE]), sizeof r);
		rate = sized(t.a[TCA_NETEM_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_NETEM_RATE64]) : r.rate;
	}
	*w = kmem_of_netem(q.limit, rate);
	kmem_netem_frames(w, r.packet_overhead, r.cell_size, r.cell_overhead);
	if (sized(t.a[TCA_NETEM_SLOT], sizeof(struct tc_netem_slot))) {
		struct tc_netem_slot s;

		memcpy(&s, mnl_attr_get_payload(t.a[TCA_NETEM_SLOT]), sizeof s);
		kmem_netem_slots(w, &s);
	}
}

static void tbf_kmem(const struct nlattr *opts, struct kmem_want *w)
{
	struct attrs t = {.max = TCA_TBF_MAX};
	struct tc_tbf_qopt q;

	mnl_attr_parse_nested(opts, attr_cb, &t);
	if (!sized(t.a[TCA_TBF_PARMS], sizeof q))
		return;
	memcpy(&q, mnl_attr_get_payload(t.a[TCA_TBF_PARMS]), sizeof q);
	*w = kmem_of_tbf(q.limit, sized(t.a[TCA_TBF_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_TBF_RATE64]) : q.rate.rate);
}

static void cake_kmem(const struct nlattr *opts, struct kmem_want *w)
{
	struct attrs t = {.max = TCA_CAKE_MAX};

	mnl_attr_parse_nested(opts, attr_cb, &t);
	*w = kmem_of_cake(sized(t.a[TCA_CAKE_BASE_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_CAKE_BASE_RATE64]) : 0,
			  sized(t.a[TCA_CAKE_MEMORY], 4) ? mnl_attr_get_u32(t.a[TCA_CAKE_MEMORY]) : 0,
			  sized(t.a[TCA_CAKE_RTT], 4) ? mnl_attr_get_u32(t.a[TCA_CAKE_RTT]) : 0);
}

void qdisc_kmem(const struct nlmsghdr *h, struct kmem_want *w)
{
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a, *opts = NULL;
	char kind[16] = "";

	memset(w, 0, sizeof *w);
	mnl_attr_for_each(a, h, sizeof *tm) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(kind, sizeof kind, "%s", mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == TCA_OPTIONS)
			opts = a;
	}
	if (!opts)
		return;
	if (strcmp(kind, "netem") == 0)
		netem_kmem(opts, w);
	else if (strcmp(kind, "tbf") == 0)
		tbf_kmem(opts, w);
	else if (strcmp(kind, "cake") == 0)
		cake_kmem(opts, w);
	else if ((strcmp(kind, "pfifo") == 0 || strcmp(kind, "bfifo") == 0) &&
		 mnl_attr_get_payload_len(opts) >= sizeof(struct tc_fifo_qopt)) {
		const struct tc_fifo_qopt *f = mnl_attr_get_payload(opts);

		if (kind[0] == 'p')
			w->pkts = f->limit;
		else
			w->bytes = f->limit;
	}
}
