/* Ops for named namespaces, their markers and the ownership guard. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ops/claim.h"
#include "txn/drain.h"
#include "kernel/holders.h"
#include "kernel/netns.h"
#include "ops/ops.h"
#include "kernel/registry.h"
#include "kernel/requests.h"
#include "base/escape.h"

#define MARKER_PATH NPTE_RUN_DIR "/" NPTE_MARKER_DIR "/"

static void path2(char *buf, size_t n, const char *dir, const char *name)
{
	snprintf(buf, n, "%s%s", dir, name);
}

/* --- what a destroy removes, read before any name goes ------------------ */

/*
 * A destroy's guards run before its first removal (destroy_plan, the lab's
 * down): each one notes the marker, what the qdiscs hold and the nsfs
 * identity of a namespace of the caller's, so the removal reads the marker
 * no second time and opens nothing inside (the kernel's teardown of the
 * namespaces removed first holds rtnl, which every dump then waits on).
 */
struct gone_memo {
	size_t n, cap;
	struct gone {
		char name[16];
		struct marker m;
		uint64_t kmem;
		dev_t dev;
		ino_t ino;
	} e[];
};

static struct gone *gone_find(const struct txn *c, const char *ns)
{
	for (size_t i = 0; c->gone && i < c->gone->n; i++)
		if (strcmp(c->gone->e[i].name, ns) == 0)
			return &c->gone->e[i];
	return NULL;
}

/* Note ns (its handle h) for its removal. -errno: the guard refuses. */
static int gone_note(struct txn *c, const char *ns, const struct marker *m, struct nshandle *h)
{
	struct gone *g = gone_find(c, ns);
	struct stat st;

	if (fstat(h->fd, &st) < 0)
		return -errno;
	if (!g) {
		struct gone_memo *memo = c->gone;

		if (!memo || memo->n == memo->cap) {
			size_t cap = memo ? memo->cap * 2 : 64, n = memo ? memo->n : 0;

			memo = realloc(memo, sizeof *memo + cap * sizeof memo->e[0]);
			if (!memo)
				return -ENOMEM;
			memo->n = n;
			memo->cap = cap;
			c->gone = memo;
		}
		g = &memo->e[memo->n++];
	}
	*g = (struct gone){.m = *m, .dev = st.st_dev, .ino = st.st_ino};
	snprintf(g->name, sizeof g->name, "%s", ns);
	/* Read while the name still opens it: if something holds the namespace
	 * its queues live on, charged to its owner by the draining record. */
	g->kmem = kmem_of_ns(c, ns, m->nsid);
	return 0;
}

/* --- guard ------------------------------------------------------------ */

static int guard_apply(struct txn *c, const struct op *op, bool undo)
{
	(void)undo;
	struct marker m;
	struct nshandle *h;
	int rc = owner_check(c, op->ns, &m, &h);

	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	switch (rc) {
	case OWN_ABSENT:
		/* Nothing there at all is fine where "already gone" is success (lab destroy). */
		return (op->u.guard.flags & GUARD_ABSENT_OK) && !netns_exists(op->ns) ? 0 : deny(c, op->u.guard.verb, op->ns);
	case OWN_GONE:
	case OWN_PLACEHOLDER:
		/* A marker that outlived its namespace: destroy removes it. */
		return op->u.guard.flags & GUARD_MAY_BE_GONE ? 0 : deny(c, op->u.guard.verb, op->ns);
	case OWN_MINE:
		break;
	default: /* someone else's, or a namespace swapped in under the name */
		return deny(c, op->u.guard.verb, op->ns);
	}
	if (op->u.guard.flags & GUARD_MAY_BE_GONE) {
		rc = gone_note(c, op->ns, &m, h);
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	}
	return 0;
}

