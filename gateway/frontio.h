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
	FRONT_IN_BAD		/* a record other than the body's: *why */
};

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
	FRONT_DRAIN_FAILED	/* error, violation or timeout: close */
};

/*
 * Reads the rest of the body and drops it, waiting at most timeout_ms
 * for each piece, with buf[0..cap) as scratch space.
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
