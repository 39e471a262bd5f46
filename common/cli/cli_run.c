/* Running a verb's plan: the dry-run script, or the live transaction (see cli.h).
 * Apart from cli.c so that a binary with no plan (npte-lock) links no netlink. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "kernel/registry.h"
#include "ops/ops.h"
#include "base/err.h"
#include "base/escape.h"

static void title(struct plan *p, const char *verb, const struct opts *o)
{
	char *t = p->title;
	size_t n = sizeof p->title, len = (size_t)snprintf(t, n, "%s %s", prog, verb);

	/* Positionals and option values are shown escaped (disp) and quoted, so
	 * the comment stays one line whatever they hold (a file name may hold
	 * anything). */
	for (int i = 0; i < o->npos && len < n; i++) {
		char q[160];

		sh_quote_buf(q, sizeof q, disp(o->pos[i]));
		len += (size_t)snprintf(t + len, n - len, " %s", q);
	}
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

int cli_finish(const char *verb, struct txn *c, int rc)
{
	if (c->note[0])
		warn_msg("%s: %s", verb, c->note);
	if (rc) {
		warn_msg("%s: %s", verb, c->err.msg[0] ? c->err.msg : "failed");
		if (c->warn[0])
			warn_msg("%s: %s", verb, c->warn);
	}
	return rc;
}

/* The dry-run refuses what the live run would refuse for a check that needs
 * no lock (the caller's kernel memory): before a line is printed. */
static int precheck(struct plan *p, struct txn *c)
{
	for (size_t i = 0; i < p->n; i++) {
		int rc;

		if (!p->ops[i].type->precheck)
			continue;
		c->cur = i;
		rc = p->ops[i].type->apply(c, &p->ops[i], false);
		if (rc)
			return rc;
	}
	txn_close(c);
	return 0;
}

/* The dry-run of a plan built from what exists: root reads the registry
 * without the lock (as gc's dry-run does); the script's guards check again. */
static int dry_build(struct cli *cl, const char *verb, struct txn *c)
{
	int rc;

	if (!cl->build)
		return 0;
	require_root(verb);
	if (rundir_open(false, &c->err) < 0 && c->err.code)
		return c->err.code;
	rc = rundir_fd() < 0 ? 0 : cl->build(cl->plan, c, cl->build_arg);
	txn_close(c);
	return rc;
}

int cli_run_then(struct cli *cl, const char *verb, const struct opts *o,
		 void (*render)(FILE *, const struct txn *, void *), int (*then)(struct txn *, void *), void *arg)
{
	struct txn c;
	int rc;

	txn_init(&c, &cl->who, cli_wait(verb, o));
	c.fix_taken = cl->fix_taken;
	c.fix_mine = cl->fix_mine;
	cl->plan->verb = verb;
	cl->plan->exclusive = true;
	title(cl->plan, verb, o);
	if (!cl->who.admin)
		plan_guard_kmem(cl->plan, verb); /* root is not limited */
	if (o->set[O_DRYRUN]) {
		rc = dry_build(cl, verb, &c);
		if (!rc)
			rc = precheck(cl->plan, &c);
		if (rc)
			return cli_finish(verb, &c, rc);
		plan_render_open(stdout, cl->plan, &c);
		if (render)
			render(stdout, &c, arg);
		plan_render_close(stdout);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	require_root(verb);
	rc = cli_finish(verb, &c, cl->build ? txn_write(cl->plan, &c, cl->build, cl->build_arg)
					    : txn_execute(cl->plan, &c));
	return rc || !then ? rc : then(&c, arg);
}

int cli_run(struct cli *cl, const char *verb, const struct opts *o)
{
	return cli_run_then(cl, verb, o, NULL, NULL, NULL);
}

/* The plan and fn with no lock around them. */
static int read_unlocked(struct plan *p, struct txn *c, int (*fn)(struct txn *, void *), void *arg)
{
	int rc = txn_run_ops(p, c);

	if (!rc && fn)
		rc = fn(c, arg);
	txn_close(c);
	return rc;
}

int cli_read(struct cli *cl, const char *verb, const struct opts *o, const struct read_verb *r)
{
	struct txn c;
	int rc;

	if (r->caps)
		caps_keep(r->caps);
	require_root(verb);
	txn_init(&c, &cl->who, cli_wait(verb, o));
	cl->plan->verb = verb;
	cl->plan->exclusive = false;
	if (rundir_open(false, &c.err) < 0 && c.err.code)
		return cli_finish(verb, &c, c.err.code);
	if (r->lockless || rundir_fd() < 0)
		rc = read_unlocked(cl->plan, &c, r->fn, r->arg);
	else
		rc = txn_read(cl->plan, &c, r->fn, r->arg);
	if (!rc && r->then)
		rc = r->then(&c, r->arg);
	return cli_finish(verb, &c, rc);
}
