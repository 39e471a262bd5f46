/*
 * libFuzzer harness for the shaping grammar in common/shape.c: the netem
 * knob parsers (as `npte-netem apply` chains them, then netem_check), the
 * tbf parser and the rate/size/time words. Parse functions only: nothing
 * here builds a netlink message or opens a socket.
 *
 * Input: byte 0 picks the mode and the tick; the rest is split on NUL bytes.
 *   mode 0: delay \0 loss \0 limit \0 rate \0 slot   (empty field = knob not given)
 *   mode 1: rate \0 burst \0 latency                  (empty burst/latency = default)
 *   mode 2: one word for shape_rate, shape_size and shape_time_us
 *
 * Besides crashes and ranges it checks that the copy each parser keeps for
 * the dry-run script holds the same words as the value it parsed
 * (same_words); NPTE_FUZZ_SKIP_WORDS=1 leaves that property out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)
#define NFIELDS 5

/* Psched ticks per us: current kernels (3e8/40/f4240 -> 15.625), and 1.0. */
static const double ticks[] = {15.625, 1.0};

/*
 * The dry-run script re-splits the stored copy on blanks (ops_qdisc.c
 * words()); the kernel got what the parser saw in v. Both must be the same
 * word list, or the script shows a different command than was sent.
 */
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

static void why_ok(const char *why, size_t n)
{
	TRAP_UNLESS(memchr(why, '\0', n) != NULL);
	TRAP_UNLESS(why[0] != '\0');
}

static void netem_mode(char **f, double tick)
{
	/* what npte-netem starts from */
	struct netem_spec s = {.qopt = {.limit = 1000}};
	char why[160];

	if (f[0]) {
		if (netem_delay(&s, f[0], why, sizeof why, tick)) {
			TRAP_UNLESS(s.has_delay);
			TRAP_UNLESS(same_words(s.delay, f[0]));
			TRAP_UNLESS(s.latency_ns <= SHAPE_TIME_MAX_US * 1000);
			TRAP_UNLESS(s.jitter_ns <= SHAPE_TIME_MAX_US * 1000);
			TRAP_UNLESS(!s.dist[0] || s.jitter_ns);
		} else {
			why_ok(why, sizeof why);
		}
	}
	if (f[1]) {
		if (netem_loss(&s, f[1], why, sizeof why))
			TRAP_UNLESS(same_words(s.loss, f[1]));
		else
			why_ok(why, sizeof why);
	}
	if (f[2]) {
		if (netem_limit(&s, f[2], why, sizeof why)) {
			TRAP_UNLESS(same_words(s.limit, f[2]));
			TRAP_UNLESS(s.qopt.limit >= 1 && s.qopt.limit <= SHAPE_LIMIT_MAX);
		} else {
			why_ok(why, sizeof why);
		}
	}
	if (f[3]) {
		if (netem_rate(&s, f[3], why, sizeof why)) {
			TRAP_UNLESS(same_words(s.rate, f[3]));
			TRAP_UNLESS(s.has_rate && s.rate64 >= 1 && s.rate64 <= SHAPE_RATE_MAX);
			TRAP_UNLESS(s.rate_s.cell_size <= 65535);
		} else {
			why_ok(why, sizeof why);
		}
	}
	if (f[4]) {
		if (netem_slot(&s, f[4], why, sizeof why)) {
			TRAP_UNLESS(same_words(s.slot, f[4]));
			TRAP_UNLESS(s.slot_s.min_delay <= s.slot_s.max_delay);
			TRAP_UNLESS(s.slot_s.max_delay <= (int64_t)SHAPE_TIME_MAX_US * 1000);
		} else {
			why_ok(why, sizeof why);
		}
	}
	if (!netem_check(&s, why, sizeof why))
		why_ok(why, sizeof why);
}

static void tbf_mode(char **f)
{
	struct tbf_spec t;
	char why[160];
	const char *rate = f[0] ? f[0] : "";

	if (!tbf_parse(&t, rate, f[1], f[2], why, sizeof why)) {
		why_ok(why, sizeof why);
		return;
	}
	TRAP_UNLESS(t.rate64 >= 1 && t.rate64 <= SHAPE_RATE_MAX);
	TRAP_UNLESS(t.burst_b >= 1 && t.burst_b <= SHAPE_BURST_MAX);
	TRAP_UNLESS(t.latency_us >= 1 && t.latency_us <= SHAPE_TIME_MAX_US);
	TRAP_UNLESS(same_words(t.rate, rate));
	if (f[1])
		TRAP_UNLESS(same_words(t.burst, f[1]));
	if (f[2])
		TRAP_UNLESS(same_words(t.latency, f[2]));
}

static void word_mode(const char *w)
{
	char why[160];
	uint64_t bps;
	unsigned u;

	if (shape_rate(w, &bps, why, sizeof why))
		TRAP_UNLESS(bps >= 1 && bps <= SHAPE_RATE_MAX);
	else
		why_ok(why, sizeof why);
	if (shape_size(w, &u, why, sizeof why))
		TRAP_UNLESS(u >= 1 && u <= SHAPE_BURST_MAX);
	else
		why_ok(why, sizeof why);
	if (shape_time_us(w, &u, why, sizeof why))
		TRAP_UNLESS(u <= SHAPE_TIME_MAX_US);
	else
		why_ok(why, sizeof why);
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
