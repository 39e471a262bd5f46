/*
 * The lexical units of tc's grammar that the kinds share (shape.c): words,
 * numbers with units, percentages, and a cursor over the words. For the kind
 * files of common/shape/ only; the rest of npte calls shape.h and qdisc.h.
 */
#ifndef NPTE_LEX_H
#define NPTE_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "base/err.h"

/* The reason in e (EXIT_USAGE): what, then the caller's word escaped (never raw bytes). */
bool lex_fail(struct err *e, const char *what, const char *word);
/* Each word checked ([A-Za-z0-9.%/-]) and kept in dst, one blank between. */
bool lex_keep_words(char *dst, size_t cap, int argc, char *const argv[], struct err *e);
/* tc's matches(): w is a non-empty prefix of full. */
bool lex_prefix_of(const char *w, const char *full);
/* tc's get_time (us, bare us) and get_time64 (ns, bare ns), up to 60 s, truncated. */
bool lex_time_us(const char *w, unsigned *us);
bool lex_time_ns(const char *w, __s64 *ns);
/* tc's get_size: bytes, bare bytes, 0..max, truncated. */
bool lex_size(const char *w, unsigned *b, unsigned max);
/* tc's get_rate64: bytes/s from bits, bare bit/s; 0 or 1..SHAPE_RATE_MAX. */
bool lex_rate(const char *w, uint64_t *bps);
/* tc's parse_percent (0..1), and the same scaled to a u32 probability. */
bool lex_percent(const char *w, double *frac);
void lex_set_pct(uint32_t *out, double frac);
bool lex_pct(const char *w, uint32_t *out);
/* tc's get_s32/get_u32 with base 0, within lo..hi. */
bool lex_int0(const char *w, long long lo, long long hi, long long *out);
/* One of the distribution tables iproute2 ships. */
bool lex_dist_ok(const char *w);

/* The words of one clause being read, and where the reason goes. */
struct cursor {
	int argc, i;
	char *const *argv;
	struct err *e;
};
bool cur_next_is_number(const struct cursor *c);
bool cur_next_is_signed_number(const struct cursor *c);
/* tc's NEXT_ARG: step to the word after the current one, which must exist. */
const char *cur_next(struct cursor *c, const char *after);
/* The current word is bad: false, with what and the word as the reason. */
bool cur_bad(const struct cursor *c, const char *what);

#endif
