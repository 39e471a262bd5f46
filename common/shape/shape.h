/*
 * Traffic shaping values: tc-netem(8) and tc-tbf(8) words, parsed the way
 * iproute2 6.1 parses them (tc/q_netem.c, q_tbf.c, tc_util.c, lib/utils.c:
 * keyword prefixes, bare units, the same rounding), with tighter bounds where
 * a value would pin kernel memory or make no sense. Each kind's file
 * (netem.c, tbf.c, cake.c; qdisc.h) builds from the result the very request
 * `tc` sends for the same words; shape.c holds the lexical units they share.
 */
#ifndef NPTE_SHAPE_H
#define NPTE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/pkt_sched.h>
#include "base/err.h"

/* Ceilings (documented in npte-netem(8)). */
#define SHAPE_TIME_MAX_US 60000000ULL   /* delays, jitter, slots, tbf latency: 60 s */
#define SHAPE_LIMIT_MAX 1000000U        /* netem queue: packets */
#define SHAPE_RATE_MAX 50000000000ULL   /* 400 Gbit/s, in bytes/s */
#define SHAPE_BURST_MAX (64U << 20)     /* tbf buckets (burst, mtu): 64 MiB */
#define SHAPE_QUEUE_MAX (1U << 30)      /* tbf queue (limit, given or computed): 1 GiB */
#define SHAPE_GAP_MAX 1000000U
#define SHAPE_SLOT_PACKETS_MAX 1000000
#define SHAPE_SLOT_BYTES_MAX (1U << 30)
#define SHAPE_OVERHEAD_MAX 65535

/* The words of one qdisc, as given and validated: blank-separated, each
 * [A-Za-z0-9.%/-], rendered into the dry-run and the journal as they are. */
#define SHAPE_WORDS_LEN 512
#define SHAPE_WORDS_MAX 64

/* netem's keywords, in the order tc tries them (a bit each in netem_spec.seen). */
enum netem_kw {
	NK_LIMIT, NK_DELAY, NK_LOSS, NK_ECN, NK_REORDER, NK_CORRUPT, NK_GAP, NK_DUPLICATE, NK_DIST,
	NK_RATE, NK_SLOT, NK_COUNT
};

struct netem_spec {
	char words[SHAPE_WORDS_LEN];
	unsigned seen; /* 1 << netem_kw of each keyword given */
	struct tc_netem_qopt qopt;
	struct tc_netem_corr corr;
	struct tc_netem_reorder reorder;
	struct tc_netem_corrupt corrupt;
	bool has_corr; /* a correlation was given: tc sends TCA_NETEM_CORR */
	char dist[16];
	unsigned loss_model; /* 0, NETEM_LOSS_GI, NETEM_LOSS_GE */
	struct tc_netem_gimodel gi;
	struct tc_netem_gemodel ge;
	uint64_t rate64;
	struct tc_netem_rate rate_s;
	struct tc_netem_slot slot_s;
	char slot_dist[16];
};

/* The keyword was given. */
static inline bool netem_has(const struct netem_spec *s, enum netem_kw kw)
{
	return s->seen & 1U << kw;
}

/* tbf's keywords (a bit each in tbf_spec.seen). */
enum tbf_kw { TK_LIMIT, TK_LATENCY, TK_BURST, TK_MTU, TK_MPU, TK_RATE, TK_PEAKRATE, TK_OVERHEAD, TK_LINKLAYER };

struct tbf_spec {
	char words[SHAPE_WORDS_LEN];
	unsigned seen; /* 1 << tbf_kw of each keyword that holds a value */
	uint64_t rate64, prate64; /* bytes/s */
	unsigned buffer, mtu, mpu, limit, latency_us;
	int rcell_log, pcell_log; /* -1: tc's default */
	uint16_t overhead;
	unsigned linklayer;
};

/* psched ticks per microsecond, from /proc/net/psched as tc computes it
 * (15.625 on current kernels), read once per process; tests pass their own. */
double shape_tick_in_usec(void);

/* netem words (argv[0..argc-1], everything after `netem`) into *s; false
 * with the reason in e (EXIT_USAGE). The words are kept in s->words. */
bool netem_parse(struct netem_spec *s, int argc, char *const argv[], double tick, struct err *e);
/* The same from one blank-separated string (the journal, profiles, flags);
 * the reason in e (EXIT_USAGE), as for every parser below. */
bool netem_parse_str(struct netem_spec *s, const char *words, double tick, struct err *e);
/* Append "KW VALUE" (an option such as --delay VALUE) to buf, refusing a
 * value that does not parse as exactly that clause (no smuggled keywords). */
bool netem_flag(char *buf, size_t cap, enum netem_kw kw, const char *value, double tick,
		struct err *e);
extern const char *const netem_kw_name[NK_COUNT];

/* tbf words (everything after `tbf`) into *t. */
bool tbf_parse_words(struct tbf_spec *t, int argc, char *const argv[], struct err *e);
bool tbf_parse_str(struct tbf_spec *t, const char *words, struct err *e);
/* npte's short form: RATE, optional burst and latency (defaults: burst =
 * max(rate/250, 10 KiB), latency 50 ms), as tbf words. */
bool tbf_parse(struct tbf_spec *t, const char *rate, const char *burst, const char *latency,
	       struct err *e);

/* The tbf queue in bytes: the limit given, or what the latency makes of it
 * (tc's computation). */
uint32_t tbf_queue(const struct tbf_spec *t);


/* A rate word ("30mbit", "20000" bit/s) in bytes/s, 8bit..400gbit. */
bool shape_rate(const char *w, uint64_t *bps, struct err *e);

/* True when w is a rate in one of tc's byte units (bps, kbps, mbps, mibps,
 * ...), with note the line that says so: "20mbps is 20 megabytes/s (160
 * Mbit/s) as in tc; for megabits write 20mbit". tc reads them so and npte
 * does too; the note is for the user who meant bits. */
bool shape_bps_note(const char *w, char *note, size_t n);

/* Split a blank-separated string into at most max words in buf (same charset
 * rule as the parsers); the count, or -1 with the reason. */
int shape_split(const char *v, char *buf, size_t cap, char **w, int max, struct err *e);

#endif
