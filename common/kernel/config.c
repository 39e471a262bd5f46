/*
 * /etc/npte/npte.conf: "key = value" lines, '#' comments, blank lines; an
 * unknown key or a malformed line is an error, never ignored, so a typo
 * cannot silently lift a limit. A value is a number; a size may end in one
 * of k, m, g, t (binary units).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kernel/config.h"
#include "kernel/registry.h"
#include "base/kmem.h"
#include "base/escape.h"

#define KMEM_CONF_MAX (16ULL << 40)

static void defaults(struct config *cfg)
{
	cfg->max_namespaces = 32;
	cfg->max_kernel_memory = KMEM_BUDGET_DEFAULT;
	cfg->gateway = false;
}

int config_parse(struct config *cfg, const char *text, struct err *e)
{
	char buf[4096];
	int lineno = 0;

	defaults(cfg);
	if (strlen(text) >= sizeof buf)
		return err_set(e, EXIT_USAGE, "%s: too long", NPTE_CONF);
	strcpy(buf, text);
	for (char *line = buf, *next; line && *line; line = next) {
		char key[32], val[32], extra;
		char *nl = strchr(line, '\n');

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (sscanf(line, "%31[a-z_] = %31[0-9a-z] %c", key, val, &extra) != 2 ||
		    strchr(line, '=') == NULL)
			return err_set(e, EXIT_USAGE, "%s:%d: expected 'key = value', got '%s'", NPTE_CONF,
				       lineno, disp(line));
		if (strcmp(key, "max_namespaces") == 0) {
			char *end;
			unsigned long v = strtoul(val, &end, 10);

			if (*end || v > 100000 || (val[0] == '0' && val[1]))
				return err_set(e, EXIT_USAGE, "%s:%d: max_namespaces must be 0..100000",
					       NPTE_CONF, lineno);
			cfg->max_namespaces = (unsigned)v;
		} else if (strcmp(key, "max_kernel_memory") == 0) {
			if (!kmem_size_parse(val, KMEM_CONF_MAX, &cfg->max_kernel_memory))
				return err_set(e, EXIT_USAGE, "%s:%d: max_kernel_memory must be a size 0..16t "
					       "(bytes, or a number with k, m, g or t), not '%s'", NPTE_CONF,
					       lineno, val);
		} else if (strcmp(key, "gateway") == 0) {
			/* it touches the host: only a plain yes or no, never a guess */
			if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
				return err_set(e, EXIT_USAGE, "%s:%d: gateway must be yes or no, not '%s'", NPTE_CONF,
					       lineno, val);
			cfg->gateway = val[0] == 'y';
		} else {
			return err_set(e, EXIT_USAGE, "%s:%d: unknown key '%s'", NPTE_CONF, lineno, key);
		}
	}
	return 0;
}

int config_load(struct config *cfg, struct err *e)
{
	char text[4096];
	struct err why = {0};
	struct stat st;
	ssize_t n;
	int fd;

	defaults(cfg);
	fd = run_open(AT_FDCWD, NPTE_CONF, O_RDONLY, S_IFREG, &why);
	if (fd == -ENOENT)
		return 0;
	if (fd == -EMEDIUMTYPE)
		return err_set(e, EXIT_USAGE, "%s %s; refusing to use it", NPTE_CONF, why.msg);
	if (fd < 0)
		return err_sys(e, EXIT_USAGE, -fd, "%s", NPTE_CONF);
	if (fstat(fd, &st) < 0 || (st.st_mode & 022)) {
		close(fd);
		return err_set(e, EXIT_USAGE, "%s must be a root-owned file not writable by group or others",
			       NPTE_CONF);
	}
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0)
		return err_sys(e, EXIT_USAGE, errno, "%s", NPTE_CONF);
	text[n] = '\0';
	return config_parse(cfg, text, e);
}
