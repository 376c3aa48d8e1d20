/*
 * dispatch.c: front connections parked in one epoll set, served by a
 * fixed set of worker threads (dispatch.h).
 *
 * Every connection lives in a slot of a table of max_conns entries;
 * the slot's state word (an epoch and a state) is changed only by
 * compare-and-swap, so the worker that an event woke, the sweeper of
 * overdue heads and the drain never own one connection at once.
 * Nothing touches a connection once it is handed to epoll: it is
 * parked with the state PARKING, and whoever takes it next (an event,
 * or the parker itself finishing with PARKED) wins by CAS.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "cfgref.h"
#include "clock.h"
#include "dial.h"
#include "dispatch.h"
#include "fcgirec.h"
#include "fcgx.h"
#include "ipaddr.h"
#include "front.h"
#include "log.h"
#include "stats.h"

#define WORKER_STACK	(512 * 1024)
#define TAG_LISTEN	UINT64_MAX
#define TAG_STOP	(UINT64_MAX - 1)
#define TAG_WAKE	(UINT64_MAX - 2)
/* A request waiting for its backend: the context's index and epoch. */
#define TAG_CTX		((uint64_t)1 << 62)
#define CTX_TAG(i, e)	(TAG_CTX | ((uint64_t)((e) & 0xffffffffu) << 24) | \
			    (uint64_t)(i))
#define CTX_INDEX(t)	((int)((t) & 0xffffff))
#define CTX_EPOCH(t)	(((t) >> 24) & 0xffffffffu)
#define IS_CTX_TAG(t)	(((t) >> 62) == 1)
/* Bytes of management records one turn answers before others get theirs. */
#define MGMT_TURN	(64 * 1024)
/*
 * A connection the request did not keep is closed gently: the answer is
 * out, the gateway's side is shut down, and what the web server still
 * sends is read and dropped until it closes, for at most LINGER_MS.
 */
#define LINGER_MS	2000
/* Bytes a lingering connection may drop in one turn. */
#define LINGER_TURN	(256 * 1024)
/* The peek buffer: a whole head, or libfcgi's buffer and one read of it. */
#define PEEK_MAX	DISPATCH_HEAD_MAX

enum slot_state {
	SLOT_FREE = 0,
	SLOT_BUSY,		/* a thread owns it */
	SLOT_PARKING,		/* being handed to epoll */
	SLOT_PARKED		/* in the epoll set */
};

#define ST(epoch, s)	(((epoch) << 2) | (uint64_t)(s))
#define ST_STATE(w)	((int)((w) & 3))
#define ST_EPOCH(w)	((w) >> 2)

struct conn {
	_Atomic uint64_t	 st;
	atomic_llong		 deadline;	/* ms; 0: idle, no head begun */
	int			 fd;
	int			 in_set;	/* registered with epoll */
	atomic_int		 kick;		/* an event came while busy */
	atomic_int		 ctl;		/* its parker is in epoll_ctl */
	int			 closing;	/* answered, closing: what comes
						   is read and dropped */
	FCGX_Request		 req;
};

enum ctx_state {
	CTX_FREE = 0,
	CTX_RUN,		/* a thread owns it */
	CTX_WAIT		/* its backend connection is in the epoll set */
};

/*
 * A request in flight: there are workers of them, plus one the status
 * page may take.  A request waiting for its backend's answer holds a
 * context, not a thread; the state word changes by CAS as a conn's.
 */
struct ctx {
	_Atomic uint64_t	 st;
	atomic_llong		 deadline;	/* CTX_WAIT: ms */
	struct conn		*c;		/* the front connection */
	struct cfgref		*cref;		/* the request's configuration */
	int			 status;	/* taken for the status page */
	int			 waiting;	/* its one wait has a deadline */
	struct front		 front;
};

struct worker {
	pthread_t	 tid;
	int		 id;
	int		 started;
	struct cfgref	*cref;		/* config of the head checks */
	unsigned char	*peek;		/* PEEK_MAX */
};

static struct conn	*conns;
static int		 nconns;
static int		*free_stack;	/* free slots */
static int		 nfree;
/* A queue of indexes, under slot_mtx (its length is read without). */
struct ring {
	int		*v;
	int		 cap;
	int		 head;
	atomic_int	 len;
};

static struct ring	 readyq;	/* conns with a whole head, no worker */
static struct ring	 statq;		/* the same for the status page */
static struct ring	 expq;		/* contexts whose wait expired */
static struct ctx	*ctxs;
static int		 nctxs;
static int		*ctx_stack;	/* free contexts */
static int		 nctx_free;
static pthread_mutex_t	 slot_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct worker	*workers;
static int		 nworkers;	/* requests in flight at most */
static int		 nthreads;
static int		 ep = -1, stop_fd = -1, wake_fd = -1, lfd = -1, lfd_tcp;
static char		*web_addrs;	/* FCGI_WEB_SERVER_ADDRS */
static atomic_int	 busy, running, stopping, quit;
static pthread_mutex_t	 spare_mtx = PTHREAD_MUTEX_INITIALIZER;
static int		 spare_fd = -1;	/* given up to answer 503 at EMFILE */

/* Returns the current configuration's front timeout in ms. */
static long long
front_timeout_ms(void)
{
	struct cfgref	*c = cfgref_get();
	long long	 ms = dial_ms(c->cfg.front_timeout);

	cfgref_put(c);
	return ms;
}

