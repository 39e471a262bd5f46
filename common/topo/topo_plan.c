/*
 * A parsed topology as plans (up, down) and as parts that are there or not
 * (status). The plans use the builders every primitive uses, so `up` of the
 * built-in file is the same transaction `npte-lab create` always was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "topo/topo.h"
#include "kernel/nsview.h"
#include "kernel/qdisc_describe.h"
#include "kernel/requests.h"
#include "ops/ops.h"
#include "shape/shape.h"
#include "txn/owner.h"
#include "txn/txn.h"

#define NS_LEN (NETNS_NAME_MAX + 4)

void topo_plan_up(const struct topo *t, struct plan *p, const char *verb, unsigned max_namespaces)
{
	char a[NS_LEN], b[NS_LEN], ifn[IFNAME_MAX + 1];

	plan_guard_quota(p, verb, (unsigned)t->nnodes, max_namespaces);
	for (int i = 0; i < t->nnodes; i++) {
		topo_ns(t, i, a, sizeof a);
		plan_netns_create(p, a);
		if (t->nodes[i].forward)
			plan_netns_forward(p, a);
	}
	for (int i = 0; i < t->nlinks; i++) {
		topo_ns(t, t->links[i].a, a, sizeof a);
		topo_ns(t, t->links[i].b, b, sizeof b);
		plan_veth_add(p, a, b);
	}
	for (int i = 0; i < t->naddrs; i++) {
		const struct topo_addr *x = &t->addrs[i];

		topo_ns(t, x->node, a, sizeof a);
		topo_ifname(t, x->peer, ifn, sizeof ifn);
		plan_addr(p, true, a, ifn, &x->a, x->plen);
	}
	for (int i = 0; i < t->nroutes; i++) {
		const struct topo_route *r = &t->routes[i];

		topo_ns(t, r->node, a, sizeof a);
		plan_route(p, true, a, &r->dst, r->plen, &r->gw);
	}
	for (int i = 0; i < t->nshapes; i++) {
		const struct topo_shape *s = &t->shapes[i];

		topo_ns(t, s->node, a, sizeof a);
		topo_ifname(t, s->peer, ifn, sizeof ifn);
		plan_qdisc_root(p, a, ifn, s->kind, &s->q, s->has_child ? &s->child : NULL);
	}
}

void topo_plan_down(const struct topo *t, struct plan *p, const char *verb, bool kill)
{
	char ns[NS_LEN];

	/* Parts already gone are fine; a part that is someone else's is not. */
	for (int i = 0; i < t->nnodes; i++) {
		topo_ns(t, i, ns, sizeof ns);
		plan_guard_owned(p, verb, ns, GUARD_MAY_BE_GONE | GUARD_ABSENT_OK);
	}
	/* Removing a namespace removes its veth ends, addresses and routes with it. */
	for (int i = 0; i < t->nnodes; i++) {
		topo_ns(t, i, ns, sizeof ns);
		if (kill)
			plan_netns_kill(p, ns);
		plan_netns_destroy(p, ns);
	}
}

size_t topo_nparts(const struct topo *t)
{
	return (size_t)t->nnodes + 2 * (size_t)t->nlinks + (size_t)t->naddrs + (size_t)t->nroutes +
	       (size_t)t->nshapes;
}

/* Whether node's if-peer has a root qdisc of the shape's kind. */
static bool shaped(struct nshandle *h, const char *ifn, enum qkind kind)
{
	struct qdisc_desc q[2];
	int idx = req_ifindex(&h->nl, ifn), n = 0;

	return idx > 0 && qdisc_describe(&h->nl, idx, q, &n, shape_tick_in_usec()) == 0 && n > 0 &&
	       strcmp(q[0].kind, qkind_of(kind)->name) == 0;
}

/* The caller's own namespaces of t, each read once; another's stays NULL
 * (reported as absent, like every refusal). */
