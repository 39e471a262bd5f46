/*
 * npte-lab: the reference's client/router/server lab (plus IPv6), made and
 * removed as one transaction from the same plan builders the primitives use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include "cli/cli.h"
#include "kernel/config.h"
#include "base/err.h"
#include "kernel/lock.h"
#include "kernel/netns.h"
#include "ops/ops.h"
#include "base/optspecs.h"
#include "kernel/registry.h"
#include "shape/profiles.h"
#include "play/player.h"
#include "shape/schedules.h"
#include "kernel/qdisc_describe.h"
#include "kernel/requests.h"
#include "shape/shape.h"
#include "kernel/nsview.h"
#include "base/escape.h"
#include "priv/asuser.h"
#include "topo/topo.h"

#define USAGE \
	"usage: npte-lab up [-n] [--wait S] [--prefix P] FILE\n" \
	"       npte-lab down [-n] [--wait S] [--prefix P] [--kill] FILE\n" \
	"       npte-lab status [--json] [--prefix P] [FILE]\n" \
	"       npte-lab show-file NAME\n" \
	"       npte-lab create [-n] [--wait S] [--prefix P]   (up of the built-in file)\n" \
	"       npte-lab destroy [-n] [--wait S] [--prefix P] [--kill]\n" \
	"       npte-lab netem [-n] [--wait S] [--prefix P] [--profile NAME] [--down WORDS] [--up WORDS]\n" \
	"       npte-lab netem --list | --show [--json] [--prefix P]\n" \
	"       npte-lab play [-n] [--wait S] [--prefix P] [--loop] [--keep] [--json] --profile NAME | --list\n" \
	"       npte-lab play [-n] [--wait S] [--prefix P] [--loop] [--keep] [--json] FILE   (its play lines)\n" \
	"       npte-lab probe [--duration S] [--load none|up|down|both] [--json FILE] [--plot FILE]\n" \
	"                      [--sweep FILE] [--prefix P]\n" \
	"       npte-lab -h | --help | --version\n" \
	"FILE: npte-lab.conf(5); a word of [a-z0-9-] names a shipped one (default, dumbbell,\n" \
	"two-path, chain, star). Namespaces are P plus each node's name, at most 12 bytes.\n" \
	"WORDS: tc-netem(8) words for one direction (down: router to client; up: router to server).\n"

static const int caps_all[] = {
	CAP_SYS_ADMIN, /* mount(2) and unshare(2) for namespaces, setns(2) for sockets inside */
	CAP_NET_ADMIN, /* links, addresses and routes over netlink */
	CAP_SETUID,    /* destroy: a child that is the caller finds (and --kill ends) the caller's */
	CAP_SETGID,    /* processes in the lab (setresuid; setresgid, setgroups) */
	CAP_KILL,      /* and ends that child at its deadline: it is the caller's, she may stop it,
			* and a root without CAP_KILL cannot signal her processes (reap would wait) */
	-1,
};
/* every verb but destroy (status and netem --show drop to caps_read) */
static const int caps_build[] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, -1};
static const int caps_read[] = {CAP_SYS_ADMIN, -1}; /* status: setns to read inside */

/* Exit 2 naming what was given and what there is: the names of a table
 * (profiles, shipped schedules) whose entries, stride bytes apart, start with
 * their name and end with a NULL one. */
static _Noreturn void unknown_profile(const char *verb, const char *given, const char *const *entry, size_t stride)
{
	char avail[1024] = "";
	size_t len = 0;

	for (; *entry && len < sizeof avail; entry = (const char *const *)((const char *)entry + stride))
		len += (size_t)snprintf(avail + len, sizeof avail - len, " %s", *entry);
	die(EXIT_USAGE, "%s: unknown profile '%s'; available:%s", verb, disp(given), avail);
}

/* --- topology files: up, down, status, show-file ------------------------------ */

/* 2.7 MiB: allocated by the verb that reads a file, not carried in every run's BSS. */
static struct topo *topo;

