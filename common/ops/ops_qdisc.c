/* Ops for root qdiscs: netem (with an optional child), tbf, and clear. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "kernel/netns.h"
#include "ops/ops.h"
#include "kernel/requests.h"
#include "shape/qdisc.h"
#include "base/escape.h"

/* The one request buffer of the qdisc ops (NL_BUF: a netem with its tables
 * is too large for the stack); each op builds and sends before the next. */
static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} req;

static int dev_of(struct txn *c, const struct op *op, struct nshandle **h)
{
	return ops_ifindex(c, op->ns, op->u.qdisc.ifname, h);
}

struct root_q {
	int idx;
	uint32_t handle;
	char kind[16];
};

static int root_cb(const struct nlmsghdr *h, void *data)
{
	struct root_q *q = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWQDISC || t->tcm_ifindex != q->idx || t->tcm_parent != TC_H_ROOT)
		return 0;
	q->handle = t->tcm_handle;
	mnl_attr_for_each(a, h, sizeof *t)
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(q->kind, sizeof q->kind, "%s", mnl_attr_get_str(a));
	return 0;
}

/* The handle of the root qdisc on idx now (0 for the kernel's default), and its kind. */
static int root_read(struct netlink *nl, int idx, uint32_t *handle, char *kind, size_t kn)
{
	struct root_q q = {.idx = idx};
	int rc = netlink_request(nl, req_qdisc_dump(nl, req.b), root_cb, &q, NULL, 0);

	*handle = q.handle;
	if (kind)
		snprintf(kind, kn, "%s", q.kind);
	return rc < 0 ? rc : 0;
}

static int root_handle(struct netlink *nl, int idx, uint32_t *handle)
{
	return root_read(nl, idx, handle, NULL, 0);
}

/* The major the new root takes: whichever of 1 and 2 the current root is not. */
static int new_major(struct netlink *nl, int idx, unsigned *major)
{
	uint32_t handle;
	int rc = root_handle(nl, idx, &handle);

	if (rc < 0)
		return rc;
	*major = TC_H_MAJ(handle) == (1U << 16) ? 2 : 1;
	return 0;
}

struct mix {
	int idx;
	bool netem, dup;
};

static int mix_cb(const struct nlmsghdr *h, void *data)
{
	struct mix *x = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(h);
	const struct nlattr *a, *opts = NULL;
	const struct qdisc_kind *k = NULL;

	if (h->nlmsg_type != RTM_NEWQDISC || t->tcm_ifindex != x->idx)
		return 0;
	mnl_attr_for_each(a, h, sizeof *t) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			k = qkind_find(mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == TCA_OPTIONS)
			opts = a;
	}
	if (k && k->dumped_duplicates) {
		x->netem = true;
		x->dup |= opts && k->dumped_duplicates(opts);
	}
	return 0;
}

/*
 * The kernel (6.1 since its 2025 fix, and later) refuses to make a netem
 * while another netem in the device's tree duplicates, or a duplicating one
 * while any other netem is there. A new root is made while the old tree is
 * still in place, so over such a tree it goes in through a plain pfifo: the
 * old tree is gone, for as long as one more request takes, before the netem
 * comes. True when that is needed.
 */
static int netem_would_mix(struct netlink *nl, int idx, bool new_dup, bool *mix)
{
	struct mix x = {.idx = idx};
	int rc = netlink_request(nl, req_qdisc_dump(nl, req.b), mix_cb, &x, NULL, 0);

	*mix = x.netem && (new_dup || x.dup);
	return rc < 0 ? rc : 0;
}

/*
 * Over a tree the new root may not join (netem_would_mix), put a pfifo at
 * the root first, under *major, and move *major to the other handle.
 */
