/*
 * libFuzzer harness for the schedule file parser in common/shape/schedule.c, the
 * bytes a caller gives `npte-netem play FILE`. The input is the file, read
 * through schedule_read() from a memfd (so the reader's chunked refill is
 * exercised as the live verb does it).
 *
 * Byte 0 picks the word check: even, the real grammar (netem words, and
 * tbf words where netem refuses them, as play_words_ok does); odd, one that
 * takes any words (so the offsets, the end line and the limits are reached
 * without valid tc words). The rest is the file.
 *
 * Traps unless: a refusal is one printable line (it reaches a terminal);
 * a schedule starts at 0, its offsets increase by at least the step floor
 * (SCHED_STEP_MIN_NS), the end's too, within SCHED_OFFSET_MAX_NS and
 * SCHED_STEPS_MAX; every step's words are in the arena and NUL-terminated;
 * a schedule with an end line loops (schedule_loop_ok); and the schedule
 * written back as text (sched_time_str offsets) parses to the same steps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shape/schedule.h"
#include "shape/shape.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schedule S, again;
static char text[2 * SCHED_FILE_MAX];

static bool any_words(void *arg, int argc, char **argv, struct err *why)
{
	(void)arg, (void)why;
	TRAP_UNLESS(argc >= 1 && argv[argc] == NULL);
	for (int i = 0; i < argc; i++)
		TRAP_UNLESS(argv[i][0] != '\0');
	return true;
}

static bool real_words(void *arg, int argc, char **argv, struct err *why)
{
	static struct netem_spec ne;
	static struct tbf_spec tb;
	struct err ne_why = {0}, tb_why = {0};

	(void)arg;
	if (netem_parse(&ne, argc, argv, 15.625, &ne_why) || tbf_parse_words(&tb, argc, argv, &tb_why))
		return true;
	*why = ne_why; /* netem's reason, as the player gives */
	return false;
}

static void steps_ok(struct schedule *s)
{
	char *argv[SCHED_WORDS_MAX + 1];

	TRAP_UNLESS(s->n >= 1 && s->n <= SCHED_STEPS_MAX && s->used <= SCHED_ARENA_MAX);
	TRAP_UNLESS(s->step[0].at_ns == 0);
	for (size_t i = 0; i < s->n; i++) {
		uint64_t next = i + 1 < s->n ? s->step[i + 1].at_ns : s->end_ns;
		int argc = schedule_argv(s, i, argv, SCHED_WORDS_MAX + 1);

		TRAP_UNLESS(argc >= 1 && argc == s->step[i].argc && argv[argc] == NULL);
		TRAP_UNLESS(s->step[i].at_ns <= SCHED_OFFSET_MAX_NS);
		if (i + 1 < s->n || s->has_end)
			TRAP_UNLESS(next >= s->step[i].at_ns + SCHED_STEP_MIN_NS);
	}
	TRAP_UNLESS(!s->has_end || schedule_loop_ok(s, &(struct err){0}));
	TRAP_UNLESS(s->n > 1 || schedule_loop_ok(s, &(struct err){0}));
}

/* s as a schedule file: each step's offset and words, then the end line. */
static size_t write_back(struct schedule *s)
{
	char *argv[SCHED_WORDS_MAX + 1], at[32];
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		int argc = schedule_argv(s, i, argv, SCHED_WORDS_MAX + 1);

		sched_time_str(s->step[i].at_ns, at, sizeof at);
		n += (size_t)snprintf(text + n, sizeof text - n, "%s", at);
		for (int k = 0; k < argc; k++)
			n += (size_t)snprintf(text + n, sizeof text - n, " %s", argv[k]);
		n += (size_t)snprintf(text + n, sizeof text - n, "\n");
		TRAP_UNLESS(n < sizeof text);
	}
	if (s->has_end) {
		sched_time_str(s->end_ns, at, sizeof at);
		n += (size_t)snprintf(text + n, sizeof text - n, "%s end\n", at);
	}
	TRAP_UNLESS(n < sizeof text);
	return n;
}

static void same_steps(struct schedule *a, struct schedule *b)
{
	char *wa[SCHED_WORDS_MAX + 1], *wb[SCHED_WORDS_MAX + 1];

	TRAP_UNLESS(a->n == b->n && a->has_end == b->has_end && a->end_ns == b->end_ns);
	for (size_t i = 0; i < a->n; i++) {
		int na = schedule_argv(a, i, wa, SCHED_WORDS_MAX + 1);
		int nb = schedule_argv(b, i, wb, SCHED_WORDS_MAX + 1);

		TRAP_UNLESS(a->step[i].at_ns == b->step[i].at_ns && na == nb);
		for (int k = 0; k < na; k++)
			TRAP_UNLESS(strcmp(wa[k], wb[k]) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sched_check_fn check;
	struct err e = {0};
	size_t n;
	int fd;

	if (size < 1)
		return 0;
	check = data[0] % 2 ? any_words : real_words;
	fd = memfd_of(data + 1, size - 1);
	memset(e.msg, 0x55, sizeof e.msg);
	if (!schedule_read(&S, fd, "f.sched", check, NULL, &e)) {
		err_ok(e.msg, sizeof e.msg);
		close(fd);
		return 0;
	}
	close(fd);
	steps_ok(&S);
	n = write_back(&S);
	fd = memfd_of(text, n);
	if (schedule_read(&again, fd, "f.sched", check, NULL, &(struct err){0}))
		same_steps(&S, &again);
	else
		TRAP_UNLESS(n > SCHED_FILE_MAX); /* offsets are written shortest: never longer */
	close(fd);
	return 0;
}
