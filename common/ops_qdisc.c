/* Ops for root qdiscs: netem (with an optional child), tbf, and clear. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "netns.h"
#include "ops.h"
#include "rtreq.h"
#include "shape.h"
#include "shquote.h"

static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} req;

struct qroot {
	enum qkind kind; /* QK_NETEM or QK_TBF */
	const struct netem_spec *netem;
	const struct tbf_spec *tbf;
	const struct qdisc_child *child;
};

#define QROOT_MAX 64
static struct qroot qroots[QROOT_MAX];
static unsigned nqroots;

static int dev_of(struct ctx *c, const struct op *op, struct nshandle **h)
{
	int rc = ctx_ns(c, op->ns, h), idx;

	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns), -1;
	idx = knl_ifindex(&(*h)->nl, op->ifname);
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", op->ns, op->ifname), -1;
	return idx;
}

struct root_q {
	int idx;
	uint32_t handle;
};

static int root_cb(const struct nlmsghdr *h, void *data)
{
	struct root_q *q = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(h);

	if (h->nlmsg_type == RTM_NEWQDISC && t->tcm_ifindex == q->idx && t->tcm_parent == TC_H_ROOT)
		q->handle = t->tcm_handle;
	return 0;
}

/* The handle of the root qdisc on idx now (0 for the kernel's default). */
static int root_handle(struct knl *nl, int idx, uint32_t *handle)
{
	struct root_q q = {.idx = idx};
	int rc = knl_request(nl, rtreq_qdisc_dump(nl, req.b), root_cb, &q, NULL, 0);

	*handle = q.handle;
	return rc < 0 ? rc : 0;
}

/* The major the new root takes: whichever of 1 and 2 the current root is not. */
static int new_major(struct knl *nl, int idx, unsigned *major)
{
	uint32_t handle;
	int rc = root_handle(nl, idx, &handle);

	if (rc < 0)
		return rc;
	*major = TC_H_MAJ(handle) == (1U << 16) ? 2 : 1;
	return 0;
}

static int root_exec(struct ctx *c, const struct op *op)
{
	const struct qroot *r = op->data;
	struct nshandle *h;
	struct nlmsghdr *m;
	unsigned major;
	char ext[256];
	int idx = dev_of(c, op, &h), rc;

	if (idx < 0)
		return c->err.code;
	rc = new_major(&h->nl, idx, &major);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, op->ifname);
	/* Replace at the root under a different handle: a fresh qdisc is grafted in
	 * one step, so the kernel keeps no attribute of the one it replaces. */
	rc = rtreq_qdisc_new(&h->nl, req.b, sizeof req.b,
			    &(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_REPLACE, .ifindex = idx,
						.handle = major << 16, .parent = TC_H_ROOT, .kind = r->kind,
						.netem = r->netem, .tbf = r->tbf},
			    &m);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: build request", op->ns, op->ifname);
	rc = knl_talk(&h->nl, m, ext, sizeof ext);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: %s%s%s", op->ns, op->ifname,
			       r->kind == QK_NETEM ? "netem" : "tbf", ext[0] ? ": " : "", ext);
	/* The handle was free (not the old root's): a root with it is this run's. */
	ctx_made(c, &(struct ident){.cookie = h->nl.cookie, .ifindex = idx, .handle = major << 16});
	if (!r->child)
		return 0;
	rc = rtreq_qdisc_new(&h->nl, req.b, sizeof req.b,
			    &(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_EXCL, .ifindex = idx,
						.handle = (major * 16) << 16, .parent = major << 16,
						.kind = strcmp(r->child->kind, "cake") == 0 ? QK_CAKE : QK_TBF,
						.tbf = r->child->tbf, .rate64 = r->child->rate64},
			    &m);
	if (rc >= 0)
		rc = knl_talk(&h->nl, m, ext, sizeof ext);
	if (rc < 0) {
		err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: child %s%s%s", op->ns, op->ifname, r->child->kind,
			ext[0] ? ": " : "", ext);
		/* Never leave it half-shaped: without its child the root goes too. */
		knl_talk(&h->nl, rtreq_qdisc_del_root(&h->nl, req.b, idx), NULL, 0);
		return EXIT_FAIL;
	}
	return 0;
}

static int clear_exec(struct ctx *c, const struct op *op)
{
	struct nshandle *h;
	char ext[256];
	int idx = dev_of(c, op, &h), rc;

	if (idx < 0)
		return c->err.code;
	rc = knl_talk(&h->nl, rtreq_qdisc_del_root(&h->nl, req.b, idx), ext, sizeof ext);
	/* ENOENT: only the default qdisc is there, which is what clear wants. */
	if (rc < 0 && rc != -ENOENT)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: clear%s%s", op->ns, op->ifname,
			       ext[0] ? ": " : "", ext);
	return 0;
}

