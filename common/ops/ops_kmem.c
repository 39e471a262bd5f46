/*
 * check memory: the worst-case kernel memory of the qdiscs a non-root caller
 * asks for (kmem.h), summed with what all their other qdiscs can hold now,
 * read from the kernel in every namespace of theirs, within the budget
 * (npte.conf max_kernel_memory); and every queue drains within the time
 * ceiling. A check, so the dry-run makes it too (precheck).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include "ops/claim.h"
#include "kernel/config.h"
#include "txn/drain.h"
#include "kernel/netns.h"
#include "ops/ops.h"
#include "kernel/qdisc_describe.h"
#include "kernel/registry.h"
#include "kernel/requests.h"

static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} req;

/* The links of one namespace, by ifindex, as kmem sizes them. */
#define KMEM_LINKS 64
struct links {
	int n;
	/* charged: what the dump found on it, to set against a player's claim */
	struct link_ent { int idx; char name[IFNAME_MAX + 1]; struct link_size sz; uint64_t charged; } l[KMEM_LINKS];
};

static int link_cb(const struct nlmsghdr *h, void *data)
{
	/* IFLA_GSO_IPV4_MAX_SIZE and IFLA_GRO_IPV4_MAX_SIZE (Linux 6.3), which
	 * this system's headers may not name */
	enum { GSO_IPV4 = 63, GRO_IPV4 = 64 };
	struct links *ls = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK || ls->n >= KMEM_LINKS)
		return MNL_CB_OK;
	ls->l[ls->n].idx = ifi->ifi_index;
	ls->l[ls->n].sz = (struct link_size){0};
	ls->l[ls->n].charged = 0;
	ls->l[ls->n].name[0] = '\0';
	mnl_attr_for_each(a, h, sizeof *ifi) {
		int t = mnl_attr_get_type(a);
		uint32_t v = mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : 0;

		if (t == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(ls->l[ls->n].name, sizeof ls->l[ls->n].name, "%s", mnl_attr_get_str(a));
		else if (t == IFLA_MTU)
			ls->l[ls->n].sz.mtu = v;
		else if ((t == IFLA_GSO_MAX_SIZE || t == IFLA_GRO_MAX_SIZE || t == GSO_IPV4 || t == GRO_IPV4) &&
			 v > ls->l[ls->n].sz.gso)
			ls->l[ls->n].sz.gso = v;
	}
	ls->n++;
	return MNL_CB_OK;
}

static struct link_ent *link_at(struct links *ls, int idx)
{
	for (int i = 0; i < ls->n; i++)
		if (ls->l[i].idx == idx)
			return &ls->l[i];
	return NULL;
}

/* What is held in one namespace of the caller's, but for what op replaces. */
struct held {
	const struct op *op;
	const char *ns;
	struct links *ls;
	uint64_t total, replaced;
	struct kmem_want *old; /* a changed netem root as it is, one per target */
	struct link_size dflt;
};

static int qdisc_cb(const struct nlmsghdr *h, void *data)
{
	struct held *hd = data;
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);
	struct link_ent *e = link_at(hd->ls, tm->tcm_ifindex);
	/* a link past KMEM_LINKS: sized as the largest a link gets by default,
	 * never left out */
	const struct link_size *sz = e ? &e->sz : &hd->dflt;
	const char *ifn = e ? e->name : "";
	struct kmem_want w;
	uint64_t c;

	if (h->nlmsg_type != RTM_NEWQDISC)
		return MNL_CB_OK;
	qdisc_kmem(h, &w);
	c = kmem_charge(&w, sz);
	if (e)
		e->charged += c;
	for (int i = 0; i < hd->op->u.kmem.n; i++) {
		const struct kmem_target *t = &hd->op->u.kmem.t[i];

		if (strcmp(t->ns, hd->ns) != 0 || strcmp(t->ifname, ifn) != 0)
			continue;
		if (t->root_only && tm->tcm_parent != TC_H_ROOT)
			continue;
		if (t->keep_rate || t->keep_slot)
			hd->old[i] = w;
		hd->replaced += c;
		return MNL_CB_OK;
	}
	hd->total += c;
	return MNL_CB_OK;
}

