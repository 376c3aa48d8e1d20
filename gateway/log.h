/*
 * log.h: the gateway's log (SPEC 3.8): stderr or syslog, a level
 * threshold, and per-event rate limiting.  Thread-safe.
 */
#ifndef XFF_LOG_H
#define XFF_LOG_H

#include "config.h"

/* Lines allowed per event name and second before suppression starts. */
#define LOG_RATE_PER_SEC	5

/*
 * Sets the target and threshold.  debug forces debug level on stderr
 * whatever the other arguments say.  May be called again (SIGHUP).
 */
void	log_setup(int use_syslog, enum log_level level, int debug);

/* Returns 1 when a message of level l would be written. */
int	log_enabled(enum log_level l);

/*
 * Writes one line "<level> <text>" where text is the printf-style
 * message.  When event is not NULL the line is rate-limited under that
 * name: beyond LOG_RATE_PER_SEC lines in a second, lines are counted
 * instead, and the next line of that name (or log_tick()) first writes
 * "<level> <event> suppressed=K".
 */
void	log_msg(enum log_level l, const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Writes the pending "suppressed=K" lines of past seconds; call about once a second. */
void	log_tick(void);

#endif
