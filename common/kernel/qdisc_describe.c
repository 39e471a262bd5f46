/* Reading the shaping of an interface back as tc words (see qdisc_describe.h). */
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "kernel/qdisc_describe.h"
#include "kernel/requests.h"
#include "shape/qdisc.h"
#include "base/escape.h"

/* A dumped qdisc's TCA_KIND (into kind) and TCA_OPTIONS (NULL: none). */
static const struct nlattr *kind_opts(const struct nlmsghdr *h, char *kind, size_t kn)
{
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a, *opts = NULL;

	kind[0] = '\0';
	mnl_attr_for_each(a, h, sizeof *tm) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(kind, kn, "%s", mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == TCA_OPTIONS)
			opts = a;
	}
	return opts;
}

/* One RTM_NEWQDISC message: its kind, and its words when npte knows the kind. */
static void qdisc_words(const struct nlmsghdr *h, struct qdisc_desc *d, double tick)
{
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);
	struct wbuf b = {.s = d->words, .cap = sizeof d->words};
	const struct nlattr *opts;
	const struct qdisc_kind *k;

	memset(d, 0, sizeof *d);
	d->handle = tm->tcm_handle;
	d->parent = tm->tcm_parent;
	opts = kind_opts(h, d->kind, sizeof d->kind);
	if (opts && (k = qkind_find(d->kind)))
		k->describe(&b, opts, tick);
}

struct scan {
	int ifindex;
	double tick;
	struct qdisc_desc all[QDISC_DESC_MAX];
	int nall;
};

static int scan_cb(const struct nlmsghdr *h, void *data)
{
	struct scan *s = data;
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);

	if (h->nlmsg_type != RTM_NEWQDISC || tm->tcm_ifindex != s->ifindex || s->nall >= QDISC_DESC_MAX)
		return MNL_CB_OK;
	qdisc_words(h, &s->all[s->nall++], s->tick);
	return MNL_CB_OK;
}

/* Every qdisc on s->ifindex, as dumped. */
static int scan(struct netlink *nl, int ifindex, double tick, struct scan *s)
{
	static union {
		struct nlmsghdr h;
		char b[NL_BUF];
	} req;

	memset(s, 0, sizeof *s);
	s->ifindex = ifindex;
	s->tick = tick;
	return netlink_request(nl, req_qdisc_dump(nl, req.b), scan_cb, s, NULL, 0);
}

int qdisc_describe(struct netlink *nl, int ifindex, struct qdisc_desc out[2], int *n, double tick)
{
	static struct scan s;
	int rc = scan(nl, ifindex, tick, &s);

	*n = 0;
	if (rc < 0)
		return rc;
	for (int i = 0; i < s.nall; i++)
		if (s.all[i].parent == TC_H_ROOT && s.all[i].handle)
			out[(*n)++] = s.all[i];
	if (!*n)
		return 0;
	for (int i = 0; i < s.nall; i++)
		if (s.all[i].parent && TC_H_MAJ(s.all[i].parent) == out[0].handle) {
			out[(*n)++] = s.all[i];
			break;
		}
	return 0;
}

int qdisc_describe_all(struct netlink *nl, int ifindex, struct qdisc_desc *out, int max, int *n, double tick)
{
	static struct scan s;
	int rc = scan(nl, ifindex, tick, &s);

	*n = 0;
	if (rc < 0)
		return rc;
	/* the root first: the dump gives children before their parent too */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < s.nall && *n < max; i++)
			if ((s.all[i].parent == TC_H_ROOT) == !pass)
				out[(*n)++] = s.all[i];
	return 0;
}

/* A handle as tc writes it: "1:" for 1:0, "1:a" otherwise. */
static void handle_str(char *b, size_t n, uint32_t h)
{
	if (h == TC_H_ROOT)
		snprintf(b, n, "root");
	else if (TC_H_MIN(h))
		snprintf(b, n, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	else
		snprintf(b, n, "%x:", TC_H_MAJ(h) >> 16);
}

void qdisc_desc_text(FILE *f, const char *dev, const struct qdisc_desc *q)
{
	char hb[16];

	handle_str(hb, sizeof hb, q->handle);
	fprintf(f, "  %s%s%s %s %s%s%s\n", dev ? disp(dev) : "", dev ? " " : "",
		q->parent == TC_H_ROOT ? "root " : "child", hb, disp(q->kind), q->words[0] ? " " : "", q->words);
}

void qdisc_desc_json(FILE *f, const char *dev, const struct qdisc_desc *q)
{
	char hb[16], pb[16];

	handle_str(hb, sizeof hb, q->handle);
	handle_str(pb, sizeof pb, q->parent);
	fputc('{', f);
	if (dev) {
		fputs("\"dev\":", f);
		json_str(f, dev);
		fputc(',', f);
	}
	fputs("\"kind\":", f);
	json_str(f, q->kind);
	fprintf(f, ",\"handle\":\"%s\",\"parent\":\"%s\",\"root\":%s,\"words\":", hb, pb,
		q->parent == TC_H_ROOT ? "true" : "false");
	json_str(f, q->words);
	fputc('}', f);
}

/* pfifo and bfifo, which npte does not make but finds (the kernel's own, or
 * the step through a pfifo in ops_qdisc.c), by their limits. */
static void fifo_held(const char *kind, const struct nlattr *opts, struct kmem_want *w)
{
	const struct tc_fifo_qopt *f = mnl_attr_get_payload(opts);

	if ((strcmp(kind, "pfifo") != 0 && strcmp(kind, "bfifo") != 0) ||
	    mnl_attr_get_payload_len(opts) < sizeof *f)
		return;
	if (kind[0] == 'p')
		w->pkts = f->limit;
	else
		w->bytes = f->limit;
}

void qdisc_kmem(const struct nlmsghdr *h, struct kmem_want *w)
{
	char kind[16];
	const struct nlattr *opts = kind_opts(h, kind, sizeof kind);
	const struct qdisc_kind *k;

	memset(w, 0, sizeof *w);
	if (!opts)
		return;
	if ((k = qkind_find(kind)))
		k->held(opts, w);
	else
		fifo_held(kind, opts, w);
}
