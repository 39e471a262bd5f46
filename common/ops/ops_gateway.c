/*
 * A gateway: a way out of a namespace through the host, NATed (npte-gateway.8).
 * The host's end of a veth, gw-NS, faces the namespace's end, gw-host; the
 * pair's addresses come from slot S of the pool (100.64.0.0/10 in /30s, and
 * fd6e:7074:6777:S::/64); nf_tables rules in npte's table `inet npte` let the
 * namespace's connections out, masqueraded to the host's default route, and
 * nothing of the host or from outside in. Undo of the link takes everything
 * on it (addresses, routes, per-interface sysctls) along.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include "base/escape.h"
#include "kernel/netns.h"
#include "kernel/nft.h"
#include "kernel/requests.h"
#include "ops/ops.h"

static union {
	struct nlmsghdr h;
	char b[8192];
} req;

/* --- names, addresses, rules ------------------------------------------------ */

void gw_ifname(char *buf, size_t n, const char *ns)
{
	snprintf(buf, n, GW_HOST_PREFIX "%s", ns);
}

/* Slot s's address on the host's end (host true) or the namespace's. */
void gw_addr(unsigned slot, int family, bool host, struct ipaddr *a)
{
	uint32_t v4 = GW_POOL4 + slot * 4 + (host ? 1 : 2);

	memset(a, 0, sizeof *a);
	a->family = family;
	if (family == AF_INET) {
		v4 = htonl(v4);
		memcpy(a->a, &v4, 4);
		return;
	}
	memcpy(a->a, (const unsigned char[]){0xfd, 0x6e, 0x70, 0x74, 0x67, 0x77}, 6);
	a->a[6] = (unsigned char)(slot >> 8);
	a->a[7] = (unsigned char)slot;
	a->a[15] = host ? 1 : 2;
}

static void term(struct nft_rule *r, enum nft_match m, const char *name, unsigned arg)
{
	struct nft_term *t = &r->t[r->n++];

	t->m = m;
	t->arg = arg;
	snprintf(t->name, sizeof t->name, "%s", name ? name : "");
}

static struct nft_rule *rule(struct nft_chain *c, enum nft_verdict v)
{
	struct nft_rule *r = &c->r[c->n++];

	memset(r, 0, sizeof *r);
	r->v = v;
	return r;
}

static struct nft_chain *chain(struct nft_batch *b, const char *a, const char *s, enum nft_hook hook)
{
	struct nft_chain *c = &b->c[b->n++];

	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s%s", a, s);
	c->hook = hook;
	return c;
}

/* Input from the namespace: replies, and neighbour discovery (without which
 * IPv6 has no next hop); nothing else of the host answers it. */
static void chain_in(struct nft_batch *b, const char *ifn)
{
	struct nft_chain *c = chain(b, ifn, "-in", NH_INPUT);
	struct nft_rule *r = rule(c, NV_ACCEPT);

	term(r, NM_IIF, ifn, 0), term(r, NM_CT_REPLY, NULL, 0);
	for (unsigned t = 135; t <= 136; t++) {
		r = rule(c, NV_ACCEPT);
		term(r, NM_IIF, ifn, 0), term(r, NM_ICMP6, NULL, t);
	}
	term(rule(c, NV_DROP), NM_IIF, ifn, 0);
}

/* Forwarded: to the namespace only replies; from it, out by the uplink only,
 * and only from its own address: a source it forged (another lab's gateway
 * address) would have the replies forwarded, as replies, to that lab. */
static void chain_fwd(struct nft_batch *b, const struct op *op)
{
	const char *ifn = op->u.gw.ifname, *up = op->u.gw.uplink;
	struct nft_chain *c = chain(b, ifn, "-fwd", NH_FORWARD);
	struct nft_rule *r = rule(c, NV_ACCEPT);

	term(r, NM_OIF, ifn, 0), term(r, NM_CT_REPLY, NULL, 0);
	term(rule(c, NV_DROP), NM_OIF, ifn, 0);
	for (int i = 0; i < ((op->u.gw.flags & GW_V6) ? 2 : 1); i++) {
		struct ipaddr a;

		gw_addr(op->u.gw.slot, i ? AF_INET6 : AF_INET, false, &a);
		r = rule(c, NV_ACCEPT);
		term(r, NM_IIF, ifn, 0), term(r, NM_OIF, up, 0);
		term(r, NM_SADDR, NULL, i ? NFPROTO_IPV6 : NFPROTO_IPV4);
		memcpy(r->t[r->n - 1].addr, a.a, sizeof r->t[r->n - 1].addr);
	}
	term(rule(c, NV_DROP), NM_IIF, ifn, 0);
}

