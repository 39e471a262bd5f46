/* The qdisc kinds' table, and each kind's decoder against its own encoder:
 * the words npte-lab netem --show prints for what a spec sent, without a
 * kernel. Expected words are worked out by hand from tc 6.1's arithmetic. */
#include <errno.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "tap.h"
#include "shape/qdisc.h"

#define TICK 15.625

static union {
	struct nlmsghdr h;
	char b[65536];
} msg;

/* The words the kind reads back from what it encodes for words; NULL when
 * either side fails. */
static const char *round_trip(const struct qdisc_kind *k, const char *words, struct kmem_want *held,
			      struct kmem_want *want)
{
	static union qspec q;
	static char out[SHAPE_WORDS_LEN];
	struct wbuf b = {.s = out, .cap = sizeof out};
	struct err e = {0};
	const struct nlattr *a;

	out[0] = '\0';
	memset(&msg, 0, sizeof msg);
	mnl_nlmsg_put_header(msg.b);
	if (!qkind_parse_str(k, &q, words, TICK, &e) || k->encode(&msg.h, sizeof msg, &q, TICK) < 0)
		return NULL;
	mnl_attr_for_each(a, &msg.h, 0)
		if (mnl_attr_get_type(a) == TCA_OPTIONS) {
			k->describe(&b, a, TICK);
			memset(held, 0, sizeof *held);
			k->held(a, held);
			*want = k->want(&q);
			return out;
		}
	return NULL;
}

static void same(const struct qdisc_kind *k, const char *words, const char *expect, bool same_kmem)
{
	struct kmem_want held, want;
	const char *got = round_trip(k, words, &held, &want);

	ok(got && strcmp(got, expect) == 0, "%s %s reads back as '%s' (got '%s')", k->name, words, expect,
	   got ? got : "(nothing)");
	if (got && same_kmem)
		ok(memcmp(&held, &want, sizeof held) == 0, "%s %s: what the kernel holds is what the spec wants",
		   k->name, words);
}

int main(void)
{
	for (int i = 0; i < QK_N; i++) {
		const struct qdisc_kind *k = qkind_of((enum qkind)i);

		ok(qkind_find(k->name) == k && qkind_index(k) == (enum qkind)i, "%s: found by name and index",
		   k->name);
		ok(k->parse && k->encode && k->describe && k->held && k->want && k->probe_words && k->module &&
			   k->config,
		   "%s: a whole registration", k->name);
	}
	ok(!qkind_find("pfifo") && !qkind_find("") && !qkind_find("netem "), "no other kind is found");
	{
		char names[64];

		qkind_child_names(names, sizeof names);
		ok(strcmp(names, "tbf or cake") == 0, "the child kinds, as --child's message names them: %s", names);
	}
	{
		char hint[160];

		/* the kernel's answer for a kind it lacks (sch_api.c), and nothing else */
		ok(qkind_unknown_reply(-ENOENT, "Specified qdisc kind is unknown"), "an unknown kind is recognised");
		ok(!qkind_unknown_reply(-ENOENT, "Failed to find specified qdisc") && !qkind_unknown_reply(-ENOENT, "") &&
			   !qkind_unknown_reply(-EINVAL, "Specified qdisc kind is unknown"),
		   "another ENOENT, no text or another errno is not");
		qkind_missing_hint(&netem_kind, hint, sizeof hint);
		is_str(hint, "this kernel has no sch_netem (CONFIG_NET_SCH_NETEM); see npte-doctor", "netem's hint");
		qkind_missing_hint(&cake_kind, hint, sizeof hint);
		is_str(hint, "this kernel has no sch_cake (CONFIG_NET_SCH_CAKE); see npte-doctor", "cake's hint");
	}
	same(&netem_kind, "delay 25ms", "limit 1000 delay 25ms", true);
	same(&netem_kind, "delay 10ms 2ms 25% loss 1% 50% duplicate 2% reorder 5% gap 3 corrupt 0.5% ecn",
	     "limit 1000 delay 10ms 2ms 25% loss random 1% 50% duplicate 2% reorder 5% gap 3 corrupt 0.5% ecn", true);
	same(&netem_kind, "limit 100 rate 10mbit 20 slot 1ms 2ms packets 10",
	     "limit 100 rate 10mbit 20 0 0 slot 1ms 2ms packets 10", true);
	same(&netem_kind, "loss gemodel 1% 10% 70% 0.1%", "limit 1000 loss gemodel 1% 10% 70% 0.1%", true);
	/* the bucket back from its time at the rate: 10240 B is 8192 us; the
	 * queue 50 ms at 1250000 B/s plus the bucket */
	same(&tbf_kind, "rate 10mbit burst 10kb latency 50ms", "rate 10mbit burst 10240b limit 72740b", false);
	/* 1 MiB at 1 Gbit/s: 8388 us (truncated), 131062 ticks, 1048496 B back;
	 * 64 KiB at 2 Gbit/s: 262 us, 4093 ticks, 65488 B back */
	same(&tbf_kind, "rate 1gbit burst 1mb limit 2mb peakrate 2gbit mtu 64kb mpu 64 overhead 4 linklayer atm",
	     "rate 1gbit burst 1048496b limit 2097152b peakrate 2gbit mtu 65488b mpu 64 overhead 4 linklayer atm", false);
	same(&cake_kind, "bandwidth 30mbit", "bandwidth 30mbit", true);
	return done_testing();
}
