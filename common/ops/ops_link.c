/* Ops for links, addresses and routes inside managed namespaces. */
#include <net/if.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "kernel/netns.h"
#include "ops/ops.h"
#include "kernel/requests.h"
#include "base/escape.h"

static union {
	struct nlmsghdr h;
	char b[8192];
} req;

/* Exec helpers share one shape: the namespace's socket, or an error naming it. */
static int sock_of(struct txn *c, const char *ns, struct nshandle **h)
{
	int rc = txn_ns(c, ns, h);

	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", ns);
	return 0;
}

static int kernel_err(struct txn *c, int rc, const char *ext, const char *what, const char *ns,
		      const char *obj)
{
	return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s %s%s%s", ns, what, obj, ext[0] ? ": " : "", ext);
}

/*
 * The namespace of an object this run made, when it is still the same one
 * and ifname (if given) still has the recorded ifindex: 1 and *h, 0 when
 * that is no longer so (nothing of ours to undo), or an exit code.
 */
static int still_ours(struct txn *c, const struct op *op, const char *ifname, struct nshandle **h)
{
	int rc = txn_ns(c, op->ns, h), idx;

	if (rc == -ENOENT || rc == -ENOTNS)
		return 0;
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	if (!op->made.cookie || (*h)->cookie != op->made.cookie)
		return 0;
	if (!ifname)
		return 1;
	idx = req_ifindex(&(*h)->nl, ifname);
	if (idx == -ENODEV)
		return 0;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", op->ns, ifname);
	return idx == op->made.ifindex;
}

/* --- interfaces: the one refusal of a missing one ---------------------------- */

/* The names of a namespace's links, in the kernel's order, ", "-separated. */
struct names {
	char s[400]; /* with the rest of the line, within an error message */
	size_t len;
	int n;
	bool cut; /* more than fit: the list ends in "..." */
};

static int name_cb(const struct nlmsghdr *h, void *data)
{
	struct names *ns = data;
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof(struct ifinfomsg)) {
		int w;

		if (mnl_attr_get_type(a) != IFLA_IFNAME || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			continue;
		/* a root-made name may hold any byte but '/': shown escaped */
		w = snprintf(ns->s + ns->len, sizeof ns->s - ns->len, "%s%s", ns->n ? ", " : "",
			     disp(mnl_attr_get_str(a)));
		if (w > 0 && ns->len + (size_t)w < sizeof ns->s - 5)
			ns->len += (size_t)w, ns->n++;
		else
			ns->s[ns->len] = '\0', ns->cut = true;
	}
	return MNL_CB_OK;
}

/* A missing interface is a usage error (exit 2) that says what is there. */
static int no_dev(struct txn *c, struct nshandle *h, const char *ns, const char *ifname)
{
	static struct names names;
	int rc;

	memset(&names, 0, sizeof names);
	rc = netlink_request(&h->nl, req_link_dump(&h->nl, req.b), name_cb, &names, NULL, 0);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: no interface '%s' (and its links cannot be read)",
			       ns, disp(ifname));
	return err_set(&c->err, EXIT_USAGE, "%s: no interface '%s' (has: %s%s)", ns, disp(ifname),
		       names.n ? names.s : "none", names.cut ? ", ..." : "");
}

int ops_ifindex(struct txn *c, const char *ns, const char *ifname, struct nshandle **h)
{
	int idx;

	if (sock_of(c, ns, h))
		return -1;
	idx = req_ifindex(&(*h)->nl, ifname);
	if (idx == -ENODEV)
		return no_dev(c, *h, ns, ifname), -1;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", ns, disp(ifname)), -1;
	return idx;
}

static int dev_guard_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;

	(void)undo;
	return ops_ifindex(c, op->ns, op->u.dev.ifname, &h) < 0 ? c->err.code : 0;
}

/* The script says the same in fewer words: a shell has no list to give. */
void render_dev_check(FILE *f, const char *verb, const char *ns, const char *ifname)
{
	char msg[160];

	snprintf(msg, sizeof msg, "%s: %s: %s: no interface '%s'", prog, verb, ns, ifname);
	render_cmd(f, (const char *[]){"ip", "-n", ns, "link", "show", "dev", ifname, NULL});
	fputs(" >/dev/null 2>&1 || { echo ", f);
	sh_quote(f, msg);
	fputs(" >&2; exit 2; }\n", f);
}

static void dev_guard_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c, (void)undo;
	render_dev_check(f, op->u.dev.verb, op->ns, op->u.dev.ifname);
}

const struct op_type dev_guard_op = {
	.name = "check interface", .apply = dev_guard_apply, .render = dev_guard_render,
};

