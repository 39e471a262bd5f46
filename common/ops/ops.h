/* Plan builders: the ops each verb is made of. Composite tools (the lab)
 * call the same builders and run the concatenated plan as one transaction. */
#ifndef NPTE_OPS_H
#define NPTE_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include "txn/plan.h"
#include "txn/owner.h"
#include "txn/render.h"
#include "txn/txn.h"

/* Refuse unless NAME is a marker owned by the caller and the namespace behind
 * it is the one npte made (cookie). */
enum {
	GUARD_MAY_BE_GONE = 1, /* the marker may outlive its namespace (destroy: what it
				* removes is read here, before any name goes) */
	GUARD_ABSENT_OK = 2,   /* no marker and no namespace at all is fine too */
};
void plan_guard_owned(struct plan *p, const char *verb, const char *name, unsigned flags);
/* Refuse (exit 2) when the caller's namespaces plus `adding` would exceed max
 * (the administrator is never limited). Checked under the lock. */
void plan_guard_quota(struct plan *p, const char *verb, unsigned adding, unsigned max);
/* Refuse (exit 2) a non-root caller's shaping whose queues would not drain
 * within 60 s, or whose worst-case kernel memory (kmem.h) and that of all
 * their other qdiscs would exceed max_kernel_memory: one check before the
 * plan's first qdisc op, made by the dry-run too. Nothing when the plan
 * shapes nothing. */
void plan_guard_kmem(struct plan *p, const char *verb);
/* A schedule's worst step on NS IFACE, which the check charges instead of
 * its first (call before plan_guard_kmem). */
void plan_kmem_worst(const char *ns, const char *ifname, const struct kmem_want *w);
/* The charge of every qdisc in namespace ns as the kernel holds them now
 * (UINT64_MAX when they cannot be read: it could hold anything); nsid is
 * its id in the host's table, when known (else < 0). */
uint64_t kmem_of_ns(struct txn *c, const char *ns, int32_t nsid);
/* The charge of w on ns's ifname as the link is now (or by default). */
uint64_t kmem_charge_on(struct txn *c, const char *ns, const char *ifname, const struct kmem_want *w);
/* Refuse (exit 2) unless NS has an interface IFNAME, naming the interfaces it
 * has: a missing interface is the caller's mistake, said before any change.
 * Put it after plan_guard_owned, so that only the caller's own namespace's
 * interfaces are ever named. */
void plan_guard_dev(struct plan *p, const char *verb, const char *ns, const char *ifname);
/* The ifindex of ifname in ns (> 0, *h its handle), or -1 with c->err set:
 * exit 2 naming ns's interfaces when it has no such interface (the same
 * refusal as plan_guard_dev, for an op that finds it gone mid-plan: the
 * transaction rolls back), exit 1 for anything else. */
int ops_ifindex(struct txn *c, const char *ns, const char *ifname, struct nshandle **h);
/* The dry-run's line for the same check: exit 2 naming the interface. */
void render_dev_check(FILE *f, const char *verb, const char *ns, const char *ifname);
/* Namespace, lo up, then the marker; forwarding stays off
 * (plan_netns_forward after it, for a node that routes). */
void plan_netns_create(struct plan *p, const char *name);
/* ICMP echo sockets for every gid in NAME (npte-run, before the program). */
void plan_netns_ping(struct plan *p, const char *name);
/* IPv6 DAD off on IFNAME in NS, before it is up (plan_veth_add). */
void plan_veth_nodad(struct plan *p, const char *ns, const char *ifname);
/* IPv4 and IPv6 forwarding on in NAME: a node that routes. */
void plan_netns_forward(struct plan *p, const char *name);
/* Namespace removed, then its marker. */
void plan_netns_destroy(struct plan *p, const char *name);
/* destroy --kill, before plan_netns_destroy: the caller's processes in NAME end. */
void plan_netns_kill(struct plan *p, const char *name);
/* A destroy's cli_run_then: after the unlock, one line on stderr for each
 * namespace it destroyed that something still holds (the caller's pids, or
 * "held by something"); exit 0 all the same, the names are gone. */
int plan_destroy_report(struct txn *c, void *arg);

/* Remove NAME's marker only (gc: its namespace is gone or not npte's). */
void plan_marker_remove(struct plan *p, const char *name);
/* Bring IFNAME up inside NS. */
void plan_link_up(struct plan *p, const char *ns, const char *ifname);

