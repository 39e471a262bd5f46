/*
 * npte-netem: shape the root of an interface in a namespace the caller owns:
 * netem (delay, jitter, loss models, queue limit, rate, slots) with an
 * optional tbf or cake child, a plain tbf rate limit, or nothing at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include "cli/cli.h"
#include "base/err.h"
#include "ops/ops.h"
#include "base/optspecs.h"
#include "priv/asuser.h"
#include "play/player.h"
#include "shape/mahimahi.h"
#include "shape/shape.h"
#include "base/escape.h"
#include "kernel/qdisc_describe.h"

#define USAGE \
	"usage: npte-netem apply [-n] [--wait S] NS IFACE [WORDS...] [--delay D] [--loss L]\n" \
	"                        [--limit N] [--rate R] [--slot S] [--duplicate P] [--corrupt P]\n" \
	"                        [--reorder P] [--ecn] [--child tbf|cake --child-rate RATE]\n" \
	"       npte-netem tbf [-n] [--wait S] NS IFACE WORDS...\n" \
	"       npte-netem change [-n] [--wait S] NS IFACE WORDS...\n" \
	"       npte-netem rate [-n] [--wait S] NS IFACE RATE [--burst SIZE] [--latency T]\n" \
	"       npte-netem clear [-n] [--wait S] NS IFACE\n" \
	"       npte-netem show [--json] NS IFACE\n" \
	"       npte-netem play [-n] [--wait S] [--loop] [--keep] [--json] NS IFACE FILE\n" \
	"       npte-netem play [-n] ... NS IFACE --trace-mahimahi TRACE [--window T] [WORDS...]\n" \
	"       npte-netem -h | --help | --version\n" \
	"WORDS are tc-netem(8)'s (apply, change) or tc-tbf(8)'s (tbf, change) words.\n"

static const int caps_all[] = {
	CAP_SYS_ADMIN, /* setns(2) to open a netlink socket inside the namespace */
	CAP_NET_ADMIN, /* RTM_NEWQDISC / RTM_DELQDISC */
	CAP_SETUID,    /* play: a child reads the schedule as the caller (setresuid) */
	CAP_SETGID,    /* ... with the caller's gid and groups (setresgid, setgroups) */
	-1,
};
/* Every verb but play, and play once its file is open. */
static const int caps_shape[] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, -1};

/* The root's spec and the child, static for their size (a netem's with its words). */
static union qspec spec;
static struct qdisc_child child;

/* Each option is a spelling of one tc clause, after the words. */
static const struct { int id; enum netem_kw kw; } flags[] = {
	{O_DELAY, NK_DELAY}, {O_LOSS, NK_LOSS}, {O_LIMIT, NK_LIMIT}, {O_RATE, NK_RATE},
	{O_SLOT, NK_SLOT}, {O_DUPLICATE, NK_DUPLICATE}, {O_CORRUPT, NK_CORRUPT},
	{O_REORDER, NK_REORDER}, {O_ECN, NK_ECN},
};

/* The words after IFACE, then each option's clause, as netem words into
 * spec; false with the reason (naming the option or the words) in e. */
static bool netem_words(const struct opts *o, struct err *e)
{
	char words[SHAPE_WORDS_LEN] = "";
	double tick = shape_tick_in_usec();

	if (o->npos - 2 > SHAPE_WORDS_MAX)
		return err_set(e, EXIT_USAGE, "too many words"), false;
	for (int i = 2; i < o->npos; i++) {
		size_t len = strlen(words);

		if (!o->pos[i][0] || strpbrk(o->pos[i], " \t"))
			return err_set(e, EXIT_USAGE, "one word per argument: '%s'", disp(o->pos[i])), false;
		if (strlen(o->pos[i]) + len + 2 > sizeof words)
			return err_set(e, EXIT_USAGE, "words too long"), false;
		snprintf(words + len, sizeof words - len, "%s%s", len ? " " : "", o->pos[i]);
	}
	for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
		int id = flags[k].id;
		struct err fe = {0};

		if (o->set[id] && !netem_flag(words, sizeof words, flags[k].kw, o->val[id], tick, &fe))
			return err_set(e, EXIT_USAGE, "--%s '%s': %s", netem_kw_name[flags[k].kw],
				       o->val[id] ? disp(o->val[id]) : "", fe.msg), false;
	}
	return netem_parse_str(&spec.netem, words, tick, e);
}

