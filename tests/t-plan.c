/*
 * The plan: dry-run goldens for npte-netns, and the executor's rollback
 * order (completed ops undone newest first, ops without undo skipped, the
 * first error kept).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "tap.h"
#include "base/err.h"
#include "ops/ops.h"
#include "txn/journal.h"
#include "txn/plan.h"
#include "txn/render.h"
#include "txn/txn.h"

static struct plan plan;
static char log_buf[512];

static void logf_(const char *what, const struct op *op)
{
	size_t len = strlen(log_buf);

	snprintf(log_buf + len, sizeof log_buf - len, "%s%s:%s", len ? " " : "", what, op->ns);
}

/* flags: 0 makes its object, 1 fails having made nothing, 2 fails having
 * made part of it (recorded first, like netns add's placeholder). */
static int fake_apply(struct txn *c, const struct op *op, bool undo)
{
	unsigned fail = op->u.guard.flags;

	if (undo) {
		logf_("undo", op);
		if (strcmp(op->ns, "badundo") == 0)
			return err_set(&c->err, EXIT_FAIL, "undo failed");
		return 0;
	}
	logf_("do", op);
	if (fail != 1)
		txn_made(c, &(struct ident){.cookie = 42});
	if (fail)
		return err_set(&c->err, EXIT_FAIL, "%s: injected failure", op->ns);
	return 0;
}

static void fake_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	(void)c;
	if (undo)
		fprintf(f, "undo %s", op->ns);
	else
		fprintf(f, "do %s\n", op->ns);
}

static const struct op_type undoable = {.name = "undoable", .apply = fake_apply, .render = fake_render,
					.undoable = true};
static const struct op_type final = {.name = "final", .apply = fake_apply, .render = fake_render};

static void add(const struct op_type *t, const char *name, unsigned fail)
{
	struct op *op = plan_add(&plan, t);

	snprintf(op->ns, sizeof op->ns, "%s", name);
	op->u.guard.flags = fail;
}

static void reset(void)
{
	plan_free(&plan);
	memset(&plan, 0, sizeof plan);
	log_buf[0] = '\0';
}

static char *render(const struct caller *who)
{
	static char out[8192];
	struct txn c;
	FILE *f = fmemopen(out, sizeof out, "w");

	txn_init(&c, who, 30);
	plan_render(f, &plan, &c);
	fclose(f);
	return out;
}

