/* Errors: one line on stderr, prefixed with the program name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"

const char *prog = "npte";

/*
 * The last line of defence for a caller's terminal: values are shown through
 * disp() where they are formatted, and whatever still carries a control or
 * non-ASCII byte is written as \xHH here. Newlines stay: a usage text follows
 * some messages on purpose, and no value reaches here unescaped with one.
 */
static void put_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 0x20 && *p < 0x7f) || *p == '\n')
			fputc(*p, stderr);
		else
			fprintf(stderr, "\\x%02x", *p);
	}
}

static void vline(const char *fmt, va_list ap, int errnum)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "%s: ", prog);
	put_safe(msg);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
	fflush(stderr);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap, 0);
	va_end(ap);
	exit(code);
}

void die_errno(int code, const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	vline(fmt, ap, errnum);
	va_end(ap);
	exit(code);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap, 0);
	va_end(ap);
}

/* The first error wins: a later one (often a consequence) keeps the cause. */
static int verr(struct err *e, int code, int errnum, const char *fmt, va_list ap)
{
	size_t len;

	if (!e)
		return code;
	if (e->code)
		return e->code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	if (errnum) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof e->msg - len, ": %s", strerror(errnum));
	}
	e->code = code;
	e->errnum = errnum;
	return code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = verr(e, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int err_sys(struct err *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = verr(e, code, errnum, fmt, ap);
	va_end(ap);
	return code;
}
