/*
 * libFuzzer harness for the sweep file parser in common/probe/sweep.c, the
 * bytes a caller gives `npte-probe --sweep FILE`. The input is the file,
 * read through sweep_read() from a memfd, in chunks as the live verb reads.
 *
 * Traps unless: a refusal is one printable line (it reaches a terminal); a
 * sweep has one or two places, each a valid namespace and interface name,
 * one to SWEEP_CELLS_MAX cells, each with a kind npte changes in place
 * (netem or tbf) and non-empty, printable words for every place, their lines
 * increasing.
 */
#include <stdint.h>
#include <string.h>
#include "probe/probe.h"
#include "base/validate.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sweep S;

static void words_ok(const char *w)
{
	TRAP_UNLESS(w[0] != '\0');
	for (; *w; w++)
		TRAP_UNLESS((unsigned char)*w >= 0x20 && (unsigned char)*w <= 0x7e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = {0};
	int fd = memfd_of(data, size);
	bool ok = sweep_read(&S, fd, NULL, "f", &e);

	close(fd);
	if (!ok) {
		err_ok(e.msg, sizeof e.msg);
		return 0;
	}
	TRAP_UNLESS(S.nat >= 1 && S.nat <= SWEEP_AT_MAX && S.ncells >= 1 && S.ncells <= SWEEP_CELLS_MAX);
	for (int k = 0; k < S.nat; k++)
		TRAP_UNLESS(valid_netns_name(S.at[k].ns, &e) && valid_ifname(S.at[k].dev, &e));
	for (int i = 0; i < S.ncells; i++) {
		TRAP_UNLESS(i == 0 || S.cell[i].line > S.cell[i - 1].line);
		for (int k = 0; k < S.nat; k++) {
			TRAP_UNLESS(S.cell[i].kind[k] == QK_NETEM || S.cell[i].kind[k] == QK_TBF);
			words_ok(qspec_words(&S.cell[i].q[k]));
		}
	}
	return 0;
}