/* A veth pair between two namespaces: if-RIGHT in LEFT, if-LEFT in RIGHT, both
 * ends placed by the one RTM_NEWLINK that makes them, then both up. */
void plan_veth_add(struct plan *p, const char *left, const char *right);
/* Delete the pair (deleting if-RIGHT in LEFT deletes both ends). */
void plan_veth_del(struct plan *p, const char *left, const char *right);
/* Address ADDR/PLEN on IFNAME in NS (IPv6 without DAD). */
void plan_addr(struct plan *p, bool add, const char *ns, const char *ifname,
	       const struct ipaddr *a, unsigned plen);
/* Route to DST/PLEN (plen 0: default) via GW in NS's main table, proto static. */
void plan_route(struct plan *p, bool add, const char *ns, const struct ipaddr *dst, unsigned plen,
		const struct ipaddr *gw);

/* Shaping at the root of IFACE in NS. A new root qdisc is grafted under the
 * handle the current one does not use (1: or 2:), so it replaces whatever was
 * there atomically and inherits no stale attribute; a child goes under it. */
void plan_netem(struct plan *p, const char *ns, const char *ifname, const struct netem_spec *s,
		const struct qdisc_child *child);
void plan_tbf(struct plan *p, const char *ns, const char *ifname, const struct tbf_spec *t);
/* The same for a spec of any root kind (qdisc.h), e.g. a schedule's step. */
void plan_qdisc_root(struct plan *p, const char *ns, const char *ifname, enum qkind kind,
		     const union qspec *q, const struct qdisc_child *child);
/* Change the root in place (refused unless the root is of that kind). */
void plan_qdisc_change(struct plan *p, const char *ns, const char *ifname, enum qkind kind, const union qspec *q);
/* A child's spec (its kind's from_rate of its rate): the kind, or NULL with
 * the reason in e (when not NULL). */
const struct qdisc_kind *qdisc_child_spec(const struct qdisc_child *ch, union qspec *q, struct err *e);
/* Remove the root qdisc; an interface with only the default one is fine. */
void plan_qdisc_clear(struct plan *p, const char *ns, const char *ifname);

/* --- gateways (ops_gateway.c, gateway_probe.c; npte-gateway.8) --- */
#define GW_HOST_PREFIX "gw-"   /* the host's end: gw-NS (never an if-PEER name) */
#define GW_NS_IFNAME "gw-host" /* the namespace's end */
#define GW_UP4_PREFIX "up4-"          /* chains that hold a forwarding uplink to the gateways */
#define GW_UP6_PREFIX "up6-"
#define GW_POOL4 0x64400000u   /* 100.64.0.0/10: slot S is 100.64.0.0 + 4S, a /30 */
#define GW_SLOTS 16384         /* and fd6e:7074:6777:S::/64 */
#define GW_CHAINS_MAX 4096     /* chains of inet npte read at once */
enum {
	GW_V6 = 1,      /* the host has an IPv6 default route by the same uplink */
	GW_UP4 = 2,     /* create: npte turns the uplink's IPv4 forwarding on; destroy: off */
	GW_UP6 = 4,     /* the same for IPv6 (force_forwarding) */
	GW_LAST = 8,    /* destroy: no other gateway is left (the uplink and the table go) */
	GW_CHAINS = 16, /* destroy: the gateway's chains exist */
	GW_LINK = 32,   /* destroy: the host's end exists */
	GW_FLAGS_END = 64,
};
struct gw_info {
	const char *ns;
	char uplink[IFNAME_MAX + 1];
	unsigned slot, flags;
	int link; /* destroy: the ifindex of the host's end, when GW_LINK */
};
void gw_ifname(char *buf, size_t n, const char *ns);
void gw_addr(unsigned slot, int family, bool host, struct ipaddr *a);
/* An uplink name npte can put in a rule and a sysctl path: [A-Za-z0-9._-]. */
bool gw_uplink_ok(const char *s);
/* /proc/sys/net/FAM/conf/IFNAME/KEY of the host, read (*cur: 1 or 0) or
 * written: 0 or -errno. */
int gw_sysctl_read(const char *fam, const char *ifname, const char *key, int *cur);
int gw_sysctl_write(const char *fam, const char *ifname, const char *key, const char *val);
/* What a create of NS's gateway finds on the host (under the lock, or for a
 * dry-run now): the uplink, a free slot, what forwarding npte must turn on.
 * 0, or an exit code with c->err set. */
