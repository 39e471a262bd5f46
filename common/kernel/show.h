/* The read side: a namespace's links, addresses, routes and qdiscs, read
 * with libnl-route-3 caches on a socket opened inside the namespace. */
#ifndef NPTE_SHOW_H
#define NPTE_SHOW_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "base/err.h"

/* Print the state of the namespace behind nsfd, as text or one JSON object. */
int show_netns(FILE *f, const char *name, int nsfd, uid_t owner, bool json, struct err *e);

#endif
