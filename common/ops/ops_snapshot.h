/*
 * The start's snapshot of a play (play/player.h): one op per interface,
 * applied under the start's lock before the first step replaces the root.
 * It claims the interface (claim.h), reads the qdisc tree at its root to be
 * put back at the end (qdisc_snapshot.h) and, the first one of a play, opens
 * the one netlink socket the player keeps inside the namespace and notes the
 * namespace's identity. Each op fills the data it is given: the player's, which
 * outlives the plan's run. No undo: the player's end gives the claim up and
 * puts the tree back.
 */
#ifndef NPTE_OPS_SNAPSHOT_H
#define NPTE_OPS_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include "base/kmem.h"
#include "kernel/netlink.h"
#include "kernel/qdisc_snapshot.h"
#include "txn/plan.h"

/* One interface of a play, as the start finds it. */
struct play_snapshot {
	struct kmem_want worst; /* of its steps (set before): charged and noted in its claim */
	int ifindex;
	int playfd;             /* /run/npte/play/NS:IFACE, flocked while this plays */
	bool claimed;           /* playfd holds it (claim.h); dropped at the end */
	struct qdisc_snapshot prev;
};

/* The socket the player keeps inside the namespace, and which namespace. */
struct play_socket {
	struct netlink nl;
	bool open;
	uint64_t ns_dev, ns_ino; /* the namespace's identity (nsfs inode) */
};

/* The snapshot of ns's ifname into snap (and, unless already open, sock).
 * slot (0 or 1) picks the fd (8 - slot) the dry-run's script keeps its
 * claim on. snap and sock must outlive the plan's run. */
void plan_play_snapshot(struct plan *p, const char *ns, const char *ifname, int slot, struct play_snapshot *snap,
			struct play_socket *sock);

#endif