static void guard_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char msg[160], owner[32], marker[64], nspath[64];

	(void)undo;
	snprintf(msg, sizeof msg, "%s: %s: %s: " DENY_TEXT, prog, op->u.guard.verb, op->ns);
	snprintf(owner, sizeof owner, "owner=%u", (unsigned)c->who.uid);
	path2(marker, sizeof marker, MARKER_PATH, op->ns);
	path2(nspath, sizeof nspath, NETNS_RUN_DIR "/", op->ns);
	if (op->u.guard.flags & GUARD_ABSENT_OK) {
		fputs("{ ", f);
		render_cmd(f, (const char *[]){"test", "!", "-e", marker, NULL});
		fputs(" && ", f);
		render_cmd(f, (const char *[]){"test", "!", "-e", nspath, NULL});
		fputs("; } || ", f);
	}
	if (c->who.admin)
		render_cmd(f, (const char *[]){"test", "-f", marker, NULL});
	else
		render_cmd(f, (const char *[]){"grep", "-qsx", owner, marker, NULL});
	if (!(op->u.guard.flags & GUARD_MAY_BE_GONE)) {
		fputs(" && ", f);
		render_cmd(f, (const char *[]){"test", "-e", nspath, NULL});
	}
	fputs(" || { echo ", f);
	sh_quote(f, msg);
	fputs(" >&2; exit 2; }\n", f);
}

const struct op_type guard_op = {
	.name = "check owner", .apply = guard_apply, .render = guard_render,
};

void plan_guard_owned(struct plan *p, const char *verb, const char *name, unsigned flags)
{
	struct op *op = plan_add(p, &guard_op);

	snprintf(op->ns, sizeof op->ns, "%s", name);
	snprintf(op->u.guard.verb, sizeof op->u.guard.verb, "%s", verb);
	op->u.guard.flags = flags;
}

/* --- quota --------------------------------------------------------------- */

static int quota_apply(struct txn *c, const struct op *op, bool undo)
{
	static char names[REGISTRY_MAX][16];
	int n = marker_list(names, REGISTRY_MAX), mine, rc;
	unsigned draining = 0;

	(void)undo;
	/* Fail closed: a registry that cannot be read counts as full. */
	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "quota: read %s/%s", NPTE_RUN_DIR, NPTE_MARKER_DIR);
	if ((size_t)n + op->u.quota.adding > REGISTRY_MAX)
		return err_set(&c->err, EXIT_USAGE, "registry full: %d namespaces + %u new would exceed "
			       "the %d npte can keep track of", n, op->u.quota.adding, REGISTRY_MAX);
	if (c->who.admin)
		return 0;
	mine = marker_list_owned(c->who.uid, names, REGISTRY_MAX);
	if (mine < 0)
		return err_sys(&c->err, EXIT_FAIL, -mine, "quota: read marker%s%s", names[0][0] ? " " : "s",
			       names[0]);
	/* Destroyed namespaces something still holds count until they end (one
	 * that nothing holds is ending already, and counts no more). */
	rc = drain_count(c, c->who.uid, false, &draining);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "quota: read %s/%s", NPTE_RUN_DIR, NPTE_DRAIN_DIR);
	if ((unsigned)mine + draining + op->u.quota.adding > op->u.quota.max) {
		/* Only namespaces that may be ending stand in the way: txn_write retries. */
		c->settle = draining && (unsigned)mine + op->u.quota.adding <= op->u.quota.max;
		return err_set(&c->err, EXIT_USAGE, "quota: %d namespaces of yours%s + %u new would exceed "
			       "max_namespaces = %u (%s)", mine + (int)draining,
			       draining ? " (destroyed ones still held by a process count until they end)" : "",
			       op->u.quota.adding, op->u.quota.max, "/etc/npte/npte.conf");
	}
	return 0;
}

static void quota_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char msg[160];

	(void)undo;
	if (c->who.admin)
		return;
	snprintf(msg, sizeof msg, "%s: %s: quota: max_namespaces = %u would be exceeded", prog, op->u.quota.verb,
		 op->u.quota.max);
	if (op->u.quota.adding > op->u.quota.max)
		fputs("false", f); /* more new names than the quota: refused whatever exists */
	else
		fprintf(f, "[ \"$(grep -lsx owner=%u %s* | wc -l)\" -le %u ]", (unsigned)c->who.uid,
			MARKER_PATH, op->u.quota.max - op->u.quota.adding);
	fputs(" || { echo ", f);
	sh_quote(f, msg);
	fputs(" >&2; exit 2; }\n", f);
}

const struct op_type quota_op = {
	.name = "check quota", .apply = quota_apply, .render = quota_render,
};

