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
	if (end && num_after(end, NULL, "\"bits_per_second\":", &r->bps))
		r->ok = 1;
	else
		snprintf(r->msg, sizeof r->msg, "iperf gave no receiver's sum");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bulk_steady(struct bulk_result *r)
{
	double v[BULK_IV_MAX], half;
	int n = 0;

	r->steady_bps = r->bps;
	if (!r->n)
		return;
	half = (r->iv[0].t + r->iv[r->n - 1].t) / 2;
	for (int i = 0; i < r->n; i++)
		if (r->iv[i].t > half)
			v[n++] = r->iv[i].bps;
	if (!n)
		return;
	qsort(v, (size_t)n, sizeof v[0], cmp_double);
	r->steady_bps = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
