/*
 * Strict argument parsing (common/args.h): exact long names, both value
 * forms, lone short options, "--", permute or not, repeatable options, and
 * a reason that names the offending word.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "base/args.h"

enum { O_ENV = O_USER };

static const struct optspec spec[] = {
	OPT_DRYRUN,
	OPT_HELP,
	OPT_VERSION,
	OPT_WAIT,
	OPT_JSON,
	{"env", 'e', true, true, O_ENV},
	OPT_END,
};

#define ARGV_MAX 16
#define WORD_LEN 64

/* args_parse takes char **: copy the words into fixed writable storage,
 * which outlives the call because opts points into it. */
static char store[ARGV_MAX][WORD_LEN];
static char *argv_[ARGV_MAX + 1];
static struct opts o;
static struct err e;

/* Parse the NULL-terminated words; returns args_parse's result. permute is
 * an int: a bool before "..." is promoted, which makes va_start undefined. */
static bool parse(int permute, ...)
{
	va_list ap;
	const char *w;
	int argc = 0;

	va_start(ap, permute);
	while ((w = va_arg(ap, const char *)) != NULL && argc < ARGV_MAX) {
		snprintf(store[argc], WORD_LEN, "%s", w);
		argv_[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	argv_[argc] = NULL;
	e = (struct err){0};
	return args_parse(&o, argc, argv_, spec, permute != 0, &e);
}

/* The positionals joined with ',' for one is_str. */
static const char *positionals(void)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < o.npos && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "," : "", o.pos[i]);
	return buf;
}

/* Refused, with the offending word in the reason: two assertions. */
static void rejects(bool r, const char *word, const char *name)
{
	ok(!r, "%s: rejected", name);
	ok(strstr(e.msg, word) != NULL, "%s: reason names %s", name, word);
	if (!r && !strstr(e.msg, word))
		diag("why: %s", e.msg);
}

static void test_flags(void)
{
	ok(parse(true, "--dry-run", NULL) && o.set[O_DRYRUN] && o.npos == 0, "--dry-run sets O_DRYRUN");
	ok(parse(true, "-n", NULL) && o.set[O_DRYRUN], "-n sets O_DRYRUN");
	ok(parse(true, "-h", NULL) && o.set[O_HELP] && !o.set[O_DRYRUN], "-h sets O_HELP only");
	ok(parse(true, "--version", "--json", NULL) && o.set[O_VERSION] && o.set[O_JSON],
	   "--version --json set both");
	ok(parse(true, NULL) && o.npos == 0 && !o.set[O_DRYRUN], "no words: nothing set");

	rejects(parse(true, "--dry", NULL), "--dry", "--dry (an abbreviation)");
	rejects(parse(true, "--dry-runx", NULL), "--dry-runx", "--dry-runx");
	rejects(parse(true, "--DRY-RUN", NULL), "--DRY-RUN", "--DRY-RUN (names are case-sensitive)");
	rejects(parse(true, "--bogus", NULL), "--bogus", "unknown --bogus");
	rejects(parse(true, "-x", NULL), "-x", "unknown -x");
	rejects(parse(true, "-N", NULL), "-N", "-N (short letters are case-sensitive)");
	rejects(parse(true, "-nh", NULL), "-nh", "-nh (no clustering)");
	rejects(parse(true, "-nn", NULL), "-nn", "-nn (no clustering)");
	rejects(parse(true, "--json=x", NULL), "--json=x", "--json=x (a flag takes no value)");
	rejects(parse(true, "--dry-run=1", NULL), "--dry-run=1", "--dry-run=1");
	rejects(parse(true, "---dry-run", NULL), "---dry-run", "---dry-run");
	rejects(parse(true, "--=x", NULL), "--=x", "--=x");
	rejects(parse(true, "-n", "--dry-run", NULL), "--dry-run", "-n then --dry-run (given twice)");
	rejects(parse(true, "--json", "--json", NULL), "--json", "--json twice");
}

