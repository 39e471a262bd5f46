/*
 * The cgroup escape: a cgroup the caller controls is a lever on the root
 * process (freeze it holding the lock, kill it at a chosen moment, starve
 * it), so hygiene leaves every such one, keeping the way back for npte-run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/err.h"
#include "base/escape.h"
#include "priv/cgroup.h"

/*
 * The mount point of the hierarchy a line of /proc/self/cgroup names: the
 * cgroup2 mount for "0::", else the cgroup (v1) mount whose options list
 * every one of its controllers. False when it is not mounted here.
 */
static bool cgroup_mount(const char *controllers, char *out, size_t n)
{
	static char line[PATH_MAX + 1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found = false;

	while (f && !found && fgets(line, sizeof line, f)) {
		char point[PATH_MAX], type[64], opts[1024], *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*u %*u %*s %*s %4095s", point) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", type, opts) != 2)
			continue;
		if (!controllers[0]) {
			found = strcmp(type, "cgroup2") == 0;
		} else if (strcmp(type, "cgroup") == 0) {
			char want[256], all[1100], *save = NULL;

			/* ",rw,freezer," holds ",freezer,": each controller a whole option */
			snprintf(want, sizeof want, "%s", controllers);
			snprintf(all, sizeof all, ",%s,", opts);
			found = true;
			for (char *c = strtok_r(want, ",", &save); c && found; c = strtok_r(NULL, ",", &save)) {
				char tok[300];

				snprintf(tok, sizeof tok, ",%s,", c);
				found = strstr(all, tok) != NULL;
			}
		}
		if (found)
			snprintf(out, n, "%s", point);
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * Whether anyone but root may change the cgroup dir: the directory, or any
 * control file in it (cgroup.procs, cgroup.freeze, cgroup.kill, freezer.state,
 * memory.max, ...), owned by someone else or writable by group or others.
 * An administrator may hand out single files (libcgroup does), not only the
 * directory (systemd's delegation).
 */
static bool cgroup_users(const char *dir)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	bool theirs = false;

	if (stat(dir, &st) < 0 || !(d = opendir(dir)))
		return false; /* gone meanwhile: nothing of it to fear */
	theirs = st.st_uid != 0 || (st.st_mode & 022);
	while (!theirs && (de = readdir(d)))
		theirs = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
			 (st.st_uid != 0 || (st.st_mode & 022));
	closedir(d);
	return theirs;
}

/*
 * A cgroup the caller controls (systemd delegates user@UID.service's subtree
 * to the user; an administrator may delegate a v1 freezer or cpu cgroup) lets
 * them freeze npte while it holds the lock, kill it at a chosen moment or
 * starve it. In every hierarchy where any cgroup above npte is not root's,
 * npte moves to the hierarchy's root, keeping the way back for npte-run's
 * program; it refuses to run (exit 2) when it cannot do either.
 */
void cgroup_leave(struct caller_state *saved)
{
	static char line[PATH_MAX + 256], dir[2 * PATH_MAX];
	FILE *f = fopen("/proc/self/cgroup", "re");

	while (f && fgets(line, sizeof line, f)) {
		char mnt[PATH_MAX], *c1, *c2, *path;
		size_t len = strlen(line);
		bool delegated = false;
		int back, fd;

		/* A line cut short would name a cgroup that is not ours: refuse. */
		if (!len || line[len - 1] != '\n')
			die(EXIT_USAGE, "refusing to run: a cgroup path longer than %d bytes", PATH_MAX);
		line[len - 1] = '\0';
		if (!(c1 = strchr(line, ':')) || !(c2 = strchr(c1 + 1, ':')))
			continue;
		*c2 = '\0';
		path = c2 + 1;
		if (strcmp(path, "/") == 0 || !cgroup_mount(c1 + 1, mnt, sizeof mnt))
			continue;
		snprintf(dir, sizeof dir, "%s%s", mnt, path);
		while (!delegated && strlen(dir) > strlen(mnt)) {
			delegated = cgroup_users(dir);
			*strrchr(dir, '/') = '\0';
		}
		if (!delegated || geteuid() != 0)
			continue;
		/* The way back, opened now: later /sys may be another mount (npte-run
		 * mounts the namespace's own), and the program must not get less. */
		snprintf(dir, sizeof dir, "%s%s/cgroup.procs", mnt, path);
		back = open(dir, O_WRONLY | O_CLOEXEC);
		snprintf(dir, sizeof dir, "%s/cgroup.procs", mnt);
		fd = open(dir, O_WRONLY | O_CLOEXEC);
		if (back < 0 || fd < 0 || saved->ncgroup >= CGROUP_MAX || write(fd, "0\n", 2) != 2)
			die(EXIT_USAGE, "refusing to run in cgroup %s, which a user controls (freeze, kill, memory), "
				"and which npte cannot leave and come back to", disp(path));
		close(fd);
		saved->cgroup_fd[saved->ncgroup++] = back;
	}
	if (f)
		fclose(f);
}

int cgroup_return(const struct caller_state *st)
{
	for (int i = 0; i < st->ncgroup; i++)
		if (write(st->cgroup_fd[i], "0\n", 2) != 2)
			return -errno;
	return 0;
}
