/* Named network namespaces, compatible with `ip netns` both ways. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <dirent.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include "base/fault.h"
#include "kernel/netns.h"

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", NETNS_RUN_DIR, name);
}

/* True when mountinfo shows /run/netns as a mount point with shared propagation. */
static bool run_dir_is_shared(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	bool shared = false;

	if (!f)
		return false;
	while (!shared && fgets(line, sizeof line, f)) {
		char root[256], point[256], opt[256];
		int at = 0;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - ... */
		if (sscanf(line, "%*u %*u %*s %255s %255s %*s%n", root, point, &at) != 2 ||
		    strcmp(point, NETNS_RUN_DIR) != 0)
			continue;
		for (char *p = line + at; sscanf(p, " %255s%n", opt, &at) == 1 && strcmp(opt, "-"); p += at)
			shared |= strncmp(opt, "shared:", 7) == 0;
	}
	fclose(f);
	return shared;
}

/*
 * Make /run/netns a shared mount point, as iproute2 does, so a namespace
 * unmounted in one mount namespace is released in all of them. iproute2
 * serialises this with flock on the directory (Debian bug #949235: racing
 * adds stacked mounts). Any user can open and flock that world-readable
 * directory, so npte never waits on it: when mountinfo already shows a
 * shared mount point the flock is not taken at all, and otherwise it is
 * tried once, and the work done either way. Other npte runs are already
 * serialised by npte's own lock; a root `ip netns add` racing this one
 * first use can at worst stack one more bind mount, which is harmless.
 */
static int run_dir_shared(struct err *e)
{
	static bool done; /* once it is a shared mount point it stays one */
	static bool bound; /* this process bound it onto itself */
	int fd, rc = 0;

	if (done || (done = run_dir_is_shared()))
		return 0;
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return err_sys(e, EXIT_FAIL, errno, "mkdir %s", NETNS_RUN_DIR);
	fd = open(NETNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, EXIT_FAIL, errno, "open %s", NETNS_RUN_DIR);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		/* held by someone: go ahead without it (see above) */
	}
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		/* EINVAL: not a mount point yet; bind it onto itself, once per
		 * process (iproute2's made_netns_run_dir_mount): a second EINVAL,
		 * here or in a later call, is an error, never a second bind
		 * stacked on the first. */
		if (errno != EINVAL || bound ||
		    mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
		    (bound = true, mount("", NETNS_RUN_DIR, "none", MS_PRIVATE | MS_REC, NULL) < 0)) {
			rc = err_sys(e, EXIT_FAIL, errno, "make %s a shared mount", NETNS_RUN_DIR);
			break;
		}
	}
	close(fd); /* releases the flock if we had it */
	done = rc == 0;
	return rc;
}

