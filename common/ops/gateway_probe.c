/*
 * What a gateway's plan depends on, read from the host: its default route's
 * interface (the uplink), a free slot of the pool, whether npte must turn the
 * uplink's forwarding on, and, for a destroy, which of its parts exist.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include "base/escape.h"
#include "kernel/netns.h"
#include "kernel/nft.h"
#include "kernel/requests.h"
#include "ops/ops.h"

static union {
	struct nlmsghdr h;
	char b[RTREQ_BUF];
} req;

bool gw_uplink_ok(const char *s)
{
	size_t n = strlen(s);

	if (!valid_ifname(s, NULL) || n > IFNAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* --- the host's links ---------------------------------------------------------- */

#define LINKS_MAX 16384
static struct links {
	int n;
	int idx[LINKS_MAX];
	char name[LINKS_MAX][IFNAME_MAX + 1];
} links;

static int link_cb(const struct nlmsghdr *h, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	(void)data;
	if (h->nlmsg_type != RTM_NEWLINK || links.n == LINKS_MAX)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof *ifi) {
		if (mnl_attr_get_type(a) != IFLA_IFNAME || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
		    strlen(mnl_attr_get_str(a)) > IFNAME_MAX)
			continue;
		links.idx[links.n] = ifi->ifi_index;
		snprintf(links.name[links.n++], IFNAME_MAX + 1, "%s", mnl_attr_get_str(a));
	}
	return MNL_CB_OK;
}

static int links_read(struct netlink *nl)
{
	links.n = 0;
	return netlink_request(nl, req_link_dump(nl, req.b), link_cb, NULL, NULL, 0);
}

static const char *link_name(int idx)
{
	for (int i = 0; i < links.n; i++)
		if (links.idx[i] == idx)
			return links.name[i];
	return NULL;
}

/* --- the default route ------------------------------------------------------------ */

struct defroute {
	int oif;
	uint32_t prio;
	bool found;
};

static int route_cb(const struct nlmsghdr *h, void *data)
{
	const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
	struct defroute *d = data;
	const struct nlattr *a;
	uint32_t table = rt->rtm_table, prio = 0;
	int oif = 0;

	if (h->nlmsg_type != RTM_NEWROUTE || rt->rtm_dst_len || rt->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof *rt) {
		if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			oif = (int)mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			table = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_PRIORITY && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			prio = mnl_attr_get_u32(a);
	}
	/* the main table's, the lowest metric first (as the kernel picks it) */
	if (table == RT_TABLE_MAIN && oif > 0 && (!d->found || prio < d->prio))
		*d = (struct defroute){.oif = oif, .prio = prio, .found = true};
	return MNL_CB_OK;
}

static int default_oif(struct netlink *nl, int family, struct defroute *d)
{
	memset(d, 0, sizeof *d);
	return netlink_request(nl, req_route_dump(nl, req.b, family), route_cb, d, NULL, 0);
}

/* --- the pool ------------------------------------------------------------------- */

static unsigned char used[GW_SLOTS / 8];

static void mark(unsigned s)
{
	if (s < GW_SLOTS)
		used[s / 8] |= (unsigned char)(1u << (s % 8));
}

/* Any address of the host inside the pool takes its slot. */
static int addr_cb(const struct nlmsghdr *h, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;
	struct ipaddr p6;

	(void)data;
	gw_addr(0, AF_INET6, true, &p6);
	if (h->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof *ifa) {
		const unsigned char *v = mnl_attr_get_payload(a);
		uint32_t v4;

		if (mnl_attr_get_type(a) != IFA_ADDRESS && mnl_attr_get_type(a) != IFA_LOCAL)
			continue;
		if (ifa->ifa_family == AF_INET && mnl_attr_get_payload_len(a) == 4) {
			memcpy(&v4, v, 4);
			v4 = ntohl(v4);
			if ((v4 & 0xffc00000u) == GW_POOL4)
				mark((v4 - GW_POOL4) / 4);
		} else if (ifa->ifa_family == AF_INET6 && mnl_attr_get_payload_len(a) == 16 && !memcmp(v, p6.a, 6)) {
			mark((unsigned)v[6] << 8 | v[7]);
		}
	}
	return MNL_CB_OK;
}

/* The slot of the pool address on ifindex (the host's end), if any. */
struct slot_of {
	int ifindex;
	int slot;
	bool v6;
};

static int slot_cb(const struct nlmsghdr *h, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	struct slot_of *so = data;

	if (h->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != so->ifindex)
		return MNL_CB_OK;
	memset(used, 0, sizeof used);
	addr_cb(h, NULL);
	for (unsigned s = 0; s < GW_SLOTS; s++)
		if (used[s / 8] & (1u << (s % 8))) {
			so->slot = (int)s;
			so->v6 |= ifa->ifa_family == AF_INET6;
		}
	return MNL_CB_OK;
}