/* Takes a free slot; returns its index, or -1 when max_conns are open. */
static int
slot_alloc(void)
{
	int	i = -1;

	pthread_mutex_lock(&slot_mtx);
	if (nfree > 0)
		i = free_stack[--nfree];
	pthread_mutex_unlock(&slot_mtx);
	if (i >= 0)
		atomic_fetch_add(&stats.conns_open, 1);
	return i;
}

/* Closes an owned connection (unless libfcgi did) and frees its slot. */
static void
conn_free(struct conn *c)
{
	uint64_t	w = atomic_load(&c->st);
	int		fd = fcgx_fd(&c->req);

	FCGX_Free(&c->req, 0);
	if (fd >= 0)
		close(fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->in_set = 0;
	atomic_store(&c->deadline, 0);
	atomic_store(&c->st, ST(ST_EPOCH(w) + 1, SLOT_FREE));
	pthread_mutex_lock(&slot_mtx);
	free_stack[nfree++] = (int)(c - conns);
	pthread_mutex_unlock(&slot_mtx);
	atomic_fetch_sub(&stats.conns_open, 1);
}

static int	conn_take(struct conn *, int);

/*
 * Hands an owned connection back to the epoll set, to come back when
 * new bytes arrive, with deadline (0: none).  Connections are
 * registered once, edge-triggered; requeue asks epoll to report bytes
 * already waiting.  An event that found the connection busy left a
 * kick: then the caller takes it back.  Returns 1 when the caller owns
 * the connection again and must look at it, 0 when it was handed over
 * (or freed) and must not be touched.
 */
static int
conn_park(struct conn *c, long long deadline, int requeue)
{
	struct epoll_event	ev;
	uint64_t		e = ST_EPOCH(atomic_load(&c->st)) + 1;
	uint64_t		expect = ST(e, SLOT_PARKING);
	int			add = !c->in_set, fd = c->fd, rc = 0;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)(c - conns);
	atomic_store(&c->deadline, deadline);
	atomic_fetch_add(&stats.conns_parked, 1);
	c->in_set = 1;
	/* an event may take it from here: it waits for our epoll_ctl */
	atomic_store(&c->ctl, 1);
	atomic_store(&c->st, expect);
	if (add || requeue)
		rc = epoll_ctl(ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
	atomic_store(&c->ctl, 0);
	if (rc == -1) {
		log_msg(LOG_LVL_ERROR, "epoll_error", "epoll_error error=%s",
		    strerror(errno));
		if (atomic_compare_exchange_strong(&c->st, &expect,
		    ST(e, SLOT_BUSY))) {
			atomic_fetch_sub(&stats.conns_parked, 1);
			conn_free(c);
		}
		return 0;
	}
	/* from here on an event may have given it to another thread */
	if (!atomic_compare_exchange_strong(&c->st, &expect,
	    ST(e, SLOT_PARKED)))
		return 0;
	if (requeue || atomic_load(&c->kick) == 0 || !conn_take(c, 0))
		return 0;
	atomic_store(&c->kick, 0);
	return 1;
}

/* Takes a parked connection for the caller; returns 1 when it did. */
static int
conn_take(struct conn *c, int from_event)
{
	uint64_t	w = atomic_load(&c->st);

	if (ST_STATE(w) != SLOT_PARKED &&
	    !(from_event && ST_STATE(w) == SLOT_PARKING))
		return 0;
	if (!atomic_compare_exchange_strong(&c->st, &w,
	    ST(ST_EPOCH(w), SLOT_BUSY)))
		return 0;
	/* taken while its parker hands it to epoll: wait for that to end */
	while (atomic_load(&c->ctl))
		sched_yield();
	atomic_fetch_sub(&stats.conns_parked, 1);
	return 1;
}

/*
 * Takes a free context's index (under slot_mtx): one of workers, or the
 * last one for the status page.  Returns -1 when none is free.
 */
static int
ctx_pop_locked(int status)
{
	if (nctx_free > 1 || (status && nctx_free == 1))
		return ctx_stack[--nctx_free];
	return -1;
}

/* Makes the context of index k the caller's (k >= 0), for status. */
static struct ctx *
ctx_claim(int k, int status)
{
	struct ctx	*x = &ctxs[k];

	atomic_store(&x->st, ST(ST_EPOCH(atomic_load(&x->st)), CTX_RUN));
	x->waiting = 0;
	atomic_fetch_add(&busy, 1);
	/* the status page does not count as a worker */
	if (!(x->status = status))
		atomic_fetch_add(&stats.workers_busy, 1);
	return x;
}

/* Gives a context back. */
static void
ctx_put(struct ctx *x)
{
	int	status = x->status;

	x->c = NULL;
	atomic_store(&x->st, ST(ST_EPOCH(atomic_load(&x->st)) + 1, CTX_FREE));
	pthread_mutex_lock(&slot_mtx);
	ctx_stack[nctx_free++] = (int)(x - ctxs);
	pthread_mutex_unlock(&slot_mtx);
	atomic_fetch_sub(&busy, 1);
	if (!status)
		atomic_fetch_sub(&stats.workers_busy, 1);
}

/* Allocates a ring of cap entries; returns 0 or -1. */
static int
ring_init(struct ring *q, int cap)
{
	q->head = 0;
	atomic_store(&q->len, 0);
	q->cap = cap;
	return (q->v = calloc((size_t)cap, sizeof(int))) == NULL ? -1 : 0;
}

/* Frees it. */
static void
ring_free(struct ring *q)
{
	free(q->v);
	q->v = NULL;
}

/*
 * Queues i (under slot_mtx; there is room: an index is queued at most
 * once); returns the length with it.
 */
static int
ring_push_locked(struct ring *q, int i)
{
	q->v[(q->head + atomic_load(&q->len)) % q->cap] = i;
	return atomic_fetch_add(&q->len, 1) + 1;
}

/* Returns the oldest index queued (under slot_mtx), or -1. */
static int
ring_pop_locked(struct ring *q)
{
	int	i;

	if (atomic_load(&q->len) == 0)
		return -1;
	i = q->v[q->head];
	q->head = (q->head + 1) % q->cap;
	atomic_fetch_sub(&q->len, 1);
	return i;
}

/* Queues i; see ring_push_locked(). */
static void
ring_push(struct ring *q, int i)
{
	pthread_mutex_lock(&slot_mtx);
	(void)ring_push_locked(q, i);
	pthread_mutex_unlock(&slot_mtx);
}

/* Returns the oldest index queued, or -1. */
static int
ring_pop(struct ring *q)
{
	int	i;

	pthread_mutex_lock(&slot_mtx);
	i = ring_pop_locked(q);
	pthread_mutex_unlock(&slot_mtx);
	return i;
}

/*
 * Takes a context for the request on connection *i, or queues it, in
 * one step under slot_mtx, so that a context given back meanwhile (its
 * thread then looks at the queues) cannot be missed.  Requests already
 * queued go first: then *i joins the queue and the oldest one is
 * returned in *i.  Returns NULL when *i was queued, with *qlen the
 * queue's length.
 */
static struct ctx *
ctx_or_queue(struct ring *q, int status, int *i, int *qlen)
{
	int	k;

	pthread_mutex_lock(&slot_mtx);
	if ((k = ctx_pop_locked(status)) >= 0) {
		if (atomic_load(&q->len) > 0) {
			(void)ring_push_locked(q, *i);
			*i = ring_pop_locked(q);
		}
	} else
		*qlen = ring_push_locked(q, *i);
	pthread_mutex_unlock(&slot_mtx);
	return k >= 0 ? ctx_claim(k, status) : NULL;
}

/*
 * Logs that requests wait for a worker: once when the queue begins, at
 * most once a second (the counter has them all).
 */
static void
log_exhausted(void)
{
	static atomic_llong	last;
	long long		now = clock_ms(), t = atomic_load(&last);

	if (now - t < 1000 || !atomic_compare_exchange_strong(&last, &t, now))
		return;
	log_msg(LOG_LVL_WARNING, "workers_exhausted", "workers_exhausted "
	    "workers=%d: every worker is busy, requests wait", nworkers);
}

/*
 * Sends n bytes, waiting at most front_timeout for the web server to
 * take them; returns 0 when all went out.
 */
static int
send_now(int fd, const unsigned char *p, size_t n)
{
	struct pollfd	pfd;
	ssize_t		k;

	while (n > 0) {
		k = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			active_block();
			if (poll(&pfd, 1, (int)front_timeout_ms()) == 1)
				continue;
			return -1;
		}
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * Answers request id with status and its reason, outside libfcgi (the
 * request was never given to it), without waiting.
 */
static void
answer_raw(int fd, unsigned id, int status, const char *text)
{
	unsigned char	buf[256];
	size_t		n = FREC_HDRLEN;
	int		k;

	k = snprintf((char *)buf + n, sizeof(buf) - n - 40, "Status: %d %s\r\n"
	    "Content-Type: text/plain\r\n\r\n%s\n", status, text, text);
	if (k <= 0 || (size_t)k >= sizeof(buf) - n - 40)
		return;
	n += frec_wrap(buf, FREC_STDOUT, id, (size_t)k) - FREC_HDRLEN;
	n += frec_header(buf + n, FREC_STDOUT, id, 0, 0);
	n += frec_header(buf + n, FREC_END_REQUEST, id, 8, 0);
	memset(buf + n, 0, 8);
	buf[n + 4] = FREC_REQUEST_COMPLETE;
	n += 8;
	(void)send_now(fd, buf, n);
}

/*
 * Answers the management record rec[0..len) of the given type: the
 * values asked by FCGI_GET_VALUES, FCGI_UNKNOWN_TYPE for any other.
 * Returns 0, or -1 when the answer could not go out at once.
 */
static int
answer_mgmt(int fd, const unsigned char *rec, size_t len, int type)
{
	unsigned char	out[256], *c = out + FREC_HDRLEN;
	struct param	pr;
	char		val[16];
	size_t		pos = FREC_HDRLEN, n = 0, k, vl;
	size_t		clen = ((size_t)rec[4] << 8) | rec[5];

	if (type != FREC_GET_VALUES) {
		memset(c, 0, 8);
		c[0] = (unsigned char)type;
		n = 8;
	} else {
		while (pos < FREC_HDRLEN + clen && pos < len &&
		    (k = frec_pair_decode(rec + pos, FREC_HDRLEN + clen - pos,
		    &pr)) > 0) {
			pos += k;
			if (xstr_eqc(pr.name, "FCGI_MAX_CONNS"))
				snprintf(val, sizeof(val), "%d", nconns);
			else if (xstr_eqc(pr.name, "FCGI_MAX_REQS"))
				snprintf(val, sizeof(val), "%d", nworkers);
			else if (xstr_eqc(pr.name, "FCGI_MPXS_CONNS"))
				snprintf(val, sizeof(val), "0");
			else
				continue;
			vl = strlen(val);
			if (n + 2 + pr.name.len + vl > 200)
				break;
			c[n++] = (unsigned char)pr.name.len;
			c[n++] = (unsigned char)vl;
			memcpy(c + n, pr.name.p, pr.name.len);
			n += pr.name.len;
			memcpy(c + n, val, vl);
			n += vl;
		}
	}
	k = frec_wrap(out, type == FREC_GET_VALUES ? FREC_GET_VALUES_RESULT :
	    FREC_UNKNOWN_TYPE, 0, n);
	return send_now(fd, out, k);
}

/* Returns 1 when the head's REQUEST_URI names the status page of cfg. */
static int
head_is_status(const struct config *cfg, const unsigned char *p,
    const struct frec_head_info *hi)
{
	const char	*u = (const char *)p + hi->uri_off;
	size_t		 len = 0, slen;

	if (cfg->status_uri == NULL || hi->uri_off == 0)
		return 0;
	while (len < hi->uri_len && u[len] != '?')
		len++;
	slen = strlen(cfg->status_uri);
	return len == slen && memcmp(u, cfg->status_uri, len) == 0;
}

/*
 * Returns the current configuration through *ref, a reference held
 * until the next reload: a request takes no lock for it.
 */
static const struct config *
cfg_fresh(struct cfgref **ref)
{
	unsigned	gen = cfgref_gen();

	if (*ref != NULL && (*ref)->gen != gen) {
		cfgref_put(*ref);
		*ref = NULL;
	}
	if (*ref == NULL)
		*ref = cfgref_get();
	return &(*ref)->cfg;
}

/* The configuration of a worker's head checks. */
static const struct config *
worker_cfg(struct worker *w)
{
	return cfg_fresh(&w->cref);
}

/*
 * Hands a waiting request to the epoll set until its backend answers;
 * the sweeper (dispatch_tick()) expires it after backend_timeout.
 * Returns 1 when handed over (x must not be touched), 0 when the caller
 * still owns x and must wait itself.
 */
static int
ctx_park(struct ctx *x)
{
	struct epoll_event	ev;
	uint64_t		e = ST_EPOCH(atomic_load(&x->st)) + 1;
	uint64_t		expect = ST(e, CTX_WAIT);
	int			kept, fd = front_wait_fd(&x->front, &kept);

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = CTX_TAG(x - ctxs, e);
	/* woken for nothing: the wait keeps its deadline */
	if (!x->waiting)
		atomic_store(&x->deadline, clock_ms() +
		    front_wait_ms(&x->front));
	x->waiting = 1;
	atomic_store(&x->st, expect);
	/* a kept connection may be in the set from an earlier wait */
	if (epoll_ctl(ep, kept ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) == 0 ||
	    (errno == (kept ? ENOENT : EEXIST) && epoll_ctl(ep, kept ?
	    EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0))
		return 1;
	/* not in the set: only the sweeper can have taken it meanwhile */
	return !atomic_compare_exchange_strong(&x->st, &expect,
	    ST(e, CTX_RUN));
}

/* Waits for the backend in the thread (the epoll set refused it). */
static void
ctx_wait_here(struct ctx *x)
{
	struct pollfd	pfd;
	int		kept, k;

	do {
		pfd.fd = front_wait_fd(&x->front, &kept);
		pfd.events = POLLIN;
		pfd.revents = 0;
		active_block();
		while ((k = poll(&pfd, 1, front_wait_ms(&x->front))) == -1 &&
		    errno == EINTR)
			;
	} while (front_resume(&x->front, k == 0) == FRONT_WAIT);
}

/*
 * After a step of x's request: parks a waiting one, or ends a done one
 * (gives x back, parks or frees its connection).  Returns the
 * connection when the caller owns it again and must look at it
 * (conn_park()), else NULL.
 */
static struct conn *
ctx_step(struct ctx *x, enum front_step step)
{
	struct conn	*c = x->c;
	unsigned char	 b;
	enum fcgx_finish f;

	if (step == FRONT_WAIT && ctx_park(x))
		return NULL;
	if (step == FRONT_WAIT)
		ctx_wait_here(x);
	f = fcgx_finish(&c->req);
	ctx_put(x);
	switch (f) {
	case FCGX_FINISH_CLOSED:
		conn_free(c);
		return NULL;
	case FCGX_FINISH_CLOSE:
		/* the answer is out: the rest waits without a thread */
		(void)shutdown(c->fd, SHUT_WR);
		c->closing = 1;
		return conn_park(c, clock_ms() + LINGER_MS, 0) ? c : NULL;
	case FCGX_FINISH_KEPT:
		break;
	}
	/* stopping: a kept connection stays only for a request already sent */
	if (atomic_load(&stopping) &&
	    recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) != 1) {
		conn_free(c);
		return NULL;
	}
	/*
	 * The next request came already: it goes behind the connections
	 * that were ready before it, instead of keeping this thread (nginx
	 * reuses the connection it got back first, which would starve the
	 * others).
	 */
	if (conn_park(c, 0, 0))
		(void)conn_park(c, 0, 1);
	return NULL;
}

/*
 * Receives from an owned connection into buf (PEEK_MAX) without waiting,
 * with the extra recv(2) flags.  Returns the byte count, or 0 when
 * nothing came and c went back to the epoll set, or it was closed and
 * freed: then c must not be touched.
 */
static ssize_t
conn_recv(struct conn *c, unsigned char *buf, int flags)
{
	ssize_t	n;

	for (;;) {
		n = recv(c->fd, buf, PEEK_MAX, flags | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* an event came meanwhile: look again */
			if (conn_park(c, atomic_load(&c->deadline), 0))
				continue;
			return 0;
		}
		if (n <= 0) {
			conn_free(c);	/* closed by the web server */
			return 0;
		}
		return n;
	}
}

/*
 * Reads and drops what a closing connection sent; frees it at its end
 * (or an error), else parks it again until its deadline.
 */
static void
conn_linger(struct worker *w, struct conn *c)
{
	size_t	turn = 0;
	ssize_t	n;

	while ((n = conn_recv(c, w->peek, 0)) > 0)
		if ((turn += (size_t)n) >= LINGER_TURN) {
			(void)conn_park(c, atomic_load(&c->deadline), 1);
			return;
		}
}

/*
 * Begins the request whose head is present on c, on the context x.
 * Returns the connection when the caller owns it again, else NULL.
 */
static struct conn *
serve(struct ctx *x, struct conn *c)
{
	const struct config	*cfg;

	atomic_store(&c->deadline, 0);
	if (fcgx_next(&c->req) != FCGX_NEXT_REQUEST) {
		ctx_put(x);
		conn_free(c);
		return NULL;
	}
	cfg = cfg_fresh(&x->cref);
	x->c = c;
	return ctx_step(x, front_begin(&x->front, cfg, x->cref->gen, &c->req,
	    1));
}

/*
 * Goes on with a waiting request once its backend is readable, or its
 * wait expired.  Returns the connection when the caller owns it again.
 */
static struct conn *
resume(struct ctx *x, int expired)
{
	return ctx_step(x, front_resume(&x->front, expired));
}

/* Logs a refusal before libfcgi saw the request, and closes c. */
static void
refuse(struct conn *c, const char *event, const char *what, size_t v)
{
	log_msg(LOG_LVL_WARNING, event, "%s %s=%zu", event, what, v);
	conn_free(c);
}

/*
 * Looks at what an owned connection has sent: answers management
 * records, refuses what is malformed or too large, parks it until the
 * rest of a head comes, and serves a whole head (or queues it while
 * every worker is busy).
 */
static void
conn_ready(struct worker *w, struct conn *c)
{
	struct frec_head_info	 hi;
	enum frec_head		 h;
	size_t			 turn = 0;
	struct ctx		*x;
	ssize_t			 n;
	long long		 dl;
	int			 status, i, qlen = 0;

	for (;;) {
		/* a connection given back after its answer may be closing */
		if (c->closing) {
			conn_linger(w, c);
			return;
		}
		if ((n = conn_recv(c, w->peek, MSG_PEEK)) == 0)
			return;
		h = frec_head_check(w->peek, (size_t)n, FRONT_PARAMS_MAX, &hi);
		if (h == FHEAD_NEED && n == PEEK_MAX)
			h = FHEAD_TOO_LARGE;
		switch (h) {
		case FHEAD_NEED:
			dl = atomic_load(&c->deadline);
			if (dl == 0)
				dl = clock_ms() +
				    dial_ms(worker_cfg(w)->front_timeout);
			if (conn_park(c, dl, 0))
				continue;
			return;
		case FHEAD_MGMT:
		case FHEAD_STRAY:
			if (h == FHEAD_MGMT && answer_mgmt(c->fd, w->peek,
			    hi.len, hi.type) == -1) {
				conn_free(c);
				return;
			}
			/* the record is whole in the socket: this takes it */
			if (recv(c->fd, w->peek, hi.len, MSG_DONTWAIT) !=
			    (ssize_t)hi.len) {
				conn_free(c);
				return;
			}
			if ((turn += hi.len) >= MGMT_TURN) {
				/* more is waiting: its turn comes again */
				(void)conn_park(c, atomic_load(&c->deadline),
				    1);
				return;
			}
			continue;
		case FHEAD_BAD:
			STATS_INC(stats.front_errors);
			log_msg(LOG_LVL_WARNING, "front_protocol_error",
			    "front_protocol_error reason=%s", hi.error);
			conn_free(c);
			return;
		case FHEAD_TOO_LARGE:
			STATS_INC(stats.front_too_large);
			STATS_INC(stats.rejected_400);
			if (hi.id != 0)
				answer_raw(c->fd, hi.id, 400, "Bad Request");
			refuse(c, "params_too_large", "limit",
			    (size_t)FRONT_PARAMS_MAX);
			return;
		case FHEAD_READY:
			break;
		}
		/*
		 * Requests already waiting for a worker go first; the status
		 * page may take the last context: it is in memory.
		 */
		status = head_is_status(worker_cfg(w), w->peek, &hi);
		i = (int)(c - conns);
		if ((x = ctx_or_queue(status ? &statq : &readyq, status, &i,
		    &qlen)) == NULL)
			break;
		if ((c = serve(x, &conns[i])) == NULL)
			return;
		turn = 0;
	}
	if (status)
		return;
	STATS_INC(stats.workers_exhausted);
	if (qlen == 1)
		log_exhausted();
}

/*
 * With every descriptor in use, gives up the spare one for a moment to
 * accept the next connection and answer it 503, so that overload gets
 * an answer instead of a wait in the listen backlog.
 */
static void
refuse_spare(void)
{
	int	fd;

	pthread_mutex_lock(&spare_mtx);
	if (spare_fd >= 0) {
		close(spare_fd);
		spare_fd = -1;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		STATS_INC(stats.conns_refused);
		STATS_INC(stats.backend_503);
		log_msg(LOG_LVL_ERROR, "connections_exhausted",
		    "connections_exhausted reason=no_descriptor: answered 503");
		answer_raw(fd, 1, 503, "Service Unavailable");
		close(fd);
	}
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pthread_mutex_unlock(&spare_mtx);
}

/*
 * Returns 1 when the address ip (text) is one of the comma- or
 * space-separated addresses of list, compared as addresses, not as
 * text (an IPv6 address may be written in several ways).
 */
static int
addr_listed(const char *list, const char *ip)
{
	struct ip	peer, one;
	size_t		k;

	if (ip_parse(xstr_c(ip), &peer) == -1)
		return 0;
	while (*list != '\0') {
		while (*list == ',' || *list == ' ')
			list++;
		for (k = 0; list[k] != '\0' && list[k] != ',' &&
		    list[k] != ' '; k++)
			;
		if (k > 0 && ip_parse((struct xstr){ list, k }, &one) == 0 &&
		    one.family == peer.family &&
		    memcmp(one.a, peer.a, peer.family == 4 ? 4 : 16) == 0)
			return 1;
		list += k;
	}
	return 0;
}

/* Accepts one connection from the listening socket and takes it on. */
static void
on_listen(struct worker *w)
{
	struct sockaddr_storage	 ss;
	struct epoll_event	 ev;
	socklen_t		 sl = sizeof(ss);
	struct conn		*c;
	char			 ip[INET6_ADDRSTRLEN];
	long long		 ms;
	int			 fd, i, one = 1, err;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	err = errno;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = TAG_LISTEN;
	if (fd == -1 && (err == EMFILE || err == ENFILE)) {
		/* out of descriptors: the spare one lets us answer 503 */
		refuse_spare();
	} else if (fd == -1 && (err == ENOBUFS || err == ENOMEM)) {
		struct timespec	ts = { 0, 100000000 };

		STATS_INC(stats.conns_refused);
		log_msg(LOG_LVL_ERROR, "accept_error", "accept_error error=%s",
		    strerror(err));
		/* the connection waits in the backlog: try again soon */
		nanosleep(&ts, NULL);
	}
	if (!atomic_load(&stopping))
		(void)epoll_ctl(ep, EPOLL_CTL_MOD, lfd, &ev);
	if (fd == -1)
		return;
	if (lfd_tcp) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (web_addrs != NULL) {
			if ((ss.ss_family == AF_INET ? inet_ntop(AF_INET,
			    &((struct sockaddr_in *)&ss)->sin_addr, ip,
			    sizeof(ip)) : inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)&ss)->sin6_addr, ip,
			    sizeof(ip))) == NULL)
				snprintf(ip, sizeof(ip), "-");
			if (!addr_listed(web_addrs, ip)) {
				STATS_INC(stats.conns_refused);
				log_msg(LOG_LVL_WARNING, "peer_refused",
				    "peer_refused peer=%s reason="
				    "FCGI_WEB_SERVER_ADDRS", ip);
				close(fd);
				return;
			}
		}
	}
	if ((i = slot_alloc()) < 0) {
		STATS_INC(stats.conns_refused);
		STATS_INC(stats.backend_503);
		log_msg(LOG_LVL_WARNING, "connections_exhausted",
		    "connections_exhausted max_conns=%d: answered 503", nconns);
		/* nginx uses request id 1 */
		answer_raw(fd, 1, 503, "Service Unavailable");
		close(fd);
		return;
	}
	c = &conns[i];
	atomic_store(&c->st, ST(ST_EPOCH(atomic_load(&c->st)), SLOT_BUSY));
	c->fd = fd;
	c->in_set = 0;
	c->closing = 0;
	/* only stale events of the slot's last connection can have set it */
	atomic_store(&c->kick, 0);
	fcgx_conn(&c->req, fd);
	ms = dial_ms(worker_cfg(w)->front_timeout);
	if (dial_sock_timeout(fd, SO_RCVTIMEO, (int)ms) == -1) {
		conn_free(c);
		return;
	}
	atomic_store(&c->deadline, clock_ms() + ms);
	conn_ready(w, c);
}

