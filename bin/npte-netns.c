/*
 * npte-netns: create, destroy, list and show named network namespaces that
 * npte manages for the calling user. parse -> validate -> plan -> run/print.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include "base/args.h"
#include "ops/claim.h"
#include "cli/cli.h"
#include "kernel/config.h"
#include "txn/drain.h"
#include "base/err.h"
#include "txn/journal.h"
#include "kernel/lock.h"
#include "kernel/netns.h"
#include "ops/ops.h"
#include "base/optspecs.h"
#include "txn/plan.h"
#include "priv/priv.h"
#include "kernel/registry.h"
#include "base/escape.h"
#include "kernel/show.h"
#include "base/validate.h"

#define USAGE \
	"usage: npte-netns create [-n] [--wait S] [--forward] NAME...\n" \
	"       npte-netns destroy [-n] [--wait S] [--kill] [--missing-ok] NAME...\n" \
	"       npte-netns destroy [-n] [--wait S] [--kill] --all | --prefix P\n" \
	"       npte-netns list [--json]\n" \
	"       npte-netns show [--json] NAME\n" \
	"       npte-netns gc [-n] [--wait S]\n" \
	"       npte-netns -h | --help | --version\n"

/*
 * Capabilities kept, and why. Everything else goes, bounding and ambient
 * sets included, before argv is parsed.
 */
static const int caps_all[] = {
	CAP_SYS_ADMIN, /* mount(2) for /run/netns, unshare(CLONE_NEWNET), setns(2) */
	CAP_NET_ADMIN, /* RTM_NEWLINK to bring lo up inside a new namespace */
	CAP_SETUID,    /* destroy: a child that is the caller finds (and --kill ends) the caller's */
	CAP_SETGID,    /* processes in the namespace (setresuid; setresgid, setgroups) */
	CAP_KILL,      /* and ends that child at its deadline: it is the caller's, she may stop it,
			* and a root without CAP_KILL cannot signal her processes (reap would wait) */
	-1,
};
/* create, destroy, gc: NET_ADMIN also lets the lock holder undo the links,
 * addresses, routes and qdiscs a dead transaction left (journal recovery). */
static const int caps_create[] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, -1};
static const int caps_destroy[] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID, CAP_KILL, -1};
/* show, list: setns, to read inside and to tell the namespace by its cookie */
static const int caps_setns[] = {CAP_SYS_ADMIN, -1};

/* One or more names, each valid, none twice. */
static void check_names(const char *verb, struct opts *o, int max)
{
	cli_npos(verb, o, 1, max);
	for (int i = 0; i < o->npos; i++) {
		cli_netns(verb, o->pos[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(o->pos[i], o->pos[j]) == 0)
				die(EXIT_USAGE, "%s: namespace name '%s' given twice", verb, o->pos[i]);
	}
}

static int cmd_create(struct cli *cl, struct opts *o)
{
	struct config cfg;
	struct err e = {0};

	check_names("create", o, ARGS_POS_MAX);
	caps_keep(caps_create);
	if (config_load(&cfg, &e))
		die(e.code, "create: %s", e.msg);
	plan_guard_quota(cl->plan, "create", (unsigned)o->npos, cfg.max_namespaces);
	for (int i = 0; i < o->npos; i++) {
		plan_netns_create(cl->plan, o->pos[i]);
		if (o->set[O_FORWARD])
			plan_netns_forward(cl->plan, o->pos[i]);
	}
	return cli_run(cl, "create", o);
}

/* The names of destroy --all (prefix "") or --prefix P: the caller's own,
 * by marker owner, read under the lock (cli.build). */
struct mine {
	const char *prefix;
	unsigned guard;
	bool kill;
};

/* One name's guard and removal; every guard of a plan comes before any removal. */
static void destroy_plan(struct plan *p, char (*names)[16], int n, unsigned guard, bool kill)
{
	for (int i = 0; i < n; i++)
		plan_guard_owned(p, "destroy", names[i], guard);
	for (int i = 0; i < n; i++) {
		if (kill)
			plan_netns_kill(p, names[i]);
		plan_netns_destroy(p, names[i]);
	}
}

/* Each marker is asked whose it is (owner.h), as every verb asks: another
 * user's never comes in, and one over a namespace swapped in under its name
 * is left to gc, which removes the marker and never the namespace. */
static int destroy_mine(struct plan *p, struct txn *c, void *arg)
{
	static char names[REGISTRY_MAX][16];
	const struct mine *a = arg;
	size_t plen = strlen(a->prefix);
	int n = marker_list(names, REGISTRY_MAX), k = 0;

	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "read %s/%s", NPTE_RUN_DIR, NPTE_MARKER_DIR);
	for (int i = 0; i < n; i++) {
		struct marker m;
		struct nshandle *h;
		int rc;

		if (strncmp(names[i], a->prefix, plen) != 0)
			continue;
		rc = owner_check(c, names[i], &m, &h);
		txn_forget(c, names[i]);
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s", names[i]);
		if (rc == OWN_ABSENT || rc == OWN_FOREIGN || rc == OWN_SWAPPED || m.owner != c->who.uid)
			continue;
		memmove(names[k++], names[i], sizeof names[i]);
	}
	destroy_plan(p, names, k, a->guard, a->kill);
	return plan_gateway_gone(p, c, names, k);
}

