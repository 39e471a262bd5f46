/*
 * Every binary's option tables, in one place: the binaries parse with them
 * and fuzz/args.c fuzzes these very tables. Static, so each binary keeps only
 * the ones it names.
 */
#ifndef NPTE_OPTSPECS_H
#define NPTE_OPTSPECS_H

#include "base/args.h"

/* The options beyond the shared ones, each id once for all binaries. */
enum {
	O_PREFIX = O_USER, /* npte-lab, npte-netns destroy: the name prefix; npte-doctor: the install prefix */
	O_PROFILE,         /* npte-lab netem */
	O_LIST,
	O_DELAY,           /* npte-netem apply */
	O_LOSS,
	O_LIMIT,
	O_RATE,
	O_SLOT,
	O_CHILD,
	O_CHILD_RATE,
	O_BURST,           /* npte-netem rate */
	O_LATENCY,
	O_DUPLICATE,       /* npte-netem apply: the knobs tc-netem(8) adds */
	O_CORRUPT,
	O_REORDER,
	O_ECN,
	O_DOWN,            /* npte-lab netem */
	O_UP,
	O_SHOW,
	O_LOOP,            /* npte-netem play, npte-lab play */
	O_KEEP,
	O_TRACE,
	O_WINDOW,
	O_ENV,             /* npte-run */
	O_SUDOERS,         /* npte-doctor */
	O_REQUIRE,         /* npte-doctor */
	O_ALL,             /* npte-netns destroy: every namespace of the caller's */
	O_MISSING_OK,      /* npte-netns destroy: a name already gone is fine */
	O_KILL,            /* npte-netns destroy, npte-lab destroy: end the caller's processes in it first */
	O_FORWARD,         /* npte-netns create: IPv4 and IPv6 forwarding on, a node that routes */
	O_RECORD,          /* npte-probe, npte-lab probe: --json FILE */
	O_DURATION,
	O_LOAD,
	O_PLOT,
	O_SWEEP,
};
_Static_assert((int)O_SWEEP < (int)O_MAX, "raise O_MAX in base/args.h");

/* -n, -h, --wait: the mutating verbs of npte-netns, -veth, -addr, -route and npte-netem clear. */
static const struct optspec spec_mutate[] = {OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_END};
/* --json, -h: npte-netns list and show, npte-lock status. */
static const struct optspec spec_read[] = {OPT_JSON, OPT_HELP, OPT_END};

static const struct optspec spec_netem_apply[] = {
	OPT_DRYRUN, OPT_HELP, OPT_WAIT,
	{"delay", 0, true, false, O_DELAY}, {"loss", 0, true, false, O_LOSS},
	{"limit", 0, true, false, O_LIMIT}, {"rate", 0, true, false, O_RATE},
	{"slot", 0, true, false, O_SLOT}, {"child", 0, true, false, O_CHILD},
	{"child-rate", 0, true, false, O_CHILD_RATE}, {"duplicate", 0, true, false, O_DUPLICATE},
	{"corrupt", 0, true, false, O_CORRUPT}, {"reorder", 0, true, false, O_REORDER},
	{"ecn", 0, false, false, O_ECN}, OPT_END,
};
/* npte-netem tbf: words only */
#define spec_netem_tbf spec_mutate
static const struct optspec spec_netem_rate[] = {
	OPT_DRYRUN, OPT_HELP, OPT_WAIT,
	{"burst", 0, true, false, O_BURST}, {"latency", 0, true, false, O_LATENCY}, OPT_END,
};

/* npte-netem play */
static const struct optspec spec_netem_play[] = {
	OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_JSON, {"loop", 0, false, false, O_LOOP},
	{"keep", 0, false, false, O_KEEP}, {"trace-mahimahi", 0, true, false, O_TRACE},
	{"window", 0, true, false, O_WINDOW}, OPT_END,
};

#define OPT_PREFIX {"prefix", 0, true, false, O_PREFIX}
static const struct optspec spec_lab_netem[] = {
	OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_PREFIX,
	{"profile", 0, true, false, O_PROFILE}, {"list", 0, false, false, O_LIST},
	{"down", 0, true, false, O_DOWN}, {"up", 0, true, false, O_UP}, {"show", 0, false, false, O_SHOW},
	OPT_JSON, OPT_END,
};
static const struct optspec spec_lab_play[] = {
	OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_PREFIX, OPT_JSON, {"profile", 0, true, false, O_PROFILE},
	{"list", 0, false, false, O_LIST}, {"loop", 0, false, false, O_LOOP}, {"keep", 0, false, false, O_KEEP},
	OPT_END,
};
static const struct optspec spec_lab_mutate[] = {OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_PREFIX, OPT_END};
#define OPT_KILL {"kill", 0, false, false, O_KILL}
static const struct optspec spec_lab_destroy[] = {OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_PREFIX, OPT_KILL, OPT_END};
/* npte-netns destroy: names, or --all / --prefix P; --prefix is npte-lab's option, spelled the same */
static const struct optspec spec_netns_destroy[] = {
	OPT_DRYRUN, OPT_HELP, OPT_WAIT, OPT_PREFIX, OPT_KILL, {"all", 0, false, false, O_ALL},
	{"missing-ok", 0, false, false, O_MISSING_OK}, OPT_END,
};
/* npte-netns create: forwarding only where asked; most nodes do not route */
static const struct optspec spec_netns_create[] = {
	OPT_DRYRUN, OPT_HELP, OPT_WAIT, {"forward", 0, false, false, O_FORWARD}, OPT_END,
};
static const struct optspec spec_lab_read[] = {OPT_JSON, OPT_HELP, OPT_PREFIX, OPT_END};
/* npte-lab show-file: a name only */
static const struct optspec spec_help[] = {OPT_HELP, OPT_END};

/* npte-run parses without permuting: the first positional ends the options. */
static const struct optspec spec_run[] = {
	OPT_DRYRUN, OPT_HELP, OPT_VERSION, OPT_WAIT, {"env", 'e', true, true, O_ENV}, OPT_END,
};

/* npte-probe FROM TO; npte-lab probe adds --prefix. --json takes a FILE here:
 * the record is a file, the summary goes to the terminal. */
#define OPTS_PROBE \
	OPT_DRYRUN, OPT_HELP, OPT_WAIT, {"json", 0, true, false, O_RECORD}, \
	{"duration", 0, true, false, O_DURATION}, {"load", 0, true, false, O_LOAD}, \
	{"plot", 0, true, false, O_PLOT}, {"sweep", 0, true, false, O_SWEEP}
static const struct optspec spec_probe[] = {OPTS_PROBE, OPT_VERSION, OPT_END};
static const struct optspec spec_lab_probe[] = {OPTS_PROBE, OPT_PREFIX, OPT_END};

/* npte-doctor, without permuting too. */
static const struct optspec spec_doctor[] = {
	OPT_HELP, OPT_VERSION, OPT_PREFIX, {"sudoers", 0, true, false, O_SUDOERS}, OPT_JSON,
	{"require", 0, true, false, O_REQUIRE}, OPT_END,
};

#endif
