/* npte-addr: add or remove an IPv4 or IPv6 address inside a namespace the caller owns. */
#include <linux/capability.h>
#include "cli/cli.h"
#include "base/err.h"
#include "ops/ops.h"
#include "base/optspecs.h"

#define USAGE \
	"usage: npte-addr add [-n] [--wait S] NS IFACE CIDR\n" \
	"       npte-addr del [-n] [--wait S] NS IFACE CIDR\n" \
	"       npte-addr -h | --help | --version\n"

static const int caps_all[] = {
	CAP_SYS_ADMIN, /* setns(2) to open a netlink socket inside the namespace */
	CAP_NET_ADMIN, /* RTM_NEWADDR / RTM_DELADDR */
	-1,
};

static int addr(struct cli *cl, struct opts *o, const char *verb, bool add)
{
	struct ipaddr a;
	unsigned plen;
	const char *ns, *ifname;

	cli_npos(verb, o, 3, 3);
	ns = cli_netns(verb, o->pos[0]);
	ifname = cli_ifname(verb, o->pos[1]);
	cli_cidr(verb, o->pos[2], &a, &plen);
	plan_guard_owned(cl->plan, verb, ns, 0);
	plan_guard_dev(cl->plan, verb, ns, ifname);
	plan_addr(cl->plan, add, ns, ifname, &a, plen);
	return cli_run(cl, verb, o);
}

static int cmd_add(struct cli *cl, struct opts *o) { return addr(cl, o, "add", true); }
static int cmd_del(struct cli *cl, struct opts *o) { return addr(cl, o, "del", false); }

static const struct verb verbs[] = {
	{"add", cmd_add, spec_mutate},
	{"del", cmd_del, spec_mutate},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-addr", .usage = USAGE, .caps = caps_all, .verbs = verbs)
