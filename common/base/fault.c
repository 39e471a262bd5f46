/* The fault build's seams (see fault.h); compiled into build/fault only. */
#ifdef NPTE_FAULT
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include "base/fault.h"

static int after = -1, pause_at = -1, in = -1, made_at = -1, made_calls, nsopen, wire, alloc_at = -1, allocs, no_userns;

static int value(const char *kv, const char *key)
{
	size_t n = strlen(key);

	return strncmp(kv, key, n) == 0 && kv[n] == '=' ? atoi(kv + n + 1) : -2;
}

void fault_env(const char *kv)
{
	int v;

	if ((v = value(kv, "NPTE_FAULT_AFTER")) != -2)
		after = v;
	else if ((v = value(kv, "NPTE_FAULT_PAUSE")) != -2)
		pause_at = v;
	else if ((v = value(kv, "NPTE_FAULT_IN")) != -2)
		in = v;
	else if ((v = value(kv, "NPTE_FAULT_MADE")) != -2)
		made_at = v;
	else if ((v = value(kv, "NPTE_FAULT_NSOPEN")) != -2)
		nsopen = v;
	else if ((v = value(kv, "NPTE_FAULT_ALLOC")) != -2)
		alloc_at = v;
	else if ((v = value(kv, "NPTE_FAULT_WIRE")) != -2)
		wire = v == 1;
	else if ((v = value(kv, "NPTE_FAULT_NOUSERNS")) != -2)
		no_userns = v == 1;
}

void fault_after(size_t done)
{
	if (after == (int)done)
		raise(SIGKILL);
	if (pause_at == (int)done)
		sleep(2);
}

void fault_in(size_t i)
{
	if (in == (int)i)
		raise(SIGKILL);
}

void fault_made(void)
{
	if (made_at == ++made_calls)
		raise(SIGKILL);
}

int fault_nsopen(void)
{
	return nsopen > 0 ? nsopen : 0;
}

bool fault_alloc(void)
{
	return alloc_at == ++allocs;
}

bool fault_wire(const struct nlmsghdr *req)
{
	const unsigned char *b = (const unsigned char *)req;

	if (!wire || req->nlmsg_type != RTM_NEWQDISC)
		return false;
	fputs("npte-wire: ", stderr);
	for (size_t i = 0; i < req->nlmsg_len; i++)
		fprintf(stderr, "%02x", b[i]);
	fputc('\n', stderr);
	return true;
}

bool fault_no_userns(void)
{
	return no_userns;
}
#endif
