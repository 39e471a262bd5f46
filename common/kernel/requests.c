/* The rtnetlink requests (see requests.h), laid out as iproute2 lays them out. */
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/net_namespace.h>
#include "kernel/requests.h"
#include "shape/qdisc.h"

static struct nlmsghdr *link_msg(struct netlink *nl, void *buf, uint16_t type, uint16_t flags,
				 struct ifinfomsg **ifi)
{
	struct nlmsghdr *h = netlink_msg(nl, buf, type, flags);

	*ifi = mnl_nlmsg_put_extra_header(h, sizeof **ifi);
	(*ifi)->ifi_family = AF_UNSPEC;
	return h;
}

static struct nlmsghdr *link_get(struct netlink *nl, void *buf, const char *name)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = link_msg(nl, buf, RTM_GETLINK, 0, &ifi);

	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return h;
}

struct nlmsghdr *req_link_dump(struct netlink *nl, void *buf)
{
	struct ifinfomsg *ifi;

	return link_msg(nl, buf, RTM_GETLINK, NLM_F_DUMP, &ifi);
}

struct nlmsghdr *req_link_dump_of(struct netlink *nl, void *buf, int32_t nsid)
{
	struct nlmsghdr *h = req_link_dump(nl, buf);

	mnl_attr_put_u32(h, IFLA_TARGET_NETNSID, (uint32_t)nsid);
	/* a lookup at the links, not their counters: the kernel fills a third less */
	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return h;
}

static struct nlmsghdr *link_up(struct netlink *nl, void *buf, int ifindex)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = link_msg(nl, buf, RTM_NEWLINK, 0, &ifi);

	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return h;
}

struct nlmsghdr *req_link_del(struct netlink *nl, void *buf, int ifindex)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = link_msg(nl, buf, RTM_DELLINK, 0, &ifi);

	ifi->ifi_index = ifindex;
	return h;
}

struct nlmsghdr *req_veth_add(struct netlink *nl, void *buf, const char *ifname, const char *peer,
			       int peer_nsfd)
{
	struct ifinfomsg *ifi, *pifi;
	struct nlmsghdr *h = link_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi);
	struct nlattr *info, *data, *pe;

	mnl_attr_put_strz(h, IFLA_IFNAME, ifname);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	pe = mnl_attr_nest_start(h, VETH_INFO_PEER);
	/* The peer's own ifinfomsg heads VETH_INFO_PEER, then its attributes. */
	pifi = (struct ifinfomsg *)((char *)h + h->nlmsg_len);
	memset(pifi, 0, sizeof *pifi);
	h->nlmsg_len += MNL_ALIGN(sizeof *pifi);
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)peer_nsfd);
	mnl_attr_nest_end(h, pe);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	return h;
}

/* RTM_NEWxxx, new and exclusive, to add; RTM_DELxxx to delete. */
static struct nlmsghdr *new_or_del(struct netlink *nl, void *buf, bool add, uint16_t new_type,
				   uint16_t del_type)
{
	return netlink_msg(nl, buf, add ? new_type : del_type, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
}

static size_t addr_len(const struct ipaddr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

struct nlmsghdr *req_addr(struct netlink *nl, void *buf, bool add, int ifindex, const struct ipaddr *a,
			   unsigned plen)
{
	struct nlmsghdr *h = new_or_del(nl, buf, add, RTM_NEWADDR, RTM_DELADDR);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof *ifa);

	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_index = (unsigned)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	/* Usable at once: a tentative IPv6 address cannot be bound for ~1 s of DAD. */
	if (a->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(h, IFA_LOCAL, addr_len(a), a->a);
	mnl_attr_put(h, IFA_ADDRESS, addr_len(a), a->a);
	return h;
}

struct nlmsghdr *req_route(struct netlink *nl, void *buf, bool add, const struct ipaddr *dst,
			    unsigned plen, const struct ipaddr *gw)
{
	struct nlmsghdr *h = new_or_del(nl, buf, add, RTM_NEWROUTE, RTM_DELROUTE);
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);

	rt->rtm_family = (unsigned char)gw->family;
	rt->rtm_dst_len = (unsigned char)plen;
	rt->rtm_table = RT_TABLE_MAIN;
	/* proto static: `ip route flush proto static` finds what npte added. */
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	/* both in the gateway's family, as the request's */
	if (plen)
		mnl_attr_put(h, RTA_DST, addr_len(gw), dst->a);
	mnl_attr_put(h, RTA_GATEWAY, addr_len(gw), gw->a);
	return h;
}

static struct nlmsghdr *qdisc_msg(struct netlink *nl, void *buf, uint16_t type, uint16_t flags, int ifindex,
				  uint32_t handle, uint32_t parent)
{
	struct nlmsghdr *h = netlink_msg(nl, buf, type, flags);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(h, sizeof *t);

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_handle = handle;
	t->tcm_parent = parent;
	return h;
}

struct nlmsghdr *req_qdisc_dump(struct netlink *nl, void *buf)
{
	return qdisc_msg(nl, buf, RTM_GETQDISC, NLM_F_DUMP, 0, 0, 0);
}

struct nlmsghdr *req_qdisc_del_root(struct netlink *nl, void *buf, int ifindex)
{
	return qdisc_msg(nl, buf, RTM_DELQDISC, 0, ifindex, 0, TC_H_ROOT);
}

struct nlmsghdr *req_qdisc_raw(struct netlink *nl, void *buf, uint16_t flags, int ifindex, uint32_t handle,
				 uint32_t parent, const char *kind)
{
	struct nlmsghdr *h = qdisc_msg(nl, buf, RTM_NEWQDISC, flags, ifindex, handle, parent);

	mnl_attr_put_strz(h, TCA_KIND, kind);
	return h;
}

int req_qdisc_new(struct netlink *nl, void *buf, size_t cap, const struct qdisc_new *q,
		   struct nlmsghdr **out)
{
	*out = qdisc_msg(nl, buf, RTM_NEWQDISC, q->flags, q->ifindex, q->handle, q->parent);
	return qkind_of(q->kind)->encode(*out, cap, q->spec, shape_tick_in_usec());
}

static struct nlmsghdr *nsid_msg(struct netlink *nl, void *buf, uint16_t type, uint16_t flags, int nsfd,
				 bool with_id, int32_t id)
{
	struct nlmsghdr *h = netlink_msg(nl, buf, type, flags);
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(h, sizeof *g);

	g->rtgen_family = AF_UNSPEC;
	if (nsfd >= 0)
		mnl_attr_put_u32(h, NETNSA_FD, (uint32_t)nsfd);
	if (with_id)
		mnl_attr_put_u32(h, NETNSA_NSID, (uint32_t)id);
	return h;
}

/* --- requests sent: link lookups and the nsid table --------------------------- */

static int ifindex_cb(const struct nlmsghdr *h, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);

	if (h->nlmsg_type == RTM_NEWLINK)
		*(int *)data = ifi->ifi_index;
	return 0;
}

