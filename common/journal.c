/* The transaction journal (see journal.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "journal.h"
#include "shquote.h"
#include "registry.h"
#include "validate.h"

static int jfd = -1;
/* Plan index -> journal line, for ops with an undo. */


int journal_begin(const struct plan *p, uid_t uid)
{
	char args[1024];
	FILE *f;
	int fd, e = 0;

	fd = openat(rundir_fd(), ".journal.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		goto fail;
	}
	fprintf(f, "npte-journal 4\npid=%ld\nuid=%u\nprog=%s\nverb=%s\n", (long)getpid(),
		(unsigned)uid, prog, p->verb);
	/* "op INDEX TYPE|NAMESPACE|ARGS": each kind writes its own arguments. */
	for (size_t i = 0; i < p->n && !e; i++) {
		const struct op *op = &p->ops[i];

		if (!op->type->undoable)
			continue;
		if (op->type->save(op, args, sizeof args) < 0)
			e = EINVAL;
		else
			fprintf(f, "op %zu %s|%s|%s\n", i, op->type->name, op->ns, args);
	}
	if (fflush(f) && !e)
		e = errno;
	fclose(f);
	/* Appear whole or not at all. */
	if (!e && renameat(rundir_fd(), ".journal.tmp", rundir_fd(), NPTE_JOURNAL) < 0)
		e = errno;
	if (!e) {
		jfd = openat(rundir_fd(), NPTE_JOURNAL, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
		if (jfd >= 0)
			return 0;
		e = errno;
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

static struct jentry jops[JOURNAL_OPS_MAX];

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
	char *p = strchr(line, ' '), name[32];

	if (!p)
		return -EINVAL;
	*p++ = '\0';
	memset(j, 0, sizeof *j);
	j->index = strtoul(line, NULL, 10);
	if (!field(&p, name, sizeof name) || !field(&p, j->op.ns, sizeof j->op.ns) ||
	    !valid_netns_name(j->op.ns, NULL, 0))
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

/* Parse strictly: a journal is root's own file, but a torn or odd one must
 * not make recovery act on names that never passed the validators. A journal
 * with more entries than a plan can hold is refused whole, never cut short. */
static int load(int *count, char *head, size_t hn, const struct op_type *(*lookup)(const char *))
{
	char who[32] = "?", verb[32] = "?", uid[16] = "?", pid[16] = "?", line[512];
	int fd = openat(rundir_fd(), NPTE_JOURNAL, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), n = 0, rc = 1;
	FILE *f;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (rc > 0 && fgets(line, sizeof line, f)) {
		char *eol = strchr(line, '\n'), name[32];
		struct ident id = {.set = true};
		size_t idx;
		struct jentry *j;

		if (!eol) {
			/* a torn last line is ignored; a long one in the middle is not ours */
			if (!feof(f))
				rc = -EINVAL;
			break;
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
		else if (strncmp(line, "op ", 3) == 0) {
			if (n >= JOURNAL_OPS_MAX)
				rc = -E2BIG;
			else if ((rc = parse_op(line + 3, &jops[n], lookup)) == 0)
				rc = n && jops[n].index <= jops[n - 1].index ? -EINVAL : (n++, 1);
		} else if (sscanf(line, "made %zu %" SCNu64 " %" SCNu64 " %" SCNu64 " %d %" SCNu32 " %" SCNu32
				  " %" SCNd32, &idx, &id.cookie, &id.dev, &id.ino, &id.ifindex, &id.handle,
				  &id.owner, &id.nsid) >= 7) {
			/* 7 fields: a journal of format 3, from before namespaces had ids */
			if ((j = find(n, idx)))
				j->op.made = id; /* the last record of an op is the most it made */
		} else if (sscanf(line, "undone %zu", &idx) == 1) {
			if ((j = find(n, idx)))
				j->undone = true;
		} else if (strcmp(line, "npte-journal 4") != 0 && strcmp(line, "npte-journal 3") != 0 &&
			   sscanf(line, "%31s", name) == 1 &&
			   strcmp(name, "start") != 0 && strcmp(name, "fail") != 0 &&
			   strcmp(name, "done") != 0) {
			rc = -EINVAL;
		}
	}
	fclose(f);
	if (rc < 0)
		return rc;
	snprintf(head, hn, "%s %s, uid %s, pid %s", who, verb, uid, pid);
	*count = n;
	return 1;
}

int journal_pending(char *head, size_t hn)
{
	int n = 0;

	return load(&n, head, hn, NULL);
}

int journal_read(const struct jentry **out, size_t *n, char *head, size_t hn,
		 const struct op_type *(*lookup)(const char *))
{
	int count = 0, rc = load(&count, head, hn, lookup);

	*out = jops;
	*n = rc > 0 ? (size_t)count : 0;
	return rc;
}

void journal_discard(bool bad)
{
	if (bad)
		renameat(rundir_fd(), NPTE_JOURNAL, rundir_fd(), "journal.bad");
	else
		unlinkat(rundir_fd(), NPTE_JOURNAL, 0);
}
