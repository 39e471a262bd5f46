/* Topology files: every shipped file parses, the plan of the built-in one is
 * the lab's, and each refusal names its line and word (bats/topofile.bats
 * drives the same through npte-lab, live). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "topo/topo.h"
#include "txn/plan.h"

static struct topo T; /* 2.7 MiB: static, as npte-lab allocates it */
static char big[TOPO_FILE_MAX + 4096];

static bool parse(const char *text, const char *prefix, struct err *e)
{
	*e = (struct err){0};
	return topo_parse(&T, -1, text, "f.lab", prefix, e);
}

/* The text parses, or diag says why. */
static bool parses(const char *text, const char *prefix)
{
	struct err e;
	bool ok = parse(text, prefix, &e);

	if (!ok)
		diag("%s", e.msg);
	return ok;
}

/* Refused, and the message holds want (a line number and the word). */
static void refused(const char *text, const char *want, const char *what)
{
	struct err e;
	bool got = parse(text, "", &e);

	if (!ok(!got && e.code == EXIT_USAGE && strstr(e.msg, want), "%s: refused with '%s'", what, want))
		diag("got ok=%d code %d: %s", got, e.code, e.msg);
}

static void shipped(void)
{
	static const char *const names[] = {"default", "dumbbell", "two-path", "chain", "star"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *text = topo_shipped(names[i]);

		ok(text && parses(text, ""), "shipped %s parses", names[i]);
		ok(text && parses(text, "ci7"), "shipped %s parses with a 3-byte prefix", names[i]);
	}
	ok(!topo_shipped("nosuch") && topo_is_shipped_name("two-path") && !topo_is_shipped_name("./chain") &&
		   !topo_is_shipped_name("a.lab") && !topo_is_shipped_name(""),
	   "a bare word names a shipped file; a path has a / or a .");
}

/* The built-in file makes the lab's 19 parts, in create's order. */
static void builtin(void)
{
	struct plan p = {.verb = "create"};
	char ns[16], ifn[16];

	ok(parses(topo_shipped("default"), ""), "default parses");
	is_int(T.nnodes, 3, "nodes");
	is_int(T.nlinks, 2, "links");
	is_int(T.naddrs, 8, "addresses");
	is_int(T.nroutes, 4, "routes");
	is_int((long long)topo_nparts(&T), 19, "status parts");
	ok(!T.nodes[0].forward && T.nodes[1].forward && !T.nodes[2].forward, "only the router forwards");
	topo_ns(&T, T.addrs[0].node, ns, sizeof ns);
	topo_ifname(&T, T.addrs[0].peer, ifn, sizeof ifn);
	ok(strcmp(ns, "client") == 0 && strcmp(ifn, "if-router") == 0, "first address on client's if-router");
	topo_plan_up(&T, &p, "create", 64);
	ok(p.n > 19, "the plan has every op (%zu)", p.n);
	ok(strcmp(p.ops[0].type->name, "check quota") == 0 || strstr(p.ops[0].type->name, "quota"),
	   "the quota is counted first (%s)", p.ops[0].type->name);
	plan_free(&p);
	ok(parses(topo_shipped("default"), "ab"), "default with prefix ab");
	topo_ifname(&T, 1, ifn, sizeof ifn);
	topo_ns(&T, 2, ns, sizeof ns);
	ok(strcmp(ifn, "if-abrouter") == 0 && strcmp(ns, "abserver") == 0, "names take the prefix: %s %s", ifn, ns);
}

