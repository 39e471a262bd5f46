/* Ops for links, addresses and routes inside managed namespaces. */
#include <net/if.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "netns.h"
#include "ops.h"
#include "rtreq.h"
#include "shquote.h"

static union {
	struct nlmsghdr h;
	char b[8192];
} req;

/* Exec helpers share one shape: the namespace's socket, or an error naming it. */
static int sock_of(struct ctx *c, const char *ns, struct nshandle **h)
{
	int rc = ctx_ns(c, ns, h);

	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", ns);
	return 0;
}

static int kernel_err(struct ctx *c, int rc, const char *ext, const char *what, const char *ns,
		      const char *obj)
{
	return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s %s%s%s", ns, what, obj, ext[0] ? ": " : "", ext);
}

/* --- veth ------------------------------------------------------------------ */

static int veth_add_exec(struct ctx *c, const struct op *op)
{
	struct nshandle *l, *r;
	char ext[256];
	int rc, rfd;

	if (sock_of(c, op->ns2, &r) || (rfd = r->fd) < 0 || sock_of(c, op->ns, &l))
		return c->err.code;
	/* Sent on LEFT's socket, so the first end is born in LEFT and the peer in
	 * RIGHT: no end ever exists in the host namespace, not even for a moment. */
	rc = knl_talk(&l->nl, rtreq_veth_add(&l->nl, req.b, op->ifname, op->ifname2, rfd), ext, sizeof ext);
	if (rc < 0)
		return kernel_err(c, rc, ext, "veth add", op->ns, op->ifname);
	/* NLM_F_EXCL: the pair is new, and the left end's ifindex names it. */
	rc = knl_ifindex(&l->nl, op->ifname);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s", op->ns, op->ifname);
	ctx_made(c, &(struct ident){.cookie = l->nl.cookie, .ifindex = rc});
	return 0;
}

/*
 * The namespace of an object this run made, when it is still the same one
 * and ifname (if given) still has the recorded ifindex: 1 and *h, 0 when
 * that is no longer so (nothing of ours to undo), or an exit code.
 */
static int still_ours(struct ctx *c, const struct op *op, const char *ifname, struct nshandle **h)
{
	int rc = ctx_ns(c, op->ns, h), idx;

	if (rc == -ENOENT || rc == -ENOTNS)
		return 0;
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	if (!op->made.cookie || (*h)->nl.cookie != op->made.cookie)
		return 0;
	if (!ifname)
		return 1;
	idx = knl_ifindex(&(*h)->nl, ifname);
	if (idx == -ENODEV)
		return 0;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", op->ns, ifname);
	return idx == op->made.ifindex;
}

static int link_del(struct ctx *c, const char *ns, const char *ifname)
{
	struct nshandle *h;
	char ext[256];
	int idx, rc;

	if (sock_of(c, ns, &h))
		return c->err.code;
	idx = knl_ifindex(&h->nl, ifname);
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", ns, ifname);
	rc = knl_talk(&h->nl, rtreq_link_del(&h->nl, req.b, idx), ext, sizeof ext);
	if (rc < 0)
		return kernel_err(c, rc, ext, "link del", ns, ifname);
	return 0;
}

static int veth_del_exec(struct ctx *c, const struct op *op)
{
	return link_del(c, op->ns, op->ifname);
}

static int veth_undo(struct ctx *c, const struct op *op)
{
	struct nshandle *h;
	int rc = still_ours(c, op, op->ifname, &h);

	return rc == 1 ? veth_del_exec(c, op) : rc;
}

static void veth_add_render(FILE *f, const struct op *op, const struct ctx *c)
{
	(void)c;
	render_words(f, (const char *[]){"ip", "link", "add", op->ifname, "netns", op->ns, "type", "veth",
					 "peer", "name", op->ifname2, "netns", op->ns2, NULL});
}

static void veth_del_cmd(FILE *f, const struct op *op, const struct ctx *c)
{
	(void)c;
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, "link", "del", op->ifname, NULL});
}

static void veth_del_render(FILE *f, const struct op *op, const struct ctx *c)
{
	veth_del_cmd(f, op, c);
	fputc('\n', f);
}

const struct op_type veth_add_op = {
	.name = "veth add", .exec = veth_add_exec, .undo = veth_undo,
	.render = veth_add_render, .render_undo = veth_del_cmd,
};

const struct op_type veth_del_op = {
	.name = "veth del", .exec = veth_del_exec, .render = veth_del_render,
};

static void veth_names(struct op *op, const char *left, const char *right)
{
	snprintf(op->ns2, sizeof op->ns2, "%s", right);
	snprintf(op->ifname, sizeof op->ifname, "if-%s", right);
	snprintf(op->ifname2, sizeof op->ifname2, "if-%s", left);
}

void plan_veth_add(struct plan *p, const char *left, const char *right)
{
	veth_names(op_ns(p, &veth_add_op, left), left, right);
	plan_link_up(p, left, p->ops[p->n - 1].ifname);
	plan_link_up(p, right, p->ops[p->n - 2].ifname2);
}

void plan_veth_del(struct plan *p, const char *left, const char *right)
{
	veth_names(op_ns(p, &veth_del_op, left), left, right);
}

/* --- addresses ------------------------------------------------------------ */