/* A topology read with the caller's rights: through a child that is the caller. */
struct topo_file { const char *path, *prefix; };

static bool topo_read(int fd, void *arg, struct err *e)
{
	const struct topo_file *f = arg;

	return topo_parse(topo, fd, NULL, f->path, f->prefix, e);
}

/* FILE (a shipped name, or a path), or the built-in default when arg is NULL,
 * parsed for --prefix: exit 2 on the first error. keep (unless NULL): the
 * capabilities left once a file is being read. */
static void load(struct cli *cl, const char *verb, const struct opts *o, const char *arg, const int *keep)
{
	const char *prefix = o->set[O_PREFIX] ? cli_netns(verb, o->val[O_PREFIX]) : "";
	struct err e = {0};
	bool ok;

	if (strlen(prefix) > TOPO_PREFIX_MAX)
		die(EXIT_USAGE, "%s: --prefix '%s' is too long: at most %d bytes", verb, prefix, TOPO_PREFIX_MAX);
	if (!(topo = calloc(1, sizeof *topo)))
		die(EXIT_FAIL, "%s: out of memory for a topology", verb);
	if (!arg)
		arg = "default";
	if (topo_is_shipped_name(arg)) {
		const char *text = topo_shipped(arg);

		if (!text)
			die(EXIT_USAGE, "%s: no shipped topology '%s' (shipped: %s; a path has a / or a .)", verb,
			    disp(arg), topo_shipped_names());
		if (keep)
			caps_keep(keep);
		ok = topo_parse(topo, -1, text, arg, prefix, &e);
	} else {
		ok = cli_parse_file(cl, verb, arg, TOPO_FILE_MAX + 1ULL, keep, topo_read,
				    &(struct topo_file){.path = arg, .prefix = prefix}, &e);
	}
	if (!ok)
		die(e.code, "%s: %s", verb, e.msg);
}

/* netem and play --profile act on the built-in lab as up made it: the
 * router's namespace, and its interfaces toward the client (down) and the
 * server (up), from lab/default.lab under --prefix. */
static char router[NETNS_NAME_MAX + 4];
static char toward[2][IFNAME_MAX + 1];

static void names(struct cli *cl, const char *verb, const struct opts *o)
{
	static const int end[2] = {LAB_CLIENT, LAB_SERVER};
	int r;

	cli_npos(verb, o, 0, 0);
	load(cl, verb, o, NULL, NULL);
	if ((r = topo_find(topo, lab_role[LAB_ROUTER])) < 0)
		die(EXIT_FAIL, "%s: the built-in lab has no %s", verb, lab_role[LAB_ROUTER]);
	topo_ns(topo, r, router, sizeof router);
	for (int i = 0; i < 2; i++) {
		int n = topo_find(topo, lab_role[end[i]]);

		if (n < 0)
			die(EXIT_FAIL, "%s: the built-in lab has no %s", verb, lab_role[end[i]]);
		topo_ifname(topo, n, toward[i], sizeof toward[i]);
	}
}

static const char *file_arg(const struct opts *o)
{
	return o->npos ? o->pos[0] : NULL;
}

static int up(struct cli *cl, struct opts *o, const char *verb)
{
	struct config cfg;
	struct err e = {0};

	load(cl, verb, o, file_arg(o), caps_build);
	cl->fix_taken = strcmp(verb, "up") ? "use another prefix: npte-lab create --prefix P"
					   : "use another prefix: npte-lab up --prefix P FILE";
	cl->fix_mine = strcmp(verb, "up") ? "the lab already exists (npte-lab destroy removes it)"
					  : "the topology is up already (npte-lab down FILE removes it)";
	if (config_load(&cfg, &e))
		die(e.code, "%s: %s", verb, e.msg);
	topo_plan_up(topo, cl->plan, verb, cfg.max_namespaces);
	return cli_run(cl, verb, o);
}

static int cmd_up(struct cli *cl, struct opts *o)
{
	cli_npos("up", o, 1, 1);
	return up(cl, o, "up");
}

