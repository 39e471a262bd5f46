/* Named network namespaces, made and removed exactly as `ip netns` does. */
#ifndef NPTE_NETNS_H
#define NPTE_NETNS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/err.h"
#include "kernel/netlink.h"

#define NETNS_RUN_DIR "/run/netns"

/* What netns_open returns for a file there that is not a network namespace
 * (a placeholder left by a crash): an errno no open(2) of it can give. */
#define ENOTNS EMEDIUMTYPE

/* The identity of a namespace npte made: its placeholder file, then its cookie. */
struct nsid {
	dev_t dev;
	ino_t ino;       /* the O_EXCL placeholder /run/netns/NAME */
	uint64_t cookie; /* SO_NETNS_COOKIE of the new namespace (0 until known) */
	int nsfd;        /* the new namespace, while made() runs with the cookie (else -1) */
};

/*
 * Create /run/netns/NAME: a placeholder made under a temporary name and
 * linked to NAME (never over anything), unshare(CLONE_NEWNET) and a bind
 * mount of the new namespace, then back to the original namespace. made()
 * is called as soon as the placeholder exists and again, from inside the new
 * namespace, when its cookie is known and before it is mounted (the second
 * call gives it its id; note that others can already hold it then, through
 * /proc/PID/net of this process), so that a kill at any point leaves a
 * record of exactly what this call made. A non-zero return from made() (an
 * exit code, e set) stops it; nothing stays made.
 * On success, *fd and *nl (unless fd is NULL) are the new namespace and a
 * netlink socket inside it, the caller's to close: what made the namespace
 * serves its next ops, without a second open, check and socket.
 */
int netns_add(const char *name, struct err *e, int (*made)(void *, const struct nsid *), void *arg, int *fd,
	      struct netlink *nl);
/* The name a placeholder has before it is linked to its own (not a valid
 * namespace name, so no verb ever takes it for one). */
#define NETNS_TMP_PREFIX ".npte-tmp-"
/* Remove the temporary placeholders a killed run left (lock held). Count or -errno. */
int netns_sweep(void);
/* umount2(MNT_DETACH) + unlink; a missing namespace is success. */
int netns_del(const char *name, struct err *e);
/* True if /run/netns/NAME exists (any file there, mounted or not), or if
 * that cannot be told (fail closed: only ENOENT is absence). */
bool netns_exists(const char *name);

/*
 * Open /run/netns/NAME and check it is a network namespace (nsfs, NEWNET).
 * Returns an O_CLOEXEC fd, -ENOENT when nothing is there, -ENOTNS for a file
 * that is not a namespace, or another -errno (which proves nothing).
 */
int netns_open(const char *name);

/* Switch the calling thread into nsfd, saving the original in *self; and back
 * (dies if it cannot return: staying in the wrong namespace is never safe). */
int netns_enter(int nsfd, int *self);
void netns_leave(int self);
/* Open a netlink socket inside the namespace nsfd (setns in, open, setns back). */
int netns_nl(int nsfd, struct netlink *nl);
/*
 * The namespace nsfd's SO_NETNS_COOKIE, read on a socket that is gone when
 * this returns: a netlink socket outlives its close by an RCU grace period,
 * holding the namespace, so a destroy that had opened one would see every
 * namespace it removes as still held.
 */
int netns_cookie(int nsfd, uint64_t *cookie);
/* Write value to /proc/sys/<path> as seen inside nsfd (path like "net/ipv4/ip_forward"). */
int netns_sysctl(int nsfd, const char *path, const char *value);

#endif