int req_ifindex(struct netlink *nl, const char *name)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;
	int idx = 0, rc;

	rc = netlink_request(nl, link_get(nl, req.b, name), ifindex_cb, &idx, NULL, 0);
	if (rc < 0)
		return rc;
	return idx > 0 ? idx : -ENODEV;
}

int req_bring_up(struct netlink *nl, int ifindex, char *ext, size_t extn)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;

	return netlink_talk(nl, link_up(nl, req.b, ifindex), ext, extn);
}

/* By name: the kernel finds the link itself (ifi_index 0, IFLA_IFNAME; no
 * NLM_F_CREATE, so a missing one is ENODEV), which saves the RTM_GETLINK
 * round trip (a 1.5 KB answer) that an index would cost first. */
int req_bring_up_name(struct netlink *nl, const char *ifname, char *ext, size_t extn)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;
	struct nlmsghdr *h = link_up(nl, req.b, 0);

	mnl_attr_put_strz(h, IFLA_IFNAME, ifname);
	return netlink_talk(nl, h, ext, extn);
}

/* --- namespace ids (NETLINK_ROUTE's nsid table of the socket's namespace) --- */

int req_nsid_set(struct netlink *nl, int nsfd, int32_t id, char *ext, size_t extn)
{
	static union { struct nlmsghdr h; char b[256]; } req;

	return netlink_talk(nl, nsid_msg(nl, req.b, RTM_NEWNSID, 0, nsfd, true, id), ext, extn);
}

struct nsids {
	int32_t *ids;
	size_t max, n;
	bool over;
};

static int nsid_cb(const struct nlmsghdr *h, void *data)
{
	struct nsids *s = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, h, sizeof(struct rtgenmsg)) {
		if (mnl_attr_get_type(a) != NETNSA_NSID || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			continue;
		if (s->n >= s->max)
			s->over = true;
		else
			s->ids[s->n++] = (int32_t)mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

int req_nsid_list(struct netlink *nl, int32_t *ids, size_t max, size_t *n)
{
	static union { struct nlmsghdr h; char b[256]; } req;
	struct nsids s = {.ids = ids, .max = max};
	int rc = netlink_request(nl, nsid_msg(nl, req.b, RTM_GETNSID, NLM_F_DUMP, -1, false, 0), nsid_cb, &s,
			     NULL, 0);

	*n = s.n;
	if (rc < 0)
		return rc;
	return s.over ? -E2BIG : 0;
}

int req_nsid_exists(struct netlink *nl, int32_t id)
{
	static union { struct nlmsghdr h; char b[256]; } req;
	struct nsids s = {.ids = &id, .max = 1};
	int rc = netlink_request(nl, nsid_msg(nl, req.b, RTM_GETNSID, 0, -1, true, id), nsid_cb, &s, NULL, 0);

	/* ENOENT: no namespace has the id, or the one that had it is ending. */
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : 1;
}

int req_nsid_of(struct netlink *nl, int nsfd, int32_t *id)
{
	static union { struct nlmsghdr h; char b[256]; } req;
	struct nsids s = {.ids = id, .max = 1};
	int rc;

	*id = -1;
	rc = netlink_request(nl, nsid_msg(nl, req.b, RTM_GETNSID, 0, nsfd, false, 0), nsid_cb, &s, NULL, 0);
	return rc < 0 ? rc : 0;
}

struct nlmsghdr *req_route_dump(struct netlink *nl, void *buf, int family)
{
	struct nlmsghdr *h = netlink_msg(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);

	rt->rtm_family = (unsigned char)family;
	return h;
}

struct nlmsghdr *req_addr_dump(struct netlink *nl, void *buf, int family)
{
	struct nlmsghdr *h = netlink_msg(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof *ifa);

	ifa->ifa_family = (unsigned char)family;
	return h;
}

/* --- requests sent: where a packet goes (npte-probe's path) ------------------- */

static int route_oif_cb(const struct nlmsghdr *h, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWROUTE)
		return 0;
	mnl_attr_for_each(a, h, sizeof *rtm)
		if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_get_payload_len(a) >= 4)
			*(int *)data = (int)mnl_attr_get_u32(a);
	return 0;
}

