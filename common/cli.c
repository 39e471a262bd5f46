/* The shared shape of npte's mains (see cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "err.h"
#include "shquote.h"

struct caller cli_who;
struct plan cli_plan;
static const char *usage_text = "";

void cli_usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

void cli_npos(const char *verb, const struct opts *o, int min, int max)
{
	if (o->npos < min || o->npos > max)
		die(EXIT_USAGE, "%s: wrong number of arguments\n%s", verb, usage_text);
}

const char *cli_netns(const char *verb, const char *s)
{
	char why[128];

	if (!valid_netns_name(s, why, sizeof why))
		die(EXIT_USAGE, "%s: invalid namespace name '%s': %s", verb, disp(s), why);
	return s;
}

const char *cli_ifname(const char *verb, const char *s)
{
	char why[128];

	if (!valid_ifname(s, why, sizeof why))
		die(EXIT_USAGE, "%s: invalid interface name '%s': %s", verb, disp(s), why);
	return s;
}

void cli_cidr(const char *verb, const char *s, struct ipaddr *a, unsigned *plen)
{
	char why[128];

	if (!parse_cidr(s, a, plen, why, sizeof why))
		die(EXIT_USAGE, "%s: invalid CIDR '%s': %s", verb, disp(s), why);
}

void cli_ip(const char *verb, const char *s, struct ipaddr *a)
{
	char why[128];

	if (!parse_ip(s, a, why, sizeof why))
		die(EXIT_USAGE, "%s: invalid address '%s': %s", verb, disp(s), why);
}

unsigned cli_wait(const char *verb, const struct opts *o)
{
	unsigned s = 30;
	char why[128];

	if (o->set[O_WAIT] && !parse_seconds(o->val[O_WAIT], &s, why, sizeof why))
		die(EXIT_USAGE, "%s: invalid --wait '%s': %s", verb, disp(o->val[O_WAIT]), why);
	return s;
}

static void title(const char *verb, const struct opts *o)
{
	char *t = cli_plan.title;
	size_t n = sizeof cli_plan.title, len = (size_t)snprintf(t, n, "%s %s", prog, verb);

	/* Positionals were validated; option values are shown escaped (disp) and
	 * quoted, so the comment stays one line whatever they hold. */
	for (int i = 0; i < o->npos && len < n; i++)
		len += (size_t)snprintf(t + len, n - len, " %s", o->pos[i]);
	for (const struct optspec *sp = o->spec; sp && (sp->lng || sp->shrt) && len < n; sp++) {
		char q[160];

		if (!o->set[sp->id] || sp->id == O_DRYRUN || sp->id == O_HELP || sp->id == O_VERSION ||
		    sp->repeat || !sp->lng)
			continue;
		len += (size_t)snprintf(t + len, n - len, " --%s", sp->lng);
		if (sp->arg && len < n) {
			sh_quote_buf(q, sizeof q, disp(o->val[sp->id]));
			len += (size_t)snprintf(t + len, n - len, " %s", q);
		}
	}
	if (len >= n)
		memcpy(t + n - 4, "...", 4);
}

int cli_finish(const char *verb, struct ctx *c, int rc)
{
	if (c->note[0])
		warnx("%s: %s", verb, c->note);
	if (rc) {
		warnx("%s: %s", verb, c->err.msg[0] ? c->err.msg : "failed");
		if (c->warn[0])
			warnx("%s: %s", verb, c->warn);
	}
	return rc;
}

int cli_run(const char *verb, const struct opts *o)
{
	struct ctx c;

	ctx_init(&c, &cli_who, cli_wait(verb, o));
	cli_plan.verb = verb;
	cli_plan.exclusive = true;
	title(verb, o);
	if (o->set[O_DRYRUN]) {
		plan_render(stdout, &cli_plan, &c);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	require_root(verb);
	return cli_finish(verb, &c, txn_execute(&cli_plan, &c));
}

int cli_main(int argc, char **argv, const char *name, const char *usage, const int *caps_all,
	     const struct verb *verbs)
{
	static struct opts o;
	char why[160];

	prog = name;
	usage_text = usage;
	hygiene(&cli_who);
	caps_keep(caps_all);
	if (argc < 2)
		cli_usage(EXIT_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		cli_usage(EXIT_OK);
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", prog, NPTE_VERSION);
		return EXIT_OK;
	}
	for (const struct verb *v = verbs; v->name; v++) {
		if (strcmp(argv[1], v->name) != 0)
			continue;
		if (!args_parse(&o, argc - 2, argv + 2, v->spec, true, why, sizeof why))
			die(EXIT_USAGE, "%s: %s", v->name, why);
		if (o.set[O_HELP])
			cli_usage(EXIT_OK);
		return v->fn(&o);
	}
	die(EXIT_USAGE, "unknown verb '%s'\n%s", disp(argv[1]), usage);
}
