/*
 * The probe verb of npte-probe and npte-lab probe: FROM and TO checked as
 * the caller's, the path and its shaping read back under the shared lock,
 * then the measurement (lock released) by processes that are the caller,
 * the verdicts, and the record written as the caller.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "cli/cli.h"
#include "base/escape.h"
#include "base/optspecs.h"
#include "kernel/netns.h"
#include "kernel/requests.h"
#include "ops/ops.h"
#include "priv/asuser.h"
#include "probe/probe.h"
#include "txn/owner.h"

/* What the measuring needs, and no more: */
static const int caps_probe[] = {
	CAP_SYS_ADMIN, /* setns(2): the read under the lock, and each child into FROM or TO */
	CAP_SETUID,    /* each child becomes the caller (setresuid) */
	CAP_SETGID,    /* (setresgid, setgroups) */
	CAP_KILL,      /* and is ended when the probe is: it is the caller's, a root
			* without CAP_KILL cannot signal it */
	-1,
};

#define CAND_MAX 64
static struct probe pr;
static char cand[CAND_MAX][16];
static struct path_ns ns[CAND_MAX];
static int nns;

/* The first address of want (AF_INET first: the lab's) that the namespace
 * at has a route to. */
static bool pick(int at, int family, const struct ipaddr *a, int n, struct ipaddr *out)
{
	struct netlink nl;
	bool found = false;

	if (netns_nl(ns[at].fd, &nl) < 0)
		return false;
	for (int i = 0; i < n && !found; i++)
		if (a[i].family == family && req_route_oif(&nl, &a[i]) > 0)
			*out = a[i], found = true;
	netlink_close(&nl);
	return found;
}

/* An address of ns[of] that ns[at] routes to. */
static int address(int of, int at, struct ipaddr *out, struct err *e)
{
	struct ipaddr a[32];
	struct netlink nl;
	int n, rc = netns_nl(ns[of].fd, &nl);

	if (rc < 0)
		return err_sys(e, EXIT_FAIL, -rc, "%s: netlink", ns[of].name);
	n = req_addr_list(&nl, a, 32);
	netlink_close(&nl);
	if (n < 0)
		return err_sys(e, EXIT_FAIL, -n, "%s: list addresses", ns[of].name);
	if (!pick(at, AF_INET, a, n, out) && !pick(at, AF_INET6, a, n, out))
		return err_set(e, EXIT_FAIL, "%s has no address that %s has a route to", ns[of].name, ns[at].name);
	return 0;
}

