/* POSIX shell quoting (bare safe words, everything else single-quoted), and JSON strings. */
#include <stdio.h>
#include <string.h>
#include "shquote.h"

/*
 * The safe set has no glob, expansion, comment, grouping, operator or quote
 * character, so a bare word is read back byte for byte by any POSIX sh.
 */
static bool safe_byte(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return true;
	return ch && strchr("@%+=:,./_-", ch) != NULL;
}

bool sh_is_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!safe_byte((unsigned char)*s))
			return false;
	return true;
}

size_t sh_quote_buf(char *buf, size_t n, const char *s)
{
	size_t len = 0;

#define PUT(ch) do { if (len + 1 < n) buf[len] = (ch); len++; } while (0)
	if (sh_is_safe(s)) {
		for (; *s; s++)
			PUT(*s);
	} else {
		PUT('\'');
		for (; *s; s++) {
			if (*s == '\'') {
				PUT('\''); PUT('\\'); PUT('\''); PUT('\'');
			} else {
				PUT(*s);
			}
		}
		PUT('\'');
	}
#undef PUT
	if (n)
		buf[len < n ? len : n - 1] = '\0';
	return len;
}

void sh_quote(FILE *f, const char *s)
{
	if (sh_is_safe(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

const char *disp(const char *s)
{
	static char bufs[4][160];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t len = 0, cap = sizeof bufs[0] - 4;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (len + 4 >= cap) {
			memcpy(b + len, "...", 4);
			return b;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			b[len++] = (char)ch;
		} else {
			snprintf(b + len, 5, "\\x%02x", ch);
			len += 4;
		}
	}
	b[len] = '\0';
	return b;
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}
