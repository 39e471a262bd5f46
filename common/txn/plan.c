/* The plan model: ops appended in order (see plan.h). */
#include <string.h>
#include "txn/plan.h"

struct op *plan_add(struct plan *p, const struct op_type *t)
{
	struct op *op;

	if (p->n >= PLAN_MAX)
		die(EXIT_USAGE, "too many operations in one transaction (at most %d)", PLAN_MAX);
	op = &p->ops[p->n++];
	memset(op, 0, sizeof *op);
	op->type = t;
	return op;
}

