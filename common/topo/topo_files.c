/*
 * The topology files npte ships (lab/NAME.lab), compiled in byte for byte, so
 * `npte-lab create` and `npte-lab up dumbbell` read no file as root and
 * `npte-lab show-file NAME` prints exactly what is installed in share/npte/lab.
 */
#include <stdbool.h>
#include <string.h>
#include "topo/topo.h"

/* Each file as a NUL-terminated string in .rodata. The path is the build's
 * (make runs in the top folder); the GNUmakefile makes this object depend
 * on every lab/NAME.lab. */
#define SHIP(sym, file)                                                        \
	__asm__(".pushsection .rodata." #sym ",\"a\"\n"                         \
		".global " #sym "\n" #sym ":\n"                                 \
		".incbin \"" file "\"\n.byte 0\n.popsection\n");                \
	extern const char sym[]

SHIP(npte_lab_default, "lab/default.lab");
SHIP(npte_lab_dumbbell, "lab/dumbbell.lab");
SHIP(npte_lab_two_path, "lab/two-path.lab");
SHIP(npte_lab_chain, "lab/chain.lab");
SHIP(npte_lab_star, "lab/star.lab");

static const struct {
	const char *name, *text;
} shipped[] = {
	{"default", npte_lab_default}, {"dumbbell", npte_lab_dumbbell}, {"two-path", npte_lab_two_path},
	{"chain", npte_lab_chain},     {"star", npte_lab_star},
};

const char *topo_shipped(const char *name)
{
	for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++)
		if (strcmp(shipped[i].name, name) == 0)
			return shipped[i].text;
	return NULL;
}

const char *topo_shipped_names(void)
{
	return "default dumbbell two-path chain star";
}

bool topo_is_shipped_name(const char *arg)
{
	if (!*arg)
		return false;
	for (; *arg; arg++)
		if (!((*arg >= 'a' && *arg <= 'z') || (*arg >= '0' && *arg <= '9') || *arg == '-'))
			return false;
	return true;
}