/* The words from positional first on, and the options that hold rates. */
static void bps_notes(const char *verb, const struct opts *o, int first)
{
	for (int i = first; i < o->npos; i++)
		cli_bps_notes(verb, o->pos[i]);
	for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
		if (o->set[flags[k].id] && o->val[flags[k].id])
			cli_bps_notes(verb, o->val[flags[k].id]);
	if (o->set[O_CHILD_RATE])
		cli_bps_notes(verb, o->val[O_CHILD_RATE]);
}

static bool any_flag(const struct opts *o)
{
	for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
		if (o->set[flags[k].id])
			return true;
	return false;
}

/* NS IFACE, then min - 2 .. max - 2 more arguments; the verbs that shape now
 * need no more than the shaping capabilities. */
static void target(const char *verb, const struct opts *o, int min, int max, const char **ns,
		   const char **ifname)
{
	caps_keep(caps_shape);
	cli_npos(verb, o, min, max);
	*ns = cli_netns(verb, o->pos[0]);
	*ifname = cli_ifname(verb, o->pos[1]);
}

/* --child KIND --child-rate RATE into child, as the kind makes a child of a rate. */
static void child_of(const struct opts *o)
{
	const char *name = o->val[O_CHILD], *rate = o->val[O_CHILD_RATE];
	const struct qdisc_kind *k = qkind_find(name);
	union qspec q;
	struct err e = {0};
	char kinds[64];

	qkind_child_names(kinds, sizeof kinds);
	if (!k || !k->from_rate)
		die(EXIT_USAGE, "apply: invalid --child '%s': must be %s", disp(name), kinds);
	if (!o->set[O_CHILD_RATE])
		die(EXIT_USAGE, "apply: --child %s needs --child-rate RATE", name);
	if (strlen(rate) >= sizeof child.rate)
		die(EXIT_USAGE, "apply: invalid --child-rate '%s': too long", disp(rate));
	if (!k->from_rate(&q, rate, &e) || !shape_rate(rate, &child.rate64, &e))
		die(EXIT_USAGE, "apply: invalid --child-rate '%s': %s", disp(rate), e.msg);
	snprintf(child.kind, sizeof child.kind, "%s", name);
	snprintf(child.rate, sizeof child.rate, "%s", rate);
}

static int cmd_apply(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;
	struct err e = {0};

	target("apply", o, 2, ARGS_POS_MAX, &ns, &ifname);
	if (!netem_words(o, &e))
		die(EXIT_USAGE, "apply: invalid netem words: %s", e.msg);
	if (o->set[O_CHILD])
		child_of(o);
	else if (o->set[O_CHILD_RATE])
		die(EXIT_USAGE, "apply: --child-rate needs --child");
	bps_notes("apply", o, 2);
	plan_guard_owned(cl->plan, "apply", ns, 0);
	plan_guard_dev(cl->plan, "apply", ns, ifname);
	plan_netem(cl->plan, ns, ifname, &spec.netem, o->set[O_CHILD] ? &child : NULL);
	return cli_run(cl, "apply", o);
}

/* The words after IFACE as tbf words. */
static bool tbf_words(const struct opts *o, struct err *e)
{
	if (o->npos - 2 > SHAPE_WORDS_MAX)
		return err_set(e, EXIT_USAGE, "too many words"), false;
	return tbf_kind.parse(&spec, o->npos - 2, (char *const *)o->pos + 2, shape_tick_in_usec(), e);
}

static int cmd_tbf(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;
	struct err e = {0};

	target("tbf", o, 3, ARGS_POS_MAX, &ns, &ifname);
	if (!tbf_words(o, &e))
		die(EXIT_USAGE, "tbf: invalid tbf words: %s", e.msg);
	bps_notes("tbf", o, 2);
	plan_guard_owned(cl->plan, "tbf", ns, 0);
	plan_guard_dev(cl->plan, "tbf", ns, ifname);
	plan_tbf(cl->plan, ns, ifname, &spec.tbf);
	return cli_run(cl, "tbf", o);
}

