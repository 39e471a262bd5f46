/* Errors: one line on stderr, prefixed with the program name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"

const char *prog = "npte";

static void vline(const char *fmt, va_list ap, int errnum)
{
	char msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (errnum)
		fprintf(stderr, "%s: %s: %s\n", prog, msg, strerror(errnum));
	else
		fprintf(stderr, "%s: %s\n", prog, msg);
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

void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap, 0);
	va_end(ap);
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e->code)
		return e->code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

int err_sys(struct err *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (e->code)
		return e->code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	snprintf(e->msg + len, sizeof e->msg - len, ": %s", strerror(errnum));
	e->code = code;
	return code;
}
