/* Arrays that grow to what they hold (see grow.h). */
#include <stdint.h>
#include <stdlib.h>
#include "base/fault.h"
#include "base/grow.h"

/* The first block: room for a small plan (a few names) in one allocation. */
#define GROW_FIRST 64

void *grow(void *p, size_t *cap, size_t need, size_t size, size_t max)
{
	size_t n = *cap ? *cap : GROW_FIRST;
	void *q;

	if (need <= *cap)
		return p;
	if (need > max || max > SIZE_MAX / size)
		return NULL;
	/* doubling: n elements cost O(n) copies in all */
	while (n < need)
		n = n > max / 2 ? max : n * 2;
	if (n > max)
		n = max;
	if (fault_alloc() || !(q = realloc(p, n * size)))
		return NULL;
	*cap = n;
	return q;
}