void plan_guard_dev(struct plan *p, const char *verb, const char *ns, const char *ifname)
{
	struct op *op = op_ns(p, &dev_guard_op, ns);

	snprintf(op->u.dev.verb, sizeof op->u.dev.verb, "%s", verb);
	snprintf(op->u.dev.ifname, sizeof op->u.dev.ifname, "%s", ifname);
}

/* --- veth ------------------------------------------------------------------ */

static int link_del(struct txn *c, const char *ns, const char *ifname)
{
	struct nshandle *h;
	char ext[256];
	int idx, rc;

	if (sock_of(c, ns, &h))
		return c->err.code;
	idx = req_ifindex(&h->nl, ifname);
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", ns, ifname);
	rc = netlink_talk(&h->nl, req_link_del(&h->nl, req.b, idx), ext, sizeof ext);
	if (rc < 0)
		return kernel_err(c, rc, ext, "link del", ns, ifname);
	return 0;
}

/* Make the pair; or undo that: delete it while its left end is still the one made. */
static int veth_add_apply(struct txn *c, const struct op *op, bool undo)
{
	const char *ifn = op->u.veth.ifname;
	struct nshandle *l, *r;
	char ext[256];
	int rc, rfd;

	if (undo) {
		rc = still_ours(c, op, ifn, &l);
		return rc == 1 ? link_del(c, op->ns, ifn) : rc;
	}
	if (sock_of(c, op->u.veth.peer, &r) || (rfd = r->fd) < 0 || sock_of(c, op->ns, &l))
		return c->err.code;
	/* Sent on LEFT's socket, so the first end is born in LEFT and the peer in
	 * RIGHT: no end ever exists in the host namespace, not even for a moment. */
	rc = netlink_talk(&l->nl, req_veth_add(&l->nl, req.b, ifn, op->u.veth.peer_ifname, rfd), ext, sizeof ext);
	if (rc < 0)
		return kernel_err(c, rc, ext, "veth add", op->ns, ifn);
	/* NLM_F_EXCL: the pair is new, and the left end's ifindex names it. */
	rc = req_ifindex(&l->nl, ifn);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s", op->ns, ifn);
	txn_made(c, &(struct ident){.cookie = l->cookie, .ifindex = rc});
	return 0;
}

static int veth_del_apply(struct txn *c, const struct op *op, bool undo)
{
	(void)undo;
	return link_del(c, op->ns, op->u.veth.ifname);
}

static void veth_del_cmd(FILE *f, const struct op *op)
{
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, "link", "del", op->u.veth.ifname, NULL});
}

static void veth_add_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	if (undo)
		veth_del_cmd(f, op);
	else
		render_words(f, (const char *[]){"ip", "link", "add", op->u.veth.ifname, "netns", op->ns, "type",
						 "veth", "peer", "name", op->u.veth.peer_ifname, "netns",
						 op->u.veth.peer, NULL});
}

static void veth_del_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c, (void)undo;
	veth_del_cmd(f, op);
	fputc('\n', f);
}

static int veth_save(const struct op *op, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s,%s,%s", op->u.veth.peer, op->u.veth.ifname, op->u.veth.peer_ifname);

	return len < 0 || (size_t)len >= n ? -EINVAL : 0;
}

static int veth_load(struct op *op, const char *s)
{
	char peer[NETNS_NAME_MAX + 4], ifn[IFNAME_MAX + 1], pifn[IFNAME_MAX + 1];

	if (sscanf(s, "%15[^,],%15[^,],%15s", peer, ifn, pifn) != 3 || !valid_netns_name(peer, NULL) ||
	    !valid_ifname(ifn, NULL) || !valid_ifname(pifn, NULL))
		return -EINVAL;
	snprintf(op->u.veth.peer, sizeof op->u.veth.peer, "%s", peer);
	snprintf(op->u.veth.ifname, sizeof op->u.veth.ifname, "%s", ifn);
	snprintf(op->u.veth.peer_ifname, sizeof op->u.veth.peer_ifname, "%s", pifn);
	return 0;
}

const struct op_type veth_add_op = {
	.name = "veth add", .apply = veth_add_apply, .render = veth_add_render, .undoable = true,
	.save = veth_save, .load = veth_load,
};

const struct op_type veth_del_op = {
	.name = "veth del", .apply = veth_del_apply, .render = veth_del_render,
};

