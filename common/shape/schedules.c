/*
 * The shipped schedules (schedules.h). Every step writes every knob its
 * schedule uses: a step is one netem change, and a change leaves the
 * kernel's old rate (and correlation, slot, ...) in place when the step
 * omits it, while delay, jitter, loss and limit are reset to what the step
 * says (tc sends them in every request). An outage is `rate 0 loss 100%`:
 * every packet dropped (netem's rate 0 means no rate limit, so it cannot
 * express "no capacity" by itself; see schedule_from_mahimahi in
 * mahimahi.h). Jitter never reorders here: with a rate set, netem sends
 * each packet no earlier than the one queued before it. The queue is
 * netem's default of 1000 packets unless a schedule says limit.
 * Periods are at most 60 s, steps at least 100 ms apart (t-schedule checks).
 */
#include <string.h>
#include "shape/schedules.h"

/*
 * leo-starlink. Starlink's global controller assigns each dish a satellite
 * for 15 s slots, all dishes at the same instants; at each change the path
 * (satellite, ground station) changes, RTT and capacity jump to new levels
 * for the next slot, and the change itself costs a sub-second spike of
 * latency and loss. Four slots a period; the first step of each is the
 * 300 ms disruption (the period's own start is one, so a loop has one every
 * 15 s). One-way delays 15..27 ms per slot give RTTs of 30..55 ms idle;
 * down 70..220 Mbit/s, up 8..20 Mbit/s. The uplink's spike is larger: its
 * delay is more affected by the 15 s cycle (Garcia et al.).
 */
static const char leo_down[] =
	"# slot 1: the reconfiguration (spike and loss burst), then the new path\n"
	"0      delay 40ms 10ms rate 30mbit loss 3%\n"
	"300ms  delay 15ms 2ms rate 180mbit loss 0%\n"
	"# slot 2\n"
	"15s    delay 40ms 10ms rate 30mbit loss 3%\n"
	"15.3s  delay 22ms 3ms rate 110mbit loss 0%\n"
	"# slot 3\n"
	"30s    delay 40ms 10ms rate 30mbit loss 3%\n"
	"30.3s  delay 17ms 2ms rate 220mbit loss 0%\n"
	"# slot 4\n"
	"45s    delay 40ms 10ms rate 30mbit loss 3%\n"
	"45.3s  delay 27ms 4ms rate 70mbit loss 0%\n"
	"60s    end\n";

static const char leo_up[] =
	"0      delay 50ms 15ms rate 5mbit loss 5%\n"
	"300ms  delay 15ms 2ms rate 18mbit loss 0%\n"
	"15s    delay 50ms 15ms rate 5mbit loss 5%\n"
	"15.3s  delay 22ms 3ms rate 12mbit loss 0%\n"
	"30s    delay 50ms 15ms rate 5mbit loss 5%\n"
	"30.3s  delay 17ms 2ms rate 20mbit loss 0%\n"
	"45s    delay 50ms 15ms rate 5mbit loss 5%\n"
	"45.3s  delay 27ms 4ms rate 8mbit loss 0%\n"
	"60s    end\n";

/*
 * train-tunnel. LTE on a moving train (jittery, a little loss), the signal
 * fading at the tunnel portal, 15 s with no coverage at all (a 1 km tunnel
 * at 240 km/h, or 500 m at 120 km/h), then a slow re-attach: the first
 * packets wait for the radio connection to be re-established (high delay,
 * low rate) before the link recovers.
 */
static const char train_down[] =
	"0      delay 30ms 8ms rate 12mbit loss 0.2%\n"
	"# the portal: signal fading\n"
	"20s    delay 60ms 20ms rate 3mbit loss 2%\n"
	"# in the tunnel: no coverage\n"
	"23s    delay 30ms 8ms rate 0 loss 100%\n"
	"# re-attach, then recovery\n"
	"38s    delay 200ms 50ms rate 2mbit loss 1%\n"
	"41s    delay 45ms 15ms rate 8mbit loss 0.5%\n"
	"46s    delay 30ms 8ms rate 12mbit loss 0.2%\n"
	"60s    end\n";

