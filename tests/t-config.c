/* /etc/npte/npte.conf: strict "key = value", unknown keys and junk refused. */
#include "tap.h"
#include "kernel/config.h"
#include "base/kmem.h"

/* max_kernel_memory: a size, strict; the default when absent. */
static void kmem_cases(void)
{
	static const struct { const char *text; int ok; uint64_t v; } cases[] = {
		{"", 1, KMEM_BUDGET_DEFAULT},
		{"max_namespaces = 4\n", 1, KMEM_BUDGET_DEFAULT},
		{"max_kernel_memory = 512m\n", 1, 512ULL << 20},
		{"max_kernel_memory=1073741824\n", 1, 1ULL << 30},
		{"max_kernel_memory = 0\n", 1, 0},
		{"max_kernel_memory = 16t\n", 1, 16ULL << 40},
		{"max_namespaces = 3\nmax_kernel_memory = 64k\n", 1, 64 << 10},
		{"max_kernel_memory = 17t\n", 0, 0},
		{"max_kernel_memory = 512M\n", 0, 0},
		{"max_kernel_memory = 512mb\n", 0, 0},
		{"max_kernel_memory = 512 m\n", 0, 0},
		{"max_kernel_memory = 1.5g\n", 0, 0},
		{"max_kernel_memory = -1\n", 0, 0},
		{"max_kernel_memory = 0512m\n", 0, 0},
		{"max_kernel_memory = m\n", 0, 0},
		{"max_kernel_memory =\n", 0, 0},
		{"max_kernel_memory = 99999999999999999999\n", 0, 0},
		{"max_kernel_mem = 1g\n", 0, 0},
		{"max_namespaces = 5k\n", 0, 0},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		struct err e = {0};
		int rc = config_parse(&cfg, cases[i].text, &e);

		if (cases[i].ok)
			ok(rc == 0 && cfg.max_kernel_memory == cases[i].v, "accepted: '%s'", cases[i].text);
		else
			ok(rc == 2 && e.msg[0], "refused with exit 2: '%s' (%s)", cases[i].text, e.msg);
	}
}

/* gateway: yes or no only, no by default (npte-gateway is the administrator's). */
static void gateway_cases(void)
{
	static const struct { const char *text; int ok; bool v; } cases[] = {
		{"", 1, false},
		{"max_namespaces = 4\n", 1, false},
		{"gateway = yes\n", 1, true},
		{"gateway=yes\n", 1, true},
		{"gateway = no\n", 1, false},
		{"gateway = yes\ngateway = no\n", 1, false},
		{"gateway = Yes\n", 0, false},
		{"gateway = 1\n", 0, false},
		{"gateway = true\n", 0, false},
		{"gateway = yess\n", 0, false},
		{"gateway = y\n", 0, false},
		{"gateway =\n", 0, false},
		{"gateways = yes\n", 0, false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		struct err e = {0};
		int rc = config_parse(&cfg, cases[i].text, &e);

		ok(cases[i].ok ? rc == 0 && cfg.gateway == cases[i].v : rc == EXIT_USAGE, "gateway: '%s'",
		   cases[i].text);
	}
}

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
	kmem_cases();
	gateway_cases();
	return done_testing();
}
