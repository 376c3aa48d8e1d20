/*
 * relay_floor.c: the floor of a FastCGI hop, for bench_http.py.  An
 * event-loop byte relay: every connection accepted on a Unix socket is
 * paired with a new connection to the backend's Unix socket, and bytes
 * are copied both ways unchanged (nginx and the backend both number
 * their only request 1, so the records need no rewriting).  Record
 * boundaries are only followed so that a backend connection whose
 * front closed between requests is kept for the next front connection,
 * as the gateway keeps its own.  No correction, no checks, no limits:
 * not a gateway.  It shows what a
 * separate hop costs on the machine when one thread serves every ready
 * connection per wake-up, beside xff-gateway's thread per connection.
 *
 * Usage: relay_floor LISTEN_PATH BACKEND_PATH [THREADS]  (default 1)
 * Each thread runs its own epoll loop on the shared listening socket.
 * Runs until killed.
 */
#include "autoconf.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RELAY_BUFSZ	65536
#define MAX_THREADS	64
#define MAX_EVENTS	64
#define POOL_MAX	1024
#define REC_HDRLEN	8
#define REC_END_REQUEST	3
#define REC_STDIN	5

/* Where a stream of records stands. */
struct recpos {
	unsigned char	 hdr[REC_HDRLEN];
	size_t		 hlen;		/* header bytes of the current record */
	size_t		 left;		/* its content and padding still to come */
	int		 type;		/* type of the last whole header, or 0 */
	size_t		 clen;		/* its content length */
	unsigned long	 count;		/* request ends seen (see recpos_scan) */
};

/*
 * One side of a pair.  Bytes read from fd go straight to the peer; what
 * the peer's socket does not take at once waits in pend, and the side
 * reads no more until it is gone.
 */
struct side {
	int		 fd;
	unsigned	 events;	/* current epoll interest */
	struct side	*peer;
	struct pair	*pair;
	unsigned char	*pend;		/* RELAY_BUFSZ, allocated on need */
	size_t		 len;		/* bytes waiting in pend */
	size_t		 off;		/* of them, written to the peer */
	struct recpos	 rp;		/* records read from fd */
};

struct pair {
	struct side	 front;
	struct side	 back;
	int		 ep;
	struct pair	*next_dead;	/* freed after the current batch */
};

static int		 listen_fd;
static const char	*backend_path;
static pthread_mutex_t	 pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static int		 pool_fd[POOL_MAX];	/* idle backend connections */
static int		 pool_n;

/*
 * Follows the records in buf[0..len): counts the ends of requests (an
 * empty STDIN record from the front, END_REQUEST from the backend).
 */
static void
recpos_scan(struct recpos *rp, const unsigned char *buf, size_t len,
    int end_type)
{
	size_t	i = 0, k;

	while (i < len) {
		if (rp->left > 0) {
			k = len - i < rp->left ? len - i : rp->left;
			rp->left -= k;
			i += k;
			continue;
		}
		rp->hdr[rp->hlen++] = buf[i++];
		if (rp->hlen < REC_HDRLEN)
			continue;
		rp->hlen = 0;
		rp->type = rp->hdr[1];
		rp->clen = (size_t)rp->hdr[4] << 8 | rp->hdr[5];
		rp->left = rp->clen + rp->hdr[6];
		if (rp->type == end_type &&
		    (end_type != REC_STDIN || rp->clen == 0))
			rp->count++;
	}
}

/* Returns 1 when the stream stands between two records. */
static int
recpos_between(const struct recpos *rp)
{
	return rp->hlen == 0 && rp->left == 0;
}

/* Fills a Unix socket address; returns 0, or -1 when path is too long. */
static int
unix_addr(struct sockaddr_un *sun, const char *path)
{
	size_t	len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, path, len + 1);
	return 0;
}

/* Makes fd non-blocking; returns 0 or -1. */
static int
set_nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * Sets the epoll interest of s when it changed: readable while none of
 * its bytes wait in pend, writable while its peer's do.  Returns 0 or -1.
 */
