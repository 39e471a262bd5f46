/*
 * npte-gateway: a way out of a namespace the caller owns, through the host,
 * NATed to the host's default route; nothing of the host reachable from it
 * (npte-gateway.8). It touches the host: a non-root caller needs
 * `gateway = yes` in /etc/npte/npte.conf.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include "cli/cli.h"
#include "base/err.h"
#include "base/escape.h"
#include "base/optspecs.h"
#include "kernel/config.h"
#include "kernel/registry.h"
#include "ops/ops.h"

#define USAGE \
	"usage: npte-gateway create [-n] [--wait S] NS\n" \
	"       npte-gateway destroy [-n] [--wait S] NS\n" \
	"       npte-gateway status [--json]\n" \
	"       npte-gateway -h | --help | --version\n" \
	"NS gets interface gw-host, the host gw-NS; NS's traffic leaves NATed by the host's default route.\n"

static const int caps_all[] = {
	CAP_SYS_ADMIN, /* setns(2): the namespace's end, its addresses, routes and rules */
	CAP_NET_ADMIN, /* rtnetlink and nf_tables requests; the forwarding sysctls */
	-1,
};

/* A non-root caller only where the administrator said so; refused before
 * anything is read or changed. */
static void policy(const struct cli *cl, const char *verb)
{
	struct config cfg;
	struct err e = {0};

	if (config_load(&cfg, &e))
		die(e.code, "%s: %s", verb, e.msg);
	if (!cl->who.admin && !cfg.gateway)
		die(EXIT_USAGE, "%s: a gateway touches the host: it is the administrator's unless %s says "
		    "'gateway = yes'", verb, NPTE_CONF);
}

static const char *one_ns(struct cli *cl, const char *verb, struct opts *o)
{
	cli_npos(verb, o, 1, 1);
	policy(cl, verb);
	return cli_netns(verb, o->pos[0]);
}

static bool v4_only;

static int build_create(struct plan *p, struct txn *c, void *arg)
{
	struct gw_info g;

	if (gw_probe_create(c, arg, &g))
		return c->err.code;
	v4_only = !(g.flags & GW_V6);
	plan_gateway_create(p, &g);
	return 0;
}

static int build_destroy(struct plan *p, struct txn *c, void *arg)
{
	struct gw_info g;

	if (gw_probe_destroy(c, arg, &g, NULL, 0) < 0)
		return c->err.code;
	plan_gateway_destroy(p, &g);
	return 0;
}

static int cmd_create(struct cli *cl, struct opts *o)
{
	static char ns[16];

	snprintf(ns, sizeof ns, "%s", one_ns(cl, "create", o));
	plan_guard_owned(cl->plan, "create", ns, 0);
	cl->build = build_create;
	cl->build_arg = ns;
	int rc = cli_run(cl, "create", o);
	/* told once it is made (or previewed), never before a refusal */
	if (rc == 0 && v4_only)
		fprintf(stderr, "npte-gateway: create: %s: IPv4 only: %s\n", ns,
			access("/proc/sys/net/ipv6/conf/lo/force_forwarding", F_OK) == 0
				? "the host has no IPv6 default route by its IPv4 uplink"
				: "this kernel has no per-interface IPv6 forwarding (force_forwarding, Linux 6.17)");
	return rc;
}

static int cmd_destroy(struct cli *cl, struct opts *o)
{
	static char ns[16];

	snprintf(ns, sizeof ns, "%s", one_ns(cl, "destroy", o));
	/* a marker may outlive its namespace: the gateway's host side goes all the same */
	plan_guard_owned(cl->plan, "destroy", ns, GUARD_MAY_BE_GONE);
	cl->build = build_destroy;
	cl->build_arg = ns;
	return cli_run(cl, "destroy", o);
}

struct status {
	bool json;
	int n;
	char ns[REGISTRY_MAX][16];
	int slot[REGISTRY_MAX]; /* -1: no addresses (its host end gone) */
	bool v6[REGISTRY_MAX];
};

/* Only the caller's own gateways are shown (root's: all). */
static int status_read(struct txn *c, void *arg)
{
	struct status *s = arg;
	int n = gw_list(s->ns, REGISTRY_MAX), k = 0;

	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "read the host's gateways");
	for (int i = 0; i < n; i++) {
		struct marker m;
		unsigned slot;

		if (!c->who.admin && (marker_read(s->ns[i], &m) != 0 || m.owner != c->who.uid))
			continue;
		memmove(s->ns[k], s->ns[i], sizeof s->ns[i]);
		s->v6[k] = false;
		s->slot[k] = gw_slot(s->ns[k], &slot, &s->v6[k]) == 0 ? (int)slot : -1;
		k++;
	}
	s->n = k;
	return 0;
}

/* The namespace's address of family fam, or "" (no slot, or no IPv6). */
static const char *ns_addr(const struct status *s, int i, int fam, char *buf, size_t n)
{
	struct ipaddr a;

	buf[0] = '\0';
	if (s->slot[i] < 0 || (fam == AF_INET6 && !s->v6[i]))
		return buf;
	gw_addr((unsigned)s->slot[i], fam, false, &a);
	inet_ntop(fam, a.a, buf, (socklen_t)n);
	return buf;
}

static void status_print(const struct status *s)
{
	char ifn[IFNAME_MAX + 1], a4[INET6_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	if (s->json)
		fputs("[", stdout);
	for (int i = 0; i < s->n; i++) {
		gw_ifname(ifn, sizeof ifn, s->ns[i]);
		ns_addr(s, i, AF_INET, a4, sizeof a4);
		ns_addr(s, i, AF_INET6, a6, sizeof a6);
		if (s->json)
			printf("%s{\"namespace\":\"%s\",\"host_interface\":\"%s\",\"interface\":\"%s\","
			       "\"ipv4\":\"%s\",\"ipv6\":\"%s\"}", i ? "," : "", s->ns[i], ifn, GW_NS_IFNAME, a4, a6);
		else
			printf("%s %s %s %s %s\n", s->ns[i], ifn, GW_NS_IFNAME, a4[0] ? a4 : "-", a6[0] ? a6 : "-");
	}
	if (s->json)
		puts("]");
}

static int cmd_status(struct cli *cl, struct opts *o)
{
	static struct status s;
	struct read_verb r = {.caps = caps_all, .fn = status_read, .arg = &s};
	int rc;

	cli_npos("status", o, 0, 0);
	s.json = o->set[O_JSON];
	rc = cli_read(cl, "status", o, &r);
	if (!rc)
		status_print(&s);
	return rc;
}

static const struct verb verbs[] = {
	{"create", cmd_create, spec_mutate},
	{"destroy", cmd_destroy, spec_mutate},
	{"status", cmd_status, spec_read},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-gateway", .usage = USAGE, .caps = caps_all, .verbs = verbs)