static void veth_names(struct op *op, const char *left, const char *right)
{
	snprintf(op->u.veth.peer, sizeof op->u.veth.peer, "%s", right);
	snprintf(op->u.veth.ifname, sizeof op->u.veth.ifname, "if-%s", right);
	snprintf(op->u.veth.peer_ifname, sizeof op->u.veth.peer_ifname, "if-%s", left);
}

void plan_veth_add(struct plan *p, const char *left, const char *right)
{
	struct op *op = op_ns(p, &veth_add_op, left);
	char ifname[IFNAME_MAX + 1], peer_ifname[IFNAME_MAX + 1];

	veth_names(op, left, right);
	/* copies: the next op may move the plan's ops, and op with them */
	memcpy(ifname, op->u.veth.ifname, sizeof ifname);
	memcpy(peer_ifname, op->u.veth.peer_ifname, sizeof peer_ifname);
	plan_veth_nodad(p, left, ifname);
	plan_veth_nodad(p, right, peer_ifname);
	plan_link_up(p, left, ifname);
	plan_link_up(p, right, peer_ifname);
}

void plan_veth_del(struct plan *p, const char *left, const char *right)
{
	veth_names(op_ns(p, &veth_del_op, left), left, right);
}

/* --- addresses ------------------------------------------------------------ */

static void cidr_str(char *buf, size_t n, const struct ipaddr *a, unsigned plen)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(a->family, a->a, s, sizeof s);
	snprintf(buf, n, "%s/%u", s, plen);
}

static int addr_req(struct txn *c, const struct op *op, bool add)
{
	struct nshandle *h;
	char ext[256], shown[64];
	int idx, rc;

	if ((idx = ops_ifindex(c, op->ns, op->u.addr.ifname, &h)) < 0)
		return c->err.code;
	rc = netlink_talk(&h->nl, req_addr(&h->nl, req.b, add, idx, &op->u.addr.a, op->u.addr.plen), ext,
		      sizeof ext);
	if (rc < 0) {
		cidr_str(shown, sizeof shown, &op->u.addr.a, op->u.addr.plen);
		return kernel_err(c, rc, ext, add ? "addr add" : "addr del", op->ns, shown);
	}
	/* NLM_F_EXCL: the address was not there before this request. */
	if (add)
		txn_made(c, &(struct ident){.cookie = h->cookie, .ifindex = idx});
	return 0;
}

/* Add it; or undo that: delete it while its link is still the one it went on. */
static int addr_add_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	int rc;

	if (!undo)
		return addr_req(c, op, true);
	rc = still_ours(c, op, op->u.addr.ifname, &h);
	if (rc != 1)
		return rc;
	rc = addr_req(c, op, false);
	/* Already gone is what undo wants. */
	if (rc && (c->err.errnum == EADDRNOTAVAIL || c->err.errnum == ENOENT))
		return c->err = (struct err){0}, 0;
	return rc;
}

static int addr_del_apply(struct txn *c, const struct op *op, bool undo)
{
	(void)undo;
	return addr_req(c, op, false);
}

static void addr_cmd(FILE *f, const struct op *op, bool add)
{
	char cidr[64];

	cidr_str(cidr, sizeof cidr, &op->u.addr.a, op->u.addr.plen);
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, "addr", add ? "add" : "del", cidr, "dev",
				       op->u.addr.ifname, op->u.addr.a.family == AF_INET6 && add ? "nodad" : NULL,
				       NULL});
}

static void addr_add_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	addr_cmd(f, op, !undo);
	if (!undo)
		fputc('\n', f);
}

static void addr_del_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c, (void)undo;
	addr_cmd(f, op, false);
	fputc('\n', f);
}

static int addr_save(const struct op *op, char *buf, size_t n)
{
	char cidr[64];
	int len;

	cidr_str(cidr, sizeof cidr, &op->u.addr.a, op->u.addr.plen);
	len = snprintf(buf, n, "%s,%s", op->u.addr.ifname, cidr);
	return len < 0 || (size_t)len >= n ? -EINVAL : 0;
}

static int addr_load(struct op *op, const char *s)
{
	char ifn[IFNAME_MAX + 1], cidr[64];

	if (sscanf(s, "%15[^,],%63s", ifn, cidr) != 2 || !valid_ifname(ifn, NULL) ||
	    !parse_cidr(cidr, &op->u.addr.a, &op->u.addr.plen, NULL))
		return -EINVAL;
	snprintf(op->u.addr.ifname, sizeof op->u.addr.ifname, "%s", ifn);
	return 0;
}

const struct op_type addr_add_op = {
	.name = "addr add", .apply = addr_add_apply, .render = addr_add_render, .undoable = true,
	.save = addr_save, .load = addr_load,
};

