/*
 * frontio.h: reading a front request's body and writing its output
 * around libfcgi: every record is checked (fcgirec.h) before libfcgi
 * reads it, so a stray record ends the request instead of hanging a
 * worker, and large output goes out as whole records in one writev.
 */
#ifndef XFF_FRONTIO_H
#define XFF_FRONTIO_H

#include <sys/uio.h>

#include <stddef.h>

#include <fcgiapp.h>

#include "fcgirec.h"

/* What a read of the front's body would meet. */
enum front_in {
	FRONT_IN_READY = 0,	/* body bytes, the end, or an error: no wait */
	FRONT_IN_WAIT,		/* more bytes must come from the web server */
	FRONT_IN_PARTIAL,	/* so far only part of a record header came:
				   the socket polls readable, wait by time */
	FRONT_IN_BAD		/* a record other than the body's: *why */
};

/*
 * Lowest body rate, in bytes per second, that front_timeout alone covers:
 * each BODY_MIN_RATE bytes of body received add one second to the time
 * the body may keep the gateway waiting, so a web server sending at this
 * rate or faster is never cut, and one trickling the body is cut after
 * about front_timeout.
 */
#define BODY_MIN_RATE	(64 * 1024)

/* While only part of a header came, the step between looks, in ms. */
#define FRONT_PARTIAL_MS	20

/*
 * Returns the ms a body may still keep the gateway waiting: timeout_ms
 * plus one second per BODY_MIN_RATE bytes of body, less waited_ms.
 */
long long	body_wait_left(int timeout_ms, long long waited_ms,
		    unsigned long body);

/*
 * Looks at what libfcgi holds and at the socket, without reading:
 * whether front_take() can go without waiting.
 */
enum front_in	front_check(FCGX_Request *req, const char **why);

/*
 * Takes body bytes from the front once front_check() said
 * FRONT_IN_READY: the first byte, then only what libfcgi already
 * holds.  Returns the count, 0 at the end of the body, -1 when the
 * front failed.
 */
long	front_take(FCGX_Request *req, unsigned char *p, size_t cap);

/* How front_drain() ended. */
enum front_drain {
	FRONT_DRAINED = 0,	/* the body was read to its end */
	FRONT_DRAIN_TIMEOUT,	/* its budget (body_wait_left()) ran out */
	FRONT_DRAIN_FAILED	/* error or violation: close */
};

/*
 * Reads the rest of the body and drops it, with buf[0..cap) as scratch
 * space; the waits share one budget (body_wait_left() of timeout_ms).
 */
enum front_drain front_drain(FCGX_Request *req, unsigned char *buf,
	    size_t cap, int timeout_ms);

/* STDOUT pieces gathered for one write to the front. */
#define OUT_PIECES	64

struct outvec {
	struct iovec	 iov[2 * OUT_PIECES];
	unsigned char	 hdr[OUT_PIECES][FREC_HDRLEN];
	int		 n;		/* pieces */
	size_t		 len;		/* their content bytes */
};

/* What out_emit() did. */
enum out_emit {
	OUT_BUFFERED = 0,	/* kept in libfcgi's buffer */
	OUT_WRITTEN,		/* went to the web server */
	OUT_FAILED		/* the front failed */
};

/*
 * Gives the gathered pieces to the front: through libfcgi's buffer
 * when they fit in its free room, else, once that buffer is flushed,
 * as STDOUT records written directly.  Leaves ov empty.
 */
enum out_emit	out_emit(FCGX_Request *req, struct outvec *ov);

#endif
