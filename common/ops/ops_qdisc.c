/* Ops for root qdiscs: netem (with an optional child), tbf, and clear. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "kernel/netns.h"
#include "ops/ops.h"
#include "kernel/requests.h"
#include "shape/shape.h"
#include "base/escape.h"

static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} req;

static int dev_of(struct txn *c, const struct op *op, struct nshandle **h)
{
	int rc = txn_ns(c, op->ns, h), idx;

	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns), -1;
	idx = req_ifindex(&(*h)->nl, op->u.qdisc.ifname);
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", op->ns, op->u.qdisc.ifname), -1;
	return idx;
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
	const struct nlattr *a;
	bool netem = false;
	uint32_t dup = 0;

	if (h->nlmsg_type != RTM_NEWQDISC || t->tcm_ifindex != x->idx)
		return 0;
	mnl_attr_for_each(a, h, sizeof *t) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			netem = strcmp(mnl_attr_get_str(a), "netem") == 0;
		else if (mnl_attr_get_type(a) == TCA_OPTIONS &&
			 mnl_attr_get_payload_len(a) >= sizeof(struct tc_netem_qopt))
			dup = ((const struct tc_netem_qopt *)mnl_attr_get_payload(a))->duplicate;
	}
	if (netem) {
		x->netem = true;
		x->dup |= dup != 0;
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

static int root_do(struct txn *c, const struct op *op)
{
	const struct qdisc_args *r = &op->u.qdisc;
	const char *ifn = r->ifname;
	struct nshandle *h;
	struct nlmsghdr *m;
	unsigned major;
	char ext[256];
	int idx = dev_of(c, op, &h), rc;

	if (idx < 0)
		return c->err.code;
	rc = new_major(&h->nl, idx, &major);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, ifn);
	if (r->kind == QK_NETEM) {
		bool mix;

		rc = netem_would_mix(&h->nl, idx, r->q.netem.qopt.duplicate != 0, &mix);
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", op->ns, ifn);
		if (mix) {
			rc = netlink_talk(&h->nl, req_qdisc_raw(&h->nl, req.b, NLM_F_CREATE | NLM_F_REPLACE, idx,
							      major << 16, TC_H_ROOT, "pfifo"),
				      ext, sizeof ext);
			if (rc < 0)
				return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: pfifo%s%s", op->ns, ifn,
					       ext[0] ? ": " : "", ext);
			/* the pfifo is this run's until the netem replaces it */
			txn_made(c, &(struct ident){.cookie = h->nl.cookie, .ifindex = idx, .handle = major << 16});
			major = major == 1 ? 2 : 1;
		}
	}
	/* Replace at the root under a different handle: a fresh qdisc is grafted in
	 * one step, so the kernel keeps no attribute of the one it replaces. */
	rc = req_qdisc_new(&h->nl, req.b, sizeof req.b,
			    &(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_REPLACE, .ifindex = idx,
						.handle = major << 16, .parent = TC_H_ROOT, .kind = r->kind,
						.netem = &r->q.netem, .tbf = &r->q.tbf},
			    &m);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: build request", op->ns, ifn);
	rc = netlink_talk(&h->nl, m, ext, sizeof ext);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: %s%s%s", op->ns, ifn,
			       r->kind == QK_NETEM ? "netem" : "tbf", ext[0] ? ": " : "", ext);
	/* The handle was free (not the old root's): a root with it is this run's. */
	txn_made(c, &(struct ident){.cookie = h->nl.cookie, .ifindex = idx, .handle = major << 16});
	if (!r->has_child)
		return 0;
	rc = req_qdisc_new(&h->nl, req.b, sizeof req.b,
			    &(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_EXCL, .ifindex = idx,
						.handle = (major * 16) << 16, .parent = major << 16,
						.kind = strcmp(r->child.kind, "cake") == 0 ? QK_CAKE : QK_TBF,
						.tbf = &r->child.tbf, .rate64 = r->child.rate64},
			    &m);
	if (rc >= 0)
		rc = netlink_talk(&h->nl, m, ext, sizeof ext);
	if (rc < 0) {
		err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: child %s%s%s", op->ns, ifn, r->child.kind,
			ext[0] ? ": " : "", ext);
		/* Never leave it half-shaped: without its child the root goes too. */
		netlink_talk(&h->nl, req_qdisc_del_root(&h->nl, req.b, idx), NULL, 0);
		return EXIT_FAIL;
	}
	return 0;
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
	if (!op->made.cookie || h->nl.cookie != op->made.cookie)
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

