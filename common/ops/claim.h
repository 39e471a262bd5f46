/*
 * Play claims: /run/npte/play/NS:IFACE, one file an interface, flocked by
 * the player for as long as it lives (two players would fight over the
 * qdisc). The flock is the record of its player: the kernel drops it when
 * the player ends however it ends (SIGKILL too), so a file nobody holds
 * locked is a claim whose player is gone.
 *
 * The files do not outlive their use: the player removes its claim when it
 * ends (claim_drop), and destroy and gc remove the ones nobody holds
 * (claim_sweep). A remover unlinks only while it holds the flock, and a
 * taker that got the flock checks that the name still leads to the file it
 * locked (else it takes the new one), so no two players ever hold one
 * interface through two files.
 */
#ifndef NPTE_CLAIM_H
#define NPTE_CLAIM_H

#include <stdbool.h>
#include <stdint.h>

/* The claim on ns:ifname, held on *fd; -EBUSY if a live player holds it. */
int claim_take(const char *ns, const char *ifname, int *fd);

/* Record in the claim held on fd what its player may hold at its worst
 * step, in bytes of kernel memory: the budget counts that, not only the
 * step in the kernel now (a small step would lend the rest to another
 * request), and the player's pid. 0 or -errno. */
int claim_note(int fd, uint64_t kmem);

/* What the live claims of namespace ns record: fn(ifname, kmem, arg) for
 * each one a player other than this process holds. 0, or -errno (the
 * caller fails closed). */
int claim_charges(const char *ns, void (*fn)(const char *ifname, uint64_t kmem, void *arg), void *arg);

/* Remove the claim held on fd (if the name still leads to it) and close fd. */
void claim_drop(const char *ns, const char *ifname, int fd);

/* Remove every claim nobody holds: of namespace ns, or of all when ns is
 * NULL. Returns how many went (dry: how many would), or -errno. */
int claim_sweep(const char *ns, bool dry);

/* The op that sweeps (ns "" for all): destroy and gc plan it. */
struct plan;
void plan_claim_sweep(struct plan *p, const char *ns);

#endif
