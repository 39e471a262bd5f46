/*
 * The qdisc tree at an interface's root, kept as the kernel reported it and
 * put back the same way: what `npte-netem play` restores when it is stopped.
 * Each qdisc is re-created with its kind and the options exactly as dumped
 * (the kernel takes its own dump back), root first, then its children. What
 * the kernel does not report cannot come back: a netem delay distribution
 * table (the kernel keeps it but never dumps it) is lost.
 */
#ifndef NPTE_QDISC_SNAPSHOT_H
#define NPTE_QDISC_SNAPSHOT_H

#include <stdint.h>
#include "kernel/netlink.h"

#define QDISC_SNAPSHOT_MAX 8        /* qdiscs in the tree */
#define QDISC_SNAPSHOT_OPTS 2048    /* bytes of options each */

struct qdisc_snapshot {
	int n; /* 0: the kernel's default root */
	struct {
		uint32_t handle, parent;
		char kind[16];
		uint16_t otype, olen; /* TCA_OPTIONS as dumped (its type keeps the nested flag) */
		unsigned char opts[QDISC_SNAPSHOT_OPTS];
	} q[QDISC_SNAPSHOT_MAX];
};

/* The tree at ifindex's root now. 0, or -errno (-E2BIG: larger than a snapshot holds). */
int qdisc_snapshot_take(struct netlink *nl, int ifindex, struct qdisc_snapshot *s);
/* Delete the root and re-create the snapshot's tree. 0 or -errno (with the kernel's text). */
int qdisc_snapshot_restore(struct netlink *nl, int ifindex, const struct qdisc_snapshot *s, char *ext, size_t extn);

#endif
