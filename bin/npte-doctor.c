/*
 * npte-doctor: can this host run npte, and run it safely (as root)? Can I use
 * it here (as a user, without sudo)? One line per check, a fix for every
 * failure, exit 1 if any check failed, 69 if --require names a feature the
 * kernel lacks. Read-only: the kernel probes run in a throwaway network
 * namespace of a child process (a user's: under a user namespace of its
 * own) that dies with everything it made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include "base/args.h"
#include "cli/cli.h"
#include "base/err.h"
#include "txn/journal.h"
#include "kernel/netns.h"
#include "kernel/netlink.h"
#include "base/optspecs.h"
#include "priv/priv.h"
#include "shape/profiles.h"
#include "kernel/registry.h"
#include "kernel/requests.h"
#include "shape/qdisc.h"
#include "shape/shape.h"
#include "base/escape.h"
#include "base/fault.h"
#include "base/validate.h"

#define USAGE \
	"usage: npte-doctor [--json] [--require FEATURE,...] [--prefix DIR] [--sudoers FILE]\n" \
	"       npte-doctor -h | --help | --version\n"

/*
 * Reading the root-owned rule and /run/npte needs no capability (we are
 * their owner). visudo runs as root with the empty bounding set: no
 * capability either, and it only reads.
 */
static const int caps_all[] = {
	CAP_SYS_ADMIN, /* unshare(CLONE_NEWNET) for the throwaway probe namespace */
	CAP_NET_ADMIN, /* the probe veth and qdiscs inside it */
	-1,
};

static const char *const binaries[] = {
	"npte-netns", "npte-veth", "npte-addr", "npte-route",
	"npte-netem", "npte-run",  "npte-lock", "npte-lab", "npte-probe", NULL,
};

static int failed, warned;

/* Every check, kept until the end: printed as lines, or as one JSON object. */
enum level { L_OK, L_WARN, L_FAIL, L_SKIP };
static struct check {
	enum level level;
	char check[80], detail[512], fix[256];
} checks[64];
static int nchecks;

/* One check's verdict: the check, and for a warning or failure what to do. */
static void report(enum level level, const char *check, const char *detail, const char *fix)
{
	struct check *c = &checks[nchecks < 64 ? nchecks++ : 63];

	c->level = level;
	snprintf(c->check, sizeof c->check, "%s", check);
	snprintf(c->detail, sizeof c->detail, "%s", detail ? detail : "");
	snprintf(c->fix, sizeof c->fix, "%s", level == L_WARN || level == L_FAIL ? (fix ? fix : "") : "");
	failed += level == L_FAIL;
	warned += level == L_WARN;
}

static void print_text(void)
{
	static const char *const word[] = {"ok  ", "warn", "FAIL", "skip"};

	for (int i = 0; i < nchecks; i++) {
		const struct check *c = &checks[i];

		printf("%s  %s%s%s\n", word[c->level], c->check, c->detail[0] ? ": " : "", c->detail);
		if (c->fix[0])
			printf("      fix: %s\n", c->fix);
	}
}

/* "key": "value" (null when empty), then sep. */
static void json_field(const char *key, const char *v, const char *sep)
{
	printf("\"%s\": ", key);
	if (v && *v)
		json_str(stdout, v);
	else
		fputs("null", stdout);
	fputs(sep, stdout);
}

/* --- kernel ---------------------------------------------------------------- */

/*
 * What the kernel can do, probed in a throwaway network namespace of a child
 * process: as root a plain one; as a user one inside a user namespace of its
 * own, where the user is root over nothing but that namespace. Each probe is
 * the request npte itself sends, so "ok" means npte's request works.
 */
enum feat { F_NETNS, F_VETH, F_TBF, F_NETEM, F_CAKE, F_IPV6, F_PING, F_PING6, F_N };

