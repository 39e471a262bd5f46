/*
 * The topology file parser: npte-lab.conf(5) is the format. Lines come from
 * the schedule reader (its byte rules: no control bytes, CRLF taken, a size
 * bound); each line is one statement, checked against everything declared
 * before it, so the first error names its own line and word.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "topo/topo.h"
#include "base/escape.h"
#include "shape/profiles.h"
#include "shape/schedule.h"
#include "shape/schedules.h"
#include "shape/shape.h"

#define WORDS_MAX (SHAPE_WORDS_MAX + 8)

struct parse {
	struct topo *t;
	struct sched_reader *r;
	int argc;
	char **w;
};

static bool fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct parse *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return sched_reader_fail(p->r, "%s", msg);
}

static int find_node(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->nnodes; i++)
		if (strcmp(t->nodes[i].name, name) == 0)
			return i;
	return -1;
}

/* A node named by word i, declared on an earlier line. */
static bool node_arg(struct parse *p, int i, int *node)
{
	if (i >= p->argc)
		return fail(p, "%s: a node name is missing", p->w[0]);
	*node = find_node(p->t, p->w[i]);
	if (*node < 0)
		return fail(p, "%s: no node '%s' declared above", p->w[0], disp(p->w[i]));
	return true;
}

static bool linked(const struct topo *t, int a, int b)
{
	for (int i = 0; i < t->nlinks; i++)
		if ((t->links[i].a == a && t->links[i].b == b) || (t->links[i].a == b && t->links[i].b == a))
			return true;
	return false;
}

/* IFACE of node: lo, or if-PEER for a node linked with it. */
static bool iface_arg(struct parse *p, int i, int node, int *peer)
{
	const char *s = i < p->argc ? p->w[i] : "";

	if (!*s)
		return fail(p, "%s: an interface is missing", p->w[0]);
	if (strcmp(s, "lo") == 0) {
		*peer = TOPO_LO;
		return true;
	}
	if (strncmp(s, "if-", 3) != 0 || (*peer = find_node(p->t, s + 3)) < 0 || !linked(p->t, node, *peer))
		return fail(p, "%s: no interface '%s' on %s (it has lo and if-PEER for each node linked with it)",
			    p->w[0], disp(s), p->t->nodes[node].name);
	return true;
}

static bool nargs(struct parse *p, int n, const char *usage)
{
	if (p->argc > n)
		return fail(p, "%s: unexpected word '%s' (expected '%s')", p->w[0], disp(p->w[n]), usage);
	if (p->argc < n)
		return fail(p, "%s: words missing after '%s' (expected '%s')", p->w[0], disp(p->w[p->argc - 1]), usage);
	return true;
}

static bool st_node(struct parse *p)
{
	struct topo *t = p->t;
	struct err e = {0};
	struct topo_node *n;

	if (p->argc < 2 || p->argc > 3)
		return nargs(p, p->argc < 2 ? 2 : 3, "node NAME [forward]");
	if (p->argc == 3 && strcmp(p->w[2], "forward") != 0)
		return fail(p, "node: unknown word '%s' (only 'forward' may follow the name)", disp(p->w[2]));
	if (!valid_netns_name(p->w[1], &e))
		return fail(p, "node: invalid name '%s': %s", disp(p->w[1]), e.msg);
	if (strlen(t->prefix) + strlen(p->w[1]) > NETNS_NAME_MAX)
		return fail(p, "node: %s%s%s%s%s exceeds %d bytes", t->prefix[0] ? "--prefix '" : "", t->prefix,
			    t->prefix[0] ? "' is too long: " : "", t->prefix, p->w[1], NETNS_NAME_MAX);
	if (find_node(t, p->w[1]) >= 0)
		return fail(p, "node: '%s' is declared twice", p->w[1]);
	if (t->nnodes == TOPO_NODES_MAX)
		return fail(p, "node: more than %d nodes ('%s')", TOPO_NODES_MAX, p->w[1]);
	n = &t->nodes[t->nnodes++];
	snprintf(n->name, sizeof n->name, "%s", p->w[1]);
	n->forward = p->argc == 3;
	return true;
}

static bool same_addr(const struct ipaddr *x, const struct ipaddr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, x->family == AF_INET ? 4 : 16) == 0;
}

