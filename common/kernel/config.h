/* The administrator's settings: /etc/npte/npte.conf, root-owned, strict. */
#ifndef NPTE_CONFIG_H
#define NPTE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "base/err.h"

#define NPTE_CONF "/etc/npte/npte.conf"

struct config {
	unsigned max_namespaces; /* per non-root caller; default 32 */
	/* per non-root caller: the worst-case kernel memory of all their
	 * qdiscs (kmem.h); default KMEM_BUDGET_DEFAULT */
	uint64_t max_kernel_memory;
	/* npte-gateway for non-root callers (their own namespaces); default no */
	bool gateway;
};

/* Defaults when the file is absent. Exit-2 errors (with the line) for a file
 * that is not root-owned, is group/other-writable, or does not parse. */
int config_load(struct config *cfg, struct err *e);
/* Parse the text of a config file (for tests). */
int config_parse(struct config *cfg, const char *text, struct err *e);

#endif
