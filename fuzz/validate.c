/*
 * libFuzzer harness for common/validate.c: every validator on the input as a
 * string, with the why buffer sized by the first byte (0 included) so an
 * overrun shows up under ASan, and each accepted value checked against the
 * grammar validate.h documents.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)

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
	char *s, *why, back[64];
	size_t n, len;
	struct ipaddr a, b;
	unsigned plen, secs;
	uid_t uid;

	if (size < 1)
		return 0;
	n = data[0] % 129; /* why sizes 0..128, exact-size heap buffer */
	data++, size--;
	s = malloc(size + 1);
	why = malloc(n ? n : 1);
	if (!s || !why)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s); /* an embedded NUL ends the string, as in argv */

	if (valid_netns_name(s, why, n)) {
		TRAP_UNLESS(len >= 1 && len <= NETNS_NAME_MAX);
		TRAP_UNLESS(s[0] >= 'a' && s[0] <= 'z');
		for (size_t i = 0; i < len; i++)
			TRAP_UNLESS(lower_or_digit(s[i]));
		/* the interface made from it ("if-" + name) must be a valid ifname */
		snprintf(back, sizeof back, "if-%s", s);
		TRAP_UNLESS(valid_ifname(back, why, n));
	} else if (n) {
		TRAP_UNLESS(memchr(why, '\0', n) != NULL);
	}

	if (valid_ifname(s, why, n)) {
		TRAP_UNLESS(len >= 1 && len <= IFNAME_MAX);
		TRAP_UNLESS(s[0] != '-' && strcmp(s, ".") != 0 && strcmp(s, "..") != 0);
		for (size_t i = 0; i < len; i++)
			TRAP_UNLESS(ifname_byte(s[i]));
	} else if (n) {
		TRAP_UNLESS(memchr(why, '\0', n) != NULL);
	}

	if (parse_ip(s, &a, why, n)) {
		TRAP_UNLESS(a.family == AF_INET || a.family == AF_INET6);
		TRAP_UNLESS(!strchr(s, '%') && !strchr(s, '/'));
		/* round trip through the canonical spelling */
		TRAP_UNLESS(inet_ntop(a.family, a.a, back, sizeof back) != NULL);
		TRAP_UNLESS(parse_ip(back, &b, NULL, 0));
		TRAP_UNLESS(a.family == b.family && memcmp(a.a, b.a, sizeof a.a) == 0);
		TRAP_UNLESS(parse_ip(s, NULL, why, n));
	} else if (n) {
		TRAP_UNLESS(memchr(why, '\0', n) != NULL);
	}

	if (parse_cidr(s, &a, &plen, why, n)) {
		const char *slash = strrchr(s, '/');

		TRAP_UNLESS(slash != NULL);
		TRAP_UNLESS(canonical_dec(slash + 1));
		TRAP_UNLESS(plen <= (a.family == AF_INET ? 32U : 128U));
		TRAP_UNLESS(strtoul(slash + 1, NULL, 10) == plen);
		TRAP_UNLESS(inet_ntop(a.family, a.a, back, sizeof back) != NULL);
		TRAP_UNLESS(parse_ip(back, &b, NULL, 0));
		TRAP_UNLESS(a.family == b.family && memcmp(a.a, b.a, sizeof a.a) == 0);
		TRAP_UNLESS(parse_cidr(s, NULL, NULL, why, n));
	} else if (n) {
		TRAP_UNLESS(memchr(why, '\0', n) != NULL);
	}

	if (parse_uid(s, &uid, why, n)) {
		TRAP_UNLESS(canonical_dec(s));
		TRAP_UNLESS(uid != (uid_t)-1);
		snprintf(back, sizeof back, "%u", (unsigned)uid);
		TRAP_UNLESS(strcmp(back, s) == 0);
	} else if (n) {
		TRAP_UNLESS(memchr(why, '\0', n) != NULL);
	}

	if (parse_seconds(s, &secs, why, n)) {
		TRAP_UNLESS(canonical_dec(s));
		TRAP_UNLESS(secs <= 86400);
		snprintf(back, sizeof back, "%u", secs);
		TRAP_UNLESS(strcmp(back, s) == 0);
	} else if (n) {
		TRAP_UNLESS(memchr(why, '\0', n) != NULL);
	}

	free(why);
	free(s);
	return 0;
}
