/*
 * Traffic shaping values: the netem knob grammar (tc's words, validated more
 * tightly than tc), tbf and cake. Conversions follow iproute2 6.1 exactly
 * (tc/q_netem.c, q_tbf.c, tc_core.c), so the options tcenc.h builds from them
 * equal the ones `tc` sends for the rendered line.
 */
#ifndef NPTE_SHAPE_H
#define NPTE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/pkt_sched.h>

/* Ceilings (documented in npte-netem(8)). */
#define SHAPE_TIME_MAX_US 60000000ULL   /* delays, jitter, slots: 60 s */
#define SHAPE_LIMIT_MAX 1000000U        /* netem queue: packets */
#define SHAPE_RATE_MAX 50000000000ULL   /* 400 Gbit/s, in bytes/s */
#define SHAPE_BURST_MAX (64U << 20)     /* tbf bucket: 64 MiB */

/* The qdiscs npte makes. */
enum qkind { QK_NETEM, QK_TBF, QK_CAKE };

struct netem_spec {
	/* the words as given, re-rendered for tc (each already validated) */
	char delay[128], loss[128], limit[16], rate[96], slot[128];
	struct tc_netem_qopt qopt;
	struct tc_netem_corr corr;
	bool has_corr;
	uint64_t latency_ns, jitter_ns; /* also sent as LATENCY64 / JITTER64 */
	bool has_delay;
	char dist[16];
	unsigned loss_model; /* 0, NETEM_LOSS_GI, NETEM_LOSS_GE */
	struct tc_netem_gimodel gi;
	struct tc_netem_gemodel ge;
	bool has_rate;
	uint64_t rate64;
	struct tc_netem_rate rate_s;
	bool has_slot;
	struct tc_netem_slot slot_s;
	char slot_dist[16];
};

struct tbf_spec {
	char rate[32], burst[32], latency[32];
	uint64_t rate64;     /* bytes/s */
	unsigned burst_b;    /* bytes */
	unsigned latency_us;
};

/* psched ticks per microsecond, from /proc/net/psched as tc computes it
 * (15.625 on current kernels); tests pass their own. */
double shape_tick_in_usec(void);

/* Each parser takes the whole flag value ("25ms 5ms 25% distribution normal"),
 * fills its part of *s and returns true, or false with a reason in why. */
bool netem_delay(struct netem_spec *s, const char *v, char *why, size_t n, double tick);
bool netem_loss(struct netem_spec *s, const char *v, char *why, size_t n);
bool netem_limit(struct netem_spec *s, const char *v, char *why, size_t n);
bool netem_rate(struct netem_spec *s, const char *v, char *why, size_t n);
bool netem_slot(struct netem_spec *s, const char *v, char *why, size_t n);
/* Cross-knob rules, after all knobs are parsed. */
bool netem_check(const struct netem_spec *s, char *why, size_t n);

/* A rate word ("30mbit") in bytes/s; a size ("32kb", "1514") in bytes; a time ("50ms") in us. */
bool shape_rate(const char *w, uint64_t *bps, char *why, size_t n);
bool shape_size(const char *w, unsigned *bytes, char *why, size_t n);
bool shape_time_us(const char *w, unsigned *us, char *why, size_t n);
/* tbf from RATE, optional burst and latency (defaults: burst = max(rate/250, 10 KiB), 50 ms). */
bool tbf_parse(struct tbf_spec *t, const char *rate, const char *burst, const char *latency,
	       char *why, size_t n);

#endif