/* Address word i on node's if-peer (or lo). */
static bool add_addr(struct parse *p, int i, int node, int peer)
{
	struct topo *t = p->t;
	struct err e = {0};
	struct topo_addr *a;

	if (t->naddrs == TOPO_ADDRS_MAX)
		return fail(p, "%s: more than %d addresses", p->w[0], TOPO_ADDRS_MAX);
	a = &t->addrs[t->naddrs];
	if (!parse_cidr(p->w[i], &a->a, &a->plen, &e))
		return fail(p, "%s: invalid address '%s': %s", p->w[0], disp(p->w[i]), e.msg);
	for (int k = 0; k < t->naddrs; k++)
		if (same_addr(&t->addrs[k].a, &a->a))
			return fail(p, "%s: address '%s' is given twice (also %s's)", p->w[0], disp(p->w[i]),
				    t->nodes[t->addrs[k].node].name);
	a->node = node;
	a->peer = peer;
	snprintf(a->text, sizeof a->text, "%s", p->w[i]);
	t->naddrs++;
	return true;
}

static bool st_link(struct parse *p)
{
	struct topo *t = p->t;
	int a, b;

	if (p->argc < 3)
		return nargs(p, 3, "link A B [CIDR_A CIDR_B]...");
	if ((p->argc - 3) % 2)
		return fail(p, "link: '%s' has no pair (addresses come as CIDR_A CIDR_B)", disp(p->w[p->argc - 1]));
	if (!node_arg(p, 1, &a) || !node_arg(p, 2, &b))
		return false;
	if (a == b)
		return fail(p, "link: a node cannot be linked with itself ('%s')", p->w[1]);
	if (linked(t, a, b))
		return fail(p, "link: %s and %s are linked twice", p->w[1], p->w[2]);
	if (t->nlinks == TOPO_LINKS_MAX)
		return fail(p, "link: more than %d links ('%s %s')", TOPO_LINKS_MAX, p->w[1], p->w[2]);
	t->links[t->nlinks++] = (struct topo_link){a, b};
	for (int i = 3; i < p->argc; i += 2) {
		if (!add_addr(p, i, a, b) || !add_addr(p, i + 1, b, a))
			return false;
		if (t->addrs[t->naddrs - 1].a.family != t->addrs[t->naddrs - 2].a.family)
			return fail(p, "link: '%s' and '%s' are of different families", disp(p->w[i]),
				    disp(p->w[i + 1]));
	}
	return true;
}

static bool st_addr(struct parse *p)
{
	int node, peer;

	return nargs(p, 4, "addr NODE IFACE CIDR") && node_arg(p, 1, &node) && iface_arg(p, 2, node, &peer) &&
	       add_addr(p, 3, node, peer);
}

/* DEST of a route: default, or a network (host bits zero). */
static bool route_dest(struct parse *p, struct topo_route *rt, const struct ipaddr *gw)
{
	struct err e = {0};
	const char *s = p->w[2];

	if (strcmp(s, "default") == 0) {
		memset(&rt->dst, 0, sizeof rt->dst);
		rt->dst.family = gw->family;
		rt->plen = 0;
		return true;
	}
	if (!parse_cidr(s, &rt->dst, &rt->plen, &e))
		return fail(p, "route: invalid destination '%s': %s", disp(s), e.msg);
	for (unsigned bit = rt->plen; bit < (rt->dst.family == AF_INET ? 32u : 128u); bit++)
		if (rt->dst.a[bit / 8] & (0x80 >> (bit % 8)))
			return fail(p, "route: destination '%s' has host bits set (a network is ADDR/LEN with them zero)",
				    disp(s));
	if (rt->dst.family != gw->family)
		return fail(p, "route: '%s' and gateway '%s' are of different families", disp(s), disp(p->w[4]));
	return true;
}

static bool st_route(struct parse *p)
{
	struct topo *t = p->t;
	struct topo_route *rt;
	struct err e = {0};
	int node;

	if (!nargs(p, 5, "route NODE DEST via GW") || !node_arg(p, 1, &node))
		return false;
	if (strcmp(p->w[3], "via") != 0)
		return fail(p, "route: expected 'via', not '%s'", disp(p->w[3]));
	if (t->nroutes == TOPO_ROUTES_MAX)
		return fail(p, "route: more than %d routes", TOPO_ROUTES_MAX);
	rt = &t->routes[t->nroutes];
	if (!parse_ip(p->w[4], &rt->gw, &e))
		return fail(p, "route: invalid gateway '%s': %s", disp(p->w[4]), e.msg);
	if (!route_dest(p, rt, &rt->gw))
		return false;
	for (int k = 0; k < t->nroutes; k++) {
		const struct topo_route *o = &t->routes[k];

		if (o->node == node && o->plen == rt->plen && same_addr(&o->dst, &rt->dst))
			return fail(p, "route: %s has a route to '%s' already", p->w[1], disp(p->w[2]));
	}
	rt->node = node;
	snprintf(rt->text, sizeof rt->text, "%s via %s", p->w[2], p->w[4]);
	t->nroutes++;
	return true;
}

