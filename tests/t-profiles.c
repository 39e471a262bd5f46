/* Lab profiles: every built-in direction parses and obeys the reference's rule;
 * the rule itself rejects each way of breaking it. */
#include <string.h>
#include "tap.h"
#include "shape/profiles.h"
#include "shape/shape.h"

static bool parses(const struct link_dir *d, struct err *e)
{
	static struct netem_spec s;
	char words[SHAPE_WORDS_LEN];
	uint64_t r;

	return profile_words(d, words, sizeof words, 15.625, e) &&
	       netem_parse_str(&s, words, 15.625, e) &&
	       (!d->child_rate || shape_rate(d->child_rate, &r, e)) &&
	       (!d->child || strcmp(d->child, "cake") == 0 || strcmp(d->child, "tbf") == 0);
}

int main(void)
{
	struct err e;
	int count = 0;
	static const struct link_dir bad[] = {
		{.rate = "10mbit"},                                          /* no delay */
		{.delay = "10ms"},                                           /* no bottleneck */
		{.delay = "10ms", .rate = "1mbit", .child = "cake", .child_rate = "1mbit"}, /* two */
		{.delay = "10ms", .limit = "100", .child = "cake", .child_rate = "1mbit"},  /* limit w/o rate */
		{.delay = "10ms", .child = "cake"},                          /* child without rate */
	};

	for (const struct profile *p = profiles; p->name; p++, count++) {
		const struct link_dir *dir[2] = {&p->down, &p->up};

		ok(p->desc && p->desc[0] && p->source && p->source[0], "%s: described, with a source", p->name);
		for (int i = 0; i < 2; i++) {
			e = (struct err){0};
			ok(profile_dir_ok(dir[i], &e), "%s %s: one bottleneck, a delay (%s)",
			   p->name, i ? "up" : "down", e.msg);
			e = (struct err){0};
			ok(parses(dir[i], &e), "%s %s: knobs parse (%s)", p->name, i ? "up" : "down", e.msg);
		}
		ok(profile_find(p->name) == p, "%s: found by name", p->name);
	}
	ok(count >= 4, "at least the two reference profiles and two more (%d)", count);
	ok(profile_find("4g-bloated") && profile_find("4g-managed"), "the reference's profiles are there");
	ok(profile_find("nope") == NULL, "an unknown profile is not found");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e = (struct err){0};
		ok(!profile_dir_ok(&bad[i], &e) && e.msg[0], "broken direction %zu refused: %s", i, e.msg);
	}
	return done_testing();
}
