/* The probe's arithmetic: RTT statistics, iperf's report, the grade and the verdicts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "probe/probe.h"

static struct echo_run er;

/* n probes 20 ms apart from t0, rtt ms each (negative: lost) */
static void fill(const double *rtt, unsigned n)
{
	er.n = n;
	for (unsigned i = 0; i < n; i++)
		er.r[i] = (struct echo_rec){.t_ns = (int64_t)i * 20000000, .rtt_ns = rtt[i] < 0 ? -1 : (int64_t)(rtt[i] * 1e6),
					    .copies = rtt[i] < 0 ? 0 : 1};
}

static void stats(void)
{
	static double rtt[100];
	struct rtt_stats s;

	for (int i = 0; i < 100; i++)
		rtt[i] = i + 1; /* 1..100 ms */
	rtt[10] = -1, rtt[20] = -1;
	fill(rtt, 100);
	er.r[5].copies = 3;
	er.r[7].late = 1;
	rtt_stats(&er, 0, INT64_MAX, &s);
	ok(s.sent == 100 && s.got == 98 && s.lost == 2, "sent, received, lost");
	ok(fabs(s.loss_pct - 2.0) < 1e-9, "loss 2%%");
	ok(s.dups == 2 && s.reordered == 1, "a probe answered three times: two duplicates; one late");
	ok(s.min == 1 && s.max == 100, "min and max");
	/* nearest rank over 98 values 1..100 without 11 and 21: the 49th, 89th and 98th */
	ok(s.median == 51 && s.p90 == 91 && s.p99 == 100, "median %.0f, p90 %.0f, p99 %.0f by nearest rank", s.median,
	   s.p90, s.p99);
	rtt_stats(&er, 20000000 * 50, 20000000 * 60, &s);
	ok(s.sent == 10 && s.min == 51 && s.max == 60, "a phase counts only the probes sent in it");
	rtt_stats(&er, 0, 1, &s);
	ok(s.sent == 1 && s.got == 1, "[from, to): the probe at 0 is in");
	rtt_stats(&er, 1, 2, &s);
	ok(s.sent == 0 && s.loss_pct == 0 && s.median == 0, "no probe: no loss, no figures");
}

static void report(void)
{
	static const char json[] =
		"{\"start\":{},\"intervals\":[{\"streams\":[{\"start\":0,\"end\":0.5,\"bits_per_second\":1}],"
		"\"sum\":{\"start\":0,\"end\":0.5,\"seconds\":0.5,\"bytes\":1,\"bits_per_second\":19000000.5}},"
		"{\"streams\":[],\"sum\":{\"start\":0.5,\t\"end\":\t1.0,\"bits_per_second\":\t21e6}}],"
		"\"end\":{\"sum_sent\":{\"bits_per_second\":30000000},\"sum_received\":{\"start\":0,\"end\":1,"
		"\"bits_per_second\":20000000}}}";
	struct bulk_result r = {0};

	bulk_parse(json, &r);
	ok(r.ok && r.bps == 20000000, "the receiver's sum, not the sender's");
	ok(r.n == 2 && r.iv[0].t == 0.5 && r.iv[0].bps == 19000000.5 && r.iv[1].t == 1.0 && r.iv[1].bps == 21e6,
	   "each interval's sum: its end and rate, not a stream's (tabs as cJSON prints them)");
	bulk_steady(&r);
	ok(r.steady_bps == 20000000, "steady: one interval in the second half is too few: the whole transfer's");
	r.n = 6;
	for (int i = 0; i < 6; i++)
		r.iv[i].t = 0.5 * (i + 1), r.iv[i].bps = (double[]){1e6, 2e6, 9e6, 30e6, 10e6, 20e6}[i];
	r.iv[3].t = 2.25; /* a late end: 2.0 s worth of 30 is in it at 0.75 s long */
	bulk_steady(&r);
	ok(fabs(r.steady_bps - (30e6 * 0.75 + 10e6 * 0.25 + 20e6 * 0.5) / 1.5) < 1e-6,
	   "steady: bits over seconds of the intervals from 1.5 s on, not the ramp");
	r.n = 0;
	bulk_steady(&r);
	ok(r.steady_bps == r.bps, "no interval: the whole transfer's rate");
	memset(&r, 0, sizeof r);
	bulk_parse("{\"error\":\"unable to connect\"}", &r);
	ok(!r.ok && strcmp(r.msg, "iperf: unable to connect") == 0, "a report with an error: not ok, iperf's words");
	memset(&r, 0, sizeof r);
	bulk_parse("{}", &r);
	ok(!r.ok && strstr(r.msg, "no receiver's sum"), "a report without a sum: not ok, and why");
}