/* The uplink forwards for the gateways only: npte turned its forwarding on,
 * so nothing else that arrives there may pass on where it could not before.
 * The chain is also the record that npte turned it on (destroy turns it off). */
static void chain_up(struct nft_batch *b, int family, const char *up)
{
	struct nft_chain *c = chain(b, family == AF_INET ? GW_UP4_PREFIX : GW_UP6_PREFIX, up, NH_FORWARD);
	struct nft_rule *r = rule(c, NV_DROP);

	term(r, NM_PROTO, NULL, family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
	term(r, NM_IIF, up, 0), term(r, NM_OIF_NOT, GW_HOST_PREFIX, 0);
}

/* The host's batch of a gateway (its chains, and the uplink's when flagged). */
static void host_batch(const struct op *op, struct nft_batch *b)
{
	const char *ifn = op->u.gw.ifname, *up = op->u.gw.uplink;
	struct nft_rule *r;

	memset(b, 0, sizeof *b);
	b->add_table = true;
	chain_in(b, ifn);
	chain_fwd(b, op);
	r = rule(chain(b, ifn, "-nat", NH_POSTROUTING), NV_MASQ);
	term(r, NM_IIF, ifn, 0), term(r, NM_OIF, up, 0);
	if (op->u.gw.flags & GW_UP4)
		chain_up(b, AF_INET, up);
	if (op->u.gw.flags & GW_UP6)
		chain_up(b, AF_INET6, up);
}

/* Inside the namespace: what it sends out of gw-host goes as its own address,
 * so the host routes the replies back whatever the lab's subnets are. */
static void ns_batch(struct nft_batch *b, bool del)
{
	memset(b, 0, sizeof *b);
	b->add_table = b->drop_table = true;
	if (!del)
		term(rule(chain(b, GW_NS_IFNAME, "-nat", NH_POSTROUTING), NV_MASQ), NM_OIF, GW_NS_IFNAME, 0);
}

/* --- shared helpers --------------------------------------------------------- */

static int host_of(struct txn *c, struct netlink **nl)
{
	int rc = txn_host(c, nl);

	return rc < 0 ? err_sys(&c->err, EXIT_FAIL, -rc, "netlink socket") : 0;
}

static int nft_err(struct txn *c, int rc, const char *ext, const char *where)
{
	return err_sys(&c->err, EXIT_FAIL, -rc, "%s: nf_tables%s%s", where, ext[0] ? ": " : "", ext);
}

static int sysctl_open(const char *fam, const char *ifname, const char *key, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof path, "/proc/sys/net/%s/conf/%s/%s", fam, ifname, key);
	fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* /proc/sys/net/<fam>/conf/<ifname>/<key> of the host: 0 or -errno. */
int gw_sysctl_read(const char *fam, const char *ifname, const char *key, int *cur)
{
	char b[16] = "";
	int fd = sysctl_open(fam, ifname, key, O_RDONLY), rc = 0;
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, b, sizeof b - 1);
	if (n <= 0)
		rc = n < 0 ? -errno : -EINVAL;
	*cur = b[0] == '1';
	close(fd);
	return rc;
}

int gw_sysctl_write(const char *fam, const char *ifname, const char *key, const char *val)
{
	int fd = sysctl_open(fam, ifname, key, O_WRONLY), rc = 0;

	if (fd < 0)
		return fd;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		rc = -errno;
	close(fd);
	return rc;
}

/* One sysctl line, or (in a group) one command and "; ". */
static void sysctl_line(FILE *f, const char *fam, const char *ifname, const char *key, const char *val,
			bool group)
{
	char kv[96];

	snprintf(kv, sizeof kv, "net/%s/conf/%s/%s=%s", fam, ifname, key, val);
	render_cmd(f, (const char *[]){"sysctl", "-q", "-w", kv, NULL});
	fputs(group ? "; " : "\n", f);
}

/* The host's end, while it is still the one this run made: 1, 0 or an exit code. */
static int link_ours(struct txn *c, const struct op *op, struct netlink **nl)
{
	int idx;

	if (host_of(c, nl))
		return c->err.code;
	if (!op->made.cookie || (*nl)->cookie != op->made.cookie)
		return 0;
	idx = req_ifindex(*nl, op->u.gw.ifname);
	if (idx == -ENODEV)
		return 0;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s", op->u.gw.ifname);
	return idx == op->made.ifindex;
}

