/*
 * log.h: the gateway's log (SPEC 3.8): stderr, syslog or a file, a level
 * threshold, and per-event rate limiting.  Lines on stderr and in a file
 * start with an ISO 8601 local time stamp, except on stderr captured by
 * the journal (JOURNAL_STREAM); syslog stamps its own.  Thread-safe;
 * log_open, log_reload, log_reopen and log_close are for the main thread.
 */
#ifndef XFF_LOG_H
#define XFF_LOG_H

#include <stddef.h>

#include "config.h"

/* Lines allowed per event name and second before suppression starts. */
#define LOG_RATE_PER_SEC	5

/*
 * Sets the target and threshold of cfg at start-up, opening a [log]
 * target file for appending (created with mode 0640).  debug forces
 * debug level on stderr whatever cfg says.  Returns 0, or -1 with the
 * reason, naming the file, in err (lines then go to stderr).
 */
int	log_open(const struct config *cfg, int debug, char *err, size_t errcap);

/*
 * Takes the target and threshold of a reloaded cfg (SIGHUP).  A file
 * already open under the same path is kept; a new file that cannot be
 * opened leaves the current target in place and logs an error.
 */
void	log_reload(const struct config *cfg, int debug);

/*
 * Reopens the log file under its path (SIGUSR1, after a rotation renamed
 * it).  When that fails, lines keep going to the file already open and
 * an error says so.  Does nothing for stderr and syslog.
 */
void	log_reopen(void);

/* Returns 1 when lines go to standard error. */
int	log_on_stderr(void);

/* Closes the log file or syslog; later lines go to stderr. */
void	log_close(void);

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
