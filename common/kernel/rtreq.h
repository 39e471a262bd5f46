/*
 * Every rtnetlink request npte sends, built in one place. Each builder writes
 * one request into the caller's buffer, its header from knl_msg (so it asks
 * for an ack), and returns it for knl_talk or knl_request. npte-doctor probes
 * the kernel with these same requests. (Prefix rtreq_, not rtnl_: that one is
 * libnl-route's, and a clash replaces its functions inside `show`.)
 */
#ifndef NPTE_RTREQ_H
#define NPTE_RTREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nl.h"
#include "shape.h"
#include "validate.h"

/* Room for any request but a qdisc's (a netem one with tables needs NL_BUF). */
#define RTREQ_BUF 1024

/* RTM_GETLINK of the link called name. */
struct nlmsghdr *rtreq_link_get(struct knl *nl, void *buf, const char *name);
/* RTM_NEWLINK setting IFF_UP on ifindex. */
/* RTM_GETLINK dump: every link of the namespace. */
struct nlmsghdr *rtreq_link_dump(struct knl *nl, void *buf);
struct nlmsghdr *rtreq_link_up(struct knl *nl, void *buf, int ifindex);
/* RTM_DELLINK of ifindex (a veth end takes its peer along). */
struct nlmsghdr *rtreq_link_del(struct knl *nl, void *buf, int ifindex);
/* RTM_NEWLINK, new and exclusive: a veth pair, ifname born in the socket's
 * namespace and peer in peer_nsfd's (IFLA_NET_NS_FD). */
struct nlmsghdr *rtreq_veth_add(struct knl *nl, void *buf, const char *ifname, const char *peer,
			       int peer_nsfd);
/* RTM_NEWADDR (new and exclusive) or RTM_DELADDR of a/plen on ifindex; IPv6 without DAD. */
struct nlmsghdr *rtreq_addr(struct knl *nl, void *buf, bool add, int ifindex, const struct ipaddr *a,
			   unsigned plen);
/* RTM_NEWROUTE (new and exclusive) or RTM_DELROUTE: dst/plen (plen 0: default)
 * via gw, in the main table, proto static. */
struct nlmsghdr *rtreq_route(struct knl *nl, void *buf, bool add, const struct ipaddr *dst,
			    unsigned plen, const struct ipaddr *gw);

/* RTM_GETQDISC: a dump of every qdisc in the namespace. */
struct nlmsghdr *rtreq_qdisc_dump(struct knl *nl, void *buf);
/* RTM_DELQDISC of ifindex's root qdisc. */
struct nlmsghdr *rtreq_qdisc_del_root(struct knl *nl, void *buf, int ifindex);

/* RTM_NEWQDISC with TCA_KIND only; the caller appends the options it keeps. */
struct nlmsghdr *rtreq_qdisc_raw(struct knl *nl, void *buf, uint16_t flags, int ifindex, uint32_t handle,
				 uint32_t parent, const char *kind);
/* RTM_NEWQDISC: one qdisc at handle under parent, its options from tcenc.h. */
struct qdisc_new {
	uint16_t flags;                 /* NLM_F_CREATE with NLM_F_REPLACE or NLM_F_EXCL */
	int ifindex;
	uint32_t handle, parent;
	enum qkind kind;
	const struct netem_spec *netem; /* QK_NETEM */
	const struct tbf_spec *tbf;     /* QK_TBF */
	uint64_t rate64;                /* QK_CAKE: bytes/s */
};
/* Into buf (cap bytes): 0 and *out, or -errno (a distribution table missing
 * or bad, or -EMSGSIZE). */
int rtreq_qdisc_new(struct knl *nl, void *buf, size_t cap, const struct qdisc_new *q,
		   struct nlmsghdr **out);

/* The nsid table of the socket's namespace (RTM_NEWNSID, RTM_GETNSID): the
 * namespace nsfd (-1: none) and, with_id, the id (to give, or to ask about). */
struct nlmsghdr *rtreq_nsid(struct knl *nl, void *buf, uint16_t type, uint16_t flags, int nsfd, bool with_id,
			    int32_t id);

/* ifindex of name in the socket's namespace (RTM_GETLINK), or -errno. */
int knl_ifindex(struct knl *nl, const char *name);

/* RTM_NEWLINK setting IFF_UP on ifindex. */
int knl_link_up(struct knl *nl, int ifindex, char *ext, size_t extn);

/*
 * The nsid table of the socket's namespace: give the namespace nsfd the id
 * (RTM_NEWNSID), and list the ids in use (RTM_GETNSID dump; -E2BIG past max).
 * The kernel drops an id only when its namespace is really gone, whatever
 * still held it: that is how npte tells a destroyed namespace has ended.
 */
int knl_nsid_set(struct knl *nl, int nsfd, int32_t id, char *ext, size_t extn);
int knl_nsid_list(struct knl *nl, int32_t *ids, size_t max, size_t *n);
/* 1 while a live namespace has the id, 0 when none has (or it is ending), -errno. */
int knl_nsid_exists(struct knl *nl, int32_t id);
/* The id the namespace nsfd has in the table (-1: none). 0 or -errno. */
int knl_nsid_of(struct knl *nl, int nsfd, int32_t *id);

#endif
