/*
 * Every rtnetlink request npte sends, built in one place. Each builder writes
 * one request into the caller's buffer, its header from netlink_msg (so it asks
 * for an ack), and returns it for netlink_talk or netlink_request. npte-doctor probes
 * the kernel with these same requests. (Prefix req_, not rtnl_: that one is
 * libnl-route's, and a clash replaces its functions inside `show`.)
 */
#ifndef NPTE_REQUESTS_H
#define NPTE_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/netlink.h"
#include "shape/qdisc.h"
#include "base/validate.h"

/* Room for any request but a qdisc's (a netem one with tables needs NL_BUF). */
#define RTREQ_BUF 1024

/* RTM_GETLINK dump: every link of the namespace. */
struct nlmsghdr *req_link_dump(struct netlink *nl, void *buf);
/* The same dump, without statistics, of the namespace with id nsid in the
 * socket's table (IFLA_TARGET_NETNSID), asked from outside it. */
struct nlmsghdr *req_link_dump_of(struct netlink *nl, void *buf, int32_t nsid);
/* RTM_DELLINK of ifindex (a veth end takes its peer along). */
struct nlmsghdr *req_link_del(struct netlink *nl, void *buf, int ifindex);
/* RTM_NEWLINK, new and exclusive: a veth pair, ifname born in the socket's
 * namespace and peer in peer_nsfd's (IFLA_NET_NS_FD). */
struct nlmsghdr *req_veth_add(struct netlink *nl, void *buf, const char *ifname, const char *peer,
			       int peer_nsfd);
/* RTM_NEWADDR (new and exclusive) or RTM_DELADDR of a/plen on ifindex; IPv6 without DAD. */
struct nlmsghdr *req_addr(struct netlink *nl, void *buf, bool add, int ifindex, const struct ipaddr *a,
			   unsigned plen);
/* RTM_NEWROUTE (new and exclusive) or RTM_DELROUTE: dst/plen (plen 0: default)
 * via gw, in the main table, proto static. */
struct nlmsghdr *req_route(struct netlink *nl, void *buf, bool add, const struct ipaddr *dst,
			    unsigned plen, const struct ipaddr *gw);

/* RTM_GETROUTE and RTM_GETADDR dumps of one family (the gateway's view of the host). */
struct nlmsghdr *req_route_dump(struct netlink *nl, void *buf, int family);
struct nlmsghdr *req_addr_dump(struct netlink *nl, void *buf, int family);

/* RTM_GETQDISC: a dump of every qdisc in the namespace. */
struct nlmsghdr *req_qdisc_dump(struct netlink *nl, void *buf);
/* RTM_DELQDISC of ifindex's root qdisc. */
struct nlmsghdr *req_qdisc_del_root(struct netlink *nl, void *buf, int ifindex);

/* RTM_NEWQDISC with TCA_KIND only; the caller appends the options it keeps. */
struct nlmsghdr *req_qdisc_raw(struct netlink *nl, void *buf, uint16_t flags, int ifindex, uint32_t handle,
				 uint32_t parent, const char *kind);
/* RTM_NEWQDISC: one qdisc at handle under parent, its options its kind's (qdisc.h). */
struct qdisc_new {
	uint16_t flags;                 /* NLM_F_CREATE with NLM_F_REPLACE or NLM_F_EXCL */
	int ifindex;
	uint32_t handle, parent;
	enum qkind kind;
	const union qspec *spec;
};
/* Into buf (cap bytes): 0 and *out, or -errno (a distribution table missing
 * or bad, or -EMSGSIZE). */
int req_qdisc_new(struct netlink *nl, void *buf, size_t cap, const struct qdisc_new *q,
		   struct nlmsghdr **out);

/* ifindex of name in the socket's namespace (RTM_GETLINK), or -errno. */
int req_ifindex(struct netlink *nl, const char *name);

/* RTM_NEWLINK setting IFF_UP on ifindex. */
int req_bring_up(struct netlink *nl, int ifindex, char *ext, size_t extn);
int req_bring_up_name(struct netlink *nl, const char *ifname, char *ext, size_t extn);

/*
 * The nsid table of the socket's namespace: give the namespace nsfd the id
 * (RTM_NEWNSID), and list the ids in use (RTM_GETNSID dump; -E2BIG past max).
 * The kernel drops an id only when its namespace is really gone, whatever
 * still held it: that is how npte tells a destroyed namespace has ended.
 */
int req_nsid_set(struct netlink *nl, int nsfd, int32_t id, char *ext, size_t extn);
int req_nsid_list(struct netlink *nl, int32_t *ids, size_t max, size_t *n);
/* 1 while a live namespace has the id, 0 when none has (or it is ending), -errno. */
int req_nsid_exists(struct netlink *nl, int32_t id);
/* The id the namespace nsfd has in the table (-1: none). 0 or -errno. */
int req_nsid_of(struct netlink *nl, int nsfd, int32_t *id);

/* npte-probe's path: the output interface the namespace picks for dst
 * (RTM_GETROUTE), or -errno (-ENETUNREACH: none). */
int req_route_oif(struct netlink *nl, const struct ipaddr *dst);
/* A link's name and, for a veth, its peer: the peer's ifindex and the id its
 * namespace has in this one's nsid table (peer_nsid -1: same namespace or none). */
struct link_peer {
	char ifname[16];
	int ifindex;
	int peer_ifindex;
	int32_t peer_nsid;
	bool veth;
};
int req_link_peer(struct netlink *nl, int ifindex, struct link_peer *p);
/* The namespace's global-scope addresses, IPv4 and IPv6, at most max: how
 * many, or -errno. */
int req_addr_list(struct netlink *nl, struct ipaddr *out, int max);
/* ifindex of name (as req_ifindex), and in *nsid the id (in the socket's
 * nsid table) of the namespace its peer lives in when it is a veth whose
 * peer is elsewhere; -1 otherwise. */
int req_veth_peer_nsid(struct netlink *nl, const char *name, int32_t *nsid);

#endif
