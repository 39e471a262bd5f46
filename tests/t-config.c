/* /etc/npte/npte.conf: strict "key = value", unknown keys and junk refused. */
#include "tap.h"
#include "config.h"

int main(void)
{
	static const struct { const char *text; int ok; unsigned max; } cases[] = {
		{"", 1, 32},
		{"# comment only\n\n", 1, 32},
		{"max_namespaces = 5\n", 1, 5},
		{"  max_namespaces=7  \n", 1, 7},
		{"max_namespaces = 0\n", 1, 0},
		{"max_namespaces = 100000\n", 1, 100000},
		{"max_namespaces = 100001\n", 0, 0},
		{"max_namespaces = -1\n", 0, 0},
		{"max_namespaces = 5 6\n", 0, 0},
		{"max_namespaces = 05\n", 0, 0},
		{"max_namespaces = five\n", 0, 0},
		{"max_namespaces\n", 0, 0},
		{"max_namespace = 5\n", 0, 0},
		{"MAX_NAMESPACES = 5\n", 0, 0},
		{"max_namespaces = 5 # trailing comment\n", 0, 0},
		{"[npte]\n", 0, 0},
		{"max_namespaces = 99999999999999999999\n", 0, 0},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		struct err e = {0};
		int rc = config_parse(&cfg, cases[i].text, &e);

		if (cases[i].ok)
			ok(rc == 0 && cfg.max_namespaces == cases[i].max, "accepted: '%s' -> %u", cases[i].text,
			   cfg.max_namespaces);
		else
			ok(rc == 2 && e.msg[0], "refused with exit 2: '%s' (%s)", cases[i].text, e.msg);
	}
	return done_testing();
}
