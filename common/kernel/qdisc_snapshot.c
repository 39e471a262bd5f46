/* Snapshot and restore of a root qdisc tree (see qdisc_snapshot.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include "kernel/qdisc_snapshot.h"
#include "kernel/requests.h"

static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} req;

struct dump {
	int ifindex, n, err;
	struct qdisc_snapshot all;
};

static int dump_cb(const struct nlmsghdr *h, void *data)
{
	struct dump *d = data;
	const struct tcmsg *tm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWQDISC || tm->tcm_ifindex != d->ifindex || !tm->tcm_handle)
		return MNL_CB_OK;
	if (d->all.n >= QDISC_SNAPSHOT_MAX) {
		d->err = -E2BIG;
		return MNL_CB_OK;
	}
	typeof(d->all.q[0]) *q = &d->all.q[d->all.n++];

	memset(q, 0, sizeof *q);
	q->handle = tm->tcm_handle;
	q->parent = tm->tcm_parent;
	mnl_attr_for_each(a, h, sizeof *tm) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			if (strlen(mnl_attr_get_str(a)) >= sizeof q->kind)
				d->err = -E2BIG;
			snprintf(q->kind, sizeof q->kind, "%s", mnl_attr_get_str(a));
		} else if (mnl_attr_get_type(a) == TCA_OPTIONS) {
			if (mnl_attr_get_payload_len(a) > QDISC_SNAPSHOT_OPTS) {
				d->err = -E2BIG;
				continue;
			}
			q->otype = a->nla_type;
			q->olen = (uint16_t)mnl_attr_get_payload_len(a);
			memcpy(q->opts, mnl_attr_get_payload(a), q->olen);
		}
	}
	return MNL_CB_OK;
}

/* Under a kept qdisc: its parent's major is one of the kept handles. */
static bool under(const struct qdisc_snapshot *s, uint32_t parent)
{
	for (int i = 0; i < s->n; i++)
		if (TC_H_MAJ(parent) == s->q[i].handle)
			return true;
	return false;
}

int qdisc_snapshot_take(struct netlink *nl, int ifindex, struct qdisc_snapshot *s)
{
	static struct dump d;
	bool taken[QDISC_SNAPSHOT_MAX] = {false};
	int rc;

	memset(&d, 0, sizeof d);
	d.ifindex = ifindex;
	rc = netlink_request(nl, req_qdisc_dump(nl, req.b), dump_cb, &d, NULL, 0);
	if (rc < 0)
		return rc;
	if (d.err)
		return d.err;
	s->n = 0;
	/* the root, then whatever hangs under what is kept, parents before children */
	for (int i = 0; i < d.all.n; i++)
		if (d.all.q[i].parent == TC_H_ROOT) {
			s->q[s->n++] = d.all.q[i];
			taken[i] = true;
		}
	for (bool more = s->n > 0; more;) {
		more = false;
		for (int i = 0; i < d.all.n; i++)
			if (!taken[i] && d.all.q[i].parent != TC_H_ROOT && under(s, d.all.q[i].parent)) {
				s->q[s->n++] = d.all.q[i];
				taken[i] = more = true;
			}
	}
	return 0;
}

int qdisc_snapshot_restore(struct netlink *nl, int ifindex, const struct qdisc_snapshot *s, char *ext, size_t extn)
{
	int rc = netlink_talk(nl, req_qdisc_del_root(nl, req.b, ifindex), ext, extn);

	/* ENOENT: only the default root is there */
	if (rc < 0 && rc != -ENOENT)
		return rc;
	for (int i = 0; i < s->n; i++) {
		struct nlmsghdr *h = req_qdisc_raw(nl, req.b, NLM_F_CREATE | NLM_F_EXCL, ifindex, s->q[i].handle,
						     s->q[i].parent, s->q[i].kind);
		struct nlattr *o = mnl_attr_nest_start(h, TCA_OPTIONS);

		o->nla_type = s->q[i].otype;
		memcpy(mnl_nlmsg_get_payload_tail(h), s->q[i].opts, s->q[i].olen);
		h->nlmsg_len += MNL_ALIGN(s->q[i].olen);
		mnl_attr_nest_end(h, o);
		rc = netlink_talk(nl, h, ext, extn);
		if (rc < 0)
			return rc;
	}
	return 0;
}
