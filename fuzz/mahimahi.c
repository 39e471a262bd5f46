/*
 * libFuzzer harness for the mahimahi trace converter in common/shape/mahimahi.c
 * (schedule_from_mahimahi), the bytes a caller gives
 * `npte-netem play --trace-mahimahi FILE [WORDS]`. The trace is read from a
 * memfd, in chunks, as the live verb reads it.
 *
 * Input: bytes 0-1 pick the window (little-endian; mostly 10..1009 ms, at
 * times one out of range, which must be refused), byte 2 the extra words
 * (none, a delay, words the trace owns, or the input's first line); the rest
 * is the trace.
 *
 * Traps unless: a refusal is one printable line; a schedule starts at 0, has
 * an end (the trace's period), and its steps start on window boundaries and
 * last at least the step floor (SCHED_STEP_MIN_NS), but the only step of a
 * period shorter than it; it loops (schedule_loop_ok); every step is
 * `rate Nbit loss 0%` or `rate 0 loss 100%`, then `limit N` if the step
 * is too slow to drain netem's default queue in 60 s (the N it can) and
 * the extra words set none, then the extra words, through the real netem
 * grammar; and the steps carry the trace's opportunities: the
 * bytes the rates deliver over the period are 1500 a timestamp line, give or
 * take the rounding to whole bytes/s (half a byte/s a window).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/kmem.h"
#include "shape/schedule.h"
#include "shape/mahimahi.h"
#include "shape/shape.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schedule S;

static bool netem_words(void *arg, int argc, char **argv, struct err *why)
{
	static struct netem_spec ne;
	(void)arg;
	return netem_parse(&ne, argc, argv, 15.625, why);
}

/* Whether the extra words set netem's limit (tc takes any prefix of a keyword). */
static bool sets_limit(const char *extra)
{
	char words[SCHED_LINE_MAX + 1];

	snprintf(words, sizeof words, "%s", extra ? extra : "");
	for (char *w = strtok(words, " \t"); w; w = strtok(NULL, " \t"))
		if (strncmp(w, "limit", strlen(w)) == 0)
			return true;
	return false;
}

/* A step's words: its rate in bytes/s, the limit the converter adds, and the
 * extra words after them. */
static uint64_t step_bps(size_t i, const char *extra)
{
	char *argv[SCHED_WORDS_MAX + 1], *end, words[SCHED_LINE_MAX + 1], *w;
	int argc = schedule_argv(&S, i, argv, SCHED_WORDS_MAX + 1), k = 4;
	uint64_t bits;

	TRAP_UNLESS(argc >= 4 && strcmp(argv[0], "rate") == 0 && strcmp(argv[2], "loss") == 0);
	if (strcmp(argv[1], "0") == 0) {
		TRAP_UNLESS(strcmp(argv[3], "100%") == 0);
		bits = 0;
	} else {
		bits = strtoull(argv[1], &end, 10);
		TRAP_UNLESS(bits > 0 && bits % 8 == 0 && strcmp(end, "bit") == 0 && strcmp(argv[3], "0%") == 0);
	}
	/* a queue too long to drain in 60 s gets the longest that drains (1532
	 * bytes a packet), unless the extra words set the limit */
	if (bits && !sets_limit(extra) && bits / 8 * 60 / 1532 < 1000) {
		uint64_t l = bits / 8 * 60 / 1532;

		TRAP_UNLESS(argc >= 6 && strcmp(argv[4], "limit") == 0 &&
			    strtoull(argv[5], &end, 10) == (l ? l : 1) && *end == 0);
		k = 6;
	}
	/* then the extra words, as given (blanks between them are spaces or tabs) */
	snprintf(words, sizeof words, "%s", extra ? extra : "");
	for (w = strtok(words, " \t"); w; w = strtok(NULL, " \t"), k++)
		TRAP_UNLESS(k < argc && strcmp(w, argv[k]) == 0);
	TRAP_UNLESS(k == argc);
	return bits / 8;
}

/* Timestamp lines of a trace the converter took (it took digits only). */
static uint64_t lines_of(const uint8_t *t, size_t n)
{
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += t[i] == '\n';
	return k + (n && t[n - 1] != '\n');
}

static void schedule_ok(uint64_t win_ns, const char *extra, uint64_t opps)
{
	double bytes = 0, slack = 0;

	TRAP_UNLESS(S.n >= 1 && S.has_end && S.end_ns > 0 && S.step[0].at_ns == 0);
	TRAP_UNLESS(S.end_ns % 1000000 == 0 && schedule_loop_ok(&S, &(struct err){0}));
	for (size_t i = 0; i < S.n; i++) {
		uint64_t next = i + 1 < S.n ? S.step[i + 1].at_ns : S.end_ns;
		double len = (double)(next - S.step[i].at_ns) / 1e9;

		TRAP_UNLESS(S.step[i].at_ns % win_ns == 0 && next > S.step[i].at_ns);
		TRAP_UNLESS(S.n == 1 || next - S.step[i].at_ns >= SCHED_STEP_MIN_NS);
		bytes += (double)step_bps(i, extra) * len;
		/* half a byte/s of rounding in each window of the step */
		slack += 0.5 * len + 0.5 * (double)win_ns / 1e9;
	}
	TRAP_UNLESS(bytes >= 1500.0 * (double)opps - slack - 1e-6 && bytes <= 1500.0 * (double)opps + slack + 1e-6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const extras[] = {NULL, "", "delay 20ms", "delay 5ms 1ms limit 100", "rate 1mbit",
					     "loss 1%", "drop 1%", "  "};
	char first[SCHED_LINE_MAX + 1];
	struct err e = {0};
	const char *extra;
	uint64_t win_ms, win_ns;
	int fd;
	bool ok;

	if (size < 3)
		return 0;
	win_ms = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	/* mostly in range; 1 in 64 as given, to reach the refusals */
	win_ms = data[0] % 64 ? 10 + win_ms % 1000 : win_ms * 1000;
	win_ns = win_ms * 1000000;
	if (data[2] < 8 * 30) {
		extra = extras[data[2] % 8];
	} else {
		/* the trace's first line as the words, the rest as the trace */
		const uint8_t *nl = memchr(data + 3, '\n', size - 3);
		size_t n = nl ? (size_t)(nl - data - 3) : 0;

		if (n > SCHED_LINE_MAX)
			n = SCHED_LINE_MAX;
		memcpy(first, data + 3, n);
		first[n] = '\0';
		extra = first;
		if (nl) {
			size -= (size_t)(nl + 1 - data) - 3;
			data = nl + 1 - 3;
		}
	}
	fd = memfd_of(data + 3, size - 3);
	memset(e.msg, 0x55, sizeof e.msg);
	ok = schedule_from_mahimahi(&S, fd, "t.trace", win_ns, extra, netem_words, NULL, &e);
	close(fd);
	if (!ok) {
		err_ok(e.msg, sizeof e.msg);
		return 0;
	}
	TRAP_UNLESS(win_ns >= SCHED_WINDOW_MIN_NS && win_ns <= SCHED_WINDOW_MAX_NS);
	schedule_ok(win_ns, extra, lines_of(data + 3, size - 3));
	return 0;
}
