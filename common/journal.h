/*
 * The transaction journal /run/npte/journal: intent before action. Before
 * its first mutation a transaction records every op it may have to undo;
 * before each one it appends "start N" ("fail N" if it failed on its own),
 * and after each rollback step "undone N"; removing the journal is the
 * commit. (Older journals may hold "done N": still read, no longer written.) Only one exclusive
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