/* 0: ns[] has it; -1: not the caller's (or no room): skipped; else the exit code. */
static int add_ns(struct txn *c, const char *name)
{
	struct marker m;
	struct nshandle *h;
	int rc = owner_check(c, name, &m, &h);

	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", name);
	if (rc != OWN_MINE || nns == CAND_MAX)
		return -1;
	if ((ns[nns].fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return err_sys(&c->err, EXIT_FAIL, errno, "%s", name);
	ns[nns++].name = name;
	return 0;
}

/* FROM, TO (the guards checked them: refused the same way here), then every
 * other namespace of the caller's that a path may cross. */
static int gather(struct txn *c)
{
	int n = c->who.admin ? marker_list(cand, CAND_MAX) : marker_list_owned(c->who.uid, cand, CAND_MAX), rc;
	const char *end[2] = {pr.from, pr.to};

	for (int i = 0; i < 2; i++)
		if ((rc = add_ns(c, end[i])))
			return rc < 0 ? deny(c, pr.verb, end[i]) : rc;
	for (int i = 0; i < n; i++)
		if (strcmp(cand[i], pr.from) && strcmp(cand[i], pr.to) && (rc = add_ns(c, cand[i])) > 0)
			return rc;
	return 0;
}

static void stamp(void)
{
	struct utsname u;
	time_t t = time(NULL);
	struct tm tm;

	if (uname(&u) == 0)
		snprintf(pr.kernel, sizeof pr.kernel, "%s", u.release);
	if (gmtime_r(&t, &tm))
		strftime(pr.when, sizeof pr.when, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int under_lock(struct txn *c, void *arg)
{
	int rc;

	(void)arg;
	if ((rc = gather(c)))
		return rc;
	if (address(1, 0, &pr.dst, &c->err) || address(0, 1, &pr.src, &c->err))
		return c->err.code;
	if ((rc = path_walk(ns, nns, 0, 1, &pr.dst, &pr.fwd)) < 0 ||
	    (rc = path_walk(ns, nns, 1, 0, &pr.src, &pr.rev)) < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "read the path's qdiscs");
	path_applied(&pr.fwd, &pr.afwd);
	path_applied(&pr.rev, &pr.arev);
	pr.from_fd = ns[0].fd, pr.to_fd = ns[1].fd;
	stamp();
	return 0;
}

/* --duration S (1..PROBE_DURATION_MAX) and --load. */
static void options(const char *verb, const struct opts *o)
{
	static const char *const loads[] = {"none", "up", "down", "both"};
	const char *load = o->set[O_LOAD] ? o->val[O_LOAD] : "both";
	unsigned s = 5;
	struct err e = {0};
	int k = -1;

	if (o->set[O_DURATION] && (!parse_seconds(o->val[O_DURATION], &s, &e) || s < 1 || s > PROBE_DURATION_MAX))
		die(EXIT_USAGE, "%s: invalid --duration '%s': whole seconds, 1 to %d", verb, disp(o->val[O_DURATION]),
		    PROBE_DURATION_MAX);
	for (int i = 0; i < 4; i++)
		if (strcmp(load, loads[i]) == 0)
			k = i;
	if (k < 0)
		die(EXIT_USAGE, "%s: invalid --load '%s': none, up, down or both", verb, disp(load));
	pr.seconds = (int)s;
	pr.load[PH_UP] = k == 1 || k == 3;
	pr.load[PH_DOWN] = k == 2 || k == 3;
	if (o->set[O_RECORD] && (!o->val[O_RECORD][0] || strlen(o->val[O_RECORD]) >= 4096))
		die(EXIT_USAGE, "%s: invalid --json file name '%s'", verb, disp(o->val[O_RECORD]));
}

/* Bytes npte rendered, written by a child that is the caller: her umask,
 * her working directory, only where she may write. */
static void deliver(struct cli *cl, const char *verb, const char *opt, const char *path, char *buf, size_t len)
{
	int rc = caller_file_write(&cl->who, cl->state ? cl->state->cwd : "", cl->state ? cl->state->umask : 022,
				   path, buf, len);

	free(buf);
	if (rc < 0)
		die(EXIT_FAIL, "%s: %s %s: cannot write it as uid %u: %s", verb, opt, disp(path), (unsigned)cl->who.uid,
		    caller_file_strerror(rc));
}

static void record(struct cli *cl, const char *verb, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool made = false;

	if (f) {
		probe_json(f, &pr, NPTE_VERSION);
		made = fclose(f) == 0;
	}
	if (!made)
		die(EXIT_FAIL, "%s: out of memory for the record", verb);
	deliver(cl, verb, "--json", path, buf, len);
}

/* FILE.svg or FILE.png: the suffix says which. */
static bool plot_png(const char *verb, const char *path)
{
	size_t n = strlen(path);

	if (n > 4 && n < 4096 && strcmp(path + n - 4, ".png") == 0)
		return true;
	if (n > 4 && n < 4096 && strcmp(path + n - 4, ".svg") == 0)
		return false;
	die(EXIT_USAGE, "%s: invalid --plot '%s': a file name ending in .svg or .png", verb, disp(path));
}

static void plot(struct cli *cl, const char *verb, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = probe_plot(&pr, plot_png(verb, path), &buf, &len);

	if (rc < 0)
		die(EXIT_FAIL, "%s: --plot: cannot draw it: %s", verb, strerror(-rc));
	deliver(cl, verb, "--plot", path, buf, len);
}

/* The path read back under the shared lock, then the measuring and the verdicts. */
static int measure(struct cli *cl, const struct opts *o, const char *verb, const int *caps)
{
	struct err e = {0};
	int rc = cli_read(cl, verb, o, &(struct read_verb){.caps = caps, .fn = under_lock});

	if (rc)
		return rc;
	if ((rc = probe_run(&pr, &e)))
		die(rc, "%s: %s", verb, e.msg);
	probe_judge(&pr);
	return 0;
}

/* What one run gathered goes; what was asked stays (a sweep's next cell). */
static void forget(void)
{
	struct probe asked = pr;

	for (int i = 0; i < nns; i++)
		close(ns[i].fd);
	nns = 0;
	memset(&pr, 0, sizeof pr);
	pr.verb = asked.verb, pr.from = asked.from, pr.to = asked.to, pr.seconds = asked.seconds;
	memcpy(pr.load, asked.load, sizeof pr.load);
	pr.who = asked.who, pr.state = asked.state, pr.echo = asked.echo;
}

/* --- sweeps ----------------------------------------------------------------- */

/* A sweep also changes the shaping between its cells: */
static const int caps_sweep[] = {
	CAP_SYS_ADMIN, /* as caps_probe, and setns for each change */
	CAP_NET_ADMIN, /* each cell's qdisc change, over netlink */
	CAP_SETUID,
	CAP_SETGID,
	CAP_KILL,
	-1,
};

static struct sweep sw;
static struct sweep_point pts[SWEEP_CELLS_MAX];

static bool sweep_parse(int fd, void *arg, struct err *e)
{
	return sweep_read(&sw, fd, NULL, arg, e);
}

/* Cell i's qdiscs in: the first by a replace, every later one changed in
 * place (the same handle, the queue kept), as one write transaction. */
static int apply_cell(struct cli *cl, const char *verb, const struct opts *o, int i)
{
	struct plan p = {.verb = verb, .exclusive = true};
	struct txn c;
	int rc;

	snprintf(p.title, sizeof p.title, "%s %s: cell %d", prog, verb, i + 1);
	for (int k = 0; k < sw.nat; k++) {
		plan_guard_owned(&p, verb, sw.at[k].ns, 0);
		plan_guard_dev(&p, verb, sw.at[k].ns, sw.at[k].dev);
		if (i == 0)
			plan_qdisc_root(&p, sw.at[k].ns, sw.at[k].dev, sw.cell[i].kind[k], &sw.cell[i].q[k], NULL);
		else
			plan_qdisc_change(&p, sw.at[k].ns, sw.at[k].dev, sw.cell[i].kind[k], &sw.cell[i].q[k]);
	}
	if (!cl->who.admin)
		plan_guard_kmem(&p, verb);
	txn_init(&c, &cl->who, cli_wait(verb, o));
	rc = cli_finish(verb, &c, txn_execute(&p, &c));
	plan_free(&p);
	return rc;
}

/* Cell i as a JSON object, and its heading on the terminal. */
static void cell_describe(const char *file, int i)
{
	FILE *f = fmemopen(pr.cell_json, sizeof pr.cell_json - 1, "w");

	printf("cell %d of %d (%s:%u):", i + 1, sw.ncells, disp(file), sw.cell[i].line);
	if (f)
		fprintf(f, "{\"index\":%d,\"line\":%u,\"set\":[", i + 1, sw.cell[i].line);
	for (int k = 0; k < sw.nat; k++) {
		const char *kind = qkind_of(sw.cell[i].kind[k])->name, *words = qspec_words(&sw.cell[i].q[k]);

		printf("%s %s %s %s %s", k ? ";" : "", sw.at[k].ns, sw.at[k].dev, kind, words);
		if (!f)
			continue;
		fprintf(f, "%s{\"netns\":\"%s\",\"dev\":", k ? "," : "", sw.at[k].ns);
		json_str(f, sw.at[k].dev);
		fprintf(f, ",\"kind\":\"%s\",\"words\":", kind);
		json_str(f, words);
		fputc('}', f);
	}
	putchar('\n');
	if (f) {
		bool bad = fputs("]}", f) < 0;

		if (fclose(f) || bad)
			pr.cell_json[0] = '\0';
	}
}

static double or_nan(bool have, double v)
{
	return have ? v : NAN;
}

static void point(int i)
{
	struct sweep_point *pt = &pts[i];
	double applied_rtt = pr.afwd.delay_ms + pr.arev.delay_ms;

	pt->rtt_ms = or_nan(pr.rtt[PH_IDLE].got > 0, pr.rtt[PH_IDLE].median);
	pt->rtt_applied_ms = or_nan(pr.afwd.delay || pr.arev.delay, applied_rtt);
	pt->up_mbps = or_nan(pr.load[PH_UP] && pr.bulk[PH_UP].ok, pr.bulk[PH_UP].steady_bps / 1e6);
	pt->down_mbps = or_nan(pr.load[PH_DOWN] && pr.bulk[PH_DOWN].ok, pr.bulk[PH_DOWN].steady_bps / 1e6);
	pt->up_applied_mbps = or_nan(pr.afwd.rate, pr.afwd.rate_bps / 1e6);
	pt->down_applied_mbps = or_nan(pr.arev.rate, pr.arev.rate_bps / 1e6);
}

/* Every cell: its change, its probe, its lines; the records into rec. */
static int cells(struct cli *cl, const struct opts *o, const char *verb, const char *file, FILE *rec)
{
	int rc;

	for (int i = 0; i < sw.ncells; i++) {
		forget();
		if ((rc = apply_cell(cl, verb, o, i)) || (rc = measure(cl, o, verb, caps_sweep)))
			return rc;
		cell_describe(file, i);
		probe_print(stdout, &pr);
		if (rec)
			probe_json(rec, &pr, NPTE_VERSION);
		point(i);
	}
	return 0;
}

static int sweep(struct cli *cl, const struct opts *o, const char *verb, const char *file)
{
	struct err e = {0};
	char *rbuf = NULL, *pbuf = NULL, title[160];
	size_t rlen = 0, plen = 0;
	FILE *rec = NULL;
	int rc;

	if (!cli_parse_file(cl, verb, file, SWEEP_FILE_MAX + 1ULL, caps_sweep, sweep_parse, (void *)file, &e))
		die(e.code, "%s: %s", verb, e.msg);
	if (o->set[O_RECORD] && !(rec = open_memstream(&rbuf, &rlen)))
		die(EXIT_FAIL, "%s: out of memory for the record", verb);
	rc = cells(cl, o, verb, file, rec);
	if (rec && fclose(rec) && !rc)
		rc = EXIT_FAIL, warn_msg("%s: out of memory for the record", verb);
	if (rc) {
		free(rbuf);
		return rc;
	}
	if (rec)
		deliver(cl, verb, "--json", o->val[O_RECORD], rbuf, rlen);
	snprintf(title, sizeof title, "npte-probe --sweep %s -> %s, %d cells, %s", pr.from, pr.to, sw.ncells, pr.when);
	if (o->set[O_PLOT]) {
		if ((rc = probe_sweep_plot(pts, sw.ncells, title, plot_png(verb, o->val[O_PLOT]), &pbuf, &plen)))
			die(EXIT_FAIL, "%s: --plot: cannot draw it: %s", verb, strerror(-rc));
		deliver(cl, verb, "--plot", o->val[O_PLOT], pbuf, plen);
	}
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

int cli_probe(struct cli *cl, const struct opts *o, const char *verb, const char *from, const char *to)
{
	int rc;

	pr.verb = verb;
	pr.from = cli_netns(verb, from), pr.to = cli_netns(verb, to);
	if (strcmp(from, to) == 0)
		die(EXIT_USAGE, "%s: FROM and TO are the same namespace '%s'", verb, from);
	options(verb, o);
	if (o->set[O_PLOT])
		plot_png(verb, o->val[O_PLOT]);
	if (o->set[O_DRYRUN])
		die(EXIT_USAGE, "%s: a probe changes nothing: there is no -n", verb);
	pr.who = &cl->who, pr.state = cl->state;
	plan_guard_owned(cl->plan, verb, from, 0);
	plan_guard_owned(cl->plan, verb, to, 0);
	if (o->set[O_SWEEP])
		return sweep(cl, o, verb, o->val[O_SWEEP]);
	if ((rc = measure(cl, o, verb, caps_probe)))
		return rc;
	probe_print(stdout, &pr);
	if (o->set[O_RECORD])
		record(cl, verb, o->val[O_RECORD]);
	if (o->set[O_PLOT])
		plot(cl, verb, o->val[O_PLOT]);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}
