/*
 * How much one transaction, the journal and the registry hold. The journal
 * and the registry derive from the plan so that none of them can silently
 * hold less than another hands it: what does not fit is refused up front.
 */
#ifndef NPTE_CAPACITY_H
#define NPTE_CAPACITY_H

/* Ops in one transaction (a batch of names, a lab). */
#define PLAN_MAX 16384
/* Ops a journal records and recovery reads back: a whole plan. */
#define JOURNAL_OPS_MAX PLAN_MAX
/*
 * One journal line, its newline included: the writer formats each line into
 * this much and refuses the plan (before any change) if one does not fit; the
 * reader's buffer is the same size, so it takes every line the writer writes.
 */
#define JOURNAL_LINE_MAX 1280
/* Markers (managed namespaces) on the host; create refuses beyond it. */
#define REGISTRY_MAX 16384

#endif
