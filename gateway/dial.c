/*
 * dial.c: connecting to the backend.  A Unix connect waits for room in
 * the backend's listen backlog up to connect_timeout; a TCP connect is
 * made without blocking and polled for at most as long.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "active.h"
#include "dial.h"

/* Converts seconds to ms for poll(), at least 1. */
int
dial_ms(double s)
{
	double	ms = s * 1000.0;

	if (ms < 1.0)
		return 1;
	if (ms > (double)INT_MAX)
		return INT_MAX;
	return (int)ms;
}

/* Sets a socket's send or receive timeout (opt) to ms milliseconds. */
int
dial_sock_timeout(int fd, int opt, int ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* Connects a Unix socket, waiting at most ms for room in the backlog. */
static int
connect_unix(const struct sockspec *s, int ms)
{
	struct sockaddr_un	 sun;
	int			 fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(s->path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, s->path, strlen(s->path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* a blocking connect on AF_UNIX waits for backlog room up to SO_SNDTIMEO */
	if (dial_sock_timeout(fd, SO_SNDTIMEO, ms) == -1)
		goto fail;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno != EINTR)
			goto fail;
	}
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Connects TCP without blocking longer than ms; the result blocks. */
static int
connect_tcp(const struct sockspec *s, int ms)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 slen, elen;
	struct pollfd		 pfd;
	int			 fd, e, one = 1, k, fl;

	memset(&ss, 0, sizeof(ss));
	if (s->ip.family == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)s->port);
		memcpy(&sin->sin_addr, s->ip.a, 4);
		slen = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)s->port);
		memcpy(&sin6->sin6_addr, s->ip.a, 16);
		slen = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	if (connect(fd, (struct sockaddr *)&ss, slen) == -1) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		active_block();
		while ((k = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
			;
		if (k == -1)
			goto fail;
		if (k == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		elen = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
			goto fail;
		if (e != 0) {
			errno = e;
			goto fail;
		}
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Connects to cfg->backend; see dial.h. */
int
dial_backend(const struct config *cfg)
{
	int	ms = dial_ms(cfg->connect_timeout), fd, e;

	if (cfg->backend.kind == SOCK_UNIX)
		fd = connect_unix(&cfg->backend, ms);
	else if (cfg->backend.kind == SOCK_TCP)
		fd = connect_tcp(&cfg->backend, ms);
	else {
		errno = EINVAL;
		return -1;
	}
	if (fd == -1)
		return -1;
	if (dial_sock_timeout(fd, SO_RCVTIMEO, dial_ms(cfg->backend_timeout))
	    == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