static int
side_watch(struct side *s, int op)
{
	struct epoll_event	ev;
	unsigned		want;

	want = (s->len == 0 ? EPOLLIN : 0) | (s->peer->len > 0 ? EPOLLOUT : 0);
	if (op == EPOLL_CTL_MOD && want == s->events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.data.ptr = s;
	ev.events = want;
	s->events = want;
	return epoll_ctl(s->pair->ep, op, s->fd, &ev);
}

/*
 * Ends a pair: closes the front connection, keeps the backend one idle
 * when it served a request and every request sent on it was answered
 * whole with nothing left in between (else closes it: libfcgi drops a
 * Unix connection on which nothing arrives within 2 s of its accept),
 * and queues the pair on *dead, to be freed after the batch.
 */
static void
pair_end(struct pair *p, struct pair **dead)
{
	struct side	*f = &p->front, *b = &p->back;
	int		 keep;

	keep = f->len == 0 && b->len == 0 && recpos_between(&f->rp) &&
	    recpos_between(&b->rp) && b->rp.count > 0 &&
	    f->rp.count == b->rp.count && f->rp.type == REC_STDIN &&
	    f->rp.clen == 0;
	epoll_ctl(p->ep, EPOLL_CTL_DEL, f->fd, NULL);
	epoll_ctl(p->ep, EPOLL_CTL_DEL, b->fd, NULL);
	close(f->fd);
	pthread_mutex_lock(&pool_mtx);
	if (keep && pool_n < POOL_MAX) {
		pool_fd[pool_n++] = b->fd;
		b->fd = -1;
	}
	pthread_mutex_unlock(&pool_mtx);
	if (b->fd != -1)
		close(b->fd);
	f->fd = b->fd = -1;
	free(f->pend);
	free(b->pend);
	p->next_dead = *dead;
	*dead = p;
}

/*
 * One read (out 0) or write (out 1) of fd, repeated when interrupted.
 * Returns the bytes moved, 0 when the socket would block, -1 at the end
 * of the stream or on failure.
 */
static ssize_t
io_once(int fd, unsigned char *buf, size_t len, int out)
{
	ssize_t	n;

	do
		n = out ? write(fd, buf, len) : read(fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		return n;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return -1;
}

/*
 * Writes to s the bytes waiting in its peer's pend.  Returns 0 when all
 * went out or the socket is full, -1 on failure.
 */
static int
side_flush(struct side *s)
{
	struct side	*src = s->peer;
	ssize_t		 n;

	while (src->off < src->len) {
		n = io_once(s->fd, src->pend + src->off, src->len - src->off, 1);
		if (n <= 0)
			return (int)n;
		src->off += (size_t)n;
	}
	src->len = src->off = 0;
	return 0;
}

/*
 * Reads from s into the thread's buffer and writes the bytes to the
 * peer, keeping in pend what its socket does not take.  Returns 0, or
 * -1 when the pair ends.
 */
static int
side_read(struct side *s, unsigned char *buf)
{
	ssize_t	n, w;

	while (s->len == 0) {
		n = io_once(s->fd, buf, RELAY_BUFSZ, 0);
		if (n <= 0)
			return (int)n;
		recpos_scan(&s->rp, buf, (size_t)n, s == &s->pair->front ?
		    REC_STDIN : REC_END_REQUEST);
		w = io_once(s->peer->fd, buf, (size_t)n, 1);
		if (w == -1)
			return -1;
		if (w < n) {
			if (s->pend == NULL &&
			    (s->pend = malloc(RELAY_BUFSZ)) == NULL)
				return -1;
			memcpy(s->pend, buf + w, (size_t)(n - w));
			s->len = (size_t)(n - w);
			s->off = 0;
		}
		/* a short read drained the socket: epoll tells when more comes */
		if (n < RELAY_BUFSZ)
			break;
	}
	return 0;
}

/* Handles the events of one side; returns 0, or -1 when the pair ends. */
static int
side_event(struct side *s, unsigned events, unsigned char *buf)
{
	if ((events & EPOLLOUT) && side_flush(s) == -1)
		return -1;
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && s->len == 0 &&
	    side_read(s, buf) == -1)
		return -1;
	if (side_watch(s, EPOLL_CTL_MOD) == -1 ||
	    side_watch(s->peer, EPOLL_CTL_MOD) == -1)
		return -1;
	return 0;
}

/* Accepts one connection and pairs it with an idle or new backend one. */
static void
accept_one(int ep)
{
	struct sockaddr_un	 sun;
	struct pair		*p = NULL;
	int			 fd, bfd = -1;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	pthread_mutex_lock(&pool_mtx);
	if (pool_n > 0)
		bfd = pool_fd[--pool_n];
	pthread_mutex_unlock(&pool_mtx);
	if (bfd == -1 && (unix_addr(&sun, backend_path) == -1 ||
	    (bfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(bfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    set_nonblock(bfd) == -1)) {
		perror("relay_floor: backend");
		goto fail;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		perror("relay_floor: calloc");
		goto fail;
	}
	p->ep = ep;
	p->front.fd = fd;
	p->back.fd = bfd;
	p->front.peer = &p->back;
	p->back.peer = &p->front;
	p->front.pair = p->back.pair = p;
	if (side_watch(&p->front, EPOLL_CTL_ADD) == 0 &&
	    side_watch(&p->back, EPOLL_CTL_ADD) == 0)
		return;
	perror("relay_floor: epoll_ctl");
	free(p);
fail:
	if (bfd != -1)
		close(bfd);
	close(fd);
}

/* One thread's event loop; never returns. */
static void *
relay_loop(void *arg)
{
	struct epoll_event	 ev, evs[MAX_EVENTS];
	struct side		*s;
	struct pair		*dead, *p;
	unsigned char		*buf;
	int			 ep, i, n;

	(void)arg;
	if ((buf = malloc(RELAY_BUFSZ)) == NULL) {
		perror("relay_floor: malloc");
		exit(1);
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("relay_floor: epoll_create1");
		exit(1);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) == -1) {
		perror("relay_floor: epoll_ctl");
		exit(1);
	}
	for (;;) {
		n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n == -1 && errno != EINTR) {
			perror("relay_floor: epoll_wait");
			exit(1);
		}
		/* pairs ended in this batch are freed after it */
		dead = NULL;
		for (i = 0; i < n; i++) {
			s = evs[i].data.ptr;
			if (s == NULL)
				accept_one(ep);
			else if (s->fd != -1 &&
			    side_event(s, evs[i].events, buf) == -1)
				pair_end(s->pair, &dead);
		}
		while ((p = dead) != NULL) {
			dead = p->next_dead;
			free(p);
		}
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	pthread_t		 tid;
	long			 nt = 1;
	char			*end;
	int			 i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: relay_floor LISTEN_PATH BACKEND_PATH "
		    "[THREADS]\n");
		return 2;
	}
	if (argc == 4) {
		errno = 0;
		nt = strtol(argv[3], &end, 10);
		if (errno != 0 || *end != '\0' || nt < 1 || nt > MAX_THREADS) {
			fprintf(stderr, "relay_floor: THREADS: 1 to %d\n",
			    MAX_THREADS);
			return 2;
		}
	}
	backend_path = argv[2];
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    unix_addr(&sun, argv[1]) == -1 ||
	    (listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    (unlink(argv[1]) == -1 && errno != ENOENT) ||
	    bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(argv[1], 0666) == -1 || listen(listen_fd, 1024) == -1) {
		perror("relay_floor: listen");
		return 1;
	}
	for (i = 1; i < nt; i++) {
		if (pthread_create(&tid, NULL, relay_loop, NULL) != 0) {
			fprintf(stderr, "relay_floor: pthread_create failed\n");
			return 1;
		}
	}
	relay_loop(NULL);
	return 0;
}
