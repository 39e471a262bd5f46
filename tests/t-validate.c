/*
 * Validators (common/validate.h): every value that may reach the kernel, a
 * path, a log line or the dry-run script. Table-driven: each row is one
 * assertion; hostile rows must be refused with a reason, valid rows must
 * parse to the expected value.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "tap.h"
#include "base/validate.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A C-style quoted copy of s for a test name, so "" and " a" stay visible and
 * bytes that are not printable ASCII read as \xHH. Rotating buffers: up to
 * four results in one printf.
 */
static const char *q(const char *s)
{
	static char bufs[4][256];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t len = 0;

	b[len++] = '"';
	for (; *s && len < sizeof bufs[0] - 8; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			b[len++] = '\\';
			b[len++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			b[len++] = (char)ch;
		} else {
			len += (size_t)snprintf(b + len, 5, "\\x%02x", ch);
		}
	}
	b[len++] = '"';
	b[len] = '\0';
	return b;
}

/* On failure the validator must say why: an empty reason makes a useless error line. */
static bool why_given(const struct err *e)
{
	return e->code == EXIT_USAGE && e->msg[0] != '\0';
}

/* ---- names ---------------------------------------------------------- */

struct name_case {
	const char *in;
	bool valid;
};

static const struct name_case netns_cases[] = {
	/* valid */
	{"a", true},
	{"client", true},
	{"server", true},
	{"r1", true},
	{"z9", true},
	{"abcdefghijkl", true}, /* 12 bytes: "if-" + name fits IFNAMSIZ-1 */
	/* empty and over-long */
	{"", false},
	{"abcdefghijklm", false}, /* 13 bytes */
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	/* path and option tricks */
	{"-a", false},
	{"-", false},
	{"--help", false},
	{".", false},
	{"..", false},
	{"/", false},
	{"a/b", false},
	{"../etc", false},
	{"a.b", false},
	{"%d", false},
	{"a%n", false},
	/* whitespace and control bytes */
	{"a b", false},
	{" a", false},
	{"a ", false},
	{"a\tb", false},
	{"a\n", false},
	{"a\nb", false},
	{"a\r", false},
	{"\x01", false},
	{"a\x01", false},
	{"a\x7f", false},
	{"a\x1b[0m", false},
	/* not ASCII */
	{"caf\xc3\xa9", false},
	{"a\xff", false},
	{"\xc3\xa9", false},
	/* shell metacharacters */
	{"a$b", false},
	{"$x", false},
	{"a`id`", false},
	{"a;b", false},
	{"a|b", false},
	{"a&b", false},
	{"a<b", false},
	{"a>b", false},
	{"a(b", false},
	{"a)", false},
	{"a*", false},
	{"a?", false},
	{"a[b]", false},
	{"a'b", false},
	{"a\"b", false},
	{"a\\b", false},
	{"#a", false},
	{"a#", false},
	{"~a", false},
	{"a!", false},
	{"a{b}", false},
	/* characters outside ^[a-z][a-z0-9]*$ that ifnames allow */
	{"a-b", false},
	{"a_b", false},
	{"a:b", false},
	{"a=b", false},
	{"a@b", false},
	{"a,b", false},
	{"a+b", false},
	/* uppercase, leading digit */
	{"Client", false},
	{"A", false},
	{"clientA", false},
	{"1a", false},
	{"9", false},
	{"0client", false},
	/* iproute2 keywords: "ip netns del all" deletes every namespace */
	{"all", false},
	{"help", false},
	{"list", false},
	{"dev", false},
	{"default", false},
	{"host", false},
};