/* ifname, while it is still the link of ifindex want (made or probed). */
static int host_link_del(struct txn *c, struct netlink *nl, const char *ifname, int want)
{
	char ext[256];
	int idx = req_ifindex(nl, ifname), rc;

	if (idx == -ENODEV || (idx > 0 && idx != want))
		return 0;
	if (idx < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s", ifname);
	rc = netlink_talk(nl, req_link_del(nl, req.b, idx), ext, sizeof ext);
	if (rc < 0 && rc != -ENODEV)
		return err_sys(&c->err, EXIT_FAIL, -rc, "link del %s%s%s", ifname, ext[0] ? ": " : "", ext);
	return 0;
}

/* --- the link --------------------------------------------------------------- */

static int link_apply(struct txn *c, const struct op *op, bool undo)
{
	struct netlink *nl;
	struct nshandle *h;
	char ext[256];
	int rc;

	if (undo) {
		rc = link_ours(c, op, &nl);
		return rc == 1 ? host_link_del(c, nl, op->u.gw.ifname, op->made.ifindex) : rc;
	}
	if (host_of(c, &nl))
		return c->err.code;
	if ((rc = txn_ns(c, op->ns, &h)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	/* Sent on the host's socket: one end born in the host, the other in NS. */
	rc = netlink_talk(nl, req_veth_add(nl, req.b, op->u.gw.ifname, GW_NS_IFNAME, h->fd), ext, sizeof ext);
	if (rc == -EEXIST)
		return err_set(&c->err, EXIT_FAIL, "%s: the host has an interface %s already (npte-gateway "
			       "destroy %s removes a gateway)", op->ns, op->u.gw.ifname, op->ns);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: veth add %s%s%s", op->ns, op->u.gw.ifname,
			       ext[0] ? ": " : "", ext);
	rc = req_ifindex(nl, op->u.gw.ifname);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->u.gw.ifname);
	txn_made(c, &(struct ident){.cookie = nl->cookie, .ifindex = rc});
	return 0;
}

static void link_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	if (undo)
		render_cmd(f, (const char *[]){"ip", "link", "del", op->u.gw.ifname, NULL});
	else
		render_words(f, (const char *[]){"ip", "link", "add", op->u.gw.ifname, "type", "veth", "peer",
						 "name", GW_NS_IFNAME, "netns", op->ns, NULL});
}

static int gw_save(const struct op *op, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s,%s,%u,%u", op->u.gw.ifname, op->u.gw.uplink, op->u.gw.slot, op->u.gw.flags);

	return len < 0 || (size_t)len >= n ? -EINVAL : 0;
}

static int gw_load(struct op *op, const char *s)
{
	char ifn[IFNAME_MAX + 1], up[IFNAME_MAX + 1];
	unsigned slot, flags;

	if (sscanf(s, "%15[^,],%15[^,],%u,%u", ifn, up, &slot, &flags) != 4 || !valid_ifname(ifn, NULL) ||
	    strncmp(ifn, GW_HOST_PREFIX, strlen(GW_HOST_PREFIX)) != 0 || !gw_uplink_ok(up) || slot >= GW_SLOTS ||
	    flags >= GW_FLAGS_END)
		return -EINVAL;
	snprintf(op->u.gw.ifname, sizeof op->u.gw.ifname, "%s", ifn);
	snprintf(op->u.gw.uplink, sizeof op->u.gw.uplink, "%s", up);
	op->u.gw.slot = slot;
	op->u.gw.flags = flags;
	return 0;
}

const struct op_type gw_link_op = {
	.name = "gateway link", .apply = link_apply, .render = link_render, .undoable = true,
	.save = gw_save, .load = gw_load,
};

/* --- the host's end: addresses, up, forwarding on it -------------------------- */

static int host_addr(struct txn *c, struct netlink *nl, int idx, const struct op *op, int family)
{
	struct ipaddr a;
	char ext[256];
	int rc;

	gw_addr(op->u.gw.slot, family, true, &a);
	rc = netlink_talk(nl, req_addr(nl, req.b, true, idx, &a, family == AF_INET ? 30 : 64), ext, sizeof ext);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: addr add%s%s", op->u.gw.ifname, ext[0] ? ": " : "", ext);
	return 0;
}

