/*
 * Schedules for `npte-netem play`: what a link is from each moment on, as
 * tc-netem words, read from a file, from a mahimahi trace (mahimahi.h), or
 * from the text of a shipped schedule (schedules.h). Pure parsing: no kernel, no files
 * opened here (the verb reads the file as the caller, asuser.h, and passes
 * the fd of what it read).
 *
 * The file format, one step a line:
 *
 *	# a comment; blank lines are fine too
 *	0      delay 10ms rate 20mbit loss 0%
 *	2.5s   delay 60ms rate 5mbit loss 0%
 *	5s     end
 *
 * - OFFSET is a time from the start: `0`, or DIGITS[.DIGITS] followed by s,
 *   ms, us or ns (`250ms`, `2.5s`, `1500us`). No sign, exponent or hex; a
 *   number without a unit other than 0 is refused (tc would read it as us,
 *   a user might mean s). Kept as nanoseconds; a fraction finer than 1 ns is
 *   refused rather than rounded. At most SCHED_OFFSET_MAX_NS (7 days).
 * - Each offset is at least SCHED_STEP_MIN_NS (10 ms) after the one before,
 *   the `end` line's too: a step lasts at least that, so no schedule makes
 *   the player a root process that spins (refused, not rounded up: a
 *   schedule that meant 1 ms steps would otherwise play a different link,
 *   10 times slower, and say nothing).
 * - Offsets strictly increase, and the first step is at 0: a file whose
 *   first step is later is refused. "Unchanged until then" would make the
 *   link before that offset whatever qdisc happened to be there in the first
 *   round and the last step in every round after it (--loop), and the
 *   dry-run script could not say which; one explicit `0` line says it.
 * - WORDS are tc-netem words (what follows `tc qdisc change dev X root
 *   netem`), checked by the caller's check(): this file knows no netem.
 *   A step is sent as one netem change, and netem's change keeps the kernel's
 *   old value of every optional attribute a change leaves out (rate, slot,
 *   correlation, reorder, corrupt, ecn, distribution), so a schedule should
 *   write every knob it uses on every step.
 * - `OFFSET end`, optionally the last line: the length of one period. The
 *   player holds the last step until then, and --loop starts over then.
 *   Without it the schedule ends at its last step's offset (end_ns equals
 *   that offset), which suits a single play but gives the last step no time
 *   in a loop.
 * - Whitespace is blanks and tabs; CRLF line ends are taken as LF (a file
 *   saved on Windows means the same thing), a CR anywhere else, a NUL or any
 *   other control byte (except tab) is refused, as is a line longer than
 *   SCHED_LINE_MAX bytes, a file over SCHED_FILE_MAX bytes (at most that plus
 *   one byte is read) and more than SCHED_STEPS_MAX steps.
 *
 * Errors are one line, "NAME:LINE: what: value", with the name and the bad
 * value shown through disp() (caller bytes never reach the terminal raw).
 *
 * Storage: every step's words are NUL-terminated strings packed in one arena
 * of at most SCHED_ARENA_MAX bytes; a step is its offset plus where its words
 * start and how many there are. No allocation: struct schedule is large
 * (about 3.5 MiB) and meant to be static in the caller.
 */
#ifndef NPTE_SCHEDULE_H
#define NPTE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

#define SCHED_STEPS_MAX 100000
#define SCHED_FILE_MAX (1024 * 1024)        /* bytes of a schedule file */
#define SCHED_ARENA_MAX (1024 * 1024)       /* bytes of words, NULs included */
#define SCHED_LINE_MAX 1024                 /* bytes of a line, without its LF */
#define SCHED_WORDS_MAX 64                  /* netem words in one step */
#define SCHED_OFFSET_MAX_NS (7ULL * 86400 * 1000000000) /* 7 days */
/* The step floor: no step lasts less, so a player changes an interface's
 * qdisc at most 100 times a second (docs/security-21.md). */
#define SCHED_STEP_MIN_NS 10000000ULL

struct sched_step {
	uint64_t at_ns;    /* offset from the start of the schedule */
	uint32_t word_off; /* first word in the arena */
	uint32_t line;     /* source line (a trace: the window's first line) */
	uint16_t argc;     /* words, at least 1 */
};

