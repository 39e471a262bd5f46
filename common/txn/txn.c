/* The transaction: lock, recovery, journal, ops, rollback, commit (see txn.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/fault.h"
#include "txn/journal.h"
#include "kernel/lock.h"
#include "kernel/netns.h"
#include "kernel/registry.h"
#include "txn/txn.h"

void txn_init(struct txn *c, const struct caller *who, unsigned wait_s)
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
		netlink_close(&h->nl);
	if (h->fd >= 0)
		close(h->fd);
	memset(h, 0, sizeof *h);
	h->fd = -1;
}

/* NAME's cached handle, or a slot for it: the least recently used, closed.
 * A few handles at a time: a batch of 1000 names must not run out of fds,
 * and an op holding two handles keeps both. */
static struct nshandle *handle_slot(struct txn *c, const char *name, bool *found)
{
	struct nshandle *h = &c->ns[0];

	for (int i = 0; i < CTX_NS; i++) {
		if (c->ns[i].fd >= 0 && strcmp(c->ns[i].name, name) == 0) {
			c->ns[i].used = ++c->ns_clock;
			*found = true;
			return &c->ns[i];
		}
		if (c->ns[i].used < h->used)
			h = &c->ns[i];
	}
	*found = false;
	handle_close(h);
	return h;
}

/* Open NAME into the empty slot h: its fd, and its cookie read on the netlink
 * socket when one is wanted, else on a socket closed at once. */
static int handle_open(struct txn *c, struct nshandle *h, const char *name, bool nl)
{
	int rc;

	h->fd = netns_open(name);
	if (h->fd < 0) {
		rc = h->fd;
		h->fd = -1;
		return rc;
	}
	rc = nl ? netns_nl(h->fd, &h->nl) : netns_cookie(h->fd, &h->cookie);
	if (rc < 0) {
		handle_close(h);
		return rc;
	}
	if (nl) {
		h->has_nl = true;
		h->cookie = h->nl.cookie;
	}
	h->used = ++c->ns_clock;
	snprintf(h->name, sizeof h->name, "%s", name);
	return 0;
}

int txn_ns_id(struct txn *c, const char *name, struct nshandle **out)
{
	bool found;
	struct nshandle *h = handle_slot(c, name, &found);
	int rc = found ? 0 : handle_open(c, h, name, false);

	*out = h;
	return rc;
}

int txn_ns(struct txn *c, const char *name, struct nshandle **out)
{
	bool found;
	struct nshandle *h = handle_slot(c, name, &found);
	int rc;

	*out = h;
	if (!found)
		return handle_open(c, h, name, true);
	if (h->has_nl)
		return 0;
	/* Opened for its identity only: the socket now, in the same namespace
	 * (the fd it entered by), so the cookie read before still names it. */
	rc = netns_nl(h->fd, &h->nl);
	if (rc < 0) {
		handle_close(h);
		return rc;
	}
	h->has_nl = true;
	return 0;
}

void txn_ns_adopt(struct txn *c, const char *name, int fd, const struct netlink *nl)
{
	struct nshandle *h = &c->ns[0];

	txn_forget(c, name);
	for (int i = 0; i < CTX_NS; i++)
		if (c->ns[i].used < h->used)
			h = &c->ns[i];
	handle_close(h);
	h->fd = fd;
	h->nl = *nl;
	h->cookie = nl->cookie;
	h->has_nl = true;
	h->used = ++c->ns_clock;
	snprintf(h->name, sizeof h->name, "%s", name);
}

void txn_forget(struct txn *c, const char *name)
{
	for (int i = 0; i < CTX_NS; i++)
		if (c->ns[i].fd >= 0 && strcmp(c->ns[i].name, name) == 0)
			handle_close(&c->ns[i]);
}

int txn_host(struct txn *c, struct netlink **nl)
{
	int rc;

	if (!c->has_host) {
		rc = netlink_open(&c->host);
		if (rc < 0)
			return rc;
		c->has_host = true;
	}
	*nl = &c->host;
	return 0;
}

void txn_close(struct txn *c)
{
	free(c->taken);
	c->taken = NULL;
	free(c->gone);
	c->gone = NULL;
	if (c->has_host) {
		netlink_close(&c->host);
		c->has_host = false;
	}
	for (int i = 0; i < CTX_NS; i++)
		if (c->ns[i].fd >= 0)
			handle_close(&c->ns[i]);
}

void txn_made(struct txn *c, const struct ident *id)
{
	c->made = *id;
	c->made.set = true;
	journal_made(c->cur, &c->made);
	fault_made();
}

int txn_run_ops(struct plan *p, struct txn *c)
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
		rc = op->type->apply(c, op, false);
		op->made = c->made;
		if (rc)
			break;
		fault_after(i + 1);
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

		if (!op->type->undoable || !op->made.set)
			continue;
		c->err.code = 0;
		if (op->type->apply(c, op, true) && !c->warn[0])
			snprintf(c->warn, sizeof c->warn, "rollback: %s: %s", op->type->name, c->err.msg);
		c->err = saved;
		journal_mark("undone", i);
	}
	return rc;
}

/* The journal's end after recovery: removed, or kept aside for root to read
 * the lines that were skipped (the note names them). */
