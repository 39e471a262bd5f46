/*
 * Topology files (npte-lab.conf(5)): a test bed as nodes, links, addresses,
 * routes, shapes and schedules, parsed strictly into a struct topo that
 * builds one plan (topo_plan.c). The text comes from the caller's own read
 * (priv/asuser.h) or from a file npte ships (lab/, compiled in).
 */
#ifndef NPTE_TOPO_H
#define NPTE_TOPO_H

#include <stdbool.h>
#include <stdint.h>
#include "base/err.h"
#include "base/validate.h"
#include "shape/qdisc.h"
#include "txn/plan.h"

/* The limits npte-lab.conf(5) states: a file past any of them is refused. */
#define TOPO_FILE_MAX (1024 * 1024) /* bytes */
#define TOPO_LINES_MAX 65536
#define TOPO_NODES_MAX 256
#define TOPO_LINKS_MAX 1024
#define TOPO_ADDRS_MAX 4096
#define TOPO_ROUTES_MAX 4096
#define TOPO_SHAPES_MAX (2 * TOPO_LINKS_MAX) /* one per link end */
#define TOPO_PLAYS_MAX 2                     /* one player, two directions (player.h) */
#define TOPO_PREFIX_MAX 11                   /* leaves a byte for a node name */
#define TOPO_LO (-1)                         /* a "peer" that means the interface lo */

struct topo_node {
	char name[NETNS_NAME_MAX + 1]; /* as written; the namespace is the prefix plus it */
	bool forward;
};
struct topo_link { int a, b; };
struct topo_addr {
	int node, peer; /* the interface if-PEER of node (TOPO_LO: lo) */
	struct ipaddr a;
	unsigned plen;
	char text[48];  /* as written, for status */
};
struct topo_route {
	int node;
	struct ipaddr dst, gw;
	unsigned plen;  /* 0 with dst zero: default */
	char text[112]; /* "default via GW" / "DST/LEN via GW" */
};
struct topo_shape {
	int node, peer;
	enum qkind kind;
	union qspec q;
	bool has_child;
	struct qdisc_child child;
};
struct topo_play {
	int node, peer;
	const char *shipped_text; /* a shipped schedule's direction, or NULL: path */
	char name[64];            /* the shipped schedule's name, or the path as written */
	char path[1024];          /* the file to read, relative to the topology file's folder */
};

struct topo {
	char file[256];              /* the name errors give: the path, or "default" */
	char prefix[TOPO_PREFIX_MAX + 1];
	int nnodes, nlinks, naddrs, nroutes, nshapes, nplays;
	struct topo_node nodes[TOPO_NODES_MAX];
	struct topo_link links[TOPO_LINKS_MAX];
	struct topo_addr addrs[TOPO_ADDRS_MAX];
	struct topo_route routes[TOPO_ROUTES_MAX];
	struct topo_shape shapes[TOPO_SHAPES_MAX];
	struct topo_play plays[TOPO_PLAYS_MAX];
};

/* A file npte ships (lab/NAME.lab), or NULL. */
const char *topo_shipped(const char *name);
/* The names of the shipped files, blank-separated, for a message. */
const char *topo_shipped_names(void);
/* Whether a FILE argument names a shipped file (only [a-z0-9-]) rather than a path. */
bool topo_is_shipped_name(const char *arg);

/*
 * Parse a topology from fd (text NULL) or from text, naming it file in
 * errors ("FILE:LINE: ..."), with namespaces named prefix + node (prefix
 * already valid, "" for none). false with e set (exit 2), t then partial.
 */
bool topo_parse(struct topo *t, int fd, const char *text, const char *file, const char *prefix, struct err *e);

/* The node written name, or -1. */
int topo_find(const struct topo *t, const char *name);
/* Node i's namespace name, and the name of its interface toward peer. */
void topo_ns(const struct topo *t, int node, char *buf, size_t n);
void topo_ifname(const struct topo *t, int peer, char *buf, size_t n);

/* The plans: every part, made as one transaction; every namespace removed
 * (kill: the caller's processes in them ended first). */
void topo_plan_up(const struct topo *t, struct plan *p, const char *verb, unsigned max_namespaces);
void topo_plan_down(const struct topo *t, struct plan *p, const char *verb, bool kill);

/* One part of a topology, as `npte-lab status` lists them. */
struct topo_part {
	const char *kind; /* namespace, link, address, route, shape */
	char what[160];
	bool present;
};
struct txn;
/* Every part of t, in the file's order, and whether it is there: under the
 * shared lock, only in the caller's own namespaces (another's: absent).
 * parts has room for topo_nparts(t). */
size_t topo_nparts(const struct topo *t);
void topo_status(struct txn *c, const struct topo *t, struct topo_part *parts);

#endif
