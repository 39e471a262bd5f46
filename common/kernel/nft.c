/*
 * nf_tables batches for npte's table (see nft.h). Every match is encoded
 * expression for expression as nft 1.0.6 encodes the words nft_render
 * prints (checked with `nft --debug=netlink`), so that `nft -j list ruleset`
 * reads the same after a live run as after its dry-run script.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include "base/escape.h"
#include "kernel/netlink.h"
#include "kernel/netns.h"
#include "kernel/nft.h"

/* A gateway's batch is a few hundred bytes a rule: 64 KiB holds any of them. */
static union {
	struct nlmsghdr h;
	char b[NL_BUF];
} txbuf;

/* --- expressions ----------------------------------------------------------- */

static int expr_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static struct nftnl_expr *meta(uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *cmp(uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

/* meta KEY, then cmp OP against data: two expressions. */
static int meta_cmp(struct nftnl_rule *r, uint32_t key, uint32_t op, const void *data, uint32_t len)
{
	int rc = expr_add(r, meta(key));

	return rc ? rc : expr_add(r, cmp(op, data, len));
}

/* An exact name is compared over IFNAMSIZ bytes, NUL-padded; a prefix
 * ("gw-*") over its own bytes only. */
static int ifname_cmp(struct nftnl_rule *r, uint32_t key, uint32_t op, const char *name, bool prefix)
{
	char buf[IFNAMSIZ] = {0};
	size_t len = strnlen(name, IFNAMSIZ - 1);

	memcpy(buf, name, len);
	return meta_cmp(r, key, op, buf, prefix ? (uint32_t)len : IFNAMSIZ);
}

static int ct_reply(struct nftnl_rule *r)
{
	struct nftnl_expr *ct = nftnl_expr_alloc("ct"), *bw;
	/* the state bits of established (1 << 1) and related (1 << 2), as nft masks them */
	uint32_t mask = 0x6, zero = 0;
	int rc;

	if (!ct)
		return -ENOMEM;
	nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, ct);
	bw = nftnl_expr_alloc("bitwise");
	if (!bw)
		return -ENOMEM;
	nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, sizeof mask);
	nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask);
	nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
	nftnl_rule_add_expr(r, bw);
	rc = expr_add(r, cmp(NFT_CMP_NEQ, &zero, sizeof zero));
	return rc;
}

/* LEN bytes at OFF of the header BASE, then cmp eq against data. */
static int payload_cmp(struct nftnl_rule *r, uint32_t base, uint32_t off, const void *data, uint32_t len)
{
	struct nftnl_expr *p = nftnl_expr_alloc("payload");

	if (!p)
		return -ENOMEM;
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(p, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_rule_add_expr(r, p);
	return expr_add(r, cmp(NFT_CMP_EQ, data, len));
}

/* icmpv6 type T: nfproto ipv6, l4proto icmpv6, the first byte of the header. */
static int icmp6_type(struct nftnl_rule *r, unsigned type)
{
	uint8_t proto = NFPROTO_IPV6, l4 = IPPROTO_ICMPV6, t = (uint8_t)type;
	int rc;

	if ((rc = meta_cmp(r, NFT_META_NFPROTO, NFT_CMP_EQ, &proto, 1)) ||
	    (rc = meta_cmp(r, NFT_META_L4PROTO, NFT_CMP_EQ, &l4, 1)))
		return rc;
	return payload_cmp(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, &t, 1);
}

/* ip saddr A / ip6 saddr A: nfproto, then the network header's source. */
static int saddr(struct nftnl_rule *r, const struct nft_term *t)
{
	uint8_t proto = (uint8_t)t->arg;
	bool v4 = t->arg == NFPROTO_IPV4;
	int rc;

	if ((rc = meta_cmp(r, NFT_META_NFPROTO, NFT_CMP_EQ, &proto, 1)))
		return rc;
	return payload_cmp(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, t->addr, v4 ? 4 : 16);
}

static int term_add(struct nftnl_rule *r, const struct nft_term *t)
{
	uint8_t proto = (uint8_t)t->arg;

	switch (t->m) {
	case NM_IIF: return ifname_cmp(r, NFT_META_IIFNAME, NFT_CMP_EQ, t->name, false);
	case NM_OIF: return ifname_cmp(r, NFT_META_OIFNAME, NFT_CMP_EQ, t->name, false);
	case NM_OIF_NOT: return ifname_cmp(r, NFT_META_OIFNAME, NFT_CMP_NEQ, t->name, true);
	case NM_CT_REPLY: return ct_reply(r);
	case NM_ICMP6: return icmp6_type(r, t->arg);
	case NM_PROTO: return meta_cmp(r, NFT_META_NFPROTO, NFT_CMP_EQ, &proto, 1);
	case NM_SADDR: return saddr(r, t);
	}
	return -EINVAL;
}

static int verdict_add(struct nftnl_rule *r, enum nft_verdict v)
{
	struct nftnl_expr *e;

	if (v == NV_MASQ)
		return expr_add(r, nftnl_expr_alloc("masq"));
	e = nftnl_expr_alloc("immediate");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, v == NV_ACCEPT ? NF_ACCEPT : NF_DROP);
	nftnl_rule_add_expr(r, e);
	return 0;
}

