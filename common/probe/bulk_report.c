/* iperf's JSON report read into a struct bulk_result (see probe.h): apart
 * from bulk.c so that the unit test links it without libiperf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe/probe.h"

/* The number after "key": from p on, before end (NULL: none). */
static const char *num_after(const char *p, const char *end, const char *key, double *v)
{
	const char *k = strstr(p, key);
	char *stop;

	if (!k || (end && k >= end))
		return NULL;
	k += strlen(key);
	*v = strtod(k, &stop);
	return stop == k ? NULL : stop;
}

void bulk_parse(const char *json, struct bulk_result *r)
{
	const char *p = strstr(json, "\"intervals\""), *end = strstr(json, "\"sum_received\"");
	double t, bps;

	r->n = 0;
	while (p && end && r->n < BULK_IV_MAX && (p = strstr(p, "\"sum\":")) && p < end) {
		const char *q = num_after(p, end, "\"end\":", &t);

		if (!q || !(p = num_after(q, end, "\"bits_per_second\":", &bps)))
			break;
		r->iv[r->n].t = t, r->iv[r->n].bps = bps;
		r->n++;
	}
	const char *err = strstr(json, "\"error\":");

	if (end && num_after(end, NULL, "\"bits_per_second\":", &r->bps))
		r->ok = 1;
	else if (err && (err = strchr(err + 8, '"')))
		/* iperf's own words, up to their closing quote, shown escaped later */
		snprintf(r->msg, sizeof r->msg, "iperf: %.*s", (int)strcspn(err + 1, "\""), err + 1);
	else
		snprintf(r->msg, sizeof r->msg, "iperf gave no receiver's sum");
}

void bulk_steady(struct bulk_result *r)
{
	double half, bits = 0, secs = 0;
	int used = 0;

	r->steady_bps = r->bps;
	if (!r->n)
		return;
	half = r->iv[r->n - 1].t / 2;
	/* bits over seconds, not a median of intervals: where an interval's end
	 * is late (a slow clock, an emulated CPU), the next one's start is too,
	 * and the sum of consecutive ones is right */
	for (int i = 1; i < r->n; i++)
		if (r->iv[i - 1].t >= half) {
			double dt = r->iv[i].t - r->iv[i - 1].t;

			bits += r->iv[i].bps * dt, secs += dt, used++;
		}
	/* one interval alone is one burst or lull: the whole transfer says more */
	if (used >= 2 && secs > 0)
		r->steady_bps = bits / secs;
}
