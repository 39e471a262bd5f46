/* The charge arithmetic: what a qdisc can pin, the drain rule, sizes. */
#include <string.h>
#include "tap.h"
#include "base/kmem.h"
#include "ops/ops.h"
#include "shape/profiles.h"
#include "shape/shape.h"

static void charges(void)
{
	struct link_size lo = kmem_link_default("lo"), veth = kmem_link_default("if-router");
	struct kmem_want w;

	ok(kmem_pkt_max(&lo) == 65536 + 32 + KMEM_SKB_OVERHEAD, "lo: a 64 KiB MTU frame plus skb overhead");
	ok(kmem_pkt_max(&veth) == 65536 + KMEM_SKB_OVERHEAD, "veth: its 64 KiB GSO size, not its MTU");
	ok(kmem_pkt_max(&(struct link_size){.mtu = 9000, .gso = 0}) == 9032 + KMEM_SKB_OVERHEAD,
	   "no GSO: the MTU frame");
	w = kmem_of_netem(1000, 0);
	ok(kmem_charge(&w, &veth) == 1000ULL * (65536 + KMEM_SKB_OVERHEAD), "netem limit 1000: 1000 GSO skbs");
	w = kmem_of_netem(1000000, 0);
	ok(kmem_charge(&w, &lo) > (60ULL << 30), "netem limit 1000000 on lo: over 60 GiB");
	w = kmem_of_tbf(1U << 30, 1);
	ok(kmem_charge(&w, &lo) == (uint64_t)KMEM_BYTE_RATIO << 30, "tbf limit 1gb: 24 GiB (the audit's 21)");
	/* cake: 4 rtts at the rate, 4 MiB floor, 10240 frames ceiling, plus a packet */
	w = kmem_of_cake(3750000, 0, 0);
	ok(kmem_charge(&w, &veth) == (4U << 20) + kmem_pkt_max(&veth), "cake 30mbit: the 4 MiB floor");
	w = kmem_of_cake(125000000, 0, 0);
	ok(kmem_charge(&w, &lo) == 50000000 + kmem_pkt_max(&lo), "cake 1gbit on lo: 0.4 s at the rate");
	w = kmem_of_cake(50000000000ULL, 0, 0);
	ok(kmem_charge(&w, &veth) == 10240ULL * 1532 + kmem_pkt_max(&veth), "cake 400gbit: 10240 frames");
	w = kmem_of_cake(0, 0, 0);
	ok(kmem_charge(&w, &lo) == 10240ULL * 65568 + kmem_pkt_max(&lo), "cake unlimited: 10240 frames");
	w = kmem_of_cake(0, 1U << 30, 0);
	ok(kmem_charge(&w, &veth) == (1ULL << 30) + kmem_pkt_max(&veth), "cake memlimit: as given");
	/* a tree adds up; a schedule keeps its worst step */
	w = kmem_of_netem(100, 0);
	kmem_add(&w, &(struct kmem_want){.bytes = 1000});
	ok(kmem_charge(&w, &veth) == 100 * kmem_pkt_max(&veth) + 24000, "netem + tbf child: the sum");
	kmem_max(&w, &(struct kmem_want){.pkts = 50, .bytes = 5000});
	ok(w.pkts == 100 && w.bytes == 5000, "max: field by field");
}

static void drains(void)
{
	struct link_size lo = kmem_link_default("lo"), veth = kmem_link_default("x");
	struct kmem_want w = kmem_of_tbf(10240, 1);

	ok(kmem_drain_s(&w, &lo) == 10240, "tbf rate 8bit limit 10kb: 10240 s");
	w = kmem_of_tbf(1U << 30, 1);
	ok(kmem_drain_s(&w, &lo) > KMEM_DRAIN_MAX_S, "the audit's tbf: far over the ceiling");
	w = kmem_of_tbf(1U << 20, 1U << 20);
	ok(kmem_drain_s(&w, &lo) == 1, "tbf limit 1mb at 8mbit: 1 s");
	/* the shipped profiles' slowest directions fit */
	w = kmem_of_netem(1700, 1250000);
	ok(kmem_drain_s(&w, &veth) < KMEM_DRAIN_MAX_S, "1700 frames at 10mbit: %.1f s", kmem_drain_s(&w, &veth));
	w = kmem_of_netem(100, 125000);
	ok(kmem_drain_s(&w, &veth) < 2, "100 frames at 1mbit: %.2f s", kmem_drain_s(&w, &veth));
	w = kmem_of_netem(1000, 125);
	ok(kmem_drain_s(&w, &veth) > KMEM_DRAIN_MAX_S, "1000 frames at 1kbit: refused");
	w = kmem_of_netem(1000, 0);
	ok(kmem_drain_s(&w, &veth) == 0, "netem without a rate: drained by its delay");
}

/* netem's overheads, cells and slots, as packet_time_ns and netem_dequeue
 * send a full queue (lo: 65568-byte frames; 100 of them at 1mbit: 52 s). */
