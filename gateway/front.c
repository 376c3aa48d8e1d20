/*
 * front.c: per-request handling on the front side (libfcgi).
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial.h"
#include "escape.h"
#include "fcgx.h"
#include "frontio.h"
#include "front.h"
#include "log.h"
#include "stats.h"

#define LOGLINE_MAX	4096

/* Prepares a worker's reusable state. */
int
front_init(struct front *f)
{
	memset(f, 0, sizeof(*f));
	f->incap = 64;
	if ((f->in = calloc(f->incap, sizeof(*f->in))) == NULL)
		return -1;
	if (backend_init(&f->bk) == -1) {
		free(f->in);
		f->in = NULL;
		return -1;
	}
	result_init(&f->res);
	return 0;
}

/* Releases a worker's state. */
void
front_free(struct front *f)
{
	backend_free(&f->bk);
	result_free(&f->res);
	free(f->in);
	f->in = NULL;
	f->incap = 0;
}

/* A status the gateway answers itself: its reason phrase and counter. */
struct own_status {
	int		 status;
	const char	*text;
	atomic_ulong	*count;
};

/* Returns the entry of status; any other status is answered as 500. */
static const struct own_status *
own_status(int status)
{
	static const struct own_status	tab[] = {
		{ 400, "Bad Request", &stats.rejected_400 },
		{ 404, "Not Found", &stats.rejected_404 },
		{ 502, "Bad Gateway", &stats.backend_502 },
		{ 503, "Service Unavailable", &stats.backend_503 },
		{ 504, "Gateway Timeout", &stats.backend_504 },
		{ 500, "Internal Server Error", &stats.errors_500 },
	};
	size_t				i;

	for (i = 0; i + 1 < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].status == status)
			break;
	return &tab[i];
}

/*
 * Reads the rest of the request body and drops it (keeps kept-alive
 * fronts clean); a body that does not come, or a stray record in it,
 * closes the connection after the answer instead.
 */
static void
drain_body(struct front *f, const struct config *cfg, FCGX_Request *req)
{
	switch (front_drain(req, f->bk.buf, BACKEND_BUFSZ,
	    dial_ms(cfg->front_timeout))) {
	case FRONT_DRAINED:
		return;
	case FRONT_DRAIN_TIMEOUT:
		STATS_INC(stats.front_timeouts);
		log_msg(LOG_LVL_WARNING, "front_timeout", "front_timeout: the "
		    "request body did not arrive within front_timeout at the "
		    "minimum rate (%d KiB/s) while the gateway read it to its "
		    "end", BODY_MIN_RATE / 1024);
		break;
	case FRONT_DRAIN_FAILED:
		break;
	}
	fcgx_close_after(req);
}

/* Answers status itself: drains the body, then writes a plain one-line response. */
static void
answer(struct front *f, const struct config *cfg, FCGX_Request *req,
    int status)
{
	const struct own_status	*st = own_status(status);
	char			 buf[160];
	int			 len;

	STATS_INC(*st->count);
	drain_body(f, cfg, req);
	len = snprintf(buf, sizeof(buf), "Status: %d %s\r\n"
	    "Content-Type: text/plain\r\n\r\n%s\n", st->status, st->text,
	    st->text);
	if (len > 0 && (size_t)len < sizeof(buf))
		FCGX_PutStr(buf, len, req->out);
}

/* Cuts the front connection so the web server sees a truncated response. */
static void
front_abort(FCGX_Request *req)
{
	if (fcgx_fd(req) >= 0)
		shutdown(fcgx_fd(req), SHUT_RDWR);
	fcgx_close_after(req);
}