static int pfifo_first(struct txn *c, const struct op *op, struct nshandle *h, int idx, unsigned *major)
{
	const struct qdisc_args *r = &op->u.qdisc;
	const struct qdisc_kind *k = qkind_of(r->kind);
	char ext[256];
	bool mix;
	int rc;

	if (!k->duplicates)
		return 0;
	rc = netem_would_mix(&h->nl, idx, k->duplicates(&r->q), &mix);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, r->ifname);
	if (!mix)
		return 0;
	rc = netlink_talk(&h->nl, req_qdisc_raw(&h->nl, req.b, NLM_F_CREATE | NLM_F_REPLACE, idx, *major << 16,
						TC_H_ROOT, "pfifo"),
			  ext, sizeof ext);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: pfifo%s%s", op->ns, r->ifname, ext[0] ? ": " : "", ext);
	/* the pfifo is this run's until the netem replaces it */
	txn_made(c, &(struct ident){.cookie = h->cookie, .ifindex = idx, .handle = *major << 16});
	*major = *major == 1 ? 2 : 1;
	return 0;
}

/*
 * The kernel refused to make a qdisc of kind k (what: "" or "child "): its
 * error, and when it does not know the kind, the one hint that every verb
 * making one gives (qkind_missing_hint), from here only.
 */
static int make_refused(struct txn *c, const struct op *op, const char *what, const struct qdisc_kind *k, int rc,
			const char *ext)
{
	char hint[160] = "";
	size_t len;

	if (c->err.code)
		return c->err.code;
	err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: %s%s%s%s", op->ns, op->u.qdisc.ifname, what, k->name,
		ext[0] ? ": " : "", ext);
	if (qkind_unknown_reply(rc, ext)) {
		qkind_missing_hint(k, hint, sizeof hint);
		len = strlen(c->err.msg);
		snprintf(c->err.msg + len, sizeof c->err.msg - len, "; %s", hint);
	}
	return EXIT_FAIL;
}

/* Replace at the root under a different handle: a fresh qdisc is grafted in
 * one step, so the kernel keeps no attribute of the one it replaces. */
static int graft_root(struct txn *c, const struct op *op, struct nshandle *h, int idx, unsigned major)
{
	const struct qdisc_args *r = &op->u.qdisc;
	struct nlmsghdr *m;
	char ext[256];
	int rc = req_qdisc_new(&h->nl, req.b, sizeof req.b,
				&(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_REPLACE, .ifindex = idx,
						    .handle = major << 16, .parent = TC_H_ROOT, .kind = r->kind,
						    .spec = &r->q},
				&m);

	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: build request", op->ns, r->ifname);
	rc = netlink_talk(&h->nl, m, ext, sizeof ext);
	if (rc < 0)
		return make_refused(c, op, "", qkind_of(r->kind), rc, ext);
	/* The handle was free (not the old root's): a root with it is this run's. */
	txn_made(c, &(struct ident){.cookie = h->cookie, .ifindex = idx, .handle = major << 16});
	return 0;
}

/* The child under the root at major; without it the root goes too. */
static int add_child(struct txn *c, const struct op *op, struct nshandle *h, int idx, unsigned major)
{
	const struct qdisc_args *r = &op->u.qdisc;
	const struct qdisc_kind *k;
	union qspec q;
	struct nlmsghdr *m;
	char ext[256] = "";
	int rc = -EINVAL;

	if ((k = qdisc_child_spec(&r->child, &q, NULL)))
		rc = req_qdisc_new(&h->nl, req.b, sizeof req.b,
				    &(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_EXCL, .ifindex = idx,
							.handle = (major * 16) << 16, .parent = major << 16,
							.kind = qkind_index(k), .spec = &q},
				    &m);
	if (rc >= 0)
		rc = netlink_talk(&h->nl, m, ext, sizeof ext);
	if (rc < 0) {
		if (k)
			make_refused(c, op, "child ", k, rc, ext);
		else
			err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: child %s", op->ns, r->ifname, r->child.kind);
		/* Never leave it half-shaped: without its child the root goes too. */
		netlink_talk(&h->nl, req_qdisc_del_root(&h->nl, req.b, idx), NULL, 0);
		return EXIT_FAIL;
	}
	return 0;
}

static int root_do(struct txn *c, const struct op *op)
{
	struct nshandle *h;
	unsigned major;
	int idx = dev_of(c, op, &h), rc;

	if (idx < 0)
		return c->err.code;
	rc = new_major(&h->nl, idx, &major);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, op->u.qdisc.ifname);
	if ((rc = pfifo_first(c, op, h, idx, &major)) || (rc = graft_root(c, op, h, idx, major)))
		return rc;
	return op->u.qdisc.has_child ? add_child(c, op, h, idx, major) : 0;
}

