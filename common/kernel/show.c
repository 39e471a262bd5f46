/* The read side, on libnl-route-3 object caches (see show.h and nsview.h). */
#include <net/if.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include "kernel/netns.h"
#include "kernel/qdisc_describe.h"
#include "kernel/nsview.h"
#include "kernel/show.h"
#include "base/escape.h"

static const char *addr_str(struct nl_addr *a, char *buf, size_t n)
{
	if (!a)
		return NULL;
	if (nl_addr_get_family(a) == AF_INET || nl_addr_get_family(a) == AF_INET6) {
		if (nl_addr_get_len(a) == 0)
			return NULL;
		return inet_ntop(nl_addr_get_family(a), nl_addr_get_binary_addr(a), buf, (socklen_t)n);
	}
	return nl_addr2str(a, buf, n);
}

struct out {
	FILE *f;
	bool json;
	int n; /* items printed in the current section */
	struct nl_cache *links;
	struct netlink *nl; /* libmnl, inside the namespace: the qdiscs' words */
	int rc;             /* -errno: a qdisc dump failed */
};

/*
 * A name the kernel holds, for the text form: the kernel takes any byte but
 * '/', ':' and blanks in an interface name, and a root-made one with ESC in
 * it would reach the caller's terminal raw. Printable names are shown as
 * they are (a backslash too), others through disp().
 */
static const char *shown(const char *s)
{
	if (!s)
		return s;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return disp(s);
	return s;
}

static void sep(struct out *o)
{
	if (o->json && o->n)
		fputc(',', o->f);
	o->n++;
}

static void kv_str(struct out *o, const char *k, const char *v, bool first)
{
	if (!first)
		fputc(',', o->f);
	fprintf(o->f, "\"%s\":", k);
	if (v)
		json_str(o->f, v);
	else
		fputs("null", o->f);
}

static void each_link(struct nl_object *obj, void *arg)
{
	struct out *o = arg;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	char flags[256], state[32], mac[64];
	const char *kind = rtnl_link_get_type(l);

	rtnl_link_flags2str(rtnl_link_get_flags(l), flags, sizeof flags);
	rtnl_link_operstate2str(rtnl_link_get_operstate(l), state, sizeof state);
	if (!rtnl_link_get_addr(l) || !nl_addr2str(rtnl_link_get_addr(l), mac, sizeof mac))
		snprintf(mac, sizeof mac, "none");
	sep(o);
	if (o->json) {
		fprintf(o->f, "{\"ifindex\":%d", rtnl_link_get_ifindex(l));
		kv_str(o, "name", rtnl_link_get_name(l), false);
		kv_str(o, "kind", kind, false);
		fputs(",\"flags\":[", o->f);
		for (char *t = flags, *next; *t; t = next) {
			size_t len = strcspn(t, ",");

			next = t[len] ? t + len + 1 : t + len;
			t[len] = '\0';
			if (t != flags)
				fputc(',', o->f);
			json_str(o->f, t);
		}
		fputc(']', o->f);
		fprintf(o->f, ",\"mtu\":%u", rtnl_link_get_mtu(l));
		kv_str(o, "operstate", state, false);
		kv_str(o, "mac", mac, false);
		fputc('}', o->f);
	} else {
		fprintf(o->f, "  %d %s%s%s <%s> mtu %u state %s mac %s\n", rtnl_link_get_ifindex(l),
			shown(rtnl_link_get_name(l)), kind ? " " : "", kind ? shown(kind) : "", flags,
			rtnl_link_get_mtu(l), state, mac);
	}
}

static void each_addr(struct nl_object *obj, void *arg)
{
	struct out *o = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	char dev[IFNAMSIZ] = "?", buf[INET6_ADDRSTRLEN], scope[32];
	const char *local = addr_str(rtnl_addr_get_local(a), buf, sizeof buf);
	const char *fam = rtnl_addr_get_family(a) == AF_INET6 ? "inet6" : "inet";

	rtnl_link_i2name(o->links, rtnl_addr_get_ifindex(a), dev, sizeof dev);
	rtnl_scope2str(rtnl_addr_get_scope(a), scope, sizeof scope);
	sep(o);
	if (o->json) {
		fputc('{', o->f);
		kv_str(o, "dev", dev, true);
		kv_str(o, "family", fam, false);
		kv_str(o, "local", local, false);
		fprintf(o->f, ",\"prefixlen\":%u", rtnl_addr_get_prefixlen(a));
		kv_str(o, "scope", scope, false);
		fputc('}', o->f);
	} else {
		fprintf(o->f, "  %s %s %s/%u scope %s\n", shown(dev), fam, local ? local : "?",
			rtnl_addr_get_prefixlen(a), scope);
	}
}