static void read_nodes(struct txn *c, const struct topo *t, struct nsview **view, bool *shape_ok)
{
	char ns[NS_LEN], ifn[IFNAME_MAX + 1];

	for (int i = 0; i < t->nnodes; i++) {
		struct marker m;
		struct nshandle *h;

		topo_ns(t, i, ns, sizeof ns);
		if (owner_check_nl(c, ns, &m, &h) != OWN_MINE)
			continue;
		view[i] = nsview_open(h->fd);
		for (int k = 0; k < t->nshapes; k++) {
			if (t->shapes[k].node != i)
				continue;
			topo_ifname(t, t->shapes[k].peer, ifn, sizeof ifn);
			shape_ok[k] = shaped(h, ifn, t->shapes[k].kind);
		}
	}
}

static struct topo_part *part(struct topo_part *p, const char *kind, bool present)
{
	p->kind = kind;
	p->present = present;
	return p;
}

static size_t link_parts(const struct topo *t, struct nsview **view, struct topo_part *parts)
{
	char ns[NS_LEN], ifn[IFNAME_MAX + 1];
	size_t n = 0;

	for (int i = 0; i < t->nlinks; i++)
		for (int s = 0; s < 2; s++) {
			int end = s ? t->links[i].b : t->links[i].a, peer = s ? t->links[i].a : t->links[i].b;
			struct topo_part *p = part(&parts[n++], "link", false);

			topo_ns(t, end, ns, sizeof ns);
			topo_ifname(t, peer, ifn, sizeof ifn);
			snprintf(p->what, sizeof p->what, "%s/%s up", ns, ifn);
			p->present = view[end] && nsview_link(view[end], ifn) == 1;
		}
	return n;
}

void topo_status(struct txn *c, const struct topo *t, struct topo_part *parts)
{
	/* 4 KiB on the stack, fresh for each call */
	struct nsview *view[TOPO_NODES_MAX] = {0};
	bool shape_ok[TOPO_SHAPES_MAX] = {0};
	char ns[NS_LEN], ifn[IFNAME_MAX + 1];
	size_t n = 0;

	read_nodes(c, t, view, shape_ok);
	for (int i = 0; i < t->nnodes; i++) {
		topo_ns(t, i, ns, sizeof ns);
		snprintf(part(&parts[n++], "namespace", view[i] != NULL)->what, sizeof parts->what, "%s", ns);
	}
	n += link_parts(t, view, parts + n);
	for (int i = 0; i < t->naddrs; i++) {
		const struct topo_addr *x = &t->addrs[i];
		struct topo_part *p = part(&parts[n++], "address", false);

		topo_ns(t, x->node, ns, sizeof ns);
		topo_ifname(t, x->peer, ifn, sizeof ifn);
		snprintf(p->what, sizeof p->what, "%s/%s %s", ns, ifn, x->text);
		p->present = view[x->node] && nsview_addr(view[x->node], ifn, &x->a, x->plen);
	}
	for (int i = 0; i < t->nroutes; i++) {
		const struct topo_route *r = &t->routes[i];
		struct topo_part *p = part(&parts[n++], "route", false);

		topo_ns(t, r->node, ns, sizeof ns);
		snprintf(p->what, sizeof p->what, "%s %s", ns, r->text);
		p->present = view[r->node] && nsview_route(view[r->node], &r->dst, r->plen, &r->gw);
	}
	for (int i = 0; i < t->nshapes; i++) {
		const struct topo_shape *s = &t->shapes[i];
		struct topo_part *p = part(&parts[n++], "shape", shape_ok[i]);

		topo_ns(t, s->node, ns, sizeof ns);
		topo_ifname(t, s->peer, ifn, sizeof ifn);
		snprintf(p->what, sizeof p->what, "%s/%s %s", ns, ifn, qkind_of(s->kind)->name);
	}
	for (int i = 0; i < t->nnodes; i++)
		nsview_close(view[i]);
}
