/*
 * backend.h: the gateway's FastCGI client.  Forwards one corrected
 * request to the backend application and relays the response to the
 * front request as it arrives, with bounded memory, timeouts and an
 * optional kept-alive connection per worker.
 */
#ifndef XFF_BACKEND_H
#define XFF_BACKEND_H

#include <fcgiapp.h>

#include "config.h"
#include "params.h"
#include "fcgirec.h"

/* Each way's buffer: one full record plus room to batch small ones. */
#define BACKEND_BUFSZ		(FREC_MAXRECORD + 1024)
/* A kept connection is closed after this many requests ... */
#define BACKEND_MAX_REUSE	1000
/* ... or after this many seconds idle. */
#define BACKEND_IDLE_MAX	60

/* Outcomes of backend_relay() besides an HTTP status to answer. */
#define RELAY_OK		0	/* the response was relayed in full */
#define RELAY_ABORT		1	/* output went out, then failure: cut the front connection */

struct backend {
	int		 fd;		/* kept connection, or -1 */
	unsigned	 gen;		/* config generation fd was opened for */
	unsigned	 nreq;		/* requests completed on fd */
	long		 idle_since;	/* monotonic second fd became idle */
	unsigned char	*wbuf;		/* BACKEND_BUFSZ: records to the backend */
	unsigned char	*rbuf;		/* BACKEND_BUFSZ: bytes from the backend */
};

/* Allocates the buffers; returns 0 or -1 (no memory). */
int	backend_init(struct backend *b);

/* Closes the kept connection, if any. */
void	backend_close(struct backend *b);

/* Closes the connection and releases the buffers. */
void	backend_free(struct backend *b);

/*
 * Sends the request made of params pl[0..n) and the front request's body
 * (read from req->in as it arrives) to cfg->backend, and relays STDOUT to
 * req->out and STDERR to req->err as they arrive, and the appStatus.
 * gen identifies cfg, so a kept connection is only reused for the
 * backend it was opened for.  Failures are logged.  Returns RELAY_OK,
 * RELAY_ABORT, or an HTTP status (400, 502, 503, 504) when nothing was
 * relayed yet and the caller must answer it (after draining the body).
 */
int	backend_relay(struct backend *b, const struct config *cfg, unsigned gen,
	    const struct params *pl, FCGX_Request *req);

/* Formats cfg->backend as "unix:PATH" or "IP:PORT" into buf. */
void	backend_name(const struct sockspec *s, char *buf, size_t cap);

#endif
