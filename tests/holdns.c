/*
 * Test helper: the ways a program can keep a network namespace alive after
 * its name is gone, each of which npte must still charge to the owner.
 *   holdns thread SECS      main thread exits, a thread lives on in the netns
 *   holdns recv PATH SECS   a unix datagram socket at PATH that never receives
 *   holdns send PATH ns|udp send this netns (or an unbound UDP socket made
 *                           in it) to PATH over SCM_RIGHTS, then exit
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	sleep((unsigned)atoi(arg));
	return NULL;
}

static struct sockaddr_un addr_of(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	return a;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "thread") == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, sleeper, argv[2]))
			return 1;
		printf("%d\n", getpid());
		fflush(stdout);
		pthread_exit(NULL); /* the process lives on in its thread */
	}
	if (argc == 4 && strcmp(argv[1], "recv") == 0) {
		struct sockaddr_un a = addr_of(argv[2]);
		int s = socket(AF_UNIX, SOCK_DGRAM, 0);

		unlink(argv[2]);
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || chmod(argv[2], 0777) < 0)
			return 1;
		printf("%d\n", getpid());
		fflush(stdout);
		sleep((unsigned)atoi(argv[3]));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "send") == 0) {
		struct sockaddr_un a = addr_of(argv[2]);
		char data = 'x', cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {&data, 1};
		struct msghdr m = {.msg_name = &a, .msg_namelen = sizeof a, .msg_iov = &iov, .msg_iovlen = 1,
				   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		int s = socket(AF_UNIX, SOCK_DGRAM, 0);
		int fd = strcmp(argv[3], "udp") == 0 ? socket(AF_INET, SOCK_DGRAM, 0)
						       : open("/proc/self/ns/net", O_RDONLY);

		if (s < 0 || fd < 0)
			return 1;
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof fd);
		return sendmsg(s, &m, 0) == 1 ? 0 : 1;
	}
	fprintf(stderr, "usage: holdns thread SECS | recv PATH SECS | send PATH ns|udp\n");
	return 2;
}