static void refusals(void)
{
	refused("node a\nnode b\nlonk a b\n", "f.lab:3: unknown word 'lonk'", "unknown keyword");
	refused("node a fast\n", "f.lab:1: node: unknown word 'fast'", "unknown node option");
	refused("node a\nnode a\n", "f.lab:2: node: 'a' is declared twice", "duplicate node");
	refused("node a\nlink a b\n", "f.lab:2: link: no node 'b' declared above", "link to an undeclared node");
	refused("node a\nlink a a\n", "f.lab:2: link: a node cannot be linked with itself", "link to itself");
	refused("node a\nnode b\nlink a b\nlink b a\n", "f.lab:4: link: b and a are linked twice", "duplicate link");
	refused("node a\nnode b\naddr a if-b 10.0.0.1/24\n", "f.lab:3: addr: no interface 'if-b' on a", "no link");
	refused("node a\nnode b\nlink a b 10.0.0.1 10.0.0.2/24\n", "f.lab:3: link: invalid address '10.0.0.1'",
		"no prefix length");
	refused("node a\nnode b\nlink a b 10.0.0.1/24 fd00::1/64\n", "different families", "mixed families");
	refused("node a\nnode b\nlink a b 10.0.0.1/24 10.0.0.1/24\n", "f.lab:3: link: address '10.0.0.1/24' is given twice",
		"address clash");
	refused("node a\nroute a 10.0.0.1/24 via 10.0.0.254\n", "f.lab:2: route: destination '10.0.0.1/24' has host bits",
		"host bits");
	refused("node a\nroute a default via 10.0.0.1\nroute a default via 10.0.0.2\n",
		"f.lab:3: route: a has a route to 'default' already", "duplicate route");
	refused("node a\nroute a 10.0.0.0/24 via fd00::1\n", "different families", "route family");
	refused("node a\nroute a default gw 10.0.0.1\n", "f.lab:2: route: expected 'via', not 'gw'", "via");
	refused("node a\nnode b\nlink a b\nshape a if-b delay 10parsecs\n", "f.lab:4: shape: invalid netem words",
		"bad netem words");
	refused("node a\nnode b\nlink a b\nshape a if-b tbf rate 1mbit burst 10k latency 5ms\nshape a if-b delay 1ms\n",
		"f.lab:5: shape: a if-b is shaped twice", "shaped twice");
	refused("node a\nnode b\nlink a b\nshape a if-b profile nosuch down\n", "unknown profile 'nosuch'",
		"unknown profile");
	refused("node a\nnode b\nlink a b\nplay a if-b nosuch down\n", "unknown schedule 'nosuch'", "unknown schedule");
	refused("node abcdefghijklm\n", "f.lab:1: node: invalid name 'abcdefghijklm'", "a name of 13 bytes");
	refused("node a\x1b[2J\n", "\\x1b", "an escape byte is shown escaped");
	refused("node a\nnode b\xc3\xa9\n", "f.lab:2: byte \\xc3", "non-ASCII outside a comment");
	refused("", "no node", "an empty file");
	refused("# only a comment: caf\xc3\xa9\n", "no node", "non-ASCII in a comment is fine, but no node");
	refused("node a\r\nnode b\rc\n", "f.lab:2: carriage return inside a line", "a lone CR");
}

static void limits(void)
{
	size_t n = 0;

	for (int i = 0; i <= TOPO_NODES_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "node n%d\n", i);
	refused(big, "f.lab:257: node: more than 256 nodes", "257 nodes");
	n = 0;
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "node n%d\n", i);
	for (int i = 0, k = 0; i < 50 && k <= TOPO_LINKS_MAX; i++)
		for (int j = i + 1; j < 50 && k <= TOPO_LINKS_MAX; j++, k++)
			n += (size_t)snprintf(big + n, sizeof big - n, "link n%d n%d\n", i, j);
	refused(big, "link: more than 1024 links", "1025 links");
	memcpy(big, "node a\n", 7);
	memset(big + 7, '\n', 1000000 - 1);
	big[1000000 + 6] = '\0';
	refused(big, "f.lab:65537: more than 65536 lines", "10^6 lines");
	for (size_t i = 0; i < TOPO_FILE_MAX + 1; i++)
		big[i] = i % 64 == 63 ? '\n' : '#';
	big[TOPO_FILE_MAX + 1] = '\0';
	refused(big, "larger than 1048576 bytes", "1 MiB and a byte");
}

int main(void)
{
	shipped();
	builtin();
	refusals();
	limits();
	return done_testing();
}