/* create: up of the built-in file */
static int cmd_create(struct cli *cl, struct opts *o)
{
	cli_npos("create", o, 0, 0);
	return up(cl, o, "create");
}

/* A node's gateway goes with it (npte-gateway.8): found under the lock. */
static int down_gateways(struct plan *p, struct txn *c, void *arg)
{
	static char names[TOPO_NODES_MAX][16];

	(void)arg;
	for (int i = 0; i < topo->nnodes; i++)
		topo_ns(topo, i, names[i], sizeof names[i]);
	return plan_gateway_gone(p, c, names, topo->nnodes);
}

static int down(struct cli *cl, struct opts *o, const char *verb)
{
	load(cl, verb, o, file_arg(o), NULL); /* --kill's reader: caps_all */
	topo_plan_down(topo, cl->plan, verb, o->set[O_KILL]);
	cl->build = down_gateways;
	return cli_run_then(cl, verb, o, NULL, plan_destroy_report, NULL);
}

static int cmd_down(struct cli *cl, struct opts *o)
{
	cli_npos("down", o, 1, 1);
	return down(cl, o, "down");
}

static int cmd_destroy(struct cli *cl, struct opts *o)
{
	cli_npos("destroy", o, 0, 0);
	return down(cl, o, "destroy");
}

struct status {
	struct topo_part *parts;
	size_t n;
};

static int status_under_lock(struct txn *c, void *arg)
{
	struct status *st = arg;

	topo_status(c, topo, st->parts);
	return 0;
}

static void status_print(const struct opts *o, const struct status *st)
{
	size_t have = 0;

	for (size_t i = 0; i < st->n; i++)
		have += st->parts[i].present;
	const char *state = have == st->n ? "complete" : have ? "partial" : "absent";
	if (o->set[O_JSON]) {
		printf("{\"state\":\"%s\",\"parts\":[", state);
		for (size_t i = 0; i < st->n; i++) {
			printf("%s{\"kind\":\"%s\",\"what\":", i ? "," : "", st->parts[i].kind);
			json_str(stdout, st->parts[i].what);
			printf(",\"present\":%s}", st->parts[i].present ? "true" : "false");
		}
		puts("]}");
		return;
	}
	if (o->npos)
		printf("topology %s%s%s: %s (%zu of %zu parts)\n", disp(topo->file), topo->prefix[0] ? ", prefix " : "",
		       topo->prefix, state, have, st->n);
	else
		printf("lab %sclient, %srouter, %sserver: %s (%zu of %zu parts)\n", topo->prefix, topo->prefix,
		       topo->prefix, state, have, st->n);
	for (size_t i = 0; i < st->n; i++)
		printf("  %-7s %-9s %s\n", st->parts[i].present ? "ok" : "missing", st->parts[i].kind,
		       st->parts[i].what);
}