/* shape NODE IFACE profile NAME down|up */
static bool shape_profile(struct parse *p, struct topo_shape *s)
{
	const struct profile *pr;
	const struct link_dir *d;
	char words[SHAPE_WORDS_LEN] = "";
	struct err e = {0};
	double tick = shape_tick_in_usec();

	if (p->argc != 6)
		return nargs(p, 6, "shape NODE IFACE profile NAME down|up");
	if (strcmp(p->w[5], "down") != 0 && strcmp(p->w[5], "up") != 0)
		return fail(p, "shape: expected down or up after the profile, not '%s'", disp(p->w[5]));
	if (!(pr = profile_find(p->w[4])))
		return fail(p, "shape: unknown profile '%s' (npte-lab netem --list shows them)", disp(p->w[4]));
	d = strcmp(p->w[5], "up") == 0 ? &pr->up : &pr->down;
	s->kind = qkind_index(&netem_kind);
	if (!profile_words(d, words, sizeof words, tick, &e) || !netem_parse_str(&s->q.netem, words, tick, &e))
		return fail(p, "shape: profile %s is invalid: %s", pr->name, e.msg);
	if (d->child) {
		s->has_child = true;
		snprintf(s->child.kind, sizeof s->child.kind, "%s", d->child);
		snprintf(s->child.rate, sizeof s->child.rate, "%s", d->child_rate);
		if (!shape_rate(d->child_rate, &s->child.rate64, &e))
			return fail(p, "shape: profile %s is invalid: %s", pr->name, e.msg);
	}
	return true;
}

static bool st_shape(struct parse *p)
{
	struct topo *t = p->t;
	struct topo_shape *s;
	const struct qdisc_kind *k;
	struct err e = {0};
	int node, peer, first = 3;

	if (!node_arg(p, 1, &node) || !iface_arg(p, 2, node, &peer))
		return false;
	if (peer == TOPO_LO)
		return fail(p, "shape: lo is not shaped (shape a link's end)");
	for (int i = 0; i < t->nshapes; i++)
		if (t->shapes[i].node == node && t->shapes[i].peer == peer)
			return fail(p, "shape: %s if-%s is shaped twice", p->w[1], t->nodes[peer].name);
	if (p->argc < 4)
		return fail(p, "shape: expected 'shape NODE IFACE [KIND] WORDS...'");
	s = &t->shapes[t->nshapes];
	memset(s, 0, sizeof *s);
	s->node = node;
	s->peer = peer;
	if (strcmp(p->w[3], "profile") == 0) {
		if (!shape_profile(p, s))
			return false;
		t->nshapes++;
		return true;
	}
	k = qkind_find(p->w[3]);
	if (k && !k->child_only)
		first = 4;
	else
		k = &netem_kind; /* words without a kind are netem's, as npte-netem apply takes them */
	if (first == p->argc)
		return fail(p, "shape: %s needs words (tc-%s(8))", k->name, k->name);
	if (!k->parse(&s->q, p->argc - first, p->w + first, shape_tick_in_usec(), &e))
		return fail(p, "shape: invalid %s words: %s", k->name, e.msg);
	s->kind = qkind_index(k);
	t->nshapes++;
	return true;
}

/* A schedule's path as the caller's read takes it: relative to the topology
 * file's folder (a shipped topology has none: to the working directory). */
static bool topo_play_path(const char *file, const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(file, '/');
	int len;

	if (path[0] == '/' || !slash)
		len = snprintf(buf, n, "%s", path);
	else
		len = snprintf(buf, n, "%.*s/%s", (int)(slash - file), file, path);
	return len >= 0 && (size_t)len < n;
}