static int clear_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	char ext[256];
	int idx = dev_of(c, op, &h), rc;

	(void)undo;
	if (idx < 0)
		return c->err.code;
	rc = netlink_talk(&h->nl, req_qdisc_del_root(&h->nl, req.b, idx), ext, sizeof ext);
	/* ENOENT: only the default qdisc is there, which is what clear wants. */
	if (rc < 0 && rc != -ENOENT)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: clear%s%s", op->ns, op->u.qdisc.ifname,
			       ext[0] ? ": " : "", ext);
	return 0;
}

/* Graft the root; or undo that: remove the root this run grafted, while it
 * still is the root. */
static int root_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	uint32_t handle;
	int rc, idx;

	if (!undo)
		return root_do(c, op);
	rc = txn_ns(c, op->ns, &h);
	if (rc == -ENOENT || rc == -ENOTNS)
		return 0;
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	if (!op->made.cookie || h->cookie != op->made.cookie)
		return 0;
	idx = req_ifindex(&h->nl, op->u.qdisc.ifname);
	if (idx == -ENODEV || idx != op->made.ifindex)
		return 0;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", op->ns, op->u.qdisc.ifname);
	rc = root_handle(&h->nl, idx, &handle);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, op->u.qdisc.ifname);
	return handle == op->made.handle ? clear_apply(c, op, false) : 0;
}

/* --- rendering ----------------------------------------------------------------- */

static void tc_prefix(FILE *f, const struct op *op)
{
	render_cmd(f, (const char *[]){"ip", "netns", "exec", op->ns, "tc", "qdisc", NULL});
}

static void words(FILE *f, const char *flag, const char *v)
{
	char buf[SHAPE_WORDS_LEN], *save = NULL;

	if (!v[0])
		return;
	if (flag)
		fprintf(f, " %s", flag);
	snprintf(buf, sizeof buf, "%s", v);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		fputc(' ', f);
		sh_quote(f, t);
	}
}

/* " KIND WORD...": a spec as tc takes it. */
static void kind_words(FILE *f, const char *kind, const char *spec_words)
{
	fprintf(f, " %s", kind);
	words(f, NULL, spec_words);
}

static void del_cmd(FILE *f, const struct op *op)
{
	tc_prefix(f, op);
	fputs(" del dev ", f);
	sh_quote(f, op->u.qdisc.ifname);
	fputs(" root", f);
}

static void root_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	const struct qdisc_args *r = &op->u.qdisc;

	(void)c;
	if (undo) {
		del_cmd(f, op);
		return;
	}
	/* The same choice of handle as the live run, made by the shell. */
	fputs("if ", f);
	tc_prefix(f, op);
	fputs(" show dev ", f);
	sh_quote(f, op->u.qdisc.ifname);
	fputs(" root | grep -q ' 1: root'; then npte_h=2; else npte_h=1; fi\n", f);
	if (qkind_of(r->kind)->duplicates) {
		/* the same way through a pfifo as the live run, on the same test */
		fputs("if ", f);
		tc_prefix(f, op);
		fputs(" show dev ", f);
		sh_quote(f, op->u.qdisc.ifname);
		fputs(" | grep -q '^qdisc netem '", f);
		if (!qkind_of(r->kind)->duplicates(&r->q)) {
			fputs(" && ", f);
			tc_prefix(f, op);
			fputs(" show dev ", f);
			sh_quote(f, op->u.qdisc.ifname);
			fputs(" | grep -q '^qdisc netem .* duplicate '", f);
		}
		fputs("; then\n  ", f);
		tc_prefix(f, op);
		fputs(" replace dev ", f);
		sh_quote(f, op->u.qdisc.ifname);
		fputs(" root handle \"$npte_h\": pfifo\n  if [ \"$npte_h\" = 1 ]; then npte_h=2; else npte_h=1; fi\nfi\n", f);
	}
	tc_prefix(f, op);
	fputs(" replace dev ", f);
	sh_quote(f, op->u.qdisc.ifname);
	fputs(" root handle \"$npte_h\":", f);
	kind_words(f, qkind_of(r->kind)->name, qspec_words(&r->q));
	fputc('\n', f);
	if (r->has_child) {
		union qspec q;
		const struct qdisc_kind *k = qdisc_child_spec(&r->child, &q, NULL);

		tc_prefix(f, op);
		fputs(" add dev ", f);
		sh_quote(f, op->u.qdisc.ifname);
		fputs(" parent \"$npte_h\": handle \"$npte_h\"0:", f);
		kind_words(f, r->child.kind, k ? qspec_words(&q) : "");
		fputc('\n', f);
	}
}

