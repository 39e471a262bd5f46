/* The plan: executor with reverse-order rollback, and the dry-run renderer. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lock.h"
#include "netns.h"
#include "journal.h"
#include "plan.h"
#include "registry.h"
#include "shquote.h"

struct op *plan_add(struct plan *p, const struct op_type *t)
{
	struct op *op;

	if (p->n >= PLAN_MAX)
		die(EXIT_USAGE, "too many operations in one transaction (at most %d)", PLAN_MAX);
	op = &p->ops[p->n++];
	memset(op, 0, sizeof *op);
	op->type = t;
	return op;
}

void ctx_init(struct ctx *c, const struct caller *who, unsigned wait_s)
{
	struct timespec ts;

	memset(c, 0, sizeof *c);
	c->who = *who;
	c->wait_s = wait_s;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->deadline = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + wait_s;
	for (int i = 0; i < CTX_NS; i++)
		c->ns[i].fd = -1;
}

static void handle_close(struct nshandle *h)
{
	if (h->has_nl)
		knl_close(&h->nl);
	if (h->fd >= 0)
		close(h->fd);
	memset(h, 0, sizeof *h);
	h->fd = -1;
}

int ctx_ns(struct ctx *c, const char *name, struct nshandle **out)
{
	struct nshandle *h;
	int rc;

	h = &c->ns[0];
	for (int i = 0; i < CTX_NS; i++) {
		if (c->ns[i].fd >= 0 && strcmp(c->ns[i].name, name) == 0) {
			c->ns[i].used = ++c->ns_clock;
			*out = &c->ns[i];
			return 0;
		}
		if (c->ns[i].used < h->used)
			h = &c->ns[i];
	}
	/* A few handles at a time, least recently used out: a batch of 1000 names
	 * must not run out of fds, and an op holding two handles keeps both. */
	handle_close(h);
	h->fd = netns_open(name);
	if (h->fd < 0) {
		rc = h->fd;
		h->fd = -1;
		return rc;
	}
	rc = netns_nl(h->fd, &h->nl);
	if (rc < 0) {
		handle_close(h);
		return rc;
	}
	h->has_nl = true;
	h->used = ++c->ns_clock;
	snprintf(h->name, sizeof h->name, "%s", name);
	*out = h;
	return 0;
}

void ctx_forget(struct ctx *c, const char *name)
{
	for (int i = 0; i < CTX_NS; i++)
		if (c->ns[i].fd >= 0 && strcmp(c->ns[i].name, name) == 0)
			handle_close(&c->ns[i]);
}

void ctx_close(struct ctx *c)
{
	for (int i = 0; i < CTX_NS; i++)
		if (c->ns[i].fd >= 0)
			handle_close(&c->ns[i]);
}

int deny(struct ctx *c, const char *verb, const char *name)
{
	(void)verb; /* main prefixes the verb; the text is the same for every cause */
	return err_set(&c->err, EXIT_USAGE, "%s: " DENY_TEXT, name);
}

#ifdef NPTE_FAULT
/* Test-only builds (never installed): die by SIGKILL right after op k, at
 * the start of op k, or right after the k-th identity record (1-based). */
int npte_fault_after = -1, npte_fault_pause = -1, npte_fault_in = -1, npte_fault_made = -1;
int npte_fault_nsopen;
static int made_calls;
static void fault_point(size_t done)
{
	if (npte_fault_after == (int)done)
		raise(SIGKILL);
	/* A window, with the lock held and signals blocked, for signal tests. */
	if (npte_fault_pause == (int)done)
		sleep(2);
}
static void fault_in(size_t i)
{
	if (npte_fault_in == (int)i)
		raise(SIGKILL);
}
static void fault_made(void)
{
	if (npte_fault_made == ++made_calls)
		raise(SIGKILL);
}
#else
static void fault_point(size_t done) { (void)done; }
static void fault_in(size_t i) { (void)i; }
static void fault_made(void) {}
#endif

void ctx_made(struct ctx *c, const struct ident *id)
{
	c->made = *id;
	c->made.set = true;
	journal_made(c->cur, &c->made);
	fault_made();
}

int plan_run(struct plan *p, struct ctx *c)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n; i++) {
		struct op *op = &p->ops[i];

		/* No "about to start" record: a kill before the op confirms what it
		 * made must leave recovery nothing to act on (the name may have
		 * existed before, or belong to someone else). */
		c->cur = i;
		memset(&c->made, 0, sizeof c->made);
		fault_in(i);
		rc = op->type->exec(c, op);
		op->made = c->made;
		if (rc)
			break;
		fault_point(i + 1);
	}
	if (!rc)
		return 0;
	if (!c->err.code)
		err_set(&c->err, rc, "%s failed", p->ops[i].type->name);
	/* Undo what the failed op made part of, then what completed, newest
	 * first; keep going so as much as possible is undone. */
	for (i++; i-- > 0;) {
		const struct op *op = &p->ops[i];
		struct err saved = c->err;

		if (!op->type->undo || !op->made.set)
			continue;
		c->err.code = 0;
		if (op->type->undo(c, op) && !c->warn[0])
			snprintf(c->warn, sizeof c->warn, "rollback: %s: %s", op->type->name, c->err.msg);
		c->err = saved;
		journal_mark("undone", i);
	}
	return rc;
}

