/*
 * fcgx.c: the gateway's uses of libfcgi internals (see fcgx.h): public
 * FCGX_Request and FCGX_Stream fields the header asks not to touch, the
 * head of the private FCGX_Stream_Data (unchanged from 2.0 to 2.4.x),
 * and FCGX_Accept_r's behaviour with a descriptor already open.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fcgirec.h"
#include "fcgx.h"

/* The head of libfcgi's private per-stream state (FCGX_Stream_Data). */
struct fcgx_data_head {
	unsigned char	*buff;		/* raw bytes read from the socket */
	int		 bufflen;
	unsigned char	*mBuff;
	unsigned char	*buffStop;	/* end of the raw bytes */
	int		 type;
	int		 eorStop;
	int		 skip;
	int		 contentLen;	/* content bytes of the record not yet read */
	int		 paddingLen;	/* its padding bytes not yet skipped */
};

/* Prepares a request on a descriptor we accepted. */
void
fcgx_conn(FCGX_Request *req, int fd)
{
	FCGX_InitRequest(req, -1, 0);
	req->ipcFd = fd;
	/* else the FCGX_Finish_r that FCGX_Accept_r runs first closes fd */
	req->keepConnection = 1;
}

/* Reads the next request: libfcgi skips its accept while ipcFd >= 0. */
enum fcgx_next
fcgx_next(FCGX_Request *req)
{
	int	rc;

	/*
	 * On a refusal (an unknown role) libfcgi closes fd, then its accept
	 * on -1 fails; detached makes that close immediate, without the
	 * lingering reads that would hold the thread.
	 */
	req->detached = 1;
	rc = FCGX_Accept_r(req);
	req->detached = 0;
	if (rc < 0 || req->ipcFd < 0)
		return FCGX_NEXT_CLOSED;
	return FCGX_NEXT_REQUEST;
}

/* Returns the descriptor, -1 when closed. */
int
fcgx_fd(const FCGX_Request *req)
{
	return req->ipcFd;
}

/* Closes the connection at FCGX_Finish_r. */
void
fcgx_close_after(FCGX_Request *req)
{
	req->keepConnection = 0;
}

/* Ends a request without libfcgi's lingering close; see fcgx.h. */
enum fcgx_finish
fcgx_finish(FCGX_Request *req)
{
	int	keep = req->keepConnection;

	/* libfcgi closes when the request did not keep the connection... */
	req->keepConnection = 1;
	/* ...or when a stream failed: then without shutdown and reads */
	req->detached = 1;
	FCGX_Finish_r(req);
	req->detached = 0;
	if (req->ipcFd < 0)
		return FCGX_FINISH_CLOSED;
	return keep ? FCGX_FINISH_KEPT : FCGX_FINISH_CLOSE;
}

/* Reads the input stream's state; see fcgx.h. */
int
fcgx_in_state(const FCGX_Stream *in, struct fcgx_in *st)
{
	const struct fcgx_data_head	*d = in->data;

	memset(st, 0, sizeof(*st));
	if (in->rdNext != in->stop || in->isClosed) {
		st->ready = 1;
		return 0;
	}
	if (!in->isReader || d == NULL || d->buff == NULL ||
	    d->bufflen <= 0 || d->buffStop < d->buff ||
	    d->buffStop > d->buff + d->bufflen || in->rdNext < d->buff ||
	    in->rdNext > d->buffStop || d->contentLen < 0 ||
	    d->contentLen > 0xffff || d->paddingLen < 0 ||
	    d->paddingLen > 0xff || d->type != FREC_STDIN)
		return -1;
	st->raw = in->rdNext;
	st->rawlen = (size_t)(d->buffStop - in->rdNext);
	st->clen = (size_t)d->contentLen;
	st->plen = (size_t)d->paddingLen;
	return 0;
}