/* --- messages -------------------------------------------------------------- */

struct batch_state {
	struct mnl_nlmsg_batch *b;
	uint32_t seq, first;
};

static struct nlmsghdr *put_hdr(struct batch_state *s, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(s->b), type, NFPROTO_INET,
						   flags | NLM_F_ACK, s->seq++);
	return h;
}

static int next(struct batch_state *s)
{
	return mnl_nlmsg_batch_next(s->b) ? 0 : -EMSGSIZE;
}

static int table_msg(struct batch_state *s, bool del)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return -ENOMEM;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	/* add: NLM_F_CREATE without EXCL, as `nft add table` (there already is fine) */
	nftnl_table_nlmsg_build_payload(put_hdr(s, del ? NFT_MSG_DELTABLE : NFT_MSG_NEWTABLE,
						del ? 0 : NLM_F_CREATE), t);
	nftnl_table_free(t);
	return next(s);
}

static const struct { uint32_t hook; const char *type; int prio; } hooks[] = {
	[NH_INPUT] = {NF_INET_LOCAL_IN, "filter", 0},
	[NH_FORWARD] = {NF_INET_FORWARD, "filter", 0},
	[NH_POSTROUTING] = {NF_INET_POST_ROUTING, "nat", 100},
};

static int chain_msg(struct batch_state *s, const struct nft_chain *c, bool del)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();

	if (!ch)
		return -ENOMEM;
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
	if (!del) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hooks[c->hook].hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, hooks[c->hook].prio);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, hooks[c->hook].type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	/* a new chain is exclusive: a name already there is not npte's to fill */
	nftnl_chain_nlmsg_build_payload(put_hdr(s, del ? NFT_MSG_DELCHAIN : NFT_MSG_NEWCHAIN,
						del ? 0 : NLM_F_CREATE | NLM_F_EXCL), ch);
	nftnl_chain_free(ch);
	return next(s);
}

static int rule_msg(struct batch_state *s, const char *chain, const struct nft_rule *ru)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	int rc = 0;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	for (int i = 0; i < ru->n && !rc; i++)
		rc = term_add(r, &ru->t[i]);
	if (!rc)
		rc = verdict_add(r, ru->v);
	if (!rc) {
		nftnl_rule_nlmsg_build_payload(put_hdr(s, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND), r);
		rc = next(s);
	}
	nftnl_rule_free(r);
	return rc;
}