/* The sizes of ns's links (none when it cannot be read: the defaults serve). */
static int ns_links(struct txn *c, const char *ns, struct links *ls, struct nshandle **h)
{
	int rc = txn_ns(c, ns, h);

	ls->n = 0;
	if (rc < 0)
		return rc;
	return netlink_request(&(*h)->nl, req_link_dump(&(*h)->nl, req.b), link_cb, ls, NULL, 0);
}

/* A live player may hold its worst step on ifname, whatever holds it now:
 * what its claim records beyond the dump's figure counts too. */
static void claim_cb(const char *ifname, uint64_t kmem, void *arg)
{
	struct held *hd = arg;
	uint64_t now = 0;

	for (int i = 0; i < hd->ls->n; i++)
		if (strcmp(hd->ls->l[i].name, ifname) == 0)
			now = hd->ls->l[i].charged;
	if (kmem > now)
		hd->total = kmem_sum(hd->total, kmem - now);
}

static int held_in(struct txn *c, const struct op *op, const char *ns, struct held *hd)
{
	static struct links ls;
	struct nshandle *h;
	int rc = ns_links(c, ns, &ls, &h);

	if (rc == -ENOENT || rc == -ENOTNS)
		return 0; /* gone: holds nothing a dump could see */
	if (rc < 0)
		return rc;
	hd->op = op;
	hd->ns = ns;
	hd->ls = &ls;
	hd->dflt = kmem_link_default("");
	rc = netlink_request(&h->nl, req_qdisc_dump(&h->nl, req.b), qdisc_cb, hd, NULL, 0);
	if (rc < 0)
		return rc;
	return claim_charges(ns, claim_cb, hd);
}

/* Set *busy when a link's root qdisc may queue: anything but noqueue, or
 * noop (the root of a link never up). */
static int root_cb(const struct nlmsghdr *h, void *data)
{
	bool *busy = data, quiet = false;
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(a) == IFLA_QDISC && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			quiet = strcmp(mnl_attr_get_str(a), "noqueue") == 0 || strcmp(mnl_attr_get_str(a), "noop") == 0;
	*busy |= !quiet;
	return MNL_CB_OK; /* the whole dump is read: the socket serves the next request */
}

/*
 * True when no link of ns has a root qdisc that can hold a packet (only lo,
 * or veth ends never shaped), asked on the host's socket by the namespace's
 * id (nsid, or asked by its fd when < 0): no socket inside it is opened,
 * whose deferred close would keep the namespace alive past its name
 * (netns_cookie). False when it cannot be told: the qdiscs are then read
 * from inside.
 */
static bool queueless(struct txn *c, const char *ns, int32_t nsid)
{
	struct netlink *host;
	struct nshandle *h;
	bool busy = false;

	if (txn_host(c, &host) < 0)
		return false;
	if (nsid < 0 && (txn_ns_id(c, ns, &h) < 0 || req_nsid_of(host, h->fd, &nsid) < 0 || nsid < 0))
		return false;
	if (netlink_request(host, req_link_dump_of(host, req.b, nsid), root_cb, &busy, NULL, 0) < 0)
		return false;
	return !busy;
}

uint64_t kmem_of_ns(struct txn *c, const char *ns, int32_t nsid)
{
	static const struct op none = {.type = &kmem_op};
	static struct links no_links;
	struct held hd = {.ls = &no_links};

	/* Only a live player's claim can charge a namespace that queues nothing. */
	if (queueless(c, ns, nsid))
		return claim_charges(ns, claim_cb, &hd) < 0 ? UINT64_MAX : hd.total;
	/* Fail closed: what cannot be read could hold anything. */
	return held_in(c, &none, ns, &hd) < 0 ? UINT64_MAX : hd.total;
}

/* The charge of target t, on its link as it is (or as npte makes it). */
static struct link_size target_link(struct txn *c, const struct kmem_target *t, bool mine)
{
	static struct links ls;
	const struct link_ent *e = NULL;
	struct nshandle *h;
	int idx;

	if (mine && ns_links(c, t->ns, &ls, &h) >= 0 && (idx = req_ifindex(&h->nl, t->ifname)) > 0)
		e = link_at(&ls, idx);
	return e ? e->sz : kmem_link_default(t->ifname);
}

uint64_t kmem_charge_on(struct txn *c, const char *ns, const char *ifname, const struct kmem_want *w)
{
	struct kmem_target t = {0};
	struct link_size l;

	snprintf(t.ns, sizeof t.ns, "%s", ns);
	snprintf(t.ifname, sizeof t.ifname, "%s", ifname);
	l = target_link(c, &t, true);
	return kmem_charge(w, &l);
}