/* Named: only the gateways of the names, found under the lock. */
struct named {
	char (*names)[16];
	int n;
};

static int destroy_named(struct plan *p, struct txn *c, void *arg)
{
	const struct named *a = arg;

	return plan_gateway_gone(p, c, a->names, a->n);
}

static int cmd_destroy(struct cli *cl, struct opts *o)
{
	static char names[ARGS_POS_MAX][16];
	static struct mine mine;
	bool some = o->set[O_ALL] || o->set[O_PREFIX];

	if (o->set[O_ALL] && o->set[O_PREFIX])
		die(EXIT_USAGE, "destroy: --all and --prefix: give one of them");
	if (some && o->npos)
		die(EXIT_USAGE, "destroy: %s takes no names: '%s'", o->set[O_ALL] ? "--all" : "--prefix",
		    disp(o->pos[0]));
	if (!some)
		check_names("destroy", o, ARGS_POS_MAX);
	else if (o->set[O_PREFIX])
		cli_netns("destroy", o->val[O_PREFIX]); /* the prefix obeys the name rule itself */
	caps_keep(caps_destroy);
	/* A marker may outlive its namespace; with --missing-ok nothing at all
	 * under the name is fine too (someone else's is still refused). */
	mine = (struct mine){.prefix = o->set[O_PREFIX] ? o->val[O_PREFIX] : "", .kill = o->set[O_KILL],
			     .guard = GUARD_MAY_BE_GONE | (o->set[O_MISSING_OK] ? GUARD_ABSENT_OK : 0)};
	if (some) {
		cl->build = destroy_mine;
		cl->build_arg = &mine;
	} else {
		static struct named named;

		for (int i = 0; i < o->npos; i++)
			snprintf(names[i], sizeof names[i], "%s", o->pos[i]);
		destroy_plan(cl->plan, names, o->npos, mine.guard, mine.kill);
		/* a gateway goes with its namespace (npte-gateway.8) */
		named = (struct named){.names = names, .n = o->npos};
		cl->build = destroy_named;
		cl->build_arg = &named;
	}
	return cli_run_then(cl, "destroy", o, NULL, plan_destroy_report, NULL);
}

struct list_args {
	bool json;
	int shown;
};

/* The names in the registry the caller may see, with their state. */
static int list_markers(struct txn *c, struct list_args *a)
{
	static char names[REGISTRY_MAX][16];
	int n = marker_list(names, REGISTRY_MAX);

	if (n < 0)
		return err_set(&c->err, EXIT_FAIL, "%s", strerror(-n));
	if (a->json)
		fputc('[', stdout);
	for (int i = 0; i < n; i++) {
		struct marker m;
		struct nshandle *h;
		int rc = owner_check(c, names[i], &m, &h);

		if (rc < 0)
			return err_set(&c->err, EXIT_FAIL, "%s: %s", names[i], strerror(-rc));
		if (rc == OWN_ABSENT || rc == OWN_FOREIGN)
			continue;
		/* Present means the namespace npte made, not whatever has the name now. */
		bool present = rc == OWN_MINE;

		txn_forget(c, names[i]);
		if (a->json)
			printf("%s{\"name\":\"%s\",\"owner\":%u,\"present\":%s}", a->shown ? "," : "",
			       names[i], (unsigned)m.owner, present ? "true" : "false");
		else if (c->who.admin)
			printf("%s %u\n", names[i], (unsigned)m.owner);
		else
			printf("%s\n", names[i]);
		a->shown++;
	}
	return 0;
}

