/*
 * The transaction journal /run/npte/journal. Before its first mutation a
 * transaction records every op it may have to undo; each op appends "made N
 * IDENTITY" as soon as the kernel confirms what it made (a namespace's
 * placeholder inode and cookie, a link's ifindex, a qdisc's handle), and
 * rollback appends "undone N"; removing the journal is the commit. Recovery
 * undoes only ops with a "made" record, and only where the identity still
 * matches: a kill before the kernel confirmed anything leaves nothing to
 * undo, so a name that existed before the run is never touched. The one
 * format is the one the writer writes ("npte-journal 4"): no other ever
 * shipped, and the journal lives on a tmpfs. Only one exclusive
 * transaction runs at a time (the global lock), so there is one journal.
 * A journal found by the next lock holder belongs to a process that died
 * (SIGKILL, OOM): its completed ops are undone, newest first, before
 * anything else runs.
 */
#ifndef NPTE_JOURNAL_H
#define NPTE_JOURNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "txn/plan.h"

#define NPTE_JOURNAL "journal"
#define NPTE_JOURNAL_BAD "journal.bad"

/* One op of a dead run, as the journal holds it: op.made says what it made. */
struct jentry {
	size_t index; /* in its plan */
	struct op op;
	bool undone;  /* its own rollback got to it */
};

/* Before the first change: every op of p that has an undo, by uid's run. */
int journal_begin(const struct plan *p, uid_t uid);
/* What op i made, as soon as the kernel confirmed it; op i undone. */
void journal_made(size_t i, const struct ident *id);
void journal_mark(const char *what, size_t i);
/* Committed (or rolled back): the journal goes. */
void journal_commit(void);

/*
 * A dead run's journal: 1 with its n entries in plan order (the reader's
 * storage, valid until the next call) and "PROG VERB, uid U, pid P" in head;
 * 0 when there is none; -errno, head saying why, when it cannot be opened or
 * read (-EMEDIUMTYPE: not root's regular file; -ENOMEM: no memory to hold
 * it, which says nothing against the journal). A line that cannot be used
 * (not a journal line, an op its kind's loader refuses or of a type lookup
 * does not know, past JOURNAL_OPS_MAX, torn, too long) costs only itself: it
 * is skipped, and journal_skipped names it.
 */
int journal_read(const struct jentry **out, size_t *n, char *head, size_t hn,
		 const struct op_type *(*lookup)(const char *));
/* The parser alone, of an open stream (the fuzz harness): as journal_read. */
int journal_parse(FILE *f, const struct jentry **out, size_t *n, char *head, size_t hn,
		  const struct op_type *(*lookup)(const char *));
/* "line 7 (bad op), line 9 (not a journal line)" of the last read, or NULL. */
const char *journal_skipped(void);
/* 1 and the head when a dead run's journal is pending, 0 when none, -errno. */
int journal_pending(char *head, size_t n);
/* Remove it, or move it aside as journal.bad (replacing an older one): 0, -errno. */
int journal_discard(bool bad);

#endif