int gw_probe_create(struct txn *c, const char *ns, struct gw_info *g);
/* What a destroy finds: 1 when NS has a gateway (or part of one), 0 when
 * none, -1 with c->err set. The gateways of gone[] (removed earlier in the same
 * plan) do not keep the uplink and the table. */
int gw_probe_destroy(struct txn *c, const char *ns, struct gw_info *g, char (*gone)[16], int ngone);
/* npte-netns destroy: the removal of each of names' gateways, after the
 * namespaces (under the lock, from what exists). 0 or an exit code. */
int plan_gateway_gone(struct plan *p, struct txn *c, char (*names)[16], int n);
/* The gateways there are (host ends gw-NS, or chains of them): names into
 * ns (each NETNS_NAME_MAX + 4), count or -errno. */
int gw_list(char (*ns)[16], int max);
/* The slot of NS's gateway, read from its host end's addresses (and whether
 * it has IPv6): 0, -ENOENT when it has none, or -errno. */
int gw_slot(const char *ns, unsigned *slot, bool *v6);
/* The host's end and the namespace's addresses, routes and rules (after the guard). */
void plan_gateway_create(struct plan *p, const struct gw_info *g);
void plan_gateway_destroy(struct plan *p, const struct gw_info *g);

/*
 * Why each op kind is safe to run as root for a sudo caller. Every op runs
 * inside one transaction under the global lock, so no other npte changes the
 * registry or /run/netns between a check and the change it allows; a caller
 * reaches only what the plan's builders put in, from validated values.
 *  - check owner, check interface, check quota, check memory: decide only;
 *    they refuse before the first change (a plan puts them first), never
 *    change anything; check interface names interfaces only of a namespace
 *    check owner has proven the caller's.
 *  - netns add: a fresh name under root's /run/netns, refused if it exists;
 *    its marker (marker write) records the caller and the namespace's cookie.
 *  - netns del, marker remove: only after check owner found the caller's
 *    marker and the same namespace behind it (cookie); undo of a netns add
 *    deletes only while the identity the add recorded still matches.
 *  - link up, sysctl: inside a namespace the guard has proven the caller's;
 *    the sysctl keys and values are constants of the builder (forwarding,
 *    DAD, ping_group_range), not input.
 *  - veth add/del, addr add/del, route add/del: inside guarded namespaces
 *    only, names and addresses validated; undo deletes what the add made only
 *    while it is still the one made, never a link of the same name made since.
 *  - qdisc replace/change/clear: at the root of an interface of a guarded
 *    namespace; the memory check charged the worst case first, and undo removes
 *    only the root this run grafted, while it still is the root.
 *  - play claims sweep: removes only claim files no live player holds locked.
 *  - kill holders (destroy --kill): after the guard it only pins the namespace
 *    (a descriptor); after the unlock, in a child that is wholly the caller,
 *    so it signals only what the caller's kill(1) could; only
 *    processes all of whose uids are the caller's (never root's), each through
 *    a pidfd opened before it was checked (holders.h).
 *  - gateway link, host end, rules, uplink forwarding, remove: on the host,
 *    for a namespace the guard has proven the caller's; every name is made
 *    from that namespace's (gw-NS) or read from the kernel and checked
 *    (gw_uplink_ok); undo deletes the link only while it is the one made
 *    (ifindex, cookie), and only chains of the gateway's own name; the uplink
 *    is turned off only where npte turned it on (its up4-/up6- chain).
 * A new kind adds its line here.
 */
/* Every op type of common/ (op_types[] in optypes.c lists them for lookups by name). */
extern const struct op_type guard_op, dev_guard_op, quota_op, netns_add_op, netns_del_op, link_up_op, sysctl_op,
	marker_write_op, marker_remove_op, veth_add_op, veth_del_op, addr_add_op, addr_del_op,
	route_add_op, route_del_op, root_op, clear_op, change_op, kmem_op, claim_sweep_op,
	play_snapshot_op, netns_kill_op, gw_link_op, gw_side_op, gw_rules_op, gw_nsrules_op, gw_fwd_op,
	gw_remove_op;

/* Shared by the op modules: a new op on namespace name. */
struct op *op_ns(struct plan *p, const struct op_type *t, const char *name);

#endif