/* Undo a root replace: remove the root this run grafted, if it still is the root. */
static int root_undo(struct ctx *c, const struct op *op)
{
	struct nshandle *h;
	uint32_t handle;
	int rc = ctx_ns(c, op->ns, &h), idx;

	if (rc == -ENOENT || rc == -ENOTNS)
		return 0;
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	if (!op->made.cookie || h->nl.cookie != op->made.cookie)
		return 0;
	idx = knl_ifindex(&h->nl, op->ifname);
	if (idx == -ENODEV || idx != op->made.ifindex)
		return 0;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", op->ns, op->ifname);
	rc = root_handle(&h->nl, idx, &handle);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, op->ifname);
	return handle == op->made.handle ? clear_exec(c, op) : 0;
}

/* --- rendering ----------------------------------------------------------------- */

static void tc_prefix(FILE *f, const struct op *op)
{
	render_cmd(f, (const char *[]){"ip", "netns", "exec", op->ns, "tc", "qdisc", NULL});
}

static void words(FILE *f, const char *flag, const char *v)
{
	char buf[256], *save = NULL;

	if (!v[0])
		return;
	fprintf(f, " %s", flag);
	snprintf(buf, sizeof buf, "%s", v);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		fputc(' ', f);
		sh_quote(f, t);
	}
}

static void tbf_words(FILE *f, const struct tbf_spec *t)
{
	fputs(" tbf", f);
	words(f, "rate", t->rate);
	words(f, "burst", t->burst);
	words(f, "latency", t->latency);
}

static void root_render(FILE *f, const struct op *op, const struct ctx *c)
{
	const struct qroot *r = op->data;

	(void)c;
	/* The same choice of handle as the live run, made by the shell. */
	fputs("if ", f);
	tc_prefix(f, op);
	fputs(" show dev ", f);
	sh_quote(f, op->ifname);
	fputs(" root | grep -q ' 1: root'; then npte_h=2; else npte_h=1; fi\n", f);
	tc_prefix(f, op);
	fputs(" replace dev ", f);
	sh_quote(f, op->ifname);
	fputs(" root handle \"$npte_h\":", f);
	if (r->kind == QK_NETEM) {
		fputs(" netem", f);
		words(f, "delay", r->netem->delay);
		words(f, "loss", r->netem->loss);
		words(f, "limit", r->netem->limit);
		words(f, "rate", r->netem->rate);
		words(f, "slot", r->netem->slot);
	} else {
		tbf_words(f, r->tbf);
	}
	fputc('\n', f);
	if (r->child) {
		tc_prefix(f, op);
		fputs(" add dev ", f);
		sh_quote(f, op->ifname);
		fputs(" parent \"$npte_h\": handle \"$npte_h\"0:", f);
		if (strcmp(r->child->kind, "cake") == 0) {
			fputs(" cake", f);
			words(f, "bandwidth", r->child->rate);
		} else {
			tbf_words(f, r->child->tbf);
		}
		fputc('\n', f);
	}
}

static void del_cmd(FILE *f, const struct op *op, const struct ctx *c)
{
	(void)c;
	tc_prefix(f, op);
	fputs(" del dev ", f);
	sh_quote(f, op->ifname);
	fputs(" root", f);
}

static void clear_render(FILE *f, const struct op *op, const struct ctx *c)
{
	/* The device must exist (the live run says so with exit 1); no root qdisc is fine. */
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, "link", "show", "dev", op->ifname, NULL});
	fputs(" >/dev/null\n", f);
	del_cmd(f, op, c);
	fputs(" 2>/dev/null || :\n", f);
}

const struct op_type root_op = {
	.name = "qdisc replace", .exec = root_exec, .undo = root_undo,
	.render = root_render, .render_undo = del_cmd,
};

const struct op_type clear_op = {
	.name = "qdisc clear", .exec = clear_exec, .render = clear_render,
};

static struct op *qop(struct plan *p, const struct op_type *t, const char *ns, const char *ifname)
{
	struct op *op = op_ns(p, t, ns);

	snprintf(op->ifname, sizeof op->ifname, "%s", ifname);
	return op;
}

static struct qroot *new_root(void)
{
	if (nqroots >= QROOT_MAX)
		die(EXIT_USAGE, "too many qdiscs in one transaction");
	return &qroots[nqroots++];
}

void plan_netem(struct plan *p, const char *ns, const char *ifname, const struct netem_spec *s,
		const struct qdisc_child *child)
{
	struct qroot *r = new_root();

	*r = (struct qroot){.kind = QK_NETEM, .netem = s, .child = child};
	qop(p, &root_op, ns, ifname)->data = r;
}

void plan_tbf(struct plan *p, const char *ns, const char *ifname, const struct tbf_spec *t)
{
	struct qroot *r = new_root();

	*r = (struct qroot){.kind = QK_TBF, .tbf = t};
	qop(p, &root_op, ns, ifname)->data = r;
}

void plan_qdisc_clear(struct plan *p, const char *ns, const char *ifname)
{
	qop(p, &clear_op, ns, ifname);
}