static int batch_fill(struct batch_state *s, const struct nft_batch *b, bool del)
{
	int rc = 0;

	if (!del && b->add_table)
		rc = table_msg(s, false);
	for (int i = 0; i < b->n && !rc; i++) {
		rc = chain_msg(s, &b->c[i], del);
		for (int k = 0; !del && k < b->c[i].n && !rc; k++)
			rc = rule_msg(s, b->c[i].name, &b->c[i].r[k]);
	}
	if (!rc && del && b->drop_table)
		rc = table_msg(s, true);
	return rc;
}

/* Every message asked for an ack: read them until all came or one is an error. */
static int acks(struct netlink *nl, uint32_t first, uint32_t end, char *ext, size_t extn)
{
	uint32_t left = end - first;

	while (left) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, txbuf.b, sizeof txbuf.b);
		int len;

		if (n < 0)
			return -errno;
		len = (int)n;
		for (const struct nlmsghdr *h = &txbuf.h; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq >= end)
				continue;
			if (h->nlmsg_len < NLMSG_HDRLEN + sizeof *e)
				return -EBADMSG;
			if (e->error) {
				netlink_ext_text(h, e, ext, extn);
				return e->error;
			}
			left--;
		}
	}
	return 0;
}

/* A netfilter socket in nsfd (-1: here). */
static int nf_open(int nsfd, struct netlink *nl)
{
	int self, rc;

	if (nsfd < 0)
		return netlink_open_proto(nl, NETLINK_NETFILTER);
	rc = netns_enter(nsfd, &self);
	if (rc < 0)
		return rc;
	rc = netlink_open_proto(nl, NETLINK_NETFILTER);
	netns_leave(self);
	return rc;
}

int nft_commit(int nsfd, const struct nft_batch *b, bool del, char *ext, size_t extn)
{
	static char buf[NL_BUF];
	struct netlink nl;
	struct batch_state s = {.seq = 1};
	int rc;

	if (ext && extn)
		ext[0] = '\0';
	s.b = mnl_nlmsg_batch_start(buf, sizeof buf / 2);
	if (!s.b)
		return -ENOMEM;
	nftnl_batch_begin(mnl_nlmsg_batch_current(s.b), s.seq++);
	mnl_nlmsg_batch_next(s.b);
	s.first = s.seq;
	rc = batch_fill(&s, b, del);
	if (!rc) {
		nftnl_batch_end(mnl_nlmsg_batch_current(s.b), s.seq);
		rc = next(&s);
	}
	if (!rc && (rc = nf_open(nsfd, &nl)) == 0) {
		if (mnl_socket_sendto(nl.sock, mnl_nlmsg_batch_head(s.b), mnl_nlmsg_batch_size(s.b)) < 0)
			rc = -errno;
		else
			rc = acks(&nl, s.first, s.seq, ext, extn);
		netlink_close(&nl);
	}
	mnl_nlmsg_batch_stop(s.b);
	return rc;
}

/* --- reading --------------------------------------------------------------- */

struct chain_list {
	char (*names)[NFT_NAME_MAX];
	int max, n;
};

