/*
 * clock.h: the monotonic clock in milliseconds, for deadlines and
 * durations inside the gateway.
 */
#ifndef XFF_CLOCK_H
#define XFF_CLOCK_H

#include <time.h>

/* Returns the monotonic time in ms (0 if the clock cannot be read). */
static inline long long
clock_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