void plan_guard_quota(struct plan *p, const char *verb, unsigned adding, unsigned max)
{
	struct op *op = plan_add(p, &quota_op);

	snprintf(op->u.quota.verb, sizeof op->u.quota.verb, "%s", verb);
	op->u.quota.adding = adding;
	op->u.quota.max = max;
}

/* --- netns add / del ---------------------------------------------------- */

/* The placeholder, then the namespace with its id: each recorded as soon as
 * it exists. The id is given right after unshare, before the namespace has
 * a name; whoever holds it (by its name, or by /proc/PID/net of this very
 * process while it is inside), it is charged to its owner by that id. */
static int add_made(void *arg, const struct nsid *id)
{
	struct txn *c = arg;
	struct ident made = {.cookie = id->cookie, .dev = id->dev, .ino = id->ino,
			     .owner = (uint32_t)c->who.uid};
	int rc;

	if (id->nsfd >= 0) {
		rc = nsid_assign(c, id->nsfd, &made.nsid);
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "give the namespace an id");
	}
	txn_made(c, &made);
	return 0;
}

/* The namespace whose name this run removed last, by its nsfs identity:
 * what a walk of /proc compares with, should something still hold it. */
static struct {
	char name[16];
	dev_t dev;
	ino_t ino;
} unnamed_id;

/* Destroyed namespaces still held when their marker went (at most HELD_MAX
 * are told of; the rest are still listed by list and gc). */
#define HELD_MAX 4096
static struct held {
	char name[16];
	int32_t nsid;
	dev_t dev;
	ino_t ino;
} held[HELD_MAX];
static int nheld;

static void remember_id(struct txn *c, const char *ns)
{
	struct nshandle *h;
	struct stat st;

	memset(&unnamed_id, 0, sizeof unnamed_id);
	if (txn_ns_id(c, ns, &h) == 0 && fstat(h->fd, &st) == 0) {
		snprintf(unnamed_id.name, sizeof unnamed_id.name, "%s", ns);
		unnamed_id.dev = st.st_dev;
		unnamed_id.ino = st.st_ino;
	}
}

static int del_name(struct txn *c, const struct op *op)
{
	/* Read while the name still opens it (gone_note says why), unless its
	 * guard read it already. */
	if (!gone_find(c, op->ns)) {
		snprintf(c->unnamed, sizeof c->unnamed, "%s", op->ns);
		c->unnamed_kmem = kmem_of_ns(c, op->ns, -1);
		remember_id(c, op->ns);
	}
	txn_forget(c, op->ns);
	return netns_del(op->ns, &c->err);
}

/* What del_name found in ns's qdiscs (0 when this run did not remove its name). */
static uint64_t unnamed_kmem(const struct txn *c, const char *ns)
{
	return strcmp(c->unnamed, ns) == 0 ? c->unnamed_kmem : 0;
}

/* Destroy: the name goes; a namespace something still holds stays charged. */
static int del_apply(struct txn *c, const struct op *op, bool undo)
{
	(void)undo;
	return del_name(c, op);
}

/* Undo a netns add: remove the placeholder or the namespace this run made,
 * and nothing else that may have the name now. */
static int add_remove(struct txn *c, const struct op *op)
{
	char path[64];
	struct nshandle *h;
	struct stat st;
	int rc = txn_ns_id(c, op->ns, &h);

	if (rc == -ENOENT)
		return 0;
	if (rc == -ENOTNS) {
		path2(path, sizeof path, NETNS_RUN_DIR "/", op->ns);
		if (lstat(path, &st) < 0)
			return errno == ENOENT ? 0 : err_sys(&c->err, EXIT_FAIL, errno, "%s", op->ns);
		if (st.st_dev != op->made.dev || st.st_ino != op->made.ino)
			return err_set(&c->err, EXIT_FAIL, "%s: not the placeholder this run made; left alone",
				       op->ns);
		return unlink(path) < 0 && errno != ENOENT ? err_sys(&c->err, EXIT_FAIL, errno, "%s", op->ns) : 0;
	}
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	/* No cookie recorded: this run never made a namespace under the name
	 * (it was taken), so there is nothing of its own to undo or report. */
	if (!op->made.cookie)
		return 0;
	if (h->cookie != op->made.cookie)
		return err_set(&c->err, EXIT_FAIL, "%s: not the namespace this run made; left alone", op->ns);
	return del_name(c, op);
}