static void recover_end(struct txn *c)
{
	const char *sk = journal_skipped();
	size_t len = strlen(c->note);
	int rc = journal_discard(sk != NULL);

	if (sk)
		snprintf(c->note + len, sizeof c->note - len, "; skipped journal %s; %s %s/%s%s%s", sk,
			 rc < 0 ? "could not keep it as" : "kept as", NPTE_RUN_DIR, NPTE_JOURNAL_BAD,
			 rc < 0 ? ": " : "", rc < 0 ? strerror(-rc) : "");
}

/* Undo what a dead run's journal says it made, newest first; the note says
 * so. 0, or an exit code with c->err set: then nothing was undone. */
static int recover(struct txn *c)
{
	const struct jentry *j;
	char head[256];
	size_t n;
	int undone = 0, rc = journal_read(&j, &n, head, sizeof head, op_type_find);

	if (rc == 0)
		return 0;
	/* The journal is good, only this process cannot hold it: it stays for
	 * the next writer, and this transaction changes nothing on top of it. */
	if (rc == -ENOMEM)
		return err_set(&c->err, EXIT_FAIL, "recover an interrupted transaction: %s", head);
	if (rc < 0) {
		/* moved aside, so that this run and the next go on */
		rc = journal_discard(true);
		snprintf(c->note, sizeof c->note, "unreadable journal left by a dead run (%s); %s%s", head,
			 rc < 0 ? "could not move it aside: " : "moved aside", rc < 0 ? strerror(-rc) : "");
		return 0;
	}
	for (size_t k = n; k-- > 0;) {
		struct err saved = c->err;

		if (!j[k].op.made.set || j[k].undone)
			continue;
		c->err.code = 0;
		/* Best effort: each undo acts only while the identity still matches. */
		j[k].op.type->apply(c, &j[k].op, true);
		c->err = saved;
		undone++;
	}
	txn_close(c);
	netns_sweep(); /* a placeholder the dead run had not linked yet */
	snprintf(c->note, sizeof c->note, "recovered an interrupted transaction (%s): undid %d operation%s",
		 head, undone, undone == 1 ? "" : "s");
	recover_end(c);
	return 0;
}

static int write_once(struct plan *p, struct txn *c, int (*build)(struct plan *, struct txn *, void *),
		      void *arg)
{
	bool undoable = false;
	int rc = lock_take(true, c->wait_s, c->who.uid, p->verb, &c->err);

	if (rc)
		return rc;
	/* The previous holder may have died mid-transaction: finish its rollback first. */
	if ((rc = recover(c)) != 0 || (build && (rc = build(p, c, arg)) != 0))
		goto out;
	for (size_t i = 0; i < p->n; i++)
		undoable |= p->ops[i].type->undoable;
	if (undoable && (rc = journal_begin(p, c->who.uid)) < 0) {
		rc = err_sys(&c->err, EXIT_FAIL, -rc, "write journal");
		goto out;
	}
	fault_after(0);
	rc = txn_run_ops(p, c);
	/* Committed, or rolled back: either way nothing is left to recover. */
	journal_commit();
out:
	txn_close(c);
	lock_release();
	return rc;
}

int txn_write(struct plan *p, struct txn *c, int (*build)(struct plan *, struct txn *, void *), void *arg)
{
	struct timespec nap = {0, 20 * 1000 * 1000};
	int rc;

	/* A namespace destroyed a moment ago ends a few milliseconds later (its
	 * last sockets are freed after an RCU grace period): when only such ones
	 * stood in the way, wait a little -- never with the lock held -- and try
	 * again, ten times at most. */
	for (int tries = 0;; tries++) {
		c->settle = false;
		rc = write_once(p, c, build, arg);
		if (!rc || !c->settle || tries == 10)
			return rc;
		c->err = (struct err){0};
		nanosleep(&nap, NULL);
	}
}

int txn_read(struct plan *p, struct txn *c, int (*fn)(struct txn *, void *), void *arg)
{
	char head[256];
	int rc = lock_take(false, c->wait_s, c->who.uid, p->verb, &c->err);

	if (rc)
		return rc;
	/* A reader must not act on what a dead transaction half made (enter a
	 * namespace recovery is about to remove); only a writer may recover it. */
	rc = journal_pending(head, sizeof head);
	if (rc > 0)
		rc = err_set(&c->err, EXIT_BUSY, "an interrupted transaction (%s) awaits recovery; "
			     "npte-netns gc (or any create or destroy) recovers it", head);
	else if (rc == -ENOMEM)
		rc = err_set(&c->err, EXIT_FAIL, "read the journal of an interrupted transaction: %s", head);
	else if (rc < 0)
		rc = err_set(&c->err, EXIT_BUSY, "unreadable journal (%s); npte-netns gc moves it aside", head);
	if (!rc)
		rc = txn_run_ops(p, c);
	if (!rc && fn)
		rc = fn(c, arg);
	txn_close(c);
	lock_release();
	return rc;
}

int txn_execute(struct plan *p, struct txn *c)
{
	return p->exclusive ? txn_write(p, c, NULL, NULL) : txn_read(p, c, NULL, NULL);
}
