/* The dry-run renderer (see render.h). */
#include <errno.h>
#include <string.h>
#include "txn/journal.h"
#include "kernel/registry.h"
#include "txn/render.h"
#include "base/escape.h"
#include "txn/txn.h"

void render_cmd(FILE *f, const char *const *words)
{
	for (size_t i = 0; words[i]; i++) {
		if (i)
			fputc(' ', f);
		sh_quote(f, words[i]);
	}
}

/*
 * A preview may be pasted, and busybox sh's line editor takes about 1000
 * bytes a line. Before a word that would take the line past RENDER_WIDTH,
 * break it with backslash-newline; a word longer than that goes in pieces,
 * each quoted alone and joined by backslash-newline, which the shell removes
 * (outside quotes) before it splits words: the pieces make one word again.
 * A word that needs printf is broken inside its one printf instead: pieces
 * each quoted alone would make a command substitution per line.
 * Lengths are of the quoted form, which grows with each byte that needs printf.
 */
void render_wrapped(FILE *f, const char *w, size_t *col)
{
	char piece[RENDER_WIDTH];
	size_t q = sh_quote_buf(NULL, 0, w);

	/* Room is kept after the word for the space and backslash of a break. */
	if (*col + 1 + q + 2 > RENDER_WIDTH) {
		fputs(" \\\n  ", f);
		*col = 2;
	} else {
		fputc(' ', f);
		(*col)++;
	}
	if (*col + q + 2 <= RENDER_WIDTH) {
		sh_quote(f, w);
		*col += q;
		return;
	}
	if (sh_needs_printf(w)) {
		*col = sh_quote_wrap(f, w, *col, RENDER_WIDTH);
		return;
	}
	for (size_t at = 0; w[at];) {
		/* As many bytes as fit quoted, with the backslash after them. */
		size_t n;

		if (at) {
			fputs("\\\n", f);
			*col = 0;
		}
		n = sh_quote_fit(w + at, RENDER_WIDTH - 1 - *col);
		if (!n)
			n = 1; /* never reached at these widths; a long line beats a loop */
		memcpy(piece, w + at, n);
		piece[n] = '\0';
		sh_quote(f, piece);
		*col += sh_quote_buf(NULL, 0, piece);
		at += n;
	}
}

void render_words(FILE *f, const char *const *words)
{
	render_cmd(f, words);
	fputc('\n', f);
}

/*
 * The preview is read by a human and then pasted into an interactive root
 * shell, piped to `sudo sh` or saved and run. The whole body is one subshell,
 * so that set -eu, umask, traps, fd 9 (the lock), step and the functions die
 * with it and the shell it was pasted into is left exactly as it was, and an
 * exit (a guard's refusal, a failing command under set -e) ends the subshell,
 * not that shell. The subshell is a plain command and not the left side of
 * `||`: shells ignore set -e in there. Its EXIT trap (finish) rolls back and
 * reports the failure with its status; as the last command, the subshell's
 * status is the script's. Indents are spaces: a pasted tab asks readline and
 * busybox's line editor to complete a word.
 */
static bool plan_undoable(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].type->undoable)
			return true;
	return false;
}

/* rollback(): the undo of each op done so far, last first. */
static void render_rollback(FILE *f, const struct plan *p, const struct txn *c)
{
	size_t i = p->n;

	fprintf(f, "step=0\nrollback() {\n");
	while (i-- > 0) {
		const struct op *op = &p->ops[i];

		if (!op->type->undoable)
			continue;
		fprintf(f, "  if [ \"$step\" -ge %zu ]; then ", i + 1);
		op->type->render(f, op, c, true);
		fprintf(f, " || true; fi\n");
	}
	fprintf(f, "  :\n}\n");
}

/* The EXIT trap: on failure, roll back and say so with the status. */
static void render_finish(FILE *f, const struct plan *p, bool undoable)
{
	char msg[160];

	/* A function, not an inline trap string, so that shellcheck sees rc assigned. */
	fprintf(f, "finish() {\n  rc=$?\n  trap - EXIT\n  if [ \"$rc\" -ne 0 ]; then\n");
	if (undoable)
		fprintf(f, "    rollback\n");
	snprintf(msg, sizeof msg, "%s: %s: dry run failed, exit status", prog, p->verb);
	fprintf(f, "    echo ");
	sh_quote(f, msg);
	fprintf(f, " \"$rc\" >&2\n  fi\n  exit \"$rc\"\n}\ntrap finish EXIT\n");
}