/*
 * A name already in /run/netns, said in one line: to its owner that it is
 * theirs, to anyone else only that it is taken (which /run/netns, readable
 * by all, shows anyway; whose it is stays unsaid). What to do about it is
 * the verb's to say (txn.h: the lab's user is told of --prefix).
 */
static int name_taken(struct txn *c, const char *ns)
{
	return err_set(&c->err, EXIT_FAIL, "%s: File exists: the name is taken; %s", ns,
		       c->fix_taken ? c->fix_taken : "choose another name");
}

static int taken(struct txn *c, const char *ns)
{
	struct marker m;
	struct nshandle *h;
	int rc = owner_check(c, ns, &m, &h);

	txn_forget(c, ns);
	if (rc == OWN_MINE)
		return err_set(&c->err, EXIT_FAIL, "%s: File exists: %s", ns,
			       c->fix_mine ? c->fix_mine
					   : "the namespace already exists and is yours (npte-netns destroy removes it)");
	return name_taken(c, ns);
}

/* Make the namespace; or undo that (add_remove). */
static int add_apply(struct txn *c, const struct op *op, bool undo)
{
	int rc;

	if (!undo) {
		struct netlink *host;

		/* Taken before anything is made: nothing to roll back, one line. */
		if (netns_exists(op->ns))
			return taken(c, op->ns);

		/* Opened here, in the host: add_made runs inside the new namespace. */
		rc = txn_host(c, &host);
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "netlink socket");
		struct netlink nl;
		int fd;

		rc = netns_add(op->ns, &c->err, add_made, c, &fd, &nl);
		if (rc == 0)
			txn_ns_adopt(c, op->ns, fd, &nl);
		return rc;
	}
	rc = add_remove(c, op);
	/*
	 * Whatever became of its name, the namespace may live on: anyone can
	 * hold it, even before it had a name (/proc/PID/net of this very
	 * process is open to all). By its id it stays charged until it ends.
	 */
	if (op->made.nsid >= NSID_BASE) {
		int charged = drain_charge(c, op->ns, op->made.nsid, op->made.owner, unnamed_kmem(c, op->ns));

		if (charged < 0 && !rc)
			rc = err_sys(&c->err, EXIT_FAIL, -charged, "%s: record it as draining", op->ns);
	}
	return rc;
}

static void del_cmd(FILE *f, const struct op *op)
{
	render_cmd(f, (const char *[]){"ip", "netns", "del", op->ns, NULL});
}

static void add_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	if (undo)
		del_cmd(f, op);
	else
		render_words(f, (const char *[]){"ip", "netns", "add", op->ns, NULL});
}

static void del_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char nspath[64];

	(void)c, (void)undo;
	/* Like the live run, a namespace already gone is not an error. */
	path2(nspath, sizeof nspath, NETNS_RUN_DIR "/", op->ns);
	render_cmd(f, (const char *[]){"test", "!", "-e", nspath, NULL});
	fputs(" || ", f);
	del_cmd(f, op);
	fputc('\n', f);
}

/* Nothing but the name (the journal keeps it for every op). */
static int no_args_save(const struct op *op, char *buf, size_t n)
{
	(void)op;
	return snprintf(buf, n, "-") < 0 ? -EINVAL : 0;
}

static int no_args_load(struct op *op, const char *s)
{
	(void)op;
	return strcmp(s, "-") == 0 ? 0 : -EINVAL;
}

const struct op_type netns_add_op = {
	.name = "netns add", .apply = add_apply, .render = add_render, .undoable = true,
	.save = no_args_save, .load = no_args_load,
};

const struct op_type netns_del_op = {
	.name = "netns del", .apply = del_apply, .render = del_render,
};

/* --- the caller's processes in a namespace (destroy --kill) --------------- */

/* destroy --kill's namespaces, each pinned by a descriptor taken under the
 * lock (so its inode names it alone, its name gone or not), whose caller's
 * processes end after the unlock: ending them waits (2 s after SIGTERM, 1 s
 * after SIGKILL, 6 s if the caller stops the child that is them), and a wait
 * under the lock would stall every other user's verb that long a namespace. */