static const struct name_case ifname_cases[] = {
	/* valid */
	{"lo", true},
	{"eth0", true},
	{"if-router", true},
	{"eth0.100", true},
	{"a_b", true},
	{"A", true},
	{"0", true},
	{"Veth_A-1.2", true},
	{"abcdefghijklmno", true}, /* 15 bytes, the most IFNAMSIZ allows */
	{"if-abcdefghijkl", true}, /* "if-" + the longest netns name */
	/* empty and over-long */
	{"", false},
	{"abcdefghijklmnop", false}, /* 16 bytes */
	{"if-abcdefghijklm", false},
	/* path and option tricks */
	{"-eth0", false},
	{"-", false},
	{"--", false},
	{".", false},
	{"..", false},
	{"/", false},
	{"a/b", false},
	{"../x", false},
	{"eth0:1", false},
	{"%d", false},
	{"eth%d", false},
	/* whitespace and control bytes */
	{"a b", false},
	{" eth0", false},
	{"eth0 ", false},
	{"eth\t0", false},
	{"eth0\n", false},
	{"\x01", false},
	{"a\x7f", false},
	{"a\x1b", false},
	/* not ASCII */
	{"caf\xc3\xa9", false},
	{"\xff", false},
	/* shell metacharacters */
	{"$if", false},
	{"a`b`", false},
	{"a;b", false},
	{"a|b", false},
	{"a&b", false},
	{"a<b", false},
	{"a>b", false},
	{"a(b)", false},
	{"a*", false},
	{"a?", false},
	{"a[0]", false},
	{"a'b", false},
	{"a\"b", false},
	{"a\\b", false},
	{"#a", false},
	{"~a", false},
	{"a!", false},
	{"a=b", false},
	{"a@b", false},
	{"a,b", false},
	{"a+b", false},
};

static void test_names(void)
{
	for (size_t i = 0; i < N_ELEMS(netns_cases); i++) {
		const struct name_case *c = &netns_cases[i];
		struct err e = {0};
		bool r = valid_netns_name(c->in, &e);

		if (c->valid)
			ok(r, "netns name %s accepted", q(c->in));
		else
			ok(!r && why_given(&e), "netns name %s rejected with a reason", q(c->in));
		if (r != c->valid && !r)
			diag("why: %s", q(e.msg));
	}
	for (size_t i = 0; i < N_ELEMS(ifname_cases); i++) {
		const struct name_case *c = &ifname_cases[i];
		struct err e = {0};
		bool r = valid_ifname(c->in, &e);

		if (c->valid)
			ok(r, "ifname %s accepted", q(c->in));
		else
			ok(!r && why_given(&e), "ifname %s rejected with a reason", q(c->in));
		if (r != c->valid && !r)
			diag("why: %s", q(e.msg));
	}
}

/* ---- addresses ------------------------------------------------------ */

struct ip_case {
	const char *in;
	bool valid;
	int family;
	unsigned char a[16];
	unsigned plen; /* cidr only */
};

#define V4(...) AF_INET, {__VA_ARGS__}
#define V6(...) AF_INET6, {__VA_ARGS__}
#define BAD false, 0, {0}, 0

static const struct ip_case ip_cases[] = {
	{"127.0.0.1", true, V4(127, 0, 0, 1), 0},
	{"0.0.0.0", true, V4(0, 0, 0, 0), 0},
	{"255.255.255.255", true, V4(255, 255, 255, 255), 0},
	{"10.0.1.1", true, V4(10, 0, 1, 1), 0},
	{"::1", true, V6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 0},
	{"::", true, V6(0), 0},
	{"fd00:16:3::2", true, V6(0xfd, 0x00, 0x00, 0x16, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02), 0},
	{"FE80::A", true, V6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x0a), 0},
	{"", BAD},
	{" 1.2.3.4", BAD},
	{"1.2.3.4 ", BAD},
	{"1.2.3.4\n", BAD},
	{"1.2.3", BAD},
	{"1.2.3.4.5", BAD},
	{"1.2.3.", BAD},
	{"010.0.0.1", BAD}, /* octal to inet_aton, decimal to others: ambiguous */
	{"10.0.0.01", BAD},
	{"0x7f.0.0.1", BAD},
	{"2130706433", BAD}, /* 127.0.0.1 as one number, which inet_aton takes */
	{"256.0.0.1", BAD},
	{"-1.0.0.1", BAD},
	{"+1.0.0.1", BAD},
	{"1.2.3.4/24", BAD}, /* a prefix is parse_cidr's business */
	{"localhost", BAD},
	{"fe80::1%eth0", BAD},
	{"fe80::1%1", BAD},
	{"[::1]", BAD},
	{"::1 ", BAD},
	{"1::2::3", BAD},
	{":::", BAD},
	{"gggg::1", BAD},
	{"1:2:3:4:5:6:7:8:9", BAD},
	{"12345::1", BAD},
	{"1.2.3.4;id", BAD},
	{"$(id)", BAD},
	{"1.2.3.4\x01", BAD},
	{"\xc3\xa9", BAD},
};

