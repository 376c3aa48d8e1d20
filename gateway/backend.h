/*
 * backend.h: the gateway's FastCGI client.  Forwards one corrected
 * request to the backend application and relays the response to the
 * front request as it arrives, with bounded memory and timeouts, on a
 * connection from the pool (pool.h).
 */
#ifndef XFF_BACKEND_H
#define XFF_BACKEND_H

#include <fcgiapp.h>

#include "config.h"
#include "params.h"
#include "fcgirec.h"

/* The buffer: one full record plus room to batch small ones. */
#define BACKEND_BUFSZ		(FREC_MAXRECORD + 1024)
/* Backend output read while records to the backend are still queued. */
#define BACKEND_SPILLSZ		8192

/* How backend_relay() ended. */
enum relay_outcome {
	RELAY_OK = 0,		/* the response was relayed in full */
	RELAY_ABORT,		/* output went out, then failure: cut the
				   front connection */
	RELAY_EARLY,		/* relayed in full, but the backend ended the
				   request before the body was read: do not
				   wait for the rest, close the connection */
	RELAY_ANSWER		/* nothing relayed: the caller answers the
				   HTTP status given (400, 502, 503, 504) */
};

/*
 * A worker's buffers.  One large buffer serves both ways in turn: it
 * queues the records to the backend, and once they are out it takes
 * the backend's output; output that comes while records are queued (an
 * early answer) is read into the small spill buffer.  A worker touches
 * one large buffer, whatever its requests do.
 */
struct backend {
	unsigned char	*buf;		/* BACKEND_BUFSZ */
	unsigned char	*spill;		/* BACKEND_SPILLSZ */
};

/* Allocates a worker's buffers; returns 0 or -1 (no memory). */
int	backend_init(struct backend *b);

/* Releases them. */
void	backend_free(struct backend *b);

/*
 * Sends the request made of params pl[0..n) and the front request's body
 * (read from req->in as it arrives) to cfg->backend, and relays STDOUT to
 * req->out and STDERR to req->err as they arrive, and the appStatus.
 * gen identifies cfg, so a kept connection is only reused for the
 * backend it was opened for.  Failures, and waits for a connection
 * longer than backend_wait_warn, are logged.  For RELAY_ANSWER, *status
 * is the status the caller answers (after draining the body); 503 when
 * no connection came within backend_timeout.
 */
enum relay_outcome backend_relay(struct backend *b, const struct config *cfg,
	    unsigned gen, const struct params *pl, FCGX_Request *req,
	    int *status);

/* Formats cfg->backend as "unix:PATH" or "IP:PORT" into buf. */
void	backend_name(const struct sockspec *s, char *buf, size_t cap);

#endif
