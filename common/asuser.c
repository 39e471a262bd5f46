/* Opening a file as the caller (see asuser.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "asuser.h"

#define GROUPS_MAX 256

static int open_regular(const char *path)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO must not hang the open; the check below refuses it */
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), fl;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

static void send_result(int sock, int fd, int err)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &err, .iov_len = sizeof err};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *cm;

		m.msg_control = cbuf;
		m.msg_controllen = sizeof cbuf;
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	}
	(void)!sendmsg(sock, &m, MSG_NOSIGNAL);
}

/*
 * The caller's groups as the group database has them, all of them: a list
 * cut short (or only the gid) would drop a group that denies the caller a
 * file (mode 0604, say), and let npte read what the caller cannot. So a
 * list that cannot be had whole is a refusal. A uid with no passwd entry has
 * no name the group database could list it under: its gid is all it has.
 */
static int caller_groups(const struct caller *who, gid_t **out)
{
	static gid_t small[GROUPS_MAX];
	const struct passwd *pw = getpwuid(who->uid);
	gid_t *g = small;
	int ng = GROUPS_MAX;

	if (!pw) {
		small[0] = who->gid;
		*out = small;
		return 1;
	}
	for (int tries = 0;; tries++) {
		if (getgrouplist(pw->pw_name, who->gid, g, &ng) >= 0) {
			*out = g;
			return ng;
		}
		/* ng is now the number needed; the database may grow in between */
		if (tries == 4 || ng <= 0)
			return -1;
		if (g != small)
			free(g);
		g = malloc((size_t)ng * sizeof *g);
		if (!g)
			return -1;
	}
}

static _Noreturn void child(int sock, const struct caller *who, const char *cwd, const char *path)
{
	gid_t *groups = NULL;
	int ng = caller_groups(who, &groups), fd;

	if (ng < 0 || setgroups((size_t)ng, groups) < 0 || setresgid(who->gid, who->gid, who->gid) < 0 ||
	    setresuid(who->uid, who->uid, who->uid) < 0) {
		send_result(sock, -1, EPERM);
		_exit(1);
	}
	if (path[0] != '/' && (!cwd[0] || chdir(cwd) < 0)) {
		send_result(sock, -1, errno ? errno : ENOENT);
		_exit(1);
	}
	fd = open_regular(path);
	send_result(sock, fd, fd < 0 ? -fd : 0);
	_exit(0);
}

int open_as_caller(const struct caller *who, const char *cwd, const char *path)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int sv[2], err = EIO, fd = -1, status;
	struct iovec iov = {.iov_base = &err, .iov_len = sizeof err};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct cmsghdr *cm;
	pid_t pid;

	if (who->admin || !who->root) {
		/* the administrator's own rights; a relative name from where it was
		 * called (npte itself works from /) */
		char full[8192];

		if (path[0] == '/' || !cwd[0])
			return open_regular(path);
		if ((size_t)snprintf(full, sizeof full, "%s/%s", cwd, path) >= sizeof full)
			return -ENAMETOOLONG;
		return open_regular(full);
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(sv[0]), close(sv[1]);
		return -err;
	}
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], who, cwd, path);
	}
	close(sv[1]);
	if (recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC) < (ssize_t)sizeof err)
		err = EIO;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err) {
		if (fd >= 0)
			close(fd);
		return -err;
	}
	return fd >= 0 ? fd : -EIO;
}
