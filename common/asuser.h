/*
 * Opening a file the caller names with the caller's own rights: a child
 * process takes the caller's uid, gid and groups (and working directory, for
 * a relative path), opens it and hands the descriptor back over a socket. So
 * sudo never lets a user read through npte what they could not read alone.
 */
#ifndef NPTE_ASUSER_H
#define NPTE_ASUSER_H

#include <stddef.h>
#include "priv.h"

/* A regular file at path, read-only, close-on-exec. The fd, or -errno
 * (-EINVAL: not a regular file). The administrator opens as itself. */
int open_as_caller(const struct caller *who, const char *cwd, const char *path);

#endif