/* The words say which: tbf's always name a burst, which netem has no word for. */
static int cmd_change(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;
	struct err ne = {0}, te = {0};
	enum qkind kind = QK_NETEM;

	target("change", o, 2, ARGS_POS_MAX, &ns, &ifname);
	if (o->set[O_CHILD] || o->set[O_CHILD_RATE])
		die(EXIT_USAGE, "change: --child: a change keeps the root's children as they are");
	if (!netem_words(o, &ne)) {
		if (any_flag(o) || !tbf_words(o, &te))
			die(EXIT_USAGE, "change: invalid words: as netem words: %s%s%s", ne.msg,
			    any_flag(o) ? "" : "; as tbf words: ", any_flag(o) ? "" : te.msg);
		kind = QK_TBF;
	}
	bps_notes("change", o, 2);
	plan_guard_owned(cl->plan, "change", ns, 0);
	plan_guard_dev(cl->plan, "change", ns, ifname);
	plan_qdisc_change(cl->plan, ns, ifname, kind, &spec);
	return cli_run(cl, "change", o);
}

static int cmd_rate(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;
	struct err e = {0};

	target("rate", o, 3, 3, &ns, &ifname);
	if (!tbf_parse(&spec.tbf, o->pos[2], o->set[O_BURST] ? o->val[O_BURST] : NULL,
		       o->set[O_LATENCY] ? o->val[O_LATENCY] : NULL, &e))
		die(EXIT_USAGE, "rate: %s", e.msg);
	bps_notes("rate", o, 2);
	plan_guard_owned(cl->plan, "rate", ns, 0);
	plan_guard_dev(cl->plan, "rate", ns, ifname);
	plan_tbf(cl->plan, ns, ifname, &spec.tbf);
	return cli_run(cl, "rate", o);
}

static int cmd_clear(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname;

	target("clear", o, 2, 2, &ns, &ifname);
	plan_guard_owned(cl->plan, "clear", ns, 0);
	plan_guard_dev(cl->plan, "clear", ns, ifname);
	plan_qdisc_clear(cl->plan, ns, ifname);
	return cli_run(cl, "clear", o);
}

/* --- show ------------------------------------------------------------------ */

/* show: reading inside needs setns and nothing more */
static const int caps_read[] = {CAP_SYS_ADMIN, -1};

struct shown {
	const char *ns, *ifname;
	struct qdisc_desc q[QDISC_DESC_MAX];
	int n;
};

/* Under the shared lock, after the ownership guard: the interface's qdiscs,
 * into memory (printed after the unlock, so a pipe nobody reads stalls no writer). */
static int show_under_lock(struct txn *c, void *arg)
{
	struct shown *sh = arg;
	struct nshandle *h;
	int idx = ops_ifindex(c, sh->ns, sh->ifname, &h), rc;

	if (idx < 0)
		return c->err.code;
	rc = qdisc_describe_all(&h->nl, idx, sh->q, QDISC_DESC_MAX, &sh->n, shape_tick_in_usec());
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read qdiscs", sh->ns, sh->ifname);
	return 0;
}

