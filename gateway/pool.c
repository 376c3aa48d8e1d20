/*
 * pool.c: the backend connections (see pool.h).  One mutex guards the
 * counts, the idle connections (a ring, newest taken first, oldest
 * closed first), the line of waiting requests and the list of new
 * connections not answered yet.  Each waiter sleeps on a condition
 * variable of its own (taken from a set made at start, one per worker);
 * a connection or a slot is handed to the first in line by whoever
 * frees it, who wakes that waiter alone, so nobody can jump the line.
 */
#include "autoconf.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "active.h"
#include "dial.h"
#include "clock.h"
#include "pool.h"
#include "stats.h"

/* Milliseconds without keeping connections after running out of descriptors. */
#define PRESSURE_MS	10000

enum grant { GRANT_NONE, GRANT_SLOT, GRANT_CONN };

/* A request waiting in line (on its worker's stack). */
struct waiter {
	struct waiter	*next, *prev;
	pthread_cond_t	*cv;		/* it sleeps on this one */
	unsigned	 gen;
	int		 keep;		/* its request may take a kept connection */
	enum grant	 granted;
	int		 fd;		/* GRANT_CONN */
	unsigned	 nreq;
};

/* An idle kept connection. */
struct idle {
	int		 fd;
	unsigned	 gen;
	unsigned	 nreq;		/* requests completed on it */
	long long	 since_ms;	/* when it became idle */
};

static struct {
	pthread_mutex_t		 mtx;
	pthread_cond_t		*cvs;		/* cap of them, for waiters */
	size_t			*cv_free;	/* indexes of the free ones */
	size_t			 ncv, ncv_free;	/* initialized, free */
	pthread_cond_t		 sweep_cv;	/* the sweeper */
	pthread_t		 sweeper;
	int			 ready;		/* sweep_cv initialized */
	int			 sweeping;	/* the sweeper runs */
	int			 sweep_idle;	/* it sleeps without a deadline */
	int			 stop;
	struct idle		*ring;
	size_t			 cap, head, n;	/* head: the oldest */
	unsigned		 open;		/* busy + idle */
	unsigned		 max;		/* 0: no bound */
	long long		 idle_ms;
	int			 keep;
	unsigned		 gen;
	long long		 pressure_until;
	struct waiter		*qhead, *qtail;
	unsigned		 nwait;
	struct pool_conn	*uhead, *utail;	/* unanswered, oldest first */
} P = { .mtx = PTHREAD_MUTEX_INITIALIZER, .idle_ms = 1000 };

/* Converts a monotonic time in ms to a timespec for a timed wait. */
static struct timespec
abs_ts(long long ms)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	return ts;
}

/* Publishes the gauges of the status page (under the mutex). */
static void
publish(void)
{
	atomic_store(&stats.backend_open, (long)P.open);
	atomic_store(&stats.backend_idle, (long)P.n);
	atomic_store(&stats.backend_waiting, (long)P.nwait);
}

/* Returns 1 when an idle connection shows nothing: no EOF, no stray bytes. */
static int
idle_ok(int fd)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 0;
}

/* Removes and returns the newest idle connection (P.n > 0). */
static struct idle
pop_newest(void)
{
	P.n--;
	return P.ring[(P.head + P.n) % P.cap];
}

/* Closes the oldest idle connection (P.n > 0); it leaves the count. */
static void
close_oldest(void)
{
	close(P.ring[P.head].fd);
	P.head = (P.head + 1) % P.cap;
	P.n--;
	P.open--;
	STATS_INC(stats.backend_idle_closed);
}

/* Closes every idle connection. */
static void
close_idle(void)
{
	while (P.n > 0)
		close_oldest();
}

/*
 * Returns 1 when a new connection has waited backend_idle_timeout for
 * its first answer byte: the backend may not have accepted it yet,
 * because its processes sit on our idle connections.
 */
static int
backlog_suspected(long long now)
{
	return P.uhead != NULL && now - P.uhead->opened_ms >= P.idle_ms;
}

/* Removes w from the line. */
static void
unqueue(struct waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		P.qhead = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		P.qtail = w->prev;
	w->next = w->prev = NULL;
}

