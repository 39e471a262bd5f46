/* The plan model: ops appended in order (see plan.h). */
#include <string.h>
#include "base/grow.h"
#include "txn/plan.h"

/*
 * The ops grow as a plan is built (grow.h says why they are not a static
 * array of PLAN_MAX). A process builds one plan at a time (cli_main), so the
 * store is this module's: a plan zeroed to be built again (the unit tests)
 * takes the same store back instead of leaking it.
 */
static struct op *store;
static size_t store_cap;

struct op *plan_add(struct plan *p, const struct op_type *t)
{
	struct op *op, *grown;

	if (p->n >= PLAN_MAX)
		die(EXIT_USAGE, "too many operations in one transaction (at most %d)", PLAN_MAX);
	grown = grow(store, &store_cap, p->n + 1, sizeof *store, PLAN_MAX);
	if (!grown)
		die(EXIT_FAIL, "out of memory for the plan (operation %zu)", p->n + 1);
	p->ops = store = grown;
	op = &p->ops[p->n++];
	memset(op, 0, sizeof *op);
	op->type = t;
	return op;
}
