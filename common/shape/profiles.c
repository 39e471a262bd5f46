/* The lab's link profiles (see npte-lab(8) for the sources of each figure). */
#include <stdio.h>
#include <string.h>
#include "shape/profiles.h"
#include "shape/shape.h"

const char *const lab_role[LAB_NROLES] = {"client", "router", "server"};

const struct profile profiles[] = {
	{
		"4g-bloated",
		"Pre-AQM 4G: 50 ms idle RTT, 30/10 Mbit/s, a dumb netem FIFO sized for ~1 s of "
		"downlink and ~2 s of uplink bloat",
		"the reference project (bassosimone/npte lab/netem.go)",
		{.delay = "25ms", .limit = "2500", .rate = "30mbit"},
		{.delay = "25ms", .limit = "1700", .rate = "10mbit"},
	},
	{
		"4g-managed",
		"The same 50 ms idle RTT and 30/10 Mbit/s caps, with the rate cap in a cake child qdisc",
		"the reference project (bassosimone/npte lab/netem.go)",
		{.delay = "25ms", .child = "cake", .child_rate = "30mbit"},
		{.delay = "25ms", .child = "cake", .child_rate = "10mbit"},
	},
	{
		"adsl",
		"ADSL2+ over ATM: 12/1 Mbit/s sync, 40 ms idle RTT with interleaving, every packet "
		"paying 32 bytes of PPPoE/LLC and the 5-in-53 ATM cell tax, deep modem buffers",
		"ITU-T G.992.5 (ADSL2+ rates); RFC 2684 (ATM encapsulation: 48-byte cell payload, "
		"5-byte header); Ofcom UK home broadband performance reports (typical ADSL speeds, "
		"~1 s upstream bufferbloat)",
		{.delay = "20ms", .limit = "400", .rate = "12mbit 32 48 5"},
		{.delay = "20ms", .limit = "100", .rate = "1mbit 32 48 5"},
	},
	{
		"geo-sat",
		"Geostationary satellite: ~600 ms idle RTT, 25/3 Mbit/s, 0.1% random loss",
		"physics: 35786 km altitude gives ~240 ms ground-satellite-ground each way, plus "
		"gateway and scheduling delay; FCC Measuring Broadband America reports ~600 ms "
		"round trips for GEO satellite service",
		{.delay = "300ms", .loss = "random 0.1%", .limit = "1500", .rate = "25mbit"},
		{.delay = "300ms", .loss = "random 0.1%", .limit = "300", .rate = "3mbit"},
	},
	{NULL, NULL, NULL, {0}, {0}},
};

const struct profile *profile_find(const char *name)
{
	for (const struct profile *p = profiles; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

bool profile_dir_ok(const struct link_dir *d, struct err *e)
{
	const char *bad = NULL;

	if (!d->delay)
		bad = "no delay";
	else if (!d->rate == !d->child)
		bad = "needs exactly one of a netem rate or a child qdisc";
	else if (d->limit && !d->rate)
		bad = "a netem limit without a netem rate";
	else if (!d->child != !d->child_rate)
		bad = "a child qdisc needs its rate";
	if (bad)
		err_set(e, EXIT_USAGE, "%s", bad);
	return !bad;
}

bool profile_words(const struct link_dir *d, char *buf, size_t cap, double tick, struct err *e)
{
	const struct { const char *v; enum netem_kw kw; } k[] = {
		{d->delay, NK_DELAY}, {d->loss, NK_LOSS}, {d->limit, NK_LIMIT}, {d->rate, NK_RATE},
	};

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (k[i].v && !netem_flag(buf, cap, k[i].kw, k[i].v, tick, e))
			return false;
	return true;
}
