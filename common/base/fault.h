/*
 * Test seams, all in one place. The fault build (make fault: build/fault,
 * -DNPTE_FAULT, never installed) reads NPTE_FAULT_* from the environment and
 * dies, pauses or fails at exact points; every other build compiles these
 * to nothing, and common/fault.c is not part of it.
 */
#ifndef NPTE_FAULT_H
#define NPTE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/netlink.h>

#ifdef NPTE_FAULT
/* One KEY=VALUE of the environment, before it is cleared. */
void fault_env(const char *kv);
/* NPTE_FAULT_AFTER=k: SIGKILL right after op k is done (0: before the first);
 * NPTE_FAULT_PAUSE=k: sleep 2 s there, lock held and signals blocked. */
void fault_after(size_t done);
/* NPTE_FAULT_IN=k: SIGKILL at the start of op k. */
void fault_in(size_t i);
/* NPTE_FAULT_MADE=k: SIGKILL right after the k-th identity record (1-based). */
void fault_made(void);
/* NPTE_FAULT_NSOPEN=errno: every namespace open fails with it (0: none). */
int fault_nsopen(void);
/* NPTE_FAULT_ALLOC=k: the k-th allocation of a growing array fails (1-based). */
bool fault_alloc(void);
/* NPTE_FAULT_WIRE=1: a qdisc request is written to stderr as hex instead of
 * sent, and taken as acked (the wire test compares it with tc's). */
bool fault_wire(const struct nlmsghdr *req);
/* NPTE_FAULT_NOUSERNS=1: npte-doctor's user namespace is refused, as a policy
 * would refuse it (its guess from the module lists is then tested). */
bool fault_no_userns(void);
#else
static inline void fault_env(const char *kv) { (void)kv; }
static inline void fault_after(size_t done) { (void)done; }
static inline void fault_in(size_t i) { (void)i; }
static inline void fault_made(void) {}
static inline int fault_nsopen(void) { return 0; }
static inline bool fault_alloc(void) { return false; }
static inline bool fault_wire(const struct nlmsghdr *req) { (void)req; return false; }
static inline bool fault_no_userns(void) { return false; }
#endif

#endif
