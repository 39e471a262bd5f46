/*
 * npte-run: run a program inside a namespace the caller owns, as the caller,
 * with no privilege left. What `ip netns exec` sets up (the netns, a private
 * mount namespace, a fresh /sys, /etc/netns/NS over /etc), then the caller's
 * uid, gid and groups, empty capability sets, NO_NEW_PRIVS, a fresh
 * environment, and execvp resolved as the caller.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <cap-ng.h>
#include <linux/capability.h>
#include "base/args.h"
#include "cli/cli.h"
#include "base/err.h"
#include "kernel/lock.h"
#include "ops/ops.h"
#include "base/optspecs.h"
#include "txn/plan.h"
#include "priv/priv.h"
#include "kernel/registry.h"
#include "base/escape.h"
#include "base/validate.h"

#define USAGE \
	"usage: npte-run [-n] [-e KEY=VALUE]... [--wait S] NS [--] CMD [ARG]...\n" \
	"       npte-run -h | --help | --version\n"

/*
 * Kept until the switch to the caller, then all gone. The bounding set is
 * already empty by then (cleared at start while CAP_SETPCAP was still ours).
 */
static const int caps_user[] = {
	CAP_SYS_ADMIN, /* setns(2), unshare(CLONE_NEWNS), mount /sys and /etc/netns files */
	CAP_SETUID,    /* setresuid(2) to the caller */
	CAP_SETGID,    /* setresgid(2) and setgroups(2) to the caller's groups */
	-1,
};

#define ENV_MAX (ARGS_LIST_MAX + ENV_KEPT_MAX + 8)
#define GROUPS_MAX 256

static struct caller who;
static const struct caller_state *state; /* what sudo handed over (hygiene) */
static struct {
	char name[64], home[1024], shell[256];
	gid_t groups[GROUPS_MAX];
	int ngroups;
} user;
static char envbuf[8][1100];
static const char *envp[ENV_MAX + 1];
static int nenv;
static char **cmd; /* CMD ARG..., NULL-ended (argv's own tail) */

/* --- the environment, built from nothing ---------------------------------- */

static void env_put(const char *kv)
{
	size_t klen = strcspn(kv, "=");

	/* A later value for the same key wins, so -e can override TERM or PATH. */
	for (int i = 0; i < nenv; i++) {
		if (strncmp(envp[i], kv, klen) == 0 && envp[i][klen] == '=') {
			envp[i] = kv;
			return;
		}
	}
	if (nenv >= ENV_MAX)
		die(EXIT_USAGE, "too many environment variables");
	envp[nenv++] = kv;
}

static const char *env_fmt(int slot, const char *key, const char *val)
{
	snprintf(envbuf[slot], sizeof envbuf[slot], "%s=%s", key, val);
	return envbuf[slot];
}