/* play NODE IFACE NAME down|up, or play NODE IFACE PATH */
static bool st_play(struct parse *p)
{
	struct topo *t = p->t;
	struct topo_play *pl;
	int node, peer;

	if (!node_arg(p, 1, &node) || !iface_arg(p, 2, node, &peer))
		return false;
	if (peer == TOPO_LO)
		return fail(p, "play: lo is not shaped (play on a link's end)");
	if (p->argc != 4 && p->argc != 5)
		return fail(p, "play: expected 'play NODE IFACE NAME down|up' or 'play NODE IFACE PATH'");
	if (t->nplays == TOPO_PLAYS_MAX)
		return fail(p, "play: more than %d play lines (one player plays two directions)", TOPO_PLAYS_MAX);
	if (t->nplays && t->plays[0].node != node)
		return fail(p, "play: every play line must be on one node (%s, above)", t->nodes[t->plays[0].node].name);
	if (t->nplays && t->plays[0].peer == peer)
		return fail(p, "play: %s if-%s is played twice", p->w[1], t->nodes[peer].name);
	pl = &t->plays[t->nplays];
	memset(pl, 0, sizeof *pl);
	pl->node = node;
	pl->peer = peer;
	if (p->argc == 5) {
		const struct shipped_schedule *ss = shipped_schedule_find(p->w[3]);

		if (!ss)
			return fail(p, "play: unknown schedule '%s' (npte-lab play --list shows them)", disp(p->w[3]));
		if (strcmp(p->w[4], "down") != 0 && strcmp(p->w[4], "up") != 0)
			return fail(p, "play: expected down or up, not '%s'", disp(p->w[4]));
		pl->shipped_text = strcmp(p->w[4], "up") == 0 ? ss->up : ss->down;
		snprintf(pl->name, sizeof pl->name, "%s", ss->name);
	} else if (!topo_play_path(p->t->file, p->w[3], pl->path, sizeof pl->path)) {
		return fail(p, "play: path '%s' is too long", disp(p->w[3]));
	} else {
		snprintf(pl->name, sizeof pl->name, "%s", p->w[3]);
	}
	t->nplays++;
	return true;
}

static const struct {
	const char *word;
	bool (*fn)(struct parse *);
} statements[] = {
	{"node", st_node}, {"link", st_link}, {"addr", st_addr}, {"route", st_route},
	{"shape", st_shape}, {"play", st_play},
};

/* Bytes past ASCII may stand in a comment only (sched_split drops it). */
static bool ascii_words(struct parse *p)
{
	for (int i = 0; i < p->argc; i++)
		for (const unsigned char *c = (const unsigned char *)p->w[i]; *c; c++)
			if (*c >= 0x80)
				return fail(p, "byte \\x%02x in '%s' (only ASCII, but in a comment)", *c, disp(p->w[i]));
	return true;
}

static bool statement(struct parse *p)
{
	if (!ascii_words(p))
		return false;
	for (size_t i = 0; i < sizeof statements / sizeof statements[0]; i++)
		if (strcmp(p->w[0], statements[i].word) == 0)
			return statements[i].fn(p);
	return fail(p, "unknown word '%s' (a line starts with node, link, addr, route, shape or play)",
		    disp(p->w[0]));
}

bool topo_parse(struct topo *t, int fd, const char *text, const char *file, const char *prefix, struct err *e)
{
	static struct sched_reader r;
	char line[SCHED_LINE_MAX + 1];
	char *w[WORDS_MAX];
	struct parse p = {.t = t, .r = &r, .w = w};
	int rc;

	memset(t, 0, offsetof(struct topo, nodes));
	snprintf(t->file, sizeof t->file, "%s", file);
	snprintf(t->prefix, sizeof t->prefix, "%s", prefix);
	sched_reader_init(&r, fd, text, TOPO_FILE_MAX, t->file, e);
	while ((rc = sched_reader_line(&r, line, sizeof line)) == 1) {
		if (r.line > TOPO_LINES_MAX)
			return fail(&p, "more than %d lines", TOPO_LINES_MAX);
		p.argc = sched_split(line, w, WORDS_MAX);
		if (p.argc > WORDS_MAX)
			return fail(&p, "more than %d words", WORDS_MAX);
		if (p.argc && !statement(&p))
			return false;
	}
	if (rc < 0)
		return false;
	if (!t->nnodes)
		return sched_fail(e, t->file, 0, "no node: a topology declares at least one");
	return true;
}

int topo_find(const struct topo *t, const char *name)
{
	return find_node(t, name);
}

void topo_ns(const struct topo *t, int node, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", t->prefix, t->nodes[node].name);
}

void topo_ifname(const struct topo *t, int peer, char *buf, size_t n)
{
	if (peer == TOPO_LO)
		snprintf(buf, n, "lo");
	else
		snprintf(buf, n, "if-%s%s", t->prefix, t->nodes[peer].name);
}
