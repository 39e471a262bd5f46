/*
 * libFuzzer harness for common/escape.c, a round-trip property: the input
 * (NUL bytes dropped) is quoted with sh_quote() into a memstream and with
 * sh_quote_buf(), then read back by a small POSIX word decoder (no /bin/sh):
 * bare bytes, '...' spans, \' and at most one "$(printf '...')" a word. It
 * traps unless every byte of the quoting is plain (0x20..0x7e or a newline:
 * the preview is safe to view and paste), unless the word decodes to the
 * input, unless every byte outside quotes is harmless bare, unless '...'
 * holds only plain bytes, unless the printf form's format spells % and \
 * doubled, ', a leading - and the other bytes as \ooo (and holds one of
 * those, and prints no trailing newline for the command substitution to
 * strip), and unless both quoting functions agree (including sh_quote_buf's
 * truncation). sh_quote_wrap must decode the same, on lines of its width.
 * sh_quote_fit's prefix must quote within its room. disp() is checked too:
 * printable one-line output of bounded length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Bytes with no meaning to sh outside quotes in any position of a word
 * (no glob, expansion, comment, tilde, operator, blank or quote). */
static bool bare_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("@%+=:,./_-", c));
}

/* The preview's bytes, apart from the code under test. */
static bool plain(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e) || c == '\n';
}

#define PF_OPEN "\"$(printf '"
#define PF_CLOSE "')\""

/* One spelling in printf's format at q: \ooo (only for ', a leading - and
 * the bytes single quotes cannot show), %%, \\ or a plain byte itself. */
static size_t decode_unit(const char *q, size_t qlen, bool first, char *c)
{
	unsigned v = 0;

	if (q[0] == '%' || q[0] == '\\') {
		if (qlen < 2 || (q[1] != q[0] && q[0] == '%'))
			return 0;
		if (q[1] == q[0]) {
			*c = q[0];
			return 2;
		}
		for (int k = 1; k <= 3; k++) {
			if ((size_t)k >= qlen || q[k] < '0' || q[k] > '7')
				return 0;
			v = v * 8 + (unsigned)(q[k] - '0');
		}
		if (!v || v > 0xff || (plain((unsigned char)v) && v != '\'' && !(first && v == '-')))
			return 0;
		*c = (char)v;
		return 4;
	}
	if (q[0] == '\'' || (first && q[0] == '-'))
		return 0;
	*c = q[0];
	return 1;
}

/*
 * Decode "$(printf '...')" at q, its format broken by '\<newline>' anywhere
 * between spellings; returns its length in q, or 0. What it prints must hold
 * a byte that needs printf (else single quotes do) and must not end in a
 * newline, which the command substitution would strip.
 */
static size_t decode_printf(const char *q, size_t qlen, char *out, size_t *o)
{
	size_t i = strlen(PF_OPEN), start = *o;
	bool other = false;

	if (qlen < i || memcmp(q, PF_OPEN, i) != 0)
		return 0;
	while (i < qlen && !(q[i] == '\'' && qlen - i >= strlen(PF_CLOSE) &&
			     memcmp(q + i, PF_CLOSE, strlen(PF_CLOSE)) == 0)) {
		size_t u;

		if (qlen - i >= 4 && memcmp(q + i, "'\\\n'", 4) == 0) {
			i += 4;
			continue;
		}
		u = decode_unit(q + i, qlen - i, *o == start, &out[*o]);
		if (!u)
			return 0;
		other |= !plain((unsigned char)out[*o]);
		(*o)++;
		i += u;
	}
	if (i >= qlen || !other || out[*o - 1] == '\n')
		return 0;
	return i + strlen(PF_CLOSE);
}

/*
 * Decode one shell word made of bare bytes, '...' (plain bytes but '),
 * \' and the printf form outside quotes. Returns the decoded length, or -1
 * if q is not such a word or has a byte that would be special unquoted.
 */
static long decode(const char *q, size_t qlen, char *out)
{
	size_t o = 0, i = 0;
	bool any = false;
	int forms = 0;

	while (i < qlen) {
		unsigned char c = (unsigned char)q[i];
		size_t pf;

		if (c == '\'') {
			const char *end = memchr(q + i + 1, '\'', qlen - i - 1);

			if (!end)
				return -1; /* unterminated quote */
			for (const char *p = q + i + 1; p < end; p++)
				if (!plain((unsigned char)*p))
					return -1;
			memcpy(out + o, q + i + 1, (size_t)(end - q - i - 1));
			o += (size_t)(end - q - i - 1);
			i = (size_t)(end - q) + 1;
			any = true;
		} else if (c == '"') {
			pf = decode_printf(q + i, qlen - i, out, &o);
			if (!pf || forms++)
				return -1; /* one command substitution a word, at most */
			i += pf;
			any = true;
		} else if (c == '\\') {
			/* the scheme's escapes: \' and a line continuation */
			if (i + 1 >= qlen || (q[i + 1] != '\'' && q[i + 1] != '\n'))
				return -1;
			if (q[i + 1] == '\'')
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
	/* the preview property: nothing for a terminal or line editor to act on */
	for (size_t i = 0; i < memlen; i++)
		TRAP_UNLESS(plain((unsigned char)mem[i]));

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
		TRAP_UNLESS(memlen >= 2 && (mem[0] == '\'' || mem[0] == '"'));

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

	/* sh_quote_wrap: the same word, on lines of at most its width */
	if (size) {
		size_t width = 18 + data[0] % 64, col = 0;

		free(mem);
		mem = NULL;
		f = open_memstream(&mem, &memlen);
		if (!f)
			abort();
		sh_quote_wrap(f, s, 0, width);
		if (fclose(f) != 0)
			abort();
		for (size_t i = 0; i < memlen; i++) {
			col = mem[i] == '\n' ? 0 : col + 1;
			TRAP_UNLESS(plain((unsigned char)mem[i]) && (col <= width || sh_is_safe(s)));
		}
		free(out);
		out = malloc(memlen + 1);
		if (!out)
			abort();
		dlen = decode(mem, memlen, out);
		TRAP_UNLESS((size_t)dlen == n && memcmp(out, s, n) == 0);
	}

	/* sh_quote_fit: its prefix, quoted alone, takes at most the room */
	for (size_t room = 0; room <= 40 && n; room += 7) {
		size_t k = sh_quote_fit(s, room);
		char *pre;

		TRAP_UNLESS(k <= n);
		pre = strndup(s, k);
		if (!pre)
			abort();
		TRAP_UNLESS(!k || sh_quote_buf(NULL, 0, pre) <= room);
		free(pre);
	}

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
