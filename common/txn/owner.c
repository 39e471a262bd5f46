/* The ownership predicate and the uniform refusal (see owner.h). */
#include <errno.h>
#include "kernel/netns.h"
#include "txn/owner.h"

int owner_check(struct txn *c, const char *name, struct marker *m, struct nshandle **h)
{
	int rc = marker_read(name, m);

	*h = NULL;
	if (rc == -ENOENT)
		return OWN_ABSENT;
	if (rc == -EINVAL) /* not a marker npte wrote: nobody's to claim */
		return OWN_FOREIGN;
	if (rc < 0)
		return rc;
	if (!c->who.admin && m->owner != c->who.uid)
		return OWN_FOREIGN;
	rc = txn_ns_id(c, name, h);
	if (rc == -ENOENT)
		return OWN_GONE;
	if (rc == -ENOTNS)
		return OWN_PLACEHOLDER;
	if (rc < 0)
		return rc;
	/* A marker a dry-run script wrote has no cookie: it names no identity. */
	if (m->cookie && m->cookie != (*h)->cookie)
		return OWN_SWAPPED;
	return OWN_MINE;
}

int owner_check_nl(struct txn *c, const char *name, struct marker *m, struct nshandle **h)
{
	int rc = owner_check(c, name, m, h);

	if (rc == OWN_MINE) {
		int err = txn_ns(c, name, h);

		if (err < 0)
			return err;
	}
	return rc;
}

int deny(struct txn *c, const char *verb, const char *name)
{
	(void)verb; /* main prefixes the verb; the text is the same for every cause */
	return err_set(&c->err, EXIT_USAGE, "%s: " DENY_TEXT, name);
}
