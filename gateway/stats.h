/*
 * stats.h: process-wide counters for the status page (status_uri):
 * relaxed atomic increments, formatted as Prometheus text.
 */
#ifndef XFF_STATS_H
#define XFF_STATS_H

#include <stdatomic.h>
#include <stddef.h>

#include "correct.h"

#define STATS_NEVENTS	(EV_STEALTH + 1)
/* Upper bounds of the latency buckets, in microseconds (+Inf follows). */
#define STATS_BUCKETS	{ 1000, 2500, 5000, 10000, 25000, 50000, 100000, \
			  250000, 500000, 1000000, 2500000, 5000000, 10000000 }
#define STATS_NBUCKETS	13

struct stats {
	atomic_ulong	requests;		/* accepted requests */
	atomic_long	in_flight;		/* requests being served */
	atomic_ulong	relayed;		/* responses relayed from the backend */
	atomic_ulong	rejected_400;		/* answered 400 by the gateway */
	atomic_ulong	rejected_404;		/* answered 404 (stealth) */
	atomic_ulong	errors_500;		/* internal errors (no memory) */
	atomic_ulong	backend_502;		/* backend failures answered 502 */
	atomic_ulong	backend_503;		/* backend overloaded */
	atomic_ulong	backend_504;		/* backend timeouts */
	atomic_ulong	backend_cut;		/* responses cut after output went out */
	atomic_ulong	backend_connects;	/* new backend connections */
	atomic_ulong	backend_reused;		/* requests on a kept connection */
	atomic_long	backend_open;		/* backend connections open (busy + idle) */
	atomic_long	backend_idle;		/* of them, idle */
	atomic_long	backend_waiting;	/* requests waiting for a connection */
	atomic_ulong	backend_waits;		/* requests that waited for one */
	atomic_ullong	backend_wait_us;	/* their waits, summed (64 bits) */
	atomic_ulong	backend_wait_timeouts;	/* waits in vain: answered 503 */
	atomic_ulong	backend_idle_closed;	/* idle connections closed by the pool */
	atomic_ulong	events[STATS_NEVENTS];	/* correction events by kind */
	atomic_ulong	rejections[STATS_NEVENTS]; /* 400/404 by deciding event */
	atomic_ulong	lat_bucket[STATS_NBUCKETS + 1]; /* request durations */
	atomic_ullong	lat_sum_us;		/* their sum (64 bits everywhere) */
	atomic_ulong	reloads_ok;
	atomic_ulong	reloads_failed;
	atomic_int	workers;
	atomic_int	workers_busy;		/* requests holding a worker */
	atomic_ulong	workers_exhausted;	/* requests that found none free */
	atomic_ulong	threads_blocked;	/* steps that blocked a thread */
	atomic_int	threads_active;		/* threads taking events */
	atomic_long	conns_open;		/* front connections open */
	atomic_long	conns_parked;		/* of them, idle in the epoll set */
	atomic_ulong	conns_refused;		/* refused: max_conns, descriptors, peer */
	atomic_ulong	front_timeouts;		/* heads or bodies too slow */
	atomic_ulong	front_errors;		/* protocol violations from the front */
	atomic_ulong	front_too_large;	/* heads above the params limit */
};

extern struct stats	stats;

/* Adds one to a counter. */
#define STATS_INC(c)	atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)

/* Counts one request that took us microseconds. */
void	stats_latency(unsigned long long us);

/*
 * Writes the counters as Prometheus text (version 0.0.4) into buf.
 * Returns the length (at most cap - 1; buf is NUL-terminated).
 */
size_t	stats_format(char *buf, size_t cap);

#endif
