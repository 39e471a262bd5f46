/*
 * What is shaping an interface now, read back from the kernel: the root
 * qdisc and its child, each as its kind and tc words (each kind npte makes
 * decodes its own, qdisc.h; other kinds by name only). The words say what the kernel holds, in the units tc
 * takes, so `npte-lab netem --show` can be compared with what was asked for.
 */
#ifndef NPTE_QDISC_DESCRIBE_H
#define NPTE_QDISC_DESCRIBE_H

#include <stdint.h>
#include <stdio.h>
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

/* Every qdisc on ifindex, the kernel's default (handle 0) too, the root
 * first, then the others in the kernel's order: at most max into out, their
 * number in *n. 0 or -errno. */
#define QDISC_DESC_MAX 8
int qdisc_describe_all(struct netlink *nl, int ifindex, struct qdisc_desc *out, int max, int *n, double tick);
/* One qdisc as a line "  [DEV ]root  1: KIND WORDS" ("child 10: ..." under
 * another), or as a JSON object {["dev",] "kind", "handle", "parent",
 * "root", "words"} (dev NULL: not named): the one form of `npte-netem
 * show`, `npte-netns show` and `npte-lab netem --show`. The words are tc's,
 * the ones apply, tbf and change take back. */
void qdisc_desc_text(FILE *f, const char *dev, const struct qdisc_desc *q);
void qdisc_desc_json(FILE *f, const char *dev, const struct qdisc_desc *q);

/* What one RTM_NEWQDISC message's qdisc can hold (kmem.h): npte's kinds by
 * their own reckoning, pfifo and bfifo by their limits, anything else as nothing. */
void qdisc_kmem(const struct nlmsghdr *h, struct kmem_want *w);

#endif
