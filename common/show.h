/* The read side: a namespace's links, addresses, routes and qdiscs, read
 * with libnl-route-3 caches on a socket opened inside the namespace. */
#ifndef NPTE_SHOW_H
#define NPTE_SHOW_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "err.h"

/* Print the state of the namespace behind nsfd, as text or one JSON object. */
int show_netns(FILE *f, const char *name, int nsfd, uid_t owner, bool json, struct err *e);
/* A JSON string literal, with every non-printable or non-ASCII byte escaped. */
void json_str(FILE *f, const char *s);

#endif

#ifndef NPTE_SHOW_VIEW
#define NPTE_SHOW_VIEW
#include "validate.h"

/* A snapshot of one namespace (links, addresses, main-table routes) to ask
 * "is this part there?" — for `npte-lab status`. */
struct nsview;
struct nsview *nsview_open(int nsfd);
void nsview_close(struct nsview *v);
/* 1 up, 0 present but down, -1 absent. */
int nsview_link(struct nsview *v, const char *ifname);
bool nsview_addr(struct nsview *v, const char *ifname, const struct ipaddr *a, unsigned plen);
/* A main-table unicast route to DST/PLEN (0: default) via GW. */
bool nsview_route(struct nsview *v, const struct ipaddr *dst, unsigned plen, const struct ipaddr *gw);
#endif
