/*
 * The dry-run renderer: a plan as a POSIX shell script that, run by sh or
 * pasted into an interactive root shell, does what the live run does.
 */
#ifndef NPTE_RENDER_H
#define NPTE_RENDER_H

#include <stddef.h>
#include <stdio.h>
#include "txn/plan.h"

struct txn;

/* Write the dry-run script for p to f. */
void plan_render(FILE *f, const struct plan *p, const struct txn *c);
/* The same in two halves, for a caller that adds lines to the body (gc -n):
 * open writes all but the subshell's closing line, close writes that. */
void plan_render_open(FILE *f, const struct plan *p, const struct txn *c);
void plan_render_close(FILE *f);
/* Inside an open script: the undo lines of a dead run's journal (gc -n).
 * Returns how many, or -ENOMEM (nothing written) when it cannot be held. */
int render_recovery(FILE *f, const struct txn *c);

/* Shell fragments shared by renderers. */
void render_words(FILE *f, const char *const *words); /* NULL-terminated, each quoted, newline */
void render_cmd(FILE *f, const char *const *words);   /* same, without the newline */
/* One more word of a line now *col bytes long, after a space or a line break
 * (when the line would pass RENDER_WIDTH); a longer word goes in pieces. */
#define RENDER_WIDTH 160
void render_wrapped(FILE *f, const char *w, size_t *col);

#endif
