/*
 * The schedules npte ships for `npte-lab play --profile NAME`: each is two
 * texts in the schedule file format (schedule.h), one per direction, parsed
 * by the same parser as a user's file, with the sources of its figures for
 * --list. t-schedule parses and checks every one of them.
 */
#ifndef NPTE_SCHEDULES_H
#define NPTE_SCHEDULES_H

struct shipped_schedule {
	const char *name;
	const char *desc;   /* one line: what the link does */
	const char *source; /* where the figures come from (papers, measurements) */
	const char *down;   /* router -> client (router's if-client) */
	const char *up;     /* router -> server (router's if-server) */
};

/* Ended by an entry whose name is NULL. */
extern const struct shipped_schedule shipped_schedules[];
const struct shipped_schedule *shipped_schedule_find(const char *name);

#endif
