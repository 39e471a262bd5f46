/*
 * One answer to "is NAME the caller's namespace, the one npte made?", and
 * the one refusal every verb gives when it is not. Guards, list, show, gc
 * and lab status all ask here, so none of them can skip a part of it.
 */
#ifndef NPTE_OWNER_H
#define NPTE_OWNER_H

#include "kernel/registry.h"
#include "txn/txn.h"

enum owned {
	OWN_MINE,        /* the caller's marker (or the administrator), the namespace npte made */
	OWN_ABSENT,      /* no marker: not npte's (a namespace of that name may exist) */
	OWN_FOREIGN,     /* another user's marker, or one npte cannot parse */
	OWN_SWAPPED,     /* the caller's marker, but another namespace under the name */
	OWN_PLACEHOLDER, /* the caller's marker over a file that is not a namespace (a crash) */
	OWN_GONE,        /* the caller's marker, nothing under the name */
};

/*
 * The answer for c's caller, or -errno when it cannot be told (too many open
 * files, out of memory: fail closed, never read as absence). *m is the
 * marker when there is one; *h the namespace's handle for OWN_MINE and
 * OWN_SWAPPED, its fd and cookie (txn_ns_id).
 */
int owner_check(struct txn *c, const char *name, struct marker *m, struct nshandle **h);
/* owner_check for a caller that then talks to the kernel inside: for
 * OWN_MINE, *h has its netlink socket too (owner_check's handle has none). */
int owner_check_nl(struct txn *c, const char *name, struct marker *m, struct nshandle **h);

/* The uniform refusal for "missing, unmanaged or someone else's": exit 2. */
int deny(struct txn *c, const char *verb, const char *name);
#define DENY_TEXT "not found or not yours"

#endif
