/* The netlink core on libmnl: one request, one ack, the kernel's own error text. */
#ifndef NPTE_NL_H
#define NPTE_NL_H

#include <net/if.h> /* before any <linux/if*.h> */
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "err.h"

/* Requests and replies go through fixed buffers; 64 KiB holds the largest netem request. */
#define NL_BUF 65536

struct knl {
	struct mnl_socket *sock;
	unsigned seq;
	unsigned portid;
	uint64_t cookie; /* SO_NETNS_COOKIE of the namespace the socket lives in */
};

/* Open a NETLINK_ROUTE socket in the calling thread's current netns, with
 * NETLINK_CAP_ACK and NETLINK_EXT_ACK. Returns 0 or -errno. */
int knl_open(struct knl *nl);
void knl_close(struct knl *nl);

/* A zeroed request buffer with its header set up (NLM_F_REQUEST|NLM_F_ACK|flags). */
struct nlmsghdr *knl_msg(struct knl *nl, void *buf, uint16_t type, uint16_t flags);

/*
 * Send one request and wait for its ack. Returns 0, or -errno with the
 * kernel's extended-ack text (when it gave one) in ext.
 */
int knl_talk(struct knl *nl, struct nlmsghdr *req, char *ext, size_t extn);
/* Same, handing every data message of the reply (or dump) to cb. */
int knl_request(struct knl *nl, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *, void *),
	       void *data, char *ext, size_t extn);

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
