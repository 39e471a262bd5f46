/* Schedules: the file parser, its refusals and limits, mahimahi traces
 * against hand-computed rates, and every shipped schedule. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "shape/schedule.h"
#include "shape/mahimahi.h"
#include "shape/schedules.h"
#include "shape/shape.h"
#include "base/escape.h"

static struct schedule S; /* 3.5 MiB: static, as in the player */
static struct err E; /* the last call's error */
static char big[17 * 1024 * 1024];

/* E cleared for the next call (err_set keeps the first error it is given). */
static struct err *fresh(void)
{
	E = (struct err){0};
	return &E;
}

/* A file holding exactly n bytes of buf, at offset 0 (tmpfile: a pipe
 * would block past its buffer). */
static int fd_of(const char *buf, size_t n)
{
	FILE *f = tmpfile();
	int fd;

	if (!f || fwrite(buf, 1, n, f) != n || fflush(f) != 0) {
		diag("tmpfile: %s", strerror(errno));
		exit(1);
	}
	fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The test's stand-in for the netem grammar: knob keywords each followed
 * by a value that starts with a digit ("0", "25ms", "1%"). */
static bool fake_check(void *arg, int argc, char **argv, struct err *why)
{
	static const char *const knobs[] = {"delay", "loss", "rate", "limit", "jitter"};
	int *calls = arg;

	if (calls)
		(*calls)++;
	for (int i = 0; i < argc; i++) {
		bool known = false;

		if (strcmp(argv[i], "x") == 0)
			continue; /* a flag without a value, for the long tests */

		for (size_t k = 0; k < sizeof knobs / sizeof knobs[0]; k++)
			known |= strcmp(argv[i], knobs[k]) == 0;
		if (!known) {
			err_set(why, EXIT_USAGE, "unknown netem word: %s", disp(argv[i]));
			return false;
		}
		if (i + 1 == argc || argv[i + 1][0] < '0' || argv[i + 1][0] > '9') {
			err_set(why, EXIT_USAGE, "%s needs a value", argv[i]);
			return false;
		}
		i++;
		while (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
			i++; /* "delay 25ms 5ms": more values */
	}
	if (argv[argc] != NULL) {
		err_set(why, EXIT_USAGE, "argv not NULL-terminated");
		return false;
	}
	return true;
}

static bool rd(const char *text)
{
	int fd = fd_of(text, strlen(text));
	bool r = schedule_read(&S, fd, "f.sched", fake_check, NULL, fresh());

	close(fd);
	return r;
}

#define RDN(lit) rdn(lit, sizeof lit - 1)

static bool rdn(const char *buf, size_t n)
{
	int fd = fd_of(buf, n);
	bool r = schedule_read(&S, fd, "f.sched", fake_check, NULL, fresh());

	close(fd);
	return r;
}

/* Refused, with an error that contains want. */
static void refused(bool r, const char *want, const char *name)
{
	if (!ok(!r && strstr(E.msg, want) != NULL, "refuses %s", name))
		diag("error was: %s (wanted \"%s\")", r ? "(accepted)" : E.msg, want);
}

static const char *words(size_t i)
{
	static char out[1024];
	char *argv[SCHED_WORDS_MAX + 1];
	int argc = schedule_argv(&S, i, argv, SCHED_WORDS_MAX + 1);

	out[0] = '\0';
	for (int k = 0; k < argc; k++) {
		if (k)
			strcat(out, " ");
		strcat(out, argv[k]);
	}
	return argc < 0 ? "(none)" : out;
}

static uint64_t t(const char *w)
{
	uint64_t ns = 12345;

	return sched_time(w, &ns) ? ns : UINT64_MAX;
}

static const char *tstr(uint64_t ns)
{
	static char b[32];

	sched_time_str(ns, b, sizeof b);
	return b;
}

/* ---- the offset grammar ---- */

static void test_times(void)
{
	is_int((long long)t("0"), 0, "0");
	is_int((long long)t("250ms"), 250000000, "250ms");
	is_int((long long)t("2.5s"), 2500000000LL, "2.5s");
	is_int((long long)t("1500us"), 1500000, "1500us");
	is_int((long long)t("7ns"), 7, "7ns");
	is_int((long long)t("0.000000001s"), 1, "one nanosecond as a fraction of a second");
	is_int((long long)t("1.5000000000s"), 1500000000LL, "trailing zeros below 1 ns are fine");
	is_int((long long)t("604800s"), 604800000000000LL, "7 days, the ceiling");
	ok(t("604800.000000001s") == UINT64_MAX && t("604801s") == UINT64_MAX &&
	   t("99999999999999999999999s") == UINT64_MAX, "over 7 days (or 2^64) refused");
	ok(t("0.0000000005s") == UINT64_MAX, "a fraction finer than 1 ns refused, not rounded");
	ok(t("1") == UINT64_MAX && t("250") == UINT64_MAX, "a bare number other than 0 refused");
	ok(t("-1s") == UINT64_MAX && t("+1s") == UINT64_MAX, "no sign");
	ok(t("1e3ms") == UINT64_MAX && t("0x10s") == UINT64_MAX, "no exponent, no hex");
	ok(t(".5s") == UINT64_MAX && t("1.s") == UINT64_MAX && t("") == UINT64_MAX,
	   "digits on both sides of the point");
	ok(t("5min") == UINT64_MAX && t("1S") == UINT64_MAX && t("2.5sx") == UINT64_MAX &&
	   t("1 s") == UINT64_MAX, "unknown units and trailing garbage refused");
	ok(strcmp(tstr(0), "0") == 0 && strcmp(tstr(2500000000ULL), "2.5s") == 0 &&
	   strcmp(tstr(250000000), "250ms") == 0 && strcmp(tstr(1500000), "1.5ms") == 0 &&
	   strcmp(tstr(7), "7ns") == 0 && strcmp(tstr(60000000000ULL), "60s") == 0,
	   "times print back as the shortest exact word");
}

/* ---- good files ---- */

static void test_good(void)
{
	int calls = 0;
	int fd;

	ok(rd("# a link that gets worse, then better\n"
	      "\n"
	      "0\tdelay 10ms rate 20mbit loss 0%\n"
	      "  250ms  delay 60ms 5ms rate 5mbit loss 1%   # trailing comment\r\n"
	      "2.5s delay 10ms rate 20mbit loss 0%\n"
	      "\t# indented comment\n"
	      "5s end"),
	   "a file with comments, blanks, tabs, a CRLF line and no final newline parses");
	is_int((long long)S.n, 3, "three steps");
	ok(S.step[0].at_ns == 0 && S.step[1].at_ns == 250000000 && S.step[2].at_ns == 2500000000ULL,
	   "offsets in nanoseconds");
	is_str(words(1), "delay 60ms 5ms rate 5mbit loss 1%", "words kept, comment and CR dropped");
	ok(S.step[1].line == 4 && S.step[2].line == 5, "steps remember their source lines");
	ok(S.has_end && S.end_ns == 5000000000ULL, "the end line sets the period");

	ok(rd("0 delay 1ms\n1s delay 2ms\n") && !S.has_end && S.end_ns == 1000000000ULL,
	   "without an end line the schedule ends at its last step");
	fd = fd_of("0 delay 1ms\n10ms delay 2ms\n", 27);
	ok(schedule_read(&S, fd, "x", fake_check, &calls, fresh()) && calls == 2,
	   "check runs once per step, with the caller's arg");
	close(fd);
	ok(schedule_parse_text(&S, "0 rate 1mbit\n1s end\n", "text", fake_check, NULL, fresh()) &&
	   S.n == 1, "the same parser over a string");
	{
		char *argv[2];

		ok(schedule_argv(&S, 0, argv, 2) == -1 && schedule_argv(&S, 1, argv, 8) == -1,
		   "schedule_argv refuses a small argv or a step out of range");
	}
}

/* ---- refusals ---- */

static void test_refusals(void)
{
	char buf[4096];
	size_t n;

	refused(RDN("0 delay 1ms\n1s de\0lay\n"), "f.sched:2: control byte \\x00", "a NUL byte (binary)");
	refused(rd("0 delay 1ms\n1s delay \x1b[31m\n"), "f.sched:2: control byte \\x1b", "an escape byte");
	refused(rd("0 delay 1ms\r1s delay 2ms\n"), "f.sched:1: carriage return inside", "a lone CR");
	refused(rd("0 delay 1ms\n2s delay 1ms\n1s delay 1ms\n"), "f.sched:3: offset not after the previous step's (2s): 1s",
		"unsorted offsets");
	refused(rd("0 delay 1ms\n1s delay 1ms\n1000ms delay 1ms\n"), "f.sched:3: offset not after", "equal offsets");
	refused(rd("0 delay 1ms\n-1s delay 1ms\n"), "f.sched:2: not an offset", "a negative offset");
	refused(rd("0 delay 1ms\n5min delay 1ms\n"), "f.sched:2: not an offset (0, or DIGITS[.DIGITS] with s, ms, us "
		"or ns, at most 7 days): 5min", "an unknown unit, named in the error");
	refused(rd("0 delay 1ms\n1s\xff delay 1ms\n"), "f.sched:2: not an offset (0, or DIGITS[.DIGITS] with s, ms, "
		"us or ns, at most 7 days): 1s\\xff", "a high byte in the offset, shown escaped");
	refused(rd("0 delay 1ms\n2.5sx delay 1ms\n"), ": 2.5sx", "trailing garbage on an offset");
	refused(rd("0 delay 1ms\n1s delay banana\n"), "f.sched:2: delay needs a value", "bad words via check");
	refused(rd("0 delay 1ms\n1s delya 1ms\n"), "f.sched:2: unknown netem word: delya", "an unknown word");
	refused(rd("0 delay 1ms\n1s\n"), "f.sched:2: no netem words after the offset 1s", "missing words");
	refused(rd("250ms delay 1ms\n"), "f.sched:1: the first step must be at offset 0", "a first offset after 0");
	refused(rd(""), "f.sched: no steps", "an empty file");
	refused(rd("# nothing\n\n"), "f.sched:2: no steps", "comments only");
	refused(rd("0 delay 1ms\n1s end\n2s delay 1ms\n"), "f.sched:3: a line after the end line", "a step after end");
	refused(rd("0 delay 1ms\n1s end now\n"), "f.sched:2: end takes no words", "words after end");
	refused(rd("0 end\n"), "f.sched:1: end before any step", "end as the first line");
	refused(rd("0 delay 1ms\n0.5s end\n1s end\n"), "f.sched:3: a line after the end line", "two end lines");

	/* the bad value is shown escaped, and so is the name */
	{
		static const char evil[] = "9\x1b[2J delay 1ms\n";
		int fd = fd_of(evil, sizeof evil - 1);

		ok(!schedule_read(&S, fd, "evil\n.sched", fake_check, NULL, fresh()) &&
		   strncmp(E.msg, "evil\\x0a.sched:1: ", 18) == 0 && !strchr(E.msg, '\x1b') && !strchr(E.msg, '\n'),
		   "the name and the value are escaped in the one-line error");
		close(fd);
	}

	/* line length: 1024 bytes are fine, 1025 are not */
	memset(buf, ' ', sizeof buf);
	memcpy(buf, "0 delay 1ms", 11);
	buf[SCHED_LINE_MAX] = '\n';
	ok(rdn(buf, SCHED_LINE_MAX + 1), "a line of exactly %d bytes", SCHED_LINE_MAX);
	buf[SCHED_LINE_MAX] = ' ';
	buf[SCHED_LINE_MAX + 1] = '\n';
	refused(rdn(buf, SCHED_LINE_MAX + 2), "f.sched:1: line longer than 1024 bytes", "a line of 1025 bytes");

	/* words per step: 64, then 66 */
	n = (size_t)snprintf(buf, sizeof buf, "0");
	for (int k = 0; k < SCHED_WORDS_MAX / 2; k++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, " delay 1ms");
	buf[n++] = '\n';
	ok(rdn(buf, n) && S.step[0].argc == SCHED_WORDS_MAX, "a step of 64 words");
	n = (size_t)snprintf(buf, sizeof buf, "0");
	for (int k = 0; k < SCHED_WORDS_MAX / 2 + 1; k++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, " delay 1ms");
	buf[n++] = '\n';
	refused(rdn(buf, n), "f.sched:1: more than 64 netem words", "too many words in a step");

	/* a read error */
	{
		int fd = fd_of("x", 1);

		close(fd);
		refused(schedule_read(&S, fd, "gone", fake_check, NULL, fresh()), "gone:1: read: ",
			"an fd that cannot be read");
		refused(schedule_read(&S, -1, "none", fake_check, NULL, fresh()), "none:1: read: ",
			"fd -1");
	}
}

/* ---- size and count limits ---- */

static void test_limits(void)
{
	size_t n = 0;
	int fd;

	/* exactly 1 MiB: one step and comment lines */
	n = (size_t)snprintf(big, sizeof big, "0 delay 1ms\n");
	while (n < SCHED_FILE_MAX) {
		size_t line = SCHED_FILE_MAX - n > 100 ? 100 : SCHED_FILE_MAX - n;

		memset(big + n, '#', line - 1);
		big[n + line - 1] = '\n';
		n += line;
	}
	ok(rdn(big, n) && S.n == 1, "a file of exactly 1 MiB is read");
	big[n++] = '\n';
	fd = fd_of(big, n);
	refused(schedule_read(&S, fd, "f.sched", fake_check, NULL, fresh()), "file larger than 1048576 bytes",
		"1 MiB + 1 byte");
	close(fd);

	/* a huge file: refused after reading at most 1 MiB + 1 bytes */
	memset(big, '#', 4 * 1024 * 1024);
	for (size_t i = 63; i < 4 * 1024 * 1024; i += 64)
		big[i] = '\n';
	fd = fd_of(big, 4 * 1024 * 1024);
	refused(schedule_read(&S, fd, "f.sched", fake_check, NULL, fresh()), "larger than", "a 4 MiB file");
	is_int((long long)lseek(fd, 0, SEEK_CUR), SCHED_FILE_MAX + 1, "of which 1 MiB + 1 bytes were read");
	close(fd);

	/* 10^6 lines: as steps they are far over 1 MiB; as empty lines they
	 * fit, and hold no step */
	n = 0;
	for (int i = 0; i < 1000000; i++)
		n += (size_t)sprintf(big + n, "%ds rate 1\n", i);
	refused(rdn(big, n), "larger than", "10^6 step lines (over 1 MiB)");
	n = 0;
	for (int i = 0; i < 1000000; i++)
		n += (size_t)sprintf(big + n, "%ds x\n", i);
	refused(rdn(big, n), "f.sched:100001: more than 100000 steps", "10^6 short step lines (steps first)");
	memset(big, '\n', 1000000);
	refused(rdn(big, 1000000), "f.sched:1000000: no steps", "10^6 empty lines");

	/* 100000 steps exactly, then one more (s offsets keep it under 1 MiB
	 * and the steps above the floor) */
	n = 0;
	for (int i = 0; i < SCHED_STEPS_MAX; i++)
		n += (size_t)sprintf(big + n, "%ds x\n", i);
	ok(n <= SCHED_FILE_MAX && rdn(big, n) && S.n == SCHED_STEPS_MAX, "100000 steps are taken");
	ok(S.step[SCHED_STEPS_MAX - 1].at_ns == (SCHED_STEPS_MAX - 1) * 1000000000ULL &&
	   strcmp(words(SCHED_STEPS_MAX - 1), "x") == 0, "and the last one is intact");
	n += (size_t)sprintf(big + n, "%ds x\n", SCHED_STEPS_MAX);
	refused(rdn(big, n), "f.sched:100001: more than 100000 steps", "100001 steps");
}

/* ---- mahimahi ---- */

static bool mm(const char *trace, uint64_t window_ms, const char *extra)
{
	int fd = fd_of(trace, strlen(trace));
	bool r = schedule_from_mahimahi(&S, fd, "t.trace", window_ms * 1000000, extra, fake_check, NULL, fresh());

	close(fd);
	return r;
}

/* "OFFSET WORDS | OFFSET WORDS | ... | END end" for compact comparisons */
static const char *dump(void)
{
	static char out[4096];
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < S.n && n < sizeof out - 200; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s %s | ", tstr(S.step[i].at_ns), words(i));
	snprintf(out + n, sizeof out - n, "%s end", tstr(S.end_ns));
	return out;
}

static void test_mahimahi(void)
{
	char tr[8192];
	size_t n = 0;

	/* 11 opportunities in 0..99 and one stamped 100 = L, which wraps to the
	 * next round's 0: 12 per 100 ms = 12 x 1500 x 8 / 0.1 */
	for (int i = 0; i < 11; i++)
		n += (size_t)sprintf(tr + n, "%d\n", i * 9);
	strcpy(tr + n, "100\n");
	ok(mm(tr, 100, NULL), "a 100 ms trace converts");
	is_str(dump(), "0 rate 1440000bit loss 0% | 100ms end", "12 opportunities per 100 ms: rate 1440000bit");

	ok(mm("1\n", 100, NULL), "mahimahi's one-line trace \"1\"");
	is_str(dump(), "0 rate 12000000bit loss 0% | 1ms end", "\"1\" is one packet a millisecond: 12 Mbit/s");

	/* three windows: 12 (with the wrap), 3, none; period 300 ms */
	n = 0;
	for (int i = 0; i < 12; i++)
		n += (size_t)sprintf(tr + n, "%d\n", i * 8);
	strcpy(tr + n, "100\n150\n150\n300\n");
	ok(mm(tr, 100, NULL), "a trace with an empty window");
	is_str(dump(), "0 rate 1560000bit loss 0% | 100ms rate 360000bit loss 0% | 200ms rate 0 loss 100% | 300ms end",
	       "13, 3 and 0 opportunities: 1560000bit, 360000bit, and an outage as loss 100%");

	/* equal windows merge; the wrap makes window 0 equal to window 1 */
	ok(mm("100\n200\n300\n350\n400\n", 100, NULL), "window 0 empty but for the wrap, then 1, 1, 2");
	is_str(dump(), "0 rate 120000bit loss 0% limit 587 | 300ms rate 240000bit loss 0% | 400ms end",
	       "consecutive equal windows are one step");
	ok(mm("50\n100\n200\n300\n400\n", 100, NULL), "window 0 gets its second opportunity from the wrap");
	is_str(dump(), "0 rate 240000bit loss 0% | 100ms rate 120000bit loss 0% limit 587 | 400ms end",
	       "the folded window 0 differs from window 1: no merge");
	ok(mm("0\n100\n150\n200\n300\n", 100, NULL) && S.n == 2 && S.step[0].at_ns == 0 &&
	   S.step[1].at_ns == 200000000,
	   "window 0 merged with the step after it starts at 0");

	/* a short last window is rated over its own length; halves round up */
	ok(mm("0\n120\n164\n", 100, NULL), "period 164 ms: the last window is 64 ms");
	is_str(dump(), "0 rate 240000bit loss 0% | 100ms rate 187504bit loss 0% limit 917 | 164ms end",
	       "1 x 1500 B / 64 ms = 23437.5 B/s, rounded to 23438 B/s = 187504bit");
	ok(mm("0\n7\n", 30, NULL), "a period shorter than the window");
	is_str(dump(), "0 rate 3428568bit loss 0% | 7ms end", "2 opportunities in 7 ms: 428571.4 B/s -> 428571 B/s");
	ok(mm("0\n0\n0\n1000\n", 1000, NULL), "repeated timestamps are several opportunities");
	is_str(dump(), "0 rate 48000bit loss 0% limit 234 | 1s end", "4 in 1 s (3 at 0, the wrap's 1): 48000bit");

	/* a long gap is one outage step */
	ok(mm("0\n5000\n", 100, NULL), "a 5 s gap");
	is_str(dump(), "0 rate 240000bit loss 0% | 100ms rate 0 loss 100% | 5s end", "the gap's windows merge into one");

	/* extra words */
	ok(mm("1\n", 100, "delay 20ms") && strcmp(words(0), "rate 12000000bit loss 0% delay 20ms") == 0,
	   "extra words are appended to every step");
	/* a step too slow to drain 1000 frames of 1532 B in 60 s gets a limit it can */
	ok(mm("100\n", 100, NULL) && strcmp(words(0), "rate 120000bit loss 0% limit 587") == 0,
	   "15000 B/s drains 587 frames of 1532 B in 60 s: limit 587");
	ok(mm("60000\n", 60000, NULL) && strcmp(words(0), "rate 200bit loss 0% limit 1") == 0,
	   "25 B/s drains no whole frame in 60 s: limit 1, not 0");
	ok(mm("100\n", 100, "limit 50") && strcmp(words(0), "rate 120000bit loss 0% limit 50") == 0,
	   "a limit in the extra words is the user's: none added");
	refused(mm("1\n", 100, "delay 20ms rate 5mbit"), "may not set rate", "extra words with rate");
	refused(mm("1\n", 100, "ra 5mbit"), "may not set rate (the trace does): ra", "an abbreviation of rate");
	refused(mm("1\n", 100, "drop 5%"), "may not set loss", "tc's synonym drop");
	refused(mm("0\n50\n200\n", 100, "delay banana"), "t.trace:3: the window at 100ms: delay needs a value",
		"bad extra words, refused by check with the window named");

	/* malformed traces */
	refused(mm("0\n5\n3\n", 100, NULL), "t.trace:3: timestamp before the previous line's (5): 3", "decreasing timestamps");
	refused(mm("0\n\n5\n", 100, NULL), "t.trace:2: empty line", "an empty line");
	refused(mm("0\n1.5\n", 100, NULL), "t.trace:2: not a millisecond timestamp (digits only): 1.5", "a fraction");
	refused(mm("0\n-1\n", 100, NULL), "t.trace:2: not a millisecond", "a sign");
	refused(mm("0\n0\n", 100, NULL), "lasts no time", "a trace whose last timestamp is 0");
	refused(mm("", 100, NULL), "t.trace: no timestamps", "an empty trace");
	refused(mm("0\n604800001\n", 100, NULL), "t.trace:2: timestamp over 7 days", "a timestamp past 7 days");
	refused(mm("1\n", 5, NULL), "from 10ms to 60s: 5ms", "a 5 ms window");
	refused(mm("1\n", 61000, NULL), "from 10ms to 60s: 61s", "a 61 s window");
	{
		int fd = fd_of("1\n", 2);

		refused(schedule_from_mahimahi(&S, fd, "t.trace", 100500000, NULL, fake_check, NULL, fresh()),
			"whole milliseconds", "a window of 100.5 ms");
		close(fd);
	}
	ok(mm("0\r\n100\r\n", 100, NULL), "CRLF traces are read too");

	/* more than 100000 steps: alternating full and empty 10 ms windows */
	n = 0;
	for (int i = 0; i <= SCHED_STEPS_MAX / 2 + 1; i++)
		n += (size_t)sprintf(big + n, "%d\n", i * 20);
	{
		int fd = fd_of(big, n);

		refused(schedule_from_mahimahi(&S, fd, "t.trace", 10000000, NULL, fake_check, NULL, fresh()),
			"more than 100000 steps: use a longer window", "a trace of 100001 steps");
		close(fd);
	}

	/* traces are streamed up to 16 MiB, and refused past it */
	n = 0;
	while (n + 2 <= (size_t)SCHED_TRACE_MAX) {
		big[n++] = '1';
		big[n++] = '\n';
	}
	{
		int fd = fd_of(big, n);

		ok(schedule_from_mahimahi(&S, fd, "t.trace", 100000000, NULL, fake_check, NULL, fresh()) &&
		   strcmp(words(0), "rate 100663296000000bit loss 0%") == 0,
		   "a 16 MiB trace is read (8 Mi opportunities in 1 ms)");
		close(fd);
		big[n++] = '1';
		fd = fd_of(big, n);
		refused(schedule_from_mahimahi(&S, fd, "t.trace", 100000000, NULL, fake_check, NULL, fresh()),
			"file larger than 16777216 bytes", "a trace over 16 MiB");
		close(fd);
	}
}

/* ---- the shipped schedules, through npte's netem grammar (shape.h) ---- */

/* The real netem grammar; *arg gets the keywords seen (shape.h's netem_kw bits). */
static bool shape_check(void *arg, int argc, char **argv, struct err *why)
{
	static struct netem_spec sp;
	unsigned *seen = arg;

	if (!netem_parse(&sp, argc, argv, 15.625, why))
		return false;
	*seen = sp.seen;
	return true;
}

static void test_shipped(void)
{
	int count = 0;

	for (const struct shipped_schedule *p = shipped_schedules; p->name; p++) {
		const char *dir[2] = {p->down, p->up};

		count++;
		ok(p->desc && p->source && strlen(p->source) > 40, "%s: a description and its sources", p->name);
		for (int d = 0; d < 2; d++) {
			unsigned seen = 0, first = 0;
			bool same = true, gaps = true;

			if (!ok(schedule_parse_text(&S, dir[d], p->name, shape_check, &seen, fresh()),
				"%s %s parses and validates", p->name, d ? "up" : "down")) {
				diag("%s", E.msg);
				continue;
			}
			/* fully specified: every step sets the same knobs */
			for (size_t i = 0; i < S.n; i++) {
				char *argv[SCHED_WORDS_MAX + 1];
				schedule_argv(&S, i, argv, SCHED_WORDS_MAX + 1);
				shape_check(&seen, S.step[i].argc, argv, fresh());
				if (i == 0)
					first = seen;
				same &= seen == first;
				if (i > 0)
					gaps &= S.step[i].at_ns - S.step[i - 1].at_ns >= 100000000;
			}
			ok(same && (first & (1U << NK_RATE)), "%s %s: every step sets the same knobs, rate among them", p->name,
			   d ? "up" : "down");
			ok(gaps && S.end_ns - S.step[S.n - 1].at_ns >= 100000000, "%s %s: steps at least 100 ms apart",
			   p->name, d ? "up" : "down");
			ok(S.has_end && S.end_ns <= 60000000000ULL, "%s %s: an end, at most 60 s", p->name,
			   d ? "up" : "down");
		}
	}
	ok(count >= 4, "at least four shipped schedules (%d)", count);
	ok(shipped_schedule_find("leo-starlink") && shipped_schedule_find("train-tunnel") &&
	   shipped_schedule_find("lte-drive") && shipped_schedule_find("wifi-congested") &&
	   !shipped_schedule_find("nope"), "shipped_schedule_find");
	{
		unsigned seen;

		ok(!schedule_parse_text(&S, "0 delay 1ms rate 5mbit\n1s delay 61s rate 5mbit\n", "x", shape_check,
					&seen, fresh()) && strstr(E.msg, "x:2: ") != NULL,
		   "the real grammar refuses a 61 s delay, naming the line");
	}
}


/* ---- the step floor (issue 21 item 7) ---- */

/* Every step of S lasts at least the floor (the last one until the end),
 * but the only step of a one-step schedule. */
static bool floor_held(void)
{
	for (size_t i = 0; S.n > 1 && i < S.n; i++) {
		uint64_t next = i + 1 < S.n ? S.step[i + 1].at_ns : S.end_ns;

		if (next - S.step[i].at_ns < SCHED_STEP_MIN_NS)
			return false;
	}
	return true;
}

static void test_floor(void)
{
	char tr[65536];
	uint64_t x = 88172645463325252ULL;

	is_int((long long)SCHED_STEP_MIN_NS, 10000000, "the floor is 10 ms");
	refused(rd("0 delay 1ms\n1ns delay 2ms\n"),
		"f.sched:2: step 2 at 1ns is 1ns after step 1 (0): a step lasts at least 10ms", "1 ns steps");
	refused(rd("0 delay 1ms\n1s delay 2ms\n1.009999999s delay 3ms\n"),
		"f.sched:3: step 3 at 1.009999999s is 9.999999ms after step 2 (1s): a step lasts at least 10ms",
		"1 ns under the floor");
	ok(rd("0 delay 1ms\n10ms delay 2ms\n20ms end\n") && S.n == 2, "steps of exactly 10 ms are taken");
	refused(rd("0 delay 1ms\n1s delay 2ms\n1005ms end\n"),
		"f.sched:3: the end at 1005ms is 5ms after step 2 (1s): a step lasts at least 10ms",
		"an end line under the floor after the last step");

	/* --loop: the last step needs its time before the round starts over */
	ok(rd("0 delay 1ms\n1s delay 2ms\n"), "an end-less schedule is fine once");
	ok(!schedule_loop_ok(&S, fresh()) &&
	   strstr(E.msg, "--loop: step 2 (line 2, at 1s) lasts 0 before the round starts over") != NULL,
	   "but not in a loop: its last step has no time (%s)", E.msg);
	ok(rd("0 delay 1ms\n1s delay 2ms\n1.01s end\n") && schedule_loop_ok(&S, fresh()),
	   "with an end 10 ms after it, it loops");
	ok(rd("0 delay 1ms\n") && schedule_loop_ok(&S, fresh()), "one step loops (it is held)");

	/* traces: a last window under the floor is folded into the one before */
	ok(mm("0\n100\n205\n", 100, NULL), "period 205 ms, window 100 ms: a 5 ms last window");
	is_str(dump(), "0 rate 240000bit loss 0% | 100ms rate 114288bit loss 0% limit 559 | 205ms end",
	       "folded into window 1: 1 x 1500 B / 105 ms = 14285.7 B/s -> 114288bit");
	ok(mm("0\n1000\n1005\n", 100, NULL), "a 5 ms last window after an outage");
	is_str(dump(), "0 rate 240000bit loss 0% | 100ms rate 0 loss 100% | 900ms rate 114288bit loss 0% limit 559 | 1.005s end",
	       "the outage keeps all but its last window, which takes the short one");
	ok(mm("0\n105\n", 100, NULL), "a 5 ms last window after window 0");
	is_str(dump(), "0 rate 228568bit loss 0% | 105ms end", "one step: 2 x 1500 B / 105 ms (with the wrap)");
	ok(mm("0\n110\n", 100, NULL) && S.n == 2, "a last window of exactly 10 ms stays a step");
	ok(mm("1\n", 10, NULL) && S.n == 1 && S.end_ns == 1000000 && schedule_loop_ok(&S, fresh()),
	   "a 1 ms trace is one step, held in a loop");

	/* random traces and windows: every step lasts the floor */
	for (int k = 0; k < 300; k++) {
		size_t n = 0;
		uint64_t t = 0, win;
		bool held;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		win = 10 + x % 200;
		for (int i = 0; i < 400 && n < sizeof tr - 32; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			t += x % 4 == 0 ? x % 300 : x % 3;
			n += (size_t)sprintf(tr + n, "%llu\n", (unsigned long long)t);
		}
		if (t == 0)
			continue;
		held = mm(tr, win, NULL) && floor_held() && schedule_loop_ok(&S, fresh());
		if (!held) {
			ok(false, "random trace %d (window %llu ms): %s", k, (unsigned long long)win, dump());
			return;
		}
	}
	ok(true, "300 random traces: every step lasts at least 10 ms, and each loops");
}

int main(void)
{
	test_times();
	test_good();
	test_refusals();
	test_limits();
	test_mahimahi();
	test_shipped();
	test_floor();
	return done_testing();
}
