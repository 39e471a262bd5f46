/* Named link profiles for `npte-lab netem`: both directions, shaped on the router. */
#ifndef NPTE_PROFILES_H
#define NPTE_PROFILES_H

#include <stdbool.h>
#include <stddef.h>
#include "base/err.h"

struct link_dir {
	const char *delay, *loss, *limit, *rate; /* netem knobs, tc words; NULL = unset */
	const char *child, *child_rate;          /* optional child qdisc */
};

struct profile {
	const char *name;
	const char *desc;
	const char *source;
	struct link_dir down; /* router -> client (router's if-client) */
	struct link_dir up;   /* router -> server (router's if-server) */
};

/* The lab's namespaces are PREFIX + one of these (npte-lab; npte-doctor
 * looks for leftovers by the same names). */
enum { LAB_CLIENT, LAB_ROUTER, LAB_SERVER, LAB_NROLES };
extern const char *const lab_role[LAB_NROLES];

extern const struct profile profiles[];
const struct profile *profile_find(const char *name);

/*
 * The reference's rule for a direction (its "chapter-050 trap"): a delay;
 * exactly one place for the bottleneck (netem rate or a child, since with a
 * rate on netem the queue sits inside netem and a child sees no backlog);
 * a netem limit only together with a netem rate. The reason in e.
 */
bool profile_dir_ok(const struct link_dir *d, struct err *e);

/* A direction's netem knobs as netem words ("delay 25ms limit 2500 rate 30mbit"). */
bool profile_words(const struct link_dir *d, char *buf, size_t cap, double tick, struct err *e);

#endif
