/*
 * mahimahi traces as schedules (schedule.h): the converter behind
 * `npte-netem play --trace-mahimahi`. Pure parsing, as schedule.h.
 */
#ifndef NPTE_MAHIMAHI_H
#define NPTE_MAHIMAHI_H

#include <stdbool.h>
#include <stdint.h>
#include "shape/schedule.h"

#define SCHED_TRACE_MAX (16 * 1024 * 1024)  /* bytes of a mahimahi trace */
#define SCHED_WINDOW_MIN_NS 10000000ULL     /* windows: 10 ms .. */
#define SCHED_WINDOW_MAX_NS 60000000000ULL  /* .. 60 s, whole milliseconds */

/*
 * Convert a mahimahi trace read from fd into rate steps, one per window of
 * window_ns (whole milliseconds, SCHED_WINDOW_MIN_NS..SCHED_WINDOW_MAX_NS;
 * mahimahi's own unit is the millisecond), merging consecutive windows of
 * equal rate into one step. The schedule is one period of the trace
 * (has_end, end_ns = the last timestamp); --loop repeats it as mm-link does.
 *
 * The trace (mm-link(1) and traces/README of github.com/ravinet/mahimahi,
 * and its LinkQueue, read for this): one line per delivery opportunity of
 * 1500 bytes, the line a whole number of milliseconds since the start;
 * timestamps never decrease; a timestamp repeated k times is k opportunities
 * in that millisecond; an empty line or a trace whose last timestamp is 0 is
 * an error there and here. At the end of the trace mm-link starts over,
 * adding the last timestamp L to its base time, so an opportunity stamped L
 * falls on the same instant as one stamped 0 of the next round: those are
 * counted in the first window (in a steady loop that is where they fall).
 * A trace of the single line "1" is thus one opportunity per millisecond
 * (12 Mbit/s), as mahimahi's README says. Traces run to several MiB, so
 * they are read in chunks, never held, up to SCHED_TRACE_MAX bytes.
 *
 * Rate of a window: opportunities x 1500 bytes / window length, rounded to
 * the nearest byte/s (halves up), written as that times 8 `bit`: an exact
 * integer bit/s that tc's bit-to-byte conversion (it divides by 8 and the
 * kernel keeps whole bytes/s) turns back into exactly the same bytes/s.
 * 12 opportunities in 100 ms: 12 x 1500 x 8 / 0.1 = `rate 1440000bit`.
 * The last window of a period that is not a multiple of the window is
 * shorter, and its rate is computed over its own length; one shorter than
 * the step floor (SCHED_STEP_MIN_NS) is folded into the window before it,
 * and the two rated together. So every step of a trace lasts at least the
 * floor, but the only step of a period shorter than it (the trace "1").
 *
 * A window without opportunities is an outage: mahimahi holds packets in
 * its queue until the next opportunity, but netem fixes each packet's
 * departure time when it is queued, so a tiny rate would stamp a packet
 * minutes into the future and hold every later packet behind it, long after
 * the outage. netem's `rate 0` means no limit at all. So an outage is
 * `rate 0 loss 100%` (every packet dropped at enqueue; rate 0 keeps the step
 * fully specified and is harmless while nothing is queued), and every other
 * step carries `loss 0%`: `rate Nbit loss 0%`.
 *
 * extra (may be NULL or empty): more netem words appended to every step,
 * e.g. "delay 20ms", because each change resets the delay to what the step
 * says (mm-delay nested in mm-link, in mahimahi's terms). They may not
 * contain rate or loss (nor their tc abbreviations or tc's synonym drop):
 * the trace owns those. Every step goes through check. true, or false with
 * one line set in e (EXIT_USAGE) and *s unusable.
 */
bool schedule_from_mahimahi(struct schedule *s, int fd, const char *name, uint64_t window_ns,
			    const char *extra, sched_check_fn check, void *arg, struct err *e);

#endif
