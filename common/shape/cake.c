/*
 * cake, as npte makes it: a child with a bandwidth and nothing else
 * ("bandwidth RATE"), sent as tc 6.1 sends it; its words read back, and what
 * it can hold; registered at the end as cake_kind.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "shape/qdisc.h"
#include "shape/lex.h"

_Static_assert(TCA_CAKE_MAX < QATTR_N, "cake's attributes fit struct qattrs");

static bool cake_parse(union qspec *q, int argc, char *const argv[], double tick, struct err *e)
{
	struct cake_spec *s = &q->cake;

	(void)tick;
	memset(s, 0, sizeof *s);
	if (!lex_keep_words(s->words, sizeof s->words, argc, argv, e))
		return false;
	if (argc != 2 || strcmp(argv[0], "bandwidth") != 0)
		return lex_fail(e, "cake takes bandwidth RATE", NULL);
	return shape_rate(argv[1], &s->rate64, e);
}

static bool cake_from_rate(union qspec *q, const char *rate, struct err *e)
{
	char *w[2] = {"bandwidth", (char *)rate};
	uint64_t r;

	/* the rate's own reason first, as for any child */
	return shape_rate(rate, &r, e) && cake_parse(q, 2, w, 0, e);
}

static int cake_encode(struct nlmsghdr *h, size_t cap, const union qspec *q, double tick)
{
	/* tc 6.1 turns ingress autorate off explicitly whenever a bandwidth is
	 * given; sending the same keeps the request byte-identical to tc's. */
	uint32_t autorate = 0;
	struct nlattr *opts;

	(void)tick;
	if (!qput(h, cap, TCA_KIND, 5, "cake") || !(opts = mnl_attr_nest_start_check(h, cap, TCA_OPTIONS)))
		return -EMSGSIZE;
	opts->nla_type = TCA_OPTIONS;
	if (!qput(h, cap, TCA_CAKE_BASE_RATE64, 8, &q->cake.rate64) ||
	    !qput(h, cap, TCA_CAKE_AUTORATE, 4, &autorate))
		return -EMSGSIZE;
	mnl_attr_nest_end(h, opts);
	return 0;
}

static void cake_describe(struct wbuf *b, const struct nlattr *opts, double tick)
{
	struct qattrs t;
	char w[32];

	(void)tick;
	qattr_nested(opts, &t, TCA_CAKE_MAX);
	if (qattr_sized(t.a[TCA_CAKE_BASE_RATE64], 8) && mnl_attr_get_u64(t.a[TCA_CAKE_BASE_RATE64])) {
		qword_rate(w, sizeof w, mnl_attr_get_u64(t.a[TCA_CAKE_BASE_RATE64]));
		wbuf_add(b, "bandwidth %s", w);
	} else {
		wbuf_add(b, "unlimited");
	}
}

static void cake_held(const struct nlattr *opts, struct kmem_want *w)
{
	struct qattrs t;

	qattr_nested(opts, &t, TCA_CAKE_MAX);
	*w = kmem_of_cake(qattr_sized(t.a[TCA_CAKE_BASE_RATE64], 8) ? mnl_attr_get_u64(t.a[TCA_CAKE_BASE_RATE64]) : 0,
			  qattr_sized(t.a[TCA_CAKE_MEMORY], 4) ? mnl_attr_get_u32(t.a[TCA_CAKE_MEMORY]) : 0,
			  qattr_sized(t.a[TCA_CAKE_RTT], 4) ? mnl_attr_get_u32(t.a[TCA_CAKE_RTT]) : 0);
}

static struct kmem_want cake_want(const union qspec *q)
{
	return kmem_of_cake(q->cake.rate64, 0, 0);
}

const struct qdisc_kind cake_kind = {
	.name = "cake",
	.parse = cake_parse,
	.from_rate = cake_from_rate,
	.encode = cake_encode,
	.describe = cake_describe,
	.held = cake_held,
	.want = cake_want,
	.probe_words = "bandwidth 10mbit",
	.module = "sch_cake",
	.config = "CONFIG_NET_SCH_CAKE",
	.child_only = true,
};