static int side_apply(struct txn *c, const struct op *op, bool undo)
{
	const char *ifn = op->u.gw.ifname;
	bool v6 = op->u.gw.flags & GW_V6;
	struct netlink *nl;
	char ext[256];
	int idx, rc;

	(void)undo;
	if (host_of(c, &nl))
		return c->err.code;
	if ((idx = req_ifindex(nl, ifn)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -idx, "%s", ifn);
	if (host_addr(c, nl, idx, op, AF_INET) || (v6 && host_addr(c, nl, idx, op, AF_INET6)))
		return c->err.code;
	rc = req_bring_up(nl, idx, ext, sizeof ext);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s up%s%s", ifn, ext[0] ? ": " : "", ext);
	/* Forwarding for this interface alone; it goes with the interface. */
	if ((rc = gw_sysctl_write("ipv4", ifn, "forwarding", "1")) < 0 ||
	    (v6 && (rc = gw_sysctl_write("ipv6", ifn, "force_forwarding", "1")) < 0))
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: forwarding on", ifn);
	return 0;
}

static void cidr(char *buf, size_t n, unsigned slot, int family, bool host)
{
	struct ipaddr a;
	char s[INET6_ADDRSTRLEN];

	gw_addr(slot, family, host, &a);
	inet_ntop(family, a.a, s, sizeof s);
	snprintf(buf, n, "%s/%u", s, family == AF_INET ? 30u : 64u);
}

static void side_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	const char *ifn = op->u.gw.ifname;
	char a4[64], a6[64];

	(void)c, (void)undo;
	cidr(a4, sizeof a4, op->u.gw.slot, AF_INET, true);
	cidr(a6, sizeof a6, op->u.gw.slot, AF_INET6, true);
	render_words(f, (const char *[]){"ip", "addr", "add", a4, "dev", ifn, NULL});
	if (op->u.gw.flags & GW_V6)
		render_words(f, (const char *[]){"ip", "addr", "add", a6, "dev", ifn, "nodad", NULL});
	render_words(f, (const char *[]){"ip", "link", "set", ifn, "up", NULL});
	sysctl_line(f, "ipv4", ifn, "forwarding", "1", false);
	if (op->u.gw.flags & GW_V6)
		sysctl_line(f, "ipv6", ifn, "force_forwarding", "1", false);
}

const struct op_type gw_side_op = {
	.name = "gateway host end", .apply = side_apply, .render = side_render,
};

/* --- the rules ---------------------------------------------------------------- */

static struct nft_batch batch;

/* The host's table loses this gateway's chains (and the uplink's, when
 * flagged); the table goes with the last chain. */
static int host_rules_del(struct txn *c, const struct op *op)
{
	static char names[GW_CHAINS_MAX][NFT_NAME_MAX];
	char ext[256];
	int n, rc;

	host_batch(op, &batch);
	batch.add_table = false;
	rc = nft_commit(-1, &batch, true, ext, sizeof ext);
	if (rc < 0 && rc != -ENOENT)
		return nft_err(c, rc, ext, op->u.gw.ifname);
	n = nft_chains(-1, names, GW_CHAINS_MAX);
	if (n == 0) {
		batch = (struct nft_batch){.drop_table = true};
		rc = nft_commit(-1, &batch, true, ext, sizeof ext);
		if (rc < 0 && rc != -ENOENT)
			return nft_err(c, rc, ext, "table inet " NFT_TABLE);
	}
	return 0;
}

static int rules_apply(struct txn *c, const struct op *op, bool undo)
{
	struct netlink *nl;
	char ext[256];
	int rc;

	if (host_of(c, &nl))
		return c->err.code;
	if (undo)
		return op->made.cookie == nl->cookie ? host_rules_del(c, op) : 0;
	/* Recorded before the batch: a kill once it is in leaves recovery its
	 * chains to remove (chains of this gateway's name are npte's alone). */
	txn_made(c, &(struct ident){.cookie = nl->cookie});
	host_batch(op, &batch);
	rc = nft_commit(-1, &batch, false, ext, sizeof ext);
	if (rc == -EEXIST)
		return err_set(&c->err, EXIT_FAIL, "%s: table inet %s has chains of %s already (npte-gateway destroy "
			       "%s removes them)", op->ns, NFT_TABLE, op->u.gw.ifname, op->ns);
	return rc < 0 ? nft_err(c, rc, ext, op->ns) : 0;
}

static void rules_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	host_batch(op, &batch);
	if (undo)
		nft_render_undo(f, &batch);
	else
		nft_render(f, NULL, &batch, false);
}

const struct op_type gw_rules_op = {
	.name = "gateway rules", .apply = rules_apply, .render = rules_render, .undoable = true,
	.save = gw_save, .load = gw_load,
};