/*
 * Moves the calling worker from SCHED_OTHER to SCHED_BATCH (sched(7)):
 * a worker woken by the web server or the backend then waits for the
 * running task's turn to end instead of preempting it.  A policy the
 * service manager chose (anything but SCHED_OTHER) is kept.
 */
static void
worker_sched(void)
{
#ifdef SCHED_BATCH
	static atomic_int	 logged;
	struct sched_param	 sp;
	int			 policy, rc;

	if ((rc = pthread_getschedparam(pthread_self(), &policy, &sp)) == 0) {
		if (policy != SCHED_OTHER)
			return;
		memset(&sp, 0, sizeof(sp));
		rc = pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	}
	if (rc != 0 && atomic_exchange(&logged, 1) == 0)
		log_msg(LOG_LVL_DEBUG, NULL, "workers keep their scheduling "
		    "policy: %s", strerror(rc));
#endif
}

/* Takes the waiting context an event names; NULL when the event is stale. */
static struct ctx *
ctx_take(uint64_t tag)
{
	struct ctx	*x;
	uint64_t	 w;

	if (CTX_INDEX(tag) >= nctxs)
		return NULL;
	x = &ctxs[CTX_INDEX(tag)];
	w = atomic_load(&x->st);
	if (ST_STATE(w) != CTX_WAIT ||
	    (ST_EPOCH(w) & 0xffffffffu) != CTX_EPOCH(tag) ||
	    !atomic_compare_exchange_strong(&x->st, &w,
	    ST(ST_EPOCH(w), CTX_RUN)))
		return NULL;
	return x;
}