static bool valid_env_key(const char *s, size_t len)
{
	if (len == 0 || len > 128 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static void build_env(const struct opts *o)
{
	env_put(env_fmt(0, "PATH", who.admin ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
					     : "/usr/local/bin:/usr/bin:/bin"));
	env_put(env_fmt(1, "HOME", user.home));
	env_put(env_fmt(2, "USER", user.name));
	env_put(env_fmt(3, "LOGNAME", user.name));
	env_put(env_fmt(4, "SHELL", user.shell));
	for (const char *const *k = state->env; *k; k++)
		env_put(*k);
	for (int i = 0; i < o->nlist; i++) {
		const char *kv = o->list[i];
		size_t klen = strcspn(kv, "=");

		if (!kv[klen])
			die(EXIT_USAGE, "invalid -e '%s': expected KEY=VALUE", disp(kv));
		if (!valid_env_key(kv, klen))
			die(EXIT_USAGE, "invalid -e key in '%s': must match ^[A-Za-z_][A-Za-z0-9_]*$ (at most 128)",
			    disp(kv));
		env_put(kv); /* VALUE is any bytes: it reaches the caller's program, and the script in plain text */
	}
	envp[nenv] = NULL;
}

/* The caller's account, read in the host's mount namespace before entering NS:
 * no NSS or passwd lookup ever happens inside a namespace. */
static void lookup_user(void)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwuid(who.uid);
	if (!pw)
		die(EXIT_FAIL, "no passwd entry for uid %u", (unsigned)who.uid);
	/* cppcheck-suppress nullPointerRedundantCheck ; die() above does not return */
	if (strlen(pw->pw_name) >= sizeof user.name || strlen(pw->pw_dir) >= sizeof user.home ||
	    strlen(pw->pw_shell) >= sizeof user.shell)
		die(EXIT_FAIL, "passwd entry for uid %u is too long", (unsigned)who.uid);
	strcpy(user.name, pw->pw_name);
	strcpy(user.home, pw->pw_dir);
	strcpy(user.shell, pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	user.ngroups = GROUPS_MAX;
	if (getgrouplist(user.name, who.gid, user.groups, &user.ngroups) < 0)
		die(EXIT_FAIL, "%s is in more than %d groups", user.name, GROUPS_MAX);
}

/* --- inside the namespace ---------------------------------------------------- */

static void fresh_sys(void)
{
	struct statvfs sv;
	unsigned long flags = 0;

	if (statvfs("/sys", &sv) == 0 && (sv.f_flag & ST_RDONLY))
		flags = MS_RDONLY;
	/* /sys/class/net shows the namespace of the sysfs mount, not of the reader. */
	if (umount2("/sys", MNT_DETACH) < 0 && errno != EINVAL)
		die_errno(EXIT_FAIL, "umount /sys");
	if (mount("sysfs", "/sys", "sysfs", flags, NULL) < 0)
		die_errno(EXIT_FAIL, "mount sysfs on /sys");
}

static void check_root_owned(int fd, const char *what, const char *name)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
		die(EXIT_FAIL, "refusing %s%s: not root-owned or writable by others", what, disp(name));
}

/* Bind each file of a root-owned /etc/netns/NS over /etc, as ip netns exec does,
 * but refusing anything a user could have planted or redirected. */
static void bind_etc(const char *ns)
{
	int base, dir;
	DIR *d;
	struct dirent *de;

	base = open("/etc/netns", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (base < 0) {
		if (errno == ENOENT)
			return;
		die_errno(EXIT_FAIL, "open /etc/netns (must be a directory, not a symlink)");
	}
	check_root_owned(base, "/etc/netns", "");
	dir = openat(base, ns, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(base);
	if (dir < 0) {
		if (errno == ENOENT)
			return;
		die_errno(EXIT_FAIL, "open /etc/netns/%s (must be a directory, not a symlink)", ns);
	}
	check_root_owned(dir, "/etc/netns/", ns);
	d = fdopendir(dir);
	if (!d)
		die_errno(EXIT_FAIL, "read /etc/netns/%s", ns);
	while ((de = readdir(d))) {
		char target[512], src[64];
		struct stat st;
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		fd = openat(dir, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			die_errno(EXIT_FAIL, "open /etc/netns/%s/%s", ns, disp(de->d_name));
		if (S_ISLNK(st.st_mode) || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			die(EXIT_FAIL, "refusing /etc/netns/%s/%s: not a regular file or directory", ns,
			    disp(de->d_name));
		check_root_owned(fd, "/etc/netns/ entry ", de->d_name);
		snprintf(target, sizeof target, "/etc/%s", de->d_name);
		snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
		/* Through the fd we checked: a rename after the check cannot redirect it. */
		if (mount(src, target, NULL, MS_BIND, NULL) < 0)
			warn_msg("bind /etc/netns/%s/%s over %s: %s", ns, disp(de->d_name), disp(target),
			      strerror(errno));
		close(fd);
	}
	closedir(d);
}

/*
 * Every mount of our private namespace nosuid, last, after the mounts made
 * here: the kernel then ignores setuid bits and file capabilities at exec, so
 * ping (cap_net_raw=ep, which an empty bounding set makes exec refuse with
 * EPERM) runs as the caller with no capability and uses an ICMP echo socket.
 * Recursive and atomic (mount_setattr): hidden and overmounted mounts too.
 * A mount the host adds later comes in through MS_SLAVE, maybe without it; there
 * NO_NEW_PRIVS keeps setuid bits from changing the uid and the empty
 * bounding set keeps file capabilities out (NO_NEW_PRIVS alone does not).
 */
static void nosuid_all(void)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_NOSUID};

	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &a, sizeof a) < 0)
		die_errno(EXIT_FAIL, "make every mount nosuid");
}

static void become_user(void)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (who.admin)
		return; /* root without sudo: the administrator's own privilege, as ip netns exec */
	if (setgroups((size_t)user.ngroups, user.groups) < 0)
		die_errno(EXIT_FAIL, "setgroups");
	if (setresgid(who.gid, who.gid, who.gid) < 0)
		die_errno(EXIT_FAIL, "setresgid %u", (unsigned)who.gid);
	/* Leaving uid 0 without KEEPCAPS empties the permitted and effective sets. */
	if (setresuid(who.uid, who.uid, who.uid) < 0)
		die_errno(EXIT_FAIL, "setresuid %u", (unsigned)who.uid);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0)
		die(EXIT_FAIL, "cannot clear capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(EXIT_FAIL, "PR_SET_NO_NEW_PRIVS");
	/* Verify rather than trust (CVE-2019-14287 and friends). */
	if (getresuid(&r, &e, &s) < 0 || r != who.uid || e != who.uid || s != who.uid ||
	    getresgid(&rg, &eg, &sg) < 0 || rg != who.gid || eg != who.gid || sg != who.gid)
		die(EXIT_FAIL, "the switch to uid %u did not take", (unsigned)who.uid);
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		die(EXIT_FAIL, "capabilities survived the switch to uid %u", (unsigned)who.uid);
	if (!caps_bounding_empty())
		die(EXIT_FAIL, "the bounding set is not empty");
}

