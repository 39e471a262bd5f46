/* POSIX shell quoting (bare safe words, everything else single-quoted, with
 * the bytes a terminal would act on spelled by printf), and JSON strings. */
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

/*
 * What may stand raw inside single quotes of a script that is viewed and
 * pasted: printable ASCII and the newline. Any other byte is one a terminal
 * or a line editor acts on (VKILL, VWERASE, VINTR and VSUSP erase the line
 * or send a signal, ESC [201~ ends a bracketed paste, OSC and CSI change the
 * terminal, CR becomes a newline through ICRNL, a tab completes), or part of
 * a character that the terminal, not the shell, gets to interpret.
 */
bool sh_byte_plain(unsigned char ch)
{
	return (ch >= 0x20 && ch <= 0x7e) || ch == '\n';
}

/* Where the quoted bytes go: a FILE, or a buffer cut like snprintf's. */
struct sink {
	FILE *f;
	char *buf;
	size_t n, len;
};

static void put(struct sink *k, const char *s, size_t len)
{
	if (k->f)
		fwrite(s, 1, len, k->f);
	for (size_t i = 0; !k->f && i < len; i++)
		if (k->len + i + 1 < k->n)
			k->buf[k->len + i] = s[i];
	k->len += len;
}

/* The pieces of the printf form and their lengths, which sh_quote_fit counts. */
#define PF_OPEN "\"$(printf '"
#define PF_CLOSE "')\""
#define PF_COST (sizeof PF_OPEN - 1 + sizeof PF_CLOSE - 1)
#define PF_BYTE 4 /* \ooo */
#define SQ_QUOTE 4 /* ' as '\'' */

/*
 * Runs of plain bytes go in single quotes; each run of other bytes becomes
 * "$(printf '\ooo...')": octal escapes only, so printf's format holds no %,
 * and no newline, so the command substitution has no trailing newline to
 * strip. Double quotes keep the result one field, unglobbed. The pieces
 * abut, so the shell joins them into one word.
 */
static void encode(struct sink *k, const char *s)
{
	if (sh_is_safe(s)) {
		put(k, s, strlen(s));
		return;
	}
	if (!*s)
		put(k, "''", 2);
	while (*s) {
		if (sh_byte_plain((unsigned char)*s)) {
			put(k, "'", 1);
			for (; *s && sh_byte_plain((unsigned char)*s); s++)
				put(k, *s == '\'' ? "'\\''" : s, *s == '\'' ? SQ_QUOTE : 1);
			put(k, "'", 1);
		} else {
			put(k, PF_OPEN, sizeof PF_OPEN - 1);
			for (; *s && !sh_byte_plain((unsigned char)*s); s++) {
				char oct[PF_BYTE + 1];

				snprintf(oct, sizeof oct, "\\%03o", (unsigned char)*s);
				put(k, oct, PF_BYTE);
			}
			put(k, PF_CLOSE, sizeof PF_CLOSE - 1);
		}
	}
}

size_t sh_quote_buf(char *buf, size_t n, const char *s)
{
	struct sink k = {.buf = buf, .n = n};

	encode(&k, s);
	if (n)
		buf[k.len < n ? k.len : n - 1] = '\0';
	return k.len;
}

void sh_quote(FILE *f, const char *s)
{
	struct sink k = {.f = f};

	encode(&k, s);
}

/*
 * The same costs as encode, run by run, without writing: a safe prefix is
 * counted as if quoted, so the sum is an upper bound of sh_quote_buf's length.
 */
size_t sh_quote_fit(const char *s, size_t room)
{
	size_t n = 0, cost = 0;
	int run = -1; /* 1 inside a plain run, 0 inside a printf run */

	for (; s[n]; n++) {
		int plain = sh_byte_plain((unsigned char)s[n]);
		size_t c = plain ? (s[n] == '\'' ? SQ_QUOTE : 1) : PF_BYTE;

		if (plain != run)
			c += plain ? 2 : PF_COST;
		if (cost + c > room)
			break;
		cost += c;
		run = plain;
	}
	return n;
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
