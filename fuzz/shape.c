/*
 * libFuzzer harness for the shaping grammar in common/shape.c: tc-netem and
 * tc-tbf words, the option spellings (netem_flag) and the rate word. Parse
 * functions only: nothing here builds a netlink message or opens a socket.
 *
 * Input: byte 0 picks the mode and the tick; the rest is split on NUL bytes.
 *   mode 0: netem words (field 0), then option values for --delay, --loss,
 *           --limit, --rate (fields 1..4), as npte-netem apply chains them
 *   mode 1: tbf words (field 0); the short form rate \0 burst \0 latency
 *   mode 2: one word for shape_rate
 *
 * Besides crashes and ranges it checks that the words each parser keeps for
 * the dry-run script are the words it parsed (same_words), and that parsing
 * the kept words again gives the same values (the journal relies on it);
 * NPTE_FUZZ_SKIP_WORDS=1 leaves the first property out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shape/shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)
#define NFIELDS 5

/* Psched ticks per us: current kernels (3e8/40/f4240 -> 15.625), and 1.0. */
static const double ticks[] = {15.625, 1.0};

static bool skip_words; /* NPTE_FUZZ_SKIP_WORDS=1: leave this property out */

static bool same_words(const char *stored, const char *v)
{
	const char *a = stored, *b = v;

	if (skip_words)
		return true;
	for (;;) {
		size_t la, lb;

		a += strspn(a, " \t");
		b += strspn(b, " \t");
		la = strcspn(a, " \t");
		lb = strcspn(b, " \t");
		if (la != lb || memcmp(a, b, la) != 0)
			return false;
		if (!la)
			return true;
		a += la, b += lb;
	}
}

/* The reason of the last call: a fresh error for each (E), so each is that call's. */
static struct err e;
#define E (e = (struct err){0}, &e)

static void why_ok(const struct err *r)
{
	TRAP_UNLESS(memchr(r->msg, '\0', sizeof r->msg) != NULL);
	TRAP_UNLESS(r->msg[0] != '\0' && r->code == EXIT_USAGE);
}

static void netem_ranges(const struct netem_spec *s, double tick)
{
	TRAP_UNLESS(s->qopt.limit >= 1 && s->qopt.limit <= SHAPE_LIMIT_MAX);
	TRAP_UNLESS(s->qopt.latency <= SHAPE_TIME_MAX_US * tick + 1);
	TRAP_UNLESS(s->qopt.jitter <= SHAPE_TIME_MAX_US * tick + 1);
	TRAP_UNLESS(s->rate64 <= SHAPE_RATE_MAX);
	TRAP_UNLESS(s->rate_s.cell_size <= 65535);
	TRAP_UNLESS(s->qopt.gap <= SHAPE_GAP_MAX);
	TRAP_UNLESS(!s->dist[0] || (s->qopt.latency && s->qopt.jitter));
	TRAP_UNLESS(!s->reorder.probability || s->qopt.latency);
	TRAP_UNLESS(!netem_has(s, NK_ECN) || s->qopt.loss || s->loss_model);
	TRAP_UNLESS(s->slot_s.min_delay <= s->slot_s.max_delay);
	TRAP_UNLESS(s->slot_s.max_delay <= (int64_t)SHAPE_TIME_MAX_US * 1000);
}

static void netem_mode(char **f, double tick)
{
	static struct netem_spec s, again;
	static const enum netem_kw kw[] = {NK_DELAY, NK_LOSS, NK_LIMIT, NK_RATE};
	char words[SHAPE_WORDS_LEN] = "";

	if (f[0]) {
		if (netem_parse_str(&s, f[0], tick, E)) {
			TRAP_UNLESS(same_words(s.words, f[0]));
			netem_ranges(&s, tick);
			TRAP_UNLESS(netem_parse_str(&again, s.words, tick, E));
			TRAP_UNLESS(memcmp(&s, &again, sizeof s) == 0);
		} else {
			why_ok(&e);
		}
	}
	for (int i = 1; i < NFIELDS; i++)
		if (f[i] && !netem_flag(words, sizeof words, kw[i - 1], f[i], tick, E))
			why_ok(&e);
	if (netem_parse_str(&s, words, tick, E))
		netem_ranges(&s, tick);
	else
		why_ok(&e);
}

static void tbf_check(const struct tbf_spec *t)
{
	static struct tbf_spec again;

	TRAP_UNLESS(t->rate64 >= 1 && t->rate64 <= SHAPE_RATE_MAX);
	TRAP_UNLESS(t->buffer >= 1 && t->buffer <= SHAPE_BURST_MAX);
	TRAP_UNLESS(t->mtu <= SHAPE_BURST_MAX && (!t->prate64 || t->mtu));
	TRAP_UNLESS(t->latency_us <= SHAPE_TIME_MAX_US && t->limit <= SHAPE_QUEUE_MAX);
	TRAP_UNLESS(t->limit || t->latency_us);
	TRAP_UNLESS(tbf_parse_str(&again, t->words, E));
	TRAP_UNLESS(memcmp(t, &again, sizeof again) == 0);
}

static void tbf_mode(char **f)
{
	static struct tbf_spec t;

	if (f[0] && tbf_parse_str(&t, f[0], E)) {
		TRAP_UNLESS(same_words(t.words, f[0]));
		tbf_check(&t);
	} else if (f[0]) {
		why_ok(&e);
	}
	if (tbf_parse(&t, f[1] ? f[1] : "", f[2], f[3], E))
		tbf_check(&t);
	else
		why_ok(&e);
}

static void word_mode(const char *w)
{
	uint64_t bps;

	if (shape_rate(w, &bps, E))
		TRAP_UNLESS(bps >= 1 && bps <= SHAPE_RATE_MAX);
	else
		why_ok(&e);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e = getenv("NPTE_FUZZ_SKIP_WORDS");

	(void)argc, (void)argv;
	skip_words = e && strcmp(e, "1") == 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *f[NFIELDS] = {NULL};
	size_t nf = 0, start = 0;
	unsigned mode;
	double tick;

	if (size < 1)
		return 0;
	mode = data[0] % 3;
	tick = ticks[(data[0] / 3) % 2];
	data++, size--;
	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* fields split on NUL; an empty field stays NULL (knob not given) */
	for (size_t i = 0; i <= size && nf < NFIELDS; i++) {
		if (buf[i] != '\0')
			continue;
		if (i > start)
			f[nf] = buf + start;
		nf++;
		start = i + 1;
	}
	switch (mode) {
	case 0:
		netem_mode(f, tick);
		break;
	case 1:
		tbf_mode(f);
		break;
	default:
		word_mode(buf);
		break;
	}
	free(buf);
	return 0;
}