/* Handles one event of the epoll set. */
static void
on_event(struct worker *w, uint64_t tag)
{
	struct conn	*c;
	struct ctx	*x;
	eventfd_t	 cnt;

	if (tag == TAG_STOP)
		return;
	if (tag == TAG_WAKE) {
		(void)eventfd_read(wake_fd, &cnt);
		return;
	}
	if (tag == TAG_LISTEN) {
		on_listen(w);
		return;
	}
	if (IS_CTX_TAG(tag)) {
		if ((x = ctx_take(tag)) != NULL && (c = resume(x, 0)) != NULL)
			conn_ready(w, c);
		return;
	}
	if (tag >= (uint64_t)nconns)
		return;
	c = &conns[tag];
	/* busy elsewhere: its owner re-arms it when it parks it */
	atomic_store(&c->kick, 1);
	if (conn_take(c, 1)) {
		atomic_store(&c->kick, 0);
		conn_ready(w, c);
	}
}

/*
 * Takes a context and the oldest request of q waiting for one (status:
 * the status page's queue); returns the connection when the caller owns
 * it again, else NULL with *did set when there was work.
 */
static struct conn *
from_queue(struct ring *q, int status, int *did)
{
	int	k = -1, i = -1;

	if (atomic_load(&q->len) == 0)
		return NULL;
	pthread_mutex_lock(&slot_mtx);
	if (atomic_load(&q->len) > 0 && (k = ctx_pop_locked(status)) >= 0)
		i = ring_pop_locked(q);
	pthread_mutex_unlock(&slot_mtx);
	if (k < 0)
		return NULL;
	*did = 1;
	return serve(ctx_claim(k, status), &conns[i]);
}

