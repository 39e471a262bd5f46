/*
 * npte-netem: shape the root of an interface in a namespace the caller owns:
 * netem (delay, jitter, loss models, queue limit, rate, slots) with an
 * optional tbf or cake child, a plain tbf rate limit, or nothing at all.
 */
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include "cli.h"
#include "err.h"
#include "ops.h"
#include "optspecs.h"
#include "shape.h"
#include "shquote.h"

#define USAGE \
	"usage: npte-netem apply [-n] [--wait S] NS IFACE [--delay D] [--loss L] [--limit N]\n" \
	"                        [--rate R] [--slot S] [--child tbf|cake --child-rate RATE]\n" \
	"       npte-netem rate [-n] [--wait S] NS IFACE RATE [--burst SIZE] [--latency T]\n" \
	"       npte-netem clear [-n] [--wait S] NS IFACE\n" \
	"       npte-netem -h | --help | --version\n"

static const int caps_all[] = {
	CAP_SYS_ADMIN, /* setns(2) to open a netlink socket inside the namespace */
	CAP_NET_ADMIN, /* RTM_NEWQDISC / RTM_DELQDISC */
	-1,
};

static struct netem_spec netem = {.qopt = {.limit = 1000}};
static struct tbf_spec tbf, child_tbf;
static struct qdisc_child child;

static void knob(const char *verb, const struct opts *o, int id, const char *flag,
		 bool (*parse)(struct netem_spec *, const char *, char *, size_t))
{
	char why[160];

	if (o->set[id] && !parse(&netem, o->val[id], why, sizeof why))
		die(EXIT_USAGE, "%s: invalid %s '%s': %s", verb, flag, disp(o->val[id]), why);
}

static bool delay_knob(struct netem_spec *s, const char *v, char *why, size_t n)
{
	return netem_delay(s, v, why, n, shape_tick_in_usec());
}

static int cmd_apply(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;
	char why[160];

	cli_npos("apply", o, 2, 2);
	ns = cli_netns("apply", o->pos[0]);
	ifname = cli_ifname("apply", o->pos[1]);
	knob("apply", o, O_DELAY, "--delay", delay_knob);
	knob("apply", o, O_LOSS, "--loss", netem_loss);
	knob("apply", o, O_LIMIT, "--limit", netem_limit);
	knob("apply", o, O_RATE, "--rate", netem_rate);
	knob("apply", o, O_SLOT, "--slot", netem_slot);
	if (!netem_check(&netem, why, sizeof why))
		die(EXIT_USAGE, "apply: %s", why);
	if (o->set[O_CHILD]) {
		const char *k = o->val[O_CHILD];

		if (strcmp(k, "tbf") != 0 && strcmp(k, "cake") != 0)
			die(EXIT_USAGE, "apply: invalid --child '%s': must be tbf or cake", disp(k));
		if (!o->set[O_CHILD_RATE])
			die(EXIT_USAGE, "apply: --child %s needs --child-rate RATE", k);
		snprintf(child.kind, sizeof child.kind, "%s", k);
		if (strcmp(k, "tbf") == 0) {
			if (!tbf_parse(&child_tbf, o->val[O_CHILD_RATE], NULL, NULL, why, sizeof why))
				die(EXIT_USAGE, "apply: invalid --child-rate '%s': %s", disp(o->val[O_CHILD_RATE]), why);
			child.tbf = child_tbf;
			child.rate64 = child_tbf.rate64;
		} else if (!shape_rate(o->val[O_CHILD_RATE], &child.rate64, why, sizeof why)) {
			die(EXIT_USAGE, "apply: invalid --child-rate '%s': %s", disp(o->val[O_CHILD_RATE]), why);
		}
		snprintf(child.rate, sizeof child.rate, "%s", o->val[O_CHILD_RATE]);
	} else if (o->set[O_CHILD_RATE]) {
		die(EXIT_USAGE, "apply: --child-rate needs --child");
	}
	if (!o->set[O_DELAY] && !o->set[O_LOSS] && !o->set[O_LIMIT] && !o->set[O_RATE] &&
	    !o->set[O_SLOT] && !o->set[O_CHILD])
		die(EXIT_USAGE, "apply: give at least one of --delay, --loss, --limit, --rate, --slot, --child");
	plan_guard_owned(cl->plan, "apply", ns, 0);
	plan_netem(cl->plan, ns, ifname, &netem, o->set[O_CHILD] ? &child : NULL);
	return cli_run(cl, "apply", o);
}

static int cmd_rate(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;
	char why[160];

	cli_npos("rate", o, 3, 3);
	ns = cli_netns("rate", o->pos[0]);
	ifname = cli_ifname("rate", o->pos[1]);
	if (!tbf_parse(&tbf, o->pos[2], o->set[O_BURST] ? o->val[O_BURST] : NULL,
		       o->set[O_LATENCY] ? o->val[O_LATENCY] : NULL, why, sizeof why))
		die(EXIT_USAGE, "rate: %s", why);
	plan_guard_owned(cl->plan, "rate", ns, 0);
	plan_tbf(cl->plan, ns, ifname, &tbf);
	return cli_run(cl, "rate", o);
}

static int cmd_clear(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;

	cli_npos("clear", o, 2, 2);
	ns = cli_netns("clear", o->pos[0]);
	ifname = cli_ifname("clear", o->pos[1]);
	plan_guard_owned(cl->plan, "clear", ns, 0);
	plan_qdisc_clear(cl->plan, ns, ifname);
	return cli_run(cl, "clear", o);
}

static const struct verb verbs[] = {
	{"apply", cmd_apply, spec_netem_apply},
	{"rate", cmd_rate, spec_netem_rate},
	{"clear", cmd_clear, spec_mutate},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-netem", .usage = USAGE, .caps = caps_all, .verbs = verbs)
