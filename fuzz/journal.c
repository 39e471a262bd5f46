/*
 * libFuzzer harness for the journal reader (journal_parse in common/journal.c):
 * the bytes a crash, a full disk or root can leave in /run/npte/journal, read
 * with the real op types (optypes.c) as recovery reads them. Parse only: no
 * op is applied.
 *
 * Besides crashes it checks what recovery relies on: the reader never fails
 * the whole journal for a bad line (1, or -EIO for a read error only), entries
 * are in strictly increasing plan order, each names a valid namespace and an
 * undoable type, and each op it accepted saves again to a line the writer can
 * write (within JOURNAL_LINE_MAX) that loads back to the same saved form.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "base/capacity.h"
#include "txn/journal.h"
#include "base/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)

static void same_saved(const struct jentry *j)
{
	char a[JOURNAL_LINE_MAX], b[JOURNAL_LINE_MAX];
	struct op again = j->op;

	TRAP_UNLESS(j->op.type->save(&j->op, a, sizeof a) >= 0);
	TRAP_UNLESS(strlen(a) + strlen(j->op.type->name) + strlen(j->op.ns) + 16 < JOURNAL_LINE_MAX);
	TRAP_UNLESS(!strchr(a, '\n'));
	TRAP_UNLESS(j->op.type->load(&again, a) == 0);
	TRAP_UNLESS(again.type->save(&again, b, sizeof b) >= 0);
	TRAP_UNLESS(strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[1 << 20];
	const struct jentry *j;
	char head[256];
	const char *sk;
	size_t n = 0;
	int rc;
	FILE *f;

	if (size == 0 || size > sizeof buf)
		return 0;
	memcpy(buf, data, size);
	f = fmemopen(buf, size, "r");
	if (!f)
		return 0;
	rc = journal_parse(f, &j, &n, head, sizeof head, op_type_find);
	fclose(f);
	TRAP_UNLESS(rc == 1);
	TRAP_UNLESS(n <= JOURNAL_OPS_MAX);
	/* head and the skipped lines go into messages and a script comment */
	for (const char *p = head; *p; p++)
		TRAP_UNLESS(*p >= 0x20 && *p < 0x7f);
	if ((sk = journal_skipped()))
		for (const char *p = sk; *p; p++)
			TRAP_UNLESS(*p >= 0x20 && *p < 0x7f);
	for (size_t k = 0; k < n; k++) {
		TRAP_UNLESS(j[k].op.type && j[k].op.type->undoable);
		TRAP_UNLESS(valid_netns_name(j[k].op.ns, NULL));
		TRAP_UNLESS(k == 0 || j[k - 1].index < j[k].index);
		same_saved(&j[k]);
	}
	return 0;
}