/* --- the op ---------------------------------------------------------------------- */

/* The op: enter NS, under the shared lock, so that a destroy that follows
 * finds us in it (and refuses); the lock goes when the transaction ends. */
static int run_apply(struct txn *c, const struct op *op, bool undo)
{
	struct nshandle *h;
	int rc;

	(void)undo;
	rc = txn_ns(c, op->ns, &h);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s", op->ns);
	if (setns(h->fd, CLONE_NEWNET) < 0)
		return err_sys(&c->err, EXIT_FAIL, errno, "%s: setns", op->ns);
	return 0;
}

/* After the transaction (lock released, in NS): become the program. */
static int start_program(struct txn *c, void *arg)
{
	const char *ns = arg;
	int rc;

	/* Our own mount namespace, propagating nothing back to the host. */
	if (unshare(CLONE_NEWNS) < 0 || mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_sys(&c->err, EXIT_FAIL, errno, "%s: private mount namespace", ns);
	fresh_sys();
	bind_etc(ns);
	nosuid_all();
	/* The program runs as the caller's own process would: umask, limits,
	 * nice, oom_score_adj. Before the switch: /proc/self/oom_score_adj of a
	 * non-dumpable process is root's; every value only goes down (or, for
	 * oom_score_adj, up), so no capability is needed. */
	rc = caller_state_restore(state);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "restore the caller's limits");
	become_user();
	/* The caller's working directory, entered with the caller's own rights. */
	if (!state->cwd[0] || chdir(state->cwd) < 0)
		if (chdir(user.home) < 0 && chdir("/") < 0)
			return err_sys(&c->err, EXIT_FAIL, errno, "chdir");
	environ = (char **)envp; /* execvp searches the caller's PATH, as the caller */
	execvp(cmd[0], cmd);
	rc = errno;
	warn_msg("%s: %s", disp(cmd[0]), strerror(rc));
	_exit(rc == ENOENT ? 127 : 126);
}

static const struct {
	int res;
	const char *opt;
} prlimit_opt[] = {
	{RLIMIT_AS, "--as"},       {RLIMIT_CORE, "--core"},     {RLIMIT_CPU, "--cpu"},
	{RLIMIT_DATA, "--data"},   {RLIMIT_FSIZE, "--fsize"},   {RLIMIT_LOCKS, "--locks"},
	{RLIMIT_MEMLOCK, "--memlock"}, {RLIMIT_MSGQUEUE, "--msgqueue"}, {RLIMIT_NICE, "--nice"},
	{RLIMIT_NOFILE, "--nofile"}, {RLIMIT_NPROC, "--nproc"}, {RLIMIT_RSS, "--rss"},
	{RLIMIT_RTPRIO, "--rtprio"}, {RLIMIT_RTTIME, "--rttime"}, {RLIMIT_SIGPENDING, "--sigpending"},
	{RLIMIT_STACK, "--stack"},
};