static void clear_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c, (void)undo;
	/* The device must exist (the live run says so with exit 1); no root qdisc is fine. */
	render_cmd(f, (const char *[]){"ip", "-n", op->ns, "link", "show", "dev", op->u.qdisc.ifname, NULL});
	fputs(" >/dev/null\n", f);
	del_cmd(f, op);
	fputs(" 2>/dev/null || :\n", f);
}

const struct qdisc_kind *qdisc_child_spec(const struct qdisc_child *ch, union qspec *q, struct err *e)
{
	const struct qdisc_kind *k = qkind_find(ch->kind);
	struct err none = {0};

	if (!k || !k->from_rate)
		return NULL;
	return k->from_rate(q, ch->rate, e ? e : &none) ? k : NULL;
}

/*
 * The journal form: IFNAME;KIND;WORDS;CHILD;CHILD RATE (WORDS: the root's
 * words as given, blank-separated). Loaded back through the same grammar
 * as the command line, so nothing unvalidated comes back.
 */
static int root_save(const struct op *op, char *buf, size_t n)
{
	const struct qdisc_args *r = &op->u.qdisc;
	const char *ck = r->has_child ? r->child.kind : "-", *cr = r->has_child ? r->child.rate : "-";
	int len = snprintf(buf, n, "%s;%s;%s;%s;%s", r->ifname, qkind_of(r->kind)->name, qspec_words(&r->q), ck, cr);

	return len < 0 || (size_t)len >= n || strpbrk(buf, "|\n") ? -EINVAL : 0;
}

/* A journal field's child, KIND;RATE ("-;-": none), as the command line takes it. */
static int child_load(struct qdisc_args *r, const char *kind, const char *rate)
{
	union qspec q;
	struct err e = {0};

	if (strcmp(kind, "-") == 0)
		return 0;
	r->has_child = true;
	if (strlen(kind) >= sizeof r->child.kind || strlen(rate) >= sizeof r->child.rate)
		return -EINVAL;
	snprintf(r->child.kind, sizeof r->child.kind, "%s", kind);
	snprintf(r->child.rate, sizeof r->child.rate, "%s", rate);
	if (!qdisc_child_spec(&r->child, &q, &e))
		return -EINVAL;
	return shape_rate(rate, &r->child.rate64, &e) ? 0 : -EINVAL;
}

static int root_load(struct op *op, const char *s)
{
	struct qdisc_args *r = &op->u.qdisc;
	char buf[2048], *f[6] = {0};
	const struct qdisc_kind *k;
	struct err e = {0};
	int nf = 0;

	if (strlen(s) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, s);
	for (char *p = buf, *end; nf < 6; p = end + 1) {
		f[nf++] = p;
		if (!(end = strchr(p, ';')))
			break;
		*end = '\0';
	}
	memset(r, 0, sizeof *r);
	if (nf != 5 || !valid_ifname(f[0], NULL) || !(k = qkind_find(f[1])) || k->child_only)
		return -EINVAL;
	snprintf(r->ifname, sizeof r->ifname, "%s", f[0]);
	r->kind = qkind_index(k);
	if (!qkind_parse_str(k, &r->q, f[2], shape_tick_in_usec(), &e))
		return -EINVAL;
	return child_load(r, f[3], f[4]);
}

const struct op_type root_op = {
	.name = "qdisc replace", .apply = root_apply, .render = root_render, .undoable = true,
	.save = root_save, .load = root_load,
};

const struct op_type clear_op = {
	.name = "qdisc clear", .apply = clear_apply, .render = clear_render,
};