/* Returns the content bytes delivered and not yet taken. */
size_t
fcgx_in_avail(const FCGX_Stream *in)
{
	return in->stop > in->rdNext ? (size_t)(in->stop - in->rdNext) : 0;
}

/* Returns the output buffer's free room. */
size_t
fcgx_out_room(const FCGX_Stream *out)
{
	if (out->isClosed || out->FCGI_errno != 0 || out->wrNext > out->stop)
		return 0;
	return (size_t)(out->stop - out->wrNext);
}

/* Marks the output stream failed. */
void
fcgx_out_fail(FCGX_Stream *out, int err)
{
	if (out->FCGI_errno == 0)
		out->FCGI_errno = err != 0 ? err : EIO;
	out->isClosed = 1;
}

/* Writes n bytes to fd; returns 0 or -1. */
static int
put_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t	k;

	while (n > 0) {
		k = write(fd, p, n);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Runs the start-up check; see fcgx.h. */
int
fcgx_selfcheck(char *err, size_t cap)
{
	static const unsigned char	 pair[] = { 1, 1, 'A', 'B' };
	unsigned char			 msg[64];
	FCGX_Request			 req;
	struct fcgx_in			 st;
	const char			*v, *why = NULL;
	size_t				 n = 0;
	int				 sv[2], inited = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, cap, "libfcgi check: socketpair: %s",
		    strerror(errno));
		return -1;
	}
	/* without FCGI_KEEP_CONN: fcgx_finish() must still keep it open */
	n += frec_begin(msg + n, 1, 0);
	n += frec_header(msg + n, FREC_PARAMS, 1, sizeof(pair), 4);
	memcpy(msg + n, pair, sizeof(pair));
	memset(msg + n + sizeof(pair), 0, 4);
	n += sizeof(pair) + 4;
	n += frec_header(msg + n, FREC_PARAMS, 1, 0, 0);
	n += frec_header(msg + n, FREC_STDIN, 1, 2, 6);
	memcpy(msg + n, "xy\0\0\0\0\0\0", 8);
	n += 8;
	if (put_all(sv[1], msg, n) == -1) {
		why = "cannot write the test request";
		goto done;
	}
	fcgx_conn(&req, sv[0]);
	inited = 1;
	if (fcgx_next(&req) != FCGX_NEXT_REQUEST || req.ipcFd != sv[0]) {
		why = "a request on an open descriptor is not read";
		goto done;
	}
	if ((v = FCGX_GetParam("A", req.envp)) == NULL || strcmp(v, "B") != 0) {
		why = "the params of the test request are not read";
		goto done;
	}
	/* the STDIN record was read with the params, not parsed yet */
	if (fcgx_in_state(req.in, &st) == -1 || st.ready || st.clen != 0 ||
	    st.plen != 0 || st.rawlen != 16 || st.raw[1] != FREC_STDIN) {
		why = "the input stream's state is not as expected";
		goto done;
	}
	if (FCGX_GetStr((char *)msg, 2, req.in) != 2 ||
	    memcmp(msg, "xy", 2) != 0) {
		why = "the body of the test request is not read";
		goto done;
	}
	if (fcgx_finish(&req) != FCGX_FINISH_CLOSE || req.ipcFd != sv[0] ||
	    fcntl(sv[0], F_GETFD) == -1) {
		why = "a connection is closed at the end of a request";
		goto done;
	}
	close(sv[1]);
	sv[1] = -1;
	if (fcgx_next(&req) != FCGX_NEXT_CLOSED || req.ipcFd != -1) {
		why = "a connection the peer closed is not reported closed";
		goto done;
	}
	sv[0] = -1;		/* libfcgi closed it */
done:
	if (inited && req.ipcFd == -1)
		sv[0] = -1;
	if (inited)
		FCGX_Free(&req, 0);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (why != NULL) {
		snprintf(err, cap, "libfcgi does not behave as this gateway "
		    "needs (2.4.x): %s", why);
		return -1;
	}
	return 0;
}
