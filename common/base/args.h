/*
 * Strict argument parsing: long options match exactly (no abbreviations),
 * "--name=value" and "--name value" both work, short options stand alone
 * ("-n", never "-nx"), unknown options are errors, "--" ends options, and a
 * word of "-" and a digit ("-20", a tc overhead) is an argument.
 */
#ifndef NPTE_ARGS_H
#define NPTE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include "base/err.h"

/* Option ids shared by all binaries; binaries add theirs from O_USER on. */
enum {
	O_NONE = 0,
	O_DRYRUN,  /* -n, --dry-run */
	O_HELP,    /* -h, --help */
	O_VERSION, /* --version */
	O_WAIT,    /* --wait S */
	O_JSON,    /* --json */
	O_USER,
	O_MAX = 64,
};

struct optspec {
	const char *lng; /* long name without "--", or NULL */
	char shrt;       /* short letter, or 0 */
	bool arg;        /* takes a value */
	bool repeat;     /* may be given more than once (values go to list) */
	int id;
};

#define OPT_DRYRUN {"dry-run", 'n', false, false, O_DRYRUN}
#define OPT_HELP {"help", 'h', false, false, O_HELP}
#define OPT_VERSION {"version", 0, false, false, O_VERSION}
#define OPT_WAIT {"wait", 0, true, false, O_WAIT}
#define OPT_JSON {"json", 0, false, false, O_JSON}
#define OPT_END {NULL, 0, false, false, O_NONE}

#define ARGS_POS_MAX 4096
#define ARGS_LIST_MAX 64

struct opts {
	bool set[O_MAX];
	const char *val[O_MAX];
	const char *list[ARGS_LIST_MAX]; /* values of the repeatable option, in order */
	int nlist;
	char *pos[ARGS_POS_MAX];
	int npos;
	const struct optspec *spec; /* the table it was parsed with (for showing it back) */
};

/*
 * Parse argv[0..argc) (argv[0] is the first word to parse, not the program).
 * permute: options may follow positionals; otherwise the first positional
 * ends option parsing (for commands that take a command line).
 * Returns true, or false with a one-line reason in e (exit 2).
 */
bool args_parse(struct opts *o, int argc, char **argv, const struct optspec *spec,
		bool permute, struct err *e);

/* Whether word w is one of spec's options as args_parse would take it
 * ("-n", "--wait", "--wait=5"): for a command line after NS that looks like
 * misplaced options. */
bool args_is_option(const struct optspec *spec, const char *w);

#endif
