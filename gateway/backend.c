/*
 * backend.c: the FastCGI client side of the gateway.  One request at a
 * time per connection (request id 1), whole name-value pairs per PARAMS
 * record, the body streamed into STDIN records, the response relayed as
 * it arrives, poll() on the backend socket in both directions so that a
 * backend answering before it reads the body cannot deadlock us.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "active.h"
#include "backend.h"
#include "clock.h"
#include "dial.h"
#include "escape.h"
#include "fcgx.h"
#include "frontio.h"
#include "ipaddr.h"
#include "log.h"
#include "pool.h"
#include "stats.h"

#define REQ_ID		1
/* Longest wait inside one front read once the response has started. */
#define FRONT_READ_TIMEOUT_MS	1000

struct relay {
	struct backend		*b;
	const struct config	*cfg;
	FCGX_Request		*req;
	struct pool_conn	*c;		/* the backend connection */
	const struct params	*pl;		/* the corrected params */
	int			 attempt;	/* 1: the retry */
	int			 refused;	/* a param too long: 400 */
	int			 reused;	/* it came from the pool */
	int			 timeout;	/* backend_timeout in ms */
	size_t			 wlen;		/* bytes queued in b->buf */
	size_t			 gathered;	/* body bytes gathered after them */
	size_t			 woff;		/* of them, bytes sent */
	struct frec_parser	 p;
	int			 ended;		/* END_REQUEST received */
	int			 trailing;	/* bytes followed END_REQUEST */
	int			 complete;	/* the empty STDIN went out */
	int			 relayed;	/* STDOUT was given to the front */
	int			 flushed;	/* and pushed to the web server */
	int			 rcvtimeo;	/* short SO_RCVTIMEO on the front socket */
	int			 front_timeout;	/* front_timeout in ms */
	long long		 front_waited;	/* ms waited for the body, in all */
	long long		 partial_waited; /* ms, output flushed, part of a
					   body record header in the socket */
	int			 front_timed_out; /* the front_timeout ended it */
	int			 cut;		/* the body was not read to its end */
	int			 gotany;	/* a byte came from the backend */
	int			 front_err;	/* the front failed */
	int			 senderr;	/* failure was a send() error */
	int			 peer_gone;	/* the backend closed or reset it */
	int			 no_conn;	/* no connection within backend_timeout */
	unsigned long		 body;		/* body bytes taken from the front */
	int			 status;	/* failure: status to answer */
	const char		*why;		/* failure: what went wrong */
	int			 err;		/* failure: errno or 0 */
};

/* Allocates the buffers. */
int
backend_init(struct backend *b)
{
	memset(b, 0, sizeof(*b));
	b->buf = malloc(BACKEND_BUFSZ);
	b->spill = malloc(BACKEND_SPILLSZ);
	b->r = calloc(1, sizeof(*b->r));
	b->conn = calloc(1, sizeof(*b->conn));
	if (b->buf == NULL || b->spill == NULL || b->r == NULL ||
	    b->conn == NULL) {
		backend_free(b);
		return -1;
	}
	return 0;
}

/* Frees the buffers. */
void
backend_free(struct backend *b)
{
	free(b->buf);
	free(b->spill);
	free(b->r);
	free(b->conn);
	b->buf = NULL;
	b->spill = NULL;
	b->r = NULL;
	b->conn = NULL;
}

/* Formats a socket spec for the log. */
void
backend_name(const struct sockspec *s, char *buf, size_t cap)
{
	char	ip[IP_TEXT_MAX];

	switch (s->kind) {
	case SOCK_UNIX:
		snprintf(buf, cap, "unix:%s", s->path);
		break;
	case SOCK_TCP:
		ip_format(&s->ip, ip);
		if (s->ip.family == 6)
			snprintf(buf, cap, "[%s]:%u", ip, s->port);
		else
			snprintf(buf, cap, "%s:%u", ip, s->port);
		break;
	default:
		snprintf(buf, cap, "-");
		break;
	}
}