static struct {
	struct holders_walk w;
	int fd[HOLDERS_NS_MAX];
} doomed;

static void doomed_end(struct txn *c)
{
	(void)holders_kill(&c->who, &doomed.w);
	for (int i = 0; i < doomed.w.n; i++)
		close(doomed.fd[i]);
	doomed.w.n = 0;
}

/* Under the lock, after the guard: the namespace pinned for doomed_end. A
 * failed walk later is not a failed destroy: the report after it says what
 * still holds the namespace. */
static int kill_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	struct stat st;
	int rc, fd;

	(void)undo;
	if (c->who.uid == 0)
		return 0; /* root's processes are never ended */
	rc = txn_ns_id(c, op->ns, &h);
	if (rc == -ENOENT || rc == -ENOTNS)
		return 0; /* no namespace there to hold */
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	if (fstat(h->fd, &st) < 0)
		return err_sys(&c->err, EXIT_FAIL, errno, "%s", op->ns);
	for (int i = 0; i < doomed.w.n; i++)
		if (doomed.w.ns[i].dev == st.st_dev && doomed.w.ns[i].ino == st.st_ino)
			return 0; /* pinned already (a retried transaction) */
	/* Only a quota above HOLDERS_NS_MAX gets here: that batch ends now. */
	if (doomed.w.n == HOLDERS_NS_MAX)
		doomed_end(c);
	fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return err_sys(&c->err, EXIT_FAIL, errno, "%s: keep it for --kill", op->ns);
	doomed.fd[doomed.w.n] = fd;
	doomed.w.ns[doomed.w.n].dev = st.st_dev;
	doomed.w.ns[doomed.w.n++].ino = st.st_ino;
	return 0;
}

static void kill_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)undo;
	if (c->who.uid == 0) {
		fprintf(f, "# --kill: root's processes in %s are never ended\n", op->ns);
		return;
	}
	/* ip's pids, filtered by the owner of /proc/PID: as near as a shell gets
	 * to the live run's check of all four uids through a pidfd */
	fprintf(f, "# --kill: the processes of uid %u in %s end first (SIGTERM, up to 2 s, then SIGKILL)\n",
		(unsigned)c->who.uid, op->ns);
	fprintf(f, "for s in TERM KILL; do ip netns pids %s 2>/dev/null | while read -r p; do "
		"if [ \"$(stat -c %%u \"/proc/$p\" 2>/dev/null)\" = %u ]; then kill -s \"$s\" \"$p\" 2>/dev/null || :; fi; "
		"done; [ \"$s\" = KILL ] || [ -z \"$(ip netns pids %s 2>/dev/null)\" ] || sleep 2; done\n",
		op->ns, (unsigned)c->who.uid, op->ns);
}

const struct op_type netns_kill_op = {
	.name = "kill holders", .apply = kill_apply, .render = kill_render,
};

void plan_netns_kill(struct plan *p, const char *name)
{
	op_ns(p, &netns_kill_op, name);
}

/* Until the namespaces of held[] end (their id goes), budget_ms at most: the
 * last sockets of a namespace nothing holds are freed a few ms after its name.
 * The naps double from 1 ms up to 20 ms: the kernel's cleanup usually ends in
 * a few ms, and a fixed 20 ms first nap cost every destroy 20 ms for nothing. */
static void held_settle(struct txn *c, int budget_ms)
{
	struct netlink *host;
	long nap_us = 1000, spent_us = 0;

	if (!nheld || txn_host(c, &host) < 0)
		return; /* nothing held: no socket to open for it */
	for (bool first = true; nheld && (first || spent_us < budget_ms * 1000L); first = false) {
		int k = 0;

		if (!first) {
			struct timespec nap = {0, nap_us * 1000};

			nanosleep(&nap, NULL);
			spent_us += nap_us;
			nap_us = nap_us * 2 > 20000 ? 20000 : nap_us * 2;
		}
		for (int i = 0; i < nheld; i++)
			if (req_nsid_exists(host, held[i].nsid) != 0) /* alive, or cannot tell */
				held[k++] = held[i];
		nheld = k;
	}
}