static const char train_up[] =
	"0      delay 30ms 8ms rate 4mbit loss 0.2%\n"
	"20s    delay 60ms 20ms rate 1mbit loss 3%\n"
	"23s    delay 30ms 8ms rate 0 loss 100%\n"
	"38s    delay 200ms 50ms rate 500kbit loss 2%\n"
	"41s    delay 45ms 15ms rate 2mbit loss 0.5%\n"
	"46s    delay 30ms 8ms rate 4mbit loss 0.2%\n"
	"60s    end\n";

/*
 * lte-drive. The capacity of each second of the first 60 s of mahimahi's
 * ATT-LTE-driving-2016 traces (github.com/ravinet/mahimahi, traces/), as
 * schedule_from_mahimahi computes it with a 1 s window: opportunities x
 * 1500 bytes x 8 per second, exact in kbit. A second without opportunities
 * (the uplink at 4 s and 21..23 s) is an outage. The trace has no delay:
 * 25 ms each way with 5 ms of jitter, the 50 ms idle RTT of npte's 4g
 * profiles.
 */
static const char lte_down[] =
	"0    delay 25ms 5ms rate 27564kbit loss 0%\n"
	"1s   delay 25ms 5ms rate 17208kbit loss 0%\n"
	"2s   delay 25ms 5ms rate 12528kbit loss 0%\n"
	"3s   delay 25ms 5ms rate 9684kbit loss 0%\n"
	"4s   delay 25ms 5ms rate 10248kbit loss 0%\n"
	"5s   delay 25ms 5ms rate 6372kbit loss 0%\n"
	"6s   delay 25ms 5ms rate 4140kbit loss 0%\n"
	"7s   delay 25ms 5ms rate 1932kbit loss 0%\n"
	"8s   delay 25ms 5ms rate 1488kbit loss 0%\n"
	"9s   delay 25ms 5ms rate 1428kbit loss 0%\n"
	"10s  delay 25ms 5ms rate 312kbit loss 0%\n"
	"11s  delay 25ms 5ms rate 7008kbit loss 0%\n"
	"12s  delay 25ms 5ms rate 8532kbit loss 0%\n"
	"13s  delay 25ms 5ms rate 8520kbit loss 0%\n"
	"14s  delay 25ms 5ms rate 6300kbit loss 0%\n"
	"15s  delay 25ms 5ms rate 5208kbit loss 0%\n"
	"16s  delay 25ms 5ms rate 2916kbit loss 0%\n"
	"17s  delay 25ms 5ms rate 2688kbit loss 0%\n"
	"18s  delay 25ms 5ms rate 2064kbit loss 0%\n"
	"19s  delay 25ms 5ms rate 1188kbit loss 0%\n"
	"20s  delay 25ms 5ms rate 1524kbit loss 0%\n"
	"21s  delay 25ms 5ms rate 792kbit loss 0%\n"
	"22s  delay 25ms 5ms rate 288kbit loss 0%\n"
	"23s  delay 25ms 5ms rate 708kbit loss 0%\n"
	"24s  delay 25ms 5ms rate 708kbit loss 0%\n"
	"25s  delay 25ms 5ms rate 348kbit loss 0%\n"
	"26s  delay 25ms 5ms rate 288kbit loss 0%\n"
	"27s  delay 25ms 5ms rate 3264kbit loss 0%\n"
	"28s  delay 25ms 5ms rate 2820kbit loss 0%\n"
	"29s  delay 25ms 5ms rate 3984kbit loss 0%\n"
	"30s  delay 25ms 5ms rate 3408kbit loss 0%\n"
	"31s  delay 25ms 5ms rate 3336kbit loss 0%\n"
	"32s  delay 25ms 5ms rate 2844kbit loss 0%\n"
	"33s  delay 25ms 5ms rate 3348kbit loss 0%\n"
	"34s  delay 25ms 5ms rate 2520kbit loss 0%\n"
	"35s  delay 25ms 5ms rate 3012kbit loss 0%\n"
	"36s  delay 25ms 5ms rate 3672kbit loss 0%\n"
	"37s  delay 25ms 5ms rate 3972kbit loss 0%\n"
	"38s  delay 25ms 5ms rate 3288kbit loss 0%\n"
	"39s  delay 25ms 5ms rate 2004kbit loss 0%\n"
	"40s  delay 25ms 5ms rate 2664kbit loss 0%\n"
	"41s  delay 25ms 5ms rate 3384kbit loss 0%\n"
	"42s  delay 25ms 5ms rate 3648kbit loss 0%\n"
	"43s  delay 25ms 5ms rate 3756kbit loss 0%\n"
	"44s  delay 25ms 5ms rate 3780kbit loss 0%\n"
	"45s  delay 25ms 5ms rate 3516kbit loss 0%\n"
	"46s  delay 25ms 5ms rate 3816kbit loss 0%\n"
	"47s  delay 25ms 5ms rate 3888kbit loss 0%\n"
	"48s  delay 25ms 5ms rate 4476kbit loss 0%\n"
	"49s  delay 25ms 5ms rate 4584kbit loss 0%\n"
	"50s  delay 25ms 5ms rate 4080kbit loss 0%\n"
	"51s  delay 25ms 5ms rate 3156kbit loss 0%\n"
	"52s  delay 25ms 5ms rate 3396kbit loss 0%\n"
	"53s  delay 25ms 5ms rate 3732kbit loss 0%\n"
	"54s  delay 25ms 5ms rate 4212kbit loss 0%\n"
	"55s  delay 25ms 5ms rate 4632kbit loss 0%\n"
	"56s  delay 25ms 5ms rate 6228kbit loss 0%\n"
	"57s  delay 25ms 5ms rate 4824kbit loss 0%\n"
	"58s  delay 25ms 5ms rate 3252kbit loss 0%\n"
	"59s  delay 25ms 5ms rate 3744kbit loss 0%\n"
	"60s  end\n";

