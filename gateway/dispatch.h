/*
 * dispatch.h: the front's connections and the workers serving them.
 * Each front connection has its own libfcgi request; idle connections
 * wait in one epoll set shared by the worker threads, which serve
 * whichever connection has a whole request head.  `workers` bounds the
 * requests in flight, max_conns the connections open.
 */
#ifndef XFF_DISPATCH_H
#define XFF_DISPATCH_H

#include <stddef.h>

#include "config.h"

/* Largest request head (BEGIN_REQUEST and the params records) accepted. */
#define DISPATCH_HEAD_MAX	(128 * 1024)

/*
 * Starts serving on listen_fd (tcp: a TCP socket, whose peers are
 * checked against FCGI_WEB_SERVER_ADDRS) with cfg's workers and
 * max_conns: workers + 1 threads, the one more serving the status page
 * and queueing requests while every worker is busy.  Returns 0, or -1
 * with the reason in err (nothing left running).
 */
int	dispatch_start(int listen_fd, int tcp, const struct config *cfg,
	    char *err, size_t cap);

/* Closes connections whose request head is overdue; called every 250 ms. */
void	dispatch_tick(void);

/* Returns the threads still running. */
int	dispatch_running(void);

/*
 * Stops taking connections, lets the requests in flight and those
 * already sent on kept connections complete, closes idle connections,
 * and waits for the threads until deadline_ms (clock_ms()).  Returns 1
 * when everything ended (the state is freed), 0 when the deadline or a
 * second stop signal came first (the threads still run).
 */
int	dispatch_drain(long long deadline_ms);

#endif