/* NS IFACE: every qdisc on it as tc words, the words `apply`, `tbf` and `change` take back. */
static int cmd_show(struct cli *cl, struct opts *o)
{
	static struct shown sh;
	int rc;

	cli_npos("show", o, 2, 2);
	sh.ns = cli_netns("show", o->pos[0]);
	sh.ifname = cli_ifname("show", o->pos[1]);
	plan_guard_owned(cl->plan, "show", sh.ns, 0);
	rc = cli_read(cl, "show", o, &(struct read_verb){.caps = caps_read, .fn = show_under_lock, .arg = &sh});
	if (rc)
		return rc;
	if (o->set[O_JSON]) {
		fputs("{\"netns\":", stdout);
		json_str(stdout, sh.ns);
		fputs(",\"dev\":", stdout);
		json_str(stdout, sh.ifname);
		fputs(",\"qdiscs\":[", stdout);
	} else {
		printf("%s %s:%s\n", sh.ns, sh.ifname, sh.n && !sh.q[0].handle ? " (the kernel's default)" : "");
	}
	for (int k = 0; k < sh.n; k++) {
		if (o->set[O_JSON]) {
			fputs(k ? "," : "", stdout);
			qdisc_desc_json(stdout, NULL, &sh.q[k]);
		} else {
			qdisc_desc_text(stdout, NULL, &sh.q[k]);
		}
	}
	if (o->set[O_JSON])
		puts("]}");
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

/* --- play ------------------------------------------------------------------ */

/* 3.4 MiB: allocated by play, not carried in every run's BSS. */
static struct schedule *sched;
static struct play play;

/*
 * npte-netem play NS IFACE FILE, or NS IFACE --trace-mahimahi TRACE [WORDS...]
 * (WORDS: netem words added to every step, e.g. a delay). The file is read
 * with the caller's rights (asuser.h) and parsed whole before anything changes.
 */
/* The words after TRACE, added to every step of the trace: one string. */
static void trace_words(const struct opts *o, char *words, size_t n)
{
	for (int i = 2; i < o->npos; i++) {
		size_t len = strlen(words);

		if (strlen(o->pos[i]) + len + 2 > n)
			die(EXIT_USAGE, "play: too many words");
		snprintf(words + len, n - len, "%s%s", len ? " " : "", o->pos[i]);
	}
}

struct trace_file { const char *path, *words; uint64_t window; };

static bool trace_parse(int fd, void *arg, struct err *e)
{
	const struct trace_file *t = arg;

	return schedule_from_mahimahi(sched, fd, t->path, t->window, t->words, play_words_ok, NULL, e);
}

static int cmd_play(struct cli *cl, struct opts *o)
{
	const char *ns, *ifname, *path;
	char words[SHAPE_WORDS_LEN] = "";
	struct err e = {0};
	uint64_t window = 100000000ULL;

	cli_npos("play", o, 2, o->set[O_TRACE] ? ARGS_POS_MAX : 3);
	ns = cli_netns("play", o->pos[0]);
	ifname = cli_ifname("play", o->pos[1]);
	if (!o->set[O_TRACE] && o->npos != 3)
		die(EXIT_USAGE, "play: give a schedule FILE, or --trace-mahimahi TRACE\n%s", USAGE);
	if (o->set[O_WINDOW] && (!o->set[O_TRACE] || !sched_time(o->val[O_WINDOW], &window)))
		die(EXIT_USAGE, "play: invalid --window '%s': a time (e.g. 100ms) with --trace-mahimahi",
		    disp(o->val[O_WINDOW]));
	path = o->set[O_TRACE] ? o->val[O_TRACE] : o->pos[2];
	if (o->set[O_TRACE])
		trace_words(o, words, sizeof words);
	if (!(sched = calloc(1, sizeof *sched)))
		die(EXIT_FAIL, "play: out of memory for a schedule");
	if (!o->set[O_TRACE])
		cli_read_schedule(cl, "play", path, caps_shape, sched);
	else if (!cli_parse_file(cl, "play", path, SCHED_TRACE_MAX + 1ULL, caps_shape, trace_parse,
				 &(struct trace_file){.path = path, .words = words, .window = window}, &e))
		die(e.code, "play: %s", e.msg);
	snprintf(play.ns, sizeof play.ns, "%s", ns);
	play.verb = "play";
	play.nd = 1;
	snprintf(play.d[0].ifname, sizeof play.d[0].ifname, "%s", ifname);
	play.d[0].label = play.d[0].ifname;
	play.d[0].s = sched;
	if (!play_dir_kind(&play.d[0], &e))
		die(e.code, "play: %s: %s", disp(path), e.msg);
	play.loop = o->set[O_LOOP];
	if (play.loop && !schedule_loop_ok(sched, &e))
		die(e.code, "play: %s: %s", disp(path), e.msg);
	play.keep = o->set[O_KEEP];
	play.json = o->set[O_JSON];
	if (o->set[O_TRACE])
		bps_notes("play", o, 2); /* the words added to every step */
	return cli_play(cl, "play", o, &play);
}

static const struct verb verbs[] = {
	{"apply", cmd_apply, spec_netem_apply},
	{"tbf", cmd_tbf, spec_netem_tbf},
	{"change", cmd_change, spec_netem_apply},
	{"rate", cmd_rate, spec_netem_rate},
	{"play", cmd_play, spec_netem_play},
	{"clear", cmd_clear, spec_mutate},
	{"show", cmd_show, spec_read},
	{NULL, NULL, NULL},
};

CLI_MAIN(.name = "npte-netem", .usage = USAGE, .caps = caps_all, .verbs = verbs)
