/*
 * libFuzzer harness for the marker loader (marker_parse in common/registry.c):
 * the bytes root, a dry-run script or a crash can leave in
 * /run/npte/netns/NAME, at most MARKER_MAX of them as marker_read reads.
 *
 * Besides crashes it checks that an accepted marker holds what the format
 * allows (an owner, a cookie of 0 or more, an nsid of -1 or in npte's range)
 * and that writing it again in marker_write's form parses back the same.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kernel/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[MARKER_MAX + 1], again[128];
	struct marker m, m2;
	int len;

	if (size > MARKER_MAX)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (marker_parse(buf, &m) < 0)
		return 0;
	TRAP_UNLESS(m.nsid == -1 || m.nsid >= NSID_BASE);
	len = snprintf(again, sizeof again, "owner=%u\n", (unsigned)m.owner);
	if (m.cookie)
		len += snprintf(again + len, sizeof again - (size_t)len, "cookie=%" PRIu64 "\n", m.cookie);
	if (m.nsid >= 0)
		snprintf(again + len, sizeof again - (size_t)len, "nsid=%" PRId32 "\n", m.nsid);
	TRAP_UNLESS(marker_parse(again, &m2) == 0);
	TRAP_UNLESS(m2.owner == m.owner && m2.cookie == m.cookie && m2.nsid == m.nsid);
	return 0;
}
