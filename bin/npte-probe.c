/*
 * npte-probe: what the path between two of the caller's namespaces
 * delivers (RTT, loss, throughput each way, latency under load), measured by
 * processes that are the caller, judged against the shaping npte reads back
 * along the path, and recorded (see common/probe/probe.h).
 */
#include "cli/cli.h"
#include "base/optspecs.h"

#define USAGE \
	"usage: npte-probe [--duration S] [--load none|up|down|both] [--json FILE] [--plot FILE.svg|.png]\n" \
	"                  [--sweep FILE] [--wait S] FROM TO\n" \
	"       npte-probe -h | --help | --version\n" \
	"FROM, TO: namespaces of yours (a lab's: client and server). S: seconds a phase (default 5).\n"

static int probe(struct cli *cl, struct opts *o, int argc, char **argv)
{
	(void)argc, (void)argv;
	cli_npos("probe", o, 2, 2);
	return cli_probe(cl, o, "probe", o->pos[0], o->pos[1]);
}

/* caps NULL: cli_probe keeps its own (cli_probe.c, caps_probe). */
CLI_MAIN(.name = "npte-probe", .usage = USAGE, .caps = NULL, .single = probe, .spec = spec_probe, .permute = true)