/* Records a failure; returns -1. */
static int
rl_fail(struct relay *r, int status, const char *why, int err)
{
	if (r->why == NULL) {
		r->status = status;
		r->why = why;
		r->err = err;
	}
	return -1;
}

/*
 * Waits at most the relay's timeout for events on the backend socket.
 * Returns the events that came (non-zero), 0 when a signal interrupted
 * the wait (call again), or -1 after recording a poll error or a timeout.
 */
static int
rl_poll(struct relay *r, short events)
{
	struct pollfd	pfd;
	int		k;

	pfd.fd = r->c->fd;
	pfd.events = events;
	pfd.revents = 0;
	active_block();
	k = poll(&pfd, 1, r->timeout);
	if (k == -1) {
		if (errno == EINTR)
			return 0;
		return rl_fail(r, 502, "poll", errno);
	}
	if (k == 0)
		return rl_fail(r, 504, "timeout", 0);
	return pfd.revents;
}

/* Gives the gathered pieces to the front, noting what became of them. */
static enum out_emit
rl_emit(struct relay *r, struct outvec *ov)
{
	enum out_emit	rc = out_emit(r->req, ov);

	if (rc == OUT_FAILED)
		r->front_err = 1;
	else if (rc == OUT_WRITTEN)
		r->flushed = 1;
	return rc;
}

/* Adds a STDOUT piece (dlen <= 65535), emitting first when full. */
static enum out_emit
out_add(struct relay *r, struct outvec *ov, const unsigned char *data,
    size_t dlen)
{
	enum out_emit	rc = OUT_BUFFERED;

	if (ov->n == OUT_PIECES && (rc = rl_emit(r, ov)) == OUT_FAILED)
		return rc;
	ov->iov[2 * ov->n + 1].iov_base = (void *)(uintptr_t)data;
	ov->iov[2 * ov->n + 1].iov_len = dlen;
	ov->n++;
	ov->len += dlen;
	return rc;
}

/*
 * Reads what the backend sent and relays it; with wait set, waits for
 * it up to the backend timeout (the socket's SO_RCVTIMEO).  Returns 0,
 * or -1 on a backend failure (r->why set) or when the front failed
 * (r->front_err).
 */
static int
rl_input(struct relay *r, int wait)
{
	struct outvec		 ov;
	const unsigned char	*data;
	unsigned char		*in = r->b->buf;
	size_t			 pos = 0, dlen, cap = BACKEND_BUFSZ;
	ssize_t			 n;
	int			 dirty = 0;
	enum frec_event		 ev;

	/* the large buffer is taken while records to the backend wait in it */
	if (r->wlen > 0 || r->gathered > 0) {
		in = r->b->spill;
		cap = BACKEND_SPILLSZ;
	}
	n = recv(r->c->fd, in, cap, MSG_DONTWAIT);
	if (n == -1 && wait && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		/* up to the backend timeout (SO_RCVTIMEO) */
		active_block();
		n = recv(r->c->fd, in, cap, 0);
	}
	if (n == 0) {
		r->peer_gone = 1;
		return rl_fail(r, 502, "backend closed the connection", 0);
	}
	if (n == -1) {
		if (errno == EINTR)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return wait ? rl_fail(r, 504, "timeout", 0) : 0;
		if (errno == ECONNRESET)
			r->peer_gone = 1;
		return rl_fail(r, 502, "read", errno);
	}
	if (!r->gotany)
		pool_answered(r->c);
	r->gotany = 1;
	ov.n = 0;
	ov.len = 0;
	while (pos < (size_t)n) {
		ev = frec_parse(&r->p, in, (size_t)n, &pos, &data,
		    &dlen);
		if (ev == FREC_NEED)
			break;
		if (ev == FREC_FAIL) {
			/* what came before the violation still goes out */
			if (rl_emit(r, &ov) == OUT_FAILED)
				return -1;
			return rl_fail(r, 502, r->p.error, 0);
		}
		if (ev == FREC_END) {
			r->ended = 1;
			if (pos != (size_t)n)
				r->trailing = 1;
			break;
		}
		if (ev == FREC_OUT) {
			r->relayed = 1;
			dirty = 1;
			if (out_add(r, &ov, data, dlen) == OUT_FAILED)
				return -1;
		} else
			FCGX_PutStr((const char *)data, (int)dlen, r->req->err);
	}
	if (rl_emit(r, &ov) == OUT_FAILED)
		return -1;
	/* stream: push what arrived now; at the end FCGX_Finish_r does it */
	if (dirty && !r->ended) {
		if (FCGX_FFlush(r->req->out) == -1) {
			r->front_err = 1;
			return -1;
		}
		r->flushed = 1;
	}
	return 0;
}