static const struct feature {
	const char *name;  /* for --require and --json */
	const char *label; /* the check's line */
	const char *module; /* for the guess without a namespace (kinds: their own) */
	const struct qdisc_kind *kind;
	bool needed; /* npte does nothing without it: FAIL; the rest warn */
	const char *fix;
} feats[F_N] = {
	[F_NETNS] = {"netns", "network namespaces", NULL, NULL, true, "a kernel with CONFIG_NET_NS"},
	[F_VETH] = {"veth", "veth", "veth", NULL, true, "modprobe veth (CONFIG_VETH)"},
	[F_TBF] = {"tbf", "tbf", NULL, &tbf_kind, true, NULL},
	[F_NETEM] = {"netem", "sch_netem", NULL, &netem_kind, false, NULL},
	[F_CAKE] = {"cake", "cake", NULL, &cake_kind, false, NULL},
	[F_IPV6] = {"ipv6", "IPv6", NULL, NULL, false, "a kernel with CONFIG_IPV6, booted without ipv6.disable=1"},
	[F_PING] = {"ping", "ping (unprivileged ICMP echo)", NULL, NULL, false,
		    "a kernel with ICMP echo sockets (every kernel since 3.0)"},
	[F_PING6] = {"ping6", "ping -6 (unprivileged ICMPv6 echo)", NULL, NULL, false, "IPv6 (above)"},
};

/* How the answers were found: probed in a namespace, or guessed from the module lists. */
static bool guessed;
static bool have[F_N];
/* Guessed: -1 where not even the module lists tell. */
static int known[F_N];

/* The request npte-veth sends, both ends placed by IFLA_NET_NS_FD (here
 * both in the probe namespace, whose fd is the peer's). */
static int probe_veth(struct netlink *nl, char *ext, size_t n)
{
	static union { struct nlmsghdr h; char b[RTREQ_BUF]; } req;
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = netlink_talk(nl, req_veth_add(nl, req.b, "probe0", "probe1", fd), ext, n);
	close(fd);
	return rc;
}

/* The root qdisc request npte-netem sends, of kind k with the kind's probe
 * words, on lo (the first link of every new namespace); then lo's root is
 * removed again, since the kernel refuses a replace of one kind by another
 * under the same handle (the next probe's). */
static int probe_qdisc(struct netlink *nl, const struct qdisc_kind *k, char *ext, size_t n)
{
	static union { struct nlmsghdr h; char b[NL_BUF]; } req;
	static union qspec q;
	struct nlmsghdr *h;
	struct err e = {0};
	int rc;

	if (!qkind_parse_str(k, &q, k->probe_words, shape_tick_in_usec(), &e))
		return -EINVAL;
	rc = req_qdisc_new(nl, req.b, sizeof req.b,
			   &(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_REPLACE, .ifindex = 1, .handle = 0x10000,
					       .parent = TC_H_ROOT, .kind = qkind_index(k), .spec = &q},
			   &h);
	if (rc >= 0 && (rc = netlink_talk(nl, h, ext, n)) == 0)
		netlink_talk(nl, req_qdisc_del_root(nl, req.b, 1), NULL, 0);
	return rc;
}

