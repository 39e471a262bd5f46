/* The transaction journal (see journal.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/grow.h"
#include "txn/journal.h"
#include "base/escape.h"
#include "kernel/registry.h"
#include "base/validate.h"

static int jfd = -1;

/* "op INDEX TYPE|NAMESPACE|ARGS": each kind writes its own arguments. A line
 * the reader could not take whole refuses the plan here, before any change. */
static int op_line(FILE *f, size_t i, const struct op *op)
{
	char args[JOURNAL_LINE_MAX], line[JOURNAL_LINE_MAX];
	int len;

	if (op->type->save(op, args, sizeof args) < 0)
		return EINVAL;
	len = snprintf(line, sizeof line, "op %zu %s|%s|%s\n", i, op->type->name, op->ns, args);
	if (len < 0 || (size_t)len >= sizeof line)
		return E2BIG;
	return fputs(line, f) < 0 ? EIO : 0;
}

int journal_begin(const struct plan *p, uid_t uid)
{
	FILE *f;
	int fd, e = 0;

	/* a dead run's temporary (or anything planted) goes; ours is made new */
	unlinkat(rundir_fd(), ".journal.tmp", 0);
	fd = run_open(rundir_fd(), ".journal.tmp", O_WRONLY | O_CREAT | O_EXCL, S_IFREG, NULL);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		goto fail;
	}
	fprintf(f, "npte-journal 4\npid=%ld\nuid=%u\nprog=%s\nverb=%s\n", (long)getpid(),
		(unsigned)uid, prog, p->verb);
	for (size_t i = 0; i < p->n && !e; i++)
		if (p->ops[i].type->undoable)
			e = op_line(f, i, &p->ops[i]);
	if (fflush(f) && !e)
		e = errno;
	fclose(f);
	/* Appear whole or not at all. */
	if (!e && renameat(rundir_fd(), ".journal.tmp", rundir_fd(), NPTE_JOURNAL) < 0)
		e = errno;
	if (!e) {
		jfd = run_open(rundir_fd(), NPTE_JOURNAL, O_WRONLY | O_APPEND, S_IFREG, NULL);
		if (jfd >= 0)
			return 0;
		e = -jfd;
		jfd = -1;
		unlinkat(rundir_fd(), NPTE_JOURNAL, 0);
	}
fail:
	unlinkat(rundir_fd(), ".journal.tmp", 0);
	return -(e ? e : EIO);
}

/* One write per line, so a kill leaves whole lines (a torn last one is ignored). */
static void append(const char *line, int len)
{
	if (jfd < 0 || len <= 0)
		return;
	if (write(jfd, line, (size_t)len) != len) {
		/* nothing better to do: recovery then undoes less, never more */
	}
}

void journal_mark(const char *what, size_t i)
{
	char line[48];

	append(line, snprintf(line, sizeof line, "%s %zu\n", what, i));
}

void journal_made(size_t i, const struct ident *id)
{
	char line[160];

	append(line, snprintf(line, sizeof line, "made %zu %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %" PRIu32
			      " %" PRIu32 " %" PRId32 "\n", i, id->cookie, id->dev, id->ino, id->ifindex,
			      id->handle, id->owner, id->nsid));
}

void journal_commit(void)
{
	if (jfd < 0)
		return;
	unlinkat(rundir_fd(), NPTE_JOURNAL, 0);
	close(jfd);
	jfd = -1;
}

/* A dead run's ops as read, grown to what its journal holds (grow.h). */
static struct jentry *jops;
static size_t jops_cap;

static bool field(char **p, char *out, size_t n)
{
	char *bar = strchr(*p, '|');
	size_t len;

	if (!bar)
		bar = *p + strlen(*p);
	len = (size_t)(bar - *p);
	if (len >= n)
		return false;
	memcpy(out, *p, len);
	out[len] = '\0';
	if (strcmp(out, "-") == 0)
		out[0] = '\0';
	*p = *bar ? bar + 1 : bar;
	return true;
}