static void each_route(struct nl_object *obj, void *arg)
{
	struct out *o = arg;
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	char dbuf[INET6_ADDRSTRLEN + 8], gbuf[INET6_ADDRSTRLEN], dev[IFNAMSIZ] = "", proto[32];
	const char *gw = NULL;
	const char *fam = rtnl_route_get_family(r) == AF_INET6 ? "inet6" : "inet";

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST)
		return;
	if (!dst || nl_addr_get_prefixlen(dst) == 0) {
		snprintf(dbuf, sizeof dbuf, "default");
	} else {
		char a[INET6_ADDRSTRLEN];
		const char *s = addr_str(dst, a, sizeof a);

		snprintf(dbuf, sizeof dbuf, "%s/%u", s ? s : "?", nl_addr_get_prefixlen(dst));
	}
	if (rtnl_route_get_nnexthops(r) > 0) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);

		gw = addr_str(rtnl_route_nh_get_gateway(nh), gbuf, sizeof gbuf);
		rtnl_link_i2name(o->links, rtnl_route_nh_get_ifindex(nh), dev, sizeof dev);
	}
	rtnl_route_proto2str(rtnl_route_get_protocol(r), proto, sizeof proto);
	sep(o);
	if (o->json) {
		fputc('{', o->f);
		kv_str(o, "family", fam, true);
		kv_str(o, "dst", dbuf, false);
		kv_str(o, "gateway", gw, false);
		kv_str(o, "dev", dev[0] ? dev : NULL, false);
		kv_str(o, "protocol", proto, false);
		fputc('}', o->f);
	} else {
		fprintf(o->f, "  %s %s%s%s dev %s proto %s\n", fam, dbuf, gw ? " via " : "",
			gw ? gw : "", shown(dev), proto);
	}
}

/* The qdiscs of one link, read back as tc words (qdisc_describe.h): the
 * words a user can give back to npte-netem, where libnl-route has only kinds. */
static void each_qdisc(struct nl_object *obj, void *arg)
{
	struct out *o = arg;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	static struct qdisc_desc q[QDISC_DESC_MAX];
	int n = 0, rc;

	if (o->rc)
		return;
	rc = qdisc_describe_all(o->nl, rtnl_link_get_ifindex(l), q, QDISC_DESC_MAX, &n, shape_tick_in_usec());
	if (rc < 0) {
		o->rc = rc;
		return;
	}
	for (int i = 0; i < n; i++) {
		sep(o);
		if (o->json)
			qdisc_desc_json(o->f, rtnl_link_get_name(l), &q[i]);
		else
			qdisc_desc_text(o->f, rtnl_link_get_name(l), &q[i]);
	}
}

static void section(struct out *o, const char *title, struct nl_cache *cache,
		    void (*cb)(struct nl_object *, void *), bool last)
{
	o->n = 0;
	if (o->json)
		fprintf(o->f, "\"%s\":[", title);
	else
		fprintf(o->f, "%s:\n", title);
	nl_cache_foreach(cache, cb, o);
	if (o->json)
		fprintf(o->f, "]%s", last ? "" : ",");
	else if (!o->n)
		fprintf(o->f, "  (none)\n");
}

int show_netns(FILE *f, const char *name, int nsfd, struct netlink *nl, uid_t owner, bool json, struct err *e)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL;
	struct out o = {.f = f, .json = json, .nl = nl};
	int self, rc;

	if (!sk)
		return err_set(e, EXIT_FAIL, "%s: out of memory", name);
	rc = netns_enter(nsfd, &self);
	if (rc < 0) {
		nl_socket_free(sk);
		return err_sys(e, EXIT_FAIL, -rc, "%s: setns", name);
	}
	rc = nl_connect(sk, NETLINK_ROUTE);
	netns_leave(self);
	if (rc < 0) {
		nl_socket_free(sk);
		return err_set(e, EXIT_FAIL, "%s: netlink: %s", name, nl_geterror(rc));
	}
	if ((rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0 ||
	    (rc = rtnl_addr_alloc_cache(sk, &addrs)) < 0 ||
	    (rc = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes)) < 0) {
		err_set(e, EXIT_FAIL, "%s: netlink dump: %s", name, nl_geterror(rc));
		goto out;
	}
	o.links = links;
	if (json) {
		fputs("{\"name\":", f);
		json_str(f, name);
		fprintf(f, ",\"owner\":%u,", (unsigned)owner);
	} else {
		fprintf(f, "namespace %s (owner %u)\n", name, (unsigned)owner);
	}
	section(&o, "links", links, each_link, false);
	section(&o, "addresses", addrs, each_addr, false);
	section(&o, "routes", routes, each_route, false);
	section(&o, "qdiscs", links, each_qdisc, true);
	if (json)
		fputs("}\n", f);
	if (o.rc < 0)
		err_sys(e, EXIT_FAIL, -o.rc, "%s: read qdiscs", name);
