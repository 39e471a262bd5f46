/*
 * The qdisc options on the wire: TCA_KIND and TCA_OPTIONS for netem, tbf and
 * cake, laid out as tc 6.1 lays them out (q_netem.c, q_tbf.c, q_cake.c), so
 * the request equals tc's for the dry-run's line byte for byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "shape/encode.h"

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

static bool put(struct nlmsghdr *h, size_t cap, uint16_t type, size_t len, const void *data)
{
	return mnl_attr_put_check(h, cap, type, len, data);
}

int netem_put(struct nlmsghdr *h, size_t cap, const struct netem_spec *s)
{
	static int16_t dist[DIST_MAX], sdist[DIST_MAX];
	int nd = 0, ns = 0, ecn = 1;
	struct nlattr *opts;

	if (s->dist[0] && (nd = load_dist(s->dist, dist, DIST_MAX)) < 0)
		return nd;
	if (s->slot_dist[0] && (ns = load_dist(s->slot_dist, sdist, DIST_MAX)) < 0)
		return ns;
	if (!put(h, cap, TCA_KIND, 6, "netem"))
		return -EMSGSIZE;
	/* Not a clean nest: a struct tc_netem_qopt, then attributes, all inside
	 * TCA_OPTIONS, whose length must cover the lot (iproute2 q_netem.c). */
	opts = (struct nlattr *)mnl_nlmsg_get_payload_tail(h);
	if (!put(h, cap, TCA_OPTIONS, sizeof s->qopt, &s->qopt))
		return -EMSGSIZE;
	if (s->has_corr && !put(h, cap, TCA_NETEM_CORR, sizeof s->corr, &s->corr))
		return -EMSGSIZE;
	if (s->has_reorder && !put(h, cap, TCA_NETEM_REORDER, sizeof s->reorder, &s->reorder))
		return -EMSGSIZE;
	if (s->ecn && !put(h, cap, TCA_NETEM_ECN, sizeof ecn, &ecn))
		return -EMSGSIZE;
	if (s->has_corrupt && !put(h, cap, TCA_NETEM_CORRUPT, sizeof s->corrupt, &s->corrupt))
		return -EMSGSIZE;
	if (s->has_slot && !put(h, cap, TCA_NETEM_SLOT, sizeof s->slot_s, &s->slot_s))
		return -EMSGSIZE;
	if (s->loss_model) {
		struct nlattr *loss = mnl_attr_nest_start_check(h, cap, TCA_NETEM_LOSS);

		if (!loss)
			return -EMSGSIZE;
		if (s->loss_model == NETEM_LOSS_GI ? !put(h, cap, NETEM_LOSS_GI, sizeof s->gi, &s->gi)
						   : !put(h, cap, NETEM_LOSS_GE, sizeof s->ge, &s->ge))
			return -EMSGSIZE;
		mnl_attr_nest_end(h, loss);
	}
	if (s->has_rate) {
		if (s->rate64 >= (1ULL << 32) && !put(h, cap, TCA_NETEM_RATE64, 8, &s->rate64))
			return -EMSGSIZE;
		if (!put(h, cap, TCA_NETEM_RATE, sizeof s->rate_s, &s->rate_s))
			return -EMSGSIZE;
	}
	if (nd && !put(h, cap, TCA_NETEM_DELAY_DIST, (size_t)nd * 2, dist))
		return -EMSGSIZE;
	if (ns && !put(h, cap, TCA_NETEM_SLOT_DIST, (size_t)ns * 2, sdist))
		return -EMSGSIZE;
	opts->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(h) - (char *)opts);
	return 0;
}

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

int tbf_put(struct nlmsghdr *h, size_t cap, const struct tbf_spec *t, double tick)
{
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
	if (!put(h, cap, TCA_KIND, 4, "tbf") || !(opts = mnl_attr_nest_start_check(h, cap, TCA_OPTIONS)))
		return -EMSGSIZE;
	opts->nla_type = TCA_OPTIONS; /* tc sends it without NLA_F_NESTED */
	if (!put(h, cap, TCA_TBF_PARMS, sizeof q, &q) || !put(h, cap, TCA_TBF_BURST, 4, &t->buffer) ||
	    (t->rate64 >= (1ULL << 32) && !put(h, cap, TCA_TBF_RATE64, 8, &t->rate64)) ||
	    !put(h, cap, TCA_TBF_RTAB, sizeof rtab, rtab))
		return -EMSGSIZE;
	if (q.peakrate.rate &&
	    ((t->prate64 >= (1ULL << 32) && !put(h, cap, TCA_TBF_PRATE64, 8, &t->prate64)) ||
	     !put(h, cap, TCA_TBF_PBURST, 4, &t->mtu) || !put(h, cap, TCA_TBF_PTAB, sizeof ptab, ptab)))
		return -EMSGSIZE;
	mnl_attr_nest_end(h, opts);
	return 0;
}

int cake_put(struct nlmsghdr *h, size_t cap, uint64_t rate64)
{
	struct nlattr *opts;

	if (!put(h, cap, TCA_KIND, 5, "cake") || !(opts = mnl_attr_nest_start_check(h, cap, TCA_OPTIONS)))
		return -EMSGSIZE;
	opts->nla_type = TCA_OPTIONS;
	/* tc 6.1 turns ingress autorate off explicitly whenever a bandwidth is
	 * given; sending the same keeps the request byte-identical to tc's. */
	uint32_t autorate = 0;

	if (!put(h, cap, TCA_CAKE_BASE_RATE64, 8, &rate64) || !put(h, cap, TCA_CAKE_AUTORATE, 4, &autorate))
		return -EMSGSIZE;
	mnl_attr_nest_end(h, opts);
	return 0;
}