/*
 * Sends the queued bytes, relaying backend output while the backend is
 * not reading.  Returns 0 when all went out, 1 when the backend ended
 * the request first, -1 on failure.
 */
static int
rl_send(struct relay *r)
{
	ssize_t		n;
	int		k;

	while (r->woff < r->wlen) {
		n = send(r->c->fd, r->b->buf + r->woff, r->wlen - r->woff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			r->woff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			r->senderr = 1;
			if (errno == EPIPE || errno == ECONNRESET)
				r->peer_gone = 1;
			return rl_fail(r, 502, "write", errno);
		}
		if ((k = rl_poll(r, POLLIN | POLLOUT)) == -1)
			return -1;
		if (k & (POLLIN | POLLHUP | POLLERR)) {
			if (rl_input(r, 0) == -1)
				return -1;
			if (r->ended)
				return 1;
		}
	}
	r->wlen = r->woff = 0;
	return 0;
}

/* Queues BEGIN_REQUEST and the PARAMS of r->pl, sending full buffers. */
static int
rl_head(struct relay *r)
{
	const struct params	*pl = r->pl;
	unsigned char		*w = r->b->buf;
	size_t			 next = 0;
	long			 k;
	int			 rc;

	r->wlen = frec_begin(w, REQ_ID, r->cfg->keep_conn);
	while (next < pl->n) {
		k = frec_params(REQ_ID, pl->v, pl->n, &next, w + r->wlen,
		    BACKEND_BUFSZ - r->wlen);
		if (k < 0)
			return rl_fail(r, 400, "param too long", 0);
		r->wlen += (size_t)k;
		if (next < pl->n && (rc = rl_send(r)) != 0)
			return rc;
	}
	if (BACKEND_BUFSZ - r->wlen < FREC_HDRLEN && (rc = rl_send(r)) != 0)
		return rc;
	r->wlen += frec_header(w + r->wlen, FREC_PARAMS, REQ_ID, 0, 0);
	return 0;
}

/* Notes a violation of the protocol by the front; returns -1. */
static int
rl_front_bad(struct relay *r, const char *why)
{
	STATS_INC(stats.front_errors);
	log_msg(LOG_LVL_WARNING, "front_protocol_error",
	    "front_protocol_error reason=%s", why);
	r->front_err = 1;
	return -1;
}

/*
 * Waits until the front has body bytes or the backend has output,
 * relaying that output (a backend may answer before reading the body,
 * and nginx then stops sending it).  With probe set, only looks and
 * returns 2 when the front would have to be waited for.  Before any
 * output the waits for the body share one budget over the request:
 * front_timeout plus one second per BODY_MIN_RATE bytes of body received
 * so far; after it each wait may last the backend timeout.  Returns 0
 * when the front can be read, 1 when the backend ended the request, -1
 * on failure.
 */