static void netem_drains(void)
{
	struct link_size lo = kmem_link_default("lo"), veth = kmem_link_default("x");
	struct kmem_want w = kmem_of_netem(100, 125000);
	double plain = kmem_drain_s(&w, &lo);

	ok(plain > 52 && plain < 53, "100 frames of 64 KiB at 1mbit: %.1f s", plain);
	kmem_netem_frames(&w, 0, 0, 0);
	ok(kmem_drain_s(&w, &lo) == plain, "no overheads: as before");
	w = kmem_of_netem(100, 125000);
	kmem_netem_frames(&w, 65535, 0, 0);
	ok(kmem_drain_s(&w, &lo) > 104 && kmem_drain_s(&w, &lo) < 105, "packet overhead 65535: %.1f s",
	   kmem_drain_s(&w, &lo));
	w = kmem_of_netem(100, 125000);
	kmem_netem_frames(&w, -42, 0, 0);
	ok(kmem_drain_s(&w, &lo) == plain, "overhead -42: never below a frame, judged as 0");
	w = kmem_of_netem(1, 125000000);
	kmem_netem_frames(&w, -43, 0, 0);
	ok(kmem_drain_s(&w, &lo) > 147, "overhead -43 wraps a 42-byte frame: one packet at 1gbit, %.0f s",
	   kmem_drain_s(&w, &lo));
	w = kmem_of_netem(100, 125000);
	kmem_netem_frames(&w, 0, 1, 65535);
	ok(kmem_drain_s(&w, &lo) > 65536 * 52.0, "1-byte cells of 65536: 65536 times slower");
	w = kmem_of_netem(100, 125000);
	kmem_netem_frames(&w, 0, 1500, 0);
	/* 2 cells of 1500 for a 1532-byte frame: 100 * 3000 B at 1mbit, 2.4 s */
	ok(kmem_drain_s(&w, &veth) >= 2.4 && kmem_drain_s(&w, &veth) < 2.5, "1500-byte cells on veth: %.2f s",
	   kmem_drain_s(&w, &veth));
	w = kmem_of_netem(100, 125000);
	kmem_netem_frames(&w, 0, 100, -101);
	ok(kmem_drain_s(&w, &veth) > 3e6, "a cell of 100 - 101 wraps to 2^32 bytes");
	w = kmem_of_netem(100, 0);
	kmem_netem_frames(&w, 65535, 1, 65535);
	ok(kmem_drain_s(&w, &lo) == 0, "no rate: overheads do nothing");
}

static double slot_drain(uint32_t limit, struct tc_netem_slot s, const struct link_size *l)
{
	struct kmem_want w = kmem_of_netem(limit, 0);

	kmem_netem_slots(&w, &s);
	return kmem_drain_s(&w, l);
}

static void slot_drains(void)
{
	struct link_size lo = kmem_link_default("lo"), veth = kmem_link_default("x");
	const int64_t s1 = 1000000000;

	ok(slot_drain(100, (struct tc_netem_slot){.max_delay = 60 * s1, .max_packets = 1}, &lo) == 6000,
	   "slot 60s packets 1, limit 100: 100 slots");
	ok(slot_drain(100, (struct tc_netem_slot){.max_delay = 60 * s1}, &lo) == 60, "slot 60s, no counts: 1 slot");
	ok(slot_drain(100, (struct tc_netem_slot){.max_delay = s1, .max_packets = 8}, &lo) == 13,
	   "packets 8: 13 slots");
	ok(slot_drain(100, (struct tc_netem_slot){.max_delay = s1, .max_bytes = 1}, &lo) == 100,
	   "bytes 1: one packet a slot");
	ok(slot_drain(100, (struct tc_netem_slot){.max_delay = s1, .max_bytes = 3064}, &veth) == 50,
	   "bytes 3064 on veth: two 1532-byte frames a slot");
	ok(slot_drain(100, (struct tc_netem_slot){.max_delay = s1, .max_packets = 10, .max_bytes = 1532}, &veth) == 100,
	   "the tighter of packets and bytes");
	ok(slot_drain(100, (struct tc_netem_slot){.max_delay = s1, .max_packets = -5}, &veth) == 100,
	   "a negative count (from the kernel): one a slot");
	ok(slot_drain(10, (struct tc_netem_slot){.dist_delay = s1, .dist_jitter = s1, .max_packets = 1}, &veth) == 50,
	   "a distribution: delay plus 4 jitters a slot");
	ok(slot_drain(100, (struct tc_netem_slot){0}, &veth) == 0, "slot 0: none");
}