static bool in(char (*names)[16], int n, const char *ns)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], ns) == 0)
			return true;
	return false;
}

/* Every namespace of the caller's (none when the registry cannot be read in a dry-run). */
static int mine_list(struct txn *c, char (*names)[16], int max, int *n)
{
	struct err e = {0};

	*n = 0;
	if (markerdir_fd() < 0 && rundir_open(false, &e) < 0)
		return geteuid() == 0 && e.code ? -EPERM : 0;
	*n = marker_list_owned(c->who.uid, names, max);
	return *n < 0 ? *n : 0;
}

static int drain_check(struct txn *c, const struct op *op, int i, const struct link_size *l,
		       const struct kmem_want *old)
{
	const struct kmem_target *t = &op->u.kmem.t[i];
	struct kmem_want w = t->w;
	double s;

	if (t->keep_rate)
		kmem_keep_rate(&w, old);
	if (t->keep_slot)
		kmem_keep_slot(&w, old);
	s = kmem_drain_s(&w, l);
	if (s <= KMEM_DRAIN_MAX_S)
		return 0;
	return err_set(&c->err, EXIT_USAGE, "%s: %s: at this rate a full queue takes %.0f s to drain, over the "
		       "%u s ceiling: give a higher rate or a smaller limit", t->ns, t->ifname, s, KMEM_DRAIN_MAX_S);
}

static void free_old(struct held *hd)
{
	free(hd->old);
}

static int kmem_apply(struct txn *c, const struct op *op, bool undo)
{
	static char names[REGISTRY_MAX][16];
	__attribute__((cleanup(free_old))) struct held hd = {0};
	uint64_t ask = 0, gone;
	char a[32], h[32], m[32];
	int n, rc;

	(void)undo;
	if (c->who.admin)
		return 0;
	hd.old = calloc((size_t)op->u.kmem.n, sizeof *hd.old);
	if (!hd.old)
		return err_sys(&c->err, EXIT_FAIL, ENOMEM, "kernel memory: %d interfaces", op->u.kmem.n);
	rc = mine_list(c, names, REGISTRY_MAX, &n);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "kernel memory: read %s/%s%s%s", NPTE_RUN_DIR,
			       NPTE_MARKER_DIR, n < 0 && names[0][0] ? "/" : "", n < 0 ? names[0] : "");
	for (int i = 0; i < n; i++) {
		rc = held_in(c, op, names[i], &hd);
		/* Fail closed: what cannot be read could hold anything. */
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "kernel memory: %s: read qdiscs", names[i]);
	}
	/* Namespaces destroyed while something holds them keep their queues. */
	rc = drain_kmem(c, c->who.uid, &gone);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "kernel memory: read %s/%s", NPTE_RUN_DIR, NPTE_DRAIN_DIR);
	hd.total = kmem_sum(hd.total, gone);
	for (int i = 0; i < op->u.kmem.n; i++) {
		struct link_size l = target_link(c, &op->u.kmem.t[i], in(names, n, op->u.kmem.t[i].ns));

		if (drain_check(c, op, i, &l, &hd.old[i]))
			return EXIT_USAGE;
		ask += kmem_charge(&op->u.kmem.t[i].w, &l);
	}
	if (hd.total <= op->u.kmem.max && ask <= op->u.kmem.max - hd.total)
		return 0;
	kmem_fmt(a, sizeof a, ask);
	kmem_fmt(h, sizeof h, hd.total);
	kmem_fmt(m, sizeof m, op->u.kmem.max);
	return err_set(&c->err, EXIT_USAGE, "kernel memory: this request is charged %s and your other qdiscs %s: "
		       "over max_kernel_memory = %s (%s)", a, h, m, NPTE_CONF);
}

static void kmem_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)f, (void)op, (void)c, (void)undo;
	/* the script runs as root, whom the budget does not limit */
}

const struct op_type kmem_op = {
	.name = "check memory", .apply = kmem_apply, .render = kmem_render, .precheck = true,
};

/* --- building the check ---------------------------------------------------- */

/* One player plays at most two lines (a direction each): room to spare. */
#define KMEM_PLAYED 4
static struct kmem_target worst[KMEM_PLAYED];
static int nworst;