static int nsrules_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	char ext[256];
	int rc = txn_ns(c, op->ns, &h);

	if (undo && (rc == -ENOENT || rc == -ENOTNS || (!rc && h->nl.cookie != op->made.cookie)))
		return 0; /* not the namespace this run changed: nothing of ours there */
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	/* recorded first, as the host's rules are */
	if (!undo)
		txn_made(c, &(struct ident){.cookie = h->nl.cookie});
	ns_batch(&batch, undo);
	rc = nft_commit(h->fd, &batch, undo, ext, sizeof ext);
	return rc < 0 && !(undo && rc == -ENOENT) ? nft_err(c, rc, ext, op->ns) : 0;
}

static void nsrules_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	ns_batch(&batch, undo);
	if (undo)
		render_cmd(f, (const char *[]){"ip", "netns", "exec", op->ns, "nft", "delete", "table", "inet",
					       NFT_TABLE, NULL});
	else
		nft_render(f, op->ns, &batch, false);
}

const struct op_type gw_nsrules_op = {
	.name = "gateway namespace rules", .apply = nsrules_apply, .render = nsrules_render, .undoable = true,
	.save = gw_save, .load = gw_load,
};

/* --- the uplink's forwarding --------------------------------------------------- */

static int uplink_set(struct txn *c, const char *up, unsigned flags, const char *val)
{
	int rc = 0;

	if (flags & GW_UP4)
		rc = gw_sysctl_write("ipv4", up, "forwarding", val);
	if (!rc && (flags & GW_UP6))
		rc = gw_sysctl_write("ipv6", up, "force_forwarding", val);
	/* an uplink gone (undo) has nothing left to turn off */
	if (rc == -ENOENT && val[0] == '0')
		rc = 0;
	return rc < 0 ? err_sys(&c->err, EXIT_FAIL, -rc, "%s: forwarding %s", up, val[0] == '1' ? "on" : "off") : 0;
}

static int fwd_apply(struct txn *c, const struct op *op, bool undo)
{
	struct netlink *nl;

	if (host_of(c, &nl))
		return c->err.code;
	if (undo)
		return op->made.cookie == nl->cookie ? uplink_set(c, op->u.gw.uplink, op->u.gw.flags, "0") : 0;
	/* Recorded first: a kill between the writes leaves recovery both to undo. */
	txn_made(c, &(struct ident){.cookie = nl->cookie});
	return uplink_set(c, op->u.gw.uplink, op->u.gw.flags, "1");
}

static void fwd_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	if (undo)
		fputs("{ ", f);
	if (op->u.gw.flags & GW_UP4)
		sysctl_line(f, "ipv4", op->u.gw.uplink, "forwarding", undo ? "0" : "1", undo);
	if (op->u.gw.flags & GW_UP6)
		sysctl_line(f, "ipv6", op->u.gw.uplink, "force_forwarding", undo ? "0" : "1", undo);
	if (undo)
		fputs("}", f);
}

const struct op_type gw_fwd_op = {
	.name = "uplink forwarding", .apply = fwd_apply, .render = fwd_render, .undoable = true,
	.save = gw_save, .load = gw_load,
};

/* --- removal -------------------------------------------------------------------- */

/* The namespace's rules go first: a kill after that leaves the host's parts,
 * which the next destroy (or gc, once the namespace is gone) still finds. */
static int ns_rules_del(struct txn *c, const struct op *op)
{
	struct nshandle *h;
	char ext[256];
	int rc = txn_ns(c, op->ns, &h);

	if (rc == -ENOENT || rc == -ENOTNS)
		return 0; /* its namespace gone, its rules went with it */
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	ns_batch(&batch, true);
	rc = nft_commit(h->fd, &batch, true, ext, sizeof ext);
	return rc < 0 && rc != -ENOENT ? nft_err(c, rc, ext, op->ns) : 0;
}

static int remove_apply(struct txn *c, const struct op *op, bool undo)
{
	struct netlink *nl;

	(void)undo;
	/* said after the guard: only the caller's own namespace is told of */
	if (!(op->u.gw.flags & (GW_LINK | GW_CHAINS)))
		return err_set(&c->err, EXIT_USAGE, "%s: no gateway", op->ns);
	if (ns_rules_del(c, op) || host_of(c, &nl) ||
	    ((op->u.gw.flags & GW_LINK) && host_link_del(c, nl, op->u.gw.ifname, op->u.gw.link)))
		return c->err.code;
	/* Forwarding off before the rules that hold the uplink to the gateways go. */
	if ((op->u.gw.flags & GW_LAST) && uplink_set(c, op->u.gw.uplink, op->u.gw.flags, "0"))
		return c->err.code;
	if ((op->u.gw.flags & GW_CHAINS) && host_rules_del(c, op))
		return c->err.code;
	return 0;
}

