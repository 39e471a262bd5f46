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
#include "args.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "journal.h"
#include "lock.h"
#include "netns.h"
#include "ops.h"
#include "plan.h"
#include "priv.h"
#include "registry.h"
#include "shquote.h"
#include "show.h"
#include "validate.h"

#define USAGE \
	"usage: npte-netns create [-n] [--wait S] NAME...\n" \
	"       npte-netns destroy [-n] [--wait S] NAME...\n" \
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
	-1,
};
/* create, destroy, gc: NET_ADMIN also lets the lock holder undo the links,
 * addresses, routes and qdiscs a dead transaction left (journal recovery). */
static const int caps_create[] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, -1};
static const int caps_setns[] = {CAP_SYS_ADMIN, -1}; /* show: setns only */
static const int caps_none[] = {-1};                  /* list reads root's own files */

static const struct optspec spec_mutate[] = {OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_END};
static const struct optspec spec_read[] = {OPT_JSON, OPT_HELP, OPT_END};

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

static int cmd_create(struct opts *o)
{
	struct config cfg;
	struct err e = {0};

	check_names("create", o, ARGS_POS_MAX);
	caps_keep(caps_create);
	if (config_load(&cfg, &e))
		die(e.code, "create: %s", e.msg);
	plan_guard_quota(&cli_plan, "create", (unsigned)o->npos, cfg.max_namespaces);
	for (int i = 0; i < o->npos; i++)
		plan_netns_create(&cli_plan, o->pos[i]);
	return cli_run("create", o);
}

static int cmd_destroy(struct opts *o)
{
	check_names("destroy", o, ARGS_POS_MAX);
	caps_keep(caps_create);
	/* Every name is checked before anything is removed. */
	for (int i = 0; i < o->npos; i++)
		plan_guard_owned(&cli_plan, "destroy", o->pos[i], GUARD_MAY_BE_GONE);
	for (int i = 0; i < o->npos; i++)
		plan_netns_destroy(&cli_plan, o->pos[i]);
	return cli_run("destroy", o);
}

