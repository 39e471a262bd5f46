/*
 * libFuzzer harness for common/base/validate.c: every validator on the input
 * as a string, given an err or NULL as the first byte says, a refusal
 * checked for its exit-2 reason, and each accepted value checked against
 * the grammar validate.h documents.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)
/* An err cleared for the next call, or NULL as given. */
#define FRESH(ep) ((ep) ? (*(ep) = (struct err){0}, (ep)) : NULL)
/* A refusal leaves an exit-2 reason, terminated, in an err it was given. */
#define REFUSED(ep) (!(ep) || ((ep)->code == EXIT_USAGE && (ep)->msg[0] && memchr((ep)->msg, '\0', sizeof (ep)->msg)))

static bool lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool ifname_byte(char c)
{
	return lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c == '-';
}

/* s is canonical decimal: digits, no leading zero (except "0"). */
static bool canonical_dec(const char *s)
{
	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, back[64];
	struct err e, *ep;
	size_t len;
	struct ipaddr a, b;
	unsigned plen, secs;
	uid_t uid;

	if (size < 1)
		return 0;
	ep = data[0] & 1 ? &e : NULL; /* NULL: the verdict alone */
	data++, size--;
	s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s); /* an embedded NUL ends the string, as in argv */

	if (valid_netns_name(s, FRESH(ep))) {
		TRAP_UNLESS(len >= 1 && len <= NETNS_NAME_MAX);
		TRAP_UNLESS(s[0] >= 'a' && s[0] <= 'z');
		for (size_t i = 0; i < len; i++)
			TRAP_UNLESS(lower_or_digit(s[i]));
		/* the interface made from it ("if-" + name) must be a valid ifname */
		snprintf(back, sizeof back, "if-%s", s);
		TRAP_UNLESS(valid_ifname(back, FRESH(ep)));
	} else {
		TRAP_UNLESS(REFUSED(ep));
	}

	if (valid_ifname(s, FRESH(ep))) {
		TRAP_UNLESS(len >= 1 && len <= IFNAME_MAX);
		TRAP_UNLESS(s[0] != '-' && strcmp(s, ".") != 0 && strcmp(s, "..") != 0);
		for (size_t i = 0; i < len; i++)
			TRAP_UNLESS(ifname_byte(s[i]));
	} else {
		TRAP_UNLESS(REFUSED(ep));
	}

	if (parse_ip(s, &a, FRESH(ep))) {
		TRAP_UNLESS(a.family == AF_INET || a.family == AF_INET6);
		TRAP_UNLESS(!strchr(s, '%') && !strchr(s, '/'));
		/* round trip through the canonical spelling */
		TRAP_UNLESS(inet_ntop(a.family, a.a, back, sizeof back) != NULL);
		TRAP_UNLESS(parse_ip(back, &b, NULL));
		TRAP_UNLESS(a.family == b.family && memcmp(a.a, b.a, sizeof a.a) == 0);
		TRAP_UNLESS(parse_ip(s, NULL, FRESH(ep)));
	} else {
		TRAP_UNLESS(REFUSED(ep));
	}

	if (parse_cidr(s, &a, &plen, FRESH(ep))) {
		const char *slash = strrchr(s, '/');

		TRAP_UNLESS(slash != NULL);
		TRAP_UNLESS(canonical_dec(slash + 1));
		TRAP_UNLESS(plen <= (a.family == AF_INET ? 32U : 128U));
		TRAP_UNLESS(strtoul(slash + 1, NULL, 10) == plen);
		TRAP_UNLESS(inet_ntop(a.family, a.a, back, sizeof back) != NULL);
		TRAP_UNLESS(parse_ip(back, &b, NULL));
		TRAP_UNLESS(a.family == b.family && memcmp(a.a, b.a, sizeof a.a) == 0);
		TRAP_UNLESS(parse_cidr(s, NULL, NULL, FRESH(ep)));
	} else {
		TRAP_UNLESS(REFUSED(ep));
	}

	if (parse_uid(s, &uid, FRESH(ep))) {
		TRAP_UNLESS(canonical_dec(s));
		TRAP_UNLESS(uid != (uid_t)-1);
		snprintf(back, sizeof back, "%u", (unsigned)uid);
		TRAP_UNLESS(strcmp(back, s) == 0);
	} else {
		TRAP_UNLESS(REFUSED(ep));
	}

	if (parse_seconds(s, &secs, FRESH(ep))) {
		TRAP_UNLESS(canonical_dec(s));
		TRAP_UNLESS(secs <= 86400);
		snprintf(back, sizeof back, "%u", secs);
		TRAP_UNLESS(strcmp(back, s) == 0);
	} else {
		TRAP_UNLESS(REFUSED(ep));
	}

	free(s);
	return 0;
}
