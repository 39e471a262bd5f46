/* Encoders of the qdisc options built from shape.h's values, with libmnl. */
#ifndef NPTE_ENCODE_H
#define NPTE_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "shape/shape.h"

/* Append TCA_KIND and TCA_OPTIONS for each qdisc to h. dist tables come from
 * tc's data directory, TC_LIB_DIR. Return 0, or -errno (bad or missing table). */
int netem_put(struct nlmsghdr *h, size_t cap, const struct netem_spec *s);
int tbf_put(struct nlmsghdr *h, size_t cap, const struct tbf_spec *t, double tick);
int cake_put(struct nlmsghdr *h, size_t cap, uint64_t rate64);

/* The build passes it: /usr/lib/$(CC -print-multiarch)/tc, where iproute2 keeps the tables. */
#ifndef TC_LIB_DIR
#error "TC_LIB_DIR is not defined: build with the GNUmakefile (it passes -DTC_LIB_DIR)"
#endif

#endif
