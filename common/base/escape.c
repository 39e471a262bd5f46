/* POSIX shell quoting (bare safe words, everything else single-quoted, with
 * the bytes a terminal would act on spelled by printf), and JSON strings. */
#include <stdio.h>
#include <string.h>
#include "base/escape.h"

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

/* Where the quoted bytes go: a FILE, or a buffer cut like snprintf's; the
 * column, when width is set, to break long quotes at. */
struct sink {
	FILE *f;
	char *buf;
	size_t n, len;
	size_t width, col;
};

static void put(struct sink *k, const char *s, size_t len)
{
	if (k->f)
		fwrite(s, 1, len, k->f);
	for (size_t i = 0; !k->f && i < len; i++)
		if (k->len + i + 1 < k->n)
			k->buf[k->len + i] = s[i];
	for (size_t i = 0; i < len; i++)
		k->col = s[i] == '\n' ? 0 : k->col + 1;
	k->len += len;
}

bool sh_needs_printf(const char *s)
{
	for (; *s; s++)
		if (!sh_byte_plain((unsigned char)*s))
			return true;
	return false;
}

/* The pieces of the printf form and their lengths, which sh_quote_fit counts. */
#define PF_OPEN "\"$(printf '"
#define PF_CLOSE "')\""
#define PF_COST (sizeof PF_OPEN - 1 + sizeof PF_CLOSE - 1)
#define PF_BYTE 4 /* \ooo */
#define SQ_QUOTE 4 /* ' as '\'' */
#define BREAK "'\\\n'" /* out of the quote, a line continuation, back in */

/* Byte c of a single-quoted span. */
static size_t sq_unit(char c, char u[PF_BYTE + 1])
{
	if (c == '\'') {
		memcpy(u, "'\\''", SQ_QUOTE);
		return SQ_QUOTE;
	}
	u[0] = c;
	return 1;
}

/*
 * Byte i of printf's format: % and \ doubled, ' and every byte that is not
 * plain as \ooo (exactly three digits, so a digit after it stays a digit),
 * and a leading - too, which printf would take for an option.
 */
static size_t fmt_unit(const char *s, size_t i, char u[PF_BYTE + 1])
{
	unsigned char c = (unsigned char)s[i];

	if (c == '%' || c == '\\') {
		u[0] = u[1] = (char)c;
		return 2;
	}
	if (c == '\'' || !sh_byte_plain(c) || (!i && c == '-')) {
		snprintf(u, PF_BYTE + 1, "\\%03o", c);
		return PF_BYTE;
	}
	u[0] = (char)c;
	return 1;
}

/*
 * len bytes of s in single quotes, or as printf's format in "$(printf '...')".
 * With a width, a line that would pass it (with room for the close and the
 * quote of a tail after it, or for the break's quote and backslash) is broken
 * between two bytes' spellings by '\<newline>': outside the quotes, the shell
 * removes it and joins the parts. A newline needs no break: it ends the line.
 */
static void encode_span(struct sink *k, const char *s, size_t len, bool pf)
{
	size_t close = pf ? sizeof PF_CLOSE : 2;

	put(k, pf ? PF_OPEN : "'", pf ? sizeof PF_OPEN - 1 : 1);
	for (size_t i = 0; i < len; i++) {
		char u[PF_BYTE + 1];
		size_t ul = pf ? fmt_unit(s, i, u) : sq_unit(s[i], u);

		if (k->width && s[i] != '\n' && k->col + ul + close > k->width)
			put(k, BREAK, sizeof BREAK - 1);
		put(k, u, ul);
	}
	put(k, pf ? PF_CLOSE : "'", pf ? sizeof PF_CLOSE - 1 : 1);
}

/*
 * A word of plain bytes goes in single quotes. A word with any other byte is
 * one "$(printf '...')", the whole word its format, so a shell runs one
 * command substitution per word however many such bytes it holds (dash
 * overflows its stack on thousands in one word). The substitution would strip
 * trailing newlines, so they follow in single quotes. Double quotes keep the
 * result one field, unglobbed; the pieces abut, so the shell joins them.
 */
static void encode(struct sink *k, const char *s)
{
	size_t len = strlen(s), body = len;

	if (sh_is_safe(s)) {
		put(k, s, len);
		return;
	}
	if (!sh_needs_printf(s)) {
		encode_span(k, s, len, false);
		return;
	}
	while (s[body - 1] == '\n') /* stops at the byte that needs printf */
		body--;
	encode_span(k, s, body, true);
	if (body < len)
		encode_span(k, s + body, len - body, false);
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

size_t sh_quote_wrap(FILE *f, const char *s, size_t col, size_t width)
{
	struct sink k = {.f = f, .width = width, .col = col};

	encode(&k, s);
	return k.col;
}

/*
 * The length encode gives each prefix, byte by byte, without writing (a safe
 * prefix is counted as if quoted, so it is an upper bound there): the
 * single-quoted form until a byte needs printf, then the printf form, whose
 * trailing newlines cost a quoted tail and cost 1 each once a byte follows.
 */
size_t sh_quote_fit(const char *s, size_t room)
{
	size_t n = 0, sq = 2, fmt = 0, nl = 0;
	bool pf = false;

	for (; s[n]; n++) {
		char u[PF_BYTE + 1];
		size_t cost;

		sq += sq_unit(s[n], u);
		if (s[n] == '\n') {
			nl++;
		} else {
			fmt += nl + fmt_unit(s, n, u);
			nl = 0;
		}
		pf |= !sh_byte_plain((unsigned char)s[n]);
		cost = pf ? PF_COST + fmt + (nl ? nl + 2 : 0) : sq;
		if (cost > room)
			break;
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