int req_route_oif(struct netlink *nl, const struct ipaddr *dst)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;
	struct nlmsghdr *h = netlink_msg(nl, req.b, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof *rtm);
	int oif = 0, rc;

	rtm->rtm_family = (unsigned char)dst->family;
	rtm->rtm_dst_len = dst->family == AF_INET ? 32 : 128;
	mnl_attr_put(h, RTA_DST, dst->family == AF_INET ? 4 : 16, dst->a);
	rc = netlink_request(nl, h, route_oif_cb, &oif, NULL, 0);
	if (rc < 0)
		return rc;
	return oif > 0 ? oif : -ENETUNREACH;
}

static bool kind_is_veth(const struct nlattr *linkinfo)
{
	const struct nlattr *k;

	mnl_attr_for_each_nested(k, linkinfo)
		if (mnl_attr_get_type(k) == IFLA_INFO_KIND && mnl_attr_validate(k, MNL_TYPE_NUL_STRING) == 0)
			return strcmp(mnl_attr_get_str(k), "veth") == 0;
	return false;
}

static int peer_cb(const struct nlmsghdr *h, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	struct link_peer *p = data;
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	p->ifindex = ifi->ifi_index;
	mnl_attr_for_each(a, h, sizeof *ifi) {
		int t = mnl_attr_get_type(a);

		if (t == IFLA_IFNAME && mnl_attr_get_payload_len(a) <= sizeof p->ifname)
			snprintf(p->ifname, sizeof p->ifname, "%s", mnl_attr_get_str(a));
		else if (t == IFLA_LINK && mnl_attr_get_payload_len(a) >= 4)
			p->peer_ifindex = (int)mnl_attr_get_u32(a);
		else if (t == IFLA_LINK_NETNSID && mnl_attr_get_payload_len(a) >= 4)
			p->peer_nsid = (int32_t)mnl_attr_get_u32(a);
		else if (t == IFLA_LINKINFO && mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			p->veth = kind_is_veth(a);
	}
	return 0;
}

int req_link_peer(struct netlink *nl, int ifindex, struct link_peer *p)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;
	struct ifinfomsg *ifi;
	struct nlmsghdr *h = link_msg(nl, req.b, RTM_GETLINK, 0, &ifi);

	memset(p, 0, sizeof *p);
	p->peer_nsid = -1;
	ifi->ifi_index = ifindex;
	return netlink_request(nl, h, peer_cb, p, NULL, 0);
}

int req_veth_peer_nsid(struct netlink *nl, const char *name, int32_t *nsid)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;
	struct link_peer p = {.peer_nsid = -1};
	int rc = netlink_request(nl, link_get(nl, req.b, name), peer_cb, &p, NULL, 0);

	*nsid = p.veth ? p.peer_nsid : -1;
	if (rc < 0)
		return rc;
	return p.ifindex > 0 ? p.ifindex : -ENODEV;
}

struct addrs {
	struct ipaddr *out;
	int max, n;
};

/* Global-scope unicast addresses only: a probe aims at what routes. */
static int addr_cb(const struct nlmsghdr *h, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	struct addrs *s = data;
	const struct nlattr *a;
	size_t len = ifa->ifa_family == AF_INET ? 4 : 16;

	if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_scope != RT_SCOPE_UNIVERSE || s->n >= s->max)
		return 0;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	mnl_attr_for_each(a, h, sizeof *ifa)
		if (mnl_attr_get_type(a) == IFA_ADDRESS && mnl_attr_get_payload_len(a) == len) {
			s->out[s->n].family = ifa->ifa_family;
			memcpy(s->out[s->n].a, mnl_attr_get_payload(a), len);
			s->n++;
			break;
		}
	return 0;
}

int req_addr_list(struct netlink *nl, struct ipaddr *out, int max)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;
	struct addrs s = {.out = out, .max = max};
	int rc;

	rc = netlink_request(nl, req_addr_dump(nl, req.b, AF_UNSPEC), addr_cb, &s, NULL, 0);
	return rc < 0 ? rc : s.n;
}