static int parse_op(char *line, struct jentry *j, const struct op_type *(*lookup)(const char *))
{
	char *p = strchr(line, ' '), *end, name[32];

	if (!p || line[0] < '0' || line[0] > '9')
		return -EINVAL;
	*p++ = '\0';
	memset(j, 0, sizeof *j);
	errno = 0;
	j->index = strtoul(line, &end, 10);
	if (errno || *end || j->index >= PLAN_MAX || !field(&p, name, sizeof name) || !field(&p, j->op.ns, sizeof j->op.ns) ||
	    !valid_netns_name(j->op.ns, NULL))
		return -EINVAL;
	/* Without a lookup (journal_pending) the type is not needed, only valid. */
	if (!lookup)
		return 0;
	j->op.type = lookup(name);
	if (!j->op.type || !j->op.type->undoable)
		return -EINVAL;
	/* The rest is the kind's own, validated by its own loader. */
	return j->op.type->load(&j->op, p);
}

/* The journal entry of plan index idx (entries are written in index order). */
static struct jentry *find(int n, size_t idx)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (jops[mid].index < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && jops[lo].index == idx ? &jops[lo] : NULL;
}

/* Lines of the last journal read that recovery could not use, for its note. */
static char skipped[160];
static unsigned nskipped;

static void skip(unsigned lineno, const char *why)
{
	size_t len = strlen(skipped);

	if (nskipped++ < 4)
		snprintf(skipped + len, sizeof skipped - len, "%sline %u (%s)", len ? ", " : "", lineno, why);
	else if (nskipped == 5)
		snprintf(skipped + len, sizeof skipped - len, " and more");
}

/* Room for op n (JOURNAL_OPS_MAX refuses it later): false when memory runs out. */
static bool room(int n)
{
	struct jentry *grown;

	if (n >= JOURNAL_OPS_MAX)
		return true;
	grown = grow(jops, &jops_cap, (size_t)n + 1, sizeof *jops, JOURNAL_OPS_MAX);
	if (grown)
		jops = grown;
	return grown != NULL;
}

/* An "op" line into jops[*n]; NULL, or why it cannot be used. */
static const char *take_op(char *line, int *n, const struct op_type *(*lookup)(const char *))
{
	if (*n >= JOURNAL_OPS_MAX)
		return "more ops than a plan holds";
	if (parse_op(line, &jops[*n], lookup) < 0)
		return "bad op";
	if (*n && jops[*n].index <= jops[*n - 1].index)
		return "op out of order";
	(*n)++;
	return NULL;
}

/* A record of what an op made, or that it was undone; false if it is none. */
static bool record(const char *line, int n)
{
	struct ident id = {.set = true};
	struct jentry *j;
	size_t idx;

	if (sscanf(line, "made %zu %" SCNu64 " %" SCNu64 " %" SCNu64 " %d %" SCNu32 " %" SCNu32 " %" SCNd32,
		   &idx, &id.cookie, &id.dev, &id.ino, &id.ifindex, &id.handle, &id.owner, &id.nsid) == 8) {
		if ((j = find(n, idx)))
			j->op.made = id; /* the last record of an op is the most it made */
		return true;
	}
	if (sscanf(line, "undone %zu", &idx) == 1) {
		if ((j = find(n, idx)))
			j->undone = true;
		return true;
	}
	return false;
}


/*
 * Parse strictly, line by line: a journal is root's own file, but a torn or
 * odd one must not make recovery act on names that never passed the
 * validators. A line that cannot be used costs that line (its op) only: it is
 * skipped and named, and every good op is still recovered.
 */
