/*
 * dial.h: connecting to the backend (Unix or TCP, bounded by
 * connect_timeout), and the socket timeout helpers both sides use.
 */
#ifndef XFF_DIAL_H
#define XFF_DIAL_H

#include "config.h"

/* Converts seconds to a poll timeout in ms, at least 1, at most INT_MAX. */
int	dial_ms(double s);

/* Sets a socket's send or receive timeout (opt) to ms (0: none); returns 0 or -1. */
int	dial_sock_timeout(int fd, int opt, int ms);

/*
 * Connects to cfg->backend within connect_timeout.  Returns a blocking
 * descriptor with a receive timeout of backend_timeout (every other
 * operation on it says MSG_DONTWAIT or polls first), or -1 with errno
 * set.
 */
int	dial_backend(const struct config *cfg);

#endif