int ctx_lock(struct ctx *c, bool exclusive, const char *verb)
{
	char head[256];
	int rc = lock_take(exclusive, c->wait_s, c->who.uid, verb, &c->err);

	if (rc)
		return rc;
	/* The previous holder may have died mid-transaction: finish its rollback first. */
	if (exclusive) {
		if (journal_recover(c, c->note, sizeof c->note) < 0 && !c->note[0])
			snprintf(c->note, sizeof c->note, "could not read the journal of an interrupted run");
		return 0;
	}
	/* A reader must not act on what a dead transaction half made (enter a
	 * namespace recovery is about to remove); only a writer may recover it. */
	if (journal_pending(head, sizeof head) != 0) {
		lock_release();
		return err_set(&c->err, EXIT_BUSY, "an interrupted transaction (%s) awaits recovery; "
			       "npte-netns gc (or any create or destroy) recovers it", head);
	}
	return 0;
}

int plan_execute(struct plan *p, struct ctx *c)
{
	bool undoable = false;
	int rc = ctx_lock(c, p->exclusive, p->verb);

	if (rc)
		return rc;
	for (size_t i = 0; i < p->n; i++)
		undoable |= p->ops[i].type->undo != NULL;
	if (undoable && p->exclusive && (rc = journal_begin(p, c)) < 0) {
		rc = err_sys(&c->err, EXIT_FAIL, -rc, "write journal");
		goto out;
	}
	fault_point(0);
	rc = plan_run(p, c);
	/* Committed, or rolled back: either way nothing is left to recover. */
	journal_commit();
out:
	ctx_close(c);
	lock_release();
	return rc;
}

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
	for (size_t at = 0; w[at];) {
		/* As many bytes as fit quoted, with the backslash after them;
		 * a ' counts as the 4 of '\''. */
		size_t n = 0, cost = 2;

		if (at) {
			fputs("\\\n", f);
			*col = 0;
		}
		while (w[at + n] && *col + cost + (w[at + n] == '\'' ? 4 : 1) < RENDER_WIDTH)
			cost += w[at + n++] == '\'' ? 4 : 1;
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
void plan_render_open(FILE *f, const struct plan *p, const struct ctx *c)
{
	bool undoable = false;
	char msg[160];

	for (size_t i = 0; i < p->n; i++)
		undoable |= p->ops[i].type->render_undo != NULL;
	fprintf(f, "#!/bin/sh\n# Dry run of: %s\n", p->title);
	fprintf(f, "# Read it, then paste it into a root shell, pipe it to sudo sh, or save it and\n"
		   "# run sudo sh FILE: it does what the live command does. It runs in a subshell,\n"
		   "# so a shell it is pasted into keeps its options, umask, traps and files.\n");
	fprintf(f, "(\nset -eu\numask 022\n");
	if (undoable) {
		size_t i = p->n;

		fprintf(f, "step=0\nrollback() {\n");
		while (i-- > 0) {
			const struct op *op = &p->ops[i];

			if (!op->type->render_undo)
				continue;
			fprintf(f, "  if [ \"$step\" -ge %zu ]; then ", i + 1);
			op->type->render_undo(f, op, c);
			fprintf(f, " || true; fi\n");
		}
		fprintf(f, "  :\n}\n");
	}
	/* A function, not an inline trap string, so that shellcheck sees rc assigned. */
	fprintf(f, "finish() {\n  rc=$?\n  trap - EXIT\n  if [ \"$rc\" -ne 0 ]; then\n");
	if (undoable)
		fprintf(f, "    rollback\n");
	snprintf(msg, sizeof msg, "%s: %s: dry run failed, exit status", prog, p->verb);
	fprintf(f, "    echo ");
	sh_quote(f, msg);
	fprintf(f, " \"$rc\" >&2\n  fi\n  exit \"$rc\"\n}\ntrap finish EXIT\n");
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
	/* The live run blocks these while it holds the lock; the script ignores them. */
	fprintf(f, "trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE\n");
	for (size_t i = 0; i < p->n; i++) {
		p->ops[i].type->render(f, &p->ops[i], c);
		if (p->ops[i].type->render_undo)
			fprintf(f, "step=%zu\n", i + 1);
	}
}

void plan_render_close(FILE *f)
{
	fputs(")\n", f);
}

void plan_render(FILE *f, const struct plan *p, const struct ctx *c)
{
	plan_render_open(f, p, c);
	plan_render_close(f);
}
