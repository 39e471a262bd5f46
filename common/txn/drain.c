/* Namespaces that outlive their name (see drain.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "txn/drain.h"
#include "base/kmem.h"
#include "kernel/requests.h"

#define IDS_MAX (REGISTRY_MAX * 2 + 1024)

/* Scratch for a listing of the draining records, static for its size
 * (640 KiB); nothing in it outlives the call that fills it. */
static struct drain drains[REGISTRY_MAX];

/*
 * The ids npte must not give: in the kernel's table, or named by a marker
 * or a draining record (even if the kernel has freed them, so that each id
 * names one namespace only). Gathered once per hold of the lock and kept up
 * to date with each id given, so a batch of 1000 names reads the registry
 * once; it lives in the transaction (c->taken) and goes with txn_close, at
 * the unlock: a write that retries after a wait reads it afresh.
 */
struct nsid_taken {
	int32_t id[IDS_MAX + 2 * REGISTRY_MAX];
	size_t n;
};

static int cmp_id(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* The ids in use in the host's table now, into t. */
static int ids_read(struct txn *c, struct nsid_taken *t)
{
	struct netlink *host;
	int rc = txn_host(c, &host);

	if (rc < 0)
		return rc;
	return req_nsid_list(host, t->id, IDS_MAX, &t->n);
}

static int taken_gather(struct txn *c, struct nsid_taken *t)
{
	static char names[REGISTRY_MAX][16]; /* scratch, as drains */
	int n, nd, rc = ids_read(c, t);

	if (rc < 0)
		return rc;
	n = marker_list(names, REGISTRY_MAX);
	if (n < 0)
		return n;
	nd = drain_list(drains, REGISTRY_MAX);
	if (nd < 0)
		return nd;
	for (int i = 0; i < nd; i++)
		t->id[t->n++] = drains[i].nsid;
	for (int i = 0; i < n; i++) {
		struct marker m;

		if (marker_read(names[i], &m) == 0 && m.nsid >= 0)
			t->id[t->n++] = m.nsid;
	}
	qsort(t->id, t->n, sizeof t->id[0], cmp_id);
	return 0;
}

/* c's taken ids, gathered on first use. */
static int taken_read(struct txn *c, struct nsid_taken **out)
{
	int rc;

	if (!c->taken) {
		c->taken = calloc(1, sizeof *c->taken);
		if (!c->taken)
			return -ENOMEM;
		rc = taken_gather(c, c->taken);
		if (rc < 0) {
			free(c->taken);
			c->taken = NULL;
			return rc;
		}
	}
	*out = c->taken;
	return 0;
}

static void taken_add(struct nsid_taken *t, int32_t id)
{
	size_t at = t->n;

	if (t->n >= sizeof t->id / sizeof t->id[0])
		return; /* then EEXIST or a reread tells */
	while (at > 0 && t->id[at - 1] > id) {
		t->id[at] = t->id[at - 1];
		at--;
	}
	t->id[at] = id;
	t->n++;
}

int nsid_assign(struct txn *c, int nsfd, int32_t *id)
{
	struct netlink *host;
	char ext[256];
	struct nsid_taken *t;
	int32_t k = NSID_BASE;
	size_t i = 0;
	int rc = taken_read(c, &t);

	if (rc < 0)
		return rc;
	rc = txn_host(c, &host);
	if (rc < 0)
		return rc;
	for (;;) {
		int32_t have;

		/* the lowest id of the range, from k on, that nobody has */
		while (i < t->n && t->id[i] < k)
			i++;
		while (i < t->n && t->id[i] == k) {
			k++;
			i++;
		}
		if (k < NSID_BASE) /* wrapped: the range is full */
			return -ENOSPC;
		rc = req_nsid_set(host, nsfd, k, ext, sizeof ext);
		if (rc != -EEXIST) {
			if (rc == 0) {
				taken_add(t, k);
				*id = k;
			}
			return rc;
		}
		/*
		 * EEXIST: the id is still reserved by a namespace being torn down
		 * (the dump leaves those out), or given meanwhile by a root tool:
		 * the next one. Unless the namespace itself has an id already.
		 */
		if (req_nsid_of(host, nsfd, &have) == 0 && have >= 0) {
			if (have < NSID_BASE)
				return -EEXIST;
			*id = have;
			return 0;
		}
		taken_add(t, k);
		k++;
	}
}

int nsid_get(struct txn *c, int nsfd, int32_t *id)
{
	struct netlink *host;
	int rc = txn_host(c, &host);

	if (rc == 0)
		rc = req_nsid_of(host, nsfd, id);
	if (rc == 0 && *id < NSID_BASE)
		rc = nsid_assign(c, nsfd, id);
	return rc;
}

int drain_charge(struct txn *c, const char *name, int32_t id, uid_t owner, uint64_t kmem)
{
	struct drain d = {.nsid = id, .owner = owner, .kmem = kmem};
	struct netlink *host;
	int rc = txn_host(c, &host);

	/* One question for one id: a batch destroy does not dump the table per name. */
	if (rc == 0)
		rc = req_nsid_exists(host, id);
	if (rc <= 0)
		return rc;
	snprintf(d.name, sizeof d.name, "%s", name);
	rc = drain_write(&d);
	return rc < 0 ? rc : 1;
}

/*
 * Whether the namespace behind a record lives: asked id by id, so that one
 * whose last holder is gone counts as ended at once (the kernel answers "no"
 * for a namespace being torn down), and nothing ever waits for teardown.
 */
static int alive(struct txn *c, int32_t id)
{
	struct netlink *host;
	int rc = txn_host(c, &host);

	return rc < 0 ? rc : req_nsid_exists(host, id);
}

int drain_count(struct txn *c, uid_t owner, bool all, unsigned *live)
{
	int n = drain_list(drains, REGISTRY_MAX), rc;

	*live = 0;
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		rc = alive(c, drains[i].nsid);
		if (rc < 0)
			return rc;
		if (!rc) {
			/* Ended: nothing is charged for it any more. */
			rc = drain_remove(drains[i].nsid);
			if (rc < 0)
				return rc;
			continue;
		}
		if (all || drains[i].owner == owner)
			(*live)++;
	}
	return 0;
}

int drain_kmem(struct txn *c, uid_t owner, uint64_t *sum)
{
	int n = drain_live(c, drains, REGISTRY_MAX);

	*sum = 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (drains[i].owner == owner)
			*sum = kmem_sum(*sum, drains[i].kmem);
	return 0;
}

int drain_live(struct txn *c, struct drain *out, int max)
{
	int n = drain_list(out, max), rc, k = 0;

	for (int i = 0; i < n; i++) {
		rc = alive(c, out[i].nsid);
		if (rc < 0)
			return rc;
		if (rc)
			out[k++] = out[i];
	}
	return n < 0 ? n : k;
}
