/*
 * logfmt.h: pieces of log lines that need no I/O: the time stamp, the
 * check of systemd's JOURNAL_STREAM, and the "config" line that says
 * which proxies and depths are trusted.
 */
#ifndef XFF_LOGFMT_H
#define XFF_LOGFMT_H

#include <stddef.h>
#include <time.h>

#include "config.h"

/* Room for a stamp from logfmt_stamp(), NUL included. */
#define LOGFMT_STAMP_MAX	32

/*
 * Writes the ISO 8601 local time of tm with its offset east of UTC,
 * gmtoff seconds, as "YYYY-MM-DDTHH:MM:SS+HHMM" (a negative offset as
 * "-HHMM"; seconds of the offset are dropped).  Returns the length, or 0
 * with buf holding "" (when cap allows) if it does not fit in cap.
 */
size_t	logfmt_stamp(const struct tm *tm, long gmtoff, char *buf, size_t cap);

/*
 * Writes the log line "STAMP PROG[PID]: LEVEL TEXT\n" into out (cap > 1
 * bytes); without the stamp and its space when stamp is NULL or "".  A
 * line that does not fit is cut and still ends in a newline.  Returns
 * its length (at most cap - 1; a NUL follows).
 */
size_t	logfmt_line(char *out, size_t cap, const char *stamp, const char *prog,
	    long pid, const char *level, const char *text);

/*
 * Returns 1 when s, the value of JOURNAL_STREAM ("DEV:INO", both
 * decimal, as systemd sets it for a service whose output goes to the
 * journal), names the device dev and inode ino; 0 otherwise, also for
 * NULL or a malformed value.
 */
int	logfmt_journal_match(const char *s, unsigned long long dev,
	    unsigned long long ino);

/*
 * Writes the fields of the "config" log line for cfg, loaded from path:
 * "path=P proxies=A,B,unix: x_for=N x_proto=N x_host=N x_port=N
 * x_prefix=N forwarded=N strict=yes|no always_proxy=.. no_spoofing=..
 * header_required=.. loose_unsafe=.. clean=.. rewrite_remote_addr=..
 * exempt=COUNT exempt_stealth=.. keep_original=..".  Networks are written
 * as ADDRESS/LENGTH, "unix:" last, an empty list as "-"; path and the list
 * are escaped as log values (escape.h), the list cut with "..." beyond
 * about 1 kB.  Writes at most cap - 1 bytes and a NUL (cap > 0); returns
 * the length written.
 */
size_t	logfmt_config(const struct config *cfg, const char *path, char *out,
	    size_t cap);

#endif
