/* Quoting for what npte prints: POSIX shell words for the dry-run script, JSON
 * strings for --json, and safe display of bad values. */
#ifndef NPTE_SHQUOTE_H
#define NPTE_SHQUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True if every byte of s is in [A-Za-z0-9@%+=:,./_-] and s is not empty. */
bool sh_is_safe(const char *s);
/* True for the bytes a script may hold raw: 0x20..0x7e and the newline. */
bool sh_byte_plain(unsigned char ch);
/*
 * Write s as one shell word of plain bytes only: bare when sh_is_safe(),
 * otherwise inside single quotes with ' spelled '\'' (the empty word is ''),
 * and each run of bytes that are not sh_byte_plain() written between the
 * quotes as "$(printf '\ooo...')". Any POSIX sh reads back s byte for byte.
 */
void sh_quote(FILE *f, const char *s);
/* Same into buf; returns the length needed (like snprintf). */
size_t sh_quote_buf(char *buf, size_t n, const char *s);
/* How many leading bytes of s, quoted alone, take at most room bytes. */
size_t sh_quote_fit(const char *s, size_t room);

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
