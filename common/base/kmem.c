/* Worst-case kernel memory of a qdisc (see kmem.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "base/kmem.h"

struct link_size kmem_link_default(const char *ifname)
{
	return (struct link_size){.mtu = strcmp(ifname, "lo") == 0 ? 65536 : 1500, .gso = 65536};
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t kmem_pkt_max(const struct link_size *l)
{
	return max64(l->gso, (uint64_t)l->mtu + KMEM_HARD_HEADER) + KMEM_SKB_OVERHEAD;
}

/*
 * As cake_reconfigure() computes it: the memlimit given; else 4 rtts' worth
 * at the rate, at least 4 MiB; none without a rate; then at most 10240 full
 * frames (psched_mtu), unless the memlimit is larger. cake counts truesize
 * and drops once over, so one packet more can be held.
 */
uint64_t kmem_cake_limit(uint64_t rate, uint64_t mem, uint32_t rtt_us, const struct link_size *l)
{
	uint64_t frames = (uint64_t)KMEM_CAKE_LIMIT * (l->mtu + KMEM_HARD_HEADER), lim;

	if (mem)
		lim = mem;
	else if (rate)
		lim = max64(rate * (rtt_us ? rtt_us : KMEM_CAKE_RTT_US) / 250000, KMEM_CAKE_MIN);
	else
		lim = UINT64_MAX;
	return min64(lim, max64(frames, mem)) + kmem_pkt_max(l);
}

uint64_t kmem_charge(const struct kmem_want *w, const struct link_size *l)
{
	uint64_t c = w->pkts * kmem_pkt_max(l) + w->bytes * KMEM_BYTE_RATIO;

	if (w->cake)
		c += kmem_cake_limit(w->cake_rate, w->cake_mem, w->cake_rtt, l);
	return c;
}

/* The slots a queue of n frames of len bytes takes: each lets out up to
 * its packet count, and up to the first packet that spends its bytes
 * (netem_dequeue), so a slot lets out fewest of the largest frames. */
static uint64_t slots(uint64_t n, uint64_t len, uint32_t pkts, uint32_t bytes)
{
	uint64_t per = pkts ? pkts : UINT64_MAX;

	if (bytes)
		per = min64(per, (bytes + len - 1) / len);
	return n ? (n - 1) / per + 1 : 0;
}

/* netem's rate counts every byte of a frame and, with no wrap (see
 * kmem_netem_frames), counts a longer frame no shorter: its queue is judged
 * full of full-size frames (MTU plus the link header). A netem and its
 * child drain one after the other. */
double kmem_drain_s(const struct kmem_want *w, const struct link_size *l)
{
	uint64_t len = (uint64_t)l->mtu + KMEM_HARD_HEADER;
	double s = w->pkt_s * (double)len + w->pkt_fix_s + w->byte_s;

	if (w->slot_s > 0)
		s += w->slot_s * (double)slots(w->pkts, len, w->slot_pkts, w->slot_bytes);
	return s;
}

/* A tree has at most one cake; steps of a schedule keep the largest. */
static void cake_merge(struct kmem_want *a, const struct kmem_want *b)
{
	if (!b->cake)
		return;
	a->cake = true;
	a->cake_rate = max64(a->cake_rate, b->cake_rate);
	a->cake_mem = max64(a->cake_mem, b->cake_mem);
	a->cake_rtt = a->cake_rtt > b->cake_rtt ? a->cake_rtt : b->cake_rtt;
}

static double maxd(double a, double b)
{
	return a > b ? a : b;
}

