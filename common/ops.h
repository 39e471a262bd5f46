/* Plan builders: the ops each verb is made of. Composite tools (the lab)
 * call the same builders and run the concatenated plan as one transaction. */
#ifndef NPTE_OPS_H
#define NPTE_OPS_H

#include <stdbool.h>
#include "plan.h"

/* Refuse unless NAME is a marker owned by the caller and the namespace behind
 * it is the one npte made (cookie). may_be_gone: a missing namespace is fine. */
void plan_guard_owned(struct plan *p, const char *verb, const char *name, bool may_be_gone);
/* Namespace, lo up, forwarding on (IPv4 and IPv6), then the marker. */
void plan_netns_create(struct plan *p, const char *name);
/* Namespace removed, then its marker. */
void plan_netns_destroy(struct plan *p, const char *name);

#endif
