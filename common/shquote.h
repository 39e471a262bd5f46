/* Quoting for what npte prints: POSIX shell words for the dry-run script, JSON
 * strings for --json, and safe display of bad values. */
#ifndef NPTE_SHQUOTE_H
#define NPTE_SHQUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True if every byte of s is in [A-Za-z0-9@%+=:,./_-] and s is not empty. */
bool sh_is_safe(const char *s);
/*
 * Write s as one shell word: bare when sh_is_safe(), otherwise inside single
 * quotes with ' spelled '\'' ; the empty word is ''.
 */
void sh_quote(FILE *f, const char *s);
/* Same into buf; returns the length needed (like snprintf). */
size_t sh_quote_buf(char *buf, size_t n, const char *s);

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
