/* Strict argument parsing (see args.h for the rules). */
#include <stdio.h>
#include <string.h>
#include "base/args.h"
#include "base/err.h"
#include "base/escape.h"

/* The reason is cut at 159 bytes: a hostile word of any length still makes
 * one short line. */
static bool bad(struct err *e, const char *what, const char *word)
{
	char why[160];

	snprintf(why, sizeof why, "%s: %s", what, disp(word));
	err_set(e, EXIT_USAGE, "%s", why);
	return false;
}

static const struct optspec *find_long(const struct optspec *spec, const char *name, size_t len)
{
	for (; spec->id; spec++)
		if (spec->lng && strlen(spec->lng) == len && strncmp(spec->lng, name, len) == 0)
			return spec;
	return NULL;
}

static const struct optspec *find_short(const struct optspec *spec, char c)
{
	for (; spec->id; spec++)
		if (spec->shrt && spec->shrt == c)
			return spec;
	return NULL;
}

static bool store(struct opts *o, const struct optspec *sp, const char *val, const char *word,
		  struct err *e)
{
	if (sp->repeat) {
		if (o->nlist >= ARGS_LIST_MAX)
			return bad(e, "too many values for option", word);
		o->list[o->nlist++] = val;
	} else if (o->set[sp->id]) {
		return bad(e, "option given twice", word);
	}
	o->set[sp->id] = true;
	o->val[sp->id] = val;
	return true;
}

bool args_parse(struct opts *o, int argc, char **argv, const struct optspec *spec,
		bool permute, struct err *e)
{
	bool opts_done = false;

	memset(o, 0, sizeof *o);
	o->spec = spec;
	for (int i = 0; i < argc; i++) {
		char *w = argv[i];
		const struct optspec *sp;
		const char *val = NULL;

		/* "-20" is a word (a tc overhead), never an option: none starts with a digit */
		if (opts_done || w[0] != '-' || w[1] == '\0' || (w[1] >= '0' && w[1] <= '9')) {
			if (o->npos >= ARGS_POS_MAX)
				return bad(e, "too many arguments", w);
			o->pos[o->npos++] = w;
			if (!permute)
				opts_done = true;
			continue;
		}
		if (strcmp(w, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (w[1] == '-') {
			const char *name = w + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			sp = find_long(spec, name, len);
			if (!sp)
				return bad(e, "unknown option", w);
			if (eq) {
				if (!sp->arg)
					return bad(e, "option takes no value", w);
				val = eq + 1;
			}
		} else {
			if (w[2] != '\0')
				return bad(e, "unknown option (short options stand alone)", w);
			sp = find_short(spec, w[1]);
			if (!sp)
				return bad(e, "unknown option", w);
		}
		if (sp->arg && !val) {
			if (i + 1 >= argc)
				return bad(e, "option needs a value", w);
			val = argv[++i];
		}
		if (!store(o, sp, val, w, e))
			return false;
	}
	return true;
}

bool args_is_option(const struct optspec *spec, const char *w)
{
	const char *eq;

	if (w[0] != '-' || w[1] == '\0')
		return false;
	if (w[1] != '-')
		return w[2] == '\0' && find_short(spec, w[1]);
	eq = strchr(w + 2, '=');
	return w[2] && find_long(spec, w + 2, eq ? (size_t)(eq - (w + 2)) : strlen(w + 2));
}
