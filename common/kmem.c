/* Worst-case kernel memory of a qdisc (see kmem.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "kmem.h"

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

/* netem's rate counts every byte of a frame; its queue is judged full of
 * full-size frames (MTU plus the link header). A netem and its child drain
 * one after the other. */
double kmem_drain_s(const struct kmem_want *w, const struct link_size *l)
{
	return w->pkt_s * (l->mtu + KMEM_HARD_HEADER) + w->byte_s;
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

void kmem_add(struct kmem_want *a, const struct kmem_want *b)
{
	a->pkts += b->pkts;
	a->bytes += b->bytes;
	cake_merge(a, b);
	a->pkt_s += b->pkt_s;
	a->byte_s += b->byte_s;
}

void kmem_max(struct kmem_want *a, const struct kmem_want *b)
{
	a->pkts = max64(a->pkts, b->pkts);
	a->bytes = max64(a->bytes, b->bytes);
	cake_merge(a, b);
	a->pkt_s = a->pkt_s > b->pkt_s ? a->pkt_s : b->pkt_s;
	a->byte_s = a->byte_s > b->byte_s ? a->byte_s : b->byte_s;
}

struct kmem_want kmem_of_netem(uint32_t limit, uint64_t rate)
{
	return (struct kmem_want){.pkts = limit, .pkt_s = rate ? (double)limit / (double)rate : 0};
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
