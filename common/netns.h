/* Named network namespaces, made and removed exactly as `ip netns` does. */
#ifndef NPTE_NETNS_H
#define NPTE_NETNS_H

#include <stdbool.h>
#include <stdint.h>
#include "err.h"
#include "nl.h"

#define NETNS_RUN_DIR "/run/netns"

/*
 * Create /run/netns/NAME: /run/netns a shared mount point, an O_EXCL
 * placeholder, unshare(CLONE_NEWNET) and a bind mount of the new namespace,
 * then back to the original namespace. The wait for iproute2's /run/netns
 * flock ends at deadline (CLOCK_MONOTONIC seconds; 0 = do not wait).
 */
int netns_add(const char *name, double deadline, struct err *e);
/* umount2(MNT_DETACH) + unlink; a missing namespace is success. */
int netns_del(const char *name, struct err *e);
/* True if /run/netns/NAME exists (any file there, mounted or not). */
bool netns_exists(const char *name);

/*
 * Open /run/netns/NAME and check it is a network namespace (nsfs, NEWNET).
 * Returns an O_CLOEXEC fd or -errno.
 */
int netns_open(const char *name);
/* Switch the calling thread into nsfd, saving the original in *self; and back
 * (dies if it cannot return: staying in the wrong namespace is never safe). */
int netns_enter(int nsfd, int *self);
void netns_leave(int self);
/* Open a netlink socket inside the namespace nsfd (setns in, open, setns back). */
int netns_nl(int nsfd, struct knl *nl);
/* Write value to /proc/sys/<path> as seen inside nsfd (path like "net/ipv4/ip_forward"). */
int netns_sysctl(int nsfd, const char *path, const char *value);

#endif