static int cmd_status(struct cli *cl, struct opts *o)
{
	static struct status st;
	int rc;

	cli_npos("status", o, 0, 1);
	load(cl, "status", o, file_arg(o), caps_read);
	if (!(st.parts = calloc(topo_nparts(topo), sizeof *st.parts)))
		die(EXIT_FAIL, "status: out of memory");
	st.n = topo_nparts(topo);
	rc = cli_read(cl, "status", o, &(struct read_verb){.caps = caps_read, .fn = status_under_lock, .arg = &st});
	if (rc)
		return rc;
	status_print(o, &st);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

static int cmd_show_file(struct cli *cl, struct opts *o)
{
	const char *text;

	(void)cl;
	cli_npos("show-file", o, 1, 1);
	if (!(text = topo_shipped(o->pos[0])))
		die(EXIT_USAGE, "show-file: no shipped topology '%s' (shipped: %s)", disp(o->pos[0]),
		    topo_shipped_names());
	fputs(text, stdout);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

static struct netem_spec spec[2];
static struct qdisc_child child[2];

/* A profile direction into the same spec npte-netem apply would build. */
static void direction(const struct link_dir *d, int i)
{
	char words[SHAPE_WORDS_LEN] = "";
	struct err e = {0};
	double tick = shape_tick_in_usec();
	bool ok = profile_words(d, words, sizeof words, tick, &e) && netem_parse_str(&spec[i], words, tick, &e);

	if (d->child) {
		snprintf(child[i].kind, sizeof child[i].kind, "%s", d->child);
		snprintf(child[i].rate, sizeof child[i].rate, "%s", d->child_rate);
		ok &= shape_rate(d->child_rate, &child[i].rate64, &e);
	}
	if (!ok)
		die(EXIT_FAIL, "netem: built-in profile is invalid: %s", e.msg);
}

static void list_profiles(void)
{
	for (const struct profile *p = profiles; p->name; p++) {
		const struct link_dir *dir[2] = {&p->down, &p->up};

		printf("%s\n  %s\n", p->name, p->desc);
		for (int i = 0; i < 2; i++) {
			const struct link_dir *d = dir[i];

			printf("  %-4s delay %s", i ? "up" : "down", d->delay);
			if (d->loss) printf(", loss %s", d->loss);
			if (d->rate) printf(", rate %s", d->rate);
			if (d->limit) printf(", limit %s", d->limit);
			if (d->child) printf(", %s %s", d->child, d->child_rate);
			putchar('\n');
		}
		printf("  source: %s\n", p->source);
	}
}

/* --show: the root qdisc and its child on each of the router's two sides. */
struct shown {
	struct qdisc_desc q[2][2];
	int n[2];
};

static int show_under_lock(struct txn *c, void *arg)
{
	struct shown *sh = arg;
	struct marker m;
	struct nshandle *h;

	if (owner_check_nl(c, router, &m, &h) != OWN_MINE)
		return deny(c, "netem", router);
	for (int i = 0; i < 2; i++) {
		const char *ifn = toward[i];
		int idx, rc;

		idx = req_ifindex(&h->nl, ifn);
		if (idx == -ENODEV)
			continue;
		if (idx < 0)
			return err_sys(&c->err, EXIT_FAIL, -idx, "%s: %s", router, ifn);
		rc = qdisc_describe(&h->nl, idx, sh->q[i], &sh->n[i], shape_tick_in_usec());
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", router, ifn);
	}
	return 0;
}

static int show_netem(struct cli *cl, struct opts *o)
{
	static struct shown sh;
	static const char *const dir[2] = {"down", "up"};
	int rc;

	if (o->set[O_PROFILE] || o->set[O_DOWN] || o->set[O_UP] || o->set[O_LIST] || o->set[O_DRYRUN])
		die(EXIT_USAGE, "netem: --show reads only: no --profile, --down, --up, --list or -n with it");
	names(cl, "netem", o);
	rc = cli_read(cl, "netem", o, &(struct read_verb){.caps = caps_read, .fn = show_under_lock, .arg = &sh});
	if (rc)
		return rc;
	if (o->set[O_JSON])
		fputc('{', stdout);
	for (int i = 0; i < 2; i++) {
		const char *ifn = toward[i];

		if (o->set[O_JSON]) {
			printf("%s\"%s\":{\"netns\":", i ? "," : "", dir[i]);
			json_str(stdout, router);
			printf(",\"dev\":");
			json_str(stdout, ifn);
			printf(",\"qdiscs\":[");
		} else {
			printf("%-4s %s %s:%s\n", dir[i], router, ifn, sh.n[i] ? "" : " (the kernel's default)");
		}
		for (int k = 0; k < sh.n[i]; k++) {
			if (o->set[O_JSON]) {
				fputs(k ? "," : "", stdout);
				qdisc_desc_json(stdout, NULL, &sh.q[i][k]);
			} else {
				qdisc_desc_text(stdout, NULL, &sh.q[i][k]);
			}
		}
		if (o->set[O_JSON])
			printf("]}");
	}
	if (o->set[O_JSON])
		puts("}");
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

/* --down/--up WORDS: one direction as netem words, no child. */
static void direction_words(const char *opt, const char *v, int i)
{
	struct err e = {0};

	if (!netem_parse_str(&spec[i], v, shape_tick_in_usec(), &e))
		die(EXIT_USAGE, "netem: invalid %s '%s': %s", opt, disp(v), e.msg);
	cli_bps_notes("netem", v);
	memset(&child[i], 0, sizeof child[i]);
}

static int cmd_netem(struct cli *cl, struct opts *o)
{
	const struct profile *p = NULL;
	bool set[2];

	if (o->set[O_SHOW])
		return show_netem(cl, o);
	caps_keep(caps_build);
	if (o->set[O_JSON])
		die(EXIT_USAGE, "netem: --json goes with --show");
	if (o->set[O_LIST]) {
		if (o->set[O_PROFILE] || o->set[O_DOWN] || o->set[O_UP])
			die(EXIT_USAGE, "netem: --list takes no other option");
		cli_npos("netem", o, 0, 0);
		list_profiles();
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	names(cl, "netem", o);
	if (o->set[O_PROFILE] && !(p = profile_find(o->val[O_PROFILE])))
		unknown_profile("netem", o->val[O_PROFILE], &profiles[0].name, sizeof profiles[0]);
	/* Downlink leaves the router toward the client, uplink toward the server.
	 * A profile sets both; --down/--up replace its direction; with neither
	 * (and no profile) a direction is left as it is. Nothing at all: clear. */
	for (int i = 0; i < 2; i++) {
		set[i] = p != NULL;
		if (p)
			direction(i ? &p->up : &p->down, i);
	}
	if (o->set[O_DOWN])
		direction_words("--down", o->val[O_DOWN], 0), set[0] = true;
	if (o->set[O_UP])
		direction_words("--up", o->val[O_UP], 1), set[1] = true;
	plan_guard_owned(cl->plan, "netem", router, 0);
	for (int i = 0; i < 2; i++) {
		if (!set[0] && !set[1]) {
			plan_qdisc_clear(cl->plan, router, toward[i]);
			continue;
		}
		if (set[i])
			plan_netem(cl->plan, router, toward[i], &spec[i], child[i].kind[0] ? &child[i] : NULL);
	}
	return cli_run(cl, "netem", o);
}

/* --- play: a shipped schedule on both directions ------------------------------ */

/* Both directions' schedules, 6.6 MiB: allocated by the verb that reads them,
 * not carried in every run's BSS. */
static struct schedule *sched;
static struct play play;

static void sched_alloc(void)
{
	if (!(sched = calloc(2, sizeof *sched)))
		die(EXIT_FAIL, "play: out of memory for two schedules");
}

/* One play line's schedule: a shipped one's direction, or a file the caller reads. */
static void play_line(struct cli *cl, const struct topo_play *tp, struct schedule *s, const int *keep)
{
	struct err e = {0};

	if (tp->shipped_text) {
		if (keep)
			caps_keep(keep);
		if (!schedule_parse_text(s, tp->shipped_text, tp->name, play_words_ok, NULL, &e))
			die(EXIT_FAIL, "play: shipped schedule %s is invalid: %s", tp->name, e.msg);
		return;
	}
	cli_read_schedule(cl, "play", tp->path, keep, s);
}

/* play FILE: every play line of a topology, in one player (one node, at most two ends). */
static int play_file(struct cli *cl, struct opts *o)
{
	struct err e = {0};

	if (o->set[O_PROFILE])
		die(EXIT_USAGE, "play: --profile or FILE, not both");
	load(cl, "play", o, o->pos[0], NULL); /* its schedules are read as the caller next */
	if (!topo->nplays)
		die(EXIT_USAGE, "play: %s has no play line", disp(topo->file));
	sched_alloc();
	topo_ns(topo, topo->plays[0].node, play.ns, sizeof play.ns);
	play.verb = "play";
	play.nd = topo->nplays;
	for (int i = 0; i < topo->nplays; i++) {
		struct play_dir *d = &play.d[i];

		/* the last reader forked, only what play needs is left */
		play_line(cl, &topo->plays[i], &sched[i], i == topo->nplays - 1 ? caps_build : NULL);
		topo_ifname(topo, topo->plays[i].peer, d->ifname, sizeof d->ifname);
		d->label = d->ifname;
		d->s = &sched[i];
		if (!play_dir_kind(d, &e) || (o->set[O_LOOP] && !schedule_loop_ok(d->s, &e)))
			die(e.code, "play: %s: %s", topo->plays[i].name, e.msg);
	}
	play.loop = o->set[O_LOOP];
	play.keep = o->set[O_KEEP];
	play.json = o->set[O_JSON];
	return cli_play(cl, "play", o, &play);
}

static int cmd_play(struct cli *cl, struct opts *o)
{
	const struct shipped_schedule *p;
	struct err e = {0};

	if (o->npos == 1 && !o->set[O_LIST])
		return play_file(cl, o);
	caps_keep(caps_build);
	if (o->set[O_LIST]) {
		if (o->set[O_PROFILE] || o->set[O_DRYRUN] || o->set[O_LOOP] || o->set[O_KEEP])
			die(EXIT_USAGE, "play: --list takes no other option but --json");
		cli_npos("play", o, 0, 0);
		return cli_play_list(stdout, o->set[O_JSON]);
	}
	names(cl, "play", o);
	if (!o->set[O_PROFILE])
		die(EXIT_USAGE, "play: give --profile NAME (--list shows them)");
	if (!(p = shipped_schedule_find(o->val[O_PROFILE])))
		unknown_profile("play", o->val[O_PROFILE], &shipped_schedules[0].name, sizeof shipped_schedules[0]);
	sched_alloc();
	snprintf(play.ns, sizeof play.ns, "%s", router);
	play.verb = "play";
	play.nd = 2;
	for (int i = 0; i < 2; i++) {
		struct play_dir *d = &play.d[i];

		if (!schedule_parse_text(&sched[i], i ? p->up : p->down, p->name, play_words_ok, NULL, &e))
			die(EXIT_FAIL, "play: shipped schedule %s is invalid: %s", p->name, e.msg);
		_Static_assert(sizeof d->ifname == sizeof toward[i], "one interface name size");
		memcpy(d->ifname, toward[i], sizeof d->ifname);
		d->label = i ? "up" : "down";
		d->s = &sched[i];
		if (!play_dir_kind(d, &e) || (o->set[O_LOOP] && !schedule_loop_ok(d->s, &e)))
			die(EXIT_FAIL, "play: shipped schedule %s: %s", p->name, e.msg);
	}
	play.loop = o->set[O_LOOP];
	play.keep = o->set[O_KEEP];
	play.json = o->set[O_JSON];
	return cli_play(cl, "play", o, &play);
}

/* --- probe: npte-probe client server ------------------------------------------ */

static int cmd_probe(struct cli *cl, struct opts *o)
{
	char ns[2][NETNS_NAME_MAX + 4];
	static const int end[2] = {LAB_CLIENT, LAB_SERVER};

	names(cl, "probe", o);
	for (int i = 0; i < 2; i++)
		topo_ns(topo, topo_find(topo, lab_role[end[i]]), ns[i], sizeof ns[i]);
	return cli_probe(cl, o, "probe", ns[0], ns[1]);
}

static const struct verb verbs[] = {
	{"create", cmd_create, spec_lab_mutate},
	{"destroy", cmd_destroy, spec_lab_destroy},
	{"up", cmd_up, spec_lab_mutate},
	{"down", cmd_down, spec_lab_destroy},
	{"status", cmd_status, spec_lab_read},
	{"show-file", cmd_show_file, spec_help},
	{"netem", cmd_netem, spec_lab_netem},
	{"play", cmd_play, spec_lab_play},
	{"probe", cmd_probe, spec_lab_probe},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-lab", .usage = USAGE, .caps = caps_all, .verbs = verbs)
