/* The capability drop and the root check (see priv.h). */
#include <cap-ng.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/capability.h>
#include "base/err.h"
#include "priv/priv.h"

bool caps_bounding_empty(void)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			return false;
	return true;
}

void caps_keep(const int *caps)
{
	if (geteuid() != 0) {
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		return;
	}
	capng_clear(CAPNG_SELECT_ALL);
	for (const int *c = caps; *c >= 0; c++)
		capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, (unsigned)*c);
	/*
	 * Clearing the bounding set needs CAP_SETPCAP at the moment of the call,
	 * which the first call still has; a uid-0 process would otherwise regain
	 * every bounding capability at its next execve.
	 */
	int rc = capng_apply(CAPNG_SELECT_ALL);
	/* -4: no CAP_SETPCAP left to touch the bounding set, fine if it is empty already. */
	if (rc < 0 && !(rc == -4 && caps_bounding_empty()))
		die(EXIT_FAIL, "cannot drop capabilities (capng_apply %d)", rc);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(EXIT_FAIL, "PR_SET_NO_NEW_PRIVS");
	/* Verify rather than trust: nothing beyond the list may remain. */
	capng_get_caps_process();
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool want = false;

		for (const int *c = caps; *c >= 0; c++)
			want |= *c == cap;
		if (!want && capng_have_capability(CAPNG_EFFECTIVE, (unsigned)cap))
			die(EXIT_FAIL, "capability %d survived the drop", cap);
	}
}

void require_root(const char *verb)
{
	if (geteuid() != 0)
		die(EXIT_FAIL, "%s: must be run as root (through sudo)", verb);
}
