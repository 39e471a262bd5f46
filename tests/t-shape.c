/* The tc-netem and tc-tbf word grammar and tc 6.1's arithmetic, without a kernel.
 * Expected figures are worked out by hand from iproute2 6.1's rules. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "tap.h"
#include "shape/shape.h"

#define TICK 15.625 /* /proc/net/psched 3e8/40/f4240: 64 ns per tick */

static uint32_t pct(double p)
{
	return (uint32_t)rint(p / 100. * UINT32_MAX);
}

static struct netem_spec s;
static struct tbf_spec t;
static struct err e;

/* A fresh error for each call, so each message is that call's. */
#define E (e = (struct err){0}, &e)

static bool ne(const char *w)
{
	return netem_parse_str(&s, w, TICK, E);
}

static bool tb(const char *w)
{
	return tbf_parse_str(&t, w, E);
}

int main(void)
{
	char buf[SHAPE_WORDS_LEN];

	ok(ne("") && s.qopt.limit == 1000 && !s.qopt.latency, "no words: tc's plain netem (limit 1000)");
	ok(ne("delay 25ms 5ms 25% distribution normal"), "full delay parses: %s", e.msg);
	ok(s.qopt.latency == 390625 && s.qopt.jitter == 78125, "25ms/5ms in 64 ns ticks");
	ok(s.has_corr && s.corr.delay_corr == pct(25), "delay correlation sent in CORR");
	is_str(s.dist, "normal", "distribution recorded");
	is_str(s.words, "delay 25ms 5ms 25% distribution normal", "words kept as given");
	ok(ne("delay 1ms 500us distribution paretonormal") && s.qopt.jitter == 7812,
	   "500us is 7812 ticks (499968 ns), truncated as tc truncates");
	ok(ne("delay 1.5ms") && s.qopt.latency == 23437, "1.5ms truncates like tc");
	ok(ne("delay 100") && s.qopt.latency == 1562, "a bare time is microseconds");
	ok(ne("delay 10MS 1Msecs") && s.qopt.latency == 156250 && s.qopt.jitter == 15625,
	   "time units are case-insensitive, with tc's long spellings");
	ok(ne("lat 10ms") && s.qopt.latency == 156250, "'lat' is latency, as tc's prefix match takes it");
	ok(ne("d 10ms") && s.qopt.latency == 156250, "'d' is delay");
	ok(ne("delay 10ms 5ms delay 20ms") && s.qopt.latency == 312500 && s.qopt.jitter == 78125,
	   "a second delay replaces the latency and keeps the jitter, as with tc");
	ok(ne("delay 10ms 5 25") && s.qopt.jitter == 78 && s.corr.delay_corr == pct(25),
	   "bare jitter (us) and correlation (percent)");

	ok(ne("loss 1% 25%") && s.qopt.loss == pct(1) && s.corr.loss_corr == pct(25), "old loss syntax");
	ok(ne("loss random 0.5") && s.qopt.loss == pct(0.5), "bare percent");
	ok(ne("drop 2%") && s.qopt.loss == pct(2), "'drop' is loss");
	ok(ne("loss 0% loss 5%") && s.qopt.loss == pct(5), "a zero loss may be given again");
	ok(ne("loss state 1%") && s.loss_model == NETEM_LOSS_GI && s.gi.p13 == pct(1) &&
	   s.gi.p31 == pct(99) && s.gi.p23 == pct(100) && s.gi.p32 == 0 && s.gi.p14 == 0,
	   "4-state loss defaults as tc fills them");
	ok(ne("loss gemodel 1% 10% 70% 0.1%") && s.loss_model == NETEM_LOSS_GE && s.ge.p == pct(1) &&
	   s.ge.r == pct(10) && s.ge.h == UINT32_MAX - pct(70) && s.ge.k1 == pct(0.1),
	   "gemodel: 1-h turned around");

	ok(ne("duplicate 1% 30%") && s.qopt.duplicate == pct(1) && s.corr.dup_corr == pct(30) && !s.has_corr,
	   "duplicate correlation is kept but, as with tc, CORR is not sent for it alone");
	ok(ne("delay 10ms reorder 25% 50%") && netem_has(&s, NK_REORDER) && s.reorder.probability == pct(25) &&
	   s.reorder.correlation == pct(50) && s.qopt.gap == 1 && s.has_corr, "reorder: gap 1 by default");
	ok(ne("delay 10ms reorder 25% gap 5") && s.qopt.gap == 5, "reorder gap");
	ok(ne("delay 10ms reorder 25% gap 0x10") && s.qopt.gap == 16, "gap in tc's base 0");
	ok(ne("corrupt 0.1%") && netem_has(&s, NK_CORRUPT) && s.corrupt.probability == pct(0.1), "corrupt");
	ok(ne("loss 1% ecn") && netem_has(&s, NK_ECN), "ecn with a loss");

	{
		char note[256];

		ok(shape_bps_note("20mbps", note, sizeof note), "20mbps: a byte unit, noted");
		is_str(note, "20mbps is 20 megabytes/s (160 Mbit/s) as in tc; for megabits write 20mbit",
		       "the note says what tc reads and what to write for bits");
		ok(shape_bps_note("1.5KiBps", note, sizeof note), "KiBps, any case");
		is_str(note, "1.5KiBps is 1.5 kibibytes/s (12.288 kbit/s) as in tc; for kibibits write 1.5kibit",
		       "kibibytes");
		ok(!shape_bps_note("20mbit", note, sizeof note) && !shape_bps_note("20000", note, sizeof note) &&
		   !shape_bps_note("10kb", note, sizeof note) && !shape_bps_note("mbps", note, sizeof note) &&
		   !shape_bps_note("0.01bps", note, sizeof note), "bit units, bare numbers, sizes and non-rates: no note");
	}
	ok(ne("rate 30mbit") && s.rate64 == 3750000 && s.rate_s.rate == 3750000, "30mbit");
	ok(ne("rate 20000") && s.rate64 == 2500, "a bare rate is bit/s");
	ok(ne("rate 1MBps") && s.rate64 == 1000000, "MBps (bytes, case-insensitive)");
	ok(ne("rate 1mibit") && s.rate64 == 131072, "mibit");
	ok(ne("rate 40gbit -20 48 5") && s.rate64 == 5000000000ULL && s.rate_s.rate == UINT32_MAX &&
	   s.rate_s.packet_overhead == -20 && s.rate_s.cell_size == 48 && s.rate_s.cell_overhead == 5,
	   "rate above 4 GB/s: RATE64 and overheads");
	ok(ne("rate 0") && netem_has(&s, NK_RATE) && !s.rate64, "rate 0: none (netem's off)");
	ok(ne("slot 10ms 20ms packets 8 bytes 3k") && s.slot_s.min_delay == 10000000 &&
	   s.slot_s.max_delay == 20000000 && s.slot_s.max_packets == 8 && s.slot_s.max_bytes == 3072,
	   "slot with caps (bytes is a size)");
	ok(ne("slot 1000000") && s.slot_s.min_delay == 1000000 && s.slot_s.max_delay == 1000000,
	   "a bare slot time is nanoseconds");
	ok(ne("slot distribution pareto 10ms 2ms p 4") && s.slot_s.dist_delay == 10000000 &&
	   s.slot_s.dist_jitter == 2000000 && s.slot_s.max_packets == 4, "slot distribution; 'p' is packets");
	ok(ne("limit 1k") && s.qopt.limit == 1024, "limit takes tc's size units");

	ok(!netem_parse_str(&s, "delay 1ms", TICK, E) || s.seen == 1U << NK_DELAY, "seen");
	buf[0] = '\0';
	e = (struct err){0};
	ok(netem_flag(buf, sizeof buf, NK_DELAY, "25ms 5ms distribution normal", TICK, &e) &&
	   netem_flag(buf, sizeof buf, NK_ECN, NULL, TICK, &e) && !ne(buf),
	   "--delay with a distribution; --ecn without a loss is refused once all options are in (%s)", e.msg);
	buf[0] = '\0';
	ok(netem_flag(buf, sizeof buf, NK_REORDER, "5% gap 3", TICK, E) &&
	   netem_flag(buf, sizeof buf, NK_DELAY, "10ms", TICK, E) && ne(buf) && s.qopt.gap == 3,
	   "--reorder's partner --delay may come in another option: %s", buf);
	buf[0] = '\0';
	ok(netem_flag(buf, sizeof buf, NK_REORDER, "5%", TICK, E) && !ne(buf),
	   "--reorder without any delay is refused as tc refuses it");
	buf[0] = '\0';
	e = (struct err){0};
	ok(!netem_flag(buf, sizeof buf, NK_DELAY, "25ms loss 5%", TICK, &e),
	   "a flag value cannot smuggle another keyword (%s)", e.msg);

	ok(tb("rate 20mbit burst 10k latency 50ms") && t.rate64 == 2500000 && t.buffer == 10240 &&
	   t.latency_us == 50000, "tbf: rate, burst, latency");
	ok(tb("rate 1gbit buffer 64kb/8 limit 100k mtu 2k/16 peakrate 2gbit mpu 64 overhead 4 linklayer adsl") &&
	   t.rcell_log == 3 && t.pcell_log == 4 && t.limit == 102400 && t.mtu == 2048 && t.prate64 == 250000000 &&
	   t.mpu == 64 && t.overhead == 4 && t.linklayer == TC_LINKLAYER_ATM, "tbf: every keyword: %s", e.msg);
	ok(tb("rate 10mbit b 10k lat 5ms") && t.buffer == 10240 && t.latency_us == 5000, "tbf prefixes");
	ok(tbf_parse(&t, "20mbit", NULL, NULL, E) && t.buffer == 10240 &&
	   strcmp(t.words, "rate 20mbit burst 10240b latency 50ms") == 0, "short form: burst 10 KiB at least");
	ok(tbf_parse(&t, "1gbit", NULL, "10ms", E) && t.buffer == 500000, "burst 4 ms at the rate");
	/* tc's "given twice" is a value held already: a 0 is not one */
	ok(tb("rate 0 burst 10k latency 5ms mpu 0 mpu 64 overhead 0 overhead 4 rate 20mbit") &&
	   t.mpu == 64 && t.overhead == 4 && t.rate64 == 2500000, "tbf: a keyword again after a 0 (%s)", e.msg);
	ok(!tb("rate 10mbit burst 10k latency 5ms mpu 64 mpu 64") && strcmp(e.msg, "mpu given twice: 64") == 0 &&
	   !tb("rate 10mbit peakrate 20mbit mtu 2k burst 10k latency 5ms peakrate 30mbit") &&
	   strcmp(e.msg, "rate given twice: 30mbit") == 0, "tbf: a value given twice is refused (%s)", e.msg);

	/* what tc refuses, and what npte refuses on purpose: each with a reason */
	static const char *const bad_netem[] = {
		"delay", "delay 25ms 5ms 101%", "delay 25ms distribution normal", "delay 25ms 5ms distribution uniform",
		"delay 25ms 5ms distribution /etc/passwd", "delay 25ms 5ms distribution ../normal", "delay 61s",
		"delay 25ms;reboot", "delay 1e3ms", "delay .5ms 1ms 2ms", "delay 25ms 5ms 25% 3%", "delay -25ms",
		"delay inf", "delay nan", "delay 0x10ms", "loss 101%", "loss random", "loss state", "loss",
		"loss state 1% loss 2%", "loss 1% loss 2%", "loss bogus 1%", "loss 1% corrupt", "ecn",
		"reorder 5%", "delay 1ms gap 5", "limit 0", "limit 1000001", "limit -5", "rate 30mbps%",
		"rate 5%", "rate 401gbit", "rate 7bit", "rate 30mbit 70000", "rate 30mbit 0 70000",
		"slot", "slot 20ms 10ms", "slot distribution normal 10ms", "slot distribution pareto 10ms 0ms",
		"slot 10ms packets", "slot 10ms packets 0", "slot 10ms bytes -1", "slot distribution x 1ms 1ms",
		"help", "DELAY 10ms", "duplicate", "corrupt 1%%", "gap 010x", "distribution", "delay 10ms \x01",
	};
	for (size_t i = 0; i < sizeof bad_netem / sizeof bad_netem[0]; i++)
		ok(!ne(bad_netem[i]) && e.msg[0], "netem refuses '%s' (%s)", bad_netem[i], e.msg);
	static const char *const bad_tbf[] = {
		"", "rate 10mbit", "rate 10mbit burst 10k", "burst 10k latency 50ms", "rate 0 burst 10k latency 5ms",
		"rate 10mbit burst 10k latency 5ms limit 10k", "rate 10mbit burst 10k limit 10k limit 20k",
		"rate 10mbit burst 10k/3 latency 5ms", "rate 10mbit burst 65m latency 5ms",
		"rate 10mbit burst 10k latency 5ms peakrate 20mbit", "rate 10mbit burst 10k latency 5ms overhead 0x10",
		"rate 10mbit burst 10k latency 5ms linklayer token", "rate 400gbit burst 64m latency 60s",
		"rate 10mbit burst 10k latency 0", "rate 10mbit burst 10k latency 5ms help", "rate 5% burst 1k limit 1k",
	};
	for (size_t i = 0; i < sizeof bad_tbf / sizeof bad_tbf[0]; i++)
		ok(!tb(bad_tbf[i]) && e.msg[0], "tbf refuses '%s' (%s)", bad_tbf[i], e.msg);
	return done_testing();
}
