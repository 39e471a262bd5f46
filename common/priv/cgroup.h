/* The cgroup escape of hygiene (cgroup.c), and the way back for npte-run. */
#ifndef NPTE_CGROUP_H
#define NPTE_CGROUP_H

#include "priv/priv.h"

/* Leave every cgroup above npte that a user controls, for the root of its
 * hierarchy, saving the way back in saved; exit 2 when it cannot. */
void cgroup_leave(struct caller_state *saved);
/* Back into the cgroups left: 0 or -errno. */
int cgroup_return(const struct caller_state *st);

#endif
