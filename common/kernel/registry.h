/*
 * State under /run/npte: the root-only directory, the lock and the marker
 * registry. /run/npte is opened once with O_NOFOLLOW and checked (owner 0,
 * mode 0700, a directory); every later access is relative to that fd.
 */
#ifndef NPTE_REGISTRY_H
#define NPTE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/capacity.h"
#include "base/err.h"

#define NPTE_RUN_DIR "/run/npte"
#define NPTE_LOCK_FILE "lock"
#define NPTE_MARKER_DIR "netns"
#define NPTE_DRAIN_DIR "draining"
#define NPTE_PLAY_DIR "play"

/* Open (creating if asked) and check /run/npte and /run/npte/netns. Returns 0,
 * -ENOENT when absent and !create, or another -errno with e set. */
int rundir_open(bool create, struct err *e);
/*
 * Open a file npte keeps (under /run/npte; its config) so that nothing root
 * or a crash left there can stall or fool it: O_NONBLOCK (a FIFO), O_NOFOLLOW,
 * O_NOCTTY and O_CLOEXEC are added to flags (O_CREAT makes mode 0600), and it
 * must be root's and of type (S_IFREG, S_IFDIR). The fd, -errno, or
 * -EMEDIUMTYPE with e saying what stands there ("is a FIFO, not a regular
 * file"); e may be NULL.
 */
int run_open(int at, const char *name, int flags, mode_t type, struct err *e);
/* The fds, valid after rundir_open. */
int rundir_fd(void);
int markerdir_fd(void);

struct marker {
	uid_t owner;
	uint64_t cookie; /* 0 = not recorded (written by a dry-run script) */
	int32_t nsid;    /* its id in the host's nsid table; -1 = none recorded */
};

/* Read and strictly parse /run/npte/netns/NAME. 0, -ENOENT, or -EINVAL for a bad file. */
int marker_read(const char *name, struct marker *m);
/* Markers are tiny; anything bigger was not written by npte. */
#define MARKER_MAX 1024
/* The parser alone, of a NUL-terminated text (modified): 0 or -EINVAL. */
int marker_parse(char *buf, struct marker *m);
/* Something not root's regular file stands at NAME's marker: e says what. */
bool marker_odd(const char *name, struct err *e);
/* Atomically create the marker; -EEXIST if one is there. */
int marker_write(const char *name, const struct marker *m);
/* Remove the marker; a missing one is success. */
int marker_remove(const char *name);
/*
 * Draining records, /run/npte/draining/NSID: a namespace destroyed while
 * something still held it (a process in it, an fd, a socket, an fd in
 * flight...) lives on, and counts against its owner's quota until the host's
 * nsid table no longer has its id, with the kernel memory its qdiscs hold
 * (owner=UID, name=NAME, kmem=BYTES; an older record without kmem= holds 0). Write one; list them (count or -errno,
 * -E2BIG past max); remove one.
 */
struct drain {
	int32_t nsid;
	uid_t owner;
	char name[16];
	/* what its qdiscs were charged when it lost its name (ops_kmem.c): held
	 * there until it ends, and no npte verb can change them any more */
	uint64_t kmem;
};
int drain_write(const struct drain *d);
int drain_list(struct drain *out, int max);
int drain_remove(int32_t nsid);
/* The id npte gives its namespaces start here, far above the ones the
 * kernel hands out itself (lowest free from 0): an id there is npte's. */
#define NSID_BASE 0x40000000

/* Sorted names of valid markers; returns the count, or -errno (-E2BIG when
 * there are more than max: never a silent part of the registry). */
int marker_list(char (*names)[16], int max);
/* The same, only those whose marker names uid as owner. On -errno from
 * reading a marker, names[0] is that marker's name (for the message), or
 * empty when the listing failed. */
int marker_list_owned(uid_t uid, char (*names)[16], int max);

#endif