/* The tighter count of two (0: no bound). */
static uint32_t tighter(uint32_t a, uint32_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* A tree has at most one netem: either way the longest slot and the
 * tightest counts are the worst. */
static void slot_merge(struct kmem_want *a, const struct kmem_want *b)
{
	if (b->slot_s <= 0)
		return;
	if (a->slot_s <= 0) {
		a->slot_s = b->slot_s, a->slot_pkts = b->slot_pkts, a->slot_bytes = b->slot_bytes;
		return;
	}
	a->slot_s = maxd(a->slot_s, b->slot_s);
	a->slot_pkts = tighter(a->slot_pkts, b->slot_pkts);
	a->slot_bytes = tighter(a->slot_bytes, b->slot_bytes);
}

void kmem_add(struct kmem_want *a, const struct kmem_want *b)
{
	a->pkts += b->pkts;
	a->bytes += b->bytes;
	cake_merge(a, b);
	a->pkt_s += b->pkt_s;
	a->pkt_fix_s += b->pkt_fix_s;
	a->byte_s += b->byte_s;
	slot_merge(a, b);
}

void kmem_max(struct kmem_want *a, const struct kmem_want *b)
{
	a->pkts = max64(a->pkts, b->pkts);
	a->bytes = max64(a->bytes, b->bytes);
	cake_merge(a, b);
	a->pkt_s = maxd(a->pkt_s, b->pkt_s);
	a->pkt_fix_s = maxd(a->pkt_fix_s, b->pkt_fix_s);
	a->byte_s = maxd(a->byte_s, b->byte_s);
	slot_merge(a, b);
}

struct kmem_want kmem_of_netem(uint32_t limit, uint64_t rate)
{
	return (struct kmem_want){.pkts = limit, .pkt_s = rate ? (double)limit / (double)rate : 0};
}

/*
 * packet_time_ns: len += po (u64), cells = len / cs rounded up, len =
 * cells * (cs + co) (u32). Within range that is at most
 * (len + po + cs - 1) * (cs + co) / cs, a line in len whose worst is the
 * largest frame; a negative po only shortens it (0 for the bound). Out of
 * range the kernel wraps: a frame shorter than -po becomes some 2^64 bytes
 * (up to 2^64 ns over the rate in bytes/s, 147 s a packet at 1gbit), a cell
 * of cs + co < 0 some 2^32: each packet is judged at that.
 */
void kmem_netem_frames(struct kmem_want *w, int32_t po, uint32_t cs, int32_t co)
{
	int64_t cell = (int64_t)cs + co;
	double fix;

	if (po < -(int32_t)KMEM_MIN_FRAME || (cs && cell < 0)) {
		w->pkt_fix_s += w->pkt_s * (cs ? 4294967296.0 : 18446744073.709552);
		return;
	}
	fix = po > 0 ? (double)po : 0;
	if (cs) {
		fix = (fix + cs - 1) * (double)cell / cs;
		w->pkt_s *= (double)cell / cs;
	}
	w->pkt_fix_s += w->pkt_s ? fix * w->pkt_s : 0;
}

/* The kernel takes 0 for no bound and lets one packet out a slot for a
 * negative count; a distribution's slot is at most its delay plus 4 times
 * its jitter (tabledist: an s16 table over NETEM_DIST_SCALE, 8192). */
void kmem_netem_slots(struct kmem_want *w, const struct tc_netem_slot *s)
{
	double ns = maxd((double)s->max_delay, (double)s->dist_delay + 4.0 * (double)s->dist_jitter);

	w->slot_s = ns > 0 ? ns / 1e9 : 0;
	w->slot_pkts = s->max_packets < 0 ? 1 : (uint32_t)s->max_packets;
	w->slot_bytes = s->max_bytes < 0 ? 1 : (uint32_t)s->max_bytes;
}

void kmem_keep_rate(struct kmem_want *w, const struct kmem_want *old)
{
	double k = old->pkts ? (double)w->pkts / (double)old->pkts : 0;

	w->pkt_s = old->pkt_s * k;
	w->pkt_fix_s = old->pkt_fix_s * k;
}

void kmem_keep_slot(struct kmem_want *w, const struct kmem_want *old)
{
	w->slot_s = old->slot_s;
	w->slot_pkts = old->slot_pkts;
	w->slot_bytes = old->slot_bytes;
}

struct kmem_want kmem_of_tbf(uint32_t limit, uint64_t rate)
{
	return (struct kmem_want){.bytes = limit, .byte_s = rate ? (double)limit / (double)rate : 0};
}

/* The time a tbf charges a frame of len bytes, in bytes (psched_l2t_ns). */
static uint64_t tbf_l2(uint64_t len, unsigned overhead, unsigned mpu, bool atm)
{
	len = max64(len + overhead, mpu);
	return atm ? (len + 47) / 48 * 53 : len;
}

/* The worst ratio is at the shortest frame, or just past a cell edge: past
 * mpu and two cells more, each peak is lower than the one before. */
void kmem_tbf_frames(struct kmem_want *w, unsigned overhead, unsigned mpu, bool atm)
{
	double worst = 1;

	for (uint64_t len = KMEM_MIN_FRAME; len <= KMEM_MIN_FRAME + (uint64_t)mpu + 96; len++) {
		double r = (double)tbf_l2(len, overhead, mpu, atm) / (double)len;

		if (r > worst)
			worst = r;
	}
	w->byte_s *= worst;
}

struct kmem_want kmem_of_cake(uint64_t rate, uint64_t mem, uint32_t rtt_us)
{
	return (struct kmem_want){.cake = true, .cake_rate = rate, .cake_mem = mem, .cake_rtt = rtt_us};
}

bool kmem_size_parse(const char *s, uint64_t max, uint64_t *out)
{
	static const char units[] = "kmgt";
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		const char *u = strchr(units, *p);

		if (!u || p[1])
			return false;
		for (long i = 0; i <= u - units; i++) {
			if (v > UINT64_MAX / 1024)
				return false;
			v *= 1024;
		}
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

void kmem_fmt(char *buf, size_t n, uint64_t bytes)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, n, "%" PRIu64 " B", bytes);
	else if (bytes % (1ULL << (10 * u)) == 0)
		snprintf(buf, n, "%" PRIu64 " %s", bytes >> (10 * u), unit[u]);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
}
