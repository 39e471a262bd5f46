/* What a probe found: the summary on a terminal and the JSON record
 * (docs/probe.schema.json). */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/escape.h"
#include "probe/probe.h"

static const char *ip_str(const struct ipaddr *a, char *buf, size_t n)
{
	return inet_ntop(a->family, a->a, buf, (socklen_t)n) ? buf : "?";
}

static void print_path(FILE *f, const char *dir, const struct path *p)
{
	fprintf(f, "path %-4s", dir);
	for (int i = 0; i < p->n; i++) {
		const struct hop *h = &p->h[i];

		fprintf(f, "%s %s %s:", i ? " ->" : "", h->ns, disp(h->dev));
		if (!h->nq)
			fputs(" (the kernel's default)", f);
		for (int k = 0; k < h->nq; k++)
			fprintf(f, " %s %s", h->q[k].kind, h->q[k].words);
	}
	fputs(p->complete ? "\n" : " -> (beyond what npte knows)\n", f);
}

static void print_verdict(FILE *f, const struct verdict *v)
{
	fprintf(f, "verdict %-15s ", v->figure);
	if (!v->judged)
		fprintf(f, "none: %s (measured %.2f %s)\n", disp(v->why), v->measured, v->unit);
	else
		/* "off by" only for a figure that is off: a test (npte.bash's
		 * assert_verdict) greps for it */
		fprintf(f, "%s%.1f%% (%.2f %s, applied %.2f; tolerance %.1f%%)\n", v->ok ? "ok, within tolerance: " : "off by ",
			v->off_pct, v->measured, v->unit, v->expected, v->tol_pct);
}

void probe_print(FILE *f, const struct probe *p)
{
	char ip[64];

	fprintf(f, "npte-probe %s -> %s (%s), %d s a phase; the probes' own round trip %.2f ms\n", p->from, p->to,
		ip_str(&p->dst, ip, sizeof ip), p->seconds, p->echo->base_ns / 1e6);
	print_path(f, "up", &p->fwd);
	print_path(f, "down", &p->rev);
	for (int ph = 0; ph < PH_N; ph++) {
		const struct rtt_stats *s = &p->rtt[ph];

		if (ph != PH_IDLE && !p->load[ph])
			continue;
		fprintf(f, "rtt %-4s min %.2f median %.2f p90 %.2f p99 %.2f max %.2f ms; loss %.1f%% (%u of %u), "
			   "%u duplicated, %u reordered", probe_phase[ph], s->min, s->median, s->p90, s->p99, s->max,
			s->loss_pct, s->lost, s->sent, s->dups, s->reordered);
		if (p->grade[ph])
			fprintf(f, "; +%.1f ms under load, grade %c", p->added_ms[ph], p->grade[ph]);
		fputc('\n', f);
		if (ph != PH_IDLE && p->bulk[ph].ok)
			fprintf(f, "throughput %-4s %.2f Mbit/s, steady %.2f\n", probe_phase[ph], p->bulk[ph].bps / 1e6,
				p->bulk[ph].steady_bps / 1e6);
	}
	for (int i = 0; i < p->nv; i++)
		print_verdict(f, &p->v[i]);
}

/* A number, or null where there is none (JSON has no NaN). */
static void num(FILE *f, const char *key, double v, bool have)
{
	if (have && isfinite(v))
		fprintf(f, "\"%s\":%.6g", key, v);
	else
		fprintf(f, "\"%s\":null", key);
}

static void json_rtt(FILE *f, const struct rtt_stats *s)
{
	bool g = s->got > 0;

	fprintf(f, "{\"sent\":%u,\"received\":%u,\"lost\":%u,\"duplicated\":%u,\"reordered\":%u,", s->sent, s->got,
		s->lost, s->dups, s->reordered);
	num(f, "min_ms", s->min, g), fputc(',', f), num(f, "median_ms", s->median, g), fputc(',', f);
	num(f, "p90_ms", s->p90, g), fputc(',', f), num(f, "p99_ms", s->p99, g), fputc(',', f);
	num(f, "max_ms", s->max, g), fputc(',', f), num(f, "loss_pct", s->loss_pct, s->sent > 0);
	fputc('}', f);
}

static void json_phase(FILE *f, const struct probe *p, int ph)
{
	const struct bulk_result *b = &p->bulk[ph];

	fprintf(f, "{\"name\":\"%s\",", probe_phase[ph]);
	num(f, "from_s", p->ph_from[ph] / 1e9, true), fputc(',', f);
	num(f, "to_s", p->ph_to[ph] / 1e9, true);
	fputs(",\"rtt\":", f);
	json_rtt(f, &p->rtt[ph]);
	fputc(',', f);
	num(f, "throughput_mbps", b->bps / 1e6, ph != PH_IDLE && b->ok);
	fputc(',', f);
	num(f, "steady_mbps", b->steady_bps / 1e6, ph != PH_IDLE && b->ok);
	fputc(',', f);
	num(f, "added_ms", p->added_ms[ph], p->grade[ph] != 0);
	fprintf(f, ",\"grade\":");
	if (p->grade[ph])
		fprintf(f, "\"%c\"", p->grade[ph]);
	else
		fputs("null", f);
	if (ph != PH_IDLE) {
		fputs(",\"intervals\":[", f);
		for (int i = 0; i < b->n; i++)
			fprintf(f, "%s[%.3f,%.4f]", i ? "," : "", b->iv[i].t, b->iv[i].bps / 1e6);
		fputc(']', f);
	}
	fputc('}', f);
}