/* Destroyed but still held: no name, still charged to its owner. */
static int list_draining(struct txn *c, struct list_args *a)
{
	static struct drain drains[REGISTRY_MAX];
	int n = drain_live(c, drains, REGISTRY_MAX);

	if (n < 0)
		return err_set(&c->err, EXIT_FAIL, "%s/%s: %s", NPTE_RUN_DIR, NPTE_DRAIN_DIR, strerror(-n));
	for (int i = 0; i < n; i++) {
		if (!c->who.admin && drains[i].owner != c->who.uid)
			continue;
		if (a->json)
			printf("%s{\"name\":\"%s\",\"owner\":%u,\"present\":false,\"draining\":true}",
			       a->shown ? "," : "", drains[i].name, (unsigned)drains[i].owner);
		else if (c->who.admin)
			printf("%s %u (destroyed, still held)\n", drains[i].name, (unsigned)drains[i].owner);
		else
			printf("%s (destroyed, still held)\n", drains[i].name);
		a->shown++;
	}
	return 0;
}

static int list_all(struct txn *c, void *arg)
{
	struct list_args *a = arg;
	int rc;

	rc = list_markers(c, a);
	if (!rc)
		rc = list_draining(c, a);
	if (!rc && a->json)
		fputs("]\n", stdout);
	return rc;
}

/*
 * Without the lock, unlike show: list prints as it goes, and a reader that
 * wrote to stdout under the shared lock could be stalled by a caller whose
 * pipe nobody reads, with the lock held against every writer. It needs no
 * lock to be right: each marker is written whole (a rename), each namespace
 * is told by its cookie, and it changes nothing. And it still answers while a
 * writer holds the lock or a dead run's journal awaits recovery, which is
 * when a caller most wants to see what is there.
 */
static int cmd_list(struct cli *cl, struct opts *o)
{
	struct list_args a = {.json = o->set[O_JSON]};
	int rc;

	cli_npos("list", o, 0, 0);
	rc = cli_read(cl, "list", o, &(struct read_verb){.caps = caps_setns, .fn = list_all, .arg = &a, .lockless = true});
	return rc ? rc : fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

struct show_args {
	const char *name;
	bool json;
	FILE *out; /* a memory stream: written to stdout after the unlock */
	char **text;
	size_t *len;
};

/* Under the shared lock, after the guard: what is inside, into memory. A
 * reader that wrote to stdout here could be stalled by a caller whose pipe
 * nobody reads, with the lock held against every writer. */
static int show_under_lock(struct txn *c, void *arg)
{
	const struct show_args *a = arg;
	struct nshandle *h;
	struct marker m;

	if (owner_check_nl(c, a->name, &m, &h) != OWN_MINE)
		return deny(c, "show", a->name);
	return show_netns(a->out, a->name, h->fd, &h->nl, m.owner, a->json, &c->err);
}

/* After the unlock: what show_under_lock gathered, to stdout. */
static int show_write(struct txn *c, void *arg)
{
	struct show_args *a = arg;
	int rc = fclose(a->out) ? err_sys(&c->err, EXIT_FAIL, errno, "memory") : 0;

	a->out = NULL;
	if (!rc && (fwrite(*a->text, 1, *a->len, stdout) != *a->len || fflush(stdout)))
		rc = err_sys(&c->err, EXIT_FAIL, errno, "write");
	return rc;
}

static int cmd_show(struct cli *cl, struct opts *o)
{
	char *text = NULL;
	size_t len = 0;
	struct show_args a = {.json = o->set[O_JSON], .text = &text, .len = &len};
	int rc;

	check_names("show", o, 1);
	a.name = o->pos[0];
	plan_guard_owned(cl->plan, "show", a.name, 0);
	a.out = open_memstream(&text, &len);
	if (!a.out)
		die_errno(EXIT_FAIL, "show: memory");
	/* Shared: readers run side by side, never in the middle of a change. */
	rc = cli_read(cl, "show", o, &(struct read_verb){.caps = caps_setns, .fn = show_under_lock,
							   .then = show_write, .arg = &a});
	if (a.out)
		fclose(a.out);
	free(text);
	return rc;
}

/* Play claims whose player has ended (claim.h): one sweep removes them all. */
static int gc_claims(struct plan *p, struct txn *c, bool report)
{
	int n = claim_sweep(NULL, true);

	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "read %s/%s", NPTE_RUN_DIR, NPTE_PLAY_DIR), -1;
	if (n == 0)
		return 0;
	if (report)
		printf("remove %d play claim%s: %s\n", n, n == 1 ? "" : "s", "their players have ended");
	plan_claim_sweep(p, "");
	return n;
}

