/*
 * /run/npte and the marker registry. The directory is root's alone (0700), so
 * users can neither plant links in it nor open the lock; it is opened once,
 * checked, and every later access is relative to its fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kernel/registry.h"
#include "base/validate.h"

static int run_fd = -1, mark_fd = -1, drain_fd = -1;

int rundir_fd(void) { return run_fd; }
int markerdir_fd(void) { return mark_fd; }

static const char *ftype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symlink";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "a file of unknown type";
	}
}

/* Root's, and of the type asked for; e says what stands there instead. */
static bool as_expected(const struct stat *st, mode_t type, struct err *e)
{
	if ((st->st_mode & S_IFMT) != type)
		err_set(e, EXIT_FAIL, "is %s, not %s", ftype(st->st_mode), ftype(type));
	else if (st->st_uid != 0)
		err_set(e, EXIT_FAIL, "is owned by uid %u, not root", (unsigned)st->st_uid);
	else
		return true;
	return false;
}

/* run_open, and what the fstat that settled it saw, in *out (one fstat fewer
 * for a caller that needs the size: a marker read per namespace). */
static int run_open_st(int at, const char *name, int flags, mode_t type, struct err *e, struct stat *out)
{
	struct stat st;
	int fd, rc;

	/* Looked at before the open, so that a device planted there is never
	 * opened (opening one can act); the fstat below settles it. */
	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!as_expected(&st, type, e))
			return -EMEDIUMTYPE;
	} else if (errno != ENOENT || !(flags & O_CREAT)) {
		return -errno;
	}
	fd = openat(at, name, flags | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = fstat(fd, out) < 0 ? -errno : as_expected(out, type, e) ? 0 : -EMEDIUMTYPE;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int run_open(int at, const char *name, int flags, mode_t type, struct err *e)
{
	struct stat st;

	return run_open_st(at, name, flags, type, e, &st);
}

static int open_checked(int at, const char *name, const char *shown, bool create, struct err *e)
{
	struct stat st;
	struct err why = {0};
	int fd;

	if (create && mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return err_sys(e, EXIT_FAIL, errno, "mkdir %s", shown), -1;
	fd = run_open(at, name, O_RDONLY | O_DIRECTORY, S_IFDIR, &why);
	if (fd == -EMEDIUMTYPE)
		return err_set(e, EXIT_FAIL, "%s %s; refusing to use it", shown, why.msg), -1;
	if (fd < 0) {
		if (fd == -ENOENT && !create)
			return -1;
		return err_sys(e, EXIT_FAIL, -fd, "open %s", shown), -1;
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & 077)) {
		close(fd);
		return err_set(e, EXIT_FAIL, "%s must be owned by root with mode 0700; refusing to use it",
			       shown), -1;
	}
	return fd;
}

int rundir_open(bool create, struct err *e)
{
	if (mark_fd >= 0)
		return 0;
	run_fd = open_checked(AT_FDCWD, NPTE_RUN_DIR, NPTE_RUN_DIR, create, e);
	if (run_fd < 0)
		return e->code ? -EPERM : -ENOENT;
	mark_fd = open_checked(run_fd, NPTE_MARKER_DIR, NPTE_RUN_DIR "/" NPTE_MARKER_DIR, create, e);
	if (mark_fd < 0)
		return e->code ? -EPERM : -ENOENT;
	/* Made with the others: a run that opened /run/npte before the first
	 * draining record must still see it. */
	drain_fd = open_checked(run_fd, NPTE_DRAIN_DIR, NPTE_RUN_DIR "/" NPTE_DRAIN_DIR, create, e);
	if (drain_fd < 0 && e->code)
		return -EPERM;
	return 0;
}


int marker_read(const char *name, struct marker *m)
{
	char buf[MARKER_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd;

	memset(m, 0, sizeof *m);
	m->nsid = -1;
	if (mark_fd < 0)
		return -ENOENT;
	/* anything but root's regular file there is a bad marker, never a wait */
	fd = run_open_st(mark_fd, name, O_RDONLY, S_IFREG, NULL, &st);
	if (fd < 0)
		return fd == -EMEDIUMTYPE ? -EINVAL : fd;
	if (st.st_size > MARKER_MAX) {
		close(fd);
		return -EINVAL;
	}
	n = read(fd, buf, MARKER_MAX);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return marker_parse(buf, m);
}

int marker_parse(char *buf, struct marker *m)
{
	bool have_owner = false;

	memset(m, 0, sizeof *m);
	m->nsid = -1;
	for (char *line = buf, *next; *line; line = next) {
		char *eol = strchr(line, '\n'), *eq;

		if (!eol)
			return -EINVAL; /* every line ends in a newline: no torn writes */
		*eol = '\0';
		next = eol + 1;
		eq = strchr(line, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		if (strcmp(line, "owner") == 0 && !have_owner) {
			if (!parse_uid(eq + 1, &m->owner, NULL))
				return -EINVAL;
			have_owner = true;
		} else if (strcmp(line, "nsid") == 0 && m->nsid < 0) {
			char *end;
			long v;

			errno = 0;
			v = strtol(eq + 1, &end, 10);
			if (errno || *end || end == eq + 1 || v < NSID_BASE || v > INT32_MAX)
				return -EINVAL;
			m->nsid = (int32_t)v;
		} else if (strcmp(line, "cookie") == 0 && !m->cookie) {
			char *end;

			errno = 0;
			m->cookie = strtoull(eq + 1, &end, 10);
			if (errno || *end || end == eq + 1 || eq[1] == '-' || !m->cookie)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return have_owner ? 0 : -EINVAL;
}

bool marker_odd(const char *name, struct err *e)
{
	struct stat st;

	return mark_fd >= 0 && fstatat(mark_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       !as_expected(&st, S_IFREG, e);
}

int marker_write(const char *name, const struct marker *m)
{
	char tmp[64], body[128];
	int fd, len, rc = 0;

	snprintf(tmp, sizeof tmp, ".%s.%ld", name, (long)getpid());
	len = snprintf(body, sizeof body, "owner=%u\n", (unsigned)m->owner);
	if (m->cookie)
		len += snprintf(body + len, sizeof body - (size_t)len, "cookie=%" PRIu64 "\n", m->cookie);
	if (m->nsid >= 0)
		len += snprintf(body + len, sizeof body - (size_t)len, "nsid=%" PRId32 "\n", m->nsid);
	fd = run_open(mark_fd, tmp, O_WRONLY | O_CREAT | O_EXCL, S_IFREG, NULL);
	if (fd < 0)
		return fd;
	if (write(fd, body, (size_t)len) != len)
		rc = -EIO;
	close(fd);
	/* All or nothing, and never over an existing marker. */
	if (!rc && renameat2(mark_fd, tmp, mark_fd, name, RENAME_NOREPLACE) < 0)
		rc = -errno;
	if (rc)
		unlinkat(mark_fd, tmp, 0);
	return rc;
}

int marker_remove(const char *name)
{
	if (mark_fd < 0)
		return 0;
	if (unlinkat(mark_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* A listing of dirfd with a description of its own: a dup would share (and
 * exhaust) the offset, so a second listing in one process would see nothing. */
static DIR *list_at(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (fd >= 0 && !d)
		close(fd);
	return d;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int marker_list(char (*names)[16], int max)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (mark_fd < 0)
		return 0;
	if (!(d = list_at(mark_fd)))
		return -errno;
	errno = 0;
	while ((de = readdir(d))) {
		struct stat st;

		if (!valid_netns_name(de->d_name, NULL))
			continue; /* dot files, temporaries, anything not ours */
		if (fstatat(mark_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			n = -errno;
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		/* Never a silent part of the registry: more than fits is an error. */
		if (n >= max) {
			n = -E2BIG;
			break;
		}
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1); /* <= 13 bytes, validated */
		errno = 0;
	}
	if (n >= 0 && errno)
		n = -errno;
	closedir(d);
	if (n < 0)
		return n;
	qsort(names, (size_t)n, sizeof names[0], cmp_name);
	return n;
}

/* --- draining records ---------------------------------------------------------- */

int drain_write(const struct drain *d)
{
	char file[16], tmp[32], body[96];
	int fd, len, rc = 0;

	if (drain_fd < 0) {
		struct err e = {0};

		drain_fd = open_checked(run_fd, NPTE_DRAIN_DIR, NPTE_RUN_DIR "/" NPTE_DRAIN_DIR, true, &e);
		if (drain_fd < 0)
			return -EPERM;
	}
	snprintf(file, sizeof file, "%" PRId32, d->nsid);
	snprintf(tmp, sizeof tmp, ".%s.%ld", file, (long)getpid());
	len = snprintf(body, sizeof body, "owner=%u\nname=%s\nkmem=%" PRIu64 "\n", (unsigned)d->owner, d->name,
		       d->kmem);
	fd = run_open(drain_fd, tmp, O_WRONLY | O_CREAT | O_EXCL, S_IFREG, NULL);
	if (fd < 0)
		return fd;
	if (write(fd, body, (size_t)len) != len)
		rc = -EIO;
	close(fd);
	if (!rc && renameat(drain_fd, tmp, drain_fd, file) < 0)
		rc = -errno;
	if (rc)
		unlinkat(drain_fd, tmp, 0);
	return rc;
}

/* Strict, like a marker: owner=UID, name=NAME and kmem=BYTES (absent in a
 * record of an older npte: 0), nothing else. */
static int drain_read(const char *file, struct drain *d)
{
	char buf[128], *nl, *nm;
	ssize_t n;
	int fd = run_open(drain_fd, file, O_RDONLY, S_IFREG, NULL);

	if (fd < 0)
		return fd == -EMEDIUMTYPE ? -EINVAL : fd;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (strncmp(buf, "owner=", 6) != 0 || !(nl = strchr(buf, '\n')))
		return -EINVAL;
	*nl = '\0';
	nm = nl + 1;
	if (!parse_uid(buf + 6, &d->owner, NULL) || strncmp(nm, "name=", 5) != 0 ||
	    !(nl = strchr(nm, '\n')))
		return -EINVAL;
	*nl = '\0';
	d->kmem = 0;
	if (nl[1]) {
		char *k = nl + 1, *end;

		errno = 0;
		if (strncmp(k, "kmem=", 5) != 0 || k[5] < '0' || k[5] > '9' ||
		    (d->kmem = strtoull(k + 5, &end, 10), errno) || strcmp(end, "\n") != 0)
			return -EINVAL;
	}
	if (!valid_netns_name(nm + 5, NULL))
		return -EINVAL;
	snprintf(d->name, sizeof d->name, "%s", nm + 5);
	return 0;
}

int drain_list(struct drain *out, int max)
{
	DIR *dir;
	struct dirent *de;
	int n = 0;

	if (drain_fd < 0)
		return 0;
	if (!(dir = list_at(drain_fd)))
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		int rc;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || v < NSID_BASE || v > INT32_MAX)
			continue; /* temporaries, anything not ours */
		if (n >= max) {
			n = -E2BIG;
			break;
		}
		out[n].nsid = (int32_t)v;
		rc = drain_read(de->d_name, &out[n]);
		if (rc == -ENOENT)
			continue;
		if (rc < 0) {
			n = rc;
			break;
		}
		n++;
	}
	closedir(dir);
	return n;
}

int drain_remove(int32_t nsid)
{
	char file[16];

	if (drain_fd < 0)
		return 0;
	snprintf(file, sizeof file, "%" PRId32, nsid);
	if (unlinkat(drain_fd, file, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int marker_list_owned(uid_t uid, char (*names)[16], int max)
{
	int n = marker_list(names, max), k = 0;

	if (n < 0 && max > 0)
		names[0][0] = '\0';
	for (int i = 0; i < n; i++) {
		struct marker m;
		int rc = marker_read(names[i], &m);

		if (rc < 0) {
			memmove(names[0], names[i], sizeof names[i]);
			return rc;
		}
		if (m.owner == uid)
			memmove(names[k++], names[i], sizeof names[i]);
	}
	return n < 0 ? n : k;
}