/* True when every line of s before the line starting with body is a comment. */
static bool only_comments_before(const char *s, const char *body)
{
	const char *end = strstr(s, body);

	if (!end || (end != s && end[-1] != '\n'))
		return false;
	for (const char *line = s; line < end; line = strchr(line, '\n') + 1)
		if (*line != '#')
			return false;
	return true;
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Compare with a golden file; NPTE_GOLDEN_UPDATE=1 rewrites it (then review the diff). */
static void golden(const char *path, const char *got, const char *name)
{
	const char *want = slurp(path);

	if (getenv("NPTE_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
		want = got;
	}
	ok(want != NULL, "%s: golden %s readable", name, path);
	is_str(got, want ? want : "", name);
}

int main(void)
{
	struct caller alice = {.uid = 1000, .gid = 1000, .admin = false, .root = true};
	struct caller admin = {.uid = 0, .gid = 0, .admin = true, .root = true};
	struct txn c;
	int rc;

	prog = "npte-netns";

	/* Rollback: ops 0..2 complete, 3 fails; undo 2? no (final), then 1, 0. */
	reset();
	add(&undoable, "a", false);
	add(&undoable, "b", false);
	add(&final, "c", false);
	add(&undoable, "d", true);
	add(&undoable, "e", false);
	txn_init(&c, &alice, 0);
	rc = txn_run_ops(&plan, &c);
	is_int(rc, EXIT_FAIL, "failing op's exit code is returned");
	is_str(log_buf, "do:a do:b do:c do:d undo:b undo:a", "completed ops undone newest first; no undo for the failed or final op");
	is_str(c.err.msg, "d: injected failure", "the first error is kept");
	ok(c.warn[0] == '\0', "no rollback warning when every undo works");

	/* An undo that fails does not stop the others, and is reported once. */
	reset();
	add(&undoable, "a", false);
	add(&undoable, "badundo", false);
	add(&undoable, "z", true);
	txn_init(&c, &alice, 0);
	rc = txn_run_ops(&plan, &c);
	is_str(log_buf, "do:a do:badundo do:z undo:badundo undo:a", "rollback goes on past a failing undo");
	is_str(c.err.msg, "z: injected failure", "the original error survives a failing undo");
	ok(strstr(c.warn, "undo failed") != NULL, "the failing undo is reported as a warning");

	/* Undo follows what the kernel confirmed, not what was attempted: a
	 * failed op that made part of its object is undone too, one that made
	 * nothing is not (its name may be someone else's). */
	reset();
	add(&undoable, "a", 0);
	add(&undoable, "half", 2);
	txn_init(&c, &alice, 0);
	txn_run_ops(&plan, &c);
	is_str(log_buf, "do:a do:half undo:half undo:a", "a failed op that made part of its object is undone");
	ok(plan.ops[1].made.set && plan.ops[1].made.cookie == 42, "the identity it recorded is kept with the op");
	reset();
	add(&undoable, "a", 0);
	add(&undoable, "taken", 1);
	txn_init(&c, &alice, 0);
	txn_run_ops(&plan, &c);
	is_str(log_buf, "do:a do:taken undo:a", "a failed op that made nothing is never undone");

	/* Success: nothing undone. */
	reset();
	add(&undoable, "a", false);
	add(&final, "b", false);
	txn_init(&c, &alice, 0);
	is_int(txn_run_ops(&plan, &c), 0, "a plan without failures succeeds");
	is_str(log_buf, "do:a do:b", "no undo after success");

	/* The rendered rollback mirrors the executor: thresholds by op position. */
	reset();
	add(&undoable, "a", false);
	add(&final, "b", false);
	add(&undoable, "c", false);
	plan.verb = "create";
	plan.exclusive = true;
	{
		const char *s = render(&alice);

		ok(strstr(s, "  if [ \"$step\" -ge 3 ]; then undo c || true; fi\n"
			     "  if [ \"$step\" -ge 1 ]; then undo a || true; fi\n") != NULL,
		   "script rollback lists undos newest first with their step");
		ok(strstr(s, "do a\nstep=1\ndo b\ndo c\nstep=3\n)\n") != NULL,
		   "script records the step after each undoable op and ends the subshell after the last");
		/* Pasted into an interactive shell, nothing may run outside the subshell. */
		ok(only_comments_before(s, "(\nset -eu\n") && strcmp(s + strlen(s) - 3, "\n)\n") == 0 &&
			   strstr(s, "\n)\n") == s + strlen(s) - 3,
		   "script: comments, then the whole body in one subshell, and nothing after it");
		ok(strchr(s, '\t') == NULL, "script has no tab (a pasted tab completes words)");
		ok(strstr(s, "    rollback\n    echo 'npte-netns: create: dry run failed, exit status' \"$rc\" >&2\n") != NULL,
		   "script rolls back and reports the exit status when it fails");
		ok(strstr(s, "flock -E 75 -w 30 9 & wait \"$!\" || {") != NULL &&
			   strstr(s, "printf 'pid=%s\\nuid=%s\\nprog=%s\\nverb=%s\\nsince=%s\\n' \"$!\" 1000 "
				     "npte-netns 'create (dry-run preview)' \"$(date +%s)\" >|/run/npte/lock\n") != NULL,
		   "script's holder record names flock's pid (the one in /proc/locks) and the preview");
		plan.exclusive = false;
		ok(strstr(render(&alice), "flock -s -E 75 -w 30 9 & wait") != NULL &&
			   strstr(render(&alice), "verb=%s\\nsince=%s\\n' \"$!\"") != NULL,
		   "a shared preview records itself too (its flock has exited)");
	}

	/* Long lines of the caller's words wrap, for busybox's line editor. */
	{
		static char out[8192], word[1001];
		size_t col = 10, longest = 0, at = 0;
		FILE *f = fmemopen(out, sizeof out, "w");

		memset(word, '\'', sizeof word - 1);
		render_wrapped(f, "short", &col);
		render_wrapped(f, word, &col);
		fclose(f);
		ok(strncmp(out, " short \\\n  '", 12) == 0, "a short word stays; a long one starts a new line");
		for (const char *nl; (nl = strchr(out + at, '\n')); at = (size_t)(nl - out) + 1)
			if ((size_t)(nl - out) - at > longest)
				longest = (size_t)(nl - out) - at;
		ok(longest <= RENDER_WIDTH && strlen(out + at) <= RENDER_WIDTH, "no line passes %d bytes", RENDER_WIDTH);
		is_int((long)col, (long)strlen(out + at), "the column is where the line ends");
	}

	/* Each undoable kind saves its own arguments and loads them back: the
	 * reloaded op renders (does and undoes) exactly as the original. */
	{
		static struct netem_spec ne = {.qopt = {.limit = 1000}};
		static struct tbf_spec tb;
		struct qdisc_child cake = {.kind = "cake", .rate = "20mbit"};
		struct ipaddr a4, a6, gw4, net4;
		unsigned p4, p6, pn;
		struct err e = {0};

		reset();
		plan_netns_create(&plan, "client");
		plan_veth_add(&plan, "client", "router");
		parse_cidr("10.0.1.2/24", &a4, &p4, NULL);
		parse_cidr("fd00::2/64", &a6, &p6, NULL);
		parse_ip("10.0.1.1", &gw4, NULL);
		parse_cidr("10.0.2.0/24", &net4, &pn, NULL);
		plan_addr(&plan, true, "client", "if-router", &a4, p4);
		plan_addr(&plan, true, "client", "if-router", &a6, p6);
		plan_route(&plan, true, "client", &(struct ipaddr){.family = AF_INET}, 0, &gw4);
		plan_route(&plan, true, "client", &net4, pn, &gw4);
		ok(netem_parse_str(&ne, "delay 25ms 5ms 20% distribution normal loss gemodel 1% 10% 70% 0.1% "
				   "rate 10mbit 20 duplicate 1% reorder 5% gap 2 corrupt 0.5% ecn", 15.625, &e),
		   "netem words parse: %s", e.msg);
		shape_rate("20mbit", &cake.rate64, &e);
		plan_netem(&plan, "router", "if-client", &ne, &cake);
		ok(tbf_parse(&tb, "5mbit", "32kb", "50ms", &e), "tbf words parse");
		plan_tbf(&plan, "router", "if-server", &tb);
		for (size_t i = 0; i < plan.n; i++) {
			const struct op *op = &plan.ops[i];
			static struct op back;
			char saved[1024], r1[2048], r2[2048];
			FILE *f1, *f2;
			struct txn cx;

			if (!op->type->undoable)
				continue;
			memset(&back, 0, sizeof back);
			back.type = op->type;
			snprintf(back.ns, sizeof back.ns, "%s", op->ns);
			ok(op->type->save(op, saved, sizeof saved) == 0 && !strpbrk(saved, "|\n") &&
			   op->type->load(&back, saved) == 0, "%s saves and loads '%s'", op->type->name, saved);
			txn_init(&cx, &alice, 30);
			f1 = fmemopen(r1, sizeof r1, "w");
			f2 = fmemopen(r2, sizeof r2, "w");
			op->type->render(f1, op, &cx, false);
			op->type->render(f1, op, &cx, true);
			back.type->render(f2, &back, &cx, false);
			back.type->render(f2, &back, &cx, true);
			fclose(f1);
			fclose(f2);
			ok(strcmp(r2, r1) == 0, "%s reloaded renders the same", op->type->name);
		}
		/* What a journal holds is validated again: a hostile field is refused. */
		static struct op bad;
		bad.type = op_type_find("addr add");
		ok(bad.type->load(&bad, "if-x,10.0.0.1/33") < 0, "addr: a bad CIDR is refused");
		ok(bad.type->load(&bad, "if/x,10.0.0.1/24") < 0, "addr: a bad ifname is refused");
		bad.type = op_type_find("qdisc replace");
		ok(bad.type->load(&bad, "lo;netem;1ms;corrupt 5%;;;;-;-") < 0, "qdisc: a word outside the grammar is refused");
		bad.type = op_type_find("veth add");
		ok(bad.type->load(&bad, "Router,if-a,if-b") < 0, "veth: a bad peer name is refused");
		bad.type = op_type_find("route add");
		ok(bad.type->load(&bad, "10.0.2.0/24,fd00::1") < 0, "route: mixed families are refused");
	}

	/* The journal has one format, the writer's: what no writer ever wrote
	 * (format 3's seven-field "made", format 1's "start") is skipped. */
	{
		static char text[] = "npte-journal 4\nprog=npte-netns\nverb=create\nuid=1000\npid=7\n"
				     "op 1 netns add|a|-\nop 2 netns add|b|-\n"
				     "made 1 11 12 13 0 0 1000 1073741824\n"
				     "made 2 21 22 23 0 0 1000\nstart 2\n";
		const struct jentry *j;
		char head[128];
		size_t n = 0;
		FILE *f = fmemopen(text, strlen(text), "r");

		ok(journal_parse(f, &j, &n, head, sizeof head, op_type_find) == 1 && n == 2,
		   "a journal of the current format is read");
		fclose(f);
		is_str(head, "npte-netns create, uid 1000, pid 7", "its head names the run");
		ok(n == 2 && j[0].op.made.set && j[0].op.made.cookie == 11 && j[0].op.made.nsid == 1073741824,
		   "an eight-field made record is kept");
		ok(n == 2 && !j[1].op.made.set, "a seven-field made record (format 3) is not");
		is_str(journal_skipped() ? journal_skipped() : "",
		       "line 9 (not a journal line), line 10 (not a journal line)", "both old lines are named as skipped");
	}

	/* Goldens of the real verbs. */
	reset();
	plan.verb = "create";
	plan.exclusive = true;
	snprintf(plan.title, sizeof plan.title, "npte-netns create client server");
	plan_netns_create(&plan, "client");
	plan_netns_create(&plan, "server");
	golden("tests/golden/netns-create.golden", render(&alice), "create, as a sudo user");

	reset();
	plan.verb = "destroy";
	plan.exclusive = true;
	snprintf(plan.title, sizeof plan.title, "npte-netns destroy client server");
	plan_guard_owned(&plan, "destroy", "client", GUARD_MAY_BE_GONE);
	plan_guard_owned(&plan, "destroy", "server", GUARD_MAY_BE_GONE);
	plan_netns_destroy(&plan, "client");
	plan_netns_destroy(&plan, "server");
	golden("tests/golden/netns-destroy.golden", render(&alice), "destroy, as a sudo user");
	golden("tests/golden/netns-destroy-admin.golden", render(&admin), "destroy, as the administrator");

	/* --kill --missing-ok: the caller's processes end first, a name already gone is fine */
	reset();
	plan.verb = "destroy";
	plan.exclusive = true;
	snprintf(plan.title, sizeof plan.title, "npte-netns destroy client --kill --missing-ok");
	plan_guard_owned(&plan, "destroy", "client", GUARD_MAY_BE_GONE | GUARD_ABSENT_OK);
	plan_netns_kill(&plan, "client");
	plan_netns_destroy(&plan, "client");
	golden("tests/golden/netns-destroy-kill.golden", render(&alice), "destroy --kill --missing-ok, as a sudo user");
	golden("tests/golden/netns-destroy-kill-admin.golden", render(&admin),
	       "destroy --kill --missing-ok, as the administrator (root's processes are never ended)");

	/* The gateway, as its build makes it from what the host has (the uplink,
	 * slot 3, both families' forwarding off there). */
	reset();
	plan.verb = "create";
	plan.exclusive = true;
	snprintf(plan.title, sizeof plan.title, "npte-gateway create router");
	plan_guard_owned(&plan, "create", "router", 0);
	{
		struct gw_info g = {.ns = "router", .uplink = "eth0", .slot = 3, .flags = GW_V6 | GW_UP4 | GW_UP6};

		plan_gateway_create(&plan, &g);
		golden("tests/golden/gateway-create.golden", render(&alice), "gateway create, as a sudo user");
		reset();
		plan.verb = "destroy";
		plan.exclusive = true;
		snprintf(plan.title, sizeof plan.title, "npte-gateway destroy router");
		plan_guard_owned(&plan, "destroy", "router", GUARD_MAY_BE_GONE);
		g.flags |= GW_LAST | GW_CHAINS | GW_LINK;
		plan_gateway_destroy(&plan, &g);
		golden("tests/golden/gateway-destroy.golden", render(&alice), "gateway destroy of the last one");
	}

	reset();
	plan.verb = "show";
	snprintf(plan.title, sizeof plan.title, "guard");
	plan_guard_owned(&plan, "show", "client", 0);
	ok(strstr(render(&alice), "grep -qsx owner=1000 /run/npte/netns/client && test -e /run/netns/client || "
				 "{ echo 'npte-netns: show: client: not found or not yours' >&2; exit 2; }\n") != NULL,
	   "guard of a verb that needs the namespace checks owner and existence");

	return done_testing();
}