/* One line: the caller's processes that hold k's namespace. */
static void say_pids(const struct held *k, const struct holders *h, bool capped)
{
	char list[400], cap[64] = "";
	size_t len = 0;

	list[0] = '\0';
	for (int i = 0; i < h->n && i < HOLDERS_SHOWN && len < sizeof list; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%d (%s)", i ? ", " : "", (int)h->pid[i],
					disp(h->comm[i]));
	if (h->n > HOLDERS_SHOWN && len < sizeof list)
		snprintf(list + len, sizeof list - len, " and %d more", h->n - HOLDERS_SHOWN);
	if (capped)
		snprintf(cap, sizeof cap, " (the first %d processes looked at)", HOLDERS_WALK_MAX);
	warn_msg("destroy: %s: still held by your process%s %s%s; it lives on, charged to its owner, until "
		 "%s (kill %s, or destroy --kill next time)", k->name, h->n > 1 ? "es" : "", list, cap,
		 h->n > 1 ? "they end" : "it ends", h->n > 1 ? "them" : "it");
}

/* The held[] the caller has processes in are told of now; the others are
 * kept for held_settle. */
static void held_walk(struct txn *c, int from, int to, int *keep)
{
	static struct holders_walk w;

	memset(&w, 0, sizeof w);
	for (int i = from; i < to; i++) {
		w.ns[w.n].dev = held[i].dev;
		w.ns[w.n++].ino = held[i].ino;
	}
	(void)holders_find(&c->who, &w);
	for (int i = from; i < to; i++) {
		if (w.ns[i - from].n > 0)
			say_pids(&held[i], &w.ns[i - from], w.capped);
		else
			held[(*keep)++] = held[i];
	}
}

int plan_destroy_report(struct txn *c, void *arg)
{
	int keep = 0, n = nheld;

	(void)arg;
	doomed_end(c); /* --kill: the lock is gone, the namespaces pinned */
	/* Most end within 100 ms: no walk for those. */
	held_settle(c, 80);
	n = nheld;
	for (int i = 0; i < n; i += HOLDERS_NS_MAX)
		held_walk(c, i, i + HOLDERS_NS_MAX < n ? i + HOLDERS_NS_MAX : n, &keep);
	nheld = keep;
	held_settle(c, 980);
	for (int i = 0; i < nheld; i++)
		warn_msg("destroy: %s: still held by something (an open file, a mount, a process not wholly "
			 "yours); it lives on, charged to its owner, until that ends", held[i].name);
	nheld = 0;
	txn_close(c);
	return EXIT_OK;
}

/* --- link up ------------------------------------------------------------- */

static int up_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	char ext[256];
	int rc;

	(void)undo;
	rc = txn_ns(c, op->ns, &h);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	rc = req_bring_up_name(&h->nl, op->u.link.ifname, ext, sizeof ext);
	if (rc == -ENODEV) /* said as the index lookup said it */
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s", op->ns, op->u.link.ifname);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s up%s%s", op->ns, op->u.link.ifname,
			       ext[0] ? ": " : "", ext);
	return 0;
}

static void up_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c, (void)undo;
	render_words(f, (const char *[]){"ip", "-n", op->ns, "link", "set", op->u.link.ifname, "up", NULL});
}

const struct op_type link_up_op = {
	.name = "link up", .apply = up_apply, .render = up_render,
};

/* --- sysctl inside a namespace -------------------------------------------- */

static int sysctl_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	char path[64];
	int rc;

	(void)undo;
	rc = txn_ns_id(c, op->ns, &h);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	snprintf(path, sizeof path, "%s", op->u.sysctl.key);
	for (char *s = path; *s; s++)
		if (*s == '.')
			*s = '/';
	rc = netns_sysctl(h->fd, path, op->u.sysctl.val);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: sysctl %s", op->ns, op->u.sysctl.key);
	return 0;
}

static void sysctl_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char kv[160];

	(void)c, (void)undo;
	snprintf(kv, sizeof kv, "%s=%s", op->u.sysctl.key, op->u.sysctl.val);
	render_words(f, (const char *[]){"ip", "netns", "exec", op->ns, "sysctl", "-q", "-w", kv, NULL});
}

