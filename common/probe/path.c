/* The path hop by hop, and what its qdiscs apply (see probe.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "kernel/netns.h"
#include "kernel/requests.h"
#include "probe/probe.h"
#include "shape/qdisc.h"

/* A netem rate as the bits a second of full frames get through it: a packet
 * or cell overhead (ADSL's ATM tax) is paid by every 1514-byte frame, and a
 * transfer's goodput is judged against what is left. */
static double netem_frame_rate(const struct netem_spec *n)
{
	const struct tc_netem_rate *r = &n->rate_s;
	double frame = 1514, wire = frame + r->packet_overhead, rate = n->rate64 ? (double)n->rate64 : r->rate;

	if (r->cell_size)
		wire = ceil(wire / r->cell_size) * (r->cell_size + r->cell_overhead);
	return wire > 0 ? rate * 8.0 * frame / wire : rate * 8.0;
}

/* One qdisc's delay, jitter, loss and rate, from the words npte reads back
 * (the same words npte-netem takes): the kernel's values in tc's units. */
static bool qdisc_values(const struct qdisc_desc *q, struct hop *h, double tick)
{
	static union qspec s;
	const struct qdisc_kind *k = qkind_find(q->kind);
	struct err e = {0};

	if (!k)
		return strcmp(q->kind, "pfifo") == 0 || strcmp(q->kind, "bfifo") == 0 ||
		       strcmp(q->kind, "pfifo_fast") == 0 || strcmp(q->kind, "noqueue") == 0;
	if (!qkind_parse_str(k, &s, q->words, tick, &e))
		return false;
	if (k == &netem_kind) {
		const struct netem_spec *n = &s.netem;

		h->delay_ms += n->qopt.latency / tick / 1000.0;
		h->jitter_ms += n->qopt.jitter / tick / 1000.0;
		if (n->loss_model)
			return false; /* a Gilbert model's mean loss is not one number npte judges */
		h->loss_pct = 100.0 - (100.0 - h->loss_pct) * (1.0 - n->qopt.loss / 4294967295.0);
		double rate = netem_frame_rate(n);

		if (rate > 0 && (!h->rate_bps || rate < h->rate_bps))
			h->rate_bps = rate;
		return true;
	}
	uint64_t rate = k == &tbf_kind ? s.tbf.rate64 : s.cake.rate64;

	if (rate && (!h->rate_bps || rate * 8.0 < h->rate_bps))
		h->rate_bps = rate * 8.0;
	return true;
}

/* The hop out of nsfd's namespace toward dst: its device and qdiscs; the
 * peer's namespace id in *peer_nsid. */
static int hop_read(struct netlink *nl, const struct ipaddr *dst, struct hop *h, int32_t *peer_nsid)
{
	struct link_peer lp;
	double tick = shape_tick_in_usec();
	int oif = req_route_oif(nl, dst), rc;

	if (oif < 0)
		return oif;
	if ((rc = req_link_peer(nl, oif, &lp)) < 0)
		return rc;
	snprintf(h->dev, sizeof h->dev, "%s", lp.ifname);
	*peer_nsid = lp.peer_nsid;
	if ((rc = qdisc_describe(nl, oif, h->q, &h->nq, tick)) < 0)
		return rc;
	for (int i = 0; i < h->nq; i++)
		if (!qdisc_values(&h->q[i], h, tick))
			h->unread = true;
	return 0;
}

/* Which of ns has id in the nsid table of nl's namespace, or -1. */
static int ns_of_id(struct netlink *nl, const struct path_ns *ns, int nns, int32_t id)
{
	for (int i = 0; id >= 0 && i < nns; i++) {
		int32_t got;

		if (req_nsid_of(nl, ns[i].fd, &got) == 0 && got == id)
			return i;
	}
	return -1;
}

int path_walk(const struct path_ns *ns, int nns, int from, int to, const struct ipaddr *dst, struct path *p)
{
	int at = from;

	memset(p, 0, sizeof *p);
	while (at != to && at >= 0 && p->n < HOPS_MAX) {
		struct hop *h = &p->h[p->n];
		struct netlink nl;
		int32_t peer = -1;
		int rc = netns_nl(ns[at].fd, &nl);

		if (rc < 0)
			return rc;
		snprintf(h->ns, sizeof h->ns, "%s", ns[at].name);
		rc = hop_read(&nl, dst, h, &peer);
		if (rc == 0)
			at = ns_of_id(&nl, ns, nns, peer);
		netlink_close(&nl);
		if (rc < 0)
			return rc;
		p->n++;
	}
	p->complete = at == to;
	return 0;
}

void path_applied(const struct path *p, struct applied *a)
{
	memset(a, 0, sizeof *a);
	a->unknown = !p->complete;
	for (int i = 0; i < p->n; i++) {
		const struct hop *h = &p->h[i];

		a->unknown |= h->unread;
		a->delay_ms += h->delay_ms, a->jitter_ms += h->jitter_ms;
		a->delay |= h->delay_ms > 0;
		a->loss |= h->loss_pct > 0;
		a->loss_pct = 100.0 - (100.0 - a->loss_pct) * (1.0 - h->loss_pct / 100.0);
		if (h->rate_bps && (!a->rate || h->rate_bps < a->rate_bps))
			a->rate_bps = h->rate_bps, a->rate = true;
	}
}
