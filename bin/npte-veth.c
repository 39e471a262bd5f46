/*
 * npte-veth: a veth pair between two namespaces the caller owns, made in one
 * RTM_NEWLINK with both ends placed by IFLA_NET_NS_FD.
 */
#include <string.h>
#include <linux/capability.h>
#include "cli/cli.h"
#include "base/err.h"
#include "ops/ops.h"
#include "base/optspecs.h"

#define USAGE \
	"usage: npte-veth add [-n] [--wait S] LEFT RIGHT\n" \
	"       npte-veth del [-n] [--wait S] LEFT RIGHT\n" \
	"       npte-veth -h | --help | --version\n" \
	"LEFT gets interface if-RIGHT, RIGHT gets if-LEFT.\n"

static const int caps_all[] = {
	CAP_SYS_ADMIN, /* setns(2) to open a netlink socket inside each namespace */
	CAP_NET_ADMIN, /* RTM_NEWLINK / RTM_DELLINK */
	-1,
};

static int veth(struct cli *cl, struct opts *o, const char *verb, bool add)
{
	const char *left, *right;

	cli_npos(verb, o, 2, 2);
	left = cli_netns(verb, o->pos[0]);
	right = cli_netns(verb, o->pos[1]);
	if (strcmp(left, right) == 0)
		die(EXIT_USAGE, "%s: LEFT and RIGHT are the same namespace '%s'", verb, left);
	plan_guard_owned(cl->plan, verb, left, 0);
	plan_guard_owned(cl->plan, verb, right, 0);
	if (add)
		plan_veth_add(cl->plan, left, right);
	else
		plan_veth_del(cl->plan, left, right);
	return cli_run(cl, verb, o);
}

static int cmd_add(struct cli *cl, struct opts *o) { return veth(cl, o, "add", true); }
static int cmd_del(struct cli *cl, struct opts *o) { return veth(cl, o, "del", false); }

static const struct verb verbs[] = {
	{"add", cmd_add, spec_mutate},
	{"del", cmd_del, spec_mutate},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-veth", .usage = USAGE, .caps = caps_all, .verbs = verbs)