static const char lte_up[] =
	"0    delay 25ms 5ms rate 4788kbit loss 0%\n"
	"1s   delay 25ms 5ms rate 6156kbit loss 0%\n"
	"2s   delay 25ms 5ms rate 12768kbit loss 0%\n"
	"3s   delay 25ms 5ms rate 96kbit loss 0%\n"
	"4s   delay 25ms 5ms rate 0 loss 100%\n"
	"5s   delay 25ms 5ms rate 3972kbit loss 0%\n"
	"6s   delay 25ms 5ms rate 4992kbit loss 0%\n"
	"7s   delay 25ms 5ms rate 4320kbit loss 0%\n"
	"8s   delay 25ms 5ms rate 144kbit loss 0%\n"
	"9s   delay 25ms 5ms rate 3804kbit loss 0%\n"
	"10s  delay 25ms 5ms rate 3732kbit loss 0%\n"
	"11s  delay 25ms 5ms rate 3264kbit loss 0%\n"
	"12s  delay 25ms 5ms rate 3924kbit loss 0%\n"
	"13s  delay 25ms 5ms rate 3576kbit loss 0%\n"
	"14s  delay 25ms 5ms rate 1572kbit loss 0%\n"
	"15s  delay 25ms 5ms rate 1704kbit loss 0%\n"
	"16s  delay 25ms 5ms rate 864kbit loss 0%\n"
	"17s  delay 25ms 5ms rate 804kbit loss 0%\n"
	"18s  delay 25ms 5ms rate 1308kbit loss 0%\n"
	"19s  delay 25ms 5ms rate 672kbit loss 0%\n"
	"20s  delay 25ms 5ms rate 36kbit loss 0%\n"
	"21s  delay 25ms 5ms rate 0 loss 100%\n"
	"22s  delay 25ms 5ms rate 0 loss 100%\n"
	"23s  delay 25ms 5ms rate 0 loss 100%\n"
	"24s  delay 25ms 5ms rate 60kbit loss 0%\n"
	"25s  delay 25ms 5ms rate 1164kbit loss 0%\n"
	"26s  delay 25ms 5ms rate 1332kbit loss 0%\n"
	"27s  delay 25ms 5ms rate 1464kbit loss 0%\n"
	"28s  delay 25ms 5ms rate 1428kbit loss 0%\n"
	"29s  delay 25ms 5ms rate 1512kbit loss 0%\n"
	"30s  delay 25ms 5ms rate 1428kbit loss 0%\n"
	"31s  delay 25ms 5ms rate 1392kbit loss 0%\n"
	"32s  delay 25ms 5ms rate 1428kbit loss 0%\n"
	"33s  delay 25ms 5ms rate 1248kbit loss 0%\n"
	"34s  delay 25ms 5ms rate 1716kbit loss 0%\n"
	"35s  delay 25ms 5ms rate 1440kbit loss 0%\n"
	"36s  delay 25ms 5ms rate 1596kbit loss 0%\n"
	"37s  delay 25ms 5ms rate 1608kbit loss 0%\n"
	"38s  delay 25ms 5ms rate 1740kbit loss 0%\n"
	"39s  delay 25ms 5ms rate 1488kbit loss 0%\n"
	"40s  delay 25ms 5ms rate 1260kbit loss 0%\n"
	"41s  delay 25ms 5ms rate 1704kbit loss 0%\n"
	"42s  delay 25ms 5ms rate 1500kbit loss 0%\n"
	"43s  delay 25ms 5ms rate 1308kbit loss 0%\n"
	"44s  delay 25ms 5ms rate 1344kbit loss 0%\n"
	"45s  delay 25ms 5ms rate 1680kbit loss 0%\n"
	"46s  delay 25ms 5ms rate 1764kbit loss 0%\n"
	"47s  delay 25ms 5ms rate 2028kbit loss 0%\n"
	"48s  delay 25ms 5ms rate 1560kbit loss 0%\n"
	"49s  delay 25ms 5ms rate 1380kbit loss 0%\n"
	"50s  delay 25ms 5ms rate 1812kbit loss 0%\n"
	"51s  delay 25ms 5ms rate 1584kbit loss 0%\n"
	"52s  delay 25ms 5ms rate 1272kbit loss 0%\n"
	"53s  delay 25ms 5ms rate 1596kbit loss 0%\n"
	"54s  delay 25ms 5ms rate 1548kbit loss 0%\n"
	"55s  delay 25ms 5ms rate 1656kbit loss 0%\n"
	"56s  delay 25ms 5ms rate 2244kbit loss 0%\n"
	"57s  delay 25ms 5ms rate 1704kbit loss 0%\n"
	"58s  delay 25ms 5ms rate 1788kbit loss 0%\n"
	"59s  delay 25ms 5ms rate 1956kbit loss 0%\n"
	"60s  end\n";