const struct op_type sysctl_op = {
	.name = "sysctl", .apply = sysctl_apply, .render = sysctl_render,
};

/* --- markers -------------------------------------------------------------- */

static int mark_do(struct txn *c, const struct op *op)
{
	struct marker m = {.owner = c->who.uid};
	struct ident made = {.owner = (uint32_t)c->who.uid};
	struct nshandle *h;
	struct err why = {0};
	int rc;

	/* The marker names the namespace by cookie; without one it proves nothing. */
	rc = txn_ns_id(c, op->ns, &h);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: read the namespace's identity", op->ns);
	m.cookie = made.cookie = h->cookie;
	/* The id netns add gave it in the host's table, by which a destroy can
	 * tell when the namespace has really ended (drain.h). */
	rc = nsid_get(c, h->fd, &m.nsid);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: read its namespace id", op->ns);
	/* Its content is known before it is written, and holds a cookie no other
	 * namespace ever had: a marker with it can only be this run's. */
	txn_made(c, &made);
	rc = marker_write(op->ns, &m);
	if (rc == -EEXIST && marker_odd(op->ns, &why))
		return err_set(&c->err, EXIT_FAIL, "%s: %s/%s/%s %s; refusing to use it", op->ns, NPTE_RUN_DIR,
			       NPTE_MARKER_DIR, op->ns, why.msg);
	if (rc == -EEXIST) {
		struct marker old;

		/* Nothing was written: the rollback has nothing of this run's to undo or report. */
		memset(&c->made, 0, sizeof c->made);
		/* A marker whose namespace went behind npte's back lives in root's
		 * /run/npte only: its owner learns where it comes from, anyone else
		 * what any taken name says. */
		if (marker_read(op->ns, &old) == 0 && old.owner == c->who.uid)
			return err_set(&c->err, EXIT_FAIL, "%s: a marker already exists "
				       "(left by an earlier run; npte-netns destroy %s removes it)", op->ns, op->ns);
		return name_taken(c, op->ns);
	}
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: write marker", op->ns);
	return 0;
}

/* The marker goes (destroy, gc, rollback); a namespace that lives on after
 * its name (something holds it) stays charged to its owner. */
static int unmark_apply(struct txn *c, const struct op *op, bool undo)
{
	struct gone *g = gone_find(c, op->ns);
	struct marker m;
	int rc = g ? (m = g->m, 0) : marker_read(op->ns, &m);

	(void)undo;
	if (rc == 0 && m.nsid >= NSID_BASE) {
		rc = drain_charge(c, op->ns, m.nsid, m.owner, g ? g->kmem : unnamed_kmem(c, op->ns));
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s: record it as draining", op->ns);
		/* Alive after its name went: destroy says what holds it (netns_held_report). */
		if (rc == 1 && nheld < HELD_MAX && (g || strcmp(unnamed_id.name, op->ns) == 0)) {
			struct held *k = &held[nheld++];

			*k = (struct held){.nsid = m.nsid, .dev = g ? g->dev : unnamed_id.dev,
					   .ino = g ? g->ino : unnamed_id.ino};
			snprintf(k->name, sizeof k->name, "%s", op->ns);
		}
	}
	rc = marker_remove(op->ns);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: remove marker", op->ns);
	if (g) /* a namespace made under the name later is another */
		g->name[0] = '\0';
	return 0;
}

/* Write the marker; or undo that: only the marker with this run's owner and cookie. */
static int mark_apply(struct txn *c, const struct op *op, bool undo)
{
	struct marker m;
	int rc;

	if (!undo)
		return mark_do(c, op);
	rc = marker_read(op->ns, &m);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0 && rc != -EINVAL)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: read marker", op->ns);
	if (rc == -EINVAL || m.owner != op->made.owner || !m.cookie || m.cookie != op->made.cookie)
		return err_set(&c->err, EXIT_FAIL, "%s: not the marker this run wrote; left alone", op->ns);
	return unmark_apply(c, op, false);
}

static void unmark_cmd(FILE *f, const struct op *op)
{
	char marker[64];

	path2(marker, sizeof marker, MARKER_PATH, op->ns);
	render_cmd(f, (const char *[]){"rm", "-f", marker, NULL});
}

