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

void render_words(FILE *f, const char *const *words)
{
	render_cmd(f, words);
	fputc('\n', f);
}

void plan_render(FILE *f, const struct plan *p, const struct ctx *c)
{
	bool undoable = false;
	char busy[128];

	for (size_t i = 0; i < p->n; i++)
		undoable |= p->ops[i].type->render_undo != NULL;
	fprintf(f, "#!/bin/sh\n# Dry run of: %s\n", p->title);
	fprintf(f, "# Run it in a root shell (sudo sh) to do what the live command does.\n");
	fprintf(f, "set -eu\numask 022\n");
	fprintf(f, "install -d -m 0700 %s %s/%s\n", NPTE_RUN_DIR, NPTE_RUN_DIR, "netns");
	fprintf(f, "exec 9>>%s/lock\n", NPTE_RUN_DIR);
	snprintf(busy, sizeof busy, "%s: %s: lock busy after %us; retry later", prog, p->verb, c->wait_s);
	fprintf(f, "flock%s -E 75 -w %u 9 || { echo ", p->exclusive ? "" : " -s", c->wait_s);
	sh_quote(f, busy);
	fprintf(f, " >&2; exit 75; }\n");
	/* The live run blocks these while it holds the lock; the script ignores them. */
	fprintf(f, "trap '' HUP INT QUIT TERM TSTP TTIN TTOU PIPE\n");
	if (undoable) {
		size_t i = p->n;

		fprintf(f, "step=0\nrollback() {\n");
		while (i-- > 0) {
			const struct op *op = &p->ops[i];

			if (!op->type->render_undo)
				continue;
			fprintf(f, "\tif [ \"$step\" -ge %zu ]; then ", i + 1);
			op->type->render_undo(f, op, c);
			fprintf(f, " || true; fi\n");
		}
		fprintf(f, "\t:\n}\n");
		/* A function, not an inline trap string, so that shellcheck sees rc assigned. */
		fprintf(f, "finish() {\n\trc=$?\n\ttrap - EXIT\n"
			   "\tif [ \"$rc\" -ne 0 ]; then rollback; fi\n\texit \"$rc\"\n}\n"
			   "trap finish EXIT\n");
	}
	for (size_t i = 0; i < p->n; i++) {
		p->ops[i].type->render(f, &p->ops[i], c);
		if (p->ops[i].type->render_undo)
			fprintf(f, "step=%zu\n", i + 1);
	}
	if (undoable)
		fprintf(f, "trap - EXIT\n");
}