static void limit_word(char *buf, size_t n, const char *opt, const struct rlimit *l)
{
	char soft[24] = "unlimited", hard[24] = "unlimited";

	if (l->rlim_cur != RLIM_INFINITY)
		snprintf(soft, sizeof soft, "%llu", (unsigned long long)l->rlim_cur);
	if (l->rlim_max != RLIM_INFINITY)
		snprintf(hard, sizeof hard, "%llu", (unsigned long long)l->rlim_max);
	snprintf(buf, n, "%s=%s:%s", opt, soft, hard);
}

/* nosuid_all in shell words: util-linux 2.38 has no recursive remount, so each
 * mount point of mountinfo (octal escapes undone, and an x kept after them
 * while $(...) strips trailing newlines: a name may end in one), in order; a
 * mount hidden under another one is left, as no path reaches it. Then the
 * rest of argv. */
static const char nosuid_sh[] =
	"set -ef; for m in $(cut -d\" \" -f5 /proc/self/mountinfo); do "
	"p=$(printf %bx \"$m\"); mount -o remount,bind,nosuid \"${p%x}\"; done; exec \"$@\"";

/* The caller's limits, as prlimit words, then "--". */
static void render_limits(FILE *f, const struct caller_state *st, size_t *col)
{
	char word[64];

	render_wrapped(f, "prlimit", col);
	for (size_t i = 0; i < sizeof prlimit_opt / sizeof prlimit_opt[0]; i++) {
		if (!st->have_limit[prlimit_opt[i].res])
			continue;
		limit_word(word, sizeof word, prlimit_opt[i].opt, &st->limit[prlimit_opt[i].res]);
		render_wrapped(f, word, col);
	}
	render_wrapped(f, "--", col);
}

/* Each word quoted onto the wrapped line. */
static void wrap_words(FILE *f, const char *const *w, size_t *col)
{
	for (; *w; w++)
		render_wrapped(f, *w, col);
}

/* The caller's nice value, scheduling policy and oom_score_adj: nice, chrt, choom. */
static void render_priority(FILE *f, const struct caller_state *st, size_t *col)
{
	char word[64];

	if (st->nice > 0) {
		snprintf(word, sizeof word, "%d", st->nice);
		wrap_words(f, (const char *[]){"nice", "-n", word, NULL}, col);
	}
	if (st->policy == SCHED_IDLE || st->policy == SCHED_BATCH || st->policy == SCHED_FIFO ||
	    st->policy == SCHED_RR) {
		const char *pol = st->policy == SCHED_IDLE    ? "--idle"
				  : st->policy == SCHED_BATCH ? "--batch"
				  : st->policy == SCHED_FIFO  ? "--fifo"
							      : "--rr";

		snprintf(word, sizeof word, "%d", st->sched.sched_priority);
		wrap_words(f, (const char *[]){"chrt", pol, word, NULL}, col);
	}
	if (st->oom_adj > 0) {
		snprintf(word, sizeof word, "%d", st->oom_adj);
		wrap_words(f, (const char *[]){"choom", "-n", word, "--", NULL}, col);
	}
}