static void kind_words(FILE *f, enum qkind kind, const struct netem_spec *ne, const struct tbf_spec *t)
{
	fputs(kind == QK_NETEM ? " netem" : " tbf", f);
	words(f, NULL, kind == QK_NETEM ? ne->words : t->words);
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
	if (r->kind == QK_NETEM) {
		/* the same way through a pfifo as the live run, on the same test */
		fputs("if ", f);
		tc_prefix(f, op);
		fputs(" show dev ", f);
		sh_quote(f, op->u.qdisc.ifname);
		fputs(" | grep -q '^qdisc netem '", f);
		if (!r->q.netem.qopt.duplicate) {
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
	kind_words(f, r->kind, &r->q.netem, &r->q.tbf);
	fputc('\n', f);
	if (r->has_child) {
		tc_prefix(f, op);
		fputs(" add dev ", f);
		sh_quote(f, op->u.qdisc.ifname);
		fputs(" parent \"$npte_h\": handle \"$npte_h\"0:", f);
		if (strcmp(r->child.kind, "cake") == 0) {
			fputs(" cake", f);
			words(f, "bandwidth", r->child.rate);
		} else {
			kind_words(f, QK_TBF, NULL, &r->child.tbf);
		}
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

/*
 * The journal form: IFNAME;KIND;WORDS;CHILD;CHILD RATE (WORDS: the netem or
 * tbf words as given, blank-separated). Loaded back through the same grammar
 * as the command line, so nothing unvalidated comes back. Journals of the
 * version before keep netem's five flag values (delay;loss;limit;rate;slot)
 * or tbf's three (rate;burst;latency) in separate fields: read as words too.
 */
static int root_save(const struct op *op, char *buf, size_t n)
{
	const struct qdisc_args *r = &op->u.qdisc;
	const char *ck = r->has_child ? r->child.kind : "-", *cr = r->has_child ? r->child.rate : "-";
	int len = snprintf(buf, n, "%s;%s;%s;%s;%s", r->ifname, r->kind == QK_NETEM ? "netem" : "tbf",
			   r->kind == QK_NETEM ? r->q.netem.words : r->q.tbf.words, ck, cr);

	return len < 0 || (size_t)len >= n || strpbrk(buf, "|\n") ? -EINVAL : 0;
}

/* The words of an older journal's separate fields: "KW VALUE" for each set one. */
static bool old_words(char *dst, size_t cap, char *const *f, const char *const *kw, int k)
{
	size_t len = 0;

	dst[0] = '\0';
	for (int i = 0; i < k; i++) {
		int w;

		if (!f[i][0])
			continue;
		w = snprintf(dst + len, cap - len, "%s%s %s", len ? " " : "", kw[i], f[i]);
		if (w < 0 || (size_t)w >= cap - len)
			return false;
		len += (size_t)w;
	}
	return true;
}

static int root_load(struct op *op, const char *s)
{
	static const char *const nkw[] = {"delay", "loss", "limit", "rate", "slot"};
	static const char *const tkw[] = {"rate", "burst", "latency"};
	struct qdisc_args *r = &op->u.qdisc;
	char buf[2048], *f[10] = {0}, why[160], w[SHAPE_WORDS_LEN];
	int nf = 0;

	if (strlen(s) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, s);
	for (char *p = buf, *end; nf < 10; p = end + 1) {
		f[nf++] = p;
		if (!(end = strchr(p, ';')))
			break;
		*end = '\0';
	}
	memset(r, 0, sizeof *r);
	if (nf < 2 || !valid_ifname(f[0], NULL))
		return -EINVAL;
	snprintf(r->ifname, sizeof r->ifname, "%s", f[0]);
	if (strcmp(f[1], "netem") == 0 && (nf == 5 || nf == 9)) {
		r->kind = QK_NETEM;
		if ((nf == 9 && !old_words(w, sizeof w, f + 2, nkw, 5)) ||
		    !netem_parse_str(&r->q.netem, nf == 9 ? w : f[2], shape_tick_in_usec(), why, sizeof why))
			return -EINVAL;
	} else if (strcmp(f[1], "tbf") == 0 && (nf == 5 || nf == 7)) {
		r->kind = QK_TBF;
		if ((nf == 7 && !old_words(w, sizeof w, f + 2, tkw, 3)) ||
		    !tbf_parse_str(&r->q.tbf, nf == 7 ? w : f[2], why, sizeof why))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (strcmp(f[nf - 2], "-") == 0)
		return 0;
	r->has_child = true;
	snprintf(r->child.kind, sizeof r->child.kind, "%s", f[nf - 2]);
	snprintf(r->child.rate, sizeof r->child.rate, "%s", f[nf - 1]);
	if (strcmp(r->child.kind, "tbf") == 0) {
		if (!tbf_parse(&r->child.tbf, r->child.rate, NULL, NULL, why, sizeof why))
			return -EINVAL;
		r->child.rate64 = r->child.tbf.rate64;
		return 0;
	}
	return strcmp(r->child.kind, "cake") == 0 && shape_rate(r->child.rate, &r->child.rate64, why, sizeof why)
		       ? 0
		       : -EINVAL;
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
	const char *want = r->kind == QK_NETEM ? "netem" : "tbf";
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
						.kind = r->kind, .netem = &r->q.netem, .tbf = &r->q.tbf},
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
	const char *want = r->kind == QK_NETEM ? "netem" : "tbf";
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
	kind_words(f, r->kind, &r->q.netem, &r->q.tbf);
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

void plan_netem(struct plan *p, const char *ns, const char *ifname, const struct netem_spec *s,
		const struct qdisc_child *child)
{
	struct qdisc_args *r = &qop(p, &root_op, ns, ifname)->u.qdisc;

	r->kind = QK_NETEM;
	r->q.netem = *s;
	if (child) {
		r->has_child = true;
		r->child = *child;
	}
}

void plan_tbf(struct plan *p, const char *ns, const char *ifname, const struct tbf_spec *t)
{
	struct qdisc_args *r = &qop(p, &root_op, ns, ifname)->u.qdisc;

	r->kind = QK_TBF;
	r->q.tbf = *t;
}

void plan_qdisc_clear(struct plan *p, const char *ns, const char *ifname)
{
	qop(p, &clear_op, ns, ifname);
}

void plan_qdisc_change(struct plan *p, const char *ns, const char *ifname, enum qkind kind,
		       const struct netem_spec *ne, const struct tbf_spec *t)
{
	struct qdisc_args *r = &qop(p, &change_op, ns, ifname)->u.qdisc;

	r->kind = kind;
	if (kind == QK_NETEM)
		r->q.netem = *ne;
	else
		r->q.tbf = *t;
}
