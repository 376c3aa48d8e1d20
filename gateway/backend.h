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

/* How a relay ended (backend_end()). */
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
struct relay;
struct pool_conn;

/* How a step of the relay ended. */
enum relay_step {
	RELAY_DONE = 0,		/* call backend_end() */
	RELAY_WAIT		/* the request is out, nothing came back yet:
				   wait for backend_wait_fd() to be readable,
				   then call backend_resume() */
};

struct backend {
	unsigned char		*buf;		/* BACKEND_BUFSZ */
	unsigned char		*spill;		/* BACKEND_SPILLSZ */
	struct relay		*r;		/* the request being relayed */
	struct pool_conn	*conn;		/* its backend connection */
};

/* Allocates a worker's buffers; returns 0 or -1 (no memory). */
int	backend_init(struct backend *b);

/* Releases them. */
void	backend_free(struct backend *b);

/*
 * Starts sending the request made of params pl[0..n) (kept by the
 * caller until backend_end()) and the front request's body (read from
 * req->in as it arrives) to cfg->backend, relaying STDOUT to req->out
 * and STDERR to req->err as they arrive, and the appStatus.  gen
 * identifies cfg, so a kept connection is only reused for the backend
 * it was opened for.  With may_wait set, returns RELAY_WAIT instead of
 * waiting for the first answer byte; otherwise, and whenever the
 * request cannot go out whole at once, the relay runs to its end and
 * RELAY_DONE is returned.  Failures, and waits for a connection longer
 * than backend_wait_warn, are logged.
 */
enum relay_step backend_begin(struct backend *b, const struct config *cfg,
	    unsigned gen, const struct params *pl, FCGX_Request *req,
	    int may_wait);

/*
 * Goes on after RELAY_WAIT once backend_wait_fd() was seen readable:
 * relays to the end (RELAY_DONE), or returns RELAY_WAIT again when
 * nothing came after all.
 */
enum relay_step backend_resume(struct backend *b);

/* After RELAY_WAIT: the backend timeout passed; backend_end() gives 504. */
void	backend_expire(struct backend *b);

/*
 * After RELAY_WAIT: the backend connection to wait on; *kept is 1 when
 * it served earlier requests.
 */
int	backend_wait_fd(const struct backend *b, int *kept);

/* The backend timeout of the request in ms. */
int	backend_wait_ms(const struct backend *b);

/*
 * Ends the relay after RELAY_DONE (or backend_expire()): gives the
 * connection back to the pool and tells how it went.  For
 * RELAY_ANSWER, *status is the status the caller answers (after
 * draining the body); 400 for a param too long for a record, 503 when
 * no connection came within backend_timeout.
 */
enum relay_outcome backend_end(struct backend *b, int *status);

/* Formats cfg->backend as "unix:PATH" or "IP:PORT" into buf. */
void	backend_name(const struct sockspec *s, char *buf, size_t cap);

#endif