static int
front_wait(struct relay *r, int probe)
{
	struct pollfd	 pfd[2];
	const char	*why;
	long long	 left, t0, t1;
	enum front_in	 in;
	int		 k;

	for (;;) {
		/* a wait counts from the look at the front, which may repeat */
		t0 = clock_ms();
		switch ((in = front_check(r->req, &why))) {
		case FRONT_IN_READY:
			return 0;
		case FRONT_IN_BAD:
			return rl_front_bad(r, why);
		case FRONT_IN_WAIT:
		case FRONT_IN_PARTIAL:
			break;
		}
		if (probe)
			return 2;
		left = r->flushed ? r->timeout : body_wait_left(r->front_timeout,
		    r->front_waited, r->body);
		if (!r->flushed && left <= 0)
			goto spent;
		if (left > INT_MAX)
			left = INT_MAX;
		/* part of a header waits in the socket: look again shortly */
		if (in == FRONT_IN_PARTIAL && left > FRONT_PARTIAL_MS)
			left = FRONT_PARTIAL_MS;
		pfd[0].fd = r->c->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = fcgx_fd(r->req);
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		active_block();
		k = poll(pfd, in == FRONT_IN_PARTIAL ? 1 : 2, (int)left);
		/* a clock that cannot be read counts nothing: a timeout still ends */
		if ((t1 = clock_ms()) > t0) {
			if (!r->flushed)
				r->front_waited += t1 - t0;
			else if (in == FRONT_IN_PARTIAL)
				r->partial_waited += t1 - t0;
		}
		if (k == -1) {
			if (errno == EINTR)
				continue;
			return rl_fail(r, 502, "poll", errno);
		}
		if (k == 0 && in == FRONT_IN_PARTIAL && (r->flushed ?
		    r->partial_waited < r->timeout :
		    body_wait_left(r->front_timeout, r->front_waited,
		    r->body) > 0))
			continue;
		if (k == 0 && r->flushed)
			return rl_fail(r, 504, "timeout", 0);
		if (k == 0)
			goto spent;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (rl_input(r, 0) == -1)
				return -1;
			if (r->ended)
				return 1;
		}
	}
spent:
	STATS_INC(stats.front_timeouts);
	log_msg(LOG_LVL_WARNING, "front_timeout", "front_timeout: the request "
	    "body did not arrive within front_timeout at the minimum rate "
	    "(%d KiB/s); body=%lu waited_ms=%lld", BODY_MIN_RATE / 1024,
	    r->body, r->front_waited);
	r->front_err = 1;
	r->front_timed_out = 1;
	return -1;
}

/* Sets a receive timeout of ms on the front socket. */
static int
front_rcvtimeo(FCGX_Request *req, int ms)
{
	return dial_sock_timeout(fcgx_fd(req), SO_RCVTIMEO, ms);
}

/*
 * Relays what the backend has sent already, without waiting: between
 * full batches of a body that keeps coming, an early answer still goes
 * out at once.  Returns 0, 1 when the backend ended the request, -1 on
 * failure.
 */