static int cmd_list(struct opts *o)
{
	static char names[4096][16];
	struct err e = {0};
	int n, shown = 0;

	cli_npos("list", o, 0, 0);
	caps_keep(caps_none);
	require_root("list");
	if (rundir_open(false, &e) < 0 && e.code)
		die(e.code, "list: %s", e.msg);
	n = marker_list(names, 4096);
	if (n < 0)
		die(EXIT_FAIL, "list: %s", strerror(-n));
	if (o->set[O_JSON])
		fputc('[', stdout);
	for (int i = 0; i < n; i++) {
		struct marker m;
		bool present;
		int fd;

		if (marker_read(names[i], &m) < 0 || (!cli_who.admin && m.owner != cli_who.uid))
			continue;
		fd = netns_open(names[i]);
		present = fd >= 0;
		if (fd >= 0)
			close(fd);
		if (o->set[O_JSON])
			printf("%s{\"name\":\"%s\",\"owner\":%u,\"present\":%s}", shown ? "," : "",
			       names[i], (unsigned)m.owner, present ? "true" : "false");
		else if (cli_who.admin)
			printf("%s %u\n", names[i], (unsigned)m.owner);
		else
			printf("%s\n", names[i]);
		shown++;
	}
	if (o->set[O_JSON])
		fputs("]\n", stdout);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

static int cmd_show(struct opts *o)
{
	struct ctx c;
	struct nshandle *h;
	struct marker m;
	int rc;

	check_names("show", o, 1);
	caps_keep(caps_setns);
	require_root("show");
	ctx_init(&c, &cli_who, 30);
	plan_guard_owned(&cli_plan, "show", o->pos[0], 0);
	if (rundir_open(false, &c.err) < 0)
		return cli_finish("show", &c, c.err.code ? c.err.code : deny(&c, "show", o->pos[0]));
	/* Shared: readers run side by side, never in the middle of a change. */
	rc = lock_take(false, c.wait_s, cli_who.uid, "show", &c.err);
	if (!rc)
		rc = plan_run(&cli_plan, &c);
	if (!rc && (marker_read(o->pos[0], &m) < 0 || ctx_ns(&c, o->pos[0], &h) < 0))
		rc = deny(&c, "show", o->pos[0]);
	if (!rc)
		rc = show_netns(stdout, o->pos[0], h->fd, m.owner, o->set[O_JSON], &c.err);
	ctx_close(&c);
	lock_release();
	if (!rc && fflush(stdout))
		rc = err_sys(&c.err, EXIT_FAIL, errno, "write");
	return cli_finish("show", &c, rc);
}

/*
 * Find what a crash left: markers whose namespace is gone or is not the one
 * npte made (their marker goes), and, for the administrator, namespaces
 * npte has no record of (reported, never removed: nothing proves they are
 * npte's). Builds the plan of removals into cli_plan; returns the count.
 */
static int gc_scan(struct ctx *c, bool report)
{
	static char names[4096][16];
	int n = marker_list(names, 4096), found = 0;

	for (int i = 0; i < n; i++) {
		struct marker m;
		struct nshandle *h;
		const char *why = NULL;

		if (marker_read(names[i], &m) < 0 || (!cli_who.admin && m.owner != cli_who.uid))
			continue;
		if (ctx_ns(c, names[i], &h) < 0)
			why = netns_exists(names[i]) ? "a placeholder, not a namespace" : "its namespace is gone";
		else if (m.cookie && m.cookie != h->nl.cookie)
			why = "the namespace under that name is not the one npte made";
		if (!why)
			continue;
		if (report)
			printf("remove marker %s: %s\n", names[i], why);
		if (strcmp(why, "a placeholder, not a namespace") == 0)
			plan_netns_destroy(&cli_plan, names[i]);
		else
			plan_marker_remove(&cli_plan, names[i]);
		found++;
	}
	ctx_close(c);
	if (report && cli_who.admin) {
		DIR *d = opendir(NETNS_RUN_DIR);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			struct marker m;

			if (de->d_name[0] == '.' || !valid_netns_name(de->d_name, NULL, 0) ||
			    marker_read(de->d_name, &m) == 0)
				continue;
			printf("left alone: %s (no npte marker; if it is a leftover of yours: ip netns del %s)\n",
			       de->d_name, de->d_name);
		}
		if (d)
			closedir(d);
	}
	return found;
}

static int cmd_gc(struct opts *o)
{
	struct ctx c;
	int rc, found;

	cli_npos("gc", o, 0, 0);
	caps_keep(caps_create);
	require_root("gc");
	ctx_init(&c, &cli_who, cli_wait("gc", o));
	if (o->set[O_DRYRUN]) {
		/* Reads state, changes nothing: the script repairs what is there now. */
		if (rundir_open(false, &c.err) < 0)
			return c.err.code ? cli_finish("gc", &c, c.err.code) : EXIT_OK;
		cli_plan.verb = "gc";
		cli_plan.exclusive = true;
		snprintf(cli_plan.title, sizeof cli_plan.title, "npte-netns gc");
		gc_scan(&c, false);
		plan_render_open(stdout, &cli_plan, &c);
		journal_render(stdout, &c);
		plan_render_close(stdout);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	rc = lock_take(true, c.wait_s, cli_who.uid, "gc", &c.err);
	if (rc)
		return cli_finish("gc", &c, rc);
	if (journal_recover(&c, c.note, sizeof c.note) > 0)
		printf("%s\n", c.note);
	c.note[0] = '\0';
	found = gc_scan(&c, true);
	rc = plan_run(&cli_plan, &c);
	ctx_close(&c);
	lock_release();
	if (!rc && !found)
		puts("nothing to repair");
	fflush(stdout);
	return cli_finish("gc", &c, rc);
}

static const struct verb verbs[] = {
	{"create", cmd_create, spec_mutate},
	{"destroy", cmd_destroy, spec_mutate},
	{"list", cmd_list, spec_read},
	{"show", cmd_show, spec_read},
	{"gc", cmd_gc, spec_mutate},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "npte-netns", USAGE, caps_all, verbs);
}
