/*
 * Namespaces that outlive their name. Destroy always removes the name; when
 * something still holds the namespace (a process in it, an fd on it, a
 * socket that lives in it, an fd in flight...), its id stays in the host's
 * nsid table and a draining record keeps it charged to its owner until the
 * kernel drops the id. Every way to hold a namespace is covered, because it
 * is the kernel that says when the namespace has ended.
 */
#ifndef NPTE_DRAIN_H
#define NPTE_DRAIN_H

#include <stdint.h>
#include "kernel/registry.h"
#include "txn/txn.h"

/* Give the namespace nsfd a free id of npte's range; its value in *id. */
int nsid_assign(struct txn *c, int nsfd, int32_t *id);
/* The id the namespace nsfd has (given by nsid_assign), or a new one. */
int nsid_get(struct txn *c, int nsfd, int32_t *id);
/* NAME's namespace, with id, lost its name: a draining record charged to
 * owner if the kernel still has it, with kmem bytes of qdiscs in it.
 * 1 when written, 0 when it has ended, -errno. */
int drain_charge(struct txn *c, const char *name, int32_t id, uid_t owner, uint64_t kmem);
/* What the live draining records of owner hold in qdiscs, in *sum
 * (saturating). -errno. */
int drain_kmem(struct txn *c, uid_t owner, uint64_t *sum);
/* Remove the records whose namespace has ended; count the live ones of
 * owner (all, for the administrator's view, when all is set). -errno. */
int drain_count(struct txn *c, uid_t owner, bool all, unsigned *live);
/* The live records now (after drain_count), for list and gc. */
int drain_live(struct txn *c, struct drain *out, int max);

#endif