out:
	if (routes) nl_cache_free(routes);
	if (addrs) nl_cache_free(addrs);
	if (links) nl_cache_free(links);
	nl_socket_free(sk);
	return e->code;
}

struct nsview {
	struct nl_sock *sk;
	struct nl_cache *links, *addrs, *routes;
};

void nsview_close(struct nsview *v)
{
	if (!v)
		return;
	if (v->routes) nl_cache_free(v->routes);
	if (v->addrs) nl_cache_free(v->addrs);
	if (v->links) nl_cache_free(v->links);
	if (v->sk) nl_socket_free(v->sk);
	free(v);
}

struct nsview *nsview_open(int nsfd)
{
	struct nsview *v = calloc(1, sizeof *v);
	int self, rc;

	if (!v || !(v->sk = nl_socket_alloc()))
		goto fail;
	if (netns_enter(nsfd, &self) < 0)
		goto fail;
	rc = nl_connect(v->sk, NETLINK_ROUTE);
	netns_leave(self);
	if (rc < 0 || rtnl_link_alloc_cache(v->sk, AF_UNSPEC, &v->links) < 0 ||
	    rtnl_addr_alloc_cache(v->sk, &v->addrs) < 0 ||
	    rtnl_route_alloc_cache(v->sk, AF_UNSPEC, 0, &v->routes) < 0)
		goto fail;
	return v;
fail:
	nsview_close(v);
	return NULL;
}

int nsview_link(struct nsview *v, const char *ifname)
{
	struct rtnl_link *l = rtnl_link_get_by_name(v->links, ifname);
	int up;

	if (!l)
		return -1;
	up = (rtnl_link_get_flags(l) & IFF_UP) ? 1 : 0;
	rtnl_link_put(l);
	return up;
}

static bool same_addr(struct nl_addr *x, const struct ipaddr *a)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	return x && nl_addr_get_family(x) == a->family && nl_addr_get_len(x) == len &&
	       memcmp(nl_addr_get_binary_addr(x), a->a, len) == 0;
}

struct addr_q {
	int ifindex;
	const struct ipaddr *a;
	unsigned plen;
	bool found;
};

static void addr_match(struct nl_object *obj, void *arg)
{
	struct addr_q *q = arg;
	struct rtnl_addr *x = (struct rtnl_addr *)obj;

	if (rtnl_addr_get_ifindex(x) == q->ifindex && rtnl_addr_get_prefixlen(x) == (int)q->plen &&
	    same_addr(rtnl_addr_get_local(x), q->a))
		q->found = true;
}

bool nsview_addr(struct nsview *v, const char *ifname, const struct ipaddr *a, unsigned plen)
{
	struct addr_q q = {.ifindex = rtnl_link_name2i(v->links, ifname), .a = a, .plen = plen};

	if (q.ifindex <= 0)
		return false;
	nl_cache_foreach(v->addrs, addr_match, &q);
	return q.found;
}

struct route_q {
	const struct ipaddr *dst, *gw;
	unsigned plen;
	bool found;
};

static void route_match(struct nl_object *obj, void *arg)
{
	struct route_q *q = arg;
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	unsigned dlen = dst ? nl_addr_get_prefixlen(dst) : 0;

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
	    rtnl_route_get_family(r) != q->gw->family || dlen != q->plen ||
	    (q->plen && !same_addr(dst, q->dst)) || rtnl_route_get_nnexthops(r) < 1)
		return;
	if (same_addr(rtnl_route_nh_get_gateway(rtnl_route_nexthop_n(r, 0)), q->gw))
		q->found = true;
}

bool nsview_route(struct nsview *v, const struct ipaddr *dst, unsigned plen, const struct ipaddr *gw)
{
	struct route_q q = {.dst = dst, .gw = gw, .plen = plen};

	nl_cache_foreach(v->routes, route_match, &q);
	return q.found;
}