/*
 * Takes the next queued work: expired waits first, then the status
 * page, then requests that waited for a context; returns 1 when it did
 * one.
 */
static int
on_queued(struct worker *w)
{
	struct conn	*c = NULL;
	int		 i, did = 0;

	if (atomic_load(&expq.len) > 0 && (i = ring_pop(&expq)) >= 0) {
		did = 1;
		c = resume(&ctxs[i], 1);
	} else if ((c = from_queue(&statq, 1, &did)) == NULL && !did)
		c = from_queue(&readyq, 0, &did);
	if (c != NULL)
		conn_ready(w, c);
	return did;
}

/*
 * A thread: while active (active.h), serves queued work first, then
 * whatever epoll hands it.
 */
static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct epoll_event	 ev;
	int			 n, did;

	worker_sched();
	active_self(w->id);
	for (;;) {
		/* queued work first: a context this thread gave back may wait */
		active_begin(w->id);
		did = on_queued(w);
		active_end(w->id);
		if (did)
			continue;
		active_gate();
		if (atomic_load(&quit))
			break;
		n = epoll_wait(ep, &ev, 1, -1);
		if (n <= 0)
			continue;
		active_begin(w->id);
		on_event(w, ev.data.u64);
		active_end(w->id);
	}
	atomic_fetch_sub(&running, 1);
	return NULL;
}