int journal_parse(FILE *f, const struct jentry **out, size_t *count, char *head, size_t hn,
		  const struct op_type *(*lookup)(const char *))
{
	char who[32] = "?", verb[32] = "?", uid[16] = "?", pid[16] = "?", line[JOURNAL_LINE_MAX];
	unsigned lineno = 0;
	int n = 0, ch;

	skipped[0] = '\0';
	nskipped = 0;
	while (fgets(line, sizeof line, f)) {
		char *eol = strchr(line, '\n');
		const char *why = NULL;

		lineno++;
		if (!eol) {
			/* longer than the writer writes, or torn by a kill: its rest goes too */
			skip(lineno, feof(f) ? "torn" : "too long");
			while ((ch = getc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		*eol = '\0';
		if (strncmp(line, "prog=", 5) == 0)
			snprintf(who, sizeof who, "%s", disp(line + 5));
		else if (strncmp(line, "verb=", 5) == 0)
			snprintf(verb, sizeof verb, "%s", disp(line + 5));
		else if (strncmp(line, "uid=", 4) == 0)
			snprintf(uid, sizeof uid, "%s", disp(line + 4));
		else if (strncmp(line, "pid=", 4) == 0)
			snprintf(pid, sizeof pid, "%s", disp(line + 4));
		else if (strncmp(line, "op ", 3) == 0 && !room(n))
			return -ENOMEM; /* not a bad line: skipping it would undo less */
		else if (strncmp(line, "op ", 3) == 0)
			why = take_op(line + 3, &n, lookup);
		else if (!record(line, n) && strcmp(line, "npte-journal 4") != 0)
			why = "not a journal line";
		if (why)
			skip(lineno, why);
	}
	if (ferror(f))
		return -EIO;
	snprintf(head, hn, "%s %s, uid %s, pid %s", who, verb, uid, pid);
	*out = jops;
	*count = (size_t)n;
	return 1;
}

/* The journal is root's regular file or nothing: head says what else it is. */
static int load(const struct jentry **out, size_t *count, char *head, size_t hn, const struct op_type *(*lookup)(const char *))
{
	struct err why = {0};
	int fd = run_open(rundir_fd(), NPTE_JOURNAL, O_RDONLY, S_IFREG, &why), rc;
	FILE *f;

	if (fd == -ENOENT)
		return 0;
	if (fd == -EMEDIUMTYPE)
		snprintf(head, hn, "%s/%s %s", NPTE_RUN_DIR, NPTE_JOURNAL, why.msg);
	else if (fd < 0)
		snprintf(head, hn, "%s/%s: %s", NPTE_RUN_DIR, NPTE_JOURNAL, strerror(-fd));
	if (fd < 0)
		return fd;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	rc = journal_parse(f, out, count, head, hn, lookup);
	if (rc < 0)
		snprintf(head, hn, "%s/%s: %s", NPTE_RUN_DIR, NPTE_JOURNAL, strerror(-rc));
	fclose(f);
	return rc;
}

int journal_pending(char *head, size_t hn)
{
	const struct jentry *j;
	size_t n = 0;

	return load(&j, &n, head, hn, NULL);
}

int journal_read(const struct jentry **out, size_t *n, char *head, size_t hn,
		 const struct op_type *(*lookup)(const char *))
{
	int rc;

	*out = jops;
	*n = 0;
	rc = load(out, n, head, hn, lookup);
	if (rc <= 0)
		*n = 0;
	return rc;
}

const char *journal_skipped(void)
{
	return nskipped ? skipped : NULL;
}

int journal_discard(bool bad)
{
	int at = rundir_fd();

	if (!bad)
		return unlinkat(at, NPTE_JOURNAL, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (renameat(at, NPTE_JOURNAL, at, NPTE_JOURNAL_BAD) == 0)
		return 0;
	/* one kept aside at most: an older one (or an empty directory) makes room */
	if (unlinkat(at, NPTE_JOURNAL_BAD, 0) < 0)
		unlinkat(at, NPTE_JOURNAL_BAD, AT_REMOVEDIR);
	return renameat(at, NPTE_JOURNAL, at, NPTE_JOURNAL_BAD) < 0 ? -errno : 0;
}