/* The caller's namespaces that are whole: what a killed job left looks the
 * same as one in use, so gc names them and leaves them (one line). */
static void gc_in_place(char (*names)[16], const bool *yours, int n)
{
	fputs("yours, left in place:", stdout);
	for (int i = 0; i < n; i++)
		if (yours[i])
			printf(" %s", names[i]);
	puts(" (gc cannot tell a leftover from a namespace in use; npte-netns destroy --all or --prefix P "
	     "removes them)");
}

/*
 * Find what a crash left: markers whose namespace is gone or is not the one
 * npte made (their marker goes), and, for the administrator, namespaces
 * npte has no record of (reported, never removed: nothing proves they are
 * npte's). Builds the plan of removals into p; returns the count.
 */
/* For the administrator: namespaces without a marker, which gc never touches. */
static void gc_unmarked(void)
{
	DIR *d = opendir(NETNS_RUN_DIR);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct marker m;

		if (de->d_name[0] == '.' || !valid_netns_name(de->d_name, NULL) || marker_read(de->d_name, &m) == 0)
			continue;
		printf("left alone: %s (no npte marker; if it is a leftover of yours: ip netns del %s)\n", de->d_name,
		       de->d_name);
	}
	if (d)
		closedir(d);
}

/*
 * Gateways half gone: rules of a gateway whose host end went (its namespace
 * deleted behind npte's back takes the veth along) are removed, and the
 * uplink's forwarding with the last. Root's gc removes any; a user's only
 * those of a namespace whose marker is still theirs.
 */
static int gc_gateways(struct plan *p, struct txn *c, bool report)
{
	static char names[REGISTRY_MAX][16], half[REGISTRY_MAX][16];
	int n = gw_list(names, REGISTRY_MAX), k = 0;

	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "read the host's gateways"), -1;
	for (int i = 0; i < n; i++) {
		struct gw_info g;
		struct marker m;
		int rc = gw_probe_destroy(c, names[i], &g, NULL, 0);

		if (rc < 0)
			return -1;
		if (!rc || (g.flags & GW_LINK))
			continue;
		if (!c->who.admin && (marker_read(names[i], &m) != 0 || m.owner != c->who.uid))
			continue;
		if (report)
			printf("remove gateway %s: its host end is gone, its rules are left\n", names[i]);
		memcpy(half[k++], names[i], sizeof half[0]);
	}
	return plan_gateway_gone(p, c, half, k) ? -1 : k;
}