static void json_hop(FILE *f, const struct hop *h)
{
	fputs("{\"netns\":", f);
	json_str(f, h->ns);
	fputs(",\"dev\":", f);
	json_str(f, h->dev);
	fputs(",\"qdiscs\":[", f);
	for (int k = 0; k < h->nq; k++) {
		fputs(k ? "," : "", f);
		qdisc_desc_json(f, NULL, &h->q[k]);
	}
	fputs("],", f);
	num(f, "delay_ms", h->delay_ms, true), fputc(',', f), num(f, "jitter_ms", h->jitter_ms, true);
	fputc(',', f), num(f, "loss_pct", h->loss_pct, true), fputc(',', f);
	num(f, "rate_mbps", h->rate_bps / 1e6, h->rate_bps > 0);
	fprintf(f, ",\"readable\":%s}", h->unread ? "false" : "true");
}

static void json_path(FILE *f, const struct path *p, const struct applied *a)
{
	fprintf(f, "{\"complete\":%s,\"hops\":[", p->complete ? "true" : "false");
	for (int i = 0; i < p->n; i++) {
		fputs(i ? "," : "", f);
		json_hop(f, &p->h[i]);
	}
	fputs("],\"applied\":{", f);
	num(f, "delay_ms", a->delay_ms, true), fputc(',', f), num(f, "jitter_ms", a->jitter_ms, true);
	fputc(',', f), num(f, "loss_pct", a->loss_pct, true), fputc(',', f);
	num(f, "rate_mbps", a->rate_bps / 1e6, a->rate);
	fputs("}}", f);
}

static void json_verdict(FILE *f, const struct verdict *v)
{
	fprintf(f, "{\"figure\":\"%s\",\"verdict\":\"%s\",\"unit\":\"%s\",", v->figure,
		!v->judged ? "none" : v->ok ? "ok" : "off", v->unit);
	num(f, "measured", v->measured, true), fputc(',', f);
	num(f, "expected", v->expected, v->judged), fputc(',', f);
	num(f, "off_pct", v->off_pct, v->judged), fputc(',', f);
	num(f, "tolerance_pct", v->tol_pct, v->judged);
	fputs(",\"why\":", f);
	if (v->why)
		json_str(f, v->why);
	else
		fputs("null", f);
	fputc('}', f);
}

void probe_json(FILE *f, const struct probe *p, const char *version)
{
	char ip[64];

	fputs("{\"npte_version\":", f), json_str(f, version);
	if (p->cell_json[0])
		fprintf(f, ",\"cell\":%s", p->cell_json);
	fputs(",\"time\":", f), json_str(f, p->when);
	fputs(",\"kernel\":", f), json_str(f, p->kernel);
	fputs(",\"from\":", f), json_str(f, p->from);
	fputs(",\"to\":", f), json_str(f, p->to);
	fputs(",\"address\":", f), json_str(f, ip_str(&p->dst, ip, sizeof ip));
	fprintf(f, ",\"duration_s\":%d,\"interval_ms\":%d,", p->seconds, PROBE_INTERVAL_MS);
	num(f, "base_ms", p->echo->base_ns / 1e6, p->echo->base_ns > 0);
	fputs(",\"phases\":[", f);
	for (int ph = 0, n = 0; ph < PH_N; ph++)
		if (ph == PH_IDLE || p->load[ph])
			fputs(n++ ? "," : "", f), json_phase(f, p, ph);
	fputs("],\"path\":{\"up\":", f);
	json_path(f, &p->fwd, &p->afwd);
	fputs(",\"down\":", f);
	json_path(f, &p->rev, &p->arev);
	fputs("},\"verdicts\":[", f);
	for (int i = 0; i < p->nv; i++)
		fputs(i ? "," : "", f), json_verdict(f, &p->v[i]);
	fputs("],\"rtt_samples\":[", f);
	for (uint32_t i = 0; i < p->echo->n; i++) {
		const struct echo_rec *r = &p->echo->r[i];

		fprintf(f, i ? ",[%.3f," : "[%.3f,", r->t_ns / 1e9);
		if (r->rtt_ns < 0)
			fputs("null]", f);
		else
			fprintf(f, "%.4f]", r->rtt_ns / 1e6);
	}
	fputs("]}\n", f);
}
