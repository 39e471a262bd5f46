/*
 * libFuzzer harness for common/args.c: the input is split on NUL bytes into
 * argv words; the first byte picks which binary's option table (and verb)
 * to parse with, exactly as cli_main() and npte-run/npte-lock/npte-doctor
 * call it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/args.h"
#include "base/optspecs.h"
#include "base/escape.h"
#include "base/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRAP_UNLESS(c) do { if (!(c)) __builtin_trap(); } while (0)

/* The binaries' own tables (common/optspecs.h), each with how it is parsed. */
static const struct {
	const struct optspec *spec;
	bool permute; /* cli_main and npte-lock: true; npte-run and npte-doctor: false */
} tables[] = {
	{spec_mutate, true},      {spec_read, true},
	{spec_lab_netem, true},   {spec_lab_mutate, true}, {spec_lab_read, true},
	{spec_lab_destroy, true}, {spec_netns_destroy, true}, {spec_netns_create, true},
	{spec_netem_apply, true}, {spec_netem_rate, true},
	{spec_run, false},        {spec_doctor, false},
};

/* Is p one of the words, or a suffix of one (the value of --name=value)? */
static bool in_words(const char *p, char **argv, int argc, bool whole)
{
	for (int i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (p == argv[i] || (!whole && p > argv[i] && p <= argv[i] + len))
			return true;
	}
	return false;
}

static const struct optspec *by_id(const struct optspec *spec, int id)
{
	for (; spec->id; spec++)
		if (spec->id == id)
			return spec;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct opts o;
	struct err why = {0};
	char **argv;
	char *buf;
	int argc = 0, t;
	bool ok;

	if (size < 1)
		return 0;
	t = data[0] % (int)(sizeof tables / sizeof tables[0]);
	data++, size--;
	/* size bytes + a final NUL: size+1 words at most. */
	buf = malloc(size + 1);
	argv = malloc((size + 2) * sizeof *argv);
	if (!buf || !argv)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (size) {
		argv[argc++] = buf;
		for (size_t i = 0; i < size; i++)
			if (buf[i] == '\0' && i + 1 < size)
				argv[argc++] = buf + i + 1;
	}
	argv[argc] = NULL;

	ok = args_parse(&o, argc, argv, tables[t].spec, tables[t].permute, &why);
	if (!ok) {
		/* a one-line exit-2 reason of at most 159 bytes */
		TRAP_UNLESS(why.code == EXIT_USAGE);
		TRAP_UNLESS(why.msg[0] != '\0' && strlen(why.msg) < 160);
		TRAP_UNLESS(strchr(why.msg, '\n') == NULL);
		goto out;
	}
	TRAP_UNLESS(o.npos >= 0 && o.npos <= ARGS_POS_MAX && o.npos <= argc);
	TRAP_UNLESS(o.nlist >= 0 && o.nlist <= ARGS_LIST_MAX);
	for (int i = 0; i < o.npos; i++)
		TRAP_UNLESS(in_words(o.pos[i], argv, argc, true));
	for (int i = 0; i < o.nlist; i++)
		TRAP_UNLESS(in_words(o.list[i], argv, argc, false));
	for (int id = 0; id < O_MAX; id++) {
		const struct optspec *sp = by_id(tables[t].spec, id);

		if (!o.set[id]) {
			TRAP_UNLESS(o.val[id] == NULL);
			continue;
		}
		/* only ids of the table, values exactly for options taking one */
		TRAP_UNLESS(sp != NULL);
		TRAP_UNLESS(sp->arg == (o.val[id] != NULL));
		if (o.val[id])
			TRAP_UNLESS(in_words(o.val[id], argv, argc, false));
	}
	/* without permute, nothing after the first positional is an option */
	if (!tables[t].permute && o.npos)
		TRAP_UNLESS(o.pos[o.npos - 1] == argv[argc - 1]);
	/* what the binaries do next with the positionals and --wait */
	for (int i = 0; i < o.npos; i++) {
		struct ipaddr a;
		unsigned plen;

		(void)valid_netns_name(o.pos[i], NULL);
		(void)valid_ifname(o.pos[i], NULL);
		(void)parse_cidr(o.pos[i], &a, &plen, NULL);
		(void)disp(o.pos[i]);
	}
	if (o.set[O_WAIT]) {
		unsigned s;

		(void)parse_seconds(o.val[O_WAIT], &s, NULL);
	}
out:
	free(argv);
	free(buf);
	return 0;
}