/* Tells every thread to end (those asleep as spares too) and joins them. */
static void
stop_threads(void)
{
	int	i;

	atomic_store(&quit, 1);
	(void)eventfd_write(stop_fd, 1);
	active_quit();
	for (i = 0; i < nthreads; i++)
		if (workers[i].started)
			pthread_join(workers[i].tid, NULL);
}

/* Releases everything dispatch_start() made (no thread running). */
static void
dispatch_free(void)
{
	int	i;

	for (i = 0; conns != NULL && i < nconns; i++)
		if (ST_STATE(atomic_load(&conns[i].st)) != SLOT_FREE)
			conn_free(&conns[i]);
	for (i = 0; workers != NULL && i < nthreads; i++) {
		cfgref_put(workers[i].cref);
		free(workers[i].peek);
	}
	for (i = 0; ctxs != NULL && i < nctxs; i++) {
		cfgref_put(ctxs[i].cref);
		front_free(&ctxs[i].front);
	}
	if (ep >= 0)
		close(ep);
	if (stop_fd >= 0)
		close(stop_fd);
	if (wake_fd >= 0)
		close(wake_fd);
	if (spare_fd >= 0)
		close(spare_fd);
	spare_fd = -1;
	free(conns);
	free(free_stack);
	ring_free(&readyq);
	ring_free(&statq);
	active_free();
	free(workers);
	free(ctxs);
	free(ctx_stack);
	ring_free(&expq);
	free(web_addrs);
	conns = NULL;
	free_stack = ctx_stack = NULL;
	workers = NULL;
	ctxs = NULL;
	web_addrs = NULL;
	ep = stop_fd = wake_fd = -1;
}

