/*
 * Arrays that grow (grow.h): the plan's ops and the journal reader's entries
 * take what the work holds, keep the same limits, and a failed allocation
 * is an exit 1 (the plan) or -ENOMEM (the journal), never a crash or a
 * journal line taken for bad.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "base/capacity.h"
#include "base/err.h"
#include "base/grow.h"
#include "txn/journal.h"
#include "ops/ops.h"
#include "txn/plan.h"

static const struct op_type nop = {.name = "nop"};

/* ASan reserves the address space that a low RLIMIT_AS would starve. */
#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN true
#else
#define UNDER_ASAN false
#endif

/* Run fn in a child with its stderr in err (n bytes): its exit status, or -1. */
static int in_child(void (*fn)(void), char *err, size_t n)
{
	int fds[2], st;
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (len + 1 < n && (got = read(fds[0], err + len, n - 1 - len)) > 0)
		len += (size_t)got;
	err[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Address space for what is mapped now plus extra bytes, no more. */
static void limit_as(size_t extra)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld", &pages) != 1)
		_exit(9);
	fclose(f);
	rlim_t lim = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + extra;
	if (setrlimit(RLIMIT_AS, &(struct rlimit){lim, lim}) < 0)
		_exit(9);
}

static void grows(void)
{
	size_t cap = 0, was;
	int *a = grow(NULL, &cap, 1, sizeof *a, 1000), *b;
	bool kept = true;

	ok(a && cap >= 1 && cap <= 1000, "the first block holds one at least (%zu)", cap);
	for (size_t i = 0; a && i < cap; i++)
		a[i] = (int)i;
	was = cap;
	ok(grow(a, &cap, was, sizeof *a, 1000) == a && cap == was, "room enough: the same block");
	b = grow(a, &cap, was + 1, sizeof *a, 1000);
	ok(b && cap > was && cap <= 1000, "one more: a larger block (%zu)", cap);
	for (size_t i = 0; b && i < was; i++)
		kept &= b[i] == (int)i;
	ok(kept, "what it held moved along");
	a = b ? b : a;
	b = grow(a, &cap, 999, sizeof *a, 1000);
	ok(b && cap == 1000, "never past the limit: 1000, not a power of two");
	a = b ? b : a;
	ok(!grow(a, &cap, 1001, sizeof *a, 1000) && cap == 1000, "past the limit: NULL, the block kept");
	free(a);
}

/* A plan of many veth pairs: each link-up names the ends of its own pair,
 * though the ops moved while the pair was being planned. */
static void plan_moves(void)
{
	struct plan p = {0};
	char right[16], want[24];
	bool same = true;

	for (int i = 0; i < 200; i++) {
		snprintf(right, sizeof right, "r%d", i);
		plan_veth_add(&p, "left", right);
	}
	/* each: the pair, DAD off on both ends, both ends up */
	is_int((long)p.n, 1000, "200 veth pairs: 1000 ops");
	for (int i = 0; i < 200 && p.n == 1000; i++) {
		const struct op *up = &p.ops[5 * i + 3], *peer = &p.ops[5 * i + 4];

		snprintf(right, sizeof right, "r%d", i);
		snprintf(want, sizeof want, "if-%s", right);
		same &= strcmp(up->ns, "left") == 0 && strcmp(up->u.link.ifname, want) == 0 &&
			strcmp(peer->ns, right) == 0 && strcmp(peer->u.link.ifname, "if-left") == 0;
	}
	ok(same, "every link up names its pair's ends (no read of ops that moved)");
	plan_free(&p);
}

static void full_plan(void)
{
	struct plan p = {0};

	for (int i = 0; i < PLAN_MAX; i++)
		plan_add(&p, &nop);
	fprintf(stderr, "held %zu\n", p.n);
	plan_add(&p, &nop);
}

static void starved_plan(void)
{
	struct plan p = {0};

	limit_as(4 << 20);
	for (int i = 0; i < PLAN_MAX; i++)
		plan_add(&p, &nop);
	_exit(3); /* every op fitted: the limit did not bite */
}

static void limits(void)
{
	char err[512];
	int st = in_child(full_plan, err, sizeof err);

	ok(st == EXIT_USAGE && strstr(err, "held 16384\n") &&
	   strstr(err, "too many operations in one transaction (at most 16384)"),
	   "PLAN_MAX ops fit; one more is refused with exit 2 (%d: %s)", st, err);
	if (UNDER_ASAN) {
		skip(1, "under ASan");
		return;
	}
	st = in_child(starved_plan, err, sizeof err);
	ok(st == EXIT_FAIL && strstr(err, "out of memory for the plan (operation "),
	   "no memory for the plan: exit 1 and why, not a crash (%d: %s)", st, err);
}

/* A journal of n ops, each a valid line, in a buffer the caller frees. */
static char *journal_text(int n, size_t *len)
{
	size_t cap = 64 + (size_t)n * 32, at;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	at = (size_t)snprintf(t, cap, "npte-journal 4\npid=1\nuid=0\nprog=npte-netns\nverb=create\n");
	for (int i = 0; i < n; i++)
		at += (size_t)snprintf(t + at, cap - at, "op %d netns add|n%d|\n", i, i % 1000);
	*len = at;
	return t;
}

static int parse_text(char *t, size_t len, size_t *n)
{
	const struct jentry *j;
	char head[256];
	FILE *f = fmemopen(t, len, "r");
	int rc;

	if (!f)
		return -EIO;
	rc = journal_parse(f, &j, n, head, sizeof head, NULL);
	fclose(f);
	return rc;
}

static void starved_journal(void)
{
	size_t len, n = 0;
	char *t = journal_text(16000, &len);
	int rc;

	if (!t)
		_exit(9);
	limit_as(4 << 20);
	rc = parse_text(t, len, &n);
	_exit(rc == -ENOMEM ? 0 : rc == 1 ? 3 : 4);
}

static void journal(void)
{
	size_t len, n = 0;
	char *t, err[512];
	int rc;

	/* first: a child of a process that has read the journal inherits its room */
	if (UNDER_ASAN) {
		skip(1, "under ASan");
	} else {
		rc = in_child(starved_journal, err, sizeof err);
		ok(rc == 0, "no memory for the journal: -ENOMEM, not lines skipped as bad (%d)", rc);
	}
	t = journal_text(16000, &len);
	rc = t ? parse_text(t, len, &n) : -EIO;
	ok(rc == 1 && n == 16000 && !journal_skipped(), "a journal of 16000 ops is read whole (%d, %zu)", rc, n);
	free(t);
}

int main(void)
{
	prog = "t-grow";
	grows();
	plan_moves();
	limits();
	journal();
	return done_testing();
}