/* Collects the params from envp into f->in; returns the count, or -1 when over the limit. */
static long
collect(struct front *f, FCGX_Request *req, size_t *total)
{
	char		**e;
	size_t		  n = 0, len;

	*total = 0;
	for (e = req->envp; e != NULL && *e != NULL; e++) {
		/* libfcgi puts its own FCGI_ROLE first */
		if (e == req->envp && strncmp(*e, "FCGI_ROLE=", 10) == 0)
			continue;
		len = strlen(*e);
		*total += len;
		if (*total > FRONT_PARAMS_MAX)
			return -1;
		if (n == f->incap) {
			struct param	*nv;
			size_t		 ncap = f->incap * 2;

			nv = realloc(f->in, ncap * sizeof(*nv));
			if (nv == NULL)
				return -2;
			f->in = nv;
			f->incap = ncap;
		}
		f->in[n++] = param_from_env(*e);
	}
	return (long)n;
}

/* Logs the events of the correction at their own levels. */
static void
log_events(const struct result *r)
{
	char	line[LOGLINE_MAX];
	size_t	i;

	for (i = 0; i < r->nev; i++) {
		if ((int)r->ev[i].kind > 0 && (int)r->ev[i].kind < STATS_NEVENTS)
			STATS_INC(stats.events[r->ev[i].kind]);
		if (!log_enabled(r->ev[i].level))
			continue;
		event_format(r, i, line, sizeof(line));
		log_msg(r->ev[i].level, event_name(r->ev[i].kind), "%s", line);
	}
	if (r->nev_dropped > 0)
		log_msg(LOG_LVL_DEBUG, "events_dropped",
		    "events_dropped count=%zu", r->nev_dropped);
}

/* Logs a request refused before the correction. */
static void
log_refused(FCGX_Request *req, const char *event, const char *what,
    size_t size)
{
	char	peer[128];

	escape_log(xstr_c(FCGX_GetParam("REMOTE_ADDR", req->envp)), 64, peer,
	    sizeof(peer));
	log_msg(LOG_LVL_WARNING, event, "%s peer=%s %s=%zu", event, peer, what,
	    size);
}

/*
 * Returns 0 when the request is not for the status page, 1 when it is
 * and the peer as received (not as corrected) is in status_allow, -1
 * when it is and the peer is not.  The page is the path of REQUEST_URI
 * equal to status_uri.
 */
static int
is_status_request(const struct config *cfg, FCGX_Request *req)
{
	const char	*uri, *peer, *q;
	size_t		 len;

	if (cfg->status_uri == NULL ||
	    (uri = FCGX_GetParam("REQUEST_URI", req->envp)) == NULL)
		return 0;
	q = strchr(uri, '?');
	len = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (len != strlen(cfg->status_uri) ||
	    memcmp(uri, cfg->status_uri, len) != 0)
		return 0;
	peer = FCGX_GetParam("REMOTE_ADDR", req->envp);
	if (peer != NULL &&
	    cidrset_match_peer(&cfg->status_allow, xstr_c(peer)))
		return 1;
	return -1;
}

/* Answers the status page: the counters as Prometheus text. */
static void
answer_status_page(struct front *f, const struct config *cfg,
    FCGX_Request *req)
{
	static const char	 hdr[] = "Status: 200 OK\r\nContent-Type: "
	    "text/plain; version=0.0.4\r\nCache-Control: no-store\r\n\r\n";
	size_t			 len;

	drain_body(f, cfg, req);
	/* the buffer is free again once the body is drained */
	len = stats_format((char *)f->bk.buf, BACKEND_BUFSZ);
	FCGX_PutStr(hdr, (int)sizeof(hdr) - 1, req->out);
	FCGX_PutStr((const char *)f->bk.buf, (int)len, req->out);
}

/* Ends the relay: answers, cuts or drains as its outcome asks. */
static void
relay_end(struct front *f)
{
	const struct config	*cfg = f->cfg;
	FCGX_Request		*req = f->req;
	int			 status = 502;

	switch (backend_end(&f->bk, &status)) {
	case RELAY_ABORT:
		STATS_INC(stats.backend_cut);
		front_abort(req);
		break;
	case RELAY_EARLY:
		/*
		 * The web server may stop sending the body once it has the
		 * response header: waiting for the rest would stall.  Close
		 * the connection after END_REQUEST instead of keeping it.
		 */
		STATS_INC(stats.relayed);
		fcgx_close_after(req);
		break;
	case RELAY_ANSWER:
		answer(f, cfg, req, status);
		break;
	case RELAY_OK:
		STATS_INC(stats.relayed);
		drain_body(f, cfg, req);
		break;
	}
}