/* Write s to a /proc file of this process (its maps, its namespace's sysctls). */
static bool put_proc(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* One echo to loopback over an unprivileged ICMP socket, as ping sends it
 * (the kernel fills in the id and the checksum); its reply within a second. */
static bool probe_ping(int family)
{
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool six = family == AF_INET6;
	unsigned char echo[8] = {six ? 128 : 8, 0, 0, 0, 0, 0, 0, 1}, reply[64];
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, six ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	bool ok;

	if (fd < 0)
		return false;
	ok = sendto(fd, echo, sizeof echo, 0, six ? (struct sockaddr *)&v6 : (struct sockaddr *)&v4,
		    six ? sizeof v6 : sizeof v4) == (ssize_t)sizeof echo &&
	     poll(&p, 1, 1000) == 1 && recv(fd, reply, sizeof reply, 0) >= 1 && reply[0] == (six ? 129 : 0);
	close(fd);
	return ok;
}

/* As a user: a user namespace that maps only the caller (its root), and a
 * network namespace under it. 1: in both; 0: no network namespace; -1: the
 * kernel or a policy refuses the user namespace (nothing to probe in). */
static int enter_userns(uid_t uid, gid_t gid)
{
	char map[64];

	/* hygiene made us undumpable, which makes /proc/self root's: a user's
	 * own process holds nothing the user may not see, and must write its maps */
	if (fault_no_userns() || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 || unshare(CLONE_NEWUSER) < 0)
		return -1;
	snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
	if (!put_proc("/proc/self/uid_map", map) || !put_proc("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
	if (!put_proc("/proc/self/gid_map", map))
		return -1;
	if (unshare(CLONE_NEWNET) == 0)
		return 1;
	/* EPERM is a policy on user namespaces (AppArmor's), not a missing CONFIG_NET_NS */
	return errno == EPERM ? -1 : 0;
}

/*
 * The probes that need the namespace's lo up: IPv6 and ping. The range is
 * what npte writes into each namespace it makes (every group may open an
 * ICMP echo socket); in a user namespace only the caller's group maps, which
 * admits the same caller.
 */
static void probe_lo(struct netlink *nl, bool user, unsigned char *res)
{
	char ext[256], v[8] = "";
	FILE *f;

	if (req_bring_up(nl, 1, ext, sizeof ext) < 0)
		return;
	f = fopen("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "re");
	res[F_IPV6] = f && fgets(v, sizeof v, f) && v[0] == '0';
	if (f)
		fclose(f);
	if (!put_proc("/proc/sys/net/ipv4/ping_group_range", user ? "0 0" : "0 2147483647"))
		return;
	res[F_PING] = probe_ping(AF_INET);
	res[F_PING6] = res[F_IPV6] && probe_ping(AF_INET6);
}

/* In a child: the namespaces, then each probe; one result byte per feature
 * and a last one, 1 when it could probe at all. */
static _Noreturn void probe_child(int out, bool user)
{
	unsigned char res[F_N + 1] = {0};
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct netlink nl;
	char ext[256];

	int in = user ? enter_userns(uid, gid) : unshare(CLONE_NEWNET) == 0;

	res[F_N] = in >= 0;
	if (in > 0 && netlink_open(&nl) == 0) {
		res[F_NETNS] = 1;
		res[F_VETH] = probe_veth(&nl, ext, sizeof ext) == 0;
		for (int f = 0; f < F_N; f++)
			if (feats[f].kind)
				res[f] = probe_qdisc(&nl, feats[f].kind, ext, sizeof ext) == 0;
		probe_lo(&nl, user, res);
	}
	_exit(write(out, res, sizeof res) == (ssize_t)sizeof res ? 0 : 1);
}

/* Whether the running kernel has module m: loaded, built in, or installed
 * for it (1), none of those (0), or no module lists to tell (-1). */
static int module_listed(const char *m)
{
	static const char *const lists[] = {"modules.builtin", "modules.dep"};
	char path[512], line[1024], want[64];
	struct utsname u;
	int found = -1;

	snprintf(path, sizeof path, "/sys/module/%s", m);
	if (access(path, F_OK) == 0)
		return 1;
	if (uname(&u) < 0)
		return -1;
	snprintf(want, sizeof want, "/%s.ko", m);
	for (size_t i = 0; i < 2 && found < 1; i++) {
		snprintf(path, sizeof path, "/lib/modules/%s/%s", u.release, lists[i]);
		FILE *f = fopen(path, "re");

		if (f)
			found = 0;
		while (f && !found && fgets(line, sizeof line, f)) {
			char *at = strstr(line, want);

			/* sch_netem.ko, sch_netem.ko.xz: ... (not sch_netem_foo.ko) */
			found = at && strchr(":.\n", at[strlen(want)]) != NULL;
		}
		if (f)
			fclose(f);
	}
	return found;
}

/* Without a namespace to probe in: what the module lists make likely. */
static void guess(void)
{
	guessed = true;
	for (int f = 0; f < F_N; f++) {
		have[f] = true;
		if (feats[f].kind || feats[f].module)
			have[f] = (known[f] = module_listed(feats[f].kind ? feats[f].kind->module : feats[f].module)) > 0;
	}
	have[F_NETNS] = access("/proc/self/ns/net", F_OK) == 0;
	have[F_IPV6] = access("/proc/sys/net/ipv6", F_OK) == 0;
	/* ICMP echo sockets are in every kernel since 3.0; npte's range admits everyone */
	have[F_PING6] = have[F_IPV6];
}

static void probe_kernel(bool user)
{
	unsigned char res[F_N + 1] = {0};
	int fds[2], st;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		die_errno(EXIT_FAIL, "pipe");
	pid = fork();
	if (pid < 0)
		die_errno(EXIT_FAIL, "fork");
	if (pid == 0) {
		close(fds[0]);
		probe_child(fds[1], user);
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof res) != (ssize_t)sizeof res)
		memset(res, 0, sizeof res);
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (user && !res[F_N])
		return guess();
	for (int f = 0; f < F_N; f++)
		have[f] = res[f];
}

/* The detail of a feature's line: nothing when probed and there. */
static const char *kernel_detail(int f)
{
	if (!guessed)
		return have[f] ? "" : "not available";
	if (known[f] < 0)
		return "unknown (no user namespace to probe in, and no module lists for this kernel)";
	if (!feats[f].kind && !feats[f].module)
		return have[f] ? "likely (not probed: no user namespace to probe in)"
			       : "likely not available (not probed: no user namespace to probe in)";
	return have[f] ? "likely (no user namespace to probe in: guessed from the module lists)"
		       : "likely not available (no user namespace to probe in: guessed from the module lists)";
}

static void check_kernel(bool user)
{
	char what[80], fix[160];

	probe_kernel(user);
	for (int f = 0; f < F_N; f++) {
		const struct feature *ft = &feats[f];
		enum level l = have[f] ? L_OK : ft->needed && !guessed ? L_FAIL : L_WARN;

		snprintf(what, sizeof what, "kernel: %s", ft->label);
		if (ft->kind)
			snprintf(fix, sizeof fix, "modprobe %s (%s; on Debian in linux-image-*)", ft->kind->module,
				 ft->kind->config);
		else
			snprintf(fix, sizeof fix, "%s", ft->fix);
		/* a test bed lives without netem or cake: npte-netem apply then fails with the hint;
		 * a guess is no ground for a FAIL */
		report(known[f] < 0 ? L_WARN : l, what, kernel_detail(f), fix);
	}
}

/* --- installed files ------------------------------------------------------- */

static void check_binaries(const char *prefix)
{
	char path[1100], what[64], detail[1300];

	for (const char *const *b = binaries; *b; b++) {
		struct err bad = {0};
		struct stat st;

		snprintf(path, sizeof path, "%s/%s", prefix, *b);
		snprintf(what, sizeof what, "installed: %s", *b);
		if (stat(path, &st) < 0) {
			snprintf(detail, sizeof detail, "%s: %s", disp(path), strerror(errno));
			report(2, what, detail, "make install (as root)");
		} else if (!path_trusted(path, &bad)) {
			snprintf(detail, sizeof detail, "%s is not root-owned or is group/other-writable", bad.msg);
			report(2, what, detail, "chown root:root and chmod go-w that path, or reinstall under a root-owned prefix");
		} else if (!(st.st_mode & S_IXOTH) || (st.st_mode & (S_ISUID | S_ISGID))) {
			snprintf(detail, sizeof detail, "%s: mode %04o (want 0755, no setuid bit)", disp(path),
				 (unsigned)(st.st_mode & 07777));
			report(2, what, detail, "chmod 0755 that file");
		} else {
			report(0, what, path, NULL);
		}
	}
}

/* visudo -cqf FILE, with an empty environment. True when it accepts the file. */
static bool visudo_ok(const char *file)
{
	static const char *const cands[] = {"/usr/sbin/visudo", "/usr/bin/visudo", "/sbin/visudo", NULL};
	char *env[] = {NULL};
	pid_t pid;
	int st;

	for (const char *const *v = cands; *v; v++) {
		char *argv[] = {(char *)*v, "-cqf", (char *)file, NULL};

		if (access(*v, X_OK) < 0)
			continue;
		if (posix_spawn(&pid, *v, NULL, NULL, argv, env) != 0)
			return false;
		return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	return false;
}

static void check_sudoers(const char *file, const char *prefix)
{
	char line[1024], detail[1300], want[1100];
	bool setenv_seen = false, reset = false, rule = false, named[16] = {false};
	int missing = 0;
	struct stat st;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		snprintf(detail, sizeof detail, "%s: %s", disp(file), strerror(errno));
		report(2, "sudo rule: installed", detail, "make install (it checks the rule with visudo first)");
		return;
	}
	report(0, "sudo rule: installed", file, NULL);
	/* sudo itself wants it root-owned and not group/other-writable; 0440 is what we install */
	if (fstat(fileno(f), &st) == 0 && (st.st_uid != 0 || (st.st_mode & 0027)))
		report(2, "sudo rule: mode", "not root-owned 0440", "chown root:root and chmod 0440 the rule");
	else
		report(0, "sudo rule: mode", "root-owned, 0440", NULL);
	report(visudo_ok(file) ? 0 : 2, "sudo rule: visudo -c", NULL, "fix the syntax (visudo -cf FILE shows where)");
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		setenv_seen |= strstr(line, "SETENV") != NULL && strstr(line, "!setenv") == NULL;
		reset |= strstr(line, "env_reset") != NULL && strstr(line, "!setenv") != NULL;
		rule |= strstr(line, "%npte") != NULL && strstr(line, "NOPASSWD") != NULL;
		for (int i = 0; binaries[i]; i++) {
			snprintf(want, sizeof want, "%s/%s", prefix, binaries[i]);
			named[i] |= strstr(line, want) != NULL;
		}
	}
	fclose(f);
	report(setenv_seen ? 2 : 0, "sudo rule: no SETENV", setenv_seen ? "SETENV found" : NULL,
	       "remove SETENV: it lets users pass LD_* and SUDO_UID to a root process");
	report(reset ? 0 : 2, "sudo rule: Defaults! env_reset, !setenv", NULL, "reinstall sudoers.d/npte");
	report(rule ? 0 : 2, "sudo rule: %npte NOPASSWD", NULL, "reinstall sudoers.d/npte");
	for (int i = 0; binaries[i]; i++)
		missing += !named[i];
	snprintf(detail, sizeof detail, "%d of %zu binaries of %s missing from the rule", missing,
		 sizeof binaries / sizeof *binaries - 1, disp(prefix));
	report(missing ? 2 : 0, "sudo rule: names the installed binaries", missing ? detail : NULL,
	       "make install with the same PREFIX as the binaries");
}

/* --- run state and registry ------------------------------------------------ */

static void check_dir(const char *path, const char *what)
{
	char detail[256];
	struct stat st;

	if (lstat(path, &st) < 0) {
		report(errno == ENOENT ? 0 : 2, what, errno == ENOENT ? "absent (the first npte verb makes it)" : strerror(errno),
		       "rm -rf it and let npte make it again");
		return;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 07777) != 0700) {
		snprintf(detail, sizeof detail, "%s, uid %u, mode %04o (want a root-owned 0700 directory)",
			 S_ISDIR(st.st_mode) ? "directory" : "not a directory", (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		report(2, what, detail, "stop every npte process, then rm -rf it: npte makes it again");
		return;
	}
	report(0, what, "root-owned, 0700", NULL);
}

static bool looks_npte(const char *name)
{
	size_t n = strlen(name);

	for (int r = 0; r < LAB_NROLES; r++)
		if (n >= strlen(lab_role[r]) && strcmp(name + n - strlen(lab_role[r]), lab_role[r]) == 0)
			return true;
	return false;
}

static void check_registry(void)
{
	static char names[REGISTRY_MAX][16];
	char detail[256], head[160];
	struct err e = {0};
	struct dirent *de;
	int n, bad = 0;
	DIR *d;

	check_dir(NPTE_RUN_DIR, "/run/npte");
	check_dir(NPTE_RUN_DIR "/netns", "/run/npte/netns");
	if (rundir_open(false, &e) < 0) {
		report(0, "registry", "empty", NULL);
		return;
	}
	n = marker_list(names, REGISTRY_MAX);
	for (int i = 0; i < n; i++) {
		if (netns_exists(names[i]))
			continue;
		snprintf(detail, sizeof detail, "marker without a namespace: %.15s", names[i]);
		report(2, "registry", detail, "npte-netns gc");
		bad++;
	}
	if (journal_pending(head, sizeof head)) {
		snprintf(detail, sizeof detail, "an interrupted transaction is pending (%s)", head);
		report(2, "registry", detail, "npte-netns gc (npte-netns gc -n prints exactly what it will undo)");
		bad++;
	}
	d = opendir(NETNS_RUN_DIR);
	while (d && (de = readdir(d))) {
		struct marker m;

		if (de->d_name[0] == '.' || !valid_netns_name(de->d_name, NULL) || !looks_npte(de->d_name) ||
		    marker_read(de->d_name, &m) != -ENOENT)
			continue;
		snprintf(detail, sizeof detail, "npte-looking namespace without a marker: %s", de->d_name);
		report(2, "registry", detail,
		       "npte refuses it; if it is a leftover of yours, ip netns del it, else rename your lab with --prefix");
		bad++;
	}
	if (d)
		closedir(d);
	if (!bad) {
		snprintf(detail, sizeof detail, "%d marker%s, each with its namespace", n, n == 1 ? "" : "s");
		report(0, "registry", detail, NULL);
	}
}

/* --- the caller (user mode) -------------------------------------------------- */

/* Whether gid is among this process's groups: what sudo's %npte matches. */
static bool in_process_groups(gid_t gid)
{
	gid_t g[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, g);

	for (int i = 0; i < n; i++)
		if (g[i] == gid)
			return true;
	return getegid() == gid || getgid() == gid;
}

/* Whether user (primary group base) is a member of gid in the group database. */
static bool in_group_db(const char *user, gid_t base, gid_t gid)
{
	static gid_t g[NGROUPS_MAX];
	int n = NGROUPS_MAX;

	if (getgrouplist(user, base, g, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (g[i] == gid)
			return true;
	return false;
}

/* Group npte: in the database, and in this login's groups (a member added
 * since the login is not one until the next login). True when a member now. */
static bool check_group(const struct passwd *pw)
{
	const struct group *gr = getgrnam("npte");
	char detail[160], fix[200];
	bool db, now;

	if (!gr) {
		report(L_FAIL, "group npte", "this host has no group npte", "an administrator: make install (it makes the group)");
		return false;
	}
	db = in_group_db(pw->pw_name, pw->pw_gid, gr->gr_gid);
	now = in_process_groups(gr->gr_gid);
	if (now) {
		snprintf(detail, sizeof detail, "%s is a member", disp(pw->pw_name));
		report(L_OK, "group npte", detail, NULL);
	} else if (db) {
		snprintf(detail, sizeof detail, "%s is a member in /etc/group but not in this session", disp(pw->pw_name));
		report(L_FAIL, "group npte", detail, "log in again (or run newgrp npte) so that this session has the group");
	} else {
		snprintf(detail, sizeof detail, "%s is not a member", disp(pw->pw_name));
		snprintf(fix, sizeof fix, "an administrator: usermod -aG npte %s, then log in again", disp(pw->pw_name));
		report(L_FAIL, "group npte", detail, fix);
	}
	return now;
}

/* sudo -n -l PATH: whether the rule lets this user run PATH without a
 * password; sudo runs nothing for it. The first line sudo said, into why. */
static bool sudo_lists(const char *path, char *why, size_t n)
{
	char *argv[] = {"sudo", "-n", "-l", (char *)path, NULL}, *env[] = {NULL};
	posix_spawn_file_actions_t fa;
	int fds[2], st = -1;
	ssize_t got = 0;
	pid_t pid;

	why[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) < 0)
		return false;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	if (posix_spawn(&pid, "/usr/bin/sudo", &fa, NULL, argv, env) == 0) {
		close(fds[1]);
		/* sudo writes "sudo" and ": a password is required" apart: read to EOF */
		for (ssize_t r = 1; r > 0 && (size_t)got < n - 1; got += r > 0 ? r : 0)
			r = read(fds[0], why + got, n - 1 - (size_t)got);
		waitpid(pid, &st, 0);
	} else {
		close(fds[1]);
		snprintf(why, n, "cannot run /usr/bin/sudo");
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (got > 0) {
		why[got] = '\0';
		why[strcspn(why, "\n")] = '\0';
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Each installed binary through sudo -n, as npte's users run them. */
static void check_sudo_reach(const char *prefix, bool member)
{
	char path[1100], why[256], detail[1500];
	int bad = 0;

	if (!member) {
		report(L_SKIP, "sudo -n reaches npte's rule", "not tried: the rule is for group npte's members", NULL);
		return;
	}
	for (const char *const *b = binaries; *b; b++) {
		snprintf(path, sizeof path, "%s/%s", prefix, *b);
		if (sudo_lists(path, why, sizeof why))
			continue;
		if (!bad++)
			snprintf(detail, sizeof detail, "sudo -n -l %s: %s", disp(path),
				 why[0] ? disp(why) : "not allowed without a password");
	}
	if (bad)
		report(L_FAIL, "sudo -n reaches npte's rule", detail,
		       "an administrator: make install with the PREFIX of these binaries (it installs the rule)");
	else
		report(L_OK, "sudo -n reaches npte's rule", "every binary, without a password", NULL);
}

/* --- verdict ----------------------------------------------------------------- */

/* --require LIST: the features named, each one known; exit 2 naming the first that is not. */
static void parse_require(const char *list, bool *want)
{
	char buf[256], *save = NULL;
	size_t n = strlen(list);

	if (n >= sizeof buf || !n || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,"))
		die(EXIT_USAGE, "invalid --require '%s': a comma-separated list of features", disp(list));
	snprintf(buf, sizeof buf, "%s", list);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int f = 0;

		while (f < F_N && strcmp(feats[f].name, w) != 0)
			f++;
		if (f == F_N)
			die(EXIT_USAGE, "invalid --require '%s': unknown feature '%s' (netns, veth, tbf, netem, cake, "
					"ipv6, ping, ping6)", disp(list), disp(w));
		want[f] = true;
	}
}

static void print_json(bool user, const bool *want, int code)
{
	static const char *const word[] = {"ok", "warn", "fail", "skip"};
	const char *sep = "";

	printf("{\"mode\": \"%s\", \"kernel\": \"%s\", \"checks\": [", user ? "user" : "root",
	       guessed ? "guessed" : "probed");
	for (int i = 0; i < nchecks; i++) {
		printf("%s{\"level\": \"%s\", ", i ? ", " : "", word[checks[i].level]);
		json_field("check", checks[i].check, ", ");
		json_field("detail", checks[i].detail, ", ");
		json_field("fix", checks[i].fix, "}");
	}
	printf("], \"features\": {");
	for (int f = 0; f < F_N; f++)
		printf("%s\"%s\": %s", f ? ", " : "", feats[f].name, have[f] ? "true" : "false");
	printf("}, \"missing\": [");
	for (int f = 0; f < F_N; f++)
		if (want[f] && !have[f]) {
			printf("%s\"%s\"", sep, feats[f].name);
			sep = ", ";
		}
	printf("], \"failed\": %d, \"warnings\": %d, \"exit\": %d}\n", failed, warned, code);
}

/* 1 (a check failed: something to fix) before 69 (a feature --require names
 * is missing: this kernel cannot), before 0. */
static int verdict(bool json, bool user, const bool *want)
{
	char missing[128] = "";
	size_t len = 0;
	int code;

	for (int f = 0; f < F_N; f++)
		if (want[f] && !have[f])
			len += (size_t)snprintf(missing + len, sizeof missing - len, "%s%s", len ? ", " : "", feats[f].name);
	code = failed ? EXIT_FAIL : missing[0] ? EXIT_CANNOT : EXIT_OK;
	if (json) {
		print_json(user, want, code);
		return code;
	}
	print_text();
	if (missing[0])
		printf("cannot here: %s (--require)\n", missing);
	printf("%d failed, %d warning%s\n", failed, warned, warned == 1 ? "" : "s");
	return code;
}

/* The directory npte-doctor itself was installed in, or --prefix. */
static void install_prefix(const struct opts *o, char *prefix, size_t n)
{
	struct err e = {0};
	char self[1024];
	ssize_t len;

	if (o->set[O_PREFIX]) {
		if (!valid_abs_path(o->val[O_PREFIX], &e))
			die(e.code, "invalid --prefix '%s': %s", disp(o->val[O_PREFIX]), e.msg);
		snprintf(prefix, n, "%s", o->val[O_PREFIX]);
		return;
	}
	len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		die_errno(EXIT_FAIL, "readlink /proc/self/exe");
	self[len] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(prefix, n, "%s", self[0] ? self : "/");
}

/*
 * As a user (no root, no sudo): what this user can check. The rule and
 * /run/npte are root's to read: an administrator's `sudo npte-doctor`
 * checks them. The kernel is probed in a user namespace of the caller's own.
 */
static void user_checks(const char *prefix)
{
	const struct passwd *pw = getpwuid(getuid());
	bool member = false;

	check_kernel(true);
	check_binaries(prefix);
	if (pw)
		member = check_group(pw);
	else
		report(L_FAIL, "group npte", "this uid has no name in the user database", "an administrator: useradd");
	check_sudo_reach(prefix, member);
	report(L_SKIP, "sudo rule, /run/npte and the registry", "root only: an administrator's npte-doctor checks them",
	       NULL);
}

static void root_checks(const struct opts *o, const char *prefix)
{
	const char *sudoers = "/etc/sudoers.d/npte";
	struct err e = {0};

	if (o->set[O_SUDOERS]) {
		sudoers = o->val[O_SUDOERS];
		if (!valid_abs_path(sudoers, &e))
			die(e.code, "invalid --sudoers '%s': %s", disp(sudoers), e.msg);
	}
	check_kernel(false);
	check_binaries(prefix);
	check_sudoers(sudoers, prefix);
	report(getgrnam("npte") ? 0 : 2, "group npte", NULL, "groupadd --system npte, then usermod -aG npte USER");
	check_registry();
}

static int doctor(struct cli *cl, struct opts *op, int argc, char **argv)
{
	const struct opts *o = op;
	bool user = geteuid() != 0, want[F_N] = {false};
	char prefix[1024];

	(void)cl, (void)argc, (void)argv;
	/* root drops to what the probes need at once; a user keeps the right to
	 * exec sudo (setuid), which NO_NEW_PRIVS would take, and has nothing to drop */
	if (!user)
		caps_keep(caps_all);
	if (o->npos)
		die(EXIT_USAGE, "takes no arguments\n%s", USAGE);
	if (user && o->set[O_SUDOERS])
		die(EXIT_USAGE, "--sudoers: the rule is readable by root only (run npte-doctor as root)");
	if (o->set[O_REQUIRE])
		parse_require(o->val[O_REQUIRE], want);
	install_prefix(o, prefix, sizeof prefix);
	if (user)
		user_checks(prefix);
	else
		root_checks(o, prefix);
	return verdict(o->set[O_JSON], user, want);
}

CLI_MAIN(.name = "npte-doctor", .usage = USAGE, .caps = NULL, .single = doctor, .spec = spec_doctor, .permute = false)
