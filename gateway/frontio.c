/*
 * frontio.c: the front request's body and output around libfcgi
 * (frontio.h).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

#include "active.h"
#include "clock.h"
#include "fcgx.h"
#include "frontio.h"

/* Bytes a check needs at most: padding, a header and one content byte. */
#define CHECK_MAX	(255 + FREC_HDRLEN + 1)

/* Checks the next read; see frontio.h. */
enum front_in
front_check(FCGX_Request *req, const char **why)
{
	unsigned char	buf[CHECK_MAX];
	struct fcgx_in	st;
	size_t		have, need;
	ssize_t		n;

	/* an unknown state: the read may wait, as plain libfcgi use may */
	if (fcgx_in_state(req->in, &st) == -1 || st.ready)
		return FRONT_IN_READY;
	need = st.clen > 0 ? 1 : st.plen + FREC_HDRLEN + 1;
	have = st.rawlen < need ? st.rawlen : need;
	memcpy(buf, st.raw, have);
	/* the empty STDIN record (the end) is whole without a content byte */
	if (have < need && frec_body_check(buf, have, st.clen, st.plen,
	    (unsigned)req->requestId, why) == FBODY_READY)
		return FRONT_IN_READY;
	if (have < need) {
		n = recv(fcgx_fd(req), buf + have, need - have,
		    MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR))
			return FRONT_IN_READY;	/* the read reports it */
		if (n > 0)
			have += (size_t)n;
	}
	/* bytes wait in the socket: a poll would return at once */
	if (have > st.rawlen && have < need && frec_body_check(buf, have,
	    st.clen, st.plen, (unsigned)req->requestId, why) == FBODY_NEED)
		return FRONT_IN_PARTIAL;
	switch (frec_body_check(buf, have, st.clen, st.plen,
	    (unsigned)req->requestId, why)) {
	case FBODY_READY:
		return FRONT_IN_READY;
	case FBODY_BAD:
		return FRONT_IN_BAD;
	case FBODY_NEED:
		break;
	}
	return FRONT_IN_WAIT;
}

/* Takes body bytes; see frontio.h. */
long
front_take(FCGX_Request *req, unsigned char *p, size_t cap)
{
	size_t	avail = fcgx_in_avail(req->in), got = 0;
	int	k;

	if (avail == 0) {
		if (FCGX_GetStr((char *)p, 1, req->in) != 1)
			return FCGX_GetError(req->in) != 0 ? -1 : 0;
		got = 1;
		avail = fcgx_in_avail(req->in);
	}
	if (avail > cap - got)
		avail = cap - got;
	if (avail > 0) {
		k = FCGX_GetStr((char *)p + got, (int)avail, req->in);
		if (k > 0)
			got += (size_t)k;
	}
	return (long)got;
}

/* Returns what a body may still wait; see frontio.h. */
long long
body_wait_left(int timeout_ms, long long waited_ms, unsigned long body)
{
	/* whole BODY_MIN_RATE pieces as seconds, the rest in proportion */
	return (long long)timeout_ms - waited_ms +
	    (long long)(body / BODY_MIN_RATE) * 1000 +
	    (long long)(body % BODY_MIN_RATE) * 1000 / BODY_MIN_RATE;
}

/* Drops the rest of the body; see frontio.h. */
enum front_drain
front_drain(FCGX_Request *req, unsigned char *buf, size_t cap, int timeout_ms)
{
	struct pollfd	 pfd;
	const char	*why;
	unsigned long	 body = 0;
	long long	 waited = 0, left, t0, t1;
	long		 k;
	int		 rc;
	enum front_in	 in;

	if (FCGX_HasSeenEOF(req->in) != 0)
		return FRONT_DRAINED;
	for (;;) {
		t0 = clock_ms();
		if ((in = front_check(req, &why)) == FRONT_IN_BAD)
			return FRONT_DRAIN_FAILED;
		if (in == FRONT_IN_WAIT || in == FRONT_IN_PARTIAL) {
			if ((left = body_wait_left(timeout_ms, waited,
			    body)) <= 0)
				return FRONT_DRAIN_TIMEOUT;
			if (in == FRONT_IN_PARTIAL && left > FRONT_PARTIAL_MS)
				left = FRONT_PARTIAL_MS;
			pfd.fd = fcgx_fd(req);
			pfd.events = POLLIN;
			pfd.revents = 0;
			active_block();
			rc = poll(in == FRONT_IN_WAIT ? &pfd : NULL,
			    in == FRONT_IN_WAIT ? 1 : 0,
			    left > INT_MAX ? INT_MAX : (int)left);
			if ((t1 = clock_ms()) > t0)
				waited += t1 - t0;
			if (rc == -1 && errno != EINTR)
				return FRONT_DRAIN_FAILED;
			continue;
		}
		if ((k = front_take(req, buf, cap)) < 0)
			return FRONT_DRAIN_FAILED;
		if (k == 0)
			return FRONT_DRAINED;
		body += (unsigned long)k;
	}
}

/*
 * Writes every byte of iov[0..n) to the socket fd (0 < n <= 1024),
 * waiting for room as long as it takes (the web server times out a
 * response that stops); returns 0 or -1.
 */
static int
writev_all(int fd, struct iovec *iov, int n)
{
	struct msghdr	m;
	struct pollfd	pfd;
	ssize_t		k;

	while (n > 0) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)n;
		k = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			/* the web server is not reading: this thread waits */
			active_block();
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				return -1;
			continue;
		}
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return 0;
}

/* Gives the gathered pieces to the front; see frontio.h. */
enum out_emit
out_emit(FCGX_Request *req, struct outvec *ov)
{
	FCGX_Stream	*out = req->out;
	enum out_emit	 rc = OUT_BUFFERED;
	size_t		 room = fcgx_out_room(out);
	int		 i;

	if (ov->n == 0)
		return OUT_BUFFERED;
	if (room == 0 || ov->len <= room) {
		/* a failed stream fails the put, as libfcgi reports it */
		for (i = 0; i < ov->n; i++) {
			int	len = (int)ov->iov[2 * i + 1].iov_len;

			if (FCGX_PutStr(ov->iov[2 * i + 1].iov_base, len,
			    out) != len) {
				rc = OUT_FAILED;
				break;
			}
		}
	} else if (FCGX_FFlush(out) == -1)
		rc = OUT_FAILED;
	else {
		for (i = 0; i < ov->n; i++) {
			frec_header(ov->hdr[i], FREC_STDOUT,
			    (unsigned)req->requestId,
			    ov->iov[2 * i + 1].iov_len, 0);
			ov->iov[2 * i].iov_base = ov->hdr[i];
			ov->iov[2 * i].iov_len = FREC_HDRLEN;
		}
		if (writev_all(fcgx_fd(req), ov->iov, 2 * ov->n) == -1) {
			fcgx_out_fail(out, errno);
			rc = OUT_FAILED;
		} else
			rc = OUT_WRITTEN;
	}
	ov->n = 0;
	ov->len = 0;
	return rc;
}
