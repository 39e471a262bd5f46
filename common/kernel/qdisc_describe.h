/*
 * What is shaping an interface now, read back from the kernel: the root
 * qdisc and its child, each as its kind and tc words (each kind npte makes
 * decodes its own, qdisc.h; other kinds by name only). The words say what the kernel holds, in the units tc
 * takes, so `npte-lab netem --show` can be compared with what was asked for.
 */
#ifndef NPTE_QDISC_DESCRIBE_H
#define NPTE_QDISC_DESCRIBE_H

#include <stdint.h>
#include "kernel/netlink.h"
#include "base/kmem.h"
#include "shape/shape.h"

struct qdisc_desc {
	char kind[16];
	uint32_t handle, parent;
	char words[SHAPE_WORDS_LEN];
};

/* The root qdisc of ifindex (out[0]) and the child under it (out[1]), in
 * *n (0: only the kernel's default). 0 or -errno. */
int qdisc_describe(struct netlink *nl, int ifindex, struct qdisc_desc out[2], int *n, double tick);

/* What one RTM_NEWQDISC message's qdisc can hold (kmem.h): npte's kinds by
 * their own reckoning, pfifo and bfifo by their limits, anything else as nothing. */
void qdisc_kmem(const struct nlmsghdr *h, struct kmem_want *w);

#endif
