/* npte-route: add or remove a route in the main table of a namespace the caller owns. */
#include <string.h>
#include <sys/socket.h>
#include <linux/capability.h>
#include "cli/cli.h"
#include "base/err.h"
#include "ops/ops.h"
#include "base/optspecs.h"
#include "base/escape.h"

#define USAGE \
	"usage: npte-route add [-n] [--wait S] NS DEST VIA\n" \
	"       npte-route del [-n] [--wait S] NS DEST VIA\n" \
	"       npte-route -h | --help | --version\n" \
	"DEST is 'default' or a CIDR of VIA's family, with no host bits set.\n"

static const int caps_all[] = {
	CAP_SYS_ADMIN, /* setns(2) to open a netlink socket inside the namespace */
	CAP_NET_ADMIN, /* RTM_NEWROUTE / RTM_DELROUTE */
	-1,
};

static bool host_bits(const struct ipaddr *a, unsigned plen)
{
	unsigned len = a->family == AF_INET ? 4 : 16;

	for (unsigned bit = plen; bit < len * 8; bit++)
		if (a->a[bit / 8] & (0x80 >> (bit % 8)))
			return true;
	return false;
}

static bool unspecified(const struct ipaddr *a)
{
	unsigned len = a->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < len; i++)
		if (a->a[i])
			return false;
	return true;
}

static int route(struct cli *cl, struct opts *o, const char *verb, bool add)
{
	struct ipaddr dst = {0}, via;
	unsigned plen = 0;
	const char *ns;

	cli_npos(verb, o, 3, 3);
	ns = cli_netns(verb, o->pos[0]);
	cli_ip(verb, o->pos[2], &via);
	if (unspecified(&via))
		die(EXIT_USAGE, "%s: invalid gateway '%s': the unspecified address", verb, o->pos[2]);
	if (strcmp(o->pos[1], "default") == 0) {
		dst.family = via.family;
	} else {
		cli_cidr(verb, o->pos[1], &dst, &plen);
		if (dst.family != via.family)
			die(EXIT_USAGE, "%s: DEST '%s' and VIA '%s' are of different families", verb,
			    o->pos[1], o->pos[2]);
		if (host_bits(&dst, plen))
			die(EXIT_USAGE, "%s: DEST '%s' has host bits set beyond /%u", verb, o->pos[1], plen);
	}
	plan_guard_owned(cl->plan, verb, ns, 0);
	plan_route(cl->plan, add, ns, &dst, plen, &via);
	return cli_run(cl, verb, o);
}

static int cmd_add(struct cli *cl, struct opts *o) { return route(cl, o, "add", true); }
static int cmd_del(struct cli *cl, struct opts *o) { return route(cl, o, "del", false); }

static const struct verb verbs[] = {
	{"add", cmd_add, spec_mutate},
	{"del", cmd_del, spec_mutate},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-route", .usage = USAGE, .caps = caps_all, .verbs = verbs)
