/*
 * npte-probe: what a path between two namespaces delivers, measured by
 * processes that are the caller (priv/asuser.h, caller_spawn), and judged
 * against what npte reads back of the shaping along the path.
 *
 * - echo.c: RTT by UDP echo at a steady rate (seq and send time in each
 *   probe): quantiles, loss, duplicates, reordering;
 * - bulk.c: bulk TCP through libiperf (iperf3's library), each direction;
 * - path.c: the path hop by hop (route lookups, veth peers) and the qdiscs
 *   on each hop's way out, as tc words and as numbers;
 * - verdict.c: measured against applied, the bufferbloat grade;
 * - record.c: the JSON record (docs/probe.schema.json); plot.c: the plot;
 * - run.c: the timeline (idle, then each load phase) and the children.
 */
#ifndef NPTE_PROBE_H
#define NPTE_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "kernel/qdisc_describe.h"
#include "shape/qdisc.h"
#include "priv/priv.h"
#include "base/validate.h"
#include "txn/txn.h"

/* One probe every PROBE_INTERVAL_MS; at most PROBE_MAX in one run, which
 * bounds --duration (PROBE_DURATION_MAX per phase, three phases). */
#define PROBE_INTERVAL_MS 20
#define PROBE_DURATION_MAX 60
#define PROBE_MAX (3 * PROBE_DURATION_MAX * 1000 / PROBE_INTERVAL_MS + 256)

/* --- echo --------------------------------------------------------------- */

struct echo_rec {
	int64_t t_ns;   /* sent, from the run's start (CLOCK_MONOTONIC) */
	int64_t rtt_ns; /* first answer's round trip; -1: none came */
	uint32_t copies; /* answers that came (more than 1: duplicated) */
	uint32_t late;   /* 1: came after a later probe's answer (reordered) */
};

struct echo_run {
	int64_t base_ns; /* the probes' own round trip: the median over lo in FROM (0: not measured) */
	uint32_t n;
	struct echo_rec r[PROBE_MAX];
};

/* The server (in TO): fd 3 gets its UDP port (uint16_t), then it echoes
 * every datagram to its sender until killed. */
void echo_server(void *arg);
/* The client (in FROM): first the probes' own round trip, to an echo
 * server of FROM's own over lo (cal_port, 0: none), at the same pace; then
 * writes base_ns to fd 3 (the sign that it starts), probes dst:port every
 * PROBE_INTERVAL_MS until fd 4 reads end of file, waits a grace for the last
 * answers, and writes n and the n records (times from t0) to fd 3. */
struct echo_client {
	struct ipaddr dst;
	uint16_t port, cal_port;
	int64_t t0_ns;
};
void echo_client(void *arg);

/* The probes sent in [from_ns, to_ns): quantiles of the RTTs in ms. */
struct rtt_stats {
	unsigned sent, got, lost, dups, reordered;
	double min, median, p90, p99, max, loss_pct;
};
void rtt_stats(const struct echo_run *e, int64_t from_ns, int64_t to_ns, struct rtt_stats *s);

/* --- bulk (libiperf) ------------------------------------------------------ */

#define BULK_IV_MAX 256
struct bulk_result {
	int ok;              /* 1: the transfer ran */
	char msg[160];       /* else why not (iperf's words) */
	double bps;          /* received, bits/s over the transfer */
	double steady_bps;   /* over its second half (bulk_steady) */
	int64_t start_ns;    /* when it began, from the run's start */
	int n;
	struct { double t, bps; } iv[BULK_IV_MAX]; /* each interval's end (s from the run's start) and rate */
};

/* The server (in TO): fd 3 gets its TCP port (uint16_t), then it serves one
 * test after another until killed. */
void bulk_server(void *arg);
/* The client (in FROM): one transfer of seconds to dst:port (reverse: TO
 * sends), its struct bulk_result to fd 3. */
struct bulk_client {
	struct ipaddr dst;
	uint16_t port;
	int seconds;
	bool reverse;
	int64_t t0_ns;
};
void bulk_client(void *arg);
/* iperf's JSON report into r (exposed for the unit test). */
void bulk_parse(const char *json, struct bulk_result *r);
/* r->steady_bps: the rate over the intervals that start in the second half
 * of the transfer, past TCP's slow start (a long path's ramp), or r->bps
 * when there are fewer than two (a transfer of a second or less). The interval times are from the transfer's start. */
void bulk_steady(struct bulk_result *r);

/* --- the path and what is applied on it ---------------------------------- */

#define HOPS_MAX 8
struct hop {
	char ns[NETNS_NAME_MAX + 4];
	char dev[16];
	struct qdisc_desc q[2];
	int nq;
	/* from the words: one-way delay and jitter (ms), loss (%), rate (bit/s, 0: none) */
	double delay_ms, jitter_ms, loss_pct, rate_bps;
	bool unread; /* a qdisc whose words npte cannot take back (judged as unknown) */
};
struct path {
	int n;
	bool complete; /* reached TO through namespaces npte knows */
	struct hop h[HOPS_MAX];
};