static void remove_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char path[64];

	(void)c, (void)undo;
	if (!(op->u.gw.flags & (GW_LINK | GW_CHAINS))) {
		snprintf(path, sizeof path, "%s: destroy: %s: no gateway", prog, op->ns);
		fputs("echo ", f);
		sh_quote(f, path);
		fputs(" >&2; exit 2\n", f);
		return;
	}
	/* the namespace's rules, unless they went with it */
	snprintf(path, sizeof path, NETNS_RUN_DIR "/%s", op->ns);
	render_cmd(f, (const char *[]){"test", "!", "-e", path, NULL});
	fputs(" || ! ", f);
	render_cmd(f, (const char *[]){"ip", "netns", "exec", op->ns, "nft", "list", "table", "inet", NFT_TABLE, NULL});
	fputs(" >/dev/null 2>&1 || ", f);
	render_words(f, (const char *[]){"ip", "netns", "exec", op->ns, "nft", "delete", "table", "inet",
					 NFT_TABLE, NULL});
	/* gone already, or going, when its namespace went first (npte-netns
	 * destroy); only a host end the probe found is NS's (never a name alone) */
	if (op->u.gw.flags & GW_LINK) {
		render_cmd(f, (const char *[]){"ip", "link", "del", op->u.gw.ifname, NULL});
		fputs(" 2>/dev/null || ! ", f);
		render_cmd(f, (const char *[]){"ip", "link", "show", op->u.gw.ifname, NULL});
		fputs(" >/dev/null 2>&1\n", f);
	}
	if (op->u.gw.flags & GW_LAST) {
		if (op->u.gw.flags & GW_UP4)
			sysctl_line(f, "ipv4", op->u.gw.uplink, "forwarding", "0", false);
		if (op->u.gw.flags & GW_UP6)
			sysctl_line(f, "ipv6", op->u.gw.uplink, "force_forwarding", "0", false);
	}
	if (op->u.gw.flags & GW_CHAINS) {
		host_batch(op, &batch);
		batch.drop_table = op->u.gw.flags & GW_LAST;
		nft_render(f, NULL, &batch, true);
	}
}

const struct op_type gw_remove_op = {
	.name = "gateway remove", .apply = remove_apply, .render = remove_render,
};

/* --- plans ---------------------------------------------------------------------- */

static struct op *gw_op(struct plan *p, const struct op_type *t, const struct gw_info *g)
{
	struct op *op = op_ns(p, t, g->ns);

	gw_ifname(op->u.gw.ifname, sizeof op->u.gw.ifname, g->ns);
	snprintf(op->u.gw.uplink, sizeof op->u.gw.uplink, "%s", g->uplink);
	op->u.gw.slot = g->slot;
	op->u.gw.flags = g->flags;
	op->u.gw.link = g->link;
	return op;
}

void plan_gateway_create(struct plan *p, const struct gw_info *g)
{
	struct ipaddr a, via;

	gw_op(p, &gw_link_op, g);
	gw_op(p, &gw_side_op, g);
	for (int i = 0; i < ((g->flags & GW_V6) ? 2 : 1); i++) {
		int fam = i ? AF_INET6 : AF_INET;

		gw_addr(g->slot, fam, false, &a);
		plan_addr(p, true, g->ns, GW_NS_IFNAME, &a, fam == AF_INET ? 30 : 64);
	}
	plan_link_up(p, g->ns, GW_NS_IFNAME);
	for (int i = 0; i < ((g->flags & GW_V6) ? 2 : 1); i++) {
		int fam = i ? AF_INET6 : AF_INET;

		gw_addr(g->slot, fam, true, &via);
		plan_route(p, true, g->ns, &(struct ipaddr){.family = fam}, 0, &via);
	}
	gw_op(p, &gw_nsrules_op, g);
	/* the rules that hold the uplink to the gateways, before its forwarding */
	gw_op(p, &gw_rules_op, g);
	if (g->flags & (GW_UP4 | GW_UP6))
		gw_op(p, &gw_fwd_op, g);
}

void plan_gateway_destroy(struct plan *p, const struct gw_info *g)
{
	gw_op(p, &gw_remove_op, g);
}