/*
 * Serves one request once counted, up to the wait for the backend's
 * answer when may_wait is set (FRONT_WAIT).
 */
static enum front_step
serve(struct front *f, const struct config *cfg, unsigned gen,
    FCGX_Request *req, int may_wait)
{
	size_t	total;
	long	n;

	if (req->role != FREC_RESPONDER) {
		log_refused(req, "unsupported_role", "role",
		    (size_t)req->role);
		answer(f, cfg, req, 400);
		return FRONT_DONE;
	}
	switch (is_status_request(cfg, req)) {
	case 1:
		answer_status_page(f, cfg, req);
		return FRONT_DONE;
	case -1:
		log_refused(req, "status_refused", "allowed", 0);
		answer(f, cfg, req, 404);
		return FRONT_DONE;
	default:
		break;
	}
	if ((n = collect(f, req, &total)) < 0) {
		if (n == -1)
			log_refused(req, "params_too_large", "size", total);
		else
			log_msg(LOG_LVL_ERROR, "out_of_memory",
			    "out_of_memory where=params");
		answer(f, cfg, req, n == -1 ? 400 : 503);
		return FRONT_DONE;
	}
	if (xff_correct(cfg, f->in, (size_t)n, &f->res) == -1) {
		log_msg(LOG_LVL_ERROR, "out_of_memory",
		    "out_of_memory where=correction");
		answer(f, cfg, req, 503);
		return FRONT_DONE;
	}
	log_events(&f->res);
	if (f->res.status != 200) {
		if ((int)f->res.reason > 0 && (int)f->res.reason < STATS_NEVENTS)
			STATS_INC(stats.rejections[f->res.reason]);
		answer(f, cfg, req, f->res.status);
		return FRONT_DONE;
	}
	if (backend_begin(&f->bk, cfg, gen, &f->res.out, req, may_wait) ==
	    RELAY_WAIT)
		return FRONT_WAIT;
	relay_end(f);
	return FRONT_DONE;
}

/* Counts the end of a request and its time. */
static enum front_step
done(struct front *f)
{
	struct timespec	t1;
	long long	us = 0;

	/* without a clock the request counts in the lowest bucket */
	if (f->timed && clock_gettime(CLOCK_MONOTONIC, &t1) == 0)
		us = (long long)(t1.tv_sec - f->t0.tv_sec) * 1000000 +
		    (t1.tv_nsec - f->t0.tv_nsec) / 1000;
	stats_latency(us > 0 ? (unsigned long long)us : 0);
	atomic_fetch_sub_explicit(&stats.in_flight, 1, memory_order_relaxed);
	return FRONT_DONE;
}

/* Serves one request; see front.h. */
enum front_step
front_begin(struct front *f, const struct config *cfg, unsigned gen,
    FCGX_Request *req, int may_wait)
{
	STATS_INC(stats.requests);
	atomic_fetch_add_explicit(&stats.in_flight, 1, memory_order_relaxed);
	f->cfg = cfg;
	f->req = req;
	f->timed = clock_gettime(CLOCK_MONOTONIC, &f->t0) == 0;
	if (serve(f, cfg, gen, req, may_wait) == FRONT_WAIT)
		return FRONT_WAIT;
	return done(f);
}

/* Goes on after FRONT_WAIT; see front.h. */
enum front_step
front_resume(struct front *f, int expired)
{
	if (expired)
		backend_expire(&f->bk);
	else if (backend_resume(&f->bk) == RELAY_WAIT)
		return FRONT_WAIT;
	relay_end(f);
	return done(f);
}

/* Returns the descriptor a waiting request waits on; see front.h. */
int
front_wait_fd(const struct front *f, int *kept)
{
	return backend_wait_fd(&f->bk, kept);
}

/* Returns how long a waiting request may wait; see front.h. */
int
front_wait_ms(const struct front *f)
{
	return backend_wait_ms(&f->bk);
}
