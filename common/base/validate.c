/* Validators: allowlists, not blocklists (SECURITY.md: name injection). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/validate.h"

static bool fail(struct err *e, const char *reason)
{
	err_set(e, EXIT_USAGE, "%s", reason);
	return false;
}

/*
 * Words that iproute2 parses as keywords where our dry-run script puts a
 * namespace name: "ip netns del all" deletes every namespace, "help" prints
 * usage. "host" is kept free because if-host is the gateway's interface.
 */
static const char *const reserved[] = {
	"all", "help", "list", "show", "add", "del", "delete", "exec", "set", "attach",
	"identify", "pids", "monitor", "dev", "default", "none", "host", NULL,
};

bool valid_netns_name(const char *s, struct err *e)
{
	size_t len = strlen(s);

	if (len == 0)
		return fail(e, "namespace name is empty");
	if (len > NETNS_NAME_MAX)
		return fail(e, "namespace name exceeds 12 bytes");
	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return fail(e, "namespace name must match ^[a-z][a-z0-9]*$");
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return fail(e, "namespace name must match ^[a-z][a-z0-9]*$");
	for (size_t i = 0; reserved[i]; i++)
		if (strcmp(s, reserved[i]) == 0)
			return fail(e, "namespace name is a reserved iproute2 word");
	return true;
}

bool valid_ifname(const char *s, struct err *e)
{
	size_t len = strlen(s);

	if (len == 0)
		return fail(e, "interface name is empty");
	if (len > IFNAME_MAX)
		return fail(e, "interface name exceeds 15 bytes");
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return fail(e, "interface name must not be . or ..");
	if (s[0] == '-')
		return fail(e, "interface name must not start with -");
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return fail(e, "interface name must match ^[A-Za-z0-9_.-]+$");
	}
	return true;
}

bool parse_ip(const char *s, struct ipaddr *out, struct err *e)
{
	struct ipaddr a = {0};

	if (!*s)
		return fail(e, "address is empty");
	if (strchr(s, '%'))
		return fail(e, "address must not carry an IPv6 zone");
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.a) != 1)
			return fail(e, "not an IPv6 address");
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.a) != 1)
			return fail(e, "not an IPv4 address");
		a.family = AF_INET;
	}
	if (out)
		*out = a;
	return true;
}

/* Decimal without sign, spaces or leading zeros, at most max. */
static bool parse_dec(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return true;
}

bool parse_cidr(const char *s, struct ipaddr *out, unsigned *plen, struct err *e)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	unsigned long long len;
	struct ipaddr a;

	if (!slash)
		return fail(e, "CIDR needs a prefix length (ADDR/LEN)");
	if ((size_t)(slash - s) >= sizeof addr)
		return fail(e, "CIDR address is too long");
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (!parse_ip(addr, &a, e))
		return false;
	if (!parse_dec(slash + 1, a.family == AF_INET ? 32 : 128, &len))
		return fail(e, a.family == AF_INET ? "prefix length must be 0..32"
							: "prefix length must be 0..128");
	if (out)
		*out = a;
	if (plen)
		*plen = (unsigned)len;
	return true;
}

bool parse_uid(const char *s, uid_t *out, struct err *e)
{
	unsigned long long v;

	/* (uid_t)-1 means "unchanged" to setresuid (CVE-2019-14287): never a uid. */
	if (!parse_dec(s, (uid_t)-2, &v))
		return fail(e, "uid must be a decimal number below 4294967295");
	if (out)
		*out = (uid_t)v;
	return true;
}

bool parse_seconds(const char *s, unsigned *out, struct err *e)
{
	unsigned long long v;

	if (!parse_dec(s, 86400, &v))
		return fail(e, "seconds must be a whole number 0..86400");
	if (out)
		*out = (unsigned)v;
	return true;
}

bool valid_abs_path(const char *s, struct err *e)
{
	if (s[0] != '/' || strlen(s) > 1023)
		return fail(e, "must be an absolute path of at most 1023 bytes");
	if (s[1] && s[strlen(s) - 1] == '/')
		return fail(e, "no trailing '/'");
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~')
			return fail(e, "only printable ASCII without blanks is allowed");
	size_t len = strlen(s);

	if (strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../") ||
	    (len >= 2 && strcmp(s + len - 2, "/.") == 0) || (len >= 3 && strcmp(s + len - 3, "/..") == 0))
		return fail(e, "no empty, '.' or '..' components");
	return true;
}