static int
rl_peek(struct relay *r)
{
	struct pollfd	pfd;

	pfd.fd = r->c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* nothing, or a poll error: the next wait on the backend sees it */
	if (poll(&pfd, 1, 0) <= 0 ||
	    !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if (rl_input(r, 0) == -1)
		return -1;
	return r->ended ? 1 : 0;
}

/* Body bytes gathered before they go to the backend in one send. */
#define BODY_BATCH	(BACKEND_BUFSZ - 1024)

/* Closes the open STDIN record of the gathered body bytes, queueing it. */
static void
body_close(struct relay *r)
{
	if (r->gathered > 0)
		r->wlen += frec_wrap(r->b->buf + r->wlen, FREC_STDIN, REQ_ID,
		    r->gathered);
	r->gathered = 0;
}

/*
 * Streams the body into STDIN records and ends the stream.  Body bytes
 * are gathered while the front has more at once, and sent when the
 * batch is full or the front would have to be waited for.  Returns 0
 * when the whole body went out, 1 when the backend ended the request
 * first, 2 when the front stopped sending it (see below), -1 on failure.
 */
static int
rl_body(struct relay *r)
{
	unsigned char	*w = r->b->buf;
	size_t		 room, cap;
	long		 k;
	int		 rc;

	for (;;) {
		/* keep room for a header, padding and the final empty record */
		if (r->wlen + r->gathered + 3 * FREC_HDRLEN + 1024 >
		    BACKEND_BUFSZ || r->wlen + r->gathered >= BODY_BATCH ||
		    r->gathered == FREC_MAXCONTENT) {
			body_close(r);
			if ((rc = rl_send(r)) != 0 || (rc = rl_peek(r)) != 0)
				return rc;
		}
		room = BACKEND_BUFSZ - r->wlen - r->gathered - 3 * FREC_HDRLEN;
		cap = FREC_MAXCONTENT - r->gathered;
		if (cap > room)
			cap = room;
		rc = front_wait(r, r->wlen + r->gathered > 0);
		if (rc == 2) {
			/* nothing more at once: send what came, then wait */
			body_close(r);
			if ((rc = rl_send(r)) != 0)
				return rc;
			continue;
		}
		if (rc != 0)
			return rc;
		/*
		 * Once a response header reached it, nginx stops sending the
		 * body, possibly in the middle of a record, where a read
		 * inside libfcgi would wait forever: from then on, reads of
		 * the front time out.
		 */
		if (r->flushed && !r->rcvtimeo) {
			if (front_rcvtimeo(r->req, FRONT_READ_TIMEOUT_MS) == -1)
				return rl_fail(r, 502, "setsockopt", errno);
			r->rcvtimeo = 1;
		}
		k = front_take(r->req,
		    w + r->wlen + FREC_HDRLEN + r->gathered, cap);
		if (k < 0 && r->rcvtimeo &&
		    (FCGX_GetError(r->req->in) == EAGAIN ||
		    FCGX_GetError(r->req->in) == EWOULDBLOCK)) {
			/*
			 * The body stopped mid-way: send what came, but not
			 * the empty STDIN record (the backend must not take a
			 * cut body for a whole one), and wait for the end.
			 */
			r->cut = 1;
			body_close(r);
			if (r->wlen > 0 && (rc = rl_send(r)) != 0)
				return rc;
			return 2;
		}
		if (k < 0) {
			r->front_err = 1;
			return -1;
		}
		if (k == 0) {
			body_close(r);
			r->wlen += frec_header(w + r->wlen, FREC_STDIN, REQ_ID,
			    0, 0);
			if ((rc = rl_send(r)) != 0)
				return rc;
			r->complete = 1;
			return 0;
		}
		r->body += (unsigned long)k;
		r->gathered += (size_t)k;
	}
}

/*
 * Waits for and relays the response until END_REQUEST: the request is
 * out, so a receive that waits (up to the timeout) replaces a poll.
 */
static int
rl_wait(struct relay *r)
{
	while (!r->ended) {
		if (rl_input(r, 1) == -1)
			return -1;
	}
	return 0;
}

/* Logs a backend failure. */
static void
log_failure(const struct relay *r)
{
	char	name[160], uri[256], err[128];

	backend_name(&r->cfg->backend, name, sizeof(name));
	escape_log(xstr_c(FCGX_GetParam("REQUEST_URI", r->req->envp)), 120,
	    uri, sizeof(uri));
	if (r->err != 0)
		escape_log(xstr_c(strerror(r->err)), 80, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "-");
	log_msg(r->status == 504 ? LOG_LVL_WARNING : LOG_LVL_ERROR,
	    "backend_error", "backend_error backend=%s reason=%s error=%s "
	    "reused=%d relayed=%d uri=%s", name, r->why, err, r->reused,
	    r->relayed, uri);
}

/* Escapes the reason words: spaces become '_' (static text, no other bytes). */
static const char *
reason_word(const char *why, char *buf, size_t cap)
{
	size_t	i;

	for (i = 0; why[i] != '\0' && i + 1 < cap; i++)
		buf[i] = why[i] == ' ' ? '_' : why[i];
	buf[i] = '\0';
	return buf;
}

/* Returns 1 for the methods a retry cannot harm (RFC 9110 9.2.2 safe ones). */
static int
idempotent(FCGX_Request *req)
{
	const char	*m = FCGX_GetParam("REQUEST_METHOD", req->envp);

	return m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "OPTIONS") == 0);
}

/*
 * Takes what pool_get() or pool_redial() got.  Returns 0 with a
 * connection in r->c, else -1 with the failure recorded.
 */