/* Gives free slots (room under the bound) to the first in line. */
static void
give_slots(void)
{
	struct waiter	*w;

	while ((w = P.qhead) != NULL && (P.max == 0 || P.open < P.max)) {
		unqueue(w);
		w->granted = GRANT_SLOT;
		P.open++;
		pthread_cond_signal(w->cv);
	}
}

/* Adds c to the unanswered list (under the mutex). */
static void
mark_unanswered(struct pool_conn *c)
{
	c->unanswered = 1;
	c->opened_ms = clock_ms();
	c->next = NULL;
	c->prev = P.utail;
	if (P.utail != NULL)
		P.utail->next = c;
	else
		P.uhead = c;
	P.utail = c;
}

/* Takes c off the unanswered list (under the mutex). */
static void
unmark(struct pool_conn *c)
{
	if (!c->unanswered)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		P.uhead = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		P.utail = c->prev;
	c->next = c->prev = NULL;
	c->unanswered = 0;
}

/* Closes the idle connections whose time is up; returns when the next one's is. */
static long long
sweep(long long now)
{
	long long	next, u;

	if (backlog_suspected(now))
		close_idle();
	while (P.n > 0 && now - P.ring[P.head].since_ms >= P.idle_ms)
		close_oldest();
	if (P.n == 0)
		return -1;
	next = P.ring[P.head].since_ms + P.idle_ms;
	if (P.uhead != NULL && (u = P.uhead->opened_ms + P.idle_ms) < next)
		next = u;
	return next;
}

/* The sweeper: closes idle connections when their time is up, also without traffic. */
static void *
sweeper_main(void *arg)
{
	struct timespec	ts;
	long long	next;

	(void)arg;
	pthread_mutex_lock(&P.mtx);
	while (!P.stop) {
		next = sweep(clock_ms());
		publish();
		if (next == -1) {
			P.sweep_idle = 1;
			pthread_cond_wait(&P.sweep_cv, &P.mtx);
			P.sweep_idle = 0;
		} else {
			ts = abs_ts(next);
			pthread_cond_timedwait(&P.sweep_cv, &P.mtx, &ts);
		}
	}
	pthread_mutex_unlock(&P.mtx);
	return NULL;
}

/* Destroys the conditions pool_init() made. */
static void
destroy_conds(void)
{
	while (P.ncv > 0)
		pthread_cond_destroy(&P.cvs[--P.ncv]);
	if (P.ready)
		pthread_cond_destroy(&P.sweep_cv);
	P.ready = 0;
	free(P.cvs);
	free(P.cv_free);
	P.cvs = NULL;
	P.cv_free = NULL;
	P.ncv_free = 0;
}

/* Prepares the pool and starts the sweeper; see pool.h. */
int
pool_init(size_t cap)
{
	pthread_condattr_t	attr;
	int			ok_attr = 0;

	if (cap == 0 || (P.ring = calloc(cap, sizeof(*P.ring))) == NULL ||
	    (P.cvs = calloc(cap, sizeof(*P.cvs))) == NULL ||
	    (P.cv_free = calloc(cap, sizeof(*P.cv_free))) == NULL)
		goto fail;
	P.cap = cap;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	ok_attr = 1;
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0)
		goto fail;
	for (P.ncv = 0; P.ncv < cap; P.ncv++) {
		if (pthread_cond_init(&P.cvs[P.ncv], &attr) != 0)
			goto fail;
		P.cv_free[P.ncv] = P.ncv;
	}
	P.ncv_free = cap;
	if (pthread_cond_init(&P.sweep_cv, &attr) != 0)
		goto fail;
	P.ready = 1;
	if (pthread_create(&P.sweeper, NULL, sweeper_main, NULL) != 0)
		goto fail;
	P.sweeping = 1;
	pthread_condattr_destroy(&attr);
	return 0;
fail:
	destroy_conds();
	if (ok_attr)
		pthread_condattr_destroy(&attr);
	free(P.ring);
	P.ring = NULL;
	P.cap = 0;
	return -1;
}