static const struct ip_case cidr_cases[] = {
	{"10.0.1.1/24", true, V4(10, 0, 1, 1), 24}, /* host bits kept: the interface address */
	{"0.0.0.0/0", true, V4(0, 0, 0, 0), 0},
	{"192.168.7.9/32", true, V4(192, 168, 7, 9), 32},
	{"10.0.0.0/8", true, V4(10, 0, 0, 0), 8},
	{"::/0", true, V6(0), 0},
	{"fd00::/128", true, V6(0xfd, 0x00), 128},
	{"fd00:16:3::2/64", true, V6(0xfd, 0x00, 0x00, 0x16, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x02), 64},
	{"", BAD},
	{"10.0.0.1", BAD}, /* the length is required */
	{"fd00::1", BAD},
	{"10.0.0.1/", BAD},
	{"/24", BAD},
	{"/", BAD},
	{"10.0.0.1/33", BAD},
	{"::1/129", BAD},
	{"10.0.0.1/-1", BAD},
	{"10.0.0.1/+8", BAD},
	{"10.0.0.1/08", BAD},
	{"::/00", BAD},
	{"10.0.0.1/ 8", BAD},
	{"10.0.0.1/8 ", BAD},
	{" 10.0.0.1/8", BAD},
	{"10.0.0.1 /8", BAD},
	{"10.0.0.1/8\n", BAD},
	{"10.0.0.1/8/8", BAD},
	{"10.0.0.1//8", BAD},
	{"10.0.0.1/0x8", BAD},
	{"10.0.0.1/1e1", BAD},
	{"10.0.0.1/8.0", BAD},
	{"10.0.0.1/4294967320", BAD}, /* 2^32 + 24: must not wrap to /24 */
	{"10.0.0.1/18446744073709551640", BAD}, /* 2^64 + 24 */
	{"10.0.0.1/255.0.0.0", BAD}, /* netmask notation is not a length */
	{"010.0.0.1/8", BAD},
	{"1.2.3/8", BAD},
	{"fe80::1%eth0/64", BAD},
	{"fe80::1/64%eth0", BAD},
	{"10.0.0.1/8;id", BAD},
	{"a.b.c.d/8", BAD},
};

static void test_addresses(void)
{
	for (size_t i = 0; i < N_ELEMS(ip_cases); i++) {
		const struct ip_case *c = &ip_cases[i];
		struct ipaddr a;
		struct err e = {0};
		bool r;

		memset(&a, 0xaa, sizeof a);
		r = parse_ip(c->in, &a, &e);
		if (!c->valid) {
			ok(!r && why_given(&e), "ip %s rejected with a reason", q(c->in));
			continue;
		}
		/* Compare only the bytes the family uses: the rest is unspecified. */
		ok(r && a.family == c->family &&
			   memcmp(a.a, c->a, c->family == AF_INET ? 4 : 16) == 0,
		   "ip %s parsed to %s", q(c->in), c->family == AF_INET ? "IPv4" : "IPv6");
		if (!r)
			diag("why: %s", q(e.msg));
	}
	for (size_t i = 0; i < N_ELEMS(cidr_cases); i++) {
		const struct ip_case *c = &cidr_cases[i];
		struct ipaddr a;
		unsigned plen = 999;
		struct err e = {0};
		bool r;

		memset(&a, 0xaa, sizeof a);
		r = parse_cidr(c->in, &a, &plen, &e);
		if (!c->valid) {
			ok(!r && why_given(&e), "cidr %s rejected with a reason", q(c->in));
			if (r)
				diag("accepted as prefix length %u", plen);
			continue;
		}
		ok(r && a.family == c->family && plen == c->plen &&
			   memcmp(a.a, c->a, c->family == AF_INET ? 4 : 16) == 0,
		   "cidr %s parsed to %s/%u", q(c->in), c->family == AF_INET ? "IPv4" : "IPv6", c->plen);
		if (!r)
			diag("why: %s", q(e.msg));
		else if (plen != c->plen)
			diag("prefix length %u", plen);
	}
}

/* ---- numbers -------------------------------------------------------- */

struct num_case {
	const char *in;
	bool valid;
	unsigned long long want;
};