struct schedule {
	size_t n;       /* steps */
	uint64_t end_ns; /* length of one period (see `end` above) */
	bool has_end;    /* end_ns came from an `end` line (or a trace's period) */
	size_t used;    /* arena bytes in use */
	struct sched_step step[SCHED_STEPS_MAX];
	char arena[SCHED_ARENA_MAX];
};

/*
 * The caller's word check (the netem grammar): true if argv[0..argc-1] are
 * acceptable netem words, else false with a reason set in why (messages
 * keep its first SCHED_REASON_MAX bytes). argv points into the schedule's
 * arena and argv[argc] is NULL; check must not modify the words. arg is
 * passed through.
 */
typedef bool (*sched_check_fn)(void *arg, int argc, char **argv, struct err *why);
#define SCHED_REASON_MAX 255

/*
 * Read a schedule file from fd (read to its end, at most SCHED_FILE_MAX + 1
 * bytes; fd is not closed). name is for messages only. true, or false with
 * one line set in e (EXIT_USAGE) and *s unusable.
 */
bool schedule_read(struct schedule *s, int fd, const char *name, sched_check_fn check, void *arg,
		   struct err *e);

/* The same parser over a NUL-terminated text (the shipped schedules). */
bool schedule_parse_text(struct schedule *s, const char *text, const char *name, sched_check_fn check,
			 void *arg, struct err *e);

/*
 * Step i's words into argv (at most max - 1 of them, then a NULL); returns
 * argc, or -1 if i is out of range or the step does not fit. The pointers
 * are into s's arena.
 */
int schedule_argv(struct schedule *s, size_t i, char **argv, int max);

/*
 * The schedule as a --loop plays it: every step, the last one included, must
 * last at least SCHED_STEP_MIN_NS before the round starts over (a schedule
 * without an `end` line gives its last step no time, so a loop of it would
 * change twice at once each round). A one-step schedule is held, not played
 * again each round (player.h), so any period will do. true, or false with
 * one line naming the step set in e.
 */
bool schedule_loop_ok(const struct schedule *s, struct err *e);

/* An OFFSET word (grammar above) in nanoseconds; false if it is not one. */
bool sched_time(const char *w, uint64_t *ns);

/* ns as the shortest exact OFFSET word ("0", "250ms", "2.5s", "1500us",
 * "7ns"), for messages and the dry-run script; buf of at least 32 bytes. */
void sched_time_str(uint64_t ns, char *buf, size_t n);

/* ---- for the converters (mahimahi.h): the line reader and the step store ---- */

/* Lines from an fd or a NUL-terminated text, with the byte rules above. */
struct sched_reader {
	int fd;
	const char *text; /* if not NULL, read this instead of fd */
	uint64_t max;     /* bytes allowed; one more is an error */
	uint64_t taken;   /* bytes read from the source so far */
	uint64_t used;    /* of which handed to sched_reader_line */
	unsigned long line; /* the line being read (1-based) */
	const char *name;
	struct err *e;    /* where a refusal goes */
	size_t len, pos;  /* of buf */
	bool eof;
	char buf[16384];
};

void sched_reader_init(struct sched_reader *r, int fd, const char *text, uint64_t max, const char *name,
		       struct err *e);
/* The next line into line (cap >= SCHED_LINE_MAX + 1), NUL-terminated,
 * without its LF or CRLF. 1: a line; 0: end of input; -1: error (reported). */
int sched_reader_line(struct sched_reader *r, char *line, size_t cap);
/* One line "NAME:LINE: message" at the reader's line; always false. */
bool sched_reader_fail(struct sched_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same at line (0: "NAME: message"). Values in fmt's arguments are
 * the caller's to escape (disp()). */
bool sched_fail(struct err *e, const char *name, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Split line in place on blanks and tabs; a word starting with '#' ends
 * the line (a comment). Returns the word count, or max + 1 when there are
 * more than max. */
int sched_split(char *line, char **w, int max);

/* s empty. */
void sched_reset(struct schedule *s);
/* Copy words into the arena as step st's; false if they do not fit. */
bool sched_put_words(struct schedule *s, struct sched_step *st, int argc, char *const *w);
/* Run the caller's check over step i; why gets its reason. */
bool sched_check_step(struct schedule *s, size_t i, sched_check_fn check, void *arg, struct err *why);

#endif
