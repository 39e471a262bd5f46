/*
 * The netlink core: every request carries NLM_F_ACK and is answered by an
 * ack or an error. NETLINK_CAP_ACK keeps error replies small (an 8 KiB netem
 * request would otherwise come back whole and be truncated, losing errno);
 * NETLINK_EXT_ACK gets the kernel's own explanation.
 */
#include <net/if.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "base/fault.h"
#include "kernel/netlink.h"

static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} rxbuf;

int netlink_open(struct netlink *nl)
{
	return netlink_open_proto(nl, NETLINK_ROUTE);
}

int netlink_open_proto(struct netlink *nl, int proto)
{
	int one = 1;
	socklen_t len = sizeof nl->cookie;

	memset(nl, 0, sizeof *nl);
	nl->sock = mnl_socket_open2(proto, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof one);
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof one);
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 1;
	/* The socket's namespace identity: never reused, unlike nsfs inode numbers. */
	if (getsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_NETNS_COOKIE, &nl->cookie, &len) < 0)
		nl->cookie = 0;
	return 0;
fail:;
	int e = errno;
	mnl_socket_close(nl->sock);
	nl->sock = NULL;
	return -e;
}

void netlink_close(struct netlink *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct nlmsghdr *netlink_msg(struct netlink *nl, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h;

	memset(buf, 0, NLMSG_HDRLEN);
	h = mnl_nlmsg_put_header(buf);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++nl->seq;
	return h;
}

void netlink_ext_text(const struct nlmsghdr *h, const struct nlmsgerr *e, char *ext, size_t extn)
{
	size_t off = sizeof *e;

	if (!ext || !extn)
		return;
	ext[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (NLMSG_HDRLEN + off > h->nlmsg_len)
		return;
	const char *p = (const char *)e + off;
	int left = (int)(h->nlmsg_len - NLMSG_HDRLEN - off);

	for (const struct nlattr *a = (const void *)p; mnl_attr_ok(a, left);
	     left -= (int)MNL_ALIGN(a->nla_len), a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) != NLMSGERR_ATTR_MSG)
			continue;
		const char *s = mnl_attr_get_str(a);
		size_t len = strnlen(s, mnl_attr_get_payload_len(a));

		if (len >= extn)
			len = extn - 1;
		memcpy(ext, s, len);
		ext[len] = '\0';
	}
}


int netlink_request(struct netlink *nl, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *, void *),
	       void *data, char *ext, size_t extn)
{
	unsigned seq = req->nlmsg_seq;

	if (ext && extn)
		ext[0] = '\0';
	if (fault_wire(req))
		return 0;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, rxbuf.b, sizeof rxbuf.b);
		const struct nlmsghdr *h = &rxbuf.h;
		size_t len;

		if (n < 0)
			return -errno;
		for (len = (size_t)n; mnl_nlmsg_ok(h, (int)len); h = mnl_nlmsg_next(h, (int *)&len)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != nl->portid)
				continue; /* a stale reply to an earlier request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

				if (h->nlmsg_len < NLMSG_HDRLEN + sizeof *e)
					return -EBADMSG;
				if (e->error == 0)
					return 0;
				netlink_ext_text(h, e, ext, extn);
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb && h->nlmsg_type >= NLMSG_MIN_TYPE) {
				int rc = cb(h, data);
				if (rc < 0)
					return rc;
			}
		}
	}
}

int netlink_talk(struct netlink *nl, struct nlmsghdr *req, char *ext, size_t extn)
{
	return netlink_request(nl, req, NULL, NULL, ext, extn);
}
