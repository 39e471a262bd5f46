/*
 * The shape every npte binary shares: hygiene and the capability drop before
 * argv is read, verb dispatch, -h/--help/--version, strict options, and the
 * validate-or-exit-2 helpers, so each main stays thin.
 */
#ifndef NPTE_CLI_H
#define NPTE_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "base/args.h"
#include "txn/plan.h"
#include "txn/render.h"
#include "txn/txn.h"
#include "priv/priv.h"
#include "base/validate.h"

/* What a verb works with, passed to it: the caller, what sudo handed over
 * (saved by hygiene), and the process's one plan. */
struct cli {
	struct caller who;
	const struct caller_state *state;
	struct plan *plan;
	/* Ops that depend on what exists (destroy --all): added to the plan
	 * under the lock, or, for the dry-run, from what root reads now. */
	int (*build)(struct plan *, struct txn *, void *);
	void *build_arg;
	/* a create's advice for a name taken by anyone, and by the caller (txn.h) */
	const char *fix_taken, *fix_mine;
};

struct verb {
	const char *name;
	int (*fn)(struct cli *cl, struct opts *o);
	const struct optspec *spec;
};

/* A binary: its verbs (dispatched on the first word), or a single command
 * that parses with spec (permute: options may follow positionals) and gets
 * argv for the words after its options (npte-run's command line). */
struct program {
	const char *name;  /* "npte-veth": the prefix of every message */
	const char *usage; /* the USAGE text */
	const int *caps;   /* what the binary keeps from the start (each commented
			    * there); NULL: the command drops them itself */
	const struct verb *verbs;
	int (*single)(struct cli *cl, struct opts *o, int argc, char **argv);
	const struct optspec *spec;
	bool permute;
	bool keep_session; /* npte-run: its program needs the caller's session (priv.h) */
};

/* Every binary's main: hygiene and the capability drop before a word of argv
 * is read, -h/--help/--version, strict options, then the verb. */
int cli_main(int argc, char **argv, const struct program *pg);
/* A binary's main, from its struct program's fields: CLI_MAIN(.name = ..., ...). */
#define CLI_MAIN(...)                                                   \
	int main(int argc, char **argv)                                 \
	{                                                               \
		static const struct program pg = {__VA_ARGS__};         \
		return cli_main(argc, argv, &pg);                       \
	}
_Noreturn void cli_usage(int code);

/* Exit 2 unless the number of positionals is within [min, max]. */
void cli_npos(const char *verb, const struct opts *o, int min, int max);
/* Validate or exit 2 with a one-line error naming the value (verb NULL: a
 * command of its own, npte-run, whose messages name no verb). */
const char *cli_netns(const char *verb, const char *s);
const char *cli_ifname(const char *verb, const char *s);
void cli_cidr(const char *verb, const char *s, struct ipaddr *a, unsigned *plen);
void cli_ip(const char *verb, const char *s, struct ipaddr *a);
/* --wait, or WAIT_DEFAULT_S. */
unsigned cli_wait(const char *verb, const struct opts *o);
/* How long a verb waits for the lock unless --wait says otherwise. */
#define WAIT_DEFAULT_S 30

/* Dry run: print the script; live: root, lock, execute. Returns the exit code. */
int cli_run(struct cli *cl, const char *verb, const struct opts *o);
/* The same for a verb that goes on after its plan's transaction (play):
 * render adds to the dry-run's body, then runs after the commit (the lock
 * released) and gives the exit code. */
int cli_run_then(struct cli *cl, const char *verb, const struct opts *o,
		 void (*render)(FILE *, const struct txn *, void *), int (*then)(struct txn *, void *), void *arg);
/* A read-only verb's parts, for cli_read. */
struct read_verb {
	const int *caps;                   /* kept for the read (NULL: as they are) */
	int (*fn)(struct txn *, void *);   /* under the shared lock, after the plan's guards */
	int (*then)(struct txn *, void *); /* after the unlock, if all went well (NULL: nothing) */
	void *arg;
	bool lockless;                     /* the plan and fn run without the lock (npte-netns list says why) */
};
/*
 * A read-only verb: its capabilities, root, a transaction waiting --wait,
 * /run/npte, the plan's guards and fn under the shared lock, the unlock,
 * then, and the message. Returns the exit code; the caller prints what fn gathered.
 * Without /run/npte nothing of npte's exists, so nothing is locked (and
 * nothing created): the guards and fn run alone and find nothing of the
 * caller's.
 */
int cli_read(struct cli *cl, const char *verb, const struct opts *o, const struct read_verb *r);
/* Print c's error (and rollback warning) as "prog: verb: msg"; return rc. */
int cli_finish(const char *verb, struct txn *c, int rc);

/* The play verb (cli_play.c): the start's plan, then the dry-run, or the
 * transaction and the play. */
struct play;
int cli_play(struct cli *cl, const char *verb, const struct opts *o, struct play *pl);
/* The schedules npte ships, each with both directions' steps (time and
 * words, as a schedule file writes them) and its sources; or one JSON array.
 * The exit code. */
int cli_play_list(FILE *f, bool json);

/* The probe of npte-probe and npte-lab probe (cli_probe.c, probe/probe.h):
 * FROM and TO the caller's, measured, judged, printed; --json FILE written
 * as the caller. The exit code. */
int cli_probe(struct cli *cl, const struct opts *o, const char *verb, const char *from, const char *to);

/* One note on stderr for each distinct rate word in tc's byte units (20mbps
 * is 160 Mbit/s), taken as tc takes it: a user who meant megabits sees it at
 * once. In words (blank-separated), or in every step of a schedule file. */
struct schedule;
void cli_bps_notes(const char *verb, const char *words);
void cli_bps_notes_schedule(const char *verb, struct schedule *s);

/*
 * A file the caller names (cli_file.c): read with the caller's rights
 * (priv/asuser.h), at most limit bytes, and given to parse(fd, arg, e) as it
 * streams in. keep, unless NULL: the capabilities left once the reader is
 * forked, so that the caller's bytes are parsed with no more. Exit 2 with
 * "verb: PATH: cannot read it as uid U: why" when the caller cannot read the
 * whole file (also when a read failed mid-parse: that, not the parse, is the
 * error); else parse's verdict, e filled when false.
 */
bool cli_parse_file(struct cli *cl, const char *verb, const char *path, uint64_t limit, const int *keep,
		    bool (*parse)(int fd, void *arg, struct err *e), void *arg, struct err *e);
/* A schedule file so read (at most SCHED_FILE_MAX), its words checked as
 * play checks them: exit 2 on its first error; the notes of
 * cli_bps_notes_schedule. */
void cli_read_schedule(struct cli *cl, const char *verb, const char *path, const int *keep, struct schedule *s);

#endif