/* Stops the sweeper and releases the pool; see pool.h. */
void
pool_free(void)
{
	if (P.sweeping) {
		pthread_mutex_lock(&P.mtx);
		P.stop = 1;
		pthread_cond_signal(&P.sweep_cv);
		pthread_mutex_unlock(&P.mtx);
		pthread_join(P.sweeper, NULL);
		P.sweeping = 0;
	}
	pthread_mutex_lock(&P.mtx);
	if (P.ring != NULL)
		close_idle();
	free(P.ring);
	P.ring = NULL;
	P.cap = P.n = P.head = 0;
	publish();
	pthread_mutex_unlock(&P.mtx);
	destroy_conds();
}

/* Applies a configuration; see pool.h. */
void
pool_configure(const struct config *cfg, unsigned gen)
{
	pthread_mutex_lock(&P.mtx);
	P.max = (unsigned)cfg->backend_max_conns;
	P.idle_ms = dial_ms(cfg->backend_idle_timeout);
	P.keep = cfg->keep_conn;
	if (gen != P.gen || !P.keep) {
		if (P.ring != NULL)
			close_idle();
		P.gen = gen;
	}
	give_slots();
	if (P.ready)
		pthread_cond_signal(&P.sweep_cv);
	publish();
	pthread_mutex_unlock(&P.mtx);
}

/*
 * Opens a new connection into c, whose slot is counted.  Out of
 * descriptors, closes every idle connection, keeps none for a while
 * (the descriptors go to requests) and tries once more.
 */
static enum pool_got
dial(const struct config *cfg, struct pool_conn *c)
{
	int	fd;

	if ((fd = dial_backend(cfg)) == -1 &&
	    (errno == EMFILE || errno == ENFILE)) {
		pthread_mutex_lock(&P.mtx);
		close_idle();
		P.pressure_until = clock_ms() + PRESSURE_MS;
		publish();
		pthread_mutex_unlock(&P.mtx);
		fd = dial_backend(cfg);
	}
	if (fd == -1) {
		c->err = errno;
		return c->err == EMFILE || c->err == ENFILE ?
		    POOL_NO_DESCRIPTORS : POOL_CONNECT_FAILED;
	}
	STATS_INC(stats.backend_connects);
	c->fd = fd;
	c->nreq = 0;
	pthread_mutex_lock(&P.mtx);
	mark_unanswered(c);
	pthread_mutex_unlock(&P.mtx);
	return POOL_GOT_NEW;
}

/* Replaces c's connection with a new one; see pool.h. */
enum pool_got
pool_redial(const struct config *cfg, struct pool_conn *c)
{
	if (c->fd != -1) {
		pthread_mutex_lock(&P.mtx);
		unmark(c);
		pthread_mutex_unlock(&P.mtx);
		close(c->fd);
		c->fd = -1;
	}
	return dial(cfg, c);
}

/*
 * Takes an idle connection fit for c's generation, closing unfit ones
 * on the way (under the mutex).  Returns 1 when c got one.
 */
static int
take_idle(struct pool_conn *c, long long now)
{
	struct idle	e;

	while (P.n > 0) {
		e = pop_newest();
		if (e.gen == c->gen && e.nreq < POOL_MAX_REUSE &&
		    now - e.since_ms < P.idle_ms) {
			c->fd = e.fd;
			c->nreq = e.nreq;
			return 1;
		}
		close(e.fd);
		P.open--;
		STATS_INC(stats.backend_idle_closed);
	}
	return 0;
}

/*
 * Waits in line for a slot or a connection (under the mutex); returns
 * what came, GRANT_NONE at the deadline.
 */
static enum grant
wait_in_line(struct waiter *w, long long deadline)
{
	struct timespec	ts = abs_ts(deadline);
	size_t		cv;
	int		rc;

	/* one waiter per worker at most: a free condition is always there */
	if (P.ncv_free == 0)
		return GRANT_NONE;
	cv = P.cv_free[--P.ncv_free];
	w->cv = &P.cvs[cv];
	w->next = NULL;
	w->prev = P.qtail;
	if (P.qtail != NULL)
		P.qtail->next = w;
	else
		P.qhead = w;
	P.qtail = w;
	P.nwait++;
	STATS_INC(stats.backend_waits);
	publish();
	while (w->granted == GRANT_NONE) {
		active_block();
		rc = pthread_cond_timedwait(w->cv, &P.mtx, &ts);
		if (rc != 0 && rc != EINTR && w->granted == GRANT_NONE) {
			unqueue(w);
			break;
		}
	}
	P.cv_free[P.ncv_free++] = cv;
	P.nwait--;
	publish();
	return w->granted;
}

