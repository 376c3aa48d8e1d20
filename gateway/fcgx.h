/*
 * fcgx.h: every use of libfcgi beyond its documented API, in one place:
 * a request reading from a descriptor the gateway accepted itself, the
 * state of its input and output streams, and the start-up check that
 * the library behaves as these uses assume (libfcgi 2.4.x).
 */
#ifndef XFF_FCGX_H
#define XFF_FCGX_H

#include <stddef.h>

#include <fcgiapp.h>

/* What fcgx_next() got from a connection. */
enum fcgx_next {
	FCGX_NEXT_REQUEST = 0,		/* a request: serve, then FCGX_Finish_r */
	FCGX_NEXT_CLOSED		/* libfcgi refused it and closed the
					   descriptor */
};

/* Prepares req to read requests from the connected descriptor fd. */
void	fcgx_conn(FCGX_Request *req, int fd);

/*
 * Reads the next request from req's connection, whose head the caller
 * checked is present and well-formed.
 */
enum fcgx_next fcgx_next(FCGX_Request *req);

/* Returns req's descriptor, or -1 once libfcgi closed it. */
int	fcgx_fd(const FCGX_Request *req);

/* Makes the end of the request close the connection instead of keeping it. */
void	fcgx_close_after(FCGX_Request *req);

/* What fcgx_finish() left of the connection. */
enum fcgx_finish {
	FCGX_FINISH_KEPT = 0,		/* open, kept for the next request */
	FCGX_FINISH_CLOSE,		/* open, but the request did not keep
					   it: the caller closes it */
	FCGX_FINISH_CLOSED		/* a stream failed: libfcgi closed the
					   descriptor, at once */
};

/*
 * Ends the request as FCGX_Finish_r() does (the output flushed, the
 * END_REQUEST record sent) but never with libfcgi's lingering close,
 * which reads from the peer until it closes or stays silent 2 s and
 * would hold the thread that long or, for a peer that keeps sending, for
 * ever: a connection to close is left open for the caller.
 */
enum fcgx_finish fcgx_finish(FCGX_Request *req);

/* The state of a request's input stream, as libfcgi holds it. */
struct fcgx_in {
	int			 ready;		/* a read needs no more bytes:
						   content delivered, or the end */
	const unsigned char	*raw;		/* bytes read, not yet parsed */
	size_t			 rawlen;
	size_t			 clen;		/* content left in the record */
	size_t			 plen;		/* its padding left */
};

/* Fills st; returns 0, or -1 when libfcgi's state is not as expected. */
int	fcgx_in_state(const FCGX_Stream *in, struct fcgx_in *st);

/* Content bytes the input stream holds, delivered and not yet taken. */
size_t	fcgx_in_avail(const FCGX_Stream *in);

/* Room left in the output stream's buffer; 0 when closed or failed. */
size_t	fcgx_out_room(const FCGX_Stream *out);

/* Marks the output stream failed with errno err, as libfcgi does. */
void	fcgx_out_fail(FCGX_Stream *out, int err);

/*
 * Checks, once at start-up, that libfcgi behaves as the uses above
 * assume: a request is read from a descriptor set by hand, a connection
 * stays open after fcgx_finish(), the input stream's state
 * reads as expected, and a connection the peer closed comes back as
 * FCGX_NEXT_CLOSED with the descriptor closed.  Returns 0, or -1 with
 * the difference in err.
 */
int	fcgx_selfcheck(char *err, size_t cap);

#endif
