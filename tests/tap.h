/*
 * A tiny TAP producer for the C unit tests; prove is the harness.
 *
 * Plan-less: each test prints "ok N - name" as it goes and done_testing()
 * prints "1..N" last, so a test that dies half-way leaves no plan and prove
 * reports it. Everything is static inline (not plain static) so that a test
 * using only some of these does not trip -Wunused-function under -Werror.
 * Diagnostics go to stderr, so the TAP stream on stdout stays parseable;
 * every line is flushed at once so output stays ordered across fork().
 *
 * Usage:
 *	int main(void)
 *	{
 *		is_int(parse_ms("20ms"), 20000000, "20ms");
 *		skip(1, "needs CAP_NET_ADMIN");
 *		return done_testing();
 *	}
 */
#ifndef NPTE_TAP_H
#define NPTE_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_state {
	unsigned run;    /* assertions printed so far */
	unsigned failed; /* of which "not ok" */
};

/* The state lives in a function so the header defines no object that a
 * test could leave unused. */
static inline struct tap_state *tap_state(void)
{
	static struct tap_state st;

	return &st;
}

/*
 * Print s for a TAP line or a diagnostic: printable ASCII as is, the usual C
 * escapes for \n \t \r, and \xHH for every other byte, so a newline never
 * reaches the stream raw (it would end the line). In a description '#'
 * becomes TAP's "\#", or "rejects #x skip" could read as a directive, and a
 * backslash passes through (it is the test's own escaping); in got/want a
 * backslash is doubled so the value reads unambiguously.
 */
static inline void tap_put_escaped(FILE *f, const char *s, bool in_desc)
{
	if (!s) {
		fputs("(null)", f);
		return;
	}
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		case '\\':
			/* Names are already escaped by their tests; got/want are raw. */
			fputs(in_desc ? "\\" : "\\\\", f);
			break;
		case '#':
			fputs(in_desc ? "\\#" : "#", f);
			break;
		default:
			if (ch >= 0x20 && ch < 0x7f)
				fputc(ch, f);
			else
				fprintf(f, "\\x%02x", ch);
		}
	}
}

/* The core of every assertion: one "ok"/"not ok" line with a formatted name. */
static inline bool tap_vok(bool cond, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static inline bool tap_vok(bool cond, const char *fmt, va_list ap)
{
	struct tap_state *st = tap_state();
	char name[1024];

	vsnprintf(name, sizeof name, fmt, ap);
	st->run++;
	if (!cond)
		st->failed++;
	fflush(stderr);
	printf("%sok %u - ", cond ? "" : "not ", st->run);
	tap_put_escaped(stdout, name, true);
	fputc('\n', stdout);
	fflush(stdout);
	return cond;
}

/* One line "# ..." on stderr. Formatted text is printed as is, except that
 * every embedded newline starts a new "# " line. */
static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fputs("# ", stderr);
	for (const char *p = buf; *p; p++) {
		fputc(*p, stderr);
		if (*p == '\n' && p[1])
			fputs("# ", stderr);
	}
	if (!*buf || buf[strlen(buf) - 1] != '\n')
		fputc('\n', stderr);
	fflush(stderr);
}

static inline bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline bool is_int(long long got, long long want, const char *name)
{
	bool r = ok(got == want, "%s", name);

	if (!r) {
		fflush(stdout);
		fprintf(stderr, "#   Failed test '");
		tap_put_escaped(stderr, name, false);
		fprintf(stderr, "'\n#          got: %lld\n#     expected: %lld\n", got, want);
		fflush(stderr);
	}
	return r;
}

/* NULL equals only NULL; both are shown escaped and quoted, so a stray
 * control byte or trailing space is visible in the diagnostic. */
static inline bool is_str(const char *got, const char *want, const char *name)
{
	bool same = (got && want) ? strcmp(got, want) == 0 : got == want;
	bool r = ok(same, "%s", name);

	if (!r) {
		fflush(stdout);
		fputs("#   Failed test '", stderr);
		tap_put_escaped(stderr, name, false);
		fputs("'\n#          got: ", stderr);
		if (got) {
			fputc('"', stderr);
			tap_put_escaped(stderr, got, false);
			fputc('"', stderr);
		} else {
			fputs("NULL", stderr);
		}
		fputs("\n#     expected: ", stderr);
		if (want) {
			fputc('"', stderr);
			tap_put_escaped(stderr, want, false);
			fputc('"', stderr);
		} else {
			fputs("NULL", stderr);
		}
		fputc('\n', stderr);
		fflush(stderr);
	}
	return r;
}

/* n assertions that could not run here, each "ok N # skip reason". */
static inline void skip(unsigned n, const char *reason)
{
	struct tap_state *st = tap_state();

	while (n--) {
		st->run++;
		printf("ok %u # skip ", st->run);
		tap_put_escaped(stdout, reason, true);
		fputc('\n', stdout);
		fflush(stdout);
	}
}

/* The whole test cannot run here: "1..0 # skip reason", then exit 0. Call it
 * before any assertion (a plan of 0 after assertions is a wrong plan). */
static inline _Noreturn void skip_all(const char *reason)
{
	printf("1..0 # skip ");
	tap_put_escaped(stdout, reason, true);
	fputc('\n', stdout);
	fflush(stdout);
	exit(0);
}

/* Print the plan; the exit status for main: 0 only when nothing failed. */
static inline int done_testing(void)
{
	struct tap_state *st = tap_state();

	printf("1..%u\n", st->run);
	fflush(stdout);
	if (st->failed) {
		diag("Looks like you failed %u test%s of %u.", st->failed,
		     st->failed == 1 ? "" : "s", st->run);
		return 1;
	}
	return 0;
}

#endif