/*
 * Change the root in place: RTM_NEWQDISC without NLM_F_CREATE, parent root,
 * no handle, as `tc qdisc change dev IF root KIND WORDS` sends it. The kernel
 * keeps the qdisc, its handle and its queue, and takes the new options (those
 * tc leaves out keep their old values, as with tc). Only over a root of the
 * same kind: anything else is refused before a byte is sent.
 */
static int change_apply(struct txn *c, const struct op *op, bool undo)
{
	const struct qdisc_args *r = &op->u.qdisc;
	const char *want = qkind_of(r->kind)->name;
	struct nshandle *h;
	struct nlmsghdr *m;
	uint32_t handle;
	char ext[256], kind[16];
	int idx = dev_of(c, op, &h), rc;

	(void)undo;
	if (idx < 0)
		return c->err.code;
	rc = root_read(&h->nl, idx, &handle, kind, sizeof kind);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, r->ifname);
	if (!handle || strcmp(kind, want) != 0)
		return err_set(&c->err, EXIT_USAGE, "%s: %s: the root qdisc is not %s (it is %s): nothing to change",
			       op->ns, r->ifname, want, handle ? disp(kind) : "the default");
	rc = req_qdisc_new(&h->nl, req.b, sizeof req.b,
			    &(struct qdisc_new){.flags = 0, .ifindex = idx, .handle = 0, .parent = TC_H_ROOT,
						.kind = r->kind, .spec = &r->q},
			    &m);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: build request", op->ns, r->ifname);
	rc = netlink_talk(&h->nl, m, ext, sizeof ext);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: change %s%s%s", op->ns, r->ifname, want,
			       ext[0] ? ": " : "", ext);
	return 0;
}

static void change_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	const struct qdisc_args *r = &op->u.qdisc;
	const char *want = qkind_of(r->kind)->name;
	char msg[160], pat[32];

	(void)c, (void)undo;
	snprintf(msg, sizeof msg, "%s: change: %s: %s: the root qdisc is not %s: nothing to change", prog,
		 op->ns, r->ifname, want);
	snprintf(pat, sizeof pat, "^qdisc %s [0-9a-f]*: root ", want);
	tc_prefix(f, op);
	fputs(" show dev ", f);
	sh_quote(f, r->ifname);
	fputs(" root | grep -q ", f);
	sh_quote(f, pat);
	fputs(" || { echo ", f);
	sh_quote(f, msg);
	fputs(" >&2; exit 2; }\n", f);
	tc_prefix(f, op);
	fputs(" change dev ", f);
	sh_quote(f, r->ifname);
	fputs(" root", f);
	kind_words(f, want, qspec_words(&r->q));
	fputc('\n', f);
}

const struct op_type change_op = {
	.name = "qdisc change", .apply = change_apply, .render = change_render,
};

static struct op *qop(struct plan *p, const struct op_type *t, const char *ns, const char *ifname)
{
	struct op *op = op_ns(p, t, ns);

	snprintf(op->u.qdisc.ifname, sizeof op->u.qdisc.ifname, "%s", ifname);
	return op;
}

void plan_qdisc_root(struct plan *p, const char *ns, const char *ifname, enum qkind kind,
		     const union qspec *q, const struct qdisc_child *child)
{
	struct qdisc_args *r = &qop(p, &root_op, ns, ifname)->u.qdisc;

	r->kind = kind;
	r->q = *q;
	if (child) {
		r->has_child = true;
		r->child = *child;
	}
}

void plan_netem(struct plan *p, const char *ns, const char *ifname, const struct netem_spec *s,
		const struct qdisc_child *child)
{
	plan_qdisc_root(p, ns, ifname, QK_NETEM, &(union qspec){.netem = *s}, child);
}

void plan_tbf(struct plan *p, const char *ns, const char *ifname, const struct tbf_spec *t)
{
	plan_qdisc_root(p, ns, ifname, QK_TBF, &(union qspec){.tbf = *t}, NULL);
}

void plan_qdisc_clear(struct plan *p, const char *ns, const char *ifname)
{
	qop(p, &clear_op, ns, ifname);
}

void plan_qdisc_change(struct plan *p, const char *ns, const char *ifname, enum qkind kind, const union qspec *q)
{
	struct qdisc_args *r = &qop(p, &change_op, ns, ifname)->u.qdisc;

	r->kind = kind;
	r->q = *q;
}
