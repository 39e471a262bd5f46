/* Measured against applied, and the bufferbloat grade (see probe.h and
 * npte-probe(8), VERDICTS, for the tolerances and why). */
#include <math.h>
#include <string.h>
#include "probe/probe.h"

const char *const probe_phase[PH_N] = {"idle", "up", "down"};

char probe_grade(double added_ms)
{
	/* Waveform's bufferbloat test grades by the same added latency, ms */
	static const struct { double below; char grade; } scale[] = {
		{30, 'A'}, {60, 'B'}, {200, 'C'}, {400, 'D'},
	};

	for (size_t i = 0; i < sizeof scale / sizeof scale[0]; i++)
		if (added_ms < scale[i].below)
			return scale[i].grade;
	return 'F';
}

static struct verdict *add(struct probe *p, const char *figure, const char *unit)
{
	struct verdict *v = &p->v[p->nv++];

	memset(v, 0, sizeof *v);
	v->figure = figure, v->unit = unit;
	return v;
}

/* ok within tol_abs (in the figure's unit) of expected; the tolerance said
 * as a share of expected */
static void judge(struct verdict *v, double measured, double expected, double tol_abs)
{
	v->judged = true;
	v->measured = measured, v->expected = expected;
	v->off_pct = expected ? 100.0 * (measured - expected) / expected : 0;
	v->tol_pct = expected ? 100.0 * tol_abs / expected : 0;
	v->ok = fabs(measured - expected) <= tol_abs;
}

static void no_verdict(struct verdict *v, const struct applied *a, double measured, const char *what)
{
	v->measured = measured;
	v->why = a->unknown ? "path not wholly known to npte (or a qdisc it cannot read)" : what;
}

/* The round trip: the idle median against both directions' delays plus the
 * probes' own round trip (over lo in FROM: what the host's scheduling costs
 * each probe, some ms on an emulated CPU); 10% of the delays, at least 1 ms
 * (veth's own round trip and the timer slack). */
static void rtt_verdict(struct probe *p)
{
	struct verdict *v = add(p, "rtt", "ms");
	const struct applied *f = &p->afwd, *r = &p->arev;
	double delays = f->delay_ms + r->delay_ms, want = delays + p->echo->base_ns / 1e6;

	if (f->unknown || r->unknown || !(f->delay || r->delay) || !p->rtt[PH_IDLE].got)
		return no_verdict(v, f->unknown ? f : r, p->rtt[PH_IDLE].median,
				  p->rtt[PH_IDLE].got ? "nothing applied" : "no probe came back");
	judge(v, p->rtt[PH_IDLE].median, want, fmax(0.10 * delays, 1.0));
}

/* Round-trip loss of the idle probes against 1-(1-fwd)(1-rev): four binomial
 * standard deviations and half a point, so a sound link fails less than once
 * in 10^4 runs. */
static void loss_verdict(struct probe *p)
{
	struct verdict *v = add(p, "loss", "%");
	const struct applied *f = &p->afwd, *r = &p->arev;
	const struct rtt_stats *s = &p->rtt[PH_IDLE];
	double want = 100.0 - (100.0 - f->loss_pct) * (1.0 - r->loss_pct / 100.0), q = want / 100.0;

	if (f->unknown || r->unknown || !(f->loss || r->loss) || !s->sent)
		return no_verdict(v, f->unknown ? f : r, s->loss_pct, "nothing applied");
	judge(v, s->loss_pct, want, 400.0 * sqrt(q * (1 - q) / s->sent) + 0.5);
}

/* A transfer's steady rate (bulk_steady: past slow start, which a long
 * path's short transfer never leaves) against the narrowest rate of its
 * direction: 10%, which covers the headers a rate counts and TCP's goodput
 * does not (4.4% at 1500 bytes). */
static void rate_verdict(struct probe *p, int ph, const struct applied *a, const char *figure)
{
	struct verdict *v;

	if (!p->load[ph])
		return;
	v = add(p, figure, "Mbit/s");
	if (!p->bulk[ph].ok)
		return no_verdict(v, a, 0, p->bulk[ph].msg);
	if (a->unknown || !a->rate)
		return no_verdict(v, a, p->bulk[ph].steady_bps / 1e6, "nothing applied");
	judge(v, p->bulk[ph].steady_bps / 1e6, a->rate_bps / 1e6, 0.10 * a->rate_bps / 1e6);
}

void probe_judge(struct probe *p)
{
	for (int ph = 0; ph < PH_N; ph++) {
		if (ph != PH_IDLE && !p->load[ph])
			continue;
		rtt_stats(p->echo, p->ph_from[ph], p->ph_to[ph], &p->rtt[ph]);
		if (ph != PH_IDLE && p->rtt[ph].got && p->rtt[PH_IDLE].got) {
			p->added_ms[ph] = fmax(0, p->rtt[ph].median - p->rtt[PH_IDLE].median);
			p->grade[ph] = probe_grade(p->added_ms[ph]);
		}
	}
	p->nv = 0;
	rtt_verdict(p);
	loss_verdict(p);
	rate_verdict(p, PH_UP, &p->afwd, "throughput up");
	rate_verdict(p, PH_DOWN, &p->arev, "throughput down");
}