int gw_slot(const char *ns, unsigned *slot, bool *v6)
{
	struct slot_of so = {.slot = -1};
	char ifn[IFNAME_MAX + 1];
	struct netlink nl;
	int rc = netlink_open(&nl);

	if (rc < 0)
		return rc;
	gw_ifname(ifn, sizeof ifn, ns);
	so.ifindex = req_ifindex(&nl, ifn);
	if (so.ifindex > 0)
		for (int fam = AF_INET; fam && rc == 0; fam = fam == AF_INET ? AF_INET6 : 0)
			rc = netlink_request(&nl, req_addr_dump(&nl, req.b, fam), slot_cb, &so, NULL, 0);
	netlink_close(&nl);
	if (rc < 0)
		return rc;
	if (so.slot < 0)
		return -ENOENT;
	*slot = (unsigned)so.slot;
	*v6 = so.v6;
	return 0;
}

static int free_slot(struct txn *c, struct netlink *nl, unsigned *slot)
{
	int rc;

	memset(used, 0, sizeof used);
	if ((rc = netlink_request(nl, req_addr_dump(nl, req.b, AF_INET), addr_cb, NULL, NULL, 0)) < 0 ||
	    (rc = netlink_request(nl, req_addr_dump(nl, req.b, AF_INET6), addr_cb, NULL, NULL, 0)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "read the host's addresses");
	for (unsigned s = 0; s < GW_SLOTS; s++)
		if (!(used[s / 8] & (1u << (s % 8))))
			return *slot = s, 0;
	return err_set(&c->err, EXIT_FAIL, "the gateway pool is full (%u gateways)", GW_SLOTS);
}

/* --- create and destroy ------------------------------------------------------------ */

static char chains[GW_CHAINS_MAX][NFT_NAME_MAX];

/* The chains of inet npte; a kernel without nf_tables has none (a destroy of
 * a namespace must not fail there for want of rules it cannot hold). */
static int read_chains(void)
{
	int n = nft_chains(-1, chains, GW_CHAINS_MAX);

	return n == -EPROTONOSUPPORT || n == -ENOENT ? 0 : n;
}

static bool has_chain(int n, const char *a, const char *b)
{
	char want[NFT_NAME_MAX];

	snprintf(want, sizeof want, "%s%s", a, b);
	for (int i = 0; i < n; i++)
		if (strcmp(chains[i], want) == 0)
			return true;
	return false;
}

/* Which forwarding of the uplink npte turns on: only what is off and not
 * already npte's doing (its chain there says so). */
static int uplink_flags(struct txn *c, struct gw_info *g, int n)
{
	int v4 = 0, v6 = 0, all6 = 0, rc;

	if ((rc = gw_sysctl_read("ipv4", g->uplink, "forwarding", &v4)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: read its forwarding", g->uplink);
	if (!v4 && !has_chain(n, GW_UP4_PREFIX, g->uplink))
		g->flags |= GW_UP4;
	if (!(g->flags & GW_V6))
		return 0;
	if ((rc = gw_sysctl_read("ipv6", "all", "forwarding", &all6)) < 0 ||
	    (rc = gw_sysctl_read("ipv6", g->uplink, "force_forwarding", &v6)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: read its IPv6 forwarding", g->uplink);
	if (!all6 && !v6 && !has_chain(n, GW_UP6_PREFIX, g->uplink))
		g->flags |= GW_UP6;
	return 0;
}

int gw_probe_create(struct txn *c, const char *ns, struct gw_info *g)
{
	struct netlink *nl;
	struct defroute d4, d6;
	const char *up;
	int rc, n;

	memset(g, 0, sizeof *g);
	g->ns = ns;
	if ((rc = txn_host(c, &nl)) < 0 || (rc = default_oif(nl, AF_INET, &d4)) < 0 ||
	    (rc = default_oif(nl, AF_INET6, &d6)) < 0 || (rc = links_read(nl)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "read the host's routes");
	if (!d4.found)
		return err_set(&c->err, EXIT_FAIL, "the host has no IPv4 default route for a gateway to use");
	up = link_name(d4.oif);
	if (!up || !gw_uplink_ok(up))
		return err_set(&c->err, EXIT_FAIL, "the host's default route leaves by an interface npte cannot "
			       "name in a rule ('%s')", up ? disp(up) : "?");
	snprintf(g->uplink, sizeof g->uplink, "%s", up);
	/* IPv6 needs per-interface forwarding (force_forwarding, Linux 6.17):
	 * without it the gateway is IPv4 only, rather than none */
	if (d6.found && d6.oif == d4.oif && gw_sysctl_read("ipv6", "lo", "force_forwarding", &n) == 0)
		g->flags |= GW_V6;
	n = read_chains();
	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "read table inet %s", NFT_TABLE);
	if (uplink_flags(c, g, n))
		return c->err.code;
	return free_slot(c, nl, &g->slot);
}

/* The ifindex of ifn when it is NS's gateway's host end: a veth whose peer
 * lives in NS, by the host's id of NS. 0 otherwise: a host interface that only
 * has the name (root's own gw-lan, say) is never npte's to remove, and one
 * whose namespace is gone from its name goes when that namespace ends. */
static int host_end(struct txn *c, struct netlink *nl, const char *ns, const char *ifn)
{
	struct nshandle *h;
	int32_t peer, id;
	int idx = req_veth_peer_nsid(nl, ifn, &peer), rc;

	if (idx == -ENODEV)
		return 0;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s", ifn);
	if (peer < 0)
		return 0;
	rc = txn_ns(c, ns, &h);
	if (rc == -ENOENT || rc == -ENOTNS)
		return 0;
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", ns);
	if ((rc = req_nsid_of(nl, h->fd, &id)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: its id on the host", ns);
	return id == peer ? idx : 0;
}

/* Is chain a gateway's other than ifn's and those of gone[]? */
static bool other_gw(const char *chain, const char *ifn, char (*gone)[16], int ngone)
{
	size_t pl = strlen(GW_HOST_PREFIX);

	if (strncmp(chain, GW_HOST_PREFIX, pl) != 0)
		return false;
	for (int i = -1; i < ngone; i++) {
		const char *n = i < 0 ? ifn + pl : gone[i];
		size_t l = strlen(n);

		if (strncmp(chain + pl, n, l) == 0 && chain[pl + l] == '-')
			return false;
	}
	return true;
}

int gw_probe_destroy(struct txn *c, const char *ns, struct gw_info *g, char (*gone)[16], int ngone)
{
	char ifn[IFNAME_MAX + 1];
	struct netlink *nl;
	bool others = false, link;
	int n, rc;

	memset(g, 0, sizeof *g);
	g->ns = ns;
	snprintf(g->uplink, sizeof g->uplink, "lo"); /* none: a name that passes gw_load */
	gw_ifname(ifn, sizeof ifn, ns);
	if ((rc = txn_host(c, &nl)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "netlink socket"), -1;
	if ((rc = host_end(c, nl, ns, ifn)) < 0)
		return -1;
	link = rc > 0;
	if (link)
		g->flags |= GW_LINK, g->link = rc;
	n = read_chains();
	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "read table inet %s", NFT_TABLE), -1;
	if (has_chain(n, ifn, "-in") || has_chain(n, ifn, "-fwd") || has_chain(n, ifn, "-nat"))
		g->flags |= GW_CHAINS;
	for (int i = 0; i < n; i++)
		others |= other_gw(chains[i], ifn, gone, ngone);
	for (int i = 0; !others && i < n; i++) {
		bool v4 = strncmp(chains[i], GW_UP4_PREFIX, strlen(GW_UP4_PREFIX)) == 0;

		if (!v4 && strncmp(chains[i], GW_UP6_PREFIX, strlen(GW_UP6_PREFIX)) != 0)
			continue;
		if (!gw_uplink_ok(chains[i] + strlen(GW_UP4_PREFIX)))
			continue; /* not a name npte gives */
		g->flags |= v4 ? GW_UP4 : GW_UP6;
		snprintf(g->uplink, sizeof g->uplink, "%s", chains[i] + strlen(GW_UP4_PREFIX));
	}
	if (!others)
		g->flags |= GW_LAST;
	return link || (g->flags & GW_CHAINS);
}

int gw_list(char (*ns)[16], int max)
{
	struct netlink nl;
	size_t pl = strlen(GW_HOST_PREFIX);
	int n = 0, k, rc = netlink_open(&nl);

	if (rc < 0)
		return rc;
	rc = links_read(&nl);
	netlink_close(&nl);
	if (rc < 0)
		return rc;
	k = read_chains();
	if (k < 0)
		return k;
	for (int i = 0; i < links.n && n < max; i++)
		if (strncmp(links.name[i], GW_HOST_PREFIX, pl) == 0 && valid_netns_name(links.name[i] + pl, NULL))
			snprintf(ns[n++], 16, "%s", links.name[i] + pl);
	for (int i = 0; i < k && n < max; i++) {
		char name[NFT_NAME_MAX], *end;
		bool seen = false;

		if (strncmp(chains[i], GW_HOST_PREFIX, pl) != 0 || !(end = strrchr(chains[i], '-')) ||
		    strcmp(end, "-in") != 0)
			continue;
		snprintf(name, sizeof name, "%.*s", (int)(end - chains[i] - (long)pl), chains[i] + pl);
		for (int j = 0; j < n; j++)
			seen |= strcmp(ns[j], name) == 0;
		if (!seen && valid_netns_name(name, NULL))
			memcpy(ns[n++], name, 16); /* a valid name: at most 12 bytes and its NUL */
	}
	return n;
}

int plan_gateway_gone(struct plan *p, struct txn *c, char (*names)[16], int n)
{
	for (int i = 0; i < n; i++) {
		struct gw_info g;
		/* the gateways removed before this one in the plan count as gone */
		int rc = gw_probe_destroy(c, names[i], &g, names, i);

		if (rc < 0)
			return c->err.code;
		if (rc)
			plan_gateway_destroy(p, &g);
	}
	return 0;
}