/* Starts the threads; see dispatch.h. */
int
dispatch_start(int listen_fd, int tcp, const struct config *cfg, char *err,
    size_t cap)
{
	struct epoll_event	 ev;
	pthread_attr_t		 attr;
	const char		*wa;
	int			 i, flags;

	lfd = listen_fd;
	lfd_tcp = tcp;
	nworkers = cfg->workers;
	nthreads = cfg->workers + 1;
	nctxs = cfg->workers + 1;
	nconns = cfg->max_conns;
	if ((wa = getenv("FCGI_WEB_SERVER_ADDRS")) != NULL && tcp &&
	    (web_addrs = strdup(wa)) == NULL)
		goto nomem;
	if ((conns = calloc((size_t)nconns, sizeof(*conns))) == NULL ||
	    (free_stack = calloc((size_t)nconns, sizeof(int))) == NULL ||
	    ring_init(&readyq, nconns) == -1 ||
	    ring_init(&statq, nconns) == -1 ||
	    (workers = calloc((size_t)nthreads, sizeof(*workers))) == NULL ||
	    (ctxs = calloc((size_t)nctxs, sizeof(*ctxs))) == NULL ||
	    (ctx_stack = calloc((size_t)nctxs, sizeof(int))) == NULL ||
	    ring_init(&expq, nctxs) == -1)
		goto nomem;
	for (i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		FCGX_InitRequest(&conns[i].req, -1, 0);
		free_stack[nconns - 1 - i] = i;
	}
	nfree = nconns;
	for (i = 0; i < nthreads; i++) {
		workers[i].id = i;
		if ((workers[i].peek = malloc(PEEK_MAX)) == NULL)
			goto nomem;
	}
	for (i = 0; i < nctxs; i++) {
		if (front_init(&ctxs[i].front) == -1)
			goto nomem;
		ctx_stack[nctxs - 1 - i] = i;
	}
	nctx_free = nctxs;
	if ((spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    (wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		snprintf(err, cap, "epoll: %s", strerror(errno));
		goto fail;
	}
	/* the listener is shared by the threads: it must never block one */
	if ((flags = fcntl(lfd, F_GETFL)) == -1 ||
	    fcntl(lfd, F_SETFL, flags | O_NONBLOCK) == -1) {
		snprintf(err, cap, "listening socket: %s", strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_STOP;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &ev) == -1) {
		snprintf(err, cap, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	/* one thread per wake-up: edge-triggered */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = TAG_WAKE;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, wake_fd, &ev) == -1) {
		snprintf(err, cap, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = TAG_LISTEN;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
		snprintf(err, cap, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	if (active_init(nthreads, 0, err, cap) == -1)
		goto fail;
	if (pthread_attr_init(&attr) != 0) {
		snprintf(err, cap, "pthread_attr_init failed");
		goto fail;
	}
	if (pthread_attr_setstacksize(&attr, WORKER_STACK) != 0) {
		pthread_attr_destroy(&attr);
		snprintf(err, cap, "pthread_attr_setstacksize failed");
		goto fail;
	}
	for (i = 0; i < nthreads; i++) {
		atomic_fetch_add(&running, 1);
		if (pthread_create(&workers[i].tid, &attr, worker_main,
		    &workers[i]) != 0) {
			atomic_fetch_sub(&running, 1);
			break;
		}
		workers[i].started = 1;
	}
	pthread_attr_destroy(&attr);
	if (i < nthreads) {
		snprintf(err, cap, "cannot start worker threads");
		stop_threads();
		goto fail;
	}
	atomic_store(&stats.workers, nworkers);
	return 0;
nomem:
	snprintf(err, cap, "out of memory");
fail:
	dispatch_free();
	return -1;
}

/* Closes the connections whose head is overdue; see dispatch.h. */
void
dispatch_tick(void)
{
	long long	now = clock_ms(), dl;
	uint64_t	w;
	int		i;

	/* waits for the backend past backend_timeout go to a thread: 504 */
	for (i = 0; i < nctxs; i++) {
		w = atomic_load(&ctxs[i].st);
		if (ST_STATE(w) != CTX_WAIT ||
		    atomic_load(&ctxs[i].deadline) > now ||
		    !atomic_compare_exchange_strong(&ctxs[i].st, &w,
		    ST(ST_EPOCH(w), CTX_RUN)))
			continue;
		(void)ring_push(&expq, i);
		(void)eventfd_write(wake_fd, 1);
	}

	for (i = 0; i < nconns; i++) {
		if (ST_STATE(atomic_load(&conns[i].st)) != SLOT_PARKED)
			continue;
		dl = atomic_load(&conns[i].deadline);
		if (dl == 0 || dl > now || !conn_take(&conns[i], 0))
			continue;
		/* taken: the deadline may have changed since it was read */
		if ((dl = atomic_load(&conns[i].deadline)) == 0 || dl > now) {
			(void)conn_park(&conns[i], dl, 1);
			continue;
		}
		/* a closing connection's time is simply up */
		if (!conns[i].closing) {
			STATS_INC(stats.front_timeouts);
			log_msg(LOG_LVL_WARNING, "front_timeout", "front_timeout: "
			    "a request did not arrive whole within "
			    "front_timeout; connection closed");
		}
		conn_free(&conns[i]);
	}
}

/* Returns the threads running. */
int
dispatch_running(void)
{
	return atomic_load(&running);
}

/*
 * Closes the parked connections with nothing sent (stopping); those
 * with bytes waiting go back to the workers.
 */
static void
close_idle(void)
{
	unsigned char	b;
	int		i;

	for (i = 0; i < nconns; i++) {
		if (ST_STATE(atomic_load(&conns[i].st)) != SLOT_PARKED ||
		    !conn_take(&conns[i], 0))
			continue;
		/* a closing one keeps its time; a request may be coming */
		if (conns[i].closing ||
		    recv(conns[i].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
			(void)conn_park(&conns[i],
			    atomic_load(&conns[i].deadline), 1);
		else
			conn_free(&conns[i]);
	}
}

/* Drains; see dispatch.h. */
int
dispatch_drain(long long deadline_ms)
{
	sigset_t	set;
	struct timespec	ts = { 0, 100000000 };
	int		sig;

	atomic_store(&stopping, 1);
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	for (;;) {
		close_idle();
		dispatch_tick();
		if (atomic_load(&stats.conns_open) == 0 &&
		    atomic_load(&busy) == 0)
			break;
		sig = sigtimedwait(&set, NULL, &ts);
		log_tick();
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(LOG_LVL_WARNING, NULL, "second stop signal: "
			    "exiting without waiting");
			return 0;
		}
		if (clock_ms() > deadline_ms) {
			log_msg(LOG_LVL_WARNING, NULL, "stop: %d request(s) "
			    "still in flight after the drain time; exiting",
			    atomic_load(&busy));
			return 0;
		}
		if (atomic_load(&running) == 0)
			break;
	}
	stop_threads();
	dispatch_free();
	return 1;
}
