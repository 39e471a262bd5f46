/*
 * The transaction journal /run/npte/journal. Before its first mutation a
 * transaction records every op it may have to undo; each op appends "made N
 * IDENTITY" as soon as the kernel confirms what it made (a namespace's
 * placeholder inode and cookie, a link's ifindex, a qdisc's handle), and
 * rollback appends "undone N"; removing the journal is the commit. Recovery
 * undoes only ops with a "made" record, and only where the identity still
 * matches: a kill before the kernel confirmed anything leaves nothing to
 * undo, so a name that existed before the run is never touched. (Journals
 * of version 1 with "start"/"fail"/"done" lines are read; those lines prove
 * nothing and are ignored.) Only one exclusive
 * transaction runs at a time (the global lock), so there is one journal.
 * A journal found by the next lock holder belongs to a process that died
 * (SIGKILL, OOM): its completed ops are undone, newest first, before
 * anything else runs.
 */
#ifndef NPTE_JOURNAL_H
#define NPTE_JOURNAL_H

#include "plan.h"

#define NPTE_JOURNAL "journal"

int journal_begin(const struct plan *p, const struct ctx *c);
void journal_mark(const char *what, size_t i);
void journal_made(size_t i, const struct ident *id);
void journal_commit(void);
/* Undo what a dead transaction left; returns the number of ops undone (or -errno).
 * A summary line goes to warn. */
int journal_recover(struct ctx *c, char *warn, size_t n);
/* 1 and "PROG VERB, uid U, pid P" in head when a dead transaction's journal
 * is pending, 0 when none, -errno when it cannot be read. */
int journal_pending(char *head, size_t n);
/* Render the undo lines of a dead transaction's journal (for gc --dry-run). */
int journal_render(FILE *f, struct ctx *c);

#endif