/* setpriv to the caller, with nothing left (the live run's become_user). */
static void render_setpriv(FILE *f, size_t *col)
{
	char uid[16], gid[16];

	snprintf(uid, sizeof uid, "%u", (unsigned)who.uid);
	snprintf(gid, sizeof gid, "%u", (unsigned)who.gid);
	wrap_words(f, (const char *[]){"setpriv", "--reuid", uid, "--regid", gid, "--init-groups",
					 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", NULL},
		     col);
}

/*
 * The same program start in shell words: the lock released, the caller's
 * umask, then ip netns exec (netns, mount namespace, /sys, /etc/netns),
 * every mount nosuid (sh -c nosuid_sh), the caller's limits, nice value and
 * oom_score_adj (prlimit, nice, choom, as root, before the switch), then
 * setpriv to the caller (no PAM, so nothing changes the limits again;
 * NO_NEW_PRIVS and no capabilities, like the live run), a fresh environment,
 * the command.
 */
static void run_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	const struct caller_state *st = state;
	size_t col;

	(void)c, (void)undo;
	/* Release the lock and give the program default signal handling back. */
	fprintf(f, "exec 9>&-\ntrap - HUP INT QUIT TERM TSTP TTIN TTOU PIPE\numask %04o\n",
		(unsigned)st->umask);
	fputs("exec ", f);
	render_cmd(f, (const char *[]){"ip", "netns", "exec", op->ns, NULL});
	col = strlen("exec ip netns exec ") + sh_quote_buf(NULL, 0, op->ns);
	wrap_words(f, (const char *[]){"sh", "-c", nosuid_sh, "sh", NULL}, &col);
	/* Many words, the caller's among them: wrapped, so a pasted line stays short. */
	render_limits(f, st, &col);
	render_priority(f, st, &col);
	if (!who.admin)
		render_setpriv(f, &col);
	render_wrapped(f, "env", &col);
	render_wrapped(f, "-i", &col);
	/* The environment and the command are the caller's: any length. */
	wrap_words(f, envp, &col);
	wrap_words(f, (const char *const *)cmd, &col);
	fputc('\n', f);
}

static const struct op_type run_op = {.name = "run", .apply = run_apply, .render = run_render};

/* The one command: NS [--] CMD [ARG]... (options end at NS). */
static int run(struct cli *cl, struct opts *o, int argc, char **argv)
{
	struct plan *plan = cl->plan;
	struct txn c;
	unsigned wait_s;
	const char *ns;
	int at = 1;

	who = cl->who;
	state = cl->state;
	if (!who.admin)
		caps_keep(caps_user);
	wait_s = cli_wait(NULL, o);
	if (o->npos < 1)
		cli_usage(EXIT_USAGE);
	ns = cli_netns(NULL, o->pos[0]);
	if (o->npos > at && strcmp(o->pos[at], "--") == 0)
		at++;
	else if (o->npos > at && args_is_option(o->spec, o->pos[at]))
		/* `npte-run client -e K=v sh` would exec "-e": an error that says why.
		 * A program with such a name still runs after "--". */
		die(EXIT_USAGE, "%s after NS: options go before NS: npte-run [OPTIONS] NS [--] PROGRAM...",
		    disp(o->pos[at]));
	if (o->npos <= at)
		die(EXIT_USAGE, "no command given\n%s", USAGE);
	/* Options stop at NS, so CMD ARG... is argv's own tail, NULL-ended. */
	cmd = argv + (argc - (o->npos - at));
	if (!cmd[0][0] || strchr(cmd[0], '='))
		die(EXIT_USAGE, "invalid command '%s': empty or containing '='", disp(cmd[0]));
	lookup_user();
	build_env(o);

	snprintf(plan->title, sizeof plan->title, "npte-run %s -- %s ...", ns, disp(cmd[0]));
	plan->verb = "run";
	plan->exclusive = false; /* a reader: it only needs NS to stay put while it enters */
	plan_guard_owned(plan, "run", ns, 0);
	plan_netns_ping(plan, ns);
	snprintf(plan_add(plan, &run_op)->ns, NETNS_NAME_MAX + 1, "%s", ns);
	if (o->set[O_DRYRUN]) {
		txn_init(&c, &who, wait_s);
		plan_render(stdout, plan, &c);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	/* Guards and the entry into NS under the shared lock, then the program
	 * (it returns only on failure). */
	return cli_read(cl, "run", o, &(struct read_verb){.then = start_program, .arg = (void *)ns});
}

/* caps NULL: run() keeps its own, and none for the administrator. */
CLI_MAIN(.name = "npte-run", .usage = USAGE, .caps = NULL, .single = run, .spec = spec_run, .permute = false,
	 .keep_session = true)