void plan_kmem_worst(const char *ns, const char *ifname, const struct kmem_want *w)
{
	for (int i = 0; i < nworst; i++)
		if (strcmp(worst[i].ns, ns) == 0 && strcmp(worst[i].ifname, ifname) == 0) {
			kmem_max(&worst[i].w, w);
			return;
		}
	if (nworst == KMEM_PLAYED)
		die(EXIT_USAGE, "kernel memory: more than %d played interfaces in one request", KMEM_PLAYED);
	snprintf(worst[nworst].ns, sizeof worst[nworst].ns, "%s", ns);
	snprintf(worst[nworst].ifname, sizeof worst[nworst].ifname, "%s", ifname);
	worst[nworst++].w = *w;
}

static struct kmem_want want_of(const struct qdisc_args *r)
{
	struct kmem_want w = qkind_of(r->kind)->want(&r->q);
	const struct qdisc_kind *k;
	union qspec q;

	if (r->has_child && (k = qdisc_child_spec(&r->child, &q, NULL))) {
		struct kmem_want cw = k->want(&q);

		kmem_add(&w, &cw);
	}
	return w;
}

/* The target of a root, clear or change op (NULL for any other op). */
static bool target_of(const struct op *op, struct kmem_target *t)
{
	const struct qdisc_args *r = &op->u.qdisc;
	unsigned keeps;

	if (op->type != &root_op && op->type != &clear_op && op->type != &change_op)
		return false;
	memset(t, 0, sizeof *t);
	snprintf(t->ns, sizeof t->ns, "%s", op->ns);
	snprintf(t->ifname, sizeof t->ifname, "%s", r->ifname);
	if (op->type == &clear_op)
		return true;
	t->w = want_of(r);
	t->root_only = op->type == &change_op;
	keeps = t->root_only && qkind_of(r->kind)->keeps ? qkind_of(r->kind)->keeps(&r->q) : 0;
	t->keep_rate = keeps & QK_KEEPS_RATE;
	t->keep_slot = keeps & QK_KEEPS_SLOT;
	return true;
}

/* A played schedule asks for its worst step, not only its first. */
static void merge_worst(struct kmem_target *t)
{
	for (int i = 0; i < nworst; i++)
		if (strcmp(worst[i].ns, t->ns) == 0 && strcmp(worst[i].ifname, t->ifname) == 0)
			kmem_max(&t->w, &worst[i].w);
}

/* Room for n targets, for the life of the process: the plan's ops hold no
 * destructor, and a process builds one guarded plan (the one it runs). Held
 * in a static so that what it holds stays reachable. */
static struct kmem_target *kmem_targets(size_t n, const char *verb)
{
	static struct kmem_target *t;

	t = calloc(n, sizeof *t);
	if (!t)
		die(EXIT_FAIL, "%s: kernel memory: out of memory for %zu interfaces", verb, n);
	return t;
}

void plan_guard_kmem(struct plan *p, const char *verb)
{
	struct config cfg;
	struct err e = {0};
	struct op *k;
	size_t first = p->n, n = 0;
	bool shapes = false;

	for (size_t i = p->n; i-- > 0;)
		if (target_of(&p->ops[i], &(struct kmem_target){0})) {
			first = i;
			n++;
			shapes |= p->ops[i].type != &clear_op;
		}
	if (!shapes)
		return; /* nothing that could hold more */
	if (config_load(&cfg, &e))
		die(e.code, "%s: %s", verb, e.msg);
	plan_add(p, &kmem_op);
	memmove(&p->ops[first + 1], &p->ops[first], (p->n - 1 - first) * sizeof p->ops[0]);
	k = &p->ops[first];
	memset(k, 0, sizeof *k);
	k->type = &kmem_op;
	memcpy(k->ns, p->ops[first + 1].ns, sizeof k->ns);
	snprintf(k->u.kmem.verb, sizeof k->u.kmem.verb, "%s", verb);
	k->u.kmem.max = cfg.max_kernel_memory;
	k->u.kmem.t = kmem_targets(n, verb);
	for (size_t i = first + 1; i < p->n; i++) {
		struct kmem_target t;

		if (!target_of(&p->ops[i], &t))
			continue;
		merge_worst(&t);
		k->u.kmem.t[k->u.kmem.n++] = t;
	}
}
