/*
 * The shape every npte binary shares: hygiene and the capability drop before
 * argv is read, verb dispatch, -h/--help/--version, strict options, and the
 * validate-or-exit-2 helpers, so each main stays thin.
 */
#ifndef NPTE_CLI_H
#define NPTE_CLI_H

#include <stdbool.h>
#include "args.h"
#include "plan.h"
#include "render.h"
#include "txn.h"
#include "priv.h"
#include "validate.h"

struct verb {
	const char *name;
	int (*fn)(struct opts *o);
	const struct optspec *spec;
};

/* The caller, read by hygiene() in cli_main. */
extern struct caller cli_who;
/* The one plan of this process (large: static storage, not the stack). */
extern struct plan cli_plan;

/* Run the program: prog is "npte-veth", usage is the USAGE text. */
int cli_main(int argc, char **argv, const char *name, const char *usage, const int *caps_all,
	     const struct verb *verbs);
_Noreturn void cli_usage(int code);

/* Exit 2 unless the number of positionals is within [min, max]. */
void cli_npos(const char *verb, const struct opts *o, int min, int max);
/* Validate or exit 2 with a one-line error naming the value. */
const char *cli_netns(const char *verb, const char *s);
const char *cli_ifname(const char *verb, const char *s);
void cli_cidr(const char *verb, const char *s, struct ipaddr *a, unsigned *plen);
void cli_ip(const char *verb, const char *s, struct ipaddr *a);
unsigned cli_wait(const char *verb, const struct opts *o);

/* Dry run: print the script; live: root, lock, execute. Returns the exit code. */
int cli_run(const char *verb, const struct opts *o);
/* Print c's error (and rollback warning) as "prog: verb: msg"; return rc. */
int cli_finish(const char *verb, struct ctx *c, int rc);

#endif