static int chain_cb(const struct nlmsghdr *h, void *data)
{
	struct chain_list *l = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *t, *name;

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(h, c) == 0 && (t = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)) &&
	    strcmp(t, NFT_TABLE) == 0 && (name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME))) {
		if (l->n == l->max) {
			nftnl_chain_free(c);
			return -E2BIG;
		}
		snprintf(l->names[l->n++], NFT_NAME_MAX, "%s", name);
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

int nft_chains(int nsfd, char (*names)[NFT_NAME_MAX], int max)
{
	struct chain_list l = {.names = names, .max = max};
	struct netlink nl;
	struct nlmsghdr *h;
	int rc = nf_open(nsfd, &nl);

	if (rc < 0)
		return rc;
	h = nftnl_nlmsg_build_hdr(txbuf.b, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, ++nl.seq);
	rc = netlink_request(&nl, h, chain_cb, &l, NULL, 0);
	netlink_close(&nl);
	return rc == -ENOENT ? 0 : rc < 0 ? rc : l.n;
}

/* --- the dry-run's words ---------------------------------------------------- */

static void term_text(FILE *f, const struct nft_term *t)
{
	switch (t->m) {
	case NM_IIF: fprintf(f, "iifname \"%s\" ", t->name); break;
	case NM_OIF: fprintf(f, "oifname \"%s\" ", t->name); break;
	case NM_OIF_NOT: fprintf(f, "oifname != \"%s*\" ", t->name); break;
	case NM_CT_REPLY: fputs("ct state established,related ", f); break;
	case NM_ICMP6: fprintf(f, "icmpv6 type %u ", t->arg); break;
	case NM_PROTO: fprintf(f, "meta nfproto %s ", t->arg == NFPROTO_IPV4 ? "ipv4" : "ipv6"); break;
	case NM_SADDR: {
		char a[INET6_ADDRSTRLEN] = "";
		bool v4 = t->arg == NFPROTO_IPV4;

		inet_ntop(v4 ? AF_INET : AF_INET6, t->addr, a, sizeof a);
		fprintf(f, "%s saddr %s ", v4 ? "ip" : "ip6", a);
		break;
	}
	}
}

static void nft_line(FILE *f, const char *ns, const char *verb, const char *what, const char *name,
		     const char *rest)
{
	if (ns)
		fprintf(f, "ip netns exec %s ", ns); /* a valid namespace name: a bare word */
	fprintf(f, "nft %s %s inet %s", verb, what, NFT_TABLE);
	if (name)
		fprintf(f, " %s", name); /* chain names are [a-z0-9-]: bare words */
	if (rest) {
		fputc(' ', f);
		sh_quote(f, rest);
	}
	fputc('\n', f);
}

static void rule_line(FILE *f, const char *ns, const char *chain, const struct nft_rule *r)
{
	static const char *const verdicts[] = {"accept", "drop", "masquerade"};
	char text[512];
	FILE *m = fmemopen(text, sizeof text, "w");

	if (!m)
		return;
	for (int i = 0; i < r->n; i++)
		term_text(m, &r->t[i]);
	fputs(verdicts[r->v], m);
	fclose(m);
	nft_line(f, ns, "add", "rule", chain, text);
}

void nft_render(FILE *f, const char *ns, const struct nft_batch *b, bool del)
{
	static const char *const spec[] = {
		[NH_INPUT] = "{ type filter hook input priority 0; policy accept; }",
		[NH_FORWARD] = "{ type filter hook forward priority 0; policy accept; }",
		[NH_POSTROUTING] = "{ type nat hook postrouting priority 100; policy accept; }",
	};

	if (!del && b->add_table)
		nft_line(f, ns, "add", "table", NULL, NULL);
	for (int i = 0; i < b->n; i++) {
		/* nft's delete refuses a chain with rules (NLM_F_NONREC); the batch's
		 * does not set it, so the kernel flushes them: the script flushes first */
		if (del)
			nft_line(f, ns, "flush", "chain", b->c[i].name, NULL);
		nft_line(f, ns, del ? "delete" : "add", "chain", b->c[i].name, del ? NULL : spec[b->c[i].hook]);
		for (int k = 0; !del && k < b->c[i].n; k++)
			rule_line(f, ns, b->c[i].name, &b->c[i].r[k]);
	}
	if (del && b->drop_table)
		nft_line(f, ns, "delete", "table", NULL, NULL);
}

void nft_render_undo(FILE *f, const struct nft_batch *b)
{
	fputs("{ ", f);
	for (int i = 0; i < b->n; i++)
		fprintf(f, "nft flush chain inet %s %s; nft delete chain inet %s %s; ", NFT_TABLE, b->c[i].name,
			NFT_TABLE, b->c[i].name);
	fprintf(f, "nft list table inet %s | grep -q 'chain ' || nft delete table inet %s; }", NFT_TABLE,
		NFT_TABLE);
}