static int gc_scan(struct plan *p, struct txn *c, bool report)
{
	static char names[REGISTRY_MAX][16];
	static bool yours[REGISTRY_MAX];
	int n = marker_list(names, REGISTRY_MAX), found = 0, claims, in_place = 0;

	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "read %s/%s", NPTE_RUN_DIR, NPTE_MARKER_DIR), -1;
	for (int i = 0; i < n; i++) {
		struct marker m;
		struct nshandle *h;
		const char *why = NULL;
		int rc = owner_check(c, names[i], &m, &h);

		/* Only "nothing there" and "not a namespace" are evidence: EMFILE,
		 * ENOMEM or ENOBUFS say nothing about the namespace, so gc stops. */
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s", names[i]), -1;
		if (rc == OWN_PLACEHOLDER)
			why = "a placeholder, not a namespace";
		else if (rc == OWN_GONE)
			why = "its namespace is gone";
		else if (rc == OWN_SWAPPED)
			why = "the namespace under that name is not the one npte made";
		txn_forget(c, names[i]);
		yours[i] = !why && rc == OWN_MINE && m.owner == c->who.uid;
		in_place += yours[i];
		if (!why)
			continue;
		if (report)
			printf("remove marker %s: %s\n", names[i], why);
		if (rc == OWN_PLACEHOLDER)
			plan_netns_destroy(p, names[i]);
		else
			plan_marker_remove(p, names[i]);
		found++;
	}
	txn_close(c);
	if (report && in_place)
		gc_in_place(names, yours, n);
	claims = gc_claims(p, c, report);
	if (claims < 0)
		return -1;
	found += claims;
	claims = gc_gateways(p, c, report);
	if (claims < 0)
		return -1;
	found += claims;
	if (report && c->who.admin)
		gc_unmarked();
	return found;
}

/* Under the exclusive lock, after recovery: what is there to repair. */
static int gc_build(struct plan *p, struct txn *c, void *arg)
{
	int *found = arg;

	static struct drain drains[REGISTRY_MAX];
	unsigned live;
	int rc, n;

	netns_sweep();
	if (c->note[0])
		printf("%s\n", c->note);
	c->note[0] = '\0';
	/* Records of namespaces that have ended go; those still held are shown. */
	rc = drain_count(c, c->who.uid, c->who.admin, &live);
	n = rc < 0 ? rc : drain_live(c, drains, REGISTRY_MAX);
	if (n < 0)
		return err_sys(&c->err, EXIT_FAIL, -n, "%s/%s", NPTE_RUN_DIR, NPTE_DRAIN_DIR);
	for (int i = 0; i < n; i++)
		if (c->who.admin || drains[i].owner == c->who.uid)
			printf("still held: %s (destroyed; namespace id %d, uid %u): counts against its owner's "
			       "max_namespaces until what holds it ends\n", drains[i].name, (int)drains[i].nsid,
			       (unsigned)drains[i].owner);
	*found = gc_scan(p, c, true);
	return *found < 0 ? c->err.code : 0;
}

static int cmd_gc(struct cli *cl, struct opts *o)
{
	struct txn c;
	int rc, found = 0;

	cli_npos("gc", o, 0, 0);
	caps_keep(caps_create);
	require_root("gc");
	txn_init(&c, &cl->who, cli_wait("gc", o));
	cl->plan->verb = "gc";
	cl->plan->exclusive = true;
	if (o->set[O_DRYRUN]) {
		/* Reads state, changes nothing: the script repairs what is there now. */
		if (rundir_open(false, &c.err) < 0)
			return c.err.code ? cli_finish("gc", &c, c.err.code) : EXIT_OK;
		snprintf(cl->plan->title, sizeof cl->plan->title, "npte-netns gc");
		if (gc_scan(cl->plan, &c, false) < 0)
			return cli_finish("gc", &c, c.err.code);
		plan_render_open(stdout, cl->plan, &c);
		if (render_recovery(stdout, &c) == -ENOMEM) {
			/* the script stays unclosed: a shell refuses to run it */
			fflush(stdout);
			return cli_finish("gc", &c, err_sys(&c.err, EXIT_FAIL, ENOMEM, "read the journal of an "
							    "interrupted transaction"));
		}
		plan_render_close(stdout);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	rc = txn_write(cl->plan, &c, gc_build, &found);
	if (!rc && !found)
		puts("nothing to repair");
	else if (found < 0)
		puts("gc stopped: nothing was changed");
	fflush(stdout);
	return cli_finish("gc", &c, rc);
}

static const struct verb verbs[] = {
	{"create", cmd_create, spec_netns_create},
	{"destroy", cmd_destroy, spec_netns_destroy},
	{"list", cmd_list, spec_read},
	{"show", cmd_show, spec_read},
	{"gc", cmd_gc, spec_mutate},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-netns", .usage = USAGE, .caps = caps_all, .verbs = verbs)
