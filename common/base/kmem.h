/*
 * Kernel memory a qdisc can pin: the worst case, in bytes, that npte charges
 * each qdisc a non-root caller makes, and the drain rule. A queued packet
 * costs the kernel its skb truesize, not its length, and netem orphans its
 * skbs (no socket buffer bounds the queue), so packet and byte limits are
 * turned into bytes of memory here. Figures and method: docs/security-21.md.
 */
#ifndef NPTE_KMEM_H
#define NPTE_KMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/pkt_sched.h>

/* Per skb beyond its data: struct sk_buff (232 B, 256 aligned), struct
 * skb_shared_info (320 B), and a head buffer of up to 1 KiB (kmalloc-1024
 * for the headers of a paged skb), rounded up. */
#define KMEM_SKB_OVERHEAD 2048U
/* Link-layer header beyond the MTU (Ethernet's 14, rounded up). */
#define KMEM_HARD_HEADER 32U
/* Kernel memory per byte of queue length, worst case: a 0-byte UDP datagram
 * is 42 bytes long on lo and pins 846 bytes of slab (20.1x, measured); 24
 * leaves room for other kernels' slab layouts. */
#define KMEM_BYTE_RATIO 24U
/* The shortest frame a caller without CAP_NET_RAW can queue: a 0-byte UDP
 * datagram over IPv4 and Ethernet's header (lo and veth). */
#define KMEM_MIN_FRAME 42U
/* A full queue drains within the ceiling of every other time (60 s). */
#define KMEM_DRAIN_MAX_S 60U
/* cake's own bounds (net/sched/sch_cake.c): its packet limit, the floor of
 * its byte limit, and the default rtt (us) that sizes it. */
#define KMEM_CAKE_LIMIT 10240U
#define KMEM_CAKE_MIN (4U << 20)
#define KMEM_CAKE_RTT_US 100000U
/* The default per-user budget (npte.conf max_kernel_memory). */
#define KMEM_BUDGET_DEFAULT (1ULL << 30)

/* An interface as it sizes packets: its MTU, and the largest of its GSO and
 * GRO sizes (IFLA_GSO_MAX_SIZE, IFLA_GRO_MAX_SIZE and their IPv4 forms). */
struct link_size {
	uint32_t mtu, gso;
};
/* What npte makes when the link is not there yet: lo and veth, both with a
 * GSO size of 64 KiB. */
struct link_size kmem_link_default(const char *ifname);

/*
 * The worst a qdisc (or the tree at one root) asks for: every field 0 when
 * the part is absent. Summed over a tree, maxed over a schedule's steps.
 */
struct kmem_want {
	uint64_t pkts;       /* packet limits (netem, pfifo) */
	uint64_t bytes;      /* byte limits (tbf), in packet length */
	uint64_t cake_rate;  /* cake: bandwidth, bytes/s (0: unlimited) */
	uint64_t cake_mem;   /* cake: memlimit given (0: computed) */
	uint32_t cake_rtt;   /* cake: rtt (us; 0: default) */
	bool cake;
	double pkt_s;        /* netem rate: limit / rate (s per byte of frame) */
	double pkt_fix_s;    /* netem rate: what its overheads add to a full queue (s) */
	double byte_s;       /* tbf: limit / rate (s) */
	double slot_s;       /* netem slot: the longest slot (s; 0: none) */
	uint32_t slot_pkts, slot_bytes; /* what one slot lets out (0: no bound) */
};

/* The largest skb's truesize on the link. */
uint64_t kmem_pkt_max(const struct link_size *l);
/* cake's byte limit as the kernel computes it (cake_reconfigure). */
uint64_t kmem_cake_limit(uint64_t rate, uint64_t mem, uint32_t rtt_us, const struct link_size *l);
/* The charge of w on link l, in bytes. */
uint64_t kmem_charge(const struct kmem_want *w, const struct link_size *l);
/* a + b, or UINT64_MAX past it: charges are summed failing closed */
static inline uint64_t kmem_sum(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}
/* The seconds a full queue of w takes to drain on l (0: no rate to judge). */
double kmem_drain_s(const struct kmem_want *w, const struct link_size *l);
/* a += b (parts of one tree); a = max(a, b) (steps of one schedule). */
void kmem_add(struct kmem_want *a, const struct kmem_want *b);
void kmem_max(struct kmem_want *a, const struct kmem_want *b);

/* The want of a netem (its limit; with its rate, the drain), of a tbf. */
struct kmem_want kmem_of_netem(uint32_t limit, uint64_t rate);
struct kmem_want kmem_of_tbf(uint32_t limit, uint64_t rate);
struct kmem_want kmem_of_cake(uint64_t rate, uint64_t mem, uint32_t rtt_us);

/* netem sends each packet as its length plus po, in cells of cs bytes plus
 * co each (packet_time_ns): w's full queue, judged per packet at the
 * largest frame, drains that much slower. */
void kmem_netem_frames(struct kmem_want *w, int32_t po, uint32_t cs, int32_t co);
/* netem lets out at most so many packets and bytes a slot: w's queue waits
 * the longest slot for each slot that takes. */
void kmem_netem_slots(struct kmem_want *w, const struct tc_netem_slot *s);
/* A netem change without a rate (or a slot) keeps the old one: w drains at
 * old's, per packet of its own limit. */
void kmem_keep_rate(struct kmem_want *w, const struct kmem_want *old);
void kmem_keep_slot(struct kmem_want *w, const struct kmem_want *old);

/* A tbf sends each packet as overhead plus its length, at least mpu, in
 * 53-byte cells per 48 for ATM: w's queue, judged in bytes, drains that much
 * slower when it is full of the frames that suffer most. */
void kmem_tbf_frames(struct kmem_want *w, unsigned overhead, unsigned mpu, bool atm);

/* A size: digits and an optional k, m, g or t (binary units), nothing else;
 * false when not one or above max. */
bool kmem_size_parse(const char *s, uint64_t max, uint64_t *out);
/* "1.5 GiB" style, with the exact count when not a whole unit. */
void kmem_fmt(char *buf, size_t n, uint64_t bytes);

#endif