static void mark_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char owner[32], marker[64];

	if (undo) {
		unmark_cmd(f, op);
		return;
	}
	snprintf(owner, sizeof owner, "%u", (unsigned)c->who.uid);
	path2(marker, sizeof marker, MARKER_PATH, op->ns);
	/* 0600 like the live marker; set -C makes the write fail if one exists. */
	fputs("(umask 077 && set -C && ", f);
	render_cmd(f, (const char *[]){"printf", "owner=%s\\n", owner, NULL});
	fputs(" >", f);
	sh_quote(f, marker);
	fputs(")\n", f);
}

static void unmark_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c, (void)undo;
	unmark_cmd(f, op);
	fputc('\n', f);
}

const struct op_type marker_write_op = {
	.name = "marker write", .apply = mark_apply, .render = mark_render, .undoable = true,
	.save = no_args_save, .load = no_args_load,
};

const struct op_type marker_remove_op = {
	.name = "marker remove", .apply = unmark_apply, .render = unmark_render,
};

/* --- builders ------------------------------------------------------------- */

struct op *op_ns(struct plan *p, const struct op_type *t, const char *name)
{
	struct op *op = plan_add(p, t);

	snprintf(op->ns, sizeof op->ns, "%s", name);
	return op;
}

void plan_link_up(struct plan *p, const char *ns, const char *ifname)
{
	struct op *op = op_ns(p, &link_up_op, ns);

	snprintf(op->u.link.ifname, sizeof op->u.link.ifname, "%s", ifname);
}

static void plan_sysctl(struct plan *p, const char *ns, const char *key, const char *val)
{
	struct op *op = op_ns(p, &sysctl_op, ns);

	snprintf(op->u.sysctl.key, sizeof op->u.sysctl.key, "%s", key);
	snprintf(op->u.sysctl.val, sizeof op->u.sysctl.val, "%s", val);
}

void plan_netns_forward(struct plan *p, const char *name)
{
	plan_sysctl(p, name, "net.ipv4.ip_forward", "1");
	plan_sysctl(p, name, "net.ipv6.conf.all.forwarding", "1");
}

void plan_netns_create(struct plan *p, const char *name)
{
	op_ns(p, &netns_add_op, name);
	plan_link_up(p, name, "lo");
	/* No sysctl here: with a thousand namespaces, opening one /proc/sys file
	 * in a new namespace takes 250-300 us (the path's dentries of every
	 * namespace share hash chains), as long as the whole rest of a create.
	 * DAD is skipped per veth end (plan_veth_add), ICMP echo sockets are
	 * allowed where npte-run runs a program (plan_netns_ping). */
	op_ns(p, &marker_write_op, name);
}

void plan_netns_ping(struct plan *p, const char *name)
{
	/* ping as the caller, with no capability: an ICMP echo (datagram) socket,
	 * IPv4 and IPv6 alike, for every gid, as systemd sets the host's. The
	 * kernel's default for a new namespace, "1 0", refuses them all; npte-run
	 * execs ping on nosuid mounts, so its file capability does not apply. */
	plan_sysctl(p, name, "net.ipv4.ping_group_range", "0 2147483647");
}

void plan_veth_nodad(struct plan *p, const char *ns, const char *ifname)
{
	char key[48];

	/* Before the link is up: its link-local address then skips DAD too. On
	 * a pair npte made there is nothing to collide with, and while the
	 * link-local is tentative a router sends no neighbour solicitation for
	 * what it forwards, so IPv6 stalls for the ~2 s DAD takes. Per
	 * interface, so that a rollback takes it away with the link. */
	snprintf(key, sizeof key, "net.ipv6.conf.%s.accept_dad", ifname);
	plan_sysctl(p, ns, key, "0");
}

void plan_marker_remove(struct plan *p, const char *name)
{
	op_ns(p, &marker_remove_op, name);
}

void plan_netns_destroy(struct plan *p, const char *name)
{
	op_ns(p, &netns_del_op, name);
	op_ns(p, &marker_remove_op, name);
	plan_claim_sweep(p, name); /* a live player's goes with it: it sees the end */
}
