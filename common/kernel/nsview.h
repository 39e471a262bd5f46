/* The read side for `npte-lab status`, on libnl-route-3 caches (show.c). */
#ifndef NPTE_NSVIEW_H
#define NPTE_NSVIEW_H

#include <stdbool.h>
#include "base/validate.h"

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