static void grades(void)
{
	ok(probe_grade(0) == 'A' && probe_grade(29.9) == 'A' && probe_grade(30) == 'B', "A below 30 ms");
	ok(probe_grade(59.9) == 'B' && probe_grade(60) == 'C' && probe_grade(199) == 'C', "B below 60, C below 200");
	ok(probe_grade(200) == 'D' && probe_grade(399) == 'D' && probe_grade(400) == 'F', "D below 400, then F");
}

static const struct verdict *find(const struct probe *p, const char *fig)
{
	for (int i = 0; i < p->nv; i++)
		if (strcmp(p->v[i].figure, fig) == 0)
			return &p->v[i];
	return NULL;
}

/* 200 idle probes of rtt ms each, lost ones every `every`th (0: none) */
static void idle(struct probe *p, double rtt, int every)
{
	static double v[200];

	for (int i = 0; i < 200; i++)
		v[i] = every && i % every == 0 ? -1 : rtt;
	fill(v, 200);
	p->echo = &er;
	p->ph_from[PH_IDLE] = 0, p->ph_to[PH_IDLE] = 4000000000LL;
}

static void verdicts(void)
{
	static struct probe p;
	const struct verdict *v;

	memset(&p, 0, sizeof p);
	idle(&p, 40.5, 0);
	p.afwd = (struct applied){.delay_ms = 20, .delay = true};
	p.arev = (struct applied){.delay_ms = 20, .delay = true};
	probe_judge(&p);
	v = find(&p, "rtt");
	ok(v && v->judged && v->ok && fabs(v->expected - 40) < 1e-9, "40.5 ms against 20+20 applied: ok");
	er.base_ns = 3000000;
	probe_judge(&p);
	v = find(&p, "rtt");
	ok(v && v->ok && fabs(v->expected - 43) < 1e-9 && fabs(v->tol_pct - 4 / 0.43) < 1e-9,
	   "the probes' own 3 ms added to what is expected, the tolerance still 10%% of the delays");
	er.base_ns = 0;
	probe_judge(&p);
	v = find(&p, "rtt");
	ok(v && fabs(v->tol_pct - 10) < 1e-9 && fabs(v->off_pct - 1.25) < 1e-9, "tolerance 10%%, off by 1.25%%");
	v = find(&p, "loss");
	ok(v && !v->judged && strcmp(v->why, "nothing applied") == 0, "no loss applied: no loss verdict");
	ok(!find(&p, "throughput up"), "no load asked: no throughput verdict");

	idle(&p, 50, 0);
	probe_judge(&p);
	v = find(&p, "rtt");
	ok(v && v->judged && !v->ok && fabs(v->off_pct - 25) < 1e-9, "50 ms against 40: off by 25%%");

	idle(&p, 1.5, 0);
	p.afwd = (struct applied){.delay_ms = 0.5, .delay = true};
	p.arev = (struct applied){0};
	probe_judge(&p);
	v = find(&p, "rtt");
	ok(v && v->ok, "a small delay: 1 ms of slack, not 10%% of 0.5 ms");

	idle(&p, 10, 10); /* 10% lost */
	p.afwd = (struct applied){.loss_pct = 5, .loss = true};
	p.arev = (struct applied){.loss_pct = 5, .loss = true};
	probe_judge(&p);
	v = find(&p, "loss");
	ok(v && v->judged && v->ok && fabs(v->expected - 9.75) < 1e-9, "10%% lost against 1-(0.95*0.95): ok");
	idle(&p, 10, 2); /* 50% lost */
	probe_judge(&p);
	v = find(&p, "loss");
	ok(v && v->judged && !v->ok, "50%% lost against 9.75%%: off");

	idle(&p, 10, 0);
	p.afwd = (struct applied){.rate_bps = 20e6, .rate = true};
	p.arev = (struct applied){0};
	p.load[PH_UP] = p.load[PH_DOWN] = true;
	p.bulk[PH_UP] = (struct bulk_result){.ok = 1, .bps = 12e6, .steady_bps = 19.1e6};
	p.bulk[PH_DOWN] = (struct bulk_result){.ok = 1, .bps = 900e6, .steady_bps = 900e6};
	probe_judge(&p);
	v = find(&p, "throughput up");
	ok(v && v->judged && v->ok, "steady 19.1 Mbit/s through 20mbit: ok (the whole transfer's 12, slow start and all, is not judged)");
	v = find(&p, "throughput down");
	ok(v && !v->judged, "an unshaped direction: no verdict");
	p.bulk[PH_UP].steady_bps = 17.5e6;
	probe_judge(&p);
	ok(!find(&p, "throughput up")->ok, "17.5 Mbit/s through 20mbit: off (12.5%% short)");
	p.afwd.unknown = true;
	p.bulk[PH_UP].steady_bps = 19.1e6;
	probe_judge(&p);
	v = find(&p, "throughput up");
	ok(v && !v->judged && strstr(v->why, "not wholly known"), "a path npte does not know: no verdict");
}

