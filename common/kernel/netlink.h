/* The netlink core on libmnl: one request, one ack, the kernel's own error text. */
#ifndef NPTE_NETLINK_H
#define NPTE_NETLINK_H

#include <net/if.h> /* before any <linux/if*.h> */
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "base/err.h"

/* Requests and replies go through fixed buffers; 64 KiB holds the largest netem request. */
#define NL_BUF 65536

struct netlink {
	struct mnl_socket *sock;
	unsigned seq;
	unsigned portid;
	uint64_t cookie; /* SO_NETNS_COOKIE of the namespace the socket lives in */
};

/* Open a NETLINK_ROUTE socket in the calling thread's current netns, with
 * NETLINK_CAP_ACK and NETLINK_EXT_ACK. Returns 0 or -errno. */
int netlink_open(struct netlink *nl);
/* The same for another netlink family (NETLINK_NETFILTER: nft.c). */
int netlink_open_proto(struct netlink *nl, int proto);
void netlink_close(struct netlink *nl);

/* A zeroed request buffer with its header set up (NLM_F_REQUEST|NLM_F_ACK|flags). */
struct nlmsghdr *netlink_msg(struct netlink *nl, void *buf, uint16_t type, uint16_t flags);

/*
 * Send one request and wait for its ack. Returns 0, or -errno with the
 * kernel's extended-ack text (when it gave one) in ext.
 */
int netlink_talk(struct netlink *nl, struct nlmsghdr *req, char *ext, size_t extn);
/* Same, handing every data message of the reply (or dump) to cb. */
int netlink_request(struct netlink *nl, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *, void *),
	       void *data, char *ext, size_t extn);

/* The kernel's extended-ack text of error e (in reply h) into ext, or "". */
void netlink_ext_text(const struct nlmsghdr *h, const struct nlmsgerr *e, char *ext, size_t extn);

#endif