/* A change without a rate or a slot keeps the kernel's, per packet. */
static void kept(void)
{
	struct link_size veth = kmem_link_default("x");
	struct kmem_want old = kmem_of_netem(10, 125000), w = kmem_of_netem(1000, 0), b = {0};

	kmem_netem_frames(&old, 1000, 0, 0);
	kmem_netem_slots(&old, &(struct tc_netem_slot){.max_delay = 1000000, .max_packets = 1});
	kmem_keep_rate(&w, &old);
	ok(kmem_drain_s(&w, &veth) > 20.2 && kmem_drain_s(&w, &veth) < 20.3, "kept rate and overhead: %.2f s",
	   kmem_drain_s(&w, &veth));
	kmem_keep_slot(&w, &old);
	ok(kmem_drain_s(&w, &veth) > 21.2 && kmem_drain_s(&w, &veth) < 21.3, "and the kept slot: 1000 slots more");
	kmem_max(&b, &(struct kmem_want){.pkts = 4, .slot_s = 1, .slot_pkts = 2});
	kmem_max(&b, &(struct kmem_want){.slot_s = 2, .slot_bytes = 1});
	ok(b.slot_s == 2 && b.slot_pkts == 2 && b.slot_bytes == 1, "max: the longest slot, the tightest counts");
}

static void sizes(void)
{
	static const struct { const char *s; int ok; uint64_t v; } c[] = {
		{"0", 1, 0}, {"512", 1, 512}, {"1k", 1, 1024}, {"512m", 1, 512ULL << 20}, {"1g", 1, 1ULL << 30},
		{"2t", 1, 2ULL << 40}, {"", 0, 0}, {"m", 0, 0}, {"1G", 0, 0}, {"1mb", 0, 0}, {"1 m", 0, 0},
		{"-1", 0, 0}, {"01", 0, 0}, {"1.5g", 0, 0}, {"1e9", 0, 0}, {"17t", 0, 0},
		{"99999999999999999999", 0, 0}, {"18014398509481984k", 0, 0},
	};

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint64_t v = 7;
		bool r = kmem_size_parse(c[i].s, 16ULL << 40, &v);

		ok(r == c[i].ok && (!r || v == c[i].v), "size '%s' %s", c[i].s, c[i].ok ? "taken" : "refused");
	}
}

static void formats(void)
{
	char b[32];

	kmem_fmt(b, sizeof b, 1ULL << 30);
	ok(strcmp(b, "1 GiB") == 0, "1 GiB (%s)", b);
	kmem_fmt(b, sizeof b, 300 << 20);
	ok(strcmp(b, "300 MiB") == 0, "300 MiB (%s)", b);
	kmem_fmt(b, sizeof b, 1536ULL << 20);
	ok(strcmp(b, "1.5 GiB") == 0, "1.5 GiB (%s)", b);
	kmem_fmt(b, sizeof b, 42);
	ok(strcmp(b, "42 B") == 0, "42 B (%s)", b);
}

/* One direction of a profile, as npte-lab shapes the router's veth end. */
static struct kmem_want dir_want(const struct link_dir *d)
{
	struct netem_spec ne;
	struct tbf_spec tb;
	struct kmem_want w, cw = {0};
	char words[SHAPE_WORDS_LEN];
	struct err e = {0};
	uint64_t rate = 0;

	if (!profile_words(d, words, sizeof words, 15.625, &e) || !netem_parse_str(&ne, words, 15.625, &e)) {
		ok(false, "profile words '%s': %s", words, e.msg);
		return (struct kmem_want){0};
	}
	w = kmem_of_netem_spec(&ne, 0);
	if (d->child && strcmp(d->child, "tbf") == 0 && tbf_parse(&tb, d->child_rate, NULL, NULL, &e))
		cw = kmem_of_tbf(tbf_queue(&tb), tb.rate64);
	else if (d->child && shape_rate(d->child_rate, &rate, &e))
		cw = kmem_of_cake(rate, 0, 0);
	kmem_add(&w, &cw);
	return w;
}

/* The default budget holds a lab with any shipped profile, and each
 * direction drains within the ceiling. */
static void profiles_fit(void)
{
	struct link_size veth = kmem_link_default("if-client");

	for (const struct profile *p = profiles; p->name; p++) {
		struct kmem_want down = dir_want(&p->down), up = dir_want(&p->up);
		uint64_t c = kmem_charge(&down, &veth) + kmem_charge(&up, &veth);
		char b[32];

		kmem_fmt(b, sizeof b, c);
		ok(c <= KMEM_BUDGET_DEFAULT, "profile %s: a lab is charged %s, within the default", p->name, b);
		ok(kmem_drain_s(&down, &veth) <= KMEM_DRAIN_MAX_S && kmem_drain_s(&up, &veth) <= KMEM_DRAIN_MAX_S,
		   "profile %s: drains in %.1f s and %.1f s", p->name, kmem_drain_s(&down, &veth),
		   kmem_drain_s(&up, &veth));
	}
}

int main(void)
{
	profiles_fit();
	charges();
	drains();
	netem_drains();
	slot_drains();
	kept();
	sizes();
	formats();
	return done_testing();
}
