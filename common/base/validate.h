/*
 * Validators: the shape of every value that may reach the kernel, a path, a
 * log line or the dry-run script. Each returns true when s is valid; on
 * failure it sets e (exit 2) to a short reason ("must match ^[a-z][a-z0-9]*$"),
 * which the caller puts after the value it names.
 */
#ifndef NPTE_VALIDATE_H
#define NPTE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/err.h"

#define NETNS_NAME_MAX 12 /* "if-" + name must fit IFNAMSIZ-1 */
#define IFNAME_MAX 15

/* ^[a-z][a-z0-9]*$, 1..12 bytes, and not an iproute2 keyword ("all", "help", ...). */
bool valid_netns_name(const char *s, struct err *e);
/* 1..15 bytes of [A-Za-z0-9_.-], no leading '-', not "." or "..". */
bool valid_ifname(const char *s, struct err *e);

struct ipaddr {
	int family;            /* AF_INET or AF_INET6 */
	unsigned char a[16];   /* network byte order; 4 bytes used for AF_INET */
};
/* A bare IPv4 or IPv6 address (inet_pton, no zone, no prefix). */
bool parse_ip(const char *s, struct ipaddr *out, struct err *e);
/* ADDR/LEN with the length required, decimal, no leading zeros, in range. */
bool parse_cidr(const char *s, struct ipaddr *out, unsigned *plen, struct err *e);
/* Decimal uid, no sign, no leading zeros, not (uid_t)-1. */
bool parse_uid(const char *s, uid_t *out, struct err *e);
/* Whole seconds for --wait: decimal, 0..86400. */
bool parse_seconds(const char *s, unsigned *out, struct err *e);
/* An administrator's path: absolute, at most 1023 bytes of printable ASCII
 * without blanks, no "." or ".." component, no empty component. */
bool valid_abs_path(const char *s, struct err *e);

#endif
