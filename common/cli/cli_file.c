/* Files the caller names: one way in, for topologies, schedules and traces. */
#include <string.h>
#include "cli/cli.h"
#include "base/escape.h"
#include "priv/asuser.h"
#include "play/player.h"
#include "shape/schedule.h"

static void refuse(const struct cli *cl, const char *verb, const char *path, int rc)
{
	die(EXIT_USAGE, "%s: %s: cannot read it as uid %u: %s", verb, disp(path), (unsigned)cl->who.uid,
	    caller_file_strerror(rc));
}

bool cli_parse_file(struct cli *cl, const char *verb, const char *path, uint64_t limit, const int *keep,
		    bool (*parse)(int fd, void *arg, struct err *e), void *arg, struct err *e)
{
	struct caller_file cf;
	bool ok;
	int rc;

	if (!path[0] || strlen(path) >= 4096)
		die(EXIT_USAGE, "%s: invalid file name '%s'", verb, disp(path));
	rc = caller_file_open(&cf, &cl->who, cl->state ? cl->state->cwd : "", path, limit);
	if (keep)
		caps_keep(keep);
	if (rc < 0)
		refuse(cl, verb, path, rc);
	ok = parse(cf.fd, arg, e);
	rc = caller_file_close(&cf);
	if (rc < 0)
		refuse(cl, verb, path, rc);
	return ok;
}

struct sched_file { struct schedule *s; const char *path; };

static bool sched_parse(int fd, void *arg, struct err *e)
{
	const struct sched_file *f = arg;

	return schedule_read(f->s, fd, f->path, play_words_ok, NULL, e);
}

void cli_read_schedule(struct cli *cl, const char *verb, const char *path, const int *keep, struct schedule *s)
{
	struct err e = {0};

	if (!cli_parse_file(cl, verb, path, SCHED_FILE_MAX + 1ULL, keep, sched_parse,
			    &(struct sched_file){.s = s, .path = path}, &e))
		die(e.code, "%s: %s", verb, e.msg);
	cli_bps_notes_schedule(verb, s);
}
