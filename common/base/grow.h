/*
 * Arrays that grow to what they hold, up to their limit (capacity.h).
 *
 * Why not static arrays of the limit: an op is as large as its largest kind,
 * so a plan of PLAN_MAX ops and a journal reader as large were 46 MiB of BSS
 * in every binary, npte-lock's included, while the plan of a create holds six
 * ops a name. A grown array costs what the work holds, and a low RLIMIT_AS
 * cannot stop a binary at exec, before hygiene (priv.c) raises the limit.
 */
#ifndef NPTE_GROW_H
#define NPTE_GROW_H

#include <stddef.h>

/*
 * Room in p for at least need elements of size bytes, need <= max: p itself
 * while *cap holds them, else a larger block with p's elements moved in and
 * *cap set (at most max). NULL when memory runs out: p and *cap unchanged.
 * Elements may move: a pointer into the array is stale after a call.
 */
void *grow(void *p, size_t *cap, size_t need, size_t size, size_t max);

#endif
