/* Play claims (see claim.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "ops/claim.h"
#include "ops/ops.h"
#include "txn/plan.h"
#include "kernel/registry.h"
#include "txn/render.h"
#include "base/escape.h"

static int playdir(bool create)
{
	int dfd;

	if (create && mkdirat(rundir_fd(), NPTE_PLAY_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	dfd = run_open(rundir_fd(), NPTE_PLAY_DIR, O_RDONLY | O_DIRECTORY, S_IFDIR, NULL);
	return dfd;
}

/* fd is the file dfd/name names now (not one a remover unlinked). */
static bool still_named(int dfd, const char *name, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static void claim_name(char *name, size_t n, const char *ns, const char *ifname)
{
	snprintf(name, n, "%s:%s", ns, ifname); /* ':' is in no interface or namespace name */
}

int claim_take(const char *ns, const char *ifname, int *fd)
{
	char name[64];
	int dfd = playdir(true), rc = -EAGAIN;

	if (dfd < 0)
		return dfd;
	claim_name(name, sizeof name, ns, ifname);
	/* a remover may unlink between the open and the flock: then again */
	for (int tries = 0; tries < 8 && rc == -EAGAIN; tries++) {
		*fd = run_open(dfd, name, O_RDWR | O_CREAT, S_IFREG, NULL);
		if (*fd < 0) {
			rc = *fd;
			*fd = -1;
			break;
		}
		if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
			rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		else
			rc = still_named(dfd, name, *fd) ? 0 : -EAGAIN;
		if (rc) {
			close(*fd);
			*fd = -1;
		}
	}
	close(dfd);
	return rc;
}

void claim_drop(const char *ns, const char *ifname, int fd)
{
	char name[64];
	int dfd = playdir(false);

	claim_name(name, sizeof name, ns, ifname);
	if (dfd >= 0) {
		if (still_named(dfd, name, fd))
			unlinkat(dfd, name, 0);
		close(dfd);
	}
	close(fd);
}

int claim_note(int fd, uint64_t kmem)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, "kmem=%llu\npid=%d\n", (unsigned long long)kmem, (int)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

/* The kmem= a held claim records; 0 if free (its player is gone), empty
 * (a player between its claim and its note) or this process's own (a
 * player's start, whose check charges the same steps as its request);
 * -errno if unreadable. */
static int held_charge(int dfd, const char *name, uint64_t *kmem)
{
	char buf[64];
	unsigned long long v;
	int pid;
	int fd = run_open(dfd, name, O_RDONLY, S_IFREG, NULL);
	ssize_t n;

	*kmem = 0;
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0; /* nobody holds it */
	}
	n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n > 0 && sscanf(buf, "kmem=%llu\npid=%d\n", &v, &pid) != 2)
		return -EINVAL;
	*kmem = n > 0 && pid != (int)getpid() ? v : 0;
	return 0;
}

/* name is a claim of ns (NULL: any claim). */
static bool of_ns(const char *name, const char *ns)
{
	size_t l;

	if (name[0] == '.' || !strchr(name, ':'))
		return false;
	if (!ns)
		return true;
	l = strlen(ns);
	return strncmp(name, ns, l) == 0 && name[l] == ':';
}

/* dfd/name if nobody holds it: removed (or, dry, only counted). 1 if it was
 * free, 0 if held or gone. */
static int sweep_one(int dfd, const char *name, bool dry)
{
	int fd = run_open(dfd, name, O_RDONLY, S_IFREG, NULL), rc = 0;

	/* not a claim (planted): not ours to remove, nor a reason to stop */
	if (fd < 0)
		return fd == -ENOENT || fd == -EMEDIUMTYPE ? 0 : fd;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && still_named(dfd, name, fd)) {
		rc = 1;
		if (!dry && unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			rc = -errno;
	}
	close(fd);
	return rc;
}

/* each(dfd, name, arg) for every claim of ns (NULL: all) until one returns
 * < 0; returns that, or how many returned > 0. */
static int each_claim(const char *ns, int (*each)(int dfd, const char *name, void *arg), void *arg)
{
	int dfd = playdir(false), n = 0, rc = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	d = fdopendir(dfd);
	if (!d) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	while (rc >= 0 && (de = readdir(d)))
		if (of_ns(de->d_name, ns) && (rc = each(dirfd(d), de->d_name, arg)) > 0)
			n++;
	closedir(d);
	return rc < 0 ? rc : n;
}

struct charges {
	void (*fn)(const char *ifname, uint64_t kmem, void *arg);
	void *arg;
};

static int one_charge(int dfd, const char *name, void *arg)
{
	const struct charges *ch = arg;
	uint64_t kmem;
	int rc = held_charge(dfd, name, &kmem);

	if (rc == 0 && kmem)
		ch->fn(strchr(name, ':') + 1, kmem, ch->arg);
	return rc;
}

int claim_charges(const char *ns, void (*fn)(const char *ifname, uint64_t kmem, void *arg), void *arg)
{
	struct charges ch = {fn, arg};
	int rc = each_claim(ns, one_charge, &ch);

	return rc < 0 ? rc : 0;
}

static int sweep_each(int dfd, const char *name, void *arg)
{
	return sweep_one(dfd, name, *(const bool *)arg);
}

int claim_sweep(const char *ns, bool dry)
{
	return each_claim(ns, sweep_each, &dry);
}

static int sweep_apply(struct txn *c, const struct op *op, bool undo)
{
	int rc;

	if (undo)
		return 0;
	rc = claim_sweep(op->ns[0] ? op->ns : NULL, false);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "remove ended plays' claims in %s/%s", NPTE_RUN_DIR,
			       NPTE_PLAY_DIR);
	return 0;
}

/* flock -n FILE holds it for rm: a claim a player holds stays. */
static void sweep_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char glob[96];

	(void)c, (void)undo;
	snprintf(glob, sizeof glob, "%s/%s/", NPTE_RUN_DIR, NPTE_PLAY_DIR);
	fputs("for f in ", f);
	sh_quote(f, glob);
	if (op->ns[0]) {
		sh_quote(f, op->ns);
		fputs(":*", f);
	} else {
		fputs("*:*", f);
	}
	/* a held claim is no error: its player lives (and set -e must not end the script) */
	fputs("; do if [ -f \"$f\" ]; then flock -n \"$f\" rm -f \"$f\" || :; fi; done\n", f);
}

const struct op_type claim_sweep_op = {
	.name = "play claims sweep", .apply = sweep_apply, .render = sweep_render,
};

void plan_claim_sweep(struct plan *p, const char *ns)
{
	struct op *op = plan_add(p, &claim_sweep_op);

	snprintf(op->ns, sizeof op->ns, "%s", ns);
}
