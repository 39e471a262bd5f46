/* The read side: a namespace's links, addresses, routes and qdiscs, read
 * with libnl-route-3 caches on a socket opened inside the namespace. */
#ifndef NPTE_SHOW_H
#define NPTE_SHOW_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "base/err.h"
#include "kernel/netlink.h"

/* Print the state of the namespace behind nsfd, as text or one JSON object;
 * nl, a libmnl socket inside it, reads the qdiscs back as tc words. */
int show_netns(FILE *f, const char *name, int nsfd, struct netlink *nl, uid_t owner, bool json, struct err *e);

#endif