/* The namespace we started in, opened once: every setns back goes to it. */
static int home(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A placeholder under a name only npte uses (tmp), its inode in id. */
static int placeholder_make(const char *name, char *tmp, size_t n, struct nsid *id, struct err *e)
{
	struct stat st;
	int fd, rc;

	snprintf(tmp, n, "%s/%s%ld", NETNS_RUN_DIR, NETNS_TMP_PREFIX, (long)getpid());
	unlink(tmp); /* a leftover of a dead run with our pid */
	fd = open(tmp, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, EXIT_FAIL, errno, "%s: placeholder", name);
	rc = fstat(fd, &st);
	close(fd);
	if (rc < 0) {
		rc = err_sys(e, EXIT_FAIL, errno, "%s: stat", name);
		unlink(tmp);
		return rc;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

/* In a new network namespace: its cookie and fd told to made, then it is
 * bound on path; back home (self) at the end. */
static int namespace_make(const char *name, const char *path, int self, struct nsid *id,
			  int (*made)(void *, const struct nsid *), void *arg, struct netlink *nl, struct err *e)
{
	int rc;

	if (unshare(CLONE_NEWNET) < 0)
		return err_sys(e, EXIT_FAIL, errno, "%s: unshare", name);
	/* The new namespace's cookie, recorded before it gets a name. */
	rc = netlink_open(nl);
	if (rc == 0) {
		id->cookie = nl->cookie;
		id->nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		rc = id->nsfd < 0 ? err_sys(e, EXIT_FAIL, errno, "%s: open", name) : made(arg, id);
		if (!rc && mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			rc = err_sys(e, EXIT_FAIL, errno, "%s: bind mount", name);
		if (rc) {
			netlink_close(nl);
			if (id->nsfd >= 0)
				close(id->nsfd);
			id->nsfd = -1;
		}
	} else {
		rc = err_sys(e, EXIT_FAIL, -rc, "%s: netlink socket", name);
	}
	/* Back home before anything else; staying in the new netns would be a silent bug. */
	if (setns(self, CLONE_NEWNET) < 0)
		die_errno(EXIT_FAIL, "%s: cannot return to the original network namespace", name);
	return rc;
}

int netns_add(const char *name, struct err *e, int (*made)(void *, const struct nsid *), void *arg, int *fd,
	      struct netlink *nl)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct nsid id = {.nsfd = -1};
	struct netlink mine;
	int self, rc;

	if (run_dir_shared(e))
		return e->code;
	path_of(path, sizeof path, name);
	/*
	 * The placeholder is made under a name only npte uses, its inode
	 * recorded, and only then linked to NAME (atomically, never over
	 * anything): a kill at any point leaves either a temporary file that
	 * netns_sweep removes or a NAME whose inode the record proves ours.
	 */
	rc = placeholder_make(name, tmp, sizeof tmp, &id, e);
	if (rc)
		return rc;
	rc = made(arg, &id);
	if (rc) {
		unlink(tmp);
		return rc;
	}
	rc = link(tmp, path);
	if (rc < 0)
		rc = err_sys(e, EXIT_FAIL, errno, "%s", name);
	unlink(tmp);
	if (rc)
		return rc;
	self = home();
	rc = self < 0 ? err_sys(e, EXIT_FAIL, -self, "open /proc/self/ns/net")
		      : namespace_make(name, path, self, &id, made, arg, &mine, e);
	if (rc) {
		unlink(path);
		return rc;
	}
	if (fd) {
		*fd = id.nsfd;
		*nl = mine;
	} else {
		close(id.nsfd);
		netlink_close(&mine);
	}
	return 0;
}

int netns_sweep(void)
{
	DIR *d = opendir(NETNS_RUN_DIR);
	struct dirent *de;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct stat st;

		/* Only npte makes these, and only under its lock: any found by a
		 * lock holder is a dead run's. A mount point is never touched. */
		if (strncmp(de->d_name, NETNS_TMP_PREFIX, strlen(NETNS_TMP_PREFIX)) != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_size != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int netns_del(const char *name, struct err *e)
{
	char path[PATH_MAX];

	path_of(path, sizeof path, name);
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return err_sys(e, EXIT_FAIL, errno, "%s: umount", name);
	if (unlink(path) < 0 && errno != ENOENT)
		return err_sys(e, EXIT_FAIL, errno, "%s: unlink", name);
	return 0;
}

bool netns_exists(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	path_of(path, sizeof path, name);
	/* Only "no such file" is absence; any other failure counts as present. */
	return lstat(path, &st) == 0 || errno != ENOENT;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];
	struct statfs sfs;
	int fd;

	if (fault_nsopen())
		return -fault_nsopen(); /* the fault build: gc must stop */
	path_of(path, sizeof path, name);
	/* never a wait on a FIFO planted there; statfs below tells what it is */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	/* A placeholder is mode 0, unreadable without CAP_DAC_OVERRIDE; statfs
	 * of the path needs no permission and tells it from a namespace. */
	if (fd < 0 && errno == EACCES && statfs(path, &sfs) == 0 && sfs.f_type != NSFS_MAGIC)
		return -ENOTNS;
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	/* A placeholder left by a crash, or anything else, is not a namespace. */
	if (sfs.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -ENOTNS;
	}
	return fd;
}

int netns_enter(int nsfd, int *self)
{
	*self = home();
	if (*self < 0)
		return *self;
	return setns(nsfd, CLONE_NEWNET) < 0 ? -errno : 0;
}

void netns_leave(int self)
{
	if (setns(self, CLONE_NEWNET) < 0)
		die_errno(EXIT_FAIL, "cannot return to the original network namespace");
}

int netns_nl(int nsfd, struct netlink *nl)
{
	int self, rc;

	/* A socket stays in the namespace it was created in for its whole life. */
	rc = netns_enter(nsfd, &self);
	if (rc < 0)
		return rc;
	rc = netlink_open(nl);
	netns_leave(self);
	return rc;
}

int netns_cookie(int nsfd, uint64_t *cookie)
{
	socklen_t len = sizeof *cookie;
	int self, fd, rc;

	rc = netns_enter(nsfd, &self);
	if (rc < 0)
		return rc;
	/* AF_UNIX: freed on close, with the namespace reference it holds */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -errno : 0;
	netns_leave(self);
	if (rc < 0)
		return rc;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int netns_sysctl(int nsfd, const char *path, const char *value)
{
	char full[PATH_MAX];
	int self, fd, rc;
	size_t len = strlen(value);

	snprintf(full, sizeof full, "/proc/sys/%s", path);
	rc = netns_enter(nsfd, &self);
	if (rc < 0)
		return rc;
	/* /proc/sys/net resolves to the opener's namespace at open time. */
	fd = open(full, O_WRONLY | O_CLOEXEC);
	rc = fd < 0 ? -errno : 0;
	netns_leave(self);
	if (rc < 0)
		return rc;
	if (write(fd, value, len) != (ssize_t)len)
		rc = -errno;
	close(fd);
	return rc;
}