static struct sweep sw;

/* text refused, its message containing want */
static void sweep_bad(const char *text, const char *want)
{
	struct err e = {0};
	bool okd = sweep_read(&sw, -1, text, "s.sweep", &e);

	ok(!okd && strstr(e.msg, want), "refused: %s (%s)", want, e.msg);
}

static void sweeps(void)
{
	struct err e = {0};

	ok(sweep_read(&sw, -1,
		      "# a grid\n\nat router if-server\nat router if-client\n"
		      "cell rate 10mbit burst 32k latency 50ms | delay 20ms\n"
		      "cell\trate 20mbit burst 32k latency 50ms | delay 40ms loss 1%\n",
		      "s.sweep", &e),
	   "a two-place sweep: %s", e.msg);
	ok(sw.nat == 2 && sw.ncells == 2 && strcmp(sw.at[1].dev, "if-client") == 0, "two at lines, two cells");
	ok(sw.cell[0].kind[0] == QK_TBF && sw.cell[0].kind[1] == QK_NETEM && sw.cell[1].line == 6,
	   "tbf words, netem words, each cell's line");
	ok(sw.cell[1].q[0].tbf.rate64 == 2500000, "20mbit: 2500000 bytes/s");
	sweep_bad("at router if-server\n", "no cell");
	sweep_bad("cell rate 1mbit\n", "s.sweep:1: a cell before any at line");
	sweep_bad("at router if-server\ncell rate 1mbit | rate 2mbit\n", "s.sweep:2: more groups");
	sweep_bad("at router if-server\nat r if-a\ncell rate 1mbit\n", "1 groups of words for 2 at lines");
	sweep_bad("at router if-server\ncell rate 1mbit |\n", "no words for a place");
	sweep_bad("at router if-server\ncell sideways 1\n", "invalid words: as netem words");
	sweep_bad("at Router if-server\ncell rate 1mbit\n", "s.sweep:1:");
	sweep_bad("at router a/b\ncell rate 1mbit\n", "s.sweep:1:");
	sweep_bad("at router if-server\ncell rate 1mbit\nat router if-client\n", "an at line after the first cell");
	sweep_bad("at a x\nat b y\nat c z\ncell rate 1mbit\n", "more than 2 at lines");
	sweep_bad("at router if-server\nrate 1mbit\n", "unknown line 'rate'");
	sweep_bad("at router if-server\ncell rate 1mbit\x01\n", "control byte");
}

int main(void)
{
	sweeps();
	stats();
	report();
	grades();
	verdicts();
	return done_testing();
}
