/* The one registry of op types: the journal names an op, this finds its type. */
#include <string.h>
#include "ops/ops.h"

static const struct op_type *const op_types[] = {
	&guard_op, &dev_guard_op, &quota_op, &netns_add_op, &netns_del_op, &link_up_op, &sysctl_op,
	&marker_write_op, &marker_remove_op, &veth_add_op, &veth_del_op, &addr_add_op,
	&addr_del_op, &route_add_op, &route_del_op, &root_op, &clear_op, &change_op, &kmem_op,
	&play_snapshot_op, &gw_link_op, &gw_side_op, &gw_rules_op, &gw_nsrules_op, &gw_fwd_op, &gw_remove_op,
};

const struct op_type *op_type_find(const char *name)
{
	for (size_t i = 0; i < sizeof op_types / sizeof op_types[0]; i++)
		if (strcmp(op_types[i]->name, name) == 0)
			return op_types[i];
	return NULL;
}
