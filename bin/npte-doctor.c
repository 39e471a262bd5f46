/*
 * npte-doctor: can this host run npte, and run it safely? One line per check,
 * a fix for every failure, exit 1 if any check failed. Read-only: the kernel
 * probes run in a throwaway network namespace of a child process that dies
 * with everything it made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
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
#include "shape/shape.h"
#include "base/escape.h"
#include "base/validate.h"

#define USAGE \
	"usage: npte-doctor [--prefix DIR] [--sudoers FILE]\n" \
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
	"npte-netem", "npte-run",  "npte-lock", "npte-lab", NULL,
};

static int failed, warned;

/* "ok", "warn" or "FAIL", the check, and for the last two what to do. */
static void report(int level, const char *check, const char *detail, const char *fix)
{
	static const char *const word[] = {"ok  ", "warn", "FAIL"};

	printf("%s  %s%s%s\n", word[level], check, detail && *detail ? ": " : "", detail ? detail : "");
	if (level && fix)
		printf("      fix: %s\n", fix);
	failed += level == 2;
	warned += level == 1;
}

/* --- kernel ---------------------------------------------------------------- */

enum probe { P_NETNS, P_VETH, P_TBF, P_NETEM, P_CAKE, P_N };
static const char *const probe_name[P_N] = {"network namespaces", "veth", "tbf", "sch_netem", "cake"};

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

/* The kind each qdisc probe makes. */
static const struct qdisc_kind *const probe_kind[P_N] = {[P_TBF] = &tbf_kind, [P_NETEM] = &netem_kind, [P_CAKE] = &cake_kind};

/* The root qdisc request npte-netem sends, of the probe's kind with the
 * kind's probe words, on lo (the first link of every new namespace). */
static int probe_qdisc(struct netlink *nl, enum probe p, char *ext, size_t n)
{
	static union { struct nlmsghdr h; char b[NL_BUF]; } req;
	static union qspec q;
	const struct qdisc_kind *k = probe_kind[p];
	struct nlmsghdr *h;
	struct err e = {0};
	int rc;

	if (!qkind_parse_str(k, &q, k->probe_words, shape_tick_in_usec(), &e))
		return -EINVAL;
	rc = req_qdisc_new(nl, req.b, sizeof req.b,
			   &(struct qdisc_new){.flags = NLM_F_CREATE | NLM_F_REPLACE, .ifindex = 1, .handle = 0x10000,
					       .parent = TC_H_ROOT, .kind = qkind_index(k), .spec = &q},
			   &h);
	return rc < 0 ? rc : netlink_talk(nl, h, ext, n);
}

/* In a child: a new network namespace, then each probe; one result byte per probe. */
static _Noreturn void probe_child(int out)
{
	unsigned char res[P_N] = {0};
	struct netlink nl;
	char ext[256];

	if (unshare(CLONE_NEWNET) == 0 && netlink_open(&nl) == 0) {
		res[P_NETNS] = 1;
		res[P_VETH] = probe_veth(&nl, ext, sizeof ext) == 0;
		for (enum probe p = P_TBF; p < P_N; p++)
			res[p] = probe_qdisc(&nl, p, ext, sizeof ext) == 0;
	}
	_exit(write(out, res, sizeof res) == (ssize_t)sizeof res ? 0 : 1);
}

static void check_kernel(void)
{
	static const char *const fix[P_N] = {
		"a kernel with CONFIG_NET_NS and root (or CAP_SYS_ADMIN)",
		"modprobe veth (CONFIG_VETH)",
		"modprobe sch_tbf (CONFIG_NET_SCH_TBF)",
		"modprobe sch_netem (CONFIG_NET_SCH_NETEM; on Debian in linux-image-*)",
		"modprobe sch_cake (CONFIG_NET_SCH_CAKE)",
	};
	unsigned char res[P_N] = {0};
	int fds[2], st;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		die_errno(EXIT_FAIL, "pipe");
	pid = fork();
	if (pid < 0)
		die_errno(EXIT_FAIL, "fork");
	if (pid == 0) {
		close(fds[0]);
		probe_child(fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof res) != (ssize_t)sizeof res)
		memset(res, 0, sizeof res);
	close(fds[0]);
	waitpid(pid, &st, 0);
	for (enum probe p = 0; p < P_N; p++) {
		char what[64];

		snprintf(what, sizeof what, "kernel: %s", probe_name[p]);
		/* a test bed lives without netem or cake: npte-netem apply then fails cleanly */
		report(res[p] ? 0 : p >= P_NETEM ? 1 : 2, what, res[p] ? NULL : "not available", fix[p]);
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

static int doctor(struct cli *cl, struct opts *op, int argc, char **argv)
{
	const struct opts *o = op;
	char self[1024], prefix[1024];
	struct err e = {0};
	const char *sudoers = "/etc/sudoers.d/npte";
	ssize_t len;

	(void)cl, (void)argc, (void)argv;
	if (o->npos)
		die(EXIT_USAGE, "takes no arguments\n%s", USAGE);
	require_root("check");
	if (o->set[O_PREFIX]) {
		const char *p = o->val[O_PREFIX];

		if (!valid_abs_path(p, &e))
			die(e.code, "invalid --prefix '%s': %s", disp(p), e.msg);
		snprintf(prefix, sizeof prefix, "%s", p);
	} else {
		/* the directory npte-doctor itself was installed in */
		len = readlink("/proc/self/exe", self, sizeof self - 1);
		if (len <= 0)
			die_errno(EXIT_FAIL, "readlink /proc/self/exe");
		self[len] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(prefix, sizeof prefix, "%s", self[0] ? self : "/");
	}
	if (o->set[O_SUDOERS]) {
		sudoers = o->val[O_SUDOERS];
		if (!valid_abs_path(sudoers, &e))
			die(e.code, "invalid --sudoers '%s': %s", disp(sudoers), e.msg);
	}
	check_kernel();
	check_binaries(prefix);
	check_sudoers(sudoers, prefix);
	report(getgrnam("npte") ? 0 : 2, "group npte", NULL, "groupadd --system npte, then usermod -aG npte USER");
	check_registry();
	printf("%d failed, %d warning%s\n", failed, warned, warned == 1 ? "" : "s");
	return failed ? EXIT_FAIL : EXIT_OK;
}

CLI_MAIN(.name = "npte-doctor", .usage = USAGE, .caps = caps_all, .single = doctor, .spec = spec_doctor, .permute = false)
