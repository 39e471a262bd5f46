/* The netem knob grammar and tc 6.1's arithmetic, without a kernel. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "tap.h"
#include "shape.h"

#define TICK 15.625 /* /proc/net/psched 3e8/40/f4240: 64 ns per tick */

static struct netem_spec fresh(void)
{
	struct netem_spec s;

	memset(&s, 0, sizeof s);
	s.qopt.limit = 1000;
	return s;
}

static uint32_t pct(double p)
{
	return (uint32_t)rint(p / 100. * UINT32_MAX);
}

int main(void)
{
	struct netem_spec s;
	char why[160];
	uint64_t r;
	unsigned u;

	/* delay: ticks as tc computes them, nanoseconds for LATENCY64 */
	s = fresh();
	ok(netem_delay(&s, "25ms 5ms 25% distribution normal", why, sizeof why, TICK), "full delay parses");
	is_int(s.qopt.latency, 390625, "25ms is 390625 ticks of 64 ns");
	is_int(s.qopt.jitter, 78125, "5ms jitter in ticks");
	ok(s.latency_ns == 25000000 && s.jitter_ns == 5000000, "nanoseconds kept for LATENCY64/JITTER64");
	ok(s.has_corr && s.corr.delay_corr == pct(25), "correlation 25%% as a fraction of UINT32_MAX");
	is_str(s.dist, "normal", "distribution recorded");
	s = fresh();
	ok(netem_delay(&s, "1.5ms", why, sizeof why, TICK) && s.qopt.latency == 23437, "1.5ms truncates like tc");

	/* loss models */
	s = fresh();
	ok(netem_loss(&s, "random 1% 25%", why, sizeof why) && s.qopt.loss == pct(1) && s.corr.loss_corr == pct(25),
	   "random loss with correlation");
	s = fresh();
	ok(netem_loss(&s, "state 1%", why, sizeof why) && s.loss_model == NETEM_LOSS_GI &&
	   s.gi.p13 == pct(1) && s.gi.p31 == (uint32_t)rint(0.99 * UINT32_MAX) && s.gi.p23 == UINT32_MAX,
	   "state: tc's defaults fill p31 = 1 - p13 and p23 = 1");
	s = fresh();
	ok(netem_loss(&s, "gemodel 1% 10% 70% 0.1%", why, sizeof why) && s.loss_model == NETEM_LOSS_GE &&
	   s.ge.h == UINT32_MAX - pct(70), "gemodel: 1-h turned into h as tc does");

	/* rate, including the 64-bit path */
	s = fresh();
	ok(netem_rate(&s, "30mbit", why, sizeof why) && s.rate64 == 3750000 && s.rate_s.rate == 3750000, "30mbit");
	s = fresh();
	ok(netem_rate(&s, "40gbit -20 48 5", why, sizeof why) && s.rate64 == 5000000000ULL &&
	   s.rate_s.rate == ~0U && s.rate_s.packet_overhead == -20 && s.rate_s.cell_size == 48 &&
	   s.rate_s.cell_overhead == 5, "40gbit overflows the u32 field into RATE64");

	/* slot */
	s = fresh();
	ok(netem_slot(&s, "10ms 20ms packets 8 bytes 3000", why, sizeof why) && s.slot_s.min_delay == 10000000 &&
	   s.slot_s.max_delay == 20000000 && s.slot_s.max_packets == 8 && s.slot_s.max_bytes == 3000, "slot");
	s = fresh();
	ok(netem_slot(&s, "5ms", why, sizeof why) && s.slot_s.max_delay == 5000000, "slot MAX defaults to MIN");

	/* tbf arithmetic */
	{
		struct tbf_spec t;

		ok(tbf_parse(&t, "20mbit", NULL, NULL, why, sizeof why) && t.rate64 == 2500000 &&
		   t.burst_b == 10240 && t.latency_us == 50000, "tbf defaults: 10 KiB floor, 50 ms");
		ok(tbf_parse(&t, "1gbit", "64kb", "10ms", why, sizeof why) && t.burst_b == 65536, "tbf burst 64kb");
	}
	ok(shape_size("1514", &u, why, sizeof why) && u == 1514, "plain size in bytes");
	ok(shape_rate("8bit", &r, why, sizeof why) && r == 1, "the smallest rate");

	/* hostile and out-of-range values: each refused with a reason */
	static const struct { int knob; const char *v; } bad[] = {
		{0, ""}, {0, "25"}, {0, "-25ms"}, {0, "25ms 5ms 101%"}, {0, "25ms distribution normal"},
		{0, "25ms 5ms distribution uniform"}, {0, "25ms 5ms distribution /etc/passwd"},
		{0, "25ms 5ms distribution ../normal"}, {0, "61s"}, {0, "25ms loss 5%"}, {0, "25ms;reboot"},
		{0, "25ms\n5ms"}, {0, "25MS"}, {0, "1e3ms"}, {0, ".5ms"}, {0, "25ms 5ms 25% 3%"},
		{1, "101%"}, {1, "random"}, {1, "1"}, {1, "state"}, {1, "state 1% 2% 3% 4% 5% 6%"},
		{1, "gemodel 1% 2% 3% 4% 5%"}, {1, "1% corrupt 5%"}, {1, "duplicate 1%"}, {1, "-1%"},
		{2, "0"}, {2, "1000001"}, {2, "-5"}, {2, "12k"}, {2, "1 2"},
		{3, "30"}, {3, "30mbps"}, {3, "401gbit"}, {3, "0bit"}, {3, "30mbit 1001"}, {3, "30mbit 0 -1"},
		{3, "30mbit 0 48 5 7"}, {3, "30Mbit"},
		{4, "20ms 10ms"}, {4, "distribution normal 10ms"}, {4, "distribution pareto 10ms 0ms"},
		{4, "10ms packets"}, {4, "10ms packets 0"}, {4, "10ms bytes -1"}, {4, "distribution /x 1ms 1ms"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bool r2;

		s = fresh();
		why[0] = '\0';
		switch (bad[i].knob) {
		case 0: r2 = netem_delay(&s, bad[i].v, why, sizeof why, TICK); break;
		case 1: r2 = netem_loss(&s, bad[i].v, why, sizeof why); break;
		case 2: r2 = netem_limit(&s, bad[i].v, why, sizeof why); break;
		case 3: r2 = netem_rate(&s, bad[i].v, why, sizeof why); break;
		default: r2 = netem_slot(&s, bad[i].v, why, sizeof why); break;
		}
		ok(!r2 && why[0], "knob %d refuses '%s' (%s)", bad[i].knob, bad[i].v, why);
	}
	return done_testing();
}
