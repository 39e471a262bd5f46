/* Quoting for what npte prints: POSIX shell words for the dry-run script, JSON
 * strings for --json, and safe display of bad values. */
#ifndef NPTE_ESCAPE_H
#define NPTE_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True if every byte of s is in [A-Za-z0-9@%+=:,./_-] and s is not empty. */
bool sh_is_safe(const char *s);
/* True for the bytes a script may hold raw: 0x20..0x7e and the newline. */
bool sh_byte_plain(unsigned char ch);
/* True if some byte of s is not sh_byte_plain(). */
bool sh_needs_printf(const char *s);
/*
 * Write s as one shell word of plain bytes only: bare when sh_is_safe(),
 * otherwise inside single quotes with ' spelled '\'' (the empty word is ''),
 * or, when sh_needs_printf(s), as one "$(printf '...')" whose format is the
 * word (% as %%, \ as \\, ', a leading - and the bytes that are not plain as
 * \ooo) up to its trailing newlines, which follow in single quotes. Any
 * POSIX sh reads back s byte for byte.
 */
void sh_quote(FILE *f, const char *s);
/* Same into buf; returns the length needed (like snprintf). */
size_t sh_quote_buf(char *buf, size_t n, const char *s);
/* How many leading bytes of s, quoted alone, take at most room bytes. */
size_t sh_quote_fit(const char *s, size_t room);
/*
 * Like sh_quote, written from column col: a quoted span that would pass
 * width is broken by '\<newline>' between the spellings of two bytes (an
 * opening quote or printf may still pass it when col is near width).
 * Returns the column after the word.
 */
size_t sh_quote_wrap(FILE *f, const char *s, size_t col, size_t width);

/*
 * A one-line, printable rendering of an untrusted value for error messages:
 * printable ASCII is kept, every other byte becomes \xHH, and long values are
 * cut with "...". Returns one of a few rotating static buffers, so up to four
 * results may be used in one printf.
 */
const char *disp(const char *s);

/* A JSON string literal, with every non-printable or non-ASCII byte escaped. */
void json_str(FILE *f, const char *s);

#endif
