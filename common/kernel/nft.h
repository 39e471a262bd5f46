/*
 * nf_tables over netlink (libnftnl on libmnl): npte's one table, `inet npte`,
 * and the chains a gateway is made of. A rule is data (struct nft_rule), so
 * that the batch sent to the kernel and the `nft` line the dry-run prints are
 * made from the same description and cannot drift apart.
 */
#ifndef NPTE_NFT_H
#define NPTE_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define NFT_TABLE "npte"
/* A chain's name: "gw-" NS "-fwd", or "up4-" IFNAME: room for both. */
#define NFT_NAME_MAX 32

/* One match of a rule; each is a few expressions, as nft 1.0.6 emits them. */
enum nft_match {
	NM_IIF,      /* iifname NAME */
	NM_OIF,      /* oifname NAME */
	NM_OIF_NOT,  /* oifname != "NAME*" (a prefix) */
	NM_CT_REPLY, /* ct state established,related */
	NM_ICMP6,    /* icmpv6 type NUM (arg: 135 solicit, 136 advert) */
	NM_PROTO,    /* meta nfproto ipv4 (arg 2) / ipv6 (arg 10) */
	NM_SADDR,    /* ip saddr ADDR (arg 2) / ip6 saddr ADDR (arg 10) */
};
enum nft_verdict { NV_ACCEPT, NV_DROP, NV_MASQ };

struct nft_term {
	enum nft_match m;
	char name[16]; /* an interface name or prefix (validated by the builder) */
	unsigned arg;
	unsigned char addr[16]; /* NM_SADDR: 4 or 16 bytes, network order */
};

#define NFT_TERMS_MAX 4
struct nft_rule {
	int n;
	struct nft_term t[NFT_TERMS_MAX];
	enum nft_verdict v;
};

enum nft_hook { NH_INPUT, NH_FORWARD, NH_POSTROUTING };

#define NFT_RULES_MAX 8
struct nft_chain {
	char name[NFT_NAME_MAX];
	enum nft_hook hook; /* input and forward: filter, priority 0; postrouting: nat, 100 */
	int n;
	struct nft_rule r[NFT_RULES_MAX];
};

/* What one batch does: the table made if absent (add), the chains added, or
 * the chains deleted with their rules (and the table, when drop_table). */
#define NFT_CHAINS_MAX 6
struct nft_batch {
	bool add_table, drop_table;
	int n;
	struct nft_chain c[NFT_CHAINS_MAX];
};

/* Send b as one nf_tables transaction in the namespace nsfd (-1: the one
 * npte runs in): all of it or nothing. 0, or -errno with the kernel's
 * extended-ack text (when it gave one) in ext. */
int nft_commit(int nsfd, const struct nft_batch *b, bool del, char *ext, size_t extn);
/* The names of the chains of table inet npte in nsfd (0 when it does not
 * exist), or -errno (-E2BIG past max). */
int nft_chains(int nsfd, char (*names)[NFT_NAME_MAX], int max);

/* The `nft` command lines that do the same as nft_commit (one a line), run
 * in named namespace ns (NULL: the host). */
void nft_render(FILE *f, const char *ns, const struct nft_batch *b, bool del);
/* One command (a { ...; } group, no newline) that undoes the host's b: its
 * chains go, then the table if no chain is left. */
void nft_render_undo(FILE *f, const struct nft_batch *b);

#endif