static int addr_req(struct ctx *c, const struct op *op, bool add)
{
	struct nshandle *h;
	char ext[256], shown[64];
	int idx, rc;

	if (sock_of(c, op->ns, &h))
		return c->err.code;
	idx = knl_ifindex(&h->nl, op->ifname);
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", op->ns, op->ifname);
	rc = knl_talk(&h->nl, rtreq_addr(&h->nl, req.b, add, idx, &op->addr, op->plen), ext, sizeof ext);
	if (rc < 0) {
		snprintf(shown, sizeof shown, "%s", op->val);
		return kernel_err(c, rc, ext, add ? "addr add" : "addr del", op->ns, shown);
	}
	/* NLM_F_EXCL: the address was not there before this request. */
	if (add)
		ctx_made(c, &(struct ident){.cookie = h->nl.cookie, .ifindex = idx});
	return 0;
}

static int addr_add_exec(struct ctx *c, const struct op *op) { return addr_req(c, op, true); }
static int addr_del_exec(struct ctx *c, const struct op *op) { return addr_req(c, op, false); }

static int addr_undo(struct ctx *c, const struct op *op)
{
	struct nshandle *h;
	int rc = still_ours(c, op, op->ifname, &h);

	if (rc != 1)
		return rc;
	rc = addr_req(c, op, false);
	/* Already gone is what undo wants. */
	if (rc && (c->err.errnum == EADDRNOTAVAIL || c->err.errnum == ENOENT))
		return c->err = (struct err){0}, 0;
	return rc;
}

static void addr_cmd(FILE *f, const struct op *op, bool add)
{
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, "addr", add ? "add" : "del", op->val, "dev",
				       op->ifname, op->addr.family == AF_INET6 && add ? "nodad" : NULL,
				       NULL});
}

static void addr_add_render(FILE *f, const struct op *op, const struct ctx *c)
{
	(void)c;
	addr_cmd(f, op, true);
	fputc('\n', f);
}

static void addr_del_cmd(FILE *f, const struct op *op, const struct ctx *c)
{
	(void)c;
	addr_cmd(f, op, false);
}

static void addr_del_render(FILE *f, const struct op *op, const struct ctx *c)
{
	addr_del_cmd(f, op, c);
	fputc('\n', f);
}

const struct op_type addr_add_op = {
	.name = "addr add", .exec = addr_add_exec, .undo = addr_undo,
	.render = addr_add_render, .render_undo = addr_del_cmd,
};

const struct op_type addr_del_op = {
	.name = "addr del", .exec = addr_del_exec, .render = addr_del_render,
};

static void cidr_str(char *buf, size_t n, const struct ipaddr *a, unsigned plen)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(a->family, a->a, s, sizeof s);
	snprintf(buf, n, "%s/%u", s, plen);
}

void plan_addr(struct plan *p, bool add, const char *ns, const char *ifname,
	       const struct ipaddr *a, unsigned plen)
{
	struct op *op = op_ns(p, add ? &addr_add_op : &addr_del_op, ns);

	snprintf(op->ifname, sizeof op->ifname, "%s", ifname);
	op->addr = *a;
	op->plen = plen;
	cidr_str(op->val, sizeof op->val, a, plen);
}

/* --- routes --------------------------------------------------------------- */

static int route_req(struct ctx *c, const struct op *op, bool add)
{
	struct nshandle *h;
	char ext[256];
	int rc;

	if (sock_of(c, op->ns, &h))
		return c->err.code;
	rc = knl_talk(&h->nl, rtreq_route(&h->nl, req.b, add, &op->addr, op->plen, &op->gw), ext, sizeof ext);
	if (rc < 0)
		return kernel_err(c, rc, ext, add ? "route add" : "route del", op->ns, op->val);
	/* NLM_F_EXCL: the route was not there before this request. */
	if (add)
		ctx_made(c, &(struct ident){.cookie = h->nl.cookie});
	return 0;
}

static int route_add_exec(struct ctx *c, const struct op *op) { return route_req(c, op, true); }
static int route_del_exec(struct ctx *c, const struct op *op) { return route_req(c, op, false); }

static int route_undo(struct ctx *c, const struct op *op)
{
	struct nshandle *h;
	int rc = still_ours(c, op, NULL, &h);

	if (rc != 1)
		return rc;
	rc = route_req(c, op, false);
	/* Already gone (with its link, say) is what undo wants. */
	if (rc && c->err.errnum == ESRCH)
		return c->err = (struct err){0}, 0;
	return rc;
}

static void route_cmd(FILE *f, const struct op *op, bool add)
{
	char via[INET6_ADDRSTRLEN];

	inet_ntop(op->gw.family, op->gw.a, via, sizeof via);
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, op->gw.family == AF_INET ? "-4" : "-6", "route",
				       add ? "add" : "del", op->val, "via", via, "proto", "static", NULL});
}

static void route_add_render(FILE *f, const struct op *op, const struct ctx *c)
{
	(void)c;
	route_cmd(f, op, true);
	fputc('\n', f);
}

static void route_del_cmd(FILE *f, const struct op *op, const struct ctx *c)
{
	(void)c;
	route_cmd(f, op, false);
}

static void route_del_render(FILE *f, const struct op *op, const struct ctx *c)
{
	route_del_cmd(f, op, c);
	fputc('\n', f);
}

const struct op_type route_add_op = {
	.name = "route add", .exec = route_add_exec, .undo = route_undo,
	.render = route_add_render, .render_undo = route_del_cmd,
};

const struct op_type route_del_op = {
	.name = "route del", .exec = route_del_exec, .render = route_del_render,
};

void plan_route(struct plan *p, bool add, const char *ns, const struct ipaddr *dst, unsigned plen,
		const struct ipaddr *gw)
{
	struct op *op = op_ns(p, add ? &route_add_op : &route_del_op, ns);

	op->addr = *dst;
	op->plen = plen;
	op->gw = *gw;
	if (plen)
		cidr_str(op->val, sizeof op->val, dst, plen);
	else
		snprintf(op->val, sizeof op->val, "default");
}