/*
 * wifi-congested. A crowded Wi-Fi cell (a café, a conference hall): the
 * station's share of airtime, and with it rate, delay and jitter, moves
 * between light, moderate and heavy contention every few seconds. Losses
 * come in bursts (collisions, interference), as a Gilbert-Elliott model:
 * `gemodel p r 1-h 1-k` (p: good to bad, r: bad to good, 1-h: loss while
 * bad, 1-k: loss while good). Light: about 0.1% loss, bursts of ~2
 * packets; moderate: ~0.7%, bursts of ~3; heavy: ~4.5%, bursts of ~4.
 * A 100-packet queue keeps the worst one-way delay near 250 ms at 5 Mbit/s,
 * the 99th percentile of Wi-Fi hop latency Sui et al. measured.
 */
static const char wifi_down[] =
	"# light\n"
	"0      delay 3ms 2ms rate 40mbit loss gemodel 0.5% 50% 10% 0% limit 100\n"
	"# moderate\n"
	"8s     delay 10ms 8ms rate 15mbit loss gemodel 1% 30% 20% 0.1% limit 100\n"
	"# heavy\n"
	"18s    delay 30ms 25ms rate 5mbit loss gemodel 3% 25% 40% 0.2% limit 100\n"
	"23s    delay 10ms 8ms rate 15mbit loss gemodel 1% 30% 20% 0.1% limit 100\n"
	"30s    delay 3ms 2ms rate 40mbit loss gemodel 0.5% 50% 10% 0% limit 100\n"
	"36s    delay 30ms 25ms rate 5mbit loss gemodel 3% 25% 40% 0.2% limit 100\n"
	"44s    delay 10ms 8ms rate 15mbit loss gemodel 1% 30% 20% 0.1% limit 100\n"
	"54s    delay 3ms 2ms rate 40mbit loss gemodel 0.5% 50% 10% 0% limit 100\n"
	"60s    end\n";

static const char wifi_up[] =
	"0      delay 3ms 2ms rate 20mbit loss gemodel 0.5% 50% 10% 0% limit 100\n"
	"8s     delay 10ms 8ms rate 8mbit loss gemodel 1% 30% 20% 0.1% limit 100\n"
	"18s    delay 30ms 25ms rate 2mbit loss gemodel 3% 25% 40% 0.2% limit 100\n"
	"23s    delay 10ms 8ms rate 8mbit loss gemodel 1% 30% 20% 0.1% limit 100\n"
	"30s    delay 3ms 2ms rate 20mbit loss gemodel 0.5% 50% 10% 0% limit 100\n"
	"36s    delay 30ms 25ms rate 2mbit loss gemodel 3% 25% 40% 0.2% limit 100\n"
	"44s    delay 10ms 8ms rate 8mbit loss gemodel 1% 30% 20% 0.1% limit 100\n"
	"54s    delay 3ms 2ms rate 20mbit loss gemodel 0.5% 50% 10% 0% limit 100\n"
	"60s    end\n";

