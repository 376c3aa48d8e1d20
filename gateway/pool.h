/*
 * pool.h: the gateway's connections to the backend.  A counted set:
 * open = busy + idle, at most backend_max_conns when that is set.  A
 * request that finds every connection busy waits in line (first come,
 * first served) for one to come back, at most backend_timeout; a
 * connection that comes back goes straight to the first in line.  Idle
 * kept connections are closed after backend_idle_timeout (by a sweeper
 * thread, so they do not pin backend processes once traffic stops), and
 * none is kept idle while a new connection has waited that long for
 * its first answer byte (it is likely queued behind them in the
 * backend's listen backlog).
 */
#ifndef XFF_POOL_H
#define XFF_POOL_H

#include "config.h"

/* A kept connection is closed after this many requests. */
#define POOL_MAX_REUSE		1000

/* What pool_get() and pool_redial() got. */
enum pool_got {
	POOL_GOT_IDLE,		/* a kept connection, idle until now */
	POOL_GOT_NEW,		/* a new connection */
	POOL_TIMED_OUT,		/* every connection stayed busy until the deadline */
	POOL_CONNECT_FAILED,	/* connecting failed (errno in err) */
	POOL_NO_DESCRIPTORS	/* the process is out of descriptors */
};

/*
 * One connection held by a request, from pool_get() to pool_release().
 * The caller reads fd, nreq and waited_ms and leaves the rest alone.
 */
struct pool_conn {
	int			 fd;		/* -1 when none */
	unsigned		 gen;		/* configuration generation */
	unsigned		 nreq;		/* requests done on fd before */
	long long		 waited_ms;	/* time spent in line, 0 if none */
	int			 err;		/* errno of a failed connect */
	/* private */
	int			 slot;		/* counted in open */
	int			 unanswered;	/* new, no answer byte yet */
	long long		 opened_ms;
	struct pool_conn	*prev, *next;	/* the unanswered list */
};

/*
 * Prepares the pool for at most cap idle connections (the number of
 * workers) and starts its sweeper thread.  Call once, with every signal
 * blocked.  Returns 0 or -1.
 */
int	pool_init(size_t cap);

/* Stops the sweeper, closes every idle connection, releases the pool. */
void	pool_free(void);

/*
 * Applies cfg (generation gen): its backend_max_conns, idle timeout,
 * wait warning and keep_conn.  Idle connections of an older generation
 * are closed at once; busy ones above a lowered bound close as they
 * come back; a raised bound lets requests in line go at once.
 */
void	pool_configure(const struct config *cfg, unsigned gen);

/*
 * Gets a connection to cfg->backend for a request of generation gen:
 * the most recently used idle one (keep_conn), else a new one when the
 * bound leaves room, else waits in line up to cfg->backend_timeout.
 * Whatever it returns, c must be given back with pool_release().
 */
enum pool_got	pool_get(const struct config *cfg, unsigned gen,
		    struct pool_conn *c);

/*
 * Replaces c's connection with a new one in the same place (a retry
 * after a stale kept connection): no waiting in line again.
 */
enum pool_got	pool_redial(const struct config *cfg, struct pool_conn *c);

/* Notes that the backend sent a byte on c (it accepted the connection). */
void	pool_answered(struct pool_conn *c);

/*
 * Gives c back: kept for reuse when keep is set and the pool allows it
 * (handed to the first request in line, or idle), else closed.
 */
void	pool_release(struct pool_conn *c, int keep);

#endif
