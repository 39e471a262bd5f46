/*
 * npte-netns: create, destroy, list and show named network namespaces that
 * npte manages for the calling user. parse -> validate -> plan -> run/print.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include "args.h"
#include "err.h"
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
static const int caps_create[] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, -1};
static const int caps_setns[] = {CAP_SYS_ADMIN, -1}; /* destroy, show: setns, umount */
static const int caps_none[] = {-1};                  /* list reads root's own files */

static struct plan plan;
static struct caller who;

static const struct optspec spec_mutate[] = {OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_END};
static const struct optspec spec_read[] = {OPT_JSON, OPT_HELP, OPT_END};

static _Noreturn void usage(int code)
{
	fputs(USAGE, code ? stderr : stdout);
	exit(code);
}

static void check_names(const char *verb, struct opts *o, int min, int max)
{
	char why[128];

	if (o->npos < min || o->npos > max)
		die(EXIT_USAGE, "%s: expected %s namespace name%s\n%s", verb,
		    max == 1 ? "one" : "one or more", max == 1 ? "" : "s", USAGE);
	for (int i = 0; i < o->npos; i++) {
		if (!valid_netns_name(o->pos[i], why, sizeof why))
			die(EXIT_USAGE, "%s: invalid namespace name '%s': %s", verb, disp(o->pos[i]), why);
		for (int j = 0; j < i; j++)
			if (strcmp(o->pos[i], o->pos[j]) == 0)
				die(EXIT_USAGE, "%s: namespace name '%s' given twice", verb, o->pos[i]);
	}
}

static unsigned wait_of(const char *verb, const struct opts *o)
{
	unsigned s = 30;
	char why[128];

	if (o->set[O_WAIT] && !parse_seconds(o->val[O_WAIT], &s, why, sizeof why))
		die(EXIT_USAGE, "%s: invalid --wait '%s': %s", verb, disp(o->val[O_WAIT]), why);
	return s;
}

static void title(const char *verb, const struct opts *o)
{
	size_t len = (size_t)snprintf(plan.title, sizeof plan.title, "%s %s", prog, verb);

	for (int i = 0; i < o->npos && len < sizeof plan.title; i++)
		len += (size_t)snprintf(plan.title + len, sizeof plan.title - len, " %s", o->pos[i]);
	if (len >= sizeof plan.title)
		memcpy(plan.title + sizeof plan.title - 4, "...", 4);
}

static int finish(const char *verb, struct ctx *c, int rc)
{
	if (rc) {
		warnx("%s: %s", verb, c->err.msg);
		if (c->warn[0])
			warnx("%s: %s", verb, c->warn);
	}
	return rc;
}

static int run_plan(const char *verb, const struct opts *o, unsigned wait_s)
{
	struct ctx c;

	ctx_init(&c, &who, wait_s);
	plan.verb = verb;
	plan.exclusive = true;
	if (o->set[O_DRYRUN]) {
		plan_render(stdout, &plan, &c);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	require_root(verb);
	return finish(verb, &c, plan_execute(&plan, &c));
}

static int cmd_create(struct opts *o)
{
	unsigned wait_s = wait_of("create", o);

	check_names("create", o, 1, ARGS_POS_MAX);
	caps_keep(caps_create);
	title("create", o);
	for (int i = 0; i < o->npos; i++)
		plan_netns_create(&plan, o->pos[i]);
	return run_plan("create", o, wait_s);
}

static int cmd_destroy(struct opts *o)
{
	unsigned wait_s = wait_of("destroy", o);

	check_names("destroy", o, 1, ARGS_POS_MAX);
	caps_keep(caps_setns);
	title("destroy", o);
	/* Every name is checked before anything is removed. */
	for (int i = 0; i < o->npos; i++)
		plan_guard_owned(&plan, "destroy", o->pos[i], true);
	for (int i = 0; i < o->npos; i++)
		plan_netns_destroy(&plan, o->pos[i]);
	return run_plan("destroy", o, wait_s);
}

static int cmd_list(struct opts *o)
{
	static char names[4096][16];
	struct err e = {0};
	int n, shown = 0;

	if (o->npos)
		die(EXIT_USAGE, "list: takes no arguments\n%s", USAGE);
	caps_keep(caps_none);
	require_root("list");
	if (rundir_open(false, &e) < 0 && e.code)
		return finish("list", &(struct ctx){.err = e}, e.code);
	n = marker_list(names, 4096);
	if (n < 0)
		die(EXIT_FAIL, "list: %s", strerror(-n));
	if (o->set[O_JSON])
		fputc('[', stdout);
	for (int i = 0; i < n; i++) {
		struct marker m;
		bool present;
		int fd;

		if (marker_read(names[i], &m) < 0 || (!who.admin && m.owner != who.uid))
			continue;
		fd = netns_open(names[i]);
		present = fd >= 0;
		if (fd >= 0)
			close(fd);
		if (o->set[O_JSON])
			printf("%s{\"name\":\"%s\",\"owner\":%u,\"present\":%s}", shown ? "," : "",
			       names[i], (unsigned)m.owner, present ? "true" : "false");
		else if (who.admin)
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

	check_names("show", o, 1, 1);
	caps_keep(caps_setns);
	require_root("show");
	ctx_init(&c, &who, 30);
	plan_guard_owned(&plan, "show", o->pos[0], false);
	if (rundir_open(false, &c.err) < 0)
		return finish("show", &c, c.err.code ? c.err.code : deny(&c, "show", o->pos[0]));
	/* Shared: readers run side by side, never in the middle of a change. */
	rc = lock_take(false, c.wait_s, who.uid, "show", &c.err);
	if (!rc)
		rc = plan_run(&plan, &c);
	if (!rc && (marker_read(o->pos[0], &m) < 0 || ctx_ns(&c, o->pos[0], &h) < 0))
		rc = deny(&c, "show", o->pos[0]);
	if (!rc)
		rc = show_netns(stdout, o->pos[0], h->fd, m.owner, o->set[O_JSON], &c.err);
	ctx_close(&c);
	lock_release();
	if (!rc && fflush(stdout))
		rc = err_sys(&c.err, EXIT_FAIL, errno, "write");
	return finish("show", &c, rc);
}

static const struct verb {
	const char *name;
	int (*fn)(struct opts *);
	const struct optspec *spec;
} verbs[] = {
	{"create", cmd_create, spec_mutate},
	{"destroy", cmd_destroy, spec_mutate},
	{"list", cmd_list, spec_read},
	{"show", cmd_show, spec_read},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	static struct opts o;
	char why[160];

	prog = "npte-netns";
	hygiene(&who);
	caps_keep(caps_all);
	if (argc < 2)
		usage(EXIT_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(EXIT_OK);
	if (strcmp(argv[1], "--version") == 0) {
		printf("npte-netns %s\n", NPTE_VERSION);
		return EXIT_OK;
	}
	for (const struct verb *v = verbs; v->name; v++) {
		if (strcmp(argv[1], v->name) != 0)
			continue;
		if (!args_parse(&o, argc - 2, argv + 2, v->spec, true, why, sizeof why))
			die(EXIT_USAGE, "%s: %s", v->name, why);
		if (o.set[O_HELP])
			usage(EXIT_OK);
		return v->fn(&o);
	}
	die(EXIT_USAGE, "unknown verb '%s'\n%s", disp(argv[1]), USAGE);
}