/* A namespace the walk may pass: a name the caller owns, its fd. */
struct path_ns {
	const char *name;
	int fd;
};
/* From ns[from] toward dst until ns[to] holds it: each hop's way out and
 * its qdiscs, under the lock (the fds are the checked namespaces). 0 or -errno. */
int path_walk(const struct path_ns *ns, int nns, int from, int to, const struct ipaddr *dst, struct path *p);

/* What the path applies in one direction: the sum of delays, the narrowest rate. */
struct applied {
	double delay_ms, jitter_ms, loss_pct, rate_bps;
	bool delay, loss, rate, unknown;
};
void path_applied(const struct path *p, struct applied *a);

/* --- verdicts -------------------------------------------------------------- */

struct verdict {
	const char *figure;   /* "rtt", "loss", "throughput up", ... */
	bool judged;          /* false: nothing applied (or unknown): no verdict */
	bool ok;
	double measured, expected, off_pct, tol_pct;
	const char *unit;
	const char *why;      /* when not judged */
};

/* The bufferbloat grade of added_ms (the median RTT under load minus the
 * idle one): A < 30, B < 60, C < 200, D < 400, F. */
char probe_grade(double added_ms);

/* --- sweeps ---------------------------------------------------------------- */

/*
 * A sweep file: `at NS DEV` lines (one or two: the interfaces each cell
 * sets), then `cell WORDS [| WORDS]` lines, a group of tc words (netem's or
 * tbf's) for each at line in order; `#` lines and blank lines are skipped.
 * The first cell puts its qdiscs in (a replace, as npte-netem apply does),
 * every later one changes them in place (the same handle, the queue kept).
 */
#define SWEEP_AT_MAX 2
#define SWEEP_CELLS_MAX 64
#define SWEEP_FILE_MAX (64 * 1024)
struct sweep {
	int nat, ncells;
	struct { char ns[NETNS_NAME_MAX + 4], dev[16]; } at[SWEEP_AT_MAX];
	struct sweep_cell {
		unsigned line;
		enum qkind kind[SWEEP_AT_MAX];
		union qspec q[SWEEP_AT_MAX];
	} cell[SWEEP_CELLS_MAX];
};
/* From fd (or text, when not NULL), at most SWEEP_FILE_MAX bytes; false
 * with "NAME:LINE: why" in e. */
bool sweep_read(struct sweep *s, int fd, const char *text, const char *name, struct err *e);

/* One cell's figures for the summary plot (NAN: not measured, or nothing applied). */
struct sweep_point {
	double rtt_ms, rtt_applied_ms;
	double up_mbps, up_applied_mbps, down_mbps, down_applied_mbps;
};
/* The sweep's summary (plot.c): measured against applied, cell by cell. */
int probe_sweep_plot(const struct sweep_point *pt, int n, const char *title, bool png, char **buf, size_t *len);

/* --- a whole run ---------------------------------------------------------- */

enum { PH_IDLE, PH_UP, PH_DOWN, PH_N };
extern const char *const probe_phase[PH_N];

struct probe {
	/* asked */
	const char *verb, *from, *to;
	int seconds;
	bool load[PH_N]; /* PH_UP, PH_DOWN */
	const struct caller *who;
	const struct caller_state *state;
	int from_fd, to_fd;
	struct ipaddr dst, src; /* TO's address probed, FROM's (the way back) */
	/* read back under the lock */
	struct path fwd, rev;
	struct applied afwd, arev;
	char kernel[128], when[32];
	char cell_json[2048]; /* a sweep's cell, as a JSON object ("": not a sweep) */
	/* measured */
	int64_t ph_from[PH_N], ph_to[PH_N]; /* each phase's span (ns from start); 0, 0: not run */
	struct echo_run *echo;
	struct rtt_stats rtt[PH_N];
	struct bulk_result bulk[PH_N];
	char grade[PH_N];
	double added_ms[PH_N];
	struct verdict v[8];
	int nv;
};

/* The timeline: servers in TO, the echo client in FROM, idle for seconds,
 * then each load phase asked; every child killed and reaped on the way out,
 * also on SIGINT or SIGTERM (then 130 or 143 after the cleanup). 0, or an
 * exit code with the reason in e. */
int probe_run(struct probe *p, struct err *e);
/* Statistics, grades and verdicts from what probe_run gathered. */
void probe_judge(struct probe *p);
/* The human summary and the JSON record. */
void probe_print(FILE *f, const struct probe *p);
void probe_json(FILE *f, const struct probe *p, const char *version);
/* The plot (plot.c, cairo): RTT and throughput over time, the phases shaded,
 * as SVG or PNG bytes in *buf (malloc'd, *len of them). 0 or -errno. */
int probe_plot(const struct probe *p, bool png, char **buf, size_t *len);

#endif