/* Gets a connection; see pool.h. */
enum pool_got
pool_get(const struct config *cfg, unsigned gen, struct pool_conn *c)
{
	struct waiter	w;
	long long	t0;
	enum grant	g;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->gen = gen;
	pthread_mutex_lock(&P.mtx);
	t0 = clock_ms();
	while (P.qhead == NULL) {
		if (cfg->keep_conn && take_idle(c, t0)) {
			c->slot = 1;
			publish();
			pthread_mutex_unlock(&P.mtx);
			if (idle_ok(c->fd))
				return POOL_GOT_IDLE;
			/* closed by the backend while idle: a new one in its place */
			return pool_redial(cfg, c);
		}
		if (P.max == 0 || P.open < P.max) {
			P.open++;
			c->slot = 1;
			publish();
			pthread_mutex_unlock(&P.mtx);
			return dial(cfg, c);
		}
		if (P.n == 0)
			break;
		/* idle ones this request cannot use hold the room */
		close_oldest();
	}
	memset(&w, 0, sizeof(w));
	w.gen = gen;
	w.keep = cfg->keep_conn;
	g = wait_in_line(&w, t0 + dial_ms(cfg->backend_timeout));
	c->waited_ms = clock_ms() - t0;
	atomic_fetch_add_explicit(&stats.backend_wait_us,
	    (unsigned long long)c->waited_ms * 1000, memory_order_relaxed);
	pthread_mutex_unlock(&P.mtx);
	if (g == GRANT_NONE) {
		STATS_INC(stats.backend_wait_timeouts);
		return POOL_TIMED_OUT;
	}
	c->slot = 1;
	if (g == GRANT_SLOT)
		return dial(cfg, c);
	c->fd = w.fd;
	c->nreq = w.nreq;
	if (idle_ok(c->fd))
		return POOL_GOT_IDLE;
	return pool_redial(cfg, c);
}

/* Notes the first answer byte on c; see pool.h. */
void
pool_answered(struct pool_conn *c)
{
	if (!c->unanswered)
		return;
	pthread_mutex_lock(&P.mtx);
	unmark(c);
	pthread_mutex_unlock(&P.mtx);
}

/*
 * Keeps c's connection (under the mutex): hands it to the first in
 * line, or makes it idle.  Returns 1 when kept.
 */
static int
keep_back(struct pool_conn *c, long long now)
{
	struct waiter	*w = P.qhead;
	struct idle	*e;

	if (P.cap == 0 || !P.keep || c->gen != P.gen || c->nreq + 1 >= POOL_MAX_REUSE ||
	    (P.max != 0 && P.open > P.max) || now < P.pressure_until ||
	    backlog_suspected(now))
		return 0;
	if (w != NULL) {
		if (!w->keep || w->gen != c->gen)
			return 0;
		unqueue(w);
		w->granted = GRANT_CONN;
		w->fd = c->fd;
		w->nreq = c->nreq + 1;
		pthread_cond_signal(w->cv);
		return 1;
	}
	if (P.n == P.cap)
		close_oldest();
	/* a sweeper with a deadline wakes before this one's: no signal */
	if (P.n == 0 && P.sweep_idle)
		pthread_cond_signal(&P.sweep_cv);
	e = &P.ring[(P.head + P.n) % P.cap];
	e->fd = c->fd;
	e->gen = c->gen;
	e->nreq = c->nreq + 1;
	e->since_ms = now;
	P.n++;
	return 1;
}

/* Gives c back; see pool.h. */
void
pool_release(struct pool_conn *c, int keep)
{
	int	fd = c->fd;

	if (!c->slot) {
		if (fd != -1)
			close(fd);
		c->fd = -1;
		return;
	}
	pthread_mutex_lock(&P.mtx);
	unmark(c);
	if (fd != -1 && keep && keep_back(c, clock_ms()))
		fd = -1;
	else {
		P.open--;
		give_slots();
	}
	publish();
	pthread_mutex_unlock(&P.mtx);
	if (fd != -1)
		close(fd);
	c->fd = -1;
	c->slot = 0;
}
