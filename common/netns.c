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
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include "netns.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", NETNS_RUN_DIR, name);
}

/*
 * Make /run/netns a shared mount point, as iproute2 does, so a namespace
 * unmounted in one mount namespace is released in all of them. iproute2
 * serialises this with flock on the directory (Debian bug #949235: racing
 * adds stacked mounts until the machine hung); we take the same lock so we
 * serialise with it, but with a deadline, because any user can open and
 * flock that world-readable directory.
 */
static int run_dir_shared(double deadline, struct err *e)
{
	static bool done; /* once it is a shared mount point it stays one */
	int fd, rc = 0;

	if (done)
		return 0;
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return err_sys(e, EXIT_FAIL, errno, "mkdir %s", NETNS_RUN_DIR);
	fd = open(NETNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, EXIT_FAIL, errno, "open %s", NETNS_RUN_DIR);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || now() >= deadline) {
			rc = err_set(e, EXIT_BUSY, "%s is locked by another process (flock)", NETNS_RUN_DIR);
			goto out;
		}
		usleep(20000);
	}
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		/* EINVAL: not a mount point yet; bind it onto itself once, then retry. */
		if (errno != EINVAL ||
		    mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
		    mount("", NETNS_RUN_DIR, "none", MS_PRIVATE | MS_REC, NULL) < 0) {
			rc = err_sys(e, EXIT_FAIL, errno, "make %s a shared mount", NETNS_RUN_DIR);
			break;
		}
	}
out:
	close(fd); /* releases the flock */
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

int netns_add(const char *name, double deadline, struct err *e)
{
	char path[PATH_MAX];
	int fd, self, rc = 0;

	if (run_dir_shared(deadline, e))
		return e->code;
	path_of(path, sizeof path, name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(e, EXIT_FAIL, errno, "%s", name);
	close(fd);
	self = home();
	if (self < 0) {
		rc = err_sys(e, EXIT_FAIL, -self, "open /proc/self/ns/net");
		goto undo_file;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		rc = err_sys(e, EXIT_FAIL, errno, "%s: unshare", name);
		goto undo_file;
	}
	if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
		rc = err_sys(e, EXIT_FAIL, errno, "%s: bind mount", name);
	/* Back home before anything else; staying in the new netns would be a silent bug. */
	if (setns(self, CLONE_NEWNET) < 0)
		die_errno(EXIT_FAIL, "%s: cannot return to the original network namespace", name);
undo_file:
	if (rc)
		unlink(path);
	return rc;
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
	return lstat(path, &st) == 0;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];
	struct statfs sfs;
	int fd;

	path_of(path, sizeof path, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A placeholder left by a crash, or anything else, is not a namespace. */
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -ENOENT;
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

int netns_nl(int nsfd, struct knl *nl)
{
	int self, rc;

	/* A socket stays in the namespace it was created in for its whole life. */
	rc = netns_enter(nsfd, &self);
	if (rc < 0)
		return rc;
	rc = knl_open(nl);
	netns_leave(self);
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
