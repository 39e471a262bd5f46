/* The plan model: ops appended in order (see plan.h). */
#include <stdlib.h>
#include <string.h>
#include "base/grow.h"
#include "txn/plan.h"

/* The ops grow as the plan is built: grow.h says why they are not a static
 * array of PLAN_MAX. Each plan owns its own. */
struct op *plan_add(struct plan *p, const struct op_type *t)
{
	struct op *op, *grown;

	if (p->n >= PLAN_MAX)
		die(EXIT_USAGE, "too many operations in one transaction (at most %d)", PLAN_MAX);
	grown = grow(p->ops, &p->cap, p->n + 1, sizeof *p->ops, PLAN_MAX);
	if (!grown)
		die(EXIT_FAIL, "out of memory for the plan (operation %zu)", p->n + 1);
	p->ops = grown;
	op = &p->ops[p->n++];
	memset(op, 0, sizeof *op);
	op->type = t;
	return op;
}

void plan_free(struct plan *p)
{
	free(p->ops);
	p->ops = NULL;
	p->cap = p->n = 0;
}
