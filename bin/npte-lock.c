/*
 * npte-lock: who holds npte's global lock. Every npte binary takes
 * /run/npte/lock around its kernel and marker operations and records its
 * pid, uid, program, verb and start time there; /proc/locks is the kernel's
 * word on the holder, the record only adds detail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>
#include "base/args.h"
#include "cli/cli.h"
#include "base/err.h"
#include "kernel/lock.h"
#include "base/optspecs.h"
#include "priv/priv.h"
#include "kernel/registry.h"
#include "base/escape.h"

#define USAGE \
	"usage: npte-lock status [--json]\n" \
	"       npte-lock -h | --help | --version\n"

/* Reading root's own 0700 directory and /proc needs no capability at all. */
static const int caps_none[] = {-1};

static int cmd_status(struct cli *cl, struct opts *o)
{
	(void)cl;
	if (o->npos)
		die(EXIT_USAGE, "status: takes no arguments");
	struct holder h = {0};
	struct err e = {0};
	bool json = o->set[O_JSON];

	require_root("status");
	if (rundir_open(false, &e) < 0 && e.code)
		die(e.code, "status: %s", e.msg);
	if (lock_status(&h, &e))
		die(e.code, "status: %s", e.msg);
	if (!h.held) {
		puts(json ? "{\"held\":false}" : "unlocked");
	} else if (json) {
		printf("{\"held\":true,\"mode\":\"%s\",\"pid\":%ld,\"uid\":", h.shared ? "shared" : "exclusive",
		       (long)h.pid);
		if (h.uid >= 0)
			printf("%ld", h.uid);
		else
			fputs("null", stdout);
		fputs(",\"prog\":", stdout);
		json_str(stdout, h.prog);
		fputs(",\"verb\":", stdout);
		if (h.verb[0])
			json_str(stdout, h.verb);
		else
			fputs("null", stdout);
		if (h.since >= 0)
			printf(",\"since\":%lld}\n", h.since);
		else
			fputs(",\"since\":null}\n", stdout);
	} else {
		printf("locked (%s) by pid %ld: %s%s%s", h.shared ? "shared" : "exclusive", (long)h.pid,
		       disp(h.prog), h.verb[0] ? " " : "", disp(h.verb));
		if (h.uid >= 0)
			printf(", uid %ld", h.uid);
		if (h.since >= 0) {
			char when[64];
			time_t t = (time_t)h.since;
			struct tm tm;

			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
			printf(", since %s", when);
		}
		putchar('\n');
	}
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

static const struct verb verbs[] = {{"status", cmd_status, spec_read}, {NULL, NULL, NULL}};

CLI_MAIN(.name = "npte-lock", .usage = USAGE, .caps = caps_none, .verbs = verbs)
