/*
 * The qdisc kinds npte makes, in the manner of iproute2's q_*.c: each kind
 * is one file (netem.c, tbf.c, cake.c) that ends in one registration, a
 * `struct qdisc_kind` with its name and the functions the rest of npte calls:
 * parse its words, encode them as the request tc sends, decode a dumped
 * qdisc back into tc words, and say what it can hold in kernel memory. The
 * rest of npte looks a kind up here and never branches on one.
 */
#ifndef NPTE_QDISC_H
#define NPTE_QDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "base/kmem.h"
#include "shape/shape.h"

/* The index of each kind in the table (qdisc.c). */
enum qkind { QK_NETEM, QK_TBF, QK_CAKE, QK_N };

/* cake as npte makes it: a bandwidth ("bandwidth RATE"), nothing else. */
struct cake_spec {
	char words[SHAPE_WORDS_LEN];
	uint64_t rate64; /* bytes/s */
};

/* A spec of any kind. Each begins with its words, as given and validated. */
union qspec {
	struct netem_spec netem;
	struct tbf_spec tbf;
	struct cake_spec cake;
};

/* tc words being written by a decoder: appended with a blank between. */
struct wbuf {
	char *s;
	size_t cap, len;
};
void wbuf_add(struct wbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What a change that leaves out these words keeps in the kernel (qkind.keeps). */
enum { QK_KEEPS_RATE = 1, QK_KEEPS_SLOT = 2 };

struct qdisc_kind {
	const char *name;
	/* The words after KIND into *q (q->...words keeps them); false with the reason. */
	bool (*parse)(union qspec *q, int argc, char *const argv[], double tick, struct err *e);
	/* npte's child form: the spec for one rate word. NULL: not a child kind. */
	bool (*from_rate)(union qspec *q, const char *rate, struct err *e);
	/* TCA_KIND and TCA_OPTIONS as tc lays them out, appended to h: 0 or -errno. */
	int (*encode)(struct nlmsghdr *h, size_t cap, const union qspec *q, double tick);
	/* A dumped qdisc's TCA_OPTIONS as tc words, into b. */
	void (*describe)(struct wbuf *b, const struct nlattr *opts, double tick);
	/* What a dumped qdisc of the kind can hold (kmem.h), and what a spec can. */
	void (*held)(const struct nlattr *opts, struct kmem_want *w);
	struct kmem_want (*want)(const union qspec *q);
	/* QK_KEEPS_* of a spec used as a change (NULL: it keeps nothing). */
	unsigned (*keeps)(const union qspec *q);
	/* The kernel refuses a netem among netems when one duplicates (ops_qdisc.c):
	 * whether a spec, or a dumped qdisc's options, does. NULL: not such a kind. */
	bool (*duplicates)(const union qspec *q);
	bool (*dumped_duplicates)(const struct nlattr *opts);
	/* The words npte-doctor probes the kernel's support with. */
	const char *probe_words;
	/* The kernel module and the config option that provide the kind: what a
	 * kernel that does not know it lacks (qkind_missing_hint). */
	const char *module, *config;
	/* npte makes it only as a child, never at the root. */
	bool child_only;
};

extern const struct qdisc_kind netem_kind, tbf_kind, cake_kind;

/* The names of the kinds with a from_rate, as a message lists them ("tbf or cake"). */
void qkind_child_names(char *buf, size_t n);

/* The kind called name, or NULL. */
const struct qdisc_kind *qkind_find(const char *name);
const struct qdisc_kind *qkind_of(enum qkind k);
/* The index of a registered kind. */
enum qkind qkind_index(const struct qdisc_kind *k);

/*
 * Whether the kernel's answer to a request that makes a qdisc of some kind
 * (rc, its extended-ack text) says it does not know the kind: -ENOENT with
 * "Specified qdisc kind is unknown" (net/sched/sch_api.c, qdisc_create).
 */
bool qkind_unknown_reply(int rc, const char *ext);
/* The one hint every verb gives for it, and npte-doctor's fix:
 * "this kernel has no sch_netem (CONFIG_NET_SCH_NETEM); see npte-doctor". */
void qkind_missing_hint(const struct qdisc_kind *k, char *buf, size_t n);

/* A spec's words, whichever its kind (each spec begins with them). */
const char *qspec_words(const union qspec *q);

/* The same from one blank-separated string (the journal, profiles, flags). */
bool qkind_parse_str(const struct qdisc_kind *k, union qspec *q, const char *words, double tick,
		     struct err *e);

/* A netem's want: its limit, drained at its rate (if it gives none: kept's,
 * 0 for none), overheads and cells, and slots (netem_kind.want with kept 0). */
struct kmem_want kmem_of_netem_spec(const struct netem_spec *ne, uint64_t kept);
/* A tbf's want: its queue, drained as its overhead, mpu and linklayer send
 * the shortest frames (tbf_kind.want). */
struct kmem_want kmem_of_tbf_spec(const struct tbf_spec *t);

/* Shared by the kinds' decoders: a dumped nest's attributes by type. */
#define QATTR_N 32
struct qattrs {
	const struct nlattr *a[QATTR_N];
	int max;
};
int qattr_cb(const struct nlattr *a, void *data);
bool qattr_sized(const struct nlattr *a, size_t n);
void qattr_nested(const struct nlattr *opts, struct qattrs *t, int max);
/* The words tc reads back to the same value: times (ns), rates (bytes/s), percentages. */
void qword_time(char *out, size_t n, uint64_t ns);
void qword_rate(char *out, size_t n, uint64_t bytes);
void qword_pct(struct wbuf *b, uint32_t v);
/* Append one attribute (false: no room). */
bool qput(struct nlmsghdr *h, size_t cap, uint16_t type, size_t len, const void *data);

#endif
