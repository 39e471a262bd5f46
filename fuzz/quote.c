/*
 * libFuzzer harness for common/shquote.c, a round-trip property: the input
 * (NUL bytes dropped) is quoted with sh_quote() into a memstream and with
 * sh_quote_buf(), then read back by a small POSIX word decoder (no /bin/sh):
 * bare bytes, '...' spans and \' only. It traps unless the word decodes to
 * the input, unless every byte outside quotes is harmless bare, and unless
 * both quoting functions agree (including sh_quote_buf's truncation).
 * disp() is checked too: printable one-line output of bounded length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shquote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Bytes with no meaning to sh outside quotes in any position of a word
 * (no glob, expansion, comment, tilde, operator, blank or quote). */
static bool bare_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("@%+=:,./_-", c));
}

/*
 * Decode one shell word made of bare bytes, '...' (anything but ') and \'
 * outside quotes. Returns the decoded length, or -1 if q is not such a word
 * or has a byte that would be special unquoted.
 */
static long decode(const char *q, size_t qlen, char *out)
{
	size_t o = 0, i = 0;
	bool any = false;

	while (i < qlen) {
		unsigned char c = (unsigned char)q[i];

		if (c == '\'') {
			const char *end = memchr(q + i + 1, '\'', qlen - i - 1);

			if (!end)
				return -1; /* unterminated quote */
			memcpy(out + o, q + i + 1, (size_t)(end - q - i - 1));
			o += (size_t)(end - q - i - 1);
			i = (size_t)(end - q) + 1;
			any = true;
		} else if (c == '\\') {
			/* the only escape the scheme uses is \' */
			if (i + 1 >= qlen || q[i + 1] != '\'')
				return -1;
			out[o++] = '\'';
			i += 2;
			any = true;
		} else {
			if (!bare_ok(c))
				return -1;
			out[o++] = (char)c;
			i++;
			any = true;
		}
	}
	return any ? (long)o : -1; /* an empty quoting is no word at all */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *out, *mem = NULL, *buf, small[8];
	size_t n = 0, memlen = 0, need;
	FILE *f;
	long dlen;
	const char *d;

	s = malloc(size + 1);
	if (!s)
		abort();
	for (size_t i = 0; i < size; i++)
		if (data[i])
			s[n++] = (char)data[i];
	s[n] = '\0';

	f = open_memstream(&mem, &memlen);
	if (!f)
		abort();
	sh_quote(f, s);
	if (fclose(f) != 0)
		abort();
	TRAP_UNLESS(strlen(mem) == memlen);

	/* the round trip */
	out = malloc(memlen + 1);
	if (!out)
		abort();
	dlen = decode(mem, memlen, out);
	TRAP_UNLESS(dlen >= 0);
	TRAP_UNLESS((size_t)dlen == n && memcmp(out, s, n) == 0);
	/* safe words stay bare, everything else is quoted */
	if (sh_is_safe(s))
		TRAP_UNLESS(memlen == n && memcmp(mem, s, n) == 0);
	else
		TRAP_UNLESS(memlen >= 2 && (mem[0] == '\'' || mem[0] == '\\'));

	/* sh_quote_buf: same bytes, snprintf-like return and truncation */
	buf = malloc(memlen + 1);
	if (!buf)
		abort();
	need = sh_quote_buf(buf, memlen + 1, s);
	TRAP_UNLESS(need == memlen && memcmp(buf, mem, memlen + 1) == 0);
	need = sh_quote_buf(small, sizeof small, s);
	TRAP_UNLESS(need == memlen);
	TRAP_UNLESS(strlen(small) == (memlen < sizeof small ? memlen : sizeof small - 1));
	TRAP_UNLESS(memcmp(small, mem, strlen(small)) == 0);
	TRAP_UNLESS(sh_quote_buf(NULL, 0, s) == memlen);

	/* disp: printable ASCII only, no backslash but in \xHH, bounded */
	d = disp(s);
	TRAP_UNLESS(strlen(d) < 160);
	for (const char *p = d; *p; p++) {
		TRAP_UNLESS(*p >= 0x20 && *p < 0x7f);
		if (*p == '\\') {
			TRAP_UNLESS(p[1] == 'x');
			p++;
		}
	}

	free(buf);
	free(out);
	free(mem);
	free(s);
	return 0;
}