static int
rl_got(struct relay *r, enum pool_got got)
{
	switch (got) {
	case POOL_GOT_IDLE:
		r->reused = 1;
		STATS_INC(stats.backend_reused);
		return 0;
	case POOL_GOT_NEW:
		r->reused = 0;
		return 0;
	case POOL_TIMED_OUT:
		r->no_conn = 1;
		return rl_fail(r, 503, "no free backend connection", 0);
	case POOL_NO_DESCRIPTORS:
		/* out of descriptors is our overload, not the backend's fault */
		return rl_fail(r, 503, "connect", r->c->err);
	case POOL_CONNECT_FAILED:
		break;
	}
	return rl_fail(r, 502, "connect", r->c->err);
}

/*
 * Clears the state of one attempt, keeping the connection (which lives
 * outside r: the pool may link it into its lists).
 */
static void
rl_reset(struct relay *r, struct backend *b, const struct config *cfg,
    FCGX_Request *req, const struct params *pl)
{
	struct pool_conn	*c = r->c;
	int			 reused = r->reused;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->reused = reused;
	r->b = b;
	r->cfg = cfg;
	r->req = req;
	r->pl = pl;
	r->timeout = dial_ms(cfg->backend_timeout);
	r->front_timeout = dial_ms(cfg->front_timeout);
	frec_parser_init(&r->p, REQ_ID);
}

/* Logs a wait in line for a connection: too long, or in vain. */
static void
log_wait(const struct relay *r)
{
	char	name[160], uri[256];

	backend_name(&r->cfg->backend, name, sizeof(name));
	escape_log(xstr_c(FCGX_GetParam("REQUEST_URI", r->req->envp)), 120,
	    uri, sizeof(uri));
	if (r->no_conn)
		log_msg(LOG_LVL_ERROR, "backend_no_connection",
		    "backend_no_connection backend=%s waited_ms=%lld "
		    "backend_max_conns=%d uri=%s", name, r->c->waited_ms,
		    r->cfg->backend_max_conns, uri);
	else
		log_msg(LOG_LVL_WARNING, "backend_wait", "backend_wait "
		    "backend=%s waited_ms=%lld backend_max_conns=%d uri=%s",
		    name, r->c->waited_ms, r->cfg->backend_max_conns, uri);
}

/*
 * After a failed attempt: when a kept connection the backend had closed
 * failed before any answer (some backends ignore FCGI_KEEP_CONN and
 * close right after END_REQUEST), and no body byte was taken from the
 * front yet, and either the request did not go out whole or it is
 * idempotent, prepares a second attempt on a new connection.  Returns 1
 * when it did.
 */
static int
rl_retry(struct relay *r)
{
	if (r->attempt > 0 || r->front_err || !r->reused || !r->peer_gone ||
	    r->body != 0 || r->gotany || r->relayed ||
	    !(r->senderr || idempotent(r->req)))
		return 0;
	log_msg(LOG_LVL_DEBUG, NULL, "backend_retry "
	    "reason=stale_kept_connection");
	rl_reset(r, r->b, r->cfg, r->req, r->pl);
	r->attempt = 1;
	return rl_got(r, pool_redial(r->cfg, r->c)) == 0;
}

/*
 * Sends the request and relays the answer on the connection in r->c,
 * retrying once (rl_retry()).  With may_wait set, returns RELAY_WAIT
 * once the whole request is out and nothing has come back yet: the
 * caller waits for the connection to become readable and calls
 * backend_resume().  Otherwise returns RELAY_DONE: r->ended,
 * r->front_err and r->why tell how it ended.
 */
static enum relay_step
rl_run(struct relay *r, int may_wait)
{
	int	rc;

	for (;;) {
		if ((rc = rl_head(r)) == 0)
			rc = rl_body(r);
		if (rc == 0 && may_wait && !r->gotany && !r->ended)
			return RELAY_WAIT;
		if (rc == 0 || rc == 2)
			rc = rl_wait(r);
		if (rc >= 0 || !rl_retry(r))
			return RELAY_DONE;
	}
}