static const struct num_case uid_cases[] = {
	{"0", true, 0},
	{"1", true, 1},
	{"1000", true, 1000},
	{"65534", true, 65534},
	{"4294967294", true, 4294967294u}, /* the largest real uid */
	{"", false, 0},
	{"-1", false, 0},
	{"4294967295", false, 0}, /* (uid_t)-1: "unchanged" to setresuid */
	{"4294967296", false, 0}, /* 2^32: must not wrap to 0 (root) */
	{"4294968296", false, 0}, /* 2^32 + 1000 */
	{"18446744073709551615", false, 0},
	{"18446744073709551616", false, 0}, /* 2^64: must not wrap to 0 */
	{"99999999999999999999999", false, 0},
	{"+1", false, 0},
	{"01", false, 0},
	{"00", false, 0},
	{"1a", false, 0},
	{"a", false, 0},
	{" 1", false, 0},
	{"1 ", false, 0},
	{"1\n", false, 0},
	{"0x10", false, 0},
	{"1e3", false, 0},
	{"1.0", false, 0},
	{"1000;id", false, 0},
};

static const struct num_case sec_cases[] = {
	{"0", true, 0},
	{"1", true, 1},
	{"30", true, 30},
	{"86400", true, 86400},
	{"", false, 0},
	{"-1", false, 0},
	{"86401", false, 0},
	{"4294967296", false, 0}, /* 2^32: must not wrap to 0 */
	{"4294967326", false, 0}, /* 2^32 + 30 */
	{"18446744073709551646", false, 0}, /* 2^64 + 30 */
	{"1.5", false, 0},
	{"+5", false, 0},
	{"05", false, 0},
	{" 5", false, 0},
	{"5 ", false, 0},
	{"5s", false, 0},
	{"0x1e", false, 0},
	{"1e3", false, 0},
	{"inf", false, 0},
};

static void test_numbers(void)
{
	for (size_t i = 0; i < N_ELEMS(uid_cases); i++) {
		const struct num_case *c = &uid_cases[i];
		uid_t u = 12345;
		struct err e = {0};
		bool r = parse_uid(c->in, &u, &e);

		if (c->valid) {
			ok(r && u == (uid_t)c->want, "uid %s parsed to %llu", q(c->in), c->want);
			if (!r)
				diag("why: %s", q(e.msg));
		} else {
			ok(!r && why_given(&e), "uid %s rejected with a reason", q(c->in));
			if (r)
				diag("accepted as %lu", (unsigned long)u);
		}
	}
	for (size_t i = 0; i < N_ELEMS(sec_cases); i++) {
		const struct num_case *c = &sec_cases[i];
		unsigned s = 12345;
		struct err e = {0};
		bool r = parse_seconds(c->in, &s, &e);

		if (c->valid) {
			ok(r && s == c->want, "seconds %s parsed to %llu", q(c->in), c->want);
			if (!r)
				diag("why: %s", q(e.msg));
		} else {
			ok(!r && why_given(&e), "seconds %s rejected with a reason", q(c->in));
			if (r)
				diag("accepted as %u", s);
		}
	}
}

/* NULL asks for the verdict alone; a reason already set is not overwritten
 * (the first error is the one the caller reports). */
static void test_short_why(void)
{
	struct err e = {0};

	ok(!valid_netns_name("Bad", NULL) && !parse_cidr("1.2.3.4", NULL, NULL, NULL),
	   "without an err the verdict alone is given");
	err_set(&e, EXIT_FAIL, "first");
	ok(!valid_ifname("", &e) && e.code == EXIT_FAIL && strcmp(e.msg, "first") == 0,
	   "a reason already set stays the one reported");
}

static void test_paths(void)
{
	static const struct {
		const char *in;
		bool good;
	} c[] = {
		{"/usr/local/sbin", true}, {"/", true}, {"/opt/npte-1.0/sbin", true},
		{"usr/sbin", false}, {"", false}, {"/usr//sbin", false}, {"/usr/sbin/", false},
		{"/usr/../etc", false}, {"/./x", false}, {"/a b", false}, {"/a\tb", false},
		{"/a\nb", false}, {"/caf\xc3\xa9", false}, {"/x/..", false}, {"/x/...", true},
	};
	struct err e = {0};

	for (size_t i = 0; i < sizeof c / sizeof *c; i++)
		ok(valid_abs_path(c[i].in, &e) == c[i].good, "path '%s' is %s", c[i].in,
		   c[i].good ? "accepted" : "refused");
}

int main(void)
{
	test_paths();
	test_names();
	test_addresses();
	test_numbers();
	test_short_why();
	return done_testing();
}