static void test_values(void)
{
	ok(parse(true, "--wait", "5", NULL) && o.set[O_WAIT] && o.val[O_WAIT] &&
		   strcmp(o.val[O_WAIT], "5") == 0 && o.npos == 0,
	   "--wait 5 gives \"5\" and no positional");
	ok(parse(true, "--wait=5", NULL) && o.set[O_WAIT] && o.val[O_WAIT] &&
		   strcmp(o.val[O_WAIT], "5") == 0,
	   "--wait=5 gives \"5\"");
	ok(parse(true, "--wait=a=b", NULL) && o.val[O_WAIT] && strcmp(o.val[O_WAIT], "a=b") == 0,
	   "--wait=a=b: the value is everything after the first '='");
	rejects(parse(true, "--wait", NULL), "--wait", "--wait without a value");
	rejects(parse(true, "a", "--wait", NULL), "--wait", "a --wait without a value");
	rejects(parse(true, "--wait=1", "--wait", "2", NULL), "--wait", "--wait given twice");
	rejects(parse(true, "--wai", "5", NULL), "--wai", "--wai 5 (an abbreviation)");

	/* A repeatable option keeps every value, in order, whatever the form. */
	ok(parse(true, "--env", "A=1", "-e", "B=2", "--env=C=3", "x", NULL) && o.set[O_ENV] &&
		   o.nlist == 3 && strcmp(o.list[0], "A=1") == 0 && strcmp(o.list[1], "B=2") == 0 &&
		   strcmp(o.list[2], "C=3") == 0,
	   "repeatable --env/-e collects A=1,B=2,C=3 in order");
	is_str(positionals(), "x", "repeatable option values are not positionals");
	ok(parse(true, NULL) && o.nlist == 0 && !o.set[O_ENV], "no --env: empty list");
	rejects(parse(true, "-e", NULL), "-e", "-e without a value");
}

static void test_positionals(void)
{
	ok(parse(true, "--", "-n", NULL) && !o.set[O_DRYRUN], "-- -n: -n is not an option");
	is_str(positionals(), "-n", "-- -n yields the positional -n");
	ok(parse(true, "a", "--", "--bogus", "-x", NULL), "-- ends options after a positional");
	is_str(positionals(), "a,--bogus,-x", "-- itself is dropped, the rest are positionals");
	ok(parse(true, "--", "--", NULL), "-- -- parses");
	is_str(positionals(), "--", "the second -- is a positional");
	ok(parse(true, "-", NULL) && o.npos == 1, "a lone - is accepted");
	is_str(positionals(), "-", "a lone - is a positional (stdin by convention)");
	ok(parse(true, "", NULL) && o.npos == 1, "an empty word is a positional");

	ok(parse(true, "a", "-n", "b", NULL) && o.set[O_DRYRUN], "permute: a -n b sets O_DRYRUN");
	is_str(positionals(), "a,b", "permute: a -n b gives positionals a,b");

	ok(parse(false, "a", "-n", "b", NULL) && !o.set[O_DRYRUN], "no permute: a -n b leaves O_DRYRUN unset");
	is_str(positionals(), "a,-n,b", "no permute: a -n b gives positionals a,-n,b");
	ok(parse(false, "-n", "cmd", "--bogus", "--", "-x", NULL) && o.set[O_DRYRUN],
	   "no permute: options before the command still parse");
	is_str(positionals(), "cmd,--bogus,--,-x", "no permute: the command line is kept verbatim, -- included");
	rejects(parse(false, "--bogus", "cmd", NULL), "--bogus", "no permute: unknown option before the command");
}

/* A hostile word comes back printable in the reason: it ends up on a terminal. */
static void test_hostile_reason(void)
{
	bool r = parse(true, "--x\n\x1b[2J", NULL);
	bool printable = true;

	for (const char *p = e.msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			printable = false;
	ok(!r && e.msg[0] && printable, "a control-byte option is rejected with a printable reason");
	if (!printable)
		diag("why has raw control bytes");
	r = parse(true, "-\xc3\xa9", NULL);
	printable = true;
	for (const char *p = e.msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			printable = false;
	ok(!r && e.msg[0] && printable, "a non-ASCII short option is rejected with a printable reason");

	/* A word of any length makes one short reason. */
	{
		char w0[300];

		memset(w0, 'x', sizeof w0 - 1);
		memcpy(w0, "--", 2);
		w0[sizeof w0 - 1] = '\0';
		argv_[0] = w0;
		argv_[1] = NULL;
		e = (struct err){0};
		r = args_parse(&o, 1, argv_, spec, true, &e);
		ok(!r && e.code == EXIT_USAGE && strlen(e.msg) == 159 && strncmp(e.msg, "unknown option: --xx", 20) == 0,
		   "a reason is cut at 159 bytes, whatever the word's length");
	}
}

/* What npte-run refuses right after NS, as misplaced options. */
static void test_is_option(void)
{
	ok(args_is_option(spec, "-n") && args_is_option(spec, "--dry-run") && args_is_option(spec, "--wait") &&
		   args_is_option(spec, "--wait=5") && args_is_option(spec, "--env=A=1"),
	   "short, long and long=value options are options");
	ok(!args_is_option(spec, "-") && !args_is_option(spec, "--") && !args_is_option(spec, "-x") &&
		   !args_is_option(spec, "--bogus") && !args_is_option(spec, "-nx") && !args_is_option(spec, "--dry") &&
		   !args_is_option(spec, "--=") && !args_is_option(spec, "sh") && !args_is_option(spec, "-20"),
	   "anything else is not");
}

int main(void)
{
	test_flags();
	test_values();
	test_positionals();
	test_hostile_reason();
	test_is_option();
	return done_testing();
}
