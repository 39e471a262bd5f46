/* The table of qdisc kinds (qdisc.h) and what their files share. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "shape/qdisc.h"

/* One line per kind: a new kind is its file and its line here. */
static const struct qdisc_kind *const kinds[QK_N] = {
	[QK_NETEM] = &netem_kind,
	[QK_TBF] = &tbf_kind,
	[QK_CAKE] = &cake_kind,
};

const struct qdisc_kind *qkind_find(const char *name)
{
	for (size_t i = 0; i < QK_N; i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

void qkind_child_names(char *buf, size_t n)
{
	size_t len = 0, left = 0;

	for (size_t i = 0; i < QK_N; i++)
		left += kinds[i]->from_rate != NULL;
	buf[0] = '\0';
	for (size_t i = 0; i < QK_N && len < n; i++) {
		if (!kinds[i]->from_rate)
			continue;
		left--;
		len += (size_t)snprintf(buf + len, n - len, "%s%s", kinds[i]->name, left > 1 ? ", " : left ? " or " : "");
	}
}

const struct qdisc_kind *qkind_of(enum qkind k)
{
	return kinds[k];
}

enum qkind qkind_index(const struct qdisc_kind *k)
{
	size_t i = 0;

	while (i + 1 < QK_N && kinds[i] != k)
		i++;
	return (enum qkind)i;
}

bool qkind_unknown_reply(int rc, const char *ext)
{
	return rc == -ENOENT && ext && strstr(ext, "qdisc kind is unknown") != NULL;
}

void qkind_missing_hint(const struct qdisc_kind *k, char *buf, size_t n)
{
	snprintf(buf, n, "this kernel has no %s (%s); see npte-doctor", k->module, k->config);
}

const char *qspec_words(const union qspec *q)
{
	return q->netem.words; /* the common initial member of every spec */
}

bool qkind_parse_str(const struct qdisc_kind *k, union qspec *q, const char *words, double tick,
		     struct err *e)
{
	char buf[SHAPE_WORDS_LEN], *w[SHAPE_WORDS_MAX];
	int c = shape_split(words, buf, sizeof buf, w, SHAPE_WORDS_MAX, e);

	return c >= 0 && k->parse(q, c, w, tick, e);
}

void wbuf_add(struct wbuf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->len >= b->cap)
		return;
	if (b->len)
		b->s[b->len++] = ' ';
	va_start(ap, fmt);
	w = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len = w < 0 ? b->len : b->len + (size_t)w < b->cap ? b->len + (size_t)w : b->cap - 1;
	b->s[b->len] = '\0';
}

int qattr_cb(const struct nlattr *a, void *data)
{
	struct qattrs *t = data;
	int type = mnl_attr_get_type(a);

	if (type >= 0 && type <= t->max && type < QATTR_N)
		t->a[type] = a;
	return MNL_CB_OK;
}

bool qattr_sized(const struct nlattr *a, size_t n)
{
	return a && mnl_attr_get_payload_len(a) >= n;
}

void qattr_nested(const struct nlattr *opts, struct qattrs *t, int max)
{
	memset(t, 0, sizeof *t);
	t->max = max;
	mnl_attr_parse_nested(opts, qattr_cb, t);
}

/* ms or us when whole, else us with decimals. */
void qword_time(char *out, size_t n, uint64_t ns)
{
	if (ns % 1000000 == 0)
		snprintf(out, n, "%" PRIu64 "ms", ns / 1000000);
	else if (ns % 1000 == 0)
		snprintf(out, n, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(out, n, "%" PRIu64 ".%03" PRIu64 "us", ns / 1000, ns % 1000);
}

void qword_rate(char *out, size_t n, uint64_t bytes)
{
	uint64_t bits = bytes * 8;

	if (bits && bits % 1000000000 == 0)
		snprintf(out, n, "%" PRIu64 "gbit", bits / 1000000000);
	else if (bits && bits % 1000000 == 0)
		snprintf(out, n, "%" PRIu64 "mbit", bits / 1000000);
	else if (bits && bits % 1000 == 0)
		snprintf(out, n, "%" PRIu64 "kbit", bits / 1000);
	else
		snprintf(out, n, "%" PRIu64 "bit", bits);
}

void qword_pct(struct wbuf *b, uint32_t v)
{
	wbuf_add(b, "%g%%", 100. * v / UINT32_MAX);
}

bool qput(struct nlmsghdr *h, size_t cap, uint16_t type, size_t len, const void *data)
{
	return mnl_attr_put_check(h, cap, type, len, data);
}
