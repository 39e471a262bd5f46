/* Encoders of the qdisc options built from shape.h's values, with libmnl. */
#ifndef NPTE_TCENC_H
#define NPTE_TCENC_H

#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "shape.h"

/* Append TCA_KIND and TCA_OPTIONS for each qdisc to h. dist tables come from
 * Debian's tc data directory. Return 0, or -errno (bad or missing table). */
int netem_put(struct nlmsghdr *h, size_t cap, const struct netem_spec *s);
int tbf_put(struct nlmsghdr *h, size_t cap, const struct tbf_spec *t, double tick);
int cake_put(struct nlmsghdr *h, size_t cap, uint64_t rate64);

#define TC_LIB_DIR "/usr/lib/x86_64-linux-gnu/tc"

#endif