/* /run/npte, the lock taken as the live run takes it, and its holder record. */
static void render_lock(FILE *f, const struct plan *p, const struct txn *c)
{
	char msg[160];

	fprintf(f, "install -d -m 0700 %s %s/%s\n", NPTE_RUN_DIR, NPTE_RUN_DIR, "netns");
	fprintf(f, "exec 9>>%s/lock\n", NPTE_RUN_DIR);
	/* In the background so that $! is flock(1)'s pid: the one /proc/locks
	 * shows for the lock, and so the one the holder record must name. */
	snprintf(msg, sizeof msg, "%s: %s: lock busy after %us; retry later", prog, p->verb, c->wait_s);
	fprintf(f, "flock%s -E 75 -w %u 9 & wait \"$!\" || { echo ", p->exclusive ? "" : " -s", c->wait_s);
	sh_quote(f, msg);
	fprintf(f, " >&2; exit 75; }\n");
	/*
	 * The holder record, as lock_take writes it (>| in case of set -C).
	 * A shared holder writes one too, unlike lock_take: flock(1) has exited,
	 * so nothing else can name it, and while it holds the lock shared no
	 * exclusive holder's record exists to be overwritten.
	 */
	snprintf(msg, sizeof msg, "%s (dry-run preview)", p->verb);
	fprintf(f, "printf 'pid=%%s\\nuid=%%s\\nprog=%%s\\nverb=%%s\\nsince=%%s\\n' \"$!\" %u ",
		(unsigned)c->who.uid);
	sh_quote(f, prog);
	fputc(' ', f);
	sh_quote(f, msg);
	fprintf(f, " \"$(date +%%s)\" >|%s/lock\n", NPTE_RUN_DIR);
}

void plan_render_open(FILE *f, const struct plan *p, const struct txn *c)
{
	bool undoable = plan_undoable(p);

	fprintf(f, "#!/bin/sh\n# Dry run of: %s\n", p->title);
	fprintf(f, "# Read it, then paste it into a root shell, pipe it to sudo sh, or save it and\n"
		   "# run sudo sh FILE: it does what the live command does. It runs in a subshell,\n"
		   "# so a shell it is pasted into keeps its options, umask, traps and files.\n");
	fprintf(f, "(\nset -eu\numask 022\n");
	if (undoable)
		render_rollback(f, p, c);
	render_finish(f, p, undoable);
	render_lock(f, p, c);
	/* The live run blocks these while it holds the lock; the script ignores them. */
	fprintf(f, "trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE\n");
	for (size_t i = 0; i < p->n; i++) {
		p->ops[i].type->render(f, &p->ops[i], c, false);
		if (p->ops[i].type->undoable)
			fprintf(f, "step=%zu\n", i + 1);
	}
}

void plan_render_close(FILE *f)
{
	fputs(")\n", f);
}

void plan_render(FILE *f, const struct plan *p, const struct txn *c)
{
	plan_render_open(f, p, c);
	plan_render_close(f);
}

int render_recovery(FILE *f, const struct txn *c)
{
	const struct jentry *j;
	char head[256];
	size_t n;
	int shown = 0, rc = journal_read(&j, &n, head, sizeof head, op_type_find);
	const char *sk;

	if (rc == -ENOMEM)
		return rc; /* as the live run: the journal stays, nothing is undone */
	if (rc < 0) {
		/* head is npte's own text (a path, a file type, strerror): fit for a comment */
		fprintf(f, "# unreadable journal left by a dead run (%s): moved aside\n", head);
		fprintf(f, "mv -f %s/%s %s/%s\n", NPTE_RUN_DIR, NPTE_JOURNAL, NPTE_RUN_DIR, NPTE_JOURNAL_BAD);
		return 0;
	}
	if (rc == 0)
		return rc;
	fprintf(f, "# undo what an interrupted transaction left (%s)\n", head);
	for (size_t k = n; k-- > 0;) {
		if (!j[k].op.made.set || j[k].undone)
			continue;
		j[k].op.type->render(f, &j[k].op, c, true);
		fputs(" || true\n", f);
		shown++;
	}
	if ((sk = journal_skipped())) {
		fprintf(f, "# skipped journal %s; kept as %s/%s\n", sk, NPTE_RUN_DIR, NPTE_JOURNAL_BAD);
		fprintf(f, "mv -f %s/%s %s/%s\n", NPTE_RUN_DIR, NPTE_JOURNAL, NPTE_RUN_DIR, NPTE_JOURNAL_BAD);
	} else {
		fprintf(f, "rm -f %s/%s\n", NPTE_RUN_DIR, NPTE_JOURNAL);
	}
	return shown;
}