const struct shipped_schedule shipped_schedules[] = {
	{
		"leo-starlink",
		"LEO satellite (Starlink-like): a new satellite every 15 s, each change a 300 ms "
		"spike of delay and loss, then new RTT (30..55 ms) and capacity (70..220 Mbit/s "
		"down, 8..20 up) for the slot",
		"Mohan et al., A Multifaceted Look at Starlink Performance, ACM WWW 2024, "
		"arXiv:2310.09242 (globally synchronized 15 s reconfigurations, sub-second latency "
		"and throughput degradations); Tanveer et al., Making Sense of Constellations, "
		"arXiv:2307.00402 (a global controller allocating satellites to terminals); "
		"Garcia, Sundberg, Brunstrom, A Detailed Characterization of Starlink One-way "
		"Delay, LEO-NET 2025 (uplink delay more affected by the 15 s cycle); SpaceX's "
		"presentation to the FCC, October 2020 (beta: ping below 20 ms, 103 Mbit/s down, 42 up)",
		leo_down,
		leo_up,
	},
	{
		"train-tunnel",
		"A train on LTE entering a tunnel: 20 s of jittery open line, 3 s of fading, 15 s "
		"outage (all packets lost), 3 s slow re-attach (200 ms delay), recovery",
		"Wang et al., An Active-Passive Measurement Study of TCP Performance over LTE on "
		"High-speed Rails, ACM MobiCom 2019 (frequent handovers, loss and RTT inflation); "
		"Xu et al., A First Look at Disconnection-Centric TCP Performance on High-Speed "
		"Railways, IEEE JSAC 38(12), 2020 (LTE disconnections and TCP stalls); Mott "
		"MacDonald for Ofcom, Rail 'Not-spots': Technical Solutions and Practical Issues, "
		"2012 (tunnels and cuttings as coverage not-spots); outage length: tunnel length "
		"over train speed",
		train_down,
		train_up,
	},
	{
		"lte-drive",
		"LTE while driving: capacity changes every second (0.3..28 Mbit/s down, "
		"0..13 up, with uplink outages), 50 ms idle RTT",
		"mahimahi's ATT-LTE-driving-2016 traces (github.com/ravinet/mahimahi, traces/; "
		"recorded with the Saturator of Winstein, Sivaraman, Balakrishnan, Stochastic "
		"Forecasts Achieve High Throughput and Low Delay over Cellular Networks, USENIX "
		"NSDI 2013), first 60 s in 1 s windows; 50 ms RTT as npte's 4g profiles "
		"(bassosimone/npte lab/netem.go)",
		lte_down,
		lte_up,
	},
	{
		"wifi-congested",
		"Crowded Wi-Fi: light, moderate and heavy contention in turn (40/15/5 Mbit/s down, "
		"jitter up to 25 ms), bursty Gilbert-Elliott loss up to ~4.5%",
		"Sui et al., Characterizing and Improving WiFi Latency in Large-Scale Operational "
		"Networks, ACM MobiSys 2016 (Wi-Fi latency 90th percentile ~20 ms, 99th ~250 ms); "
		"Pei et al., WiFi Can Be the Weakest Link of Round Trip Network Latency in the "
		"Wild, IEEE INFOCOM 2016 (over half of TCP packets see > 20 ms on the Wi-Fi hop, "
		"10% > 100 ms); Carvalho, Angeja, Navarro, A New Packet Loss Model of the IEEE "
		"802.11g Wireless Network for Multimedia Communications, IEEE Trans. Consumer "
		"Electronics, 2005 (bursty 802.11 loss, Gilbert-Elliott as its baseline)",
		wifi_down,
		wifi_up,
	},
	{NULL, NULL, NULL, NULL, NULL},
};

const struct shipped_schedule *shipped_schedule_find(const char *name)
{
	for (const struct shipped_schedule *p = shipped_schedules; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}
