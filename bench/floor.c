/*
 * The kernel floor for named network namespaces: what any tool must spend to
 * make N of them, and nothing else. Per name: the placeholder file,
 * unshare(CLONE_NEWNET), the bind mount that names it, lo up over netlink.
 * Destroy: the lazy unmount and the unlink. No markers, no lock, no checks,
 * no sysctls: npte-netns does all of those on top, and make bench reports
 * its cost per namespace against this.
 *
 * create-sysctl adds the three sysctl writes npte-netns create must also do
 * (forwarding on, DAD off), made from inside the new namespace: what the
 * kernel charges for the whole job, still with no checks or bookkeeping.
 *
 * usage: floor create|create-sysctl|destroy PREFIX N   (names PREFIX0 .. PREFIX<N-1>)
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define RUN_NETNS "/run/netns"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* /run/netns as a shared mount, as ip netns add leaves it, so the names
 * propagate to every mount namespace. Done once, not per name. */
static void netns_dir(void)
{
	if (mkdir(RUN_NETNS, 0755) < 0 && errno != EEXIST)
		die("mkdir " RUN_NETNS);
	if (mount("", RUN_NETNS, "none", MS_SHARED | MS_REC, NULL) == 0)
		return;
	if (errno != EINVAL)
		die("make " RUN_NETNS " shared");
	if (mount(RUN_NETNS, RUN_NETNS, "none", MS_BIND | MS_REC, NULL) < 0 ||
	    mount("", RUN_NETNS, "none", MS_SHARED | MS_REC, NULL) < 0)
		die("bind " RUN_NETNS);
}

/* RTM_NEWLINK, ifindex 1 (lo in every new namespace), IFF_UP; wait for the ack. */
static void lo_up(void)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {
		.h = {.nlmsg_len = sizeof req, .nlmsg_type = RTM_NEWLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK},
		.i = {.ifi_family = AF_UNSPEC, .ifi_index = 1, .ifi_flags = IFF_UP, .ifi_change = IFF_UP},
	};
	char buf[512];
	struct nlmsgerr *e = NLMSG_DATA(buf);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		die("netlink socket");
	if (send(fd, &req, sizeof req, 0) < 0 || recv(fd, buf, sizeof buf, 0) < (ssize_t)NLMSG_LENGTH(sizeof *e))
		die("lo up");
	if (e->error)
		errno = -e->error, die("lo up");
	close(fd);
}

static void sysctl_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, 1) != 1)
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	char path[128];
	long n;

	if (argc != 4 || strlen(argv[2]) > 16 || (n = strtol(argv[3], NULL, 10)) < 1 || n > 100000) {
		fputs("usage: floor create|create-sysctl|destroy PREFIX N\n", stderr);
		return 2;
	}
	if (strcmp(argv[1], "create") == 0 || strcmp(argv[1], "create-sysctl") == 0) {
		bool sysctls = argv[1][6] == '-';

		netns_dir();
		for (long i = 0; i < n; i++) {
			int fd;

			snprintf(path, sizeof path, RUN_NETNS "/%s%ld", argv[2], i);
			fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
			if (fd < 0)
				die(path);
			close(fd);
			if (unshare(CLONE_NEWNET) < 0)
				die("unshare");
			if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
				die("bind mount");
			lo_up();
			if (sysctls) {
				sysctl_write("/proc/sys/net/ipv4/ip_forward", "1");
				sysctl_write("/proc/sys/net/ipv6/conf/all/forwarding", "1");
				sysctl_write("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
				sysctl_write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
			}
		}
	} else if (strcmp(argv[1], "destroy") == 0) {
		for (long i = 0; i < n; i++) {
			snprintf(path, sizeof path, RUN_NETNS "/%s%ld", argv[2], i);
			if (umount2(path, MNT_DETACH) < 0 || unlink(path) < 0)
				die(path);
		}
	} else {
		fputs("usage: floor create|create-sysctl|destroy PREFIX N\n", stderr);
		return 2;
	}
	return 0;
}