const struct op_type addr_del_op = {
	.name = "addr del", .apply = addr_del_apply, .render = addr_del_render,
};

void plan_addr(struct plan *p, bool add, const char *ns, const char *ifname,
	       const struct ipaddr *a, unsigned plen)
{
	struct op *op = op_ns(p, add ? &addr_add_op : &addr_del_op, ns);

	snprintf(op->u.addr.ifname, sizeof op->u.addr.ifname, "%s", ifname);
	op->u.addr.a = *a;
	op->u.addr.plen = plen;
}

/* --- routes --------------------------------------------------------------- */

/* "default" or DST/PLEN, as ip route shows it. */
static void route_dst(char *buf, size_t n, const struct op *op)
{
	if (op->u.route.plen)
		cidr_str(buf, n, &op->u.route.dst, op->u.route.plen);
	else
		snprintf(buf, n, "default");
}

static int route_req(struct txn *c, const struct op *op, bool add)
{
	struct nshandle *h;
	char ext[256], dst[64];
	int rc;

	if (sock_of(c, op->ns, &h))
		return c->err.code;
	rc = netlink_talk(&h->nl, req_route(&h->nl, req.b, add, &op->u.route.dst, op->u.route.plen, &op->u.route.gw),
		      ext, sizeof ext);
	if (rc < 0) {
		route_dst(dst, sizeof dst, op);
		return kernel_err(c, rc, ext, add ? "route add" : "route del", op->ns, dst);
	}
	/* NLM_F_EXCL: the route was not there before this request. */
	if (add)
		txn_made(c, &(struct ident){.cookie = h->cookie});
	return 0;
}

/* Add it; or undo that: delete it while its namespace is still the one. */
static int route_add_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	int rc;

	if (!undo)
		return route_req(c, op, true);
	rc = still_ours(c, op, NULL, &h);
	if (rc != 1)
		return rc;
	rc = route_req(c, op, false);
	/* Already gone (with its link, say) is what undo wants. */
	if (rc && c->err.errnum == ESRCH)
		return c->err = (struct err){0}, 0;
	return rc;
}

static int route_del_apply(struct txn *c, const struct op *op, bool undo)
{
	(void)undo;
	return route_req(c, op, false);
}

static void route_cmd(FILE *f, const struct op *op, bool add)
{
	char via[INET6_ADDRSTRLEN], dst[64];

	route_dst(dst, sizeof dst, op);
	inet_ntop(op->u.route.gw.family, op->u.route.gw.a, via, sizeof via);
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, op->u.route.gw.family == AF_INET ? "-4" : "-6",
				       "route", add ? "add" : "del", dst, "via", via, "proto", "static", NULL});
}

static void route_add_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	route_cmd(f, op, !undo);
	if (!undo)
		fputc('\n', f);
}

static void route_del_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c, (void)undo;
	route_cmd(f, op, false);
	fputc('\n', f);
}

static int route_save(const struct op *op, char *buf, size_t n)
{
	char dst[64], via[INET6_ADDRSTRLEN];
	int len;

	route_dst(dst, sizeof dst, op);
	inet_ntop(op->u.route.gw.family, op->u.route.gw.a, via, sizeof via);
	len = snprintf(buf, n, "%s,%s", dst, via);
	return len < 0 || (size_t)len >= n ? -EINVAL : 0;
}

static int route_load(struct op *op, const char *s)
{
	char dst[64], via[64];

	if (sscanf(s, "%63[^,],%63s", dst, via) != 2 || !parse_ip(via, &op->u.route.gw, NULL))
		return -EINVAL;
	if (strcmp(dst, "default") == 0) {
		op->u.route.plen = 0;
		op->u.route.dst = (struct ipaddr){.family = op->u.route.gw.family};
		return 0;
	}
	if (!parse_cidr(dst, &op->u.route.dst, &op->u.route.plen, NULL) || !op->u.route.plen ||
	    op->u.route.dst.family != op->u.route.gw.family)
		return -EINVAL;
	return 0;
}

const struct op_type route_add_op = {
	.name = "route add", .apply = route_add_apply, .render = route_add_render, .undoable = true,
	.save = route_save, .load = route_load,
};

const struct op_type route_del_op = {
	.name = "route del", .apply = route_del_apply, .render = route_del_render,
};

void plan_route(struct plan *p, bool add, const char *ns, const struct ipaddr *dst, unsigned plen,
		const struct ipaddr *gw)
{
	struct op *op = op_ns(p, add ? &route_add_op : &route_del_op, ns);

	op->u.route.dst = *dst;
	op->u.route.plen = plen;
	op->u.route.gw = *gw;
}