/* Starts forwarding one request; see backend.h. */
enum relay_step
backend_begin(struct backend *b, const struct config *cfg, unsigned gen,
    const struct params *pl, FCGX_Request *req, int may_wait)
{
	struct relay	*r = b->r;
	size_t		 i;

	memset(r, 0, sizeof(*r));
	r->c = b->conn;
	r->c->fd = -1;
	rl_reset(r, b, cfg, req, pl);
	for (i = 0; i < pl->n; i++) {
		size_t	len = frec_pairlen(pl->v[i].name.len,
		    pl->v[i].value.len);

		if (len == 0 || len > FREC_MAXCONTENT) {
			char	nm[128];

			escape_log(pl->v[i].name, 64, nm, sizeof(nm));
			log_msg(LOG_LVL_WARNING, "param_too_long",
			    "param_too_long name=%s size=%zu", nm, len);
			r->refused = 1;
			return RELAY_DONE;
		}
	}
	if (rl_got(r, pool_get(cfg, gen, r->c)) == -1)
		return RELAY_DONE;
	if (r->c->waited_ms >= dial_ms(cfg->backend_wait_warn))
		log_wait(r);
	return rl_run(r, may_wait);
}

/* Goes on once the connection is readable; see backend.h. */
enum relay_step
backend_resume(struct backend *b)
{
	struct relay	*r = b->r;

	if (rl_input(r, 0) == 0) {
		if (!r->gotany && !r->ended)
			return RELAY_WAIT;	/* nothing came after all */
		if (rl_wait(r) == 0)
			return RELAY_DONE;
	}
	if (!rl_retry(r))
		return RELAY_DONE;
	return rl_run(r, 0);
}

/* Gives up the wait; see backend.h. */
void
backend_expire(struct backend *b)
{
	(void)rl_fail(b->r, 504, "timeout", 0);
}

/* Returns the connection to wait on; see backend.h. */
int
backend_wait_fd(const struct backend *b, int *kept)
{
	*kept = b->r->c->nreq > 0;
	return b->r->c->fd;
}

/* Returns the relay's backend timeout; see backend.h. */
int
backend_wait_ms(const struct backend *b)
{
	return b->r->timeout;
}

/* Ends the relay; see backend.h. */
enum relay_outcome
backend_end(struct backend *b, int *status)
{
	struct relay		*r = b->r;
	const struct config	*cfg = r->cfg;
	FCGX_Request		*req = r->req;
	enum relay_outcome	 rc;
	char			 word[64];
	int			 keep = 0;

	if (r->refused) {
		*status = 400;
		return RELAY_ANSWER;
	}
	/* reads of the front wait front_timeout again */
	if (r->rcvtimeo)
		front_rcvtimeo(req, dial_ms(cfg->front_timeout));
	if (r->front_err) {
		/* a front_timeout was logged as such */
		if (!r->front_timed_out)
			log_msg(LOG_LVL_INFO, "front_error",
			    "front_error reason=client_went_away");
		rc = RELAY_ABORT;
	} else if (r->no_conn) {
		log_wait(r);
		*status = r->status;
		rc = RELAY_ANSWER;
	} else if (!r->ended) {
		r->why = reason_word(r->why != NULL ? r->why : "unknown", word,
		    sizeof(word));
		log_failure(r);
		*status = r->status != 0 ? r->status : 502;
		rc = r->relayed ? RELAY_ABORT : RELAY_ANSWER;
	} else if (r->p.proto_status != FREC_REQUEST_COMPLETE) {
		r->status = r->p.proto_status == FREC_OVERLOADED ? 503 : 502;
		snprintf(word, sizeof(word), "protocol_status_%d",
		    r->p.proto_status);
		r->why = word;
		log_failure(r);
		/* a refusal after output: the response is not whole */
		*status = r->status;
		rc = r->relayed ? RELAY_ABORT : RELAY_ANSWER;
	} else {
		FCGX_SetExitStatus((int)r->p.app_status, req->out);
		keep = cfg->keep_conn && r->complete && !r->trailing &&
		    r->woff == r->wlen;
		/* the backend answered before the end of the body */
		rc = r->cut || (!r->complete && !FCGX_HasSeenEOF(req->in)) ?
		    RELAY_EARLY : RELAY_OK;
	}
	pool_release(r->c, keep);
	return rc;
}
